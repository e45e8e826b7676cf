"""The dramatiq actors (send a notification, close a solved ticket), declared on a given broker."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import dramatiq

from mailbot.errors import DeliveryError

log = logging.getLogger(__name__)

QUEUE = "mailbot"
# One attempt per message and no queue retries: a row that could not be sent stays in the
# outbox with its next attempt time, and the relay (`Dispatcher.relay_due`) enqueues it again then.
# Two retry mechanisms would race each other; the outbox one survives a lost queue.
SEND_OPTIONS: dict[str, Any] = {"max_retries": 0}
AUTOCLOSE_OPTIONS: dict[str, Any] = {"max_retries": 5, "min_backoff": 60_000, "max_backoff": 3_600_000}


@dataclass(frozen=True)
class Actors:
    send_notification: dramatiq.Actor
    autoclose: dramatiq.Actor | None = None


def setup_actors(broker: dramatiq.Broker, deliver_fn: Callable[..., Any],
                 autoclose_fn: Callable[..., Any] | None = None) -> Actors:
    """Declare the actors on `broker`. `deliver_fn(*notification_ids)` sends a batch of outbox
    rows (a message from before batches carries one id); `autoclose_fn(*ids)` closes what is
    due. Both re-read the database: actors carry ids only."""

    def send_notification(*notification_ids: int) -> None:
        try:
            deliver_fn(*notification_ids)
        except DeliveryError as exc:
            log.info("notification(s) %s stay in the outbox for the relay: %s",
                     ", ".join(map(str, notification_ids)), exc)

    sender = dramatiq.actor(broker=broker, actor_name="send_notification",
                            queue_name=QUEUE, **SEND_OPTIONS)(send_notification)
    closer = None
    if autoclose_fn is not None:
        def autoclose(*ids: int) -> None:
            autoclose_fn(*ids)

        closer = dramatiq.actor(broker=broker, actor_name="autoclose",
                                queue_name=QUEUE, **AUTOCLOSE_OPTIONS)(autoclose)
    return Actors(send_notification=sender, autoclose=closer)


def start_inprocess_worker(broker: dramatiq.Broker) -> dramatiq.Worker:
    """A started worker in this process; `worker_timeout=100` keeps the queue latency near 0.1 s."""
    worker = dramatiq.Worker(broker, worker_threads=2, worker_timeout=100)
    worker.start()
    return worker
