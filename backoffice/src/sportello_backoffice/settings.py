"""The back office's own settings on top of the shared ones (env `SPORTELLO_*`)."""

from __future__ import annotations

from urllib.parse import urlsplit

from sportello.settings import Settings


class BackofficeSettings(Settings):
    # Its own cookie name: cookies ignore ports, so on one host the shop's session and the
    # staff's session would otherwise overwrite each other.
    backoffice_cookie: str = "sportello_staff"

    @property
    def cookie_secure(self) -> bool:
        """Secure cookies everywhere except plain-HTTP localhost (development, tests)."""
        parts = urlsplit(self.backoffice_url)
        return parts.scheme == "https" or parts.hostname not in ("127.0.0.1", "localhost", "::1")
