"""The gateway's own settings: the shared ones plus edge limits (env `SPORTELLO_<NAME>` as well)."""

from __future__ import annotations

from pydantic import Field
from sportello.settings import Settings


class GatewaySettings(Settings):
    # Browser origins allowed to call the API; empty means the storefront's own origin only.
    cors_origins: list[str] = Field(default_factory=list)
    max_body_bytes: int = 1_048_576
    # A file upload's body (POST /api/documents, staff deliverables): the form's 25 MB plus the
    # multipart framing.
    max_upload_bytes: int = 25 * 1_048_576 + 65_536

    # Rate limits per client address (requests per minute, also the burst) and the ceiling
    # over every client (requests per second, one second of burst).
    rate_login_per_minute: int = 10
    rate_register_per_minute: int = 5
    rate_password_reset_per_minute: int = 5
    rate_checkout_per_minute: int = 10
    # Password re-checks (change password, change email, delete account).
    rate_reauth_per_minute: int = 10
    rate_cart_session_per_minute: int = 30
    rate_upload_per_minute: int = 30
    rate_global_per_second: int = 2000

    # Upstream timeouts (seconds). `slow` routes (data export) get the long one.
    upstream_connect_timeout: float = 2.0
    upstream_timeout: float = 10.0
    upstream_slow_timeout: float = 30.0
    # A file upload, from the first byte to the answer: 25 MB at 100 kB/s.
    upstream_upload_timeout: float = 300.0
    upstream_pool_size: int = 64
    # After this many consecutive connection failures a service is answered 503 at once for
    # `breaker_open_seconds`, so clients of a dead service never queue behind connect attempts.
    breaker_failures: int = 3
    breaker_open_seconds: float = 2.0

    # Replicas of each service, taken in turn (JSON lists); empty means the one `<service>_url`.
    accounts_urls: list[str] = Field(default_factory=list)
    catalog_urls: list[str] = Field(default_factory=list)
    cart_urls: list[str] = Field(default_factory=list)
    quotes_urls: list[str] = Field(default_factory=list)
    orders_urls: list[str] = Field(default_factory=list)
    notifications_urls: list[str] = Field(default_factory=list)
    invoicing_urls: list[str] = Field(default_factory=list)
    documents_urls: list[str] = Field(default_factory=list)

    openapi_cache_seconds: float = 60.0

    def service_urls(self, service: str) -> list[str]:
        return getattr(self, f"{service}_urls") or [self.service_url(service)]

    def allowed_origins(self) -> list[str]:
        return self.cors_origins or [self.storefront_url.rstrip("/")]

    def per_minute_limits(self) -> dict[str, int]:
        return {
            "login": self.rate_login_per_minute,
            "register": self.rate_register_per_minute,
            "password_reset": self.rate_password_reset_per_minute,
            "checkout": self.rate_checkout_per_minute,
            "reauth": self.rate_reauth_per_minute,
            "cart_session": self.rate_cart_session_per_minute,
            "upload": self.rate_upload_per_minute,
        }
