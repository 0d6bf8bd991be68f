"""Catalog writes: every change of a service is a publish (new version + event in the same transaction).

Each function takes the caller's session and leaves the commit to it (route or demo command),
so the state, the outbox row and the revision bump that invalidates the read caches commit
together. Writes take the catalog-revision row lock first, which serialises them: two staff
edits of one service cannot both become version N+1.
"""

from __future__ import annotations

from typing import Any

import structlog
from sportello.contracts.events import ServicePublished, ServiceRetired
from sportello.contracts.fields import FieldError
from sportello.errors import Conflict, NotFound, ValidationFailed
from sportello.messaging import emit
from sqlalchemy.ext.asyncio import AsyncSession

from sportello_catalog import domain, repository, views
from sportello_catalog.domain import ServiceContent, Status
from sportello_catalog.models import Category, Service

log = structlog.get_logger()

async def _publish(session: AsyncSession, service: Service) -> None:
    event = ServicePublished(service=domain.snapshot(
        views.content_of(service), service.category.name, service.version, service.active))
    await emit(session, "catalog.service.published", event)
    log.info("service_published", slug=service.slug, version=service.version)


# --- categories ---------------------------------------------------------------------------------


async def create_category(session: AsyncSession, slug: str, name: str, description: str,
                          position: int) -> Category:
    if errors := domain.slug_errors(slug) + domain.nul_errors(name=name, description=description):
        raise ValidationFailed(errors)
    await repository.lock_catalog(session)
    if await repository.category_by_slug(session, slug) is not None:
        raise Conflict("Esiste già una categoria con questo slug.",
                       errors=[FieldError(field="slug", message="Slug già in uso.")])
    category = Category(slug=slug, name=name, description=description, position=position)
    session.add(category)
    await session.flush()
    await repository.bump_revision(session)
    log.info("category_created", slug=slug)
    return category


async def update_category(session: AsyncSession, slug: str, changes: dict[str, Any]) -> Category:
    """Edit a category; a new name is republished with each of its active services."""
    texts = {k: v for k, v in changes.items() if k in ("name", "description")}
    if errors := domain.nul_errors(**texts):
        raise ValidationFailed(errors)
    await repository.lock_catalog(session)
    category = await repository.category_by_slug(session, slug)
    if category is None:
        raise NotFound("Categoria non trovata.")
    changed = {k: v for k, v in changes.items() if getattr(category, k) != v}
    if not changed:
        return category
    for key, value in changed.items():
        setattr(category, key, value)
    await session.flush()
    if "name" in changed:
        # Snapshots carry the category's name: carts must learn it.
        for service in await repository.active_services_of(session, category.id):
            service.version += 1
            await session.flush()
            await _publish(session, service)
    await repository.bump_revision(session)
    return category


# --- services -----------------------------------------------------------------------------------


async def _category_for(session: AsyncSession, slug: str) -> Category:
    category = await repository.category_by_slug(session, slug)
    if category is None:
        raise ValidationFailed([FieldError(field="category", message="Categoria inesistente.")])
    return category


def _write(service: Service, content: ServiceContent, category: Category) -> None:
    service.category = category
    service.name = content.name
    service.short_description = content.short_description
    service.description = content.description
    service.pricing_mode = content.pricing_mode
    service.base_net_cents = content.base_net_cents
    service.price_from_cents = domain.price_from_cents(content)
    service.vat_rate_bp = content.vat_rate_bp
    service.form = domain.form_json(content.form)
    service.quote_allowed = content.quote_allowed
    service.position = content.position
    service.vat_exemption = content.vat_exemption


async def create_service(session: AsyncSession, content: ServiceContent) -> Service:
    if errors := domain.service_errors(content):
        raise ValidationFailed(errors)
    await repository.lock_catalog(session)
    category = await _category_for(session, content.category)
    if await repository.service_by_slug(session, content.slug) is not None:
        raise Conflict("Esiste già un servizio con questo slug.",
                       errors=[FieldError(field="slug", message="Slug già in uso.")])
    service = Service(slug=content.slug, version=1, active=True)
    _write(service, content, category)
    session.add(service)
    await session.flush()
    await _publish(session, service)
    await repository.bump_revision(session)
    return service


async def update_service(session: AsyncSession, slug: str, changes: dict[str, Any]) -> Service:
    """Apply a PATCH; publish a new version only if the content really changes."""
    await repository.lock_catalog(session)
    service = await repository.service_by_slug(session, slug)
    if service is None:
        raise NotFound("Servizio non trovato.")
    current = views.content_of(service)
    content = domain.apply_patch(current, changes)
    if errors := domain.service_errors(content):
        raise ValidationFailed(errors)
    if content.same_as(current):
        return service
    category = await _category_for(session, content.category)
    _write(service, content, category)
    service.version += 1
    await session.flush()
    if service.active:
        # A retired service is edited quietly; reactivating it publishes the whole snapshot.
        await _publish(session, service)
    await repository.bump_revision(session)
    return service


async def set_status(session: AsyncSession, slug: str, to: Status) -> Service:
    """Retire (→ `catalog.service.retired`) or reactivate (→ published again) a service."""
    await repository.lock_catalog(session)
    service = await repository.service_by_slug(session, slug)
    if service is None:
        raise NotFound("Servizio non trovato.")
    current = Status.ACTIVE if service.active else Status.RETIRED
    domain.transition(current, to)
    service.active = to == Status.ACTIVE
    service.version += 1
    await session.flush()
    if to == Status.RETIRED:
        await emit(session, "catalog.service.retired",
                   ServiceRetired(slug=service.slug, version=service.version))
        log.info("service_retired", slug=service.slug, version=service.version)
    else:
        await _publish(session, service)
    await repository.bump_revision(session)
    return service
