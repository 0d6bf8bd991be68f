"""The storefront's own settings on top of the shared ones (env `SPORTELLO_*`)."""

from __future__ import annotations

from urllib.parse import urlsplit

from sportello.settings import Settings


class StorefrontSettings(Settings):
    # The session cookie (an id: the session itself is in Redis, shared by every replica). It
    # lives as long as a login may (`session_absolute_hours`, shared with accounts).
    storefront_cookie: str = "sportello_sessione"

    @property
    def cookie_secure(self) -> bool:
        """Secure cookies everywhere except plain-HTTP localhost (development, tests)."""
        parts = urlsplit(self.storefront_url)
        return parts.scheme == "https" or parts.hostname not in ("127.0.0.1", "localhost", "::1")
