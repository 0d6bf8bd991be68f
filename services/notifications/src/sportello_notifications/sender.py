"""The sender: delivers recorded emails over SMTP after their commit, once, and never loses one.

It wakes on NOTIFY (a handler's commit) and otherwise when the next retry falls due. Due
`pending` rows are claimed with `FOR UPDATE SKIP LOCKED` in a transaction that stays open while
they are sent and is committed with each outcome: two replicas never send the same row, and a
crash before the commit leaves the row pending (it is then sent again with the same
Message-ID — the one duplicate SMTP itself cannot rule out).
"""

from __future__ import annotations

import asyncio
import email.policy
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, parseaddr

import aiosmtplib
import asyncpg
import structlog
from pydantic_settings import BaseSettings, SettingsConfigDict
from sportello.settings import Settings
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from sportello_notifications.domain import Status, after_attempt, check_transition
from sportello_notifications.models import Notification
from sportello_notifications.repository import NOTIFY_CHANNEL

log = structlog.get_logger()


class SenderConfig(BaseSettings):
    """Env `SPORTELLO_NOTIFICATIONS_*`: how hard to try before an email is failed."""

    model_config = SettingsConfigDict(env_prefix="SPORTELLO_NOTIFICATIONS_", extra="ignore")

    # Waits before each retry: 7 attempts over about 3 hours (an SMTP relay's restart or a
    # provider's outage must not lose an email; a full day of silence is an operator's problem).
    retry_delays: list[float] = [5, 30, 120, 600, 1800, 7200]
    batch_size: int = 50
    poll_seconds: float = 5.0
    smtp_timeout: float = 10.0
    smtp_connections: int = 4


# Headers are not folded below 998 characters: CPython's folding of a long non-ASCII subject
# adds a space before the encoded word ("1.540,01  €"), and no subject of ours is that long.
POLICY = email.policy.SMTP.clone(max_line_length=998)


def build_message(row: Notification, settings: Settings) -> EmailMessage:
    msg = EmailMessage(policy=POLICY)
    msg["From"] = settings.mail_from
    msg["To"] = formataddr((row.recipient_name or "", row.recipient))
    msg["Subject"] = row.subject
    msg["Message-ID"] = row.message_id
    msg["Date"] = format_datetime(datetime.now(UTC))
    # Out-of-office replies and mailing-list software should not answer a transactional email.
    msg["Auto-Submitted"] = "auto-generated"
    msg.set_content(row.body_text or "")
    if row.body_html:
        msg.add_alternative(row.body_html, subtype="html")
    return msg


def is_permanent(error: Exception) -> bool:
    """A 5xx for the recipient, sender or content will be refused again: fail at once.

    Authentication failures stay temporary: they are our configuration, fixed by an operator.
    """
    if isinstance(error, aiosmtplib.SMTPRecipientsRefused):
        return all(r.code >= 500 for r in error.recipients)
    if isinstance(error, aiosmtplib.SMTPAuthenticationError):
        return False
    if isinstance(error, aiosmtplib.SMTPSenderRefused | aiosmtplib.SMTPDataError
                  | aiosmtplib.SMTPRecipientRefused):
        return error.code >= 500
    return False


def describe(error: Exception) -> str:
    if isinstance(error, aiosmtplib.SMTPRecipientsRefused):
        return "; ".join(f"{r.code} {r.message}" for r in error.recipients)[:500]
    if isinstance(error, aiosmtplib.SMTPResponseException):
        return f"{error.code} {error.message}"[:500]
    return f"{type(error).__name__}: {error}"[:500]


class SmtpTransport:
    """One SMTP session kept open between batches (connect, TLS and login cost more than a
    message); reopened when the server has closed it."""

    def __init__(self, settings: Settings, timeout: float):
        self.settings = settings
        self.timeout = timeout
        self._client: aiosmtplib.SMTP | None = None

    async def _connected(self) -> aiosmtplib.SMTP:
        if self._client is None or not self._client.is_connected:
            s = self.settings
            client = aiosmtplib.SMTP(
                hostname=s.smtp_host, port=s.smtp_port, use_tls=s.smtp_tls,
                start_tls=True if s.smtp_starttls else False, username=s.smtp_username,
                password=s.smtp_password, timeout=self.timeout,
                # The FQDN lookup aiosmtplib would make on every connect can be slow.
                local_hostname=parseaddr(s.mail_from)[1].rpartition("@")[2] or "localhost",
            )
            await client.connect()
            self._client = client
        return self._client

    async def close(self) -> None:
        if self._client is not None:
            try:
                await asyncio.wait_for(self._client.quit(), 2)
            except Exception:  # already gone: nothing to close politely
                self._client.close()
            self._client = None

    async def _send(self, msg: EmailMessage) -> None:
        client = await self._connected()
        # Flattened by us with POLICY: aiosmtplib's send_message would refold headers.
        await client.sendmail(parseaddr(msg["From"])[1], [parseaddr(msg["To"])[1]],
                              msg.as_bytes(policy=POLICY))

    async def send_all(self, messages: list[EmailMessage]) -> list[Exception | None]:
        """One result per message: None when accepted, else the error of its attempt."""
        results: list[Exception | None] = []
        for msg in messages:
            reused = self._client is not None and self._client.is_connected
            try:
                await self._send(msg)
                results.append(None)
            except (aiosmtplib.SMTPRecipientsRefused, aiosmtplib.SMTPResponseException) as e:
                results.append(e)  # the session is still usable for the next message
            except Exception as e:
                await self.close()
                if reused and isinstance(e, ConnectionError | aiosmtplib.SMTPTimeoutError):
                    # A kept-open session the server dropped while idle: once more on a new one.
                    try:
                        await self._send(msg)
                        results.append(None)
                        continue
                    except Exception as again:
                        await self.close()
                        e = again
                results.append(e)
                # The rest would meet the same broken server: their attempt failed too.
                results.extend([e] * (len(messages) - len(results)))
                break
        return results


