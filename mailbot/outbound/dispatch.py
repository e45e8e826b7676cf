"""The way of committed outbox rows to the sender: handed to the broker in messages of
MAILBOT_DELIVERY_BATCH ids (`enqueue`), or held and sent in this thread by a one-shot command
(`hold` / `deliver_held`), sent by the actor's worker (`deliver_batch`), and handed over again
by the relay when due (`relay_due`). The outbox, not the broker, is the source of truth: ids the
broker cannot take stay in the outbox, due at once.

The app builds one `Dispatcher` and gives it what it builds lazily (the sender, the actors, the
broker) as functions, so that nothing connects before a mail goes out. The delivery modules
(delivery, attaching, actors) are imported when first used: a command that sends nothing never
loads them."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple, cast

if TYPE_CHECKING:
    from dramatiq import Broker, Worker
    from dramatiq.brokers.stub import StubBroker

    from mailbot.outbound.actors import Actors
    from mailbot.workflow.db import Database

log = logging.getLogger("mailbot")


class DeliveryPolicy(NamedTuple):
    """What delivery takes from the settings. A named tuple rather than a frozen dataclass: the
    class is made at every start-up of a command, in ~0.2 ms against ~1.2 ms (Python 3.11)."""

    batch: int  # MAILBOT_DELIVERY_BATCH: ids a queue message, rows a held batch
    first_retry: timedelta
    longest_retry: timedelta
    claim: timedelta  # how long a worker holds the rows it sends
    max_attempts: int
    relay_grace: timedelta  # never-tried rows younger than this are left to the queue
    render: Mapping[str, Any]  # the keyword arguments of outbound.render
    documents_dir: Path
    attachments_bytes: int  # MAILBOT_NOTIFICATION_ATTACHMENTS_MB, in bytes


class Dispatcher:
    """Hands outbox rows to the broker and sends them. `embedded`: the stub broker, whose
    worker runs in this process (`start_worker`)."""

    def __init__(self, db: Database, policy: DeliveryPolicy, *, clock: Callable[[], datetime],
                 sender: Callable[[], Any], actors: Callable[[], Actors], broker: Callable[[], Broker],
                 embedded: bool):
        self.db = db
        self.policy = policy
        self.clock = clock
        self._sender = sender
        self._actors = actors
        self._broker = broker
        self.embedded = embedded
        self._worker: Worker | None = None
        self._held: list[int] | None = None

    # -- sending --------------------------------------------------------------------------

    def deliver(self, notification_id: int) -> str:
        """Send one outbox row now; its status after. A temporary failure raises DeliveryError."""
        from mailbot.outbound.delivery import deliver

        return deliver(self.db.sessions, notification_id, **self._options())

    def deliver_batch(self, notification_ids: list[int]) -> dict[int, str]:
        """Send these outbox rows together (outbound/delivery.py); each one's status after."""
        from mailbot.outbound.delivery import deliver_batch

        outcomes = deliver_batch(self.db.sessions, notification_ids, **self._options())
        return {notification_id: outcome.status for notification_id, outcome in outcomes.items()}

    def deliver_queued(self, *notification_ids: int) -> None:
        """What a queue message runs: its rows as one batch; temporary failures wait for the relay."""
        self.deliver_batch(list(notification_ids))

    def _options(self) -> dict[str, Any]:
        from mailbot.outbound.attaching import DocumentAttacher
        from mailbot.workflow.documents import DocumentStore

        p = self.policy
        return {"sender": self._sender(), "now": self.clock(),
                "attacher": DocumentAttacher(DocumentStore(p.documents_dir), p.attachments_bytes),
                "render_kwargs": dict(p.render), "first_retry": p.first_retry, "longest_retry": p.longest_retry,
                "claim": p.claim, "max_attempts": p.max_attempts}

    # -- held in this thread ----------------------------------------------------------------

    def hold(self) -> None:
        """Embedded mode, one-shot commands: keep the ids to send instead of queueing them, and
        send them with `deliver_held` (no queue and no worker thread to start and stop)."""
        if self.embedded and self._held is None:
            self._held = []

    def deliver_held(self) -> None:
        """Send the held notifications in batches of MAILBOT_DELIVERY_BATCH, in this thread.
        Those that meet a temporary failure stay in the outbox for the relay."""
        held, self._held = self._held or [], None
        size = self.policy.batch
        for start in range(0, len(held), size):
            self.deliver_batch(held[start:start + size])

    def take_held(self) -> list[int]:
        """The held notification ids, handed to the caller (an intake process gives them to
        `mailbot run`, whose in-process worker sends them); delivery is no longer held."""
        held, self._held = self._held or [], None
        return held

    # -- the queue ------------------------------------------------------------------------

    def enqueue(self, notification_ids: list[int]) -> None:
        """Hand notifications to the broker, MAILBOT_DELIVERY_BATCH ids a message; those it
        cannot take stay in the outbox, due at once, and the relay hands them over again when
        the broker is back. While delivery is held (`hold`), they are only noted."""
        if self._held is not None:
            self._held += notification_ids
            return
        from mailbot.outbound.delivery import mark_due

        size = self.policy.batch
        missed: list[int] = []
        for start in range(0, len(notification_ids), size):
            try:
                self._actors().send_notification.send(*notification_ids[start:start + size])
            except Exception as exc:  # noqa: BLE001 - the outbox keeps it; the relay sends it later
                missed = notification_ids[start:]
                log.warning("broker unavailable (%s: %s); %d notification(s) stay in the outbox for the relay",
                            type(exc).__name__, exc, len(missed))
                break
        if missed:
            try:
                with self.db.transaction() as session:
                    mark_due(session, missed, self.clock())
            except Exception:
                log.warning("could not mark notifications %s as due", missed, exc_info=True)

    def relay_due(self) -> int:
        """Re-enqueue the outbox rows that are due: after a crash, a broker outage or a
        temporary SMTP failure; returns how many."""
        from mailbot.outbound.delivery import due_notification_ids, mark_due

        now = self.clock()
        grace = self.policy.relay_grace
        with self.db.transaction() as session:
            # never-tried rows younger than the grace are most likely still in the queue
            due = due_notification_ids(session, now, limit=1000, created_before=now - grace)
            # handed to the queue now: not due again before the queue had its chance
            mark_due(session, due, now + grace)
        if due:
            log.info("relay: %d notification(s) due again", len(due))
        self.enqueue(due)
        return len(due)

    # -- the in-process worker ----------------------------------------------------------------

    def start_worker(self) -> None:
        """The in-process worker of the embedded mode (stub broker)."""
        from mailbot.outbound.actors import start_inprocess_worker

        if self._worker is None:
            self._actors()  # declare the actors before the worker starts
            self._worker = start_inprocess_worker(self._broker())

    def wait_for_delivery(self, timeout_ms: int = 60_000) -> None:
        """Embedded mode: wait until queued notifications are sent. With a broker, enqueued is enough."""
        if self.embedded and self._worker is not None:
            stub = cast("StubBroker", self._broker())  # embedded: the stub broker
            stub.join(self._actors().send_notification.queue_name, timeout=timeout_ms, fail_fast=False)
            self._worker.join()

    def stop_worker(self) -> None:
        if self._worker is not None:
            self._worker.stop()
            self._worker = None
