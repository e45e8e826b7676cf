"""mailbot's RabbitMQ broker on a real server: a publishing connection the server dropped while it
sat idle (missed heartbeats) loses no message."""

from __future__ import annotations

import time

import dramatiq
import pytest

from mailbot.outbound.broker import make_broker

pytestmark = pytest.mark.integration


def test_a_connection_dropped_while_idle_loses_no_message(rabbitmq_url):
    # One-second heartbeats, never answered by an idle publisher: RabbitMQ drops the
    # connection after two missed ones.
    broker = make_broker(f"{rabbitmq_url}?heartbeat=1")
    try:
        actor = dramatiq.actor(lambda notification_id: None, broker=broker, actor_name="send_notification",
                               queue_name="mailbot")
        actor.send(1)
        time.sleep(5)
        actor.send(2)
        ready, delayed, dead = broker.get_queue_message_counts("mailbot")
        assert (ready, delayed, dead) == (2, 0, 0)
    finally:
        broker.close()
