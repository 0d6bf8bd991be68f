"""Per-client limits shared by every gateway replica through Redis, and per replica without it."""

from __future__ import annotations

import re
import uuid
from urllib.parse import urlsplit

from sportello.testing import wait_for
from sportello.testing.tcpproxy import TcpProxy


def fallback_gauge(text: str) -> float:
    return float(re.search(r"^sportello_gateway_ratelimit_fallback (\S+)$", text, re.M)[1])


async def test_two_gateway_replicas_share_one_login_limit_per_client(gateway_factory):
    namespace = uuid.uuid4().hex[:8]
    async with gateway_factory(limits_namespace=namespace) as a, \
            gateway_factory(limits_namespace=namespace) as b:
        # 3 logins a minute per address: alternating replicas must not give the client 6.
        codes = [(await (a if i % 2 else b).post("/api/accounts/login", json={})).status_code
                 for i in range(6)]
        assert codes == [200, 200, 200, 429, 429, 429]
        assert fallback_gauge((await a.get("/metrics")).text) == 0


async def test_redis_away_each_replica_limits_on_its_own_and_says_so_then_shares_again(
    gateway_factory, settings
):
    redis_at = urlsplit(settings.redis_url)
    async with TcpProxy(redis_at.hostname, redis_at.port or 6379) as proxy:
        via_proxy = redis_at._replace(netloc=f"127.0.0.1:{proxy.port}").geturl()
        async with gateway_factory(redis_url=via_proxy) as gw:
            gw.gateway.proxy.limits.recheck_seconds = 0.2
            assert (await gw.post("/api/accounts/login", json={})).status_code == 200
            await proxy.cut()
            # Still limited (in process, from a full bucket), never a 500, and the metric says so.
            codes = [(await gw.post("/api/accounts/login", json={})).status_code for _ in range(4)]
            assert codes == [200, 200, 200, 429]
            assert fallback_gauge((await gw.get("/metrics")).text) == 1
            decided = re.search(r"^sportello_gateway_ratelimit_fallback_decisions_total (\S+)$",
                                (await gw.get("/metrics")).text, re.M)[1]
            assert float(decided) >= 4

            proxy.restore()

            async def shared_again():
                await gw.post("/api/accounts/login", json={})
                return fallback_gauge((await gw.get("/metrics")).text) == 0

            await wait_for(shared_again, timeout=10, interval=0.25, message="Redis used again")
            # Back on the shared bucket: one login spent before the cut, at least one just now,
            # so of the 3 a minute at most one more passes.
            codes = [(await gw.post("/api/accounts/login", json={})).status_code for _ in range(2)]
            assert codes[-1] == 429
