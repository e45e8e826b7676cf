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
        actor.send(0)
        for notification_id in range(1, 4):
            time.sleep(4)
            actor.send(notification_id)
        # RabbitMQ counts a published message a moment later: wait for it, a few seconds at most.
        deadline = time.monotonic() + 10
        while (counts := broker.get_queue_message_counts("mailbot")) != (4, 0, 0) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert counts == (4, 0, 0)  # ready, delayed, dead
    finally:
        broker.close()
