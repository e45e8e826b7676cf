"""Build the dramatiq broker named by MAILBOT_BROKER_URL; called by the composition root, never at import."""

from __future__ import annotations

from urllib.parse import urlsplit

import dramatiq
from dramatiq.brokers.stub import StubBroker

from mailbot.errors import ConfigError


def make_broker(broker_url: str) -> dramatiq.Broker:
    """Redis for redis://, RabbitMQ for amqp://, an in-process StubBroker when empty."""
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
        try:
            from dramatiq.brokers.rabbitmq import RabbitmqBroker
        except ImportError:
            raise ConfigError("MAILBOT_BROKER_URL: amqp:// needs dramatiq's RabbitMQ support, "
                              "install it with pip install 'dramatiq[rabbitmq]'") from None
        return RabbitmqBroker(url=broker_url)
    raise ConfigError(f"MAILBOT_BROKER_URL: expected redis://, amqp:// or nothing, got '{broker_url}'")
