"""The app factory: a service is its name, routers, event handlers, jobs and migrations.

`Service(...).create_app()` gives a FastAPI app whose lifespan opens the database, starts the
outbox relay, the consumer and the jobs, and installs errors, request ids, metrics and health.
"""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

import structlog
from fastapi import APIRouter, Depends, FastAPI, Request
from sqlalchemy import text

from sportello.auth import TokenVerifier
from sportello.db import asyncpg_dsn, make_engine, make_sessionmaker
from sportello.errors import install_error_handlers, problem, refuse_control_characters
from sportello.jobs import Job, run_forever
from sportello.messaging.consumer import Consumer, Handler
from sportello.messaging.relay import Relay
from sportello.observability import RequestContextMiddleware, configure_logging, metrics_response
from sportello.revocations import Revocations
from sportello.settings import Settings, get_settings

log = structlog.get_logger()

Hook = Callable[[FastAPI], Awaitable[None]]


def closing(attribute: str, method: str = "aclose") -> Hook:
    """A shutdown hook that closes `app.state.<attribute>` (with `method`), if startup made it."""

    async def close(app: FastAPI) -> None:
        thing = getattr(app.state, attribute, None)
        if thing is not None:
            await getattr(thing, method)()

    return close


@dataclass
class Service:
    name: str
    routers: list[APIRouter] = field(default_factory=list)
    migrations: Path | None = None
    handlers: dict[str, Handler] = field(default_factory=dict)
    jobs: list[Job] = field(default_factory=list)
    publishes: bool = True
    settings_factory: Callable[[], Settings] = get_settings
    on_startup: list[Hook] = field(default_factory=list)
    on_shutdown: list[Hook] = field(default_factory=list)
    title: str | None = None

    def create_app(self, settings: Settings | None = None) -> FastAPI:
        settings = settings or self.settings_factory()
        service = self

        @asynccontextmanager
        async def lifespan(app: FastAPI):
            configure_logging(service.name, settings.log_level, settings.log_json)
            url = settings.database_url(service.name)
            engine = make_engine(url, settings.db_pool_size)
            app.state.engine = engine
            app.state.sessionmaker = make_sessionmaker(engine)
            # Handlers and jobs get only a session: the settings travel on it (db.session_settings).
            app.state.sessionmaker.configure(info={"service": service.name, "settings": settings})
            app.state.verifier = TokenVerifier(settings)
            app.state.revocations = Revocations(settings)
            app.state.relay = None
            app.state.consumer = None
            tasks: list[asyncio.Task] = []
            try:
                for hook in service.on_startup:
                    await hook(app)
                if service.publishes:
                    app.state.relay = Relay(service.name, asyncpg_dsn(url), settings)
                    await app.state.relay.start()
                if service.handlers:
                    app.state.consumer = Consumer(
                        service.name, service.handlers, app.state.sessionmaker, settings
                    )
                    await app.state.consumer.start()
                if settings.jobs_enabled:
                    tasks = [asyncio.create_task(run_forever(job, app.state.sessionmaker))
                             for job in service.jobs]
                # Everything loaded at start-up (modules, templates, caches) stays for the process's
                # life: move it out of the collector's way so its pauses do not land in requests.
                gc.freeze()
                log.info("service_started", service=service.name)
                yield
            finally:
                for task in tasks:
                    task.cancel()
                for hook in service.on_shutdown:
                    await hook(app)
                if app.state.consumer is not None:
                    await app.state.consumer.stop()
                if app.state.relay is not None:
                    await app.state.relay.stop()
                await app.state.revocations.close()
                await engine.dispose()

        app = FastAPI(
            title=self.title or f"Sportello {self.name}",
            lifespan=lifespan,
            docs_url=None,
            redoc_url=None,
            # /x/ is not /x: a redirect would hand out the service's internal address.
            redirect_slashes=False,
            dependencies=[Depends(refuse_control_characters)],
        )
        app.state.settings = settings
        app.state.service = self
        install_error_handlers(app)
        app.add_middleware(RequestContextMiddleware, service=self.name)
        for router in self.routers:
            app.include_router(router)
        add_health_routes(app, ready=lambda: service_ready(app))
        return app


async def service_ready(app: FastAPI) -> dict[str, bool]:
    checks: dict[str, bool] = {}
    try:
        async with app.state.engine.connect() as conn:
            await asyncio.wait_for(conn.execute(text("SELECT 1")), 2)
        checks["database"] = True
    except Exception:
        checks["database"] = False
    if app.state.consumer is not None:
        checks["broker"] = app.state.consumer.connected
    elif app.state.relay is not None:
        checks["broker"] = app.state.relay.connected.is_set()
    return checks


FORWARDING_HEADERS = ("x-forwarded-for", "forwarded", "x-real-ip", "x-forwarded-host")


def add_health_routes(app: FastAPI, ready: Callable[[], Awaitable[dict[str, bool]]]) -> None:
    @app.get("/healthz", include_in_schema=False)
    async def healthz():
        return {"status": "ok"}

    @app.get("/readyz", include_in_schema=False)
    async def readyz():
        checks = await ready()
        if all(checks.values()):
            return {"status": "ready", "checks": checks}
        return problem(503, "Non pronto.", checks=checks)

    @app.get("/metrics", include_in_schema=False)
    async def metrics(request: Request):
        # For the cluster's scraper, which reaches the pod directly: anything that came through
        # a proxy (the Ingress, the gateway) says so in its forwarding headers and is refused.
        if any(h in request.headers for h in FORWARDING_HEADERS):
            return problem(404, "Risorsa non trovata.")
        return metrics_response()

