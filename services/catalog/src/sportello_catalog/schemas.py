"""The request and response shapes of API.md "Catalog"."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sportello.contracts.events import CategoryRef
from sportello.contracts.fields import FieldError
from sportello.contracts.forms import FormDefinition
from sportello.contracts.tax import Exemption
from sportello.errors import ValidationFailed, field_errors

Slug = Annotated[str, Field(min_length=1, max_length=80)]
Name = Annotated[str, Field(min_length=1, max_length=200)]
CategoryText = Annotated[str, Field(max_length=2000)]
ShortText = Annotated[str, Field(max_length=500)]
LongText = Annotated[str, Field(max_length=20_000)]
Position = Annotated[int, Field(ge=-1_000_000, le=1_000_000)]
Cents = Annotated[int, Field(ge=0, le=100_000_000)]
VatRate = Annotated[int, Field(ge=0, le=10_000)]


class _In(BaseModel):
    # A misspelt attribute ("prezzo" for base_net_cents) must be refused, not silently dropped.
    model_config = ConfigDict(extra="forbid")


class CategoryIn(_In):
    slug: Slug
    name: Name
    description: CategoryText = ""
    position: Position = 0


class _Patch(_In):
    """Only the attributes sent change; null is refused except where the attribute may be empty."""

    nullable: ClassVar[frozenset[str]] = frozenset()

    def changes(self) -> dict[str, Any]:
        sent = self.model_fields_set
        nulls = sorted(k for k in sent if getattr(self, k) is None and k not in self.nullable)
        if nulls:
            raise ValidationFailed([FieldError(field=k, message="Non può essere vuoto.") for k in nulls])
        return {k: getattr(self, k) for k in sent}


class CategoryPatch(_Patch):
    name: Name | None = None
    description: CategoryText | None = None
    position: Position | None = None


class ServiceIn(_In):
    slug: Slug
    category: Slug
    name: Name
    short_description: ShortText = ""
    description: LongText = ""
    pricing_mode: Literal["fixed", "quote"]
    base_net_cents: Cents | None = None
    vat_rate_bp: VatRate
    form: FormDefinition = Field(default_factory=FormDefinition)
    quote_allowed: bool = False
    position: Position = 0
    vat_exemption: Exemption | None = None


class ServicePatch(_Patch):
    nullable: ClassVar[frozenset[str]] = frozenset({"base_net_cents", "vat_exemption"})

    category: Slug | None = None
    name: Name | None = None
    short_description: ShortText | None = None
    description: LongText | None = None
    pricing_mode: Literal["fixed", "quote"] | None = None
    base_net_cents: Cents | None = None
    vat_rate_bp: VatRate | None = None
    form: FormDefinition | None = None
    quote_allowed: bool | None = None
    position: Position | None = None
    vat_exemption: Exemption | None = None


# --- answers (documented in OpenAPI; the hot reads send pre-rendered JSON of these shapes) ---


class CategoryOut(BaseModel):
    slug: str
    name: str
    description: str
    service_count: int


class ServiceSummary(BaseModel):
    slug: str
    name: str
    short_description: str
    category: CategoryRef
    pricing_mode: Literal["fixed", "quote"]
    price_from_cents: int | None
    vat_rate_bp: int
    quote_allowed: bool
    # The VAT exemption key and the law the line will name (e.g. "Esente IVA art. 10, n. 20, …").
    vat_exemption: str | None = None
    vat_exemption_note: str | None = None


class ServiceDetail(ServiceSummary):
    description: str
    base_net_cents: int | None
    form: FormDefinition
    version: int
    active: bool


class CategoryDetail(CategoryOut):
    services: list[ServiceSummary]


class ServicePage(BaseModel):
    items: list[ServiceSummary]
    next_cursor: str | None


class StaffServiceSummary(ServiceSummary):
    version: int
    active: bool


class StaffServiceList(BaseModel):
    items: list[StaffServiceSummary]


class ServicesQuery(BaseModel):
    """The parameters of GET /api/catalog/services, for its plain Starlette route (api.py)."""

    category: Annotated[str | None, Field(max_length=80)] = None
    q: Annotated[str | None, Field(max_length=200)] = None
    limit: Annotated[int, Field(ge=1, le=100)] = 20
    cursor: Annotated[str | None, Field(max_length=100)] = None

    @classmethod
    def parse(cls, params: Mapping[str, str]) -> ServicesQuery:
        known = {k: params[k] for k in ("category", "q", "limit", "cursor") if k in params}
        try:
            return cls.model_validate(known)
        except ValidationError as e:
            raise ValidationFailed(field_errors(e.errors())) from None
