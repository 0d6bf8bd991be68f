"""One replica of a service as its own process (`uvicorn replica_app:app`): says who answered."""

import os

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route


async def whoami(request: Request):
    body = await request.body()
    return JSONResponse({"replica": os.environ["REPLICA"], "method": request.method,
                         "body": body.decode()})


app = Starlette(routes=[Route("/{path:path}", whoami, methods=["GET", "POST", "HEAD"])])
