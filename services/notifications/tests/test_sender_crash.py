"""The sender killed (-9) in the middle of a batch: on restart only the message in flight may go
out twice, never the rest of the batch."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter

import httpx
import notifications_samples as samples
from sportello.testing import publish_event, wait_for
from sportello.testing.processes import RUNNING, serve_processes

N = 150


async def _arrived(sink, tag: str) -> Counter:
    async with httpx.AsyncClient(base_url=sink.mail_sink_url, timeout=10) as c:
        items = (await c.get("/api/messages")).json()["items"]
    return Counter(a for m in items for a in m["to"] if tag in a)


async def test_a_sender_killed_mid_batch_sends_at_most_one_email_twice(sink):
    # A notifications process of its own (database, queue, exchange), beside the in-process one.
    own = sink.model_copy(update={"db_suffix": f"{sink.db_suffix}_crash",
                                  "queue_prefix": f"{sink.queue_prefix}crash.",
                                  "exchange": f"{sink.exchange}.crash"})
    tag = f"crash{uuid.uuid4().hex[:6]}"
    try:
        async with serve_processes(own, ["notifications"]) as running:
            events = [samples.account_registered(samples.customer(f"{tag}.{i}@example.it"))
                      for i in range(N)]
            await asyncio.gather(*(publish_event(running, "account.registered", e)
                                   for e in events))

            async def some_arrived():
                return sum((await _arrived(sink, tag)).values()) >= 10 or None

            await wait_for(some_arrived, timeout=30, interval=0.005, message="a few emails out")
            RUNNING["notifications"].kill()  # -9 while the rest of the rows are being sent
            RUNNING["notifications"].popen.wait(5)
            before = await _arrived(sink, tag)
            assert sum(before.values()) < N, "the kill came after the whole batch"

        async with serve_processes(own, ["notifications"]):
            async def all_arrived():
                got = await _arrived(sink, tag)
                return got if len(got) == N else None

            got = await wait_for(all_arrived, timeout=60, message=f"{N} welcome emails")
        twice = [a for a, n in got.items() if n > 1]
        assert len(twice) <= 1, twice
    finally:
        from sportello.testing.plugin import drop_run

        await drop_run(own)
