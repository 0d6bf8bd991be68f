"""The event mechanism end to end on the real PostgreSQL and RabbitMQ: outbox → relay → consumer."""

from __future__ import annotations

import asyncio
import uuid
from urllib.parse import urlsplit

import aio_pika
from msgsvc import CALLS, EVENT, effects, emit_committed, make_service, take_parked
from sportello.contracts.events import ServiceRetired
from sportello.messaging import emit
from sportello.messaging.consumer import Consumer
from sportello.testing import EventTap, publish_event, running_service, wait_for
from sportello.testing.tcpproxy import TcpProxy
from sqlalchemy import text


async def pending_outbox(client) -> int:
    async with client.app.state.sessionmaker() as session:
        return await session.scalar(text("SELECT count(*) FROM outbox WHERE published_at IS NULL"))


async def test_committed_change_publishes_its_event_once_and_rolled_back_one_nothing(
    lib_settings, service_name
):
    async with EventTap(lib_settings, EVENT) as tap, running_service(
        make_service(service_name), lib_settings
    ) as client:
        await emit_committed(client, f"{service_name}-kept")
        await emit_committed(client, f"{service_name}-rolled-back", commit=False)
        await emit_committed(client, f"{service_name}-sentinel")

        # The relay publishes in commit order: once the sentinel is out, everything before it is.
        await tap.wait_for(EVENT, lambda d: d["slug"] == f"{service_name}-sentinel")
        slugs = [e.data["slug"] for e in tap.of_type(EVENT) if e.data["slug"].startswith(service_name)]
        assert slugs == [f"{service_name}-kept", f"{service_name}-sentinel"]
        assert await pending_outbox(client) == 0
        await wait_for(lambda: _len_is(effects(client), 2))
        assert await effects(client) == [f"{service_name}-kept", f"{service_name}-sentinel"]


async def _len_is(coro, n: int) -> bool:
    return len(await coro) == n


async def test_events_committed_while_the_broker_is_away_all_arrive_when_it_is_back(
    lib_settings, service_name
):
    broker = urlsplit(lib_settings.amqp_url)
    async with TcpProxy(broker.hostname, broker.port or 5672) as proxy:
        # The service reaches RabbitMQ only through the proxy the test can cut.
        cut_settings = lib_settings.model_copy(
            update={"amqp_url": broker._replace(netloc=f"{broker.username}:{broker.password}"
                                                         f"@127.0.0.1:{proxy.port}").geturl()}
        )
        async with running_service(make_service(service_name), cut_settings) as client:
            await emit_committed(client, f"{service_name}-before")
            await wait_for(lambda: _len_is(effects(client), 1))

            await proxy.cut()
            for i in range(20):
                await emit_committed(client, f"{service_name}-during-{i:02d}")
            # Committed, but nothing can be published while the broker is unreachable.
            assert await pending_outbox(client) == 20

            proxy.restore()
            await wait_for(lambda: _len_is(effects(client), 21), timeout=30,
                           message="all 21 effects after the broker came back")
            assert await pending_outbox(client) == 0
            assert sorted(await effects(client)) == sorted(
                [f"{service_name}-before"] + [f"{service_name}-during-{i:02d}" for i in range(20)]
            )


async def test_the_same_event_delivered_twice_has_its_effect_once(lib_settings, service_name):
    async with running_service(make_service(service_name), lib_settings) as client:
        event_id = uuid.uuid4()
        payload = ServiceRetired(slug=f"{service_name}-dup", version=1)
        await publish_event(lib_settings, EVENT, payload, event_id=event_id)
        await publish_event(lib_settings, EVENT, payload, event_id=event_id)
        await publish_event(lib_settings, EVENT, ServiceRetired(slug=f"{service_name}-z", version=1))
        await wait_for(lambda: _len_is(effects(client), 2))
        # Both copies reached the handler's door; the inbox let one through.
        assert await effects(client) == [f"{service_name}-dup", f"{service_name}-z"]
        assert CALLS[f"{service_name}-dup"] == 1


async def test_a_failing_handler_is_retried_then_parked_and_the_queue_keeps_flowing(
    lib_settings, service_name
):
    async with running_service(make_service(service_name), lib_settings) as client:
        await publish_event(lib_settings, EVENT, ServiceRetired(slug=f"fail-{service_name}", version=1))
        await publish_event(lib_settings, EVENT, ServiceRetired(slug=f"{service_name}-ok", version=1))
        await wait_for(lambda: _len_is(effects(client), 1))
        assert await effects(client) == [f"{service_name}-ok"]

        message = await take_parked(lib_settings, service_name, "a parked message", timeout=10)
        # First try plus one per retry delay, then parked with the error.
        assert CALLS[f"fail-{service_name}"] == 1 + len(lib_settings.retry_delays)
        assert message.headers["x-error-type"] == "RuntimeError"
        assert f"cannot handle fail-{service_name}" in message.headers["x-error"]


