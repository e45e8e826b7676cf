"""The morning digest (docs/BEHAVIOUR.md, "The morning digest"): each technician's personal
desk — the two tables of the `#tickets` answer and the day's planning — once a day from
MAILBOT_DIGEST_HOUR, as plain values; the caller writes the mail (outbound/outbox.py).

Once per technician and day: a `Digest` row (unique per technician and day) is written in the
transaction that writes the mail, or alone on a day with nothing to read, so that two
`mailbot run` processes, a restart or `mailbot digest` never send it twice."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from mailbot.workflow.db import savepoint
from mailbot.workflow.desk import is_empty, technician_desk
from mailbot.workflow.models import Digest, User


def due_day(now: datetime, tz: tzinfo, hour: int | None, *, force: bool = False) -> date | None:
    """The day (in `tz`) whose digest is due at `now`: today from `hour` on (or at once with
    `force`); None before the hour, or when the digest is off (`hour` None) and not forced."""
    local = now.astimezone(tz)
    if force or (hour is not None and local.hour >= hour):
        return local.date()
    return None


def end_of(day: date, tz: tzinfo) -> datetime:
    """Midnight at the end of `day` in `tz`, in UTC."""
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz).astimezone(UTC)


def waiting_technicians(session: Session, day: date) -> list[int]:
    """The technicians who have had no digest for `day` yet, by id."""
    done = select(Digest.user_id).where(Digest.day == day)
    return list(session.scalars(select(User.id).where(User.is_technician.is_(True), User.id.not_in(done))
                                .order_by(User.id)))


def claim(session: Session, user_id: int, day: date, now: datetime) -> Digest | None:
    """This technician's digest of `day`, written in the caller's transaction; None when another
    process (or an earlier run) has written it already: then there is nothing to send."""
    row = Digest(user_id=user_id, day=day, created_at=now)
    try:
        with savepoint(session):  # on SQLite a bare SAVEPOINT's RELEASE would commit the claim alone
            session.add(row)
    except IntegrityError:
        if session.scalar(select(Digest.id).where(Digest.user_id == user_id, Digest.day == day)) is None:
            raise  # not the (technician, day) key: a real error
        return None
    return row


def digest_view(session: Session, user: User, now: datetime, day: date, tz: tzinfo) -> dict[str, Any] | None:
    """The digest's desk (`workflow/desk.py` `technician_desk`, the `#tickets` answer's) with the
    planning of the rest of `day`; None when both tables and the planning are empty."""
    until = end_of(day, tz)
    desk = technician_desk(session, user, now, planning_days=max((until - now) / timedelta(days=1), 0))
    return None if is_empty(desk) else desk
