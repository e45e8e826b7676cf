"""Send outbox rows in batches: claim them atomically, render, send, mark them sent, failed or due again later.

The outbox is the source of truth and the relay (`due_notification_ids`, run by `mailbot run`)
is the one retry mechanism: a queue message is only a nudge to try a row now.

| what happened | the row becomes |
|---|---|
| the server took it | `sent` |
| a permanent refusal (`5xx`), or it cannot be rendered | `failed` at once, with the answer |
| a temporary failure (`4xx`, no connection), attempts left | `pending`, due after `retry_delay` |
| a temporary failure at the `max_attempts`-th attempt | `failed`, with that last answer |
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import Message
from typing import Any, cast

from sqlalchemy import ColumnElement, CursorResult, and_, or_, select, update
from sqlalchemy.orm import Session

from mailbot.backoff import capped_delay
from mailbot.errors import DeliveryError
from mailbot.outbound.attaching import DocumentAttacher
from mailbot.outbound.render import render
from mailbot.outbound.senders import Sender
from mailbot.workflow.models import Notification

log = logging.getLogger(__name__)

FIRST_RETRY = timedelta(seconds=30)
LONGEST_RETRY = timedelta(hours=1)
# With the delays above: about 2 days and 5 hours from the first attempt to the last.
MAX_ATTEMPTS = 60
# How long a worker owns a row it is sending; a worker killed mid-send frees it after this.
CLAIM = timedelta(minutes=5)


def retry_delay(attempts: int, *, first: timedelta = FIRST_RETRY, longest: timedelta = LONGEST_RETRY) -> timedelta:
    """30 s after the first failure, doubling each time, never more than an hour."""
    return timedelta(seconds=capped_delay(attempts, first.total_seconds(), longest.total_seconds()))


def _claimable(now: datetime):
    return or_(Notification.status == "pending",
               and_(Notification.status == "sending", Notification.claimed_until < now))


def deliver(session_factory: Callable[[], Session], notification_id: int, *, sender: Sender,
            render_kwargs: Mapping[str, Any], now: datetime | None = None,
            first_retry: timedelta = FIRST_RETRY, longest_retry: timedelta = LONGEST_RETRY,
            claim: timedelta = CLAIM, max_attempts: int = MAX_ATTEMPTS,
            attacher: DocumentAttacher | None = None) -> str:
    """Send the notification unless it is no longer pending; returns its resulting status.

    `deliver_batch` of one row: a temporary failure re-raises the DeliveryError once the row is
    back to `pending` with its next attempt time (or failed at the `max_attempts`-th attempt)."""
    outcome = deliver_batch(session_factory, [notification_id], sender=sender, render_kwargs=render_kwargs,
                            now=now, first_retry=first_retry, longest_retry=longest_retry, claim=claim,
                            max_attempts=max_attempts, attacher=attacher)[notification_id]
    if outcome.retry is not None:
        raise outcome.retry
    return outcome.status


@dataclass(frozen=True)
class Outcome:
    """What became of one row of a batch; `retry` is the temporary failure it waits out."""

    status: str
    retry: DeliveryError | None = None


def deliver_batch(session_factory: Callable[[], Session], notification_ids: Sequence[int], *, sender: Sender,
                  render_kwargs: Mapping[str, Any], now: datetime | None = None,
                  first_retry: timedelta = FIRST_RETRY, longest_retry: timedelta = LONGEST_RETRY,
                  claim: timedelta = CLAIM, max_attempts: int = MAX_ATTEMPTS,
                  attacher: DocumentAttacher | None = None) -> dict[int, Outcome]:
    """Send the rows among `notification_ids` that are still pending; returns each id's outcome.

    The rows are claimed (`pending` -> `sending`) by one conditional UPDATE, committed before
    any is sent: of two workers racing for a row, exactly one sends it. They are then rendered
    and handed to the sender in one go (`Sender.batch`: one SMTP connection for the batch, one
    flush to disk for the outbox folder), and the sent ones are marked by one UPDATE and one
    commit. A worker that dies in the middle leaves its rows `sending`; when the claim runs out
    the relay takes them again (at least once: see docs/BEHAVIOUR.md on duplicates).
    A temporary failure puts its row back to `pending` with `next_attempt_at` set, unless it was
    the `max_attempts`-th attempt: then, as after a permanent one, the row is failed with the
    server's answer. `attacher` reads the documents a row names (outbound/attaching.py).
    """
    when = now or datetime.now(UTC)
    ids = list(dict.fromkeys(notification_ids))
    outcomes: dict[int, Outcome] = {}
    with session_factory() as session:
        rows = _claim(session, ids, when, claim)
        session.commit()
        for notification_id in set(ids) - {row.id for row in rows}:
            status = session.scalar(select(Notification.status).where(Notification.id == notification_id))
            if status is None:
                log.warning("notification %s does not exist", notification_id)
            outcomes[notification_id] = Outcome(status or "missing")
        sent: list[Any] = []
        try:
            with _batch_of(sender) as send:
                for row in rows:
                    try:
                        documents = attacher.plan(session, row.context or {}) if attacher is not None else None
                        message = render(row, **render_kwargs, documents=documents)
                    except Exception as exc:  # a template or context bug: retrying cannot fix it
                        log.exception("notification %s cannot be rendered", row.id)
                        outcomes[row.id] = Outcome(_finish(session, row, "failed", f"cannot render: {exc}"))
                        continue
                    try:
                        send(message, row.recipient)
                    except DeliveryError as exc:
                        outcomes[row.id] = _failed(session, row, exc, when, first_retry, longest_retry,
                                                   max_attempts)
                        continue
                    sent.append(row)
        except DeliveryError as exc:  # the batch could not be flushed: none of it was handed over
            for row in sent:
                outcomes[row.id] = _failed(session, row, exc, when, first_retry, longest_retry, max_attempts)
            sent = []
        # leaving the batch flushed it: only now are the rows handed over for good
        _mark_sent(session, [row.id for row in sent], now or datetime.now(UTC))
        session.commit()
    outcomes.update((row.id, Outcome("sent")) for row in sent)
    return outcomes


def _batch_of(sender: Sender) -> AbstractContextManager[Callable[[Message, str], None]]:
    """The sender's batch (one connection, one flush), or its `send` for a sender without one."""
    batch = getattr(sender, "batch", None)
    return batch() if batch is not None else nullcontext(sender.send)


