"""Delivering outbox rows: sent once and never again, temporary failures retried later, permanent ones failed."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import create_engine
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import StaticPool

from mailbot.errors import DeliveryError
from mailbot.outbound.actors import setup_actors, start_inprocess_worker
from mailbot.outbound.broker import make_broker
from mailbot.outbound.delivery import deliver, due_notification_ids, retry_delay
from mailbot.outbound.senders import FolderSender
from mailbot.workflow.models import Base, Notification

NOW = datetime(2026, 11, 28, 10, 0, tzinfo=UTC)
_serial = itertools.count(1)
RENDER = {"helpdesk_address": "helpdesk@lycee.example", "subject_tag": "Ticket", "timezone": ZoneInfo("Europe/Paris")}


class FakeSender:
    """Keeps what it is given; raises the queued errors first, one per send."""

    def __init__(self, *errors: DeliveryError):
        self.errors = list(errors)
        self.sent: list[tuple[EmailMessage, str]] = []

    def send(self, message: EmailMessage, recipient: str) -> None:
        if self.errors:
            raise self.errors.pop(0)
        self.sent.append((message, recipient))


@pytest.fixture
def session_factory() -> Iterator[Callable[[], Session]]:
    engine = create_engine("sqlite://", poolclass=StaticPool, connect_args={"check_same_thread": False})
    Base.metadata.create_all(engine)
    yield sessionmaker(engine, expire_on_commit=False)
    engine.dispose()


def add_row(session_factory: Callable[[], Session], *, status: str = "pending", event: str = "followup_added",
            next_attempt_at: datetime | None = None, created_at: datetime = NOW - timedelta(minutes=5)) -> int:
    with session_factory() as session:
        row = Notification(
            event=event, recipient="loic.medori@lycee.example", language="fr",
            message_id=f"mailbot.59.{next(_serial)}@lycee.example", status=status,
            next_attempt_at=next_attempt_at, created_at=created_at,
            context={"ticket": {"id": 59, "title": "Ordinateur très lent", "status": "assigned", "type": "incident",
                                "urgency": 3, "requester": "loic.medori@lycee.example"},
                     "actor": {"name": "Jean Tech", "email": "tech@lycee.example"},
                     "thread": {"in_reply_to": "", "references": []}, "recipient_role": "requester",
                     "text": "J'ai changé la barrette.", "private": False})
        session.add(row)
        session.commit()
        return row.id


def load(session_factory: Callable[[], Session], notification_id: int) -> Notification:
    with session_factory() as session:
        row = session.get(Notification, notification_id)
        assert row is not None
        return row


def test_pending_notification_is_sent_and_marked(session_factory: Callable[[], Session]) -> None:
    row_id = add_row(session_factory)
    sender = FakeSender()

    assert deliver(session_factory, row_id, sender=sender, render_kwargs=RENDER, now=NOW) == "sent"

    [(message, recipient)] = sender.sent
    assert recipient == "loic.medori@lycee.example"
    assert message["Subject"] == "[Ticket #59] Ordinateur très lent"
    row = load(session_factory, row_id)
    assert (row.status, row.sent_at, row.attempts) == ("sent", NOW, 0)


def test_a_sent_notification_is_never_sent_twice(session_factory: Callable[[], Session]) -> None:
    row_id = add_row(session_factory)
    sender = FakeSender()
    deliver(session_factory, row_id, sender=sender, render_kwargs=RENDER, now=NOW)

    assert deliver(session_factory, row_id, sender=sender, render_kwargs=RENDER, now=NOW) == "sent"
    assert len(sender.sent) == 1


@pytest.mark.parametrize("status", ["failed", "bounced", "held"])
def test_rows_that_are_not_pending_are_left_alone(session_factory: Callable[[], Session], status: str) -> None:
    row_id = add_row(session_factory, status=status)
    sender = FakeSender()
    assert deliver(session_factory, row_id, sender=sender, render_kwargs=RENDER, now=NOW) == status
    assert sender.sent == []


def test_temporary_failure_stays_pending_and_is_due_again_later(session_factory: Callable[[], Session]) -> None:
    row_id = add_row(session_factory)
    sender = FakeSender(DeliveryError("451 4.3.0 Mailbox busy", permanent=False),
                        DeliveryError("451 4.3.0 Mailbox busy", permanent=False))

    with pytest.raises(DeliveryError):
        deliver(session_factory, row_id, sender=sender, render_kwargs=RENDER, now=NOW)
    row = load(session_factory, row_id)
    assert (row.status, row.attempts, row.last_error) == ("pending", 1, "451 4.3.0 Mailbox busy")
    assert row.next_attempt_at == NOW + timedelta(seconds=30)

    later = NOW + timedelta(minutes=1)
    with pytest.raises(DeliveryError):
        deliver(session_factory, row_id, sender=sender, render_kwargs=RENDER, now=later)
    row = load(session_factory, row_id)
    assert (row.attempts, row.next_attempt_at) == (2, later + timedelta(seconds=60))

    assert deliver(session_factory, row_id, sender=sender, render_kwargs=RENDER, now=later) == "sent"
    row = load(session_factory, row_id)
    assert (row.status, row.last_error, row.next_attempt_at) == ("sent", "", None)
    assert len(sender.sent) == 1


def test_permanent_failure_marks_failed_with_the_server_answer(session_factory: Callable[[], Session]) -> None:
    row_id = add_row(session_factory)
    sender = FakeSender(DeliveryError("550 5.1.1 No such user", permanent=True))

    assert deliver(session_factory, row_id, sender=sender, render_kwargs=RENDER, now=NOW) == "failed"
    row = load(session_factory, row_id)
    assert (row.status, row.last_error) == ("failed", "550 5.1.1 No such user")
    assert deliver(session_factory, row_id, sender=FakeSender(), render_kwargs=RENDER, now=NOW) == "failed"


def test_a_row_that_cannot_be_rendered_fails_instead_of_retrying(session_factory: Callable[[], Session]) -> None:
    row_id = add_row(session_factory, event="no_such_event")
    sender = FakeSender()
    assert deliver(session_factory, row_id, sender=sender, render_kwargs=RENDER, now=NOW) == "failed"
    assert load(session_factory, row_id).last_error.startswith("cannot render")
    assert sender.sent == []


def test_a_missing_row_sends_nothing(session_factory: Callable[[], Session]) -> None:
    sender = FakeSender()
    assert deliver(session_factory, 404, sender=sender, render_kwargs=RENDER, now=NOW) == "missing"
    assert sender.sent == []


def test_retry_delay_doubles_and_stops_at_one_hour() -> None:
    assert [retry_delay(n).total_seconds() for n in (1, 2, 3, 4)] == [30, 60, 120, 240]
    assert retry_delay(20) == timedelta(hours=1)


def test_due_rows_are_pending_ones_never_tried_or_whose_retry_time_has_come(
        session_factory: Callable[[], Session]) -> None:
    never_tried = add_row(session_factory)
    retry_past = add_row(session_factory, next_attempt_at=NOW - timedelta(seconds=1))
    add_row(session_factory, next_attempt_at=NOW + timedelta(minutes=5))
    for status in ("sent", "failed", "bounced", "held"):
        add_row(session_factory, status=status)

    with session_factory() as session:
        assert due_notification_ids(session, NOW, 100) == [never_tried, retry_past]
        assert due_notification_ids(session, NOW, 1) == [never_tried]


def test_due_rows_can_leave_out_the_ones_just_written(session_factory: Callable[[], Session]) -> None:
    old = add_row(session_factory, created_at=NOW - timedelta(minutes=10))
    add_row(session_factory, created_at=NOW - timedelta(seconds=5))
    with session_factory() as session:
        assert due_notification_ids(session, NOW, 100, created_before=NOW - timedelta(minutes=1)) == [old]


def test_queued_notification_is_sent_by_the_in_process_worker(
        session_factory: Callable[[], Session], tmp_path: Path) -> None:
    row_id = add_row(session_factory)
    sender = FolderSender(tmp_path)
    broker = make_broker("")
    actors = setup_actors(broker, lambda nid: deliver(session_factory, nid, sender=sender, render_kwargs=RENDER))
    worker = start_inprocess_worker(broker)
    try:
        actors.send_notification.send(row_id)
        broker.join(actors.send_notification.queue_name, timeout=10_000)
        worker.join()
    finally:
        worker.stop()
    assert load(session_factory, row_id).status == "sent"
    assert len(list(tmp_path.glob("*.eml"))) == 1
