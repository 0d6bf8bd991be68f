"""Whose address a request comes from, behind trusted proxies: one rule for the gateway, the
storefront and accounts (each counts its limits per client address)."""

from __future__ import annotations

import ipaddress

import structlog

log = structlog.get_logger()


class TrustedProxies:
    """Addresses or CIDRs (`10.0.0.0/8`) of the proxies whose X-Forwarded-For is believed
    (setting `trusted_proxies`, env SPORTELLO_TRUSTED_PROXIES)."""

    def __init__(self, entries: list[str]):
        self.networks = []
        for entry in entries:
            try:
                self.networks.append(ipaddress.ip_network(entry.strip(), strict=False))
            except ValueError:
                log.warning("trusted_proxy_ignored", entry=entry)
        self._cache: dict[str, bool] = {}

    def __contains__(self, address: str) -> bool:
        hit = self._cache.get(address)
        if hit is None:
            try:
                ip = ipaddress.ip_address(address)
                hit = any(ip in net for net in self.networks)
            except ValueError:
                hit = False
            if len(self._cache) > 10_000:
                self._cache.clear()
            self._cache[address] = hit
        return hit


def client_address(peer: str | None, forwarded_for: str | None,
                   trusted: TrustedProxies) -> tuple[str, str | None]:
    """(the client's address, the X-Forwarded-For chain to pass on before the peer).

    A trusted peer's chain is believed up to its rightmost untrusted entry (entries further left
    come from the client and could be forged); anyone else's chain is dropped, so a client
    cannot pick its own rate-limit key.
    """
    peer = peer or "unknown"
    if peer not in trusted or not forwarded_for:
        return peer, None
    chain = [a.strip()[:64] for a in forwarded_for.split(",") if a.strip()]
    for address in reversed(chain):
        if address not in trusted:
            return address, ", ".join(chain)
    return peer, ", ".join(chain)
