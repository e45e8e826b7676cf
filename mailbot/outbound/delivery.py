"""Send one outbox row: lock and reload it, render, send, mark it sent, failed or due again later."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from mailbot.errors import DeliveryError
from mailbot.outbound.render import render
from mailbot.outbound.senders import Sender
from mailbot.workflow.models import Notification

log = logging.getLogger(__name__)

FIRST_RETRY = timedelta(seconds=30)
LONGEST_RETRY = timedelta(hours=1)


def retry_delay(attempts: int) -> timedelta:
    """30 s after the first failure, doubling each time, never more than an hour."""
    return min(FIRST_RETRY * 2 ** max(attempts - 1, 0), LONGEST_RETRY)


def deliver(session_factory: Callable[[], Session], notification_id: int, *, sender: Sender,
            render_kwargs: Mapping[str, Any], now: datetime | None = None) -> str:
    """Send the notification unless it is no longer pending; returns its resulting status.

    A temporary failure leaves it pending with `next_attempt_at` set and re-raises the
    DeliveryError so that the queue retries; a permanent one marks it failed.
    """
    with session_factory() as session:
        # The row lock (PostgreSQL) keeps two workers from sending the same mail at once:
        # the second one waits, then sees it sent.
        row = session.execute(
            select(Notification).where(Notification.id == notification_id).with_for_update()
        ).scalar_one_or_none()
        if row is None:
            log.warning("notification %s does not exist", notification_id)
            return "missing"
        if row.status != "pending":
            return row.status
        try:
            message = render(row, **render_kwargs)
        except Exception as exc:  # a template or context bug: retrying cannot fix it
            log.exception("notification %s cannot be rendered", notification_id)
            return _mark_failed(session, row, f"cannot render: {exc}")
        try:
            sender.send(message, row.recipient)
        except DeliveryError as exc:
            if exc.permanent:
                log.warning("notification %s to %s failed: %s", row.id, row.recipient, exc)
                return _mark_failed(session, row, str(exc))
            when = now or datetime.now(UTC)
            row.attempts += 1
            row.last_error = str(exc)
            row.next_attempt_at = when + retry_delay(row.attempts)
            session.commit()
            log.info("notification %s to be sent again: %s", notification_id, exc)
            raise
        row.status = "sent"
        row.sent_at = now or datetime.now(UTC)
        row.last_error = ""
        row.next_attempt_at = None
        session.commit()
        return "sent"


def _mark_failed(session: Session, row: Notification, error: str) -> str:
    row.attempts += 1
    row.status = "failed"
    row.last_error = error
    row.next_attempt_at = None
    session.commit()
    return "failed"


def due_notification_ids(session: Session, now: datetime, limit: int = 100, *,
                         created_before: datetime | None = None) -> list[int]:
    """Pending rows whose next attempt is due (never tried, or retry time past), oldest first.

    `created_before` leaves out rows so fresh that their first send is probably still queued.
    """
    query = (select(Notification.id)
             .where(Notification.status == "pending",
                    or_(Notification.next_attempt_at.is_(None), Notification.next_attempt_at <= now))
             .order_by(Notification.id)
             .limit(limit))
    if created_before is not None:
        query = query.where(Notification.created_at < created_before)
    return list(session.scalars(query))
