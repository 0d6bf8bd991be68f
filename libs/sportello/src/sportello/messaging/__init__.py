"""Events across services: outbox (write with the state), relay (publish), consumer + inbox."""

from sportello.messaging.consumer import Consumer, Handler
from sportello.messaging.outbox import emit, emit_on
from sportello.messaging.relay import Relay

__all__ = ["Consumer", "Handler", "Relay", "emit", "emit_on"]
