"""Delivering outbox rows: sent once and never again, temporary failures retried later, permanent ones failed."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import create_engine
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import StaticPool

from mailbot.config import load_settings
from mailbot.errors import ConfigError, DeliveryError
from mailbot.outbound.actors import setup_actors, start_inprocess_worker
from mailbot.outbound.broker import make_broker
from mailbot.outbound.delivery import deliver, due_notification_ids, retry_delay
from mailbot.outbound.senders import FolderSender
from mailbot.workflow.models import Base, Notification
from tests.conftest import clean_settings

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


class AlwaysBusy:
    """An SMTP server that answers 451 to every attempt, numbering its answers."""

    def __init__(self) -> None:
        self.attempts = 0

    def send(self, message: EmailMessage, recipient: str) -> None:
        self.attempts += 1
        raise DeliveryError(f"451 4.3.0 Mailbox busy (answer {self.attempts})", permanent=False)


def fail_until_given_up(session_factory: Callable[[], Session], row_id: int, sender: AlwaysBusy,
                        **options: Any) -> tuple[list[timedelta], str]:
    """Attempt the row each time it is due, as the relay would, until it is no longer pending
    (or a few attempts past `max_attempts`); returns the waits between attempts and the last status."""
    now, waits = NOW, []
    for _ in range(options["max_attempts"] + 5):
        try:
            status = deliver(session_factory, row_id, sender=sender, render_kwargs=RENDER, now=now, **options)
        except DeliveryError:
            row = load(session_factory, row_id)
            assert row.status == "pending" and row.next_attempt_at is not None
            waits.append(row.next_attempt_at - now)
            now = row.next_attempt_at
            continue
        return waits, status
    return waits, load(session_factory, row_id).status


@pytest.mark.slow
def test_5000_temporary_failures_wait_at_most_the_longest_delay_then_the_row_is_failed(
        session_factory: Callable[[], Session]) -> None:
    row_id = add_row(session_factory)
    sender = AlwaysBusy()

    waits, status = fail_until_given_up(session_factory, row_id, sender, max_attempts=5000)

    assert sender.attempts == 5000 and len(waits) == 4999 and status == "failed"
    assert all(timedelta(0) < wait <= timedelta(hours=1) for wait in waits)
    assert waits[:3] == [timedelta(seconds=30), timedelta(seconds=60), timedelta(seconds=120)]
    row = load(session_factory, row_id)
    assert (row.status, row.attempts, row.last_error) == ("failed", 5000, "451 4.3.0 Mailbox busy (answer 5000)")
    assert row.next_attempt_at is None


def test_with_the_default_settings_a_notification_is_given_up_after_about_two_days(
        session_factory: Callable[[], Session]) -> None:
    settings = clean_settings()
    row_id = add_row(session_factory)
    sender = AlwaysBusy()

    waits, status = fail_until_given_up(
        session_factory, row_id, sender, max_attempts=settings.delivery_max_attempts,
        first_retry=timedelta(seconds=settings.retry_first_seconds),
        longest_retry=timedelta(seconds=settings.retry_max_seconds))

    assert status == "failed" and sender.attempts == settings.delivery_max_attempts == 60
    assert timedelta(days=2) < sum(waits, timedelta(0)) < timedelta(days=3)  # docs/OPERATIONS.md: ~2 days 5 h
    with session_factory() as session:
        assert due_notification_ids(session, NOW + timedelta(days=30), 100) == []  # the relay never takes it again
    assert deliver(session_factory, row_id, sender=FakeSender(), render_kwargs=RENDER, now=NOW) == "failed"


def test_a_permanent_refusal_fails_at_the_first_attempt_whatever_attempts_are_left(
        session_factory: Callable[[], Session]) -> None:
    row_id = add_row(session_factory)
    sender = FakeSender(DeliveryError("550 5.1.1 No such user", permanent=True))

    assert deliver(session_factory, row_id, sender=sender, render_kwargs=RENDER, now=NOW, max_attempts=60) == "failed"
    assert load(session_factory, row_id).attempts == 1


def test_retry_delay_stays_at_one_hour_for_5000_attempts() -> None:
    assert {retry_delay(n) for n in range(8, 5001)} == {timedelta(hours=1)}


def test_max_attempts_below_one_is_refused_naming_the_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MAILBOT_DELIVERY_MAX_ATTEMPTS", "0")
    with pytest.raises(ConfigError, match="^MAILBOT_DELIVERY_MAX_ATTEMPTS: "):
        load_settings()


def test_a_batch_is_claimed_sent_and_marked_together_and_one_refusal_does_not_hold_back_the_others(
        session_factory: Callable[[], Session]) -> None:
    from mailbot.outbound.delivery import deliver_batch

    ids = [add_row(session_factory) for _ in range(4)]
    already = add_row(session_factory, status="sent")
    sender = FakeSender(DeliveryError("550 5.1.1 mailbox unknown", permanent=True))
    outcomes = deliver_batch(session_factory, [*ids, already], sender=sender, render_kwargs=RENDER, now=NOW)
    assert {i: o.status for i, o in outcomes.items()} == {ids[0]: "failed", ids[1]: "sent", ids[2]: "sent",
                                                          ids[3]: "sent", already: "sent"}
    assert len(sender.sent) == 3  # the row already sent is not sent again
    assert [load(session_factory, i).status for i in ids] == ["failed", "sent", "sent", "sent"]
    assert load(session_factory, ids[1]).sent_at is not None


def test_an_outbox_folder_batch_that_cannot_be_flushed_leaves_its_rows_to_be_sent_again(
        session_factory: Callable[[], Session], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from mailbot.outbound import senders
    from mailbot.outbound.delivery import deliver_batch

    ids = [add_row(session_factory) for _ in range(3)]
    sender = FolderSender(tmp_path)

    def full_disk(folder: Path, names: list[str]) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(senders, "_flush_to_disk", full_disk)
    outcomes = deliver_batch(session_factory, ids, sender=sender, render_kwargs=RENDER, now=NOW)
    assert {o.status for o in outcomes.values()} == {"pending"}
    assert list(tmp_path.iterdir()) == []  # no half-written mail left in the folder
    monkeypatch.undo()
    later = NOW + timedelta(hours=1)
    assert {o.status for o in deliver_batch(session_factory, ids, sender=sender, render_kwargs=RENDER,
                                            now=later).values()} == {"sent"}
    assert len(list(tmp_path.glob("*.eml"))) == 3


@pytest.mark.parametrize("syncfs", [True, False])
def test_an_outbox_folder_batch_is_written_whole_with_one_flush_or_an_fsync_per_file(
        session_factory: Callable[[], Session], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, syncfs: bool) -> None:
    from mailbot.outbound import senders
    from mailbot.outbound.delivery import deliver_batch

    if not syncfs:  # a system without syncfs(2)
        monkeypatch.setattr(senders, "_SYNCFS", None)
    ids = [add_row(session_factory) for _ in range(3)]
    outcomes = deliver_batch(session_factory, ids, sender=FolderSender(tmp_path), render_kwargs=RENDER, now=NOW)
    assert {o.status for o in outcomes.values()} == {"sent"}
    assert len(list(tmp_path.glob("*.eml"))) == 3 and not list(tmp_path.glob(".tmp-*"))