class SmtpPool:
    """A few SMTP sessions side by side: a batch is spread over them, so one message's round
    trips to the server do not wait for the previous message's."""

    def __init__(self, settings: Settings, timeout: float, size: int):
        self.sessions = [SmtpTransport(settings, timeout) for _ in range(max(1, size))]

    async def send_all(self, messages: list[EmailMessage]) -> list[Exception | None]:
        n = len(self.sessions)
        parts = await asyncio.gather(*(
            session.send_all(messages[i::n]) for i, session in enumerate(self.sessions)))
        results: list[Exception | None] = [None] * len(messages)
        for i, part in enumerate(parts):
            results[i::n] = part
        return results

    async def close(self) -> None:
        await asyncio.gather(*(session.close() for session in self.sessions))


class Sender:
    def __init__(self, settings: Settings, sessionmaker: async_sessionmaker[AsyncSession],
                 dsn: str, config: SenderConfig | None = None):
        self.settings = settings
        self.sessionmaker = sessionmaker
        self.dsn = dsn
        self.config = config or SenderConfig()
        self.transport = SmtpPool(settings, self.config.smtp_timeout,
                                  self.config.smtp_connections)
        self._wake = asyncio.Event()
        self._task: asyncio.Task | None = None
        self._listener: asyncpg.Connection | None = None

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="notifications-sender")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
        await self._close_listener()
        await self.transport.close()

    def wake(self, *_args) -> None:
        self._wake.set()

    async def _close_listener(self) -> None:
        if self._listener is not None:
            try:
                await asyncio.wait_for(self._listener.close(), 5)
            except Exception:  # a broken connection has nothing left to release
                pass
            self._listener = None

    async def _run(self) -> None:
        backoff = 0.2
        while True:
            try:
                self._listener = await asyncpg.connect(self.dsn)
                await self._listener.add_listener(NOTIFY_CHANNEL, self.wake)
                backoff = 0.2
                while True:
                    self._wake.clear()
                    done = await self.send_due()
                    if done >= self.config.batch_size:
                        continue
                    if self._listener.is_closed():
                        raise ConnectionError("LISTEN connection lost")
                    idle = await self._idle_seconds()
                    try:
                        await asyncio.wait_for(self._wake.wait(), idle)
                    except TimeoutError:
                        pass
            except asyncio.CancelledError:
                raise
            except Exception as e:
                log.warning("sender_down", error=repr(e), retry_in=backoff)
                await self._close_listener()
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 5.0)

    async def _idle_seconds(self) -> float:
        """Sleep until the next retry falls due (a NOTIFY wakes us earlier for new mail)."""
        async with self.sessionmaker() as session:
            due = await session.scalar(
                select(func.min(Notification.next_attempt_at))
                .where(Notification.status == Status.PENDING))
        if due is None:
            return self.config.poll_seconds
        wait = (due - datetime.now(UTC)).total_seconds()
        return min(max(wait, 0.01), self.config.poll_seconds)

    async def send_due(self) -> int:
        """Claim one batch of due emails, send them, record each outcome. How many were tried."""
        async with self.sessionmaker() as session, session.begin():
            rows = list((await session.scalars(
                select(Notification)
                .where(Notification.status == Status.PENDING,
                       Notification.next_attempt_at <= func.now())
                .order_by(Notification.next_attempt_at)
                .limit(self.config.batch_size)
                .with_for_update(skip_locked=True)
            )).all())
            if not rows:
                return 0
            results = await self.transport.send_all([build_message(r, self.settings) for r in rows])
            now = datetime.now(UTC)
            for row, error in zip(rows, results, strict=True):
                outcome = after_attempt(row.attempts, describe(error) if error else None,
                                        error is not None and is_permanent(error),
                                        self.config.retry_delays, now)
                row.status = check_transition(row.status, outcome.status)
                row.attempts += 1
                row.last_error = outcome.error
                if outcome.status == Status.SENT:
                    row.sent_at = now
                elif outcome.next_attempt_at is not None:
                    row.next_attempt_at = outcome.next_attempt_at
                (log.info if outcome.status == Status.SENT else log.warning)(
                    f"email_{outcome.status}", notification_id=str(row.id), template=row.template,
                    event_id=str(row.event_id), attempts=row.attempts, error=outcome.error)
            return len(results)
