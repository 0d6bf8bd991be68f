"""The storefront's own settings on top of the shared ones (env `SPORTELLO_*`)."""

from __future__ import annotations

from urllib.parse import urlsplit

from sportello.settings import Settings


class StorefrontSettings(Settings):
    # Signs the session cookie. Every replica must share it; without one, a random key is made
    # per process (fine for development: a restart only logs visitors out).
    storefront_secret: str | None = None
    storefront_cookie: str = "sportello_sessione"
    storefront_session_days: int = 14

    @property
    def cookie_secure(self) -> bool:
        """Secure cookies everywhere except plain-HTTP localhost (development, tests)."""
        parts = urlsplit(self.storefront_url)
        return parts.scheme == "https" or parts.hostname not in ("127.0.0.1", "localhost", "::1")
