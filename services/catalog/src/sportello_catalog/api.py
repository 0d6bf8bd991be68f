"""HTTP routes of the catalog service: parse, call an action (or read), answer with schemas.

The public reads answer pre-rendered JSON (repository.py's rows, rendered by views.py) through
the revision cache (cache.py): they are the hottest routes of the shop. Staff writes commit, then
advance this replica's cache.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response
from sportello import paging
from sportello.auth import Staff
from sportello.db import get_session
from sportello.errors import NotFound
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.routing import Route

from sportello_catalog import actions, domain, repository, views
from sportello_catalog.cache import RenderedCache, entry
from sportello_catalog.domain import ServiceContent, Status
from sportello_catalog.schemas import (
    CategoryDetail,
    CategoryIn,
    CategoryOut,
    CategoryPatch,
    ServiceDetail,
    ServiceIn,
    ServicePage,
    ServicePatch,
    ServicesQuery,
    StaffServiceList,
)

router = APIRouter()
Session = Annotated[AsyncSession, Depends(get_session)]
Render = Callable[[AsyncSession], Awaitable[bytes | None]]
NOT_FOUND = {404: {"description": "Non trovato"}}


async def _render(request: Request, render: Render) -> bytes | None:
    # Repeatable read: a page built by several queries shows one state of the catalog.
    async with request.app.state.sessionmaker() as session:
        await session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
        return await render(session)


async def cached(request: Request, key: tuple, render: Render, missing: str) -> Response:
    cache: RenderedCache = request.app.state.catalog_cache
    hit = cache.get(key)
    if hit is None:
        revision = cache.revision  # before reading: see cache.py
        body = await _render(request, render)
        if body is None:
            raise NotFound(missing)
        hit = entry(body)
        cache.put(key, revision, hit)
    if request.headers.get("if-none-match") == hit.etag:
        return Response(status_code=304, headers={"etag": hit.etag})
    return Response(hit.body, media_type="application/json", headers={"etag": hit.etag})


def json_response(body: bytes, status_code: int = 200) -> Response:
    return Response(body, status_code=status_code, media_type="application/json")


async def commit(request: Request, session: AsyncSession) -> None:
    await session.commit()
    revision = session.info.pop("catalog_revision", None)
    if revision is not None:
        # Our own replica must not wait for the NOTIFY: the next read here shows this write.
        request.app.state.catalog_cache.advance(revision)


# --- public reads -------------------------------------------------------------------------------


async def _categories(session: AsyncSession) -> bytes:
    return views.categories(await repository.categories(session))


async def _category(session: AsyncSession, slug: str) -> bytes | None:
    found = await repository.category(session, slug)
    return None if found is None else views.category(*found)


async def _service(session: AsyncSession, slug: str, *, include_retired: bool = False) -> bytes | None:
    found = await repository.service(session, slug, include_retired=include_retired)
    return None if found is None else views.service(found)


async def _services_page(session: AsyncSession, category: str | None, limit: int,
                         offset: int) -> bytes:
    return views.services_page(*await repository.services_page(session, category, limit, offset))


async def _search(request: Request, terms: str | None, category: str | None, limit: int,
                  offset: int) -> Response:
    """Free text is unbounded: never cached, one statement on a plain asyncpg connection."""
    if terms is None:
        return json_response(views.search_page("[]", None))
    found = await repository.search_page(request.app.state.search_pool, terms, category, limit,
                                         offset)
    return json_response(views.search_page(*found))


@router.get("/api/catalog/categories", response_model=list[CategoryOut])
async def list_categories(request: Request) -> Response:
    return await cached(request, ("categories",), _categories, "")


@router.get("/api/catalog/categories/{slug}", response_model=CategoryDetail, responses=NOT_FOUND)
async def get_category(slug: str, request: Request) -> Response:
    return await cached(request, ("category", slug), lambda s: _category(s, slug),
                        "Categoria non trovata.")


@router.get("/api/catalog/services", response_model=ServicePage)
async def list_services(
    request: Request,
    category: Annotated[str | None, Query(max_length=80)] = None,
    q: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: Annotated[str | None, Query(max_length=100)] = None,
) -> Response:
    offset = paging.decode_offset(cursor)
    if q and q.strip():
        return await _search(request, domain.search_terms(q), category, limit, offset)

    def render(session: AsyncSession):
        return _services_page(session, category, limit, offset)

    return await cached(request, ("services", category, limit, offset), render, "")


@router.get("/api/catalog/services/{slug}", response_model=ServiceDetail, responses=NOT_FOUND)
async def get_service(slug: str, request: Request) -> Response:
    return await cached(request, ("service", slug), lambda s: _service(s, slug),
                        "Servizio non trovato.")


# The hottest reads are also mounted as plain Starlette routes ahead of the ones above: same
# functions, same answers, minus FastAPI's per-request parameter machinery, which costs more than
# the cached answer itself (see bench/README.md). The routes above stay for OpenAPI and as the model.


async def _fast_categories(request: Request) -> Response:
    return await list_categories(request)


async def _fast_category(request: Request) -> Response:
    return await get_category(request.path_params["slug"], request)


async def _fast_service(request: Request) -> Response:
    return await get_service(request.path_params["slug"], request)


async def _fast_services(request: Request) -> Response:
    # The search is the hot uncached read: parameters checked as the route above does (422
    # naming the parameter), without FastAPI's dependency machinery.
    p = ServicesQuery.parse(request.query_params)
    return await list_services(request, p.category, p.q, p.limit, p.cursor)


router.routes[:0] = [
    Route("/api/catalog/categories", _fast_categories, methods=["GET"], include_in_schema=False),
    Route("/api/catalog/categories/{slug}", _fast_category, methods=["GET"], include_in_schema=False),
    Route("/api/catalog/services/{slug}", _fast_service, methods=["GET"], include_in_schema=False),
    Route("/api/catalog/services", _fast_services, methods=["GET"], include_in_schema=False),
]


# --- staff writes -------------------------------------------------------------------------------


async def _category_answer(request: Request, session: AsyncSession, slug: str,
                           status_code: int = 200) -> Response:
    """Commit the write, then answer with the category as it now reads."""
    await commit(request, session)
    body = await _category(session, slug)
    assert body is not None  # just written in this session
    return json_response(body, status_code)


async def _service_answer(request: Request, session: AsyncSession, slug: str,
                          status_code: int = 200) -> Response:
    """Commit the write, then answer with the service as it now reads (retired included)."""
    await commit(request, session)
    body = await _service(session, slug, include_retired=True)
    assert body is not None
    return json_response(body, status_code)


@router.post("/api/staff/catalog/categories", status_code=201, response_model=CategoryDetail)
async def create_category(body: CategoryIn, staff: Staff, request: Request, session: Session):
    await actions.create_category(session, body.slug, body.name, body.description, body.position)
    return await _category_answer(request, session, body.slug, 201)


@router.patch("/api/staff/catalog/categories/{slug}", response_model=CategoryDetail, responses=NOT_FOUND)
async def update_category(slug: str, body: CategoryPatch, staff: Staff, request: Request,
                          session: Session):
    await actions.update_category(session, slug, body.changes())
    return await _category_answer(request, session, slug)


@router.post("/api/staff/catalog/services", status_code=201, response_model=ServiceDetail)
async def create_service(body: ServiceIn, staff: Staff, request: Request, session: Session):
    content = ServiceContent(**dict(body))
    await actions.create_service(session, content)
    return await _service_answer(request, session, body.slug, 201)


@router.get("/api/staff/catalog/services", response_model=StaffServiceList)
async def staff_services(staff: Staff, session: Session,
                         limit: Annotated[int, Query(ge=1, le=500)] = 500):
    """Every service, retired ones too, for the back office's Catalogo (a shop's catalog is
    small: one bounded list, no pages)."""
    rows = await repository.all_services(session, limit)
    return json_response(views.dumps({"items": [
        {**views.summary(s), "version": s.version, "active": s.active} for s in rows]}))


@router.get("/api/staff/catalog/services/{slug}", response_model=ServiceDetail, responses=NOT_FOUND)
async def staff_get_service(slug: str, staff: Staff, session: Session):
    """Staff see retired services too (`active: false`)."""
    body = await _service(session, slug, include_retired=True)
    if body is None:
        raise NotFound("Servizio non trovato.")
    return json_response(body)


@router.patch("/api/staff/catalog/services/{slug}", response_model=ServiceDetail, responses=NOT_FOUND)
async def update_service(slug: str, body: ServicePatch, staff: Staff, request: Request,
                         session: Session):
    await actions.update_service(session, slug, body.changes())
    return await _service_answer(request, session, slug)


@router.post("/api/staff/catalog/services/{slug}/retire", response_model=ServiceDetail,
             responses=NOT_FOUND)
async def retire_service(slug: str, staff: Staff, request: Request, session: Session):
    return await _set_status(request, session, slug, Status.RETIRED)


@router.post("/api/staff/catalog/services/{slug}/reactivate", response_model=ServiceDetail,
             responses=NOT_FOUND)
async def reactivate_service(slug: str, staff: Staff, request: Request, session: Session):
    return await _set_status(request, session, slug, Status.ACTIVE)


async def _set_status(request: Request, session: AsyncSession, slug: str, status: Status):
    await actions.set_status(session, slug, status)
    return await _service_answer(request, session, slug)
