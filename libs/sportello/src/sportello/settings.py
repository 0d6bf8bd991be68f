"""Configuration of every Sportello process: each URL and port of API.md "Local run", from env."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

SERVICES = ("accounts", "catalog", "cart", "quotes", "orders", "notifications", "invoicing",
            "documents")
SERVICE_PORTS = {
    "accounts": 8101,
    "catalog": 8102,
    "cart": 8103,
    "quotes": 8104,
    "orders": 8105,
    "notifications": 8106,
    "invoicing": 8107,
    "documents": 8108,
}


class Settings(BaseSettings):
    """Every setting has the local default of API.md; env variables are `SPORTELLO_<NAME>`."""

    model_config = SettingsConfigDict(env_prefix="SPORTELLO_", extra="ignore")

    # Where things run.
    host: str = "127.0.0.1"
    gateway_url: str = "http://127.0.0.1:8000"
    storefront_url: str = "http://127.0.0.1:8080"
    backoffice_url: str = "http://127.0.0.1:8081"
    accounts_url: str = "http://127.0.0.1:8101"
    catalog_url: str = "http://127.0.0.1:8102"
    cart_url: str = "http://127.0.0.1:8103"
    quotes_url: str = "http://127.0.0.1:8104"
    orders_url: str = "http://127.0.0.1:8105"
    notifications_url: str = "http://127.0.0.1:8106"
    invoicing_url: str = "http://127.0.0.1:8107"
    documents_url: str = "http://127.0.0.1:8108"
    payment_sandbox_url: str = "http://127.0.0.1:8090"
    sdi_sandbox_url: str = "http://127.0.0.1:8091"
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 1025
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_starttls: bool = False
    smtp_tls: bool = False
    mail_sink_url: str = "http://127.0.0.1:8025"

    # PostgreSQL: one database per service, `sportello_<service><db_suffix>` on this server,
    # unless `database_urls` names one explicitly (e.g. {"orders": "postgresql+asyncpg://..."}).
    postgres_url: str = "postgresql+asyncpg://postgres@127.0.0.1:5432"
    db_suffix: str = ""
    database_urls: dict[str, str] = Field(default_factory=dict)
    db_pool_size: int = 10

    # RabbitMQ: one topic exchange; one durable queue per consuming service.
    amqp_url: str = "amqp://guest:guest@127.0.0.1:5672/"
    exchange: str = "sportello.events"
    queue_prefix: str = ""
    consumer_prefetch: int = 50
    # How long a consumer waits to fill a batch of deliveries before handling what it has. 0: it
    # takes what has arrived and goes, so batches grow only under load and a lone event never waits.
    consumer_batch_ms: float = 0.0
    # Delays (seconds) before each retry of a failing handler; after the last, the dead-letter queue.
    retry_delays: list[float] = Field(default_factory=lambda: [1.0, 5.0, 30.0])
    # Every server closes a connection whose request headers are not complete in this time.
    header_timeout_seconds: float = 10.0
    # Deliveries without an ack (a consumer killed mid-message) before RabbitMQ parks a message in
    # `<queue>.dead`: well above the redeliveries a few crashes cause to innocent prefetched ones.
    queue_delivery_limit: int = 20
    relay_poll_seconds: float = 2.0
    relay_batch_size: int = 200
    # Publishes the broker refuses (the connection being fine) before a row is parked.
    relay_max_attempts: int = 5

    # Tokens: accounts signs with the newest private key in `jwt_keys_dir`; everyone verifies
    # with the public keys there (or with `jwt_public_keys`, PEM text, when the dir is not shared).
    jwt_keys_dir: Path = Path.home() / ".local/share/sportello/keys"
    jwt_public_keys: str | None = None
    jwt_issuer: str = "sportello-accounts"
    jwt_audience: str = "sportello"
    access_token_minutes: int = 15
    # A login's session (its family of refresh tokens) ends after `session_absolute_hours` however
    # active, and after `session_idle_minutes` without a refresh: OWASP ASVS 3.3.2 level 2
    # (NIST AAL2) asks re-authentication at least every 12 hours and after 30 minutes idle. The
    # storefront's session cookie lives as long as the absolute limit.
    session_absolute_hours: int = 12
    session_idle_minutes: int = 30

    # Redis: the deny-list of ended sessions and erased accounts (sportello.revocations), the
    # storefront's server-side sessions. `redis_prefix` keeps runs and deployments apart.
    redis_url: str = "redis://127.0.0.1:6379/0"
    redis_prefix: str = ""

    # Peers whose X-Forwarded-For we believe, as addresses or CIDRs: the ingress in front of the
    # storefront and the gateway, the storefront in front of the gateway, the gateway in front of
    # the services. Loopback by default: on a developer machine every local client is trusted
    # (and so chooses its own rate-limit key); production sets the real proxies.
    trusted_proxies: list[str] = Field(default_factory=lambda: ["127.0.0.1/32", "::1/128"])

    # Files (documents): blobs in the object store at `documents_store_url` (s3://…, gs://…,
    # az://…, file:///…); unset, a directory under `data_dir`. An upload's receipt, which cart
    # checks, is signed with `documents_secret` (no default: `documents.secret` beside the keys).
    data_dir: Path = Path.home() / ".local/share/sportello/data"
    documents_store_url: str | None = None
    documents_secret: str | None = None

    # Business.
    business_name: str = "Sportello Servizi S.r.l."
    # The seller as documents (quotes, invoices) name it; demo values that pass validation.
    business_street: str = "Via Roma 1"
    business_postal_code: str = "20121"
    business_city: str = "Milano"
    business_province: str = "MI"
    business_vat_number: str = "01234560157"
    business_email: str = "info@sportello.example"
    staff_email: str = "staff@sportello.example"
    mail_from: str = "Sportello <noreply@sportello.example>"

    # Payments (orders service and the sandbox provider). `payment_provider` picks the adapter
    # for card payments: "sandbox" (development and tests) or "stripe".
    payment_provider: str = "sandbox"
    # Shared by the sandbox (signs its webhooks) and orders (verifies them). Dev only. No
    # default: unset, it is read from `payments-sandbox.secret` beside the signing keys, which
    # `sportello keys` / `sportello up` generate once per installation (compose and k8s set it).
    payment_sandbox_secret: str | None = None
    # Where the sandbox posts its webhooks; None → {gateway_url}/api/payments/webhooks/sandbox.
    payment_sandbox_webhook_url: str | None = None
    # The SDI channel of invoicing: "sandbox" (tools/sdi-sandbox; development and tests). Its
    # receipts are signed with this installation's secret (`sdi-sandbox.secret`, no default).
    sdi_channel: str = "sandbox"
    sdi_sandbox_secret: str | None = None
    # Where the SDI sandbox posts its receipts; None → {gateway_url}/api/invoices/sdi/receipts.
    sdi_sandbox_webhook_url: str | None = None
    stripe_api_key: str | None = None
    stripe_webhook_secret: str | None = None
    stripe_api_base: str | None = None  # None → Stripe's own API
    # Bank transfer instructions shown to the customer (reference = order number).
    bank_iban: str = "IT60X0542811101000000123456"
    bank_beneficiary: str = "Sportello Servizi S.r.l."
    # Charge the 2,00 € stamp duty to the customer as its own line (cart, orders and invoicing
    # apply it alike; the seller owes it on the invoice either way).
    stamp_duty_charged: bool = True
    # The VIES REST endpoint checking EU VAT numbers; None or unreachable → "not_verified".
    vies_url: str | None = None
    # Unpaid orders are cancelled automatically after these many hours.
    unpaid_cancel_hours_card: float = 24
    unpaid_cancel_hours_bank_transfer: float = 168

    # Quotes: the customer is reminded this many days before a quoted quote's last valid day;
    # staff are reminded of a request left unpriced this many working days (Italian holidays off).
    quote_expiry_reminder_days: int = 3
    quote_pricing_reminder_working_days: int = 2

    # Scheduled jobs run in every replica (each round takes an advisory lock); tests turn them
    # off to run rounds by hand.
    jobs_enabled: bool = True

    log_level: str = "INFO"
    log_json: bool = True

    @model_validator(mode="after")
    def _installation_sandbox_secret(self) -> Settings:
        if self.payment_sandbox_secret is None:
            from sportello.keys import read_sandbox_secret

            self.payment_sandbox_secret = read_sandbox_secret(self.jwt_keys_dir)
        if self.sdi_sandbox_secret is None:
            from sportello.keys import SDI_SANDBOX_SECRET_FILE, read_sandbox_secret

            self.sdi_sandbox_secret = read_sandbox_secret(self.jwt_keys_dir, SDI_SANDBOX_SECRET_FILE)
        if self.documents_secret is None:
            from sportello.keys import DOCUMENTS_SECRET_FILE, read_sandbox_secret

            self.documents_secret = read_sandbox_secret(self.jwt_keys_dir, DOCUMENTS_SECRET_FILE)
        return self

    @property
    def business_address(self) -> str:
        """The seller's address on one line, as quotes, emails and pages print it."""
        return (f"{self.business_street}, {self.business_postal_code} {self.business_city} "
                f"({self.business_province})")

    def database_url(self, service: str) -> str:
        if service in self.database_urls:
            return self.database_urls[service]
        return f"{self.postgres_url.rstrip('/')}/sportello_{service}{self.db_suffix}"

    def queue_name(self, service: str) -> str:
        return f"{self.queue_prefix}{service}"

    def service_url(self, service: str) -> str:
        return getattr(self, f"{service}_url")


