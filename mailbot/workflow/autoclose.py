"""Automatic closing (SPEC §2): a solved ticket nobody answered is closed after the delay,
its waiting solution accepted, and everyone concerned is told."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from mailbot.workflow import tickets as acts
from mailbot.workflow.events import Event
from mailbot.workflow.models import Ticket
from mailbot.workflow.planning import cancellations
from mailbot.workflow.states import Status


def close_automatically(ticket: Ticket, now: datetime, why: str, caused_by: int | None = None) -> Event:
    """The closing, with its event; `caused_by`: the user whose mail closed it at once (a #solve
    under MAILBOT_AUTOCLOSE_HOURS=0): the others read that that person closed it, and that
    person is told nothing beyond the confirmation of their commands."""
    for solution in ticket.solutions:
        if solution.status == "waiting":
            solution.status, solution.decided_at = "accepted", now
    acts.move(ticket, "autoclose", by=None, why=why, now=now)
    return Event("closed", ticket.id, caused_by, context={"text": "", "automatic": caused_by is None,
                                                         "invitations": cancellations(ticket, now)})


def due_ticket_ids(session: Session, now: datetime, hours: float, limit: int = 500) -> list[int]:
    if hours < 0:
        return []
    cutoff = now - timedelta(hours=hours)
    return list(session.scalars(select(Ticket.id).where(
        Ticket.status == Status.SOLVED.value, Ticket.solved_at <= cutoff).order_by(Ticket.id).limit(limit)))


def close_if_due(session: Session, ticket_id: int, now: datetime, hours: float) -> Event | None:
    """Close one ticket if it is still due: read again, since a reply may have come meanwhile."""
    ticket = session.get(Ticket, ticket_id, with_for_update=True)
    if ticket is None or ticket.status != Status.SOLVED or hours < 0 or ticket.solved_at is None:
        return None
    if ticket.solved_at > now - timedelta(hours=hours):
        return None
    return close_automatically(ticket, now, f"no answer {hours:g} h after the solution")
