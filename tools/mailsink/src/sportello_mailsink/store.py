"""What the sink received: the messages in memory, parsed once into the fields tests and people read."""

from __future__ import annotations

import email
import email.policy
import itertools
import time
from dataclasses import asdict, dataclass, field
from email.utils import getaddresses


@dataclass
class Received:
    id: int
    received_at: float  # epoch seconds on arrival (benchmarks compare it with a commit time)
    envelope_from: str
    envelope_to: list[str]
    message_id: str | None
    from_: str
    to: list[str]
    subject: str
    text: str | None
    html: str | None
    headers: dict[str, str] = field(default_factory=dict)

    def as_json(self) -> dict:
        data = asdict(self)
        data["from"] = data.pop("from_")
        return data


def _content(part) -> str | None:
    # Line ends as a reader expects them, not as SMTP carried them.
    return part.get_content().replace("\r\n", "\n") if part is not None else None


def parse(raw: bytes, envelope_from: str, envelope_to: list[str], seq: int) -> Received:
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    text_part = msg.get_body(preferencelist=("plain",))
    html_part = msg.get_body(preferencelist=("html",))
    return Received(
        id=seq,
        received_at=time.time(),
        envelope_from=envelope_from,
        envelope_to=list(envelope_to),
        message_id=(msg.get("Message-ID") or "").strip() or None,
        from_=str(msg.get("From", "")),
        to=[addr for _, addr in getaddresses([str(v) for v in msg.get_all("To", [])])],
        subject=str(msg.get("Subject", "")),
        text=_content(text_part),
        html=_content(html_part),
        headers={k: str(v) for k, v in msg.items()},
    )


@dataclass
class Raw:
    """A message as it arrived; parsed only when someone reads it (parsing costs ~5 ms of CPU
    that the SMTP answer, hence the sender's latency, should not wait for)."""

    seq: int
    received_at: float
    envelope_from: str
    envelope_to: list[str]
    data: bytes
    parsed: Received | None = None

    def get(self) -> Received:
        if self.parsed is None:
            self.parsed = parse(self.data, self.envelope_from, self.envelope_to, self.seq)
            self.parsed.received_at = self.received_at
        return self.parsed


class Inbox:
    """Received messages, oldest first; one process, one event loop, so no locking is needed."""

    def __init__(self, limit: int = 10_000):
        self.limit = limit
        self._raw: list[Raw] = []
        self._seq = itertools.count(1)

    @property
    def messages(self) -> list[Received]:
        return [r.get() for r in self._raw]

    def add(self, raw: bytes, envelope_from: str, envelope_to: list[str]) -> Raw:
        received = Raw(next(self._seq), time.time(), envelope_from, list(envelope_to), raw)
        self._raw.append(received)
        # A development sink left running for days must not grow without bound.
        del self._raw[: max(0, len(self._raw) - self.limit)]
        return received

    def find(self, to: str | None = None, subject: str | None = None) -> list[Received]:
        out = self.messages
        if to:
            needle = to.lower()
            out = [m for m in out if needle in (a.lower() for a in [*m.to, *m.envelope_to])]
        if subject:
            out = [m for m in out if subject.lower() in m.subject.lower()]
        return out

    def get(self, message_id: int) -> Received | None:
        return next((r.get() for r in self._raw if r.seq == message_id), None)

    def clear(self) -> None:
        self._raw.clear()