def payment_return_path(order_id) -> str:
    """The storefront's page of an order's payment outcome (where the provider sends back)."""
    return f"/ordini/{order_id}/esito"


def payment_return_url(settings: Settings, order_id) -> str:
    """The one place the payment return URL is built: orders' default, the storefront's page."""
    return settings.storefront_url.rstrip("/") + payment_return_path(order_id)


LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1"}


def is_local(url: str) -> bool:
    host = (urlsplit(url).hostname or "").lower()
    return host in LOCAL_HOSTS or host.endswith(".localhost") or host.startswith("127.")


def check_sandbox_allowed(settings: Settings) -> None:
    """The sandbox payment provider pays anything it is told to: it runs only with this
    installation's secret and for a shop on this machine (orders' adapter and the sandbox)."""
    if not settings.payment_sandbox_secret:
        raise RuntimeError("SPORTELLO_PAYMENT_SANDBOX_SECRET non impostato: esegui `sportello keys` "
                           "(sviluppo) o impostalo nell'ambiente")
    if not is_local(settings.storefront_url):
        raise RuntimeError(f"il provider sandbox non paga per un negozio pubblico "
                           f"({settings.storefront_url}): usa SPORTELLO_PAYMENT_PROVIDER=stripe")


@lru_cache
def get_settings() -> Settings:
    return Settings()
