"""The sender: delivers recorded emails over SMTP after their commit, once, and never loses one.

It wakes on NOTIFY (a handler's commit) and otherwise when the next retry falls due (the loop is
`sportello.worker.NotifiedLoop`). Each due `pending` row is claimed with `FOR UPDATE SKIP LOCKED`
in its own transaction, sent, and committed with its outcome: two replicas never send the same
row, and a crash before the commit leaves only the message in flight pending (it is then sent
again with the same Message-ID — the one duplicate SMTP itself cannot rule out). A message that
cannot even be built, or that the server refuses for good, is `failed` with its error at once.
"""

from __future__ import annotations

import asyncio
import email.policy
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, parseaddr

import aiosmtplib
import structlog
from prometheus_client import Gauge
from pydantic_settings import BaseSettings, SettingsConfigDict
from sportello.settings import Settings
from sportello.worker import NotifiedLoop
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from sportello_notifications.domain import Status, after_attempt, check_transition
from sportello_notifications.models import Notification
from sportello_notifications.repository import NOTIFY_CHANNEL

log = structlog.get_logger()

EMAILS_FAILED = Gauge("sportello_emails_failed", "Emails failed for good (retry: sportello emails)")


class SenderConfig(BaseSettings):
    """Env `SPORTELLO_NOTIFICATIONS_*`: how hard to try before an email is failed."""

    model_config = SettingsConfigDict(env_prefix="SPORTELLO_NOTIFICATIONS_", extra="ignore")

    # Waits before each retry: 7 attempts over about 3 hours (an SMTP relay's restart or a
    # provider's outage must not lose an email; a full day of silence is an operator's problem).
    retry_delays: list[float] = [5, 30, 120, 600, 1800, 7200]
    batch_size: int = 50
    poll_seconds: float = 5.0
    smtp_timeout: float = 10.0


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

    async def send(self, msg: EmailMessage) -> Exception | None:
        """None when the server accepted the message, else the error of this attempt."""
        reused = self._client is not None and self._client.is_connected
        try:
            await self._send(msg)
            return None
        except (aiosmtplib.SMTPRecipientsRefused, aiosmtplib.SMTPResponseException) as e:
            return e  # the session is still usable for the next message
        except Exception as e:
            await self.close()
            if reused and isinstance(e, ConnectionError | aiosmtplib.SMTPTimeoutError):
                # A kept-open session the server dropped while idle: once more on a new one.
                try:
                    await self._send(msg)
                    return None
                except Exception as again:
                    await self.close()
                    return again
            return e


class Sender(NotifiedLoop):
    """Sends due emails one at a time, each in its own transaction committed with its outcome."""

    channel = NOTIFY_CHANNEL

    def __init__(self, settings: Settings, sessionmaker: async_sessionmaker[AsyncSession],
                 dsn: str, config: SenderConfig | None = None):
        super().__init__("notifications-sender", dsn)
        self.settings = settings
        self.sessionmaker = sessionmaker
        self.config = config or SenderConfig()
        self.batch_size = self.config.batch_size
        self.transport = SmtpTransport(settings, self.config.smtp_timeout)

    async def disconnect(self) -> None:
        await self.transport.close()

    async def work(self) -> int:
        return await self.send_due()

    async def idle_seconds(self) -> float:
        """Sleep until the next retry falls due (a NOTIFY wakes us earlier for new mail)."""
        async with self.sessionmaker() as session:
            due = await session.scalar(
                select(func.min(Notification.next_attempt_at))
                .where(Notification.status == Status.PENDING))
        if due is None:
            return self.config.poll_seconds
        wait = (due - datetime.now(UTC)).total_seconds()
        return min(max(wait, 0.01), self.config.poll_seconds)

    async def housekeeping(self) -> None:
        async with self.sessionmaker() as session:
            EMAILS_FAILED.set(await session.scalar(
                select(func.count()).where(Notification.status == Status.FAILED)) or 0)

    async def send_due(self) -> int:
        """Send up to one batch of due emails, one by one; how many were tried."""
        tried = 0
        while tried < self.config.batch_size:
            outcome = await self.send_one()
            if outcome is None:
                break
            tried += 1
            if outcome == "unreachable":
                break  # the server is away: the others' turn comes at the next round
        return tried

    async def send_one(self) -> str | None:
        """Claim one due email, send it, commit its outcome; None when nothing is due.

        The row is locked only while its own message is in flight, so a crash can make at
        most that one message go out twice (same Message-ID), never the rest of a batch.
        """
        async with self.sessionmaker() as session, session.begin():
            row = await session.scalar(
                select(Notification)
                .where(Notification.status == Status.PENDING,
                       Notification.next_attempt_at <= func.now())
                .order_by(Notification.next_attempt_at)
                .limit(1)
                .with_for_update(skip_locked=True))
            if row is None:
                return None
            unreachable = False
            try:
                message = build_message(row, self.settings)
            except Exception as e:  # e.g. a header that cannot be written: it never will be
                error: Exception | None = e
                permanent = True
            else:
                error = await self.transport.send(message)
                permanent = error is not None and is_permanent(error)
                unreachable = error is not None and not isinstance(
                    error, aiosmtplib.SMTPRecipientsRefused | aiosmtplib.SMTPResponseException)
            self._record(row, error, permanent)
            return "unreachable" if unreachable else str(row.status)

    def _record(self, row: Notification, error: Exception | None, permanent: bool) -> None:
        now = datetime.now(UTC)
        outcome = after_attempt(row.attempts, describe(error) if error else None, permanent,
                                self.config.retry_delays, now)
        row.status = check_transition(row.status, outcome.status)
        row.attempts += 1
        row.last_error = outcome.error
        if outcome.status == Status.SENT:
            row.sent_at = now
        elif outcome.next_attempt_at is not None:
            row.next_attempt_at = outcome.next_attempt_at
        if outcome.status == Status.FAILED:
            EMAILS_FAILED.inc()
        (log.info if outcome.status == Status.SENT else log.warning)(
            f"email_{outcome.status}", notification_id=str(row.id), template=row.template,
            event_id=str(row.event_id), attempts=row.attempts, error=outcome.error)
