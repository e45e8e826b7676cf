"""Build the dramatiq broker named by MAILBOT_BROKER_URL; called by the composition root, never at import.

| MAILBOT_BROKER_URL | broker |
|---|---|
| empty | in-process `StubBroker` (`mailbot run` sends itself) |
| `redis://`, `rediss://` | dramatiq's `RedisBroker` |
| `amqp://`, `amqps://` | dramatiq's `RabbitmqBroker` (pika), publishing without confirmations |

RabbitMQ: each thread publishes on a pika connection of its own (dramatiq keeps one per thread),
which answers heartbeats only while it is used; one the server dropped while it sat idle is
replaced by dramatiq's own retry of the publish. Publisher confirmations stay off: they wait for
RabbitMQ's disk write on each notification, and a message the broker lost is re-sent by the outbox
relay anyway. A connection that RabbitMQ blocks (memory or disk alarm) gives up after
`blocked_connection_timeout` seconds instead of hanging the mail thread; the notification then
waits in the outbox like during any broker outage.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import dramatiq
from dramatiq.brokers.stub import StubBroker

from mailbot.errors import ConfigError

# Seconds a publish may wait on a connection RabbitMQ has blocked; the URL's own value wins.
BLOCKED_CONNECTION_TIMEOUT = 30


def amqp_parameters(broker_url: str) -> str:
    """The URL with mailbot's defaults for the pika connection settings it does not set itself."""
    parts = urlsplit(broker_url)
    query = dict(parse_qsl(parts.query))
    query.setdefault("blocked_connection_timeout", str(BLOCKED_CONNECTION_TIMEOUT))
    return urlunsplit(parts._replace(query=urlencode(query)))


def make_broker(broker_url: str) -> dramatiq.Broker:
    """The broker for `broker_url` (see the module's table)."""
    if not broker_url:
        # fail_fast off: one notification that ends in the dead letters must not make
        # `broker.join()` raise for everything else that was waiting.
        broker = StubBroker(fail_fast_default=False)
        # The stub has no process to boot; without this event some middleware stays unset.
        broker.emit_after("process_boot")
        return broker
    scheme = urlsplit(broker_url).scheme
    if scheme in ("redis", "rediss"):
        from dramatiq.brokers.redis import RedisBroker

        return RedisBroker(url=broker_url)
    if scheme in ("amqp", "amqps"):
        from dramatiq.brokers.rabbitmq import RabbitmqBroker

        return RabbitmqBroker(url=amqp_parameters(broker_url))
    raise ConfigError(f"MAILBOT_BROKER_URL: expected redis://, amqp:// or nothing, got '{broker_url}'")