def _failed(session: Session, row: Any, exc: DeliveryError, when: datetime, first_retry: timedelta,
            longest_retry: timedelta, max_attempts: int) -> Outcome:
    if exc.permanent:
        log.warning("notification %s to %s failed: %s", row.id, row.recipient, exc)
        return Outcome(_finish(session, row, "failed", str(exc)))
    attempts = row.attempts + 1
    if attempts >= max_attempts:
        log.warning("notification %s to %s given up after %d attempt(s): %s", row.id, row.recipient,
                    attempts, exc)
        return Outcome(_finish(session, row, "failed", str(exc), attempts=attempts))
    delay = retry_delay(attempts, first=first_retry, longest=longest_retry)
    _finish(session, row, "pending", str(exc), attempts=attempts, next_attempt_at=when + delay)
    log.info("notification %s to be sent again after %s (attempt %d of %d): %s", row.id,
             delay, attempts, max_attempts, exc)
    return Outcome("pending", retry=exc)


# What rendering, sending and finishing read of a row.
_SENT_COLUMNS = (Notification.id, Notification.event, Notification.recipient, Notification.language,
                 Notification.message_id, Notification.is_answer, Notification.context, Notification.attempts)
# Ids per statement: well under SQLite's 32,766 bound parameters and PostgreSQL's 65,535.
_CHUNK = 500


def _claim(session: Session, notification_ids: list[int], when: datetime, claim: timedelta) -> list[Any]:
    """`pending` -> `sending` and the rows' columns in one statement (UPDATE … RETURNING, on
    PostgreSQL and SQLite ≥ 3.35), oldest first; leaves out the rows another worker has or
    that are no longer pending."""
    rows: list[Any] = []
    for start in range(0, len(notification_ids), _CHUNK):
        chunk = notification_ids[start:start + _CHUNK]
        claiming = (update(Notification)
                    .where(Notification.id.in_(chunk), _claimable(when))
                    .values(status="sending", claimed_until=when + claim)
                    .execution_options(synchronize_session=False))
        if session.get_bind().dialect.update_returning:
            rows += session.execute(claiming.returning(*_SENT_COLUMNS)).all()
            continue
        if cast(CursorResult[Any], session.execute(claiming)).rowcount:  # an UPDATE gives a CursorResult
            rows += session.execute(select(*_SENT_COLUMNS).where(
                Notification.id.in_(chunk), Notification.status == "sending",
                Notification.claimed_until == when + claim)).all()
    return sorted(rows, key=lambda row: row.id)


def _mark_sent(session: Session, notification_ids: list[int], sent_at: datetime) -> None:
    """`sending` -> `sent` for the batch's rows the sender took, in one statement (per 500)."""
    for start in range(0, len(notification_ids), _CHUNK):
        session.execute(update(Notification)
                        .where(Notification.id.in_(notification_ids[start:start + _CHUNK]),
                               Notification.status == "sending")
                        .values(status="sent", last_error="", claimed_until=None, next_attempt_at=None,
                                sent_at=sent_at)
                        .execution_options(synchronize_session=False))


def _finish(session: Session, row: Any, status: str, error: str, **values: Any) -> str:
    """Leave `sending` for `status`; only the claim's owner gets here. Committed with the batch."""
    values.setdefault("attempts", row.attempts + (status == "failed"))
    values.setdefault("next_attempt_at", None)
    session.execute(update(Notification).where(Notification.id == row.id, Notification.status == "sending")
                    .values(status=status, last_error=error, claimed_until=None, **values)
                    .execution_options(synchronize_session=False))
    return status


def due_notification_ids(session: Session, now: datetime, limit: int = 100, *,
                         created_before: datetime | None = None) -> list[int]:
    """Rows to (re)send, oldest first: pending ones never tried or whose retry time has come,
    and `sending` ones whose claim ran out (their worker died mid-send).

    `created_before` leaves out never-tried rows so fresh that their first send is probably
    still queued; a row whose hand-over to the queue failed has `next_attempt_at` set and is
    due at once.
    """
    never_tried: ColumnElement[bool] = Notification.next_attempt_at.is_(None)
    if created_before is not None:
        never_tried = and_(never_tried, Notification.created_at < created_before)
    query = (select(Notification.id)
             .where(or_(and_(Notification.status == "pending",
                             or_(never_tried, Notification.next_attempt_at <= now)),
                        and_(Notification.status == "sending", Notification.claimed_until < now)))
             .order_by(Notification.id)
             .limit(limit))
    return list(session.scalars(query))


def mark_due(session: Session, notification_ids: list[int], when: datetime) -> None:
    """Set when the relay looks at these pending rows again: at once when the queue could not
    take them, a grace period later when they were just handed to it."""
    for start in range(0, len(notification_ids), 500):
        session.execute(update(Notification)
                        .where(Notification.id.in_(notification_ids[start:start + 500]),
                               Notification.status == "pending")
                        .values(next_attempt_at=when)
                        .execution_options(synchronize_session=False))
