"""A file the gateway answered (a document, an invoice's PDF or XML) passed on to the browser as
the attachment it is: never rendered inline, sandboxed if opened anyway (nosniff and no-store
come with every answer of the app, from SecurityHeadersMiddleware)."""

from __future__ import annotations

from fastapi import HTTPException
from fastapi.responses import Response

from sportello.web.gateway import ApiResult


def attachment(result: ApiResult, media_type: str | None = None) -> Response:
    """The file of a 200 answer with the service's own file name; anything else is a 404 page."""
    if result.status != 200 or not isinstance(result.body, bytes):
        raise HTTPException(404)
    kind = media_type or result.headers.get("Content-Type", "application/octet-stream")
    return Response(result.body, media_type=kind, headers={
        "Content-Disposition": result.headers.get("Content-Disposition", "attachment"),
        # Added to the middleware's CSP: a browser applies both, so the file runs nothing.
        "Content-Security-Policy": "sandbox"})
