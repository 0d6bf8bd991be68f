"""The loop of every table-driven worker (outbox relay, email sender): wake on NOTIFY, work, repeat.

A subclass says how to connect, how to take one round of work (`work`, which isolates each item:
one that fails is recorded or parked by the subclass and never raised from here) and how long to
sleep when idle; the loop owns the LISTEN connection, the wake-up, reconnection with back-off and
the periodic housekeeping. An exception out of `work` means the worker's own connections broke.
"""

from __future__ import annotations

import asyncio
import time

import asyncpg
import structlog

log = structlog.get_logger()


class NotifiedLoop:
    channel: str = ""
    batch_size: int = 50
    housekeeping_seconds: float = 30.0
    application_name: str | None = None  # how the LISTEN connection shows in pg_stat_activity

    def __init__(self, name: str, dsn: str):
        self.name = name
        self.dsn = dsn
        self._wake = asyncio.Event()
        self._task: asyncio.Task | None = None
        self._listener: asyncpg.Connection | None = None
        self._last_housekeeping = 0.0
        self.connected = asyncio.Event()

    # -- what a worker provides ---------------------------------------------------------------

    async def connect(self) -> None:
        """Open the worker's own connections (called before LISTEN, again after a failure)."""

    async def disconnect(self) -> None:
        """Release them; must not raise."""

    async def work(self) -> int:
        """One round: how many items were taken (a full batch means: go again at once)."""
        raise NotImplementedError

    async def idle_seconds(self) -> float:
        """How long to wait for a NOTIFY before looking again."""
        return 5.0

    async def healthy(self) -> None:
        """Raise ConnectionError when a connection of the worker is gone."""

    async def housekeeping(self) -> None:
        """Every `housekeeping_seconds`: pruning, metrics."""

    def on_down(self) -> None:
        """Called at once (no await) when the LISTEN connection dies or is closed: from then on
        notifications may be missed."""

    # -- the loop -----------------------------------------------------------------------------

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name=self.name)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
            self._task = None
        await self._close()

    @property
    def listener(self) -> asyncpg.Connection:
        """The LISTEN connection, for a worker whose work is reading on it."""
        assert self._listener is not None
        return self._listener

    def wake(self, *_args) -> None:
        self._wake.set()

    def _lost(self, _conn) -> None:
        self.on_down()
        self._wake.set()  # the loop finds the connection closed and reconnects

    async def _close(self) -> None:
        self.connected.clear()
        self.on_down()
        if self._listener is not None:
            try:
                await asyncio.wait_for(self._listener.close(), 5)
            except Exception:  # a broken connection has nothing left to release
                pass
            self._listener = None
        await self.disconnect()

    async def _run(self) -> None:
        backoff = 0.2
        while True:
            try:
                await self.connect()
                settings = {"application_name": self.application_name} if self.application_name else {}
                self._listener = await asyncpg.connect(self.dsn, server_settings=settings)
                self._listener.add_termination_listener(self._lost)
                await self._listener.add_listener(self.channel, self.wake)
                self.connected.set()
                log.info("worker_connected", worker=self.name)
                backoff = 0.2
                while True:
                    self._wake.clear()
                    if self._listener.is_closed():
                        raise ConnectionError("LISTEN connection lost")
                    if await self.work() >= self.batch_size:
                        continue
                    await self.healthy()
                    await self._housekeeping()
                    try:
                        await asyncio.wait_for(self._wake.wait(), await self.idle_seconds())
                    except TimeoutError:
                        pass
            except asyncio.CancelledError:
                raise
            except Exception as e:
                log.warning("worker_down", worker=self.name, error=repr(e), retry_in=backoff)
                await self._close()
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 5.0)

    async def _housekeeping(self) -> None:
        now = time.monotonic()
        if now - self._last_housekeeping < self.housekeeping_seconds:
            return
        self._last_housekeeping = now
        try:
            await self.housekeeping()
        except Exception as e:  # bookkeeping must never stop the work itself
            log.warning("worker_housekeeping_failed", worker=self.name, error=repr(e))