class DiesBeforeAck(Consumer):
    """A consumer that commits the effect and then loses its connection before acknowledging."""

    died = asyncio.Event()

    async def on_message(self, message):
        from sportello.contracts.envelope import Envelope

        envelope = Envelope.model_validate_json(message.body)
        await self.handle(self.handlers[envelope.type], envelope)
        DiesBeforeAck.died.set()
        await self._connection.close()  # the process "dies": no ack was sent


async def test_a_consumer_dying_after_commit_before_ack_causes_no_second_effect(
    lib_settings, service_name
):
    service = make_service(service_name)
    async with running_service(service, lib_settings) as client:
        # Take the survivor off the queue so the dying consumer receives the message.
        await client.app.state.consumer.stop()
        dying = DiesBeforeAck(service_name, service.handlers, client.app.state.sessionmaker,
                              lib_settings)
        await dying.start()
        await publish_event(lib_settings, EVENT, ServiceRetired(slug=f"{service_name}-once", version=1))
        await asyncio.wait_for(DiesBeforeAck.died.wait(), 10)
        assert await effects(client) == [f"{service_name}-once"]

        # The broker requeues the unacknowledged message; a fresh consumer gets it again.
        survivor = Consumer(service_name, service.handlers, client.app.state.sessionmaker, lib_settings)
        await survivor.start()
        try:
            connection = await aio_pika.connect(lib_settings.amqp_url)
            async with connection:
                channel = await connection.channel()

                async def drained():
                    q = await channel.declare_queue(lib_settings.queue_name(service_name), passive=True)
                    return q.declaration_result.message_count == 0 and \
                        q.declaration_result.consumer_count == 1

                await wait_for(drained, message="the redelivered message acknowledged")
            assert CALLS[f"{service_name}-once"] == 1  # the inbox stopped the second run
            assert await effects(client) == [f"{service_name}-once"]
        finally:
            await survivor.stop()


async def test_two_relays_and_two_consumers_publish_and_handle_each_event_once(
    lib_settings, service_name
):
    service = make_service(service_name)
    async with EventTap(lib_settings, EVENT) as tap, \
            running_service(service, lib_settings) as a, running_service(service, lib_settings) as b:
        n = 200
        await asyncio.gather(*(
            emit_committed(a if i % 2 else b, f"{service_name}-{i:03d}") for i in range(n)
        ))
        await wait_for(lambda: _len_is(effects(a), n), timeout=30, message=f"{n} effects")
        await wait_for(lambda: len([e for e in tap.events
                                    if e.data["slug"].startswith(service_name)]) >= n)
        ours = [e for e in tap.events if e.data["slug"].startswith(service_name)]
        assert len(ours) == n and len({e.id for e in ours}) == n  # each published exactly once
        assert all(CALLS[f"{service_name}-{i:03d}"] == 1 for i in range(n))  # handled once
        assert await pending_outbox(a) == 0


async def test_an_event_the_broker_refuses_is_parked_and_the_ones_after_it_go_out(
    lib_settings, service_name
):
    """A correlation id over AMQP's 255 bytes (as a long request id once made) cannot be sent:
    the row is parked with its error after a few tries, the next event is published."""
    async with EventTap(lib_settings, EVENT) as tap, running_service(
        make_service(service_name), lib_settings
    ) as client:
        async with client.app.state.sessionmaker() as session:
            await emit(session, EVENT, ServiceRetired(slug=f"{service_name}-poison", version=1))
            await session.execute(text(
                "UPDATE outbox SET envelope = jsonb_set(envelope, '{correlation_id}', to_jsonb("
                "repeat('è', 200)))"))
            await session.commit()
        await emit_committed(client, f"{service_name}-after")

        await tap.wait_for(EVENT, lambda d: d["slug"] == f"{service_name}-after")
        await wait_for(lambda: _len_is(effects(client), 1))

        async def parked_rows():
            async with client.app.state.sessionmaker() as session:
                return (await session.execute(text(
                    "SELECT attempts, last_error FROM outbox WHERE parked_at IS NOT NULL"))).all()

        # Retried on each poll round, then parked.
        parked = await wait_for(parked_rows, timeout=30, message="the refused row parked")
        assert len(parked) == 1
        assert parked[0].attempts == lib_settings.relay_max_attempts
        assert "255" in parked[0].last_error
        assert await client.app.state.relay.connected.wait()
        assert (await client.get("/readyz")).status_code == 200
        assert not [e for e in tap.of_type(EVENT) if e.data["slug"].endswith("-poison")]


async def test_an_operator_lists_and_retries_parked_outbox_rows_and_dead_letters(
    lib_settings, service_name
):
    from sportello.testing.system import run_command

    async with EventTap(lib_settings, EVENT) as tap, running_service(
        make_service(service_name), lib_settings
    ) as client:
        async with client.app.state.sessionmaker() as session:
            await emit(session, EVENT, ServiceRetired(slug=f"{service_name}-stuck", version=1))
            await session.execute(text(
                "UPDATE outbox SET envelope = jsonb_set(envelope, '{correlation_id}', "
                "to_jsonb(repeat('x', 300)))"))
            await session.commit()
        listed = await wait_for(lambda: _listed(lib_settings, service_name), timeout=30)
        assert "string exceeds maximum length" in listed and "1 righe parcheggiate" in listed
        metrics = (await client.get("/metrics")).text
        assert f'sportello_outbox_parked{{service="{service_name}"}} 1.0' in metrics

        # The operator fixes what made it fail, then puts it back in line.
        async with client.app.state.sessionmaker() as session:
            await session.execute(text(
                "UPDATE outbox SET envelope = jsonb_set(envelope, '{correlation_id}', '\"ok\"')"))
            await session.commit()
        out = await asyncio.to_thread(run_command, lib_settings, "outbox", "retry", service_name,
                                      "--all")
        assert "1 righe rimesse in coda" in out
        await tap.wait_for(EVENT, lambda d: d["slug"] == f"{service_name}-stuck")

        # A handler that keeps failing parks its message; the operator sees it and retries it.
        slug = f"fail-{service_name}-dead"
        await publish_event(lib_settings, EVENT, ServiceRetired(slug=slug, version=1))
        tries = 1 + len(lib_settings.retry_delays)
        await wait_for(lambda: CALLS[slug] == tries, timeout=15)

        async def dead_listed():
            out = await asyncio.to_thread(run_command, lib_settings, "dead-letters", "list",
                                          service_name)
            return out if "1 messaggi parcheggiati" in out else None

        listed = await wait_for(dead_listed, timeout=10)
        assert f"cannot handle {slug}" in listed
        out = await asyncio.to_thread(run_command, lib_settings, "dead-letters", "retry",
                                      service_name, "--all")
        assert "1 messaggi rimandati alla coda" in out
        await wait_for(lambda: CALLS[slug] > tries, timeout=10, message="handled again")
        assert f'sportello_dead_letters{{service="{service_name}"}}' in (
            await client.get("/metrics")).text


async def _listed(settings, service_name) -> str | None:
    from sportello.testing.system import run_command

    out = await asyncio.to_thread(run_command, settings, "outbox", "list", service_name)
    return out if "1 righe parcheggiate" in out else None


async def test_a_scheduled_job_started_by_two_replicas_at_once_runs_one_round(
    lib_settings, service_name
):
    from sportello.jobs import Job, run_once

    async def purge(session) -> int:
        # Long enough that both replicas are inside their round at the same time.
        await session.execute(text("SELECT pg_sleep(0.3)"))
        await session.execute(text("INSERT INTO effects (event_id, slug) "
                                   "VALUES (gen_random_uuid(), :slug)"), {"slug": service_name})
        return 1

    job = Job(f"purge-{service_name}", 60, purge)
    service = make_service(service_name)
    async with running_service(service, lib_settings) as a, \
            running_service(service, lib_settings) as b:
        rounds = await asyncio.gather(run_once(job, a.app.state.sessionmaker),
                                      run_once(job, b.app.state.sessionmaker))
        assert sorted(rounds, key=str) == [1, None]  # one ran, the other skipped its round
        assert await effects(a) == [service_name]
        # Once the first round is over, the next one runs again (the lock was the round's).
        assert await run_once(job, b.app.state.sessionmaker) == 1


async def test_an_event_nobody_is_bound_to_is_marked_sent_and_the_ones_after_it_go_out(
    lib_settings, service_name
):
    """The broker returns an unroutable event (no queue binds its type): nothing could ever
    deliver it, so the relay neither retries nor parks it, and goes on."""
    from sportello.contracts.events import AccountSessionsRevoked

    async with EventTap(lib_settings, EVENT) as tap, running_service(
        make_service(service_name), lib_settings
    ) as client:
        async with client.app.state.sessionmaker() as session:
            await emit(session, "account.sessions_revoked",
                       AccountSessionsRevoked(account_id=uuid.uuid4(), session_ids=[]))
            await session.commit()
        await emit_committed(client, f"{service_name}-after")

        await tap.wait_for(EVENT, lambda d: d["slug"] == f"{service_name}-after")

        async def outbox_rows():
            async with client.app.state.sessionmaker() as session:
                return [tuple(r) for r in await session.execute(text(
                    "SELECT event_type, published_at IS NOT NULL, attempts, parked_at IS NOT NULL "
                    "FROM outbox ORDER BY seq"))]

        # The relay commits its marks once the broker confirmed (after the tap may have seen it).
        expected = [("account.sessions_revoked", True, 0, False), (EVENT, True, 0, False)]
        await wait_for(lambda: _rows_are(outbox_rows(), expected), timeout=10,
                       message="both rows marked sent, neither retried nor parked")


async def _rows_are(coro, expected) -> bool:
    return await coro == expected
