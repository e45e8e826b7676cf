"""The planning: the planned tasks (tasks with a `@ date`) of a technician or of a group between
two moments, as plain values for the web desk, the feeds, the calendar and the mails.

A technician's planning is the planned tasks they wrote (`#task 1h @ 01/12/2026 14h00` plans the
writer's own time); a group's, those written by its technicians. A task without an end lasts its
duration, or DEFAULT_MINUTES when it has none."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from mailbot.workflow.models import Task, Ticket, User

DEFAULT_MINUTES = 60


@dataclass(frozen=True)
class PlannedTask:
    task_id: int
    ticket_id: int
    ticket_title: str
    ticket_status: str
    content: str
    state: str  # information, todo, done
    begin: datetime  # aware UTC
    end: datetime  # aware UTC, after begin
    duration_minutes: int
    technician: str  # the writer's address
    technician_name: str
    private: bool
    created_at: datetime


def task_end(begin: datetime, end: datetime | None, duration_minutes: int) -> datetime:
    """When a planned task ends: its end, else its beginning plus its duration (or the default)."""
    if end is not None and end > begin:
        return end
    return begin + timedelta(minutes=duration_minutes or DEFAULT_MINUTES)


def planned_tasks(session: Session, start: datetime, stop: datetime, *, user_id: int | None = None,
                  group_id: int | None = None, limit: int | None = None) -> list[PlannedTask]:
    """The planned tasks that begin before `stop` and end after `start`, in time order: of the
    technician `user_id`, of the technicians of group `group_id`, or both (either one counts);
    the first `limit` of them (None: all)."""
    if user_id is None and group_id is None:
        raise ValueError("planned_tasks needs a technician, a group or both")
    query = (select(Task, Ticket.title, Ticket.status, User)
             .join(Ticket, Ticket.id == Task.ticket_id).join(User, User.id == Task.author_id)
             # a planned task lasts less than a week: a lower bound a week early keeps the query bounded
             .where(Task.begin.is_not(None), Task.begin < stop, Task.begin >= start - timedelta(days=7))
             .order_by(Task.begin, Task.id))
    if user_id is not None and group_id is not None:
        query = query.where((Task.author_id == user_id) | (User.group_id == group_id))
    elif user_id is not None:
        query = query.where(Task.author_id == user_id)
    else:
        query = query.where(User.group_id == group_id)
    if limit is not None:
        query = query.limit(limit + 50)  # room for tasks that began a while ago and ended before `start`
    planned = []
    for task, title, status, author in session.execute(query):
        assert task.begin is not None  # filtered above
        end = task_end(task.begin, task.end, task.duration_minutes)
        if end <= start:
            continue
        planned.append(PlannedTask(
            task_id=task.id, ticket_id=task.ticket_id, ticket_title=title, ticket_status=status,
            content=task.content, state=task.state, begin=task.begin, end=end,
            duration_minutes=task.duration_minutes, technician=author.email, technician_name=author.name,
            private=task.private, created_at=task.created_at))
    return planned if limit is None else planned[:limit]


def coming_days(session: Session, user_id: int, now: datetime, *, days: float = 7,
                limit: int = 20) -> list[dict[str, Any]]:
    """**Votre planning** as the `#tickets` answer (workflow/desk.py `technician_desk`) and the
    morning digest want it: the technician's next planned tasks as JSON-able dicts
    `{"ticket_id", "title", "begin", "end", "content"}`, ISO 8601 UTC times."""
    return [{"ticket_id": t.ticket_id, "title": t.ticket_title, "begin": t.begin.isoformat(),
             "end": t.end.isoformat(), "content": t.content}
            for t in planned_tasks(session, now, now + timedelta(days=days), user_id=user_id, limit=limit)]


# The iTIP method (RFC 5546) of an invitation and its SEQUENCE: no command moves a task once it
# is written, so an event is planned once (REQUEST, 0) and at most cancelled once (CANCEL, 1).
SEQUENCE = {"REQUEST": 0, "CANCEL": 1}


def invitation_values(task: Task, ticket: Ticket, author: User, method: str, now: datetime) -> dict[str, Any]:
    """What the invitation of a planned task holds, as plain JSON-able values for an outbox row
    (outbound/invitations.py builds the iCalendar part when the mail is sent): the task, the
    technician invited (its writer), the method and the moment it was decided (DTSTAMP)."""
    assert task.begin is not None, "only a planned task has an invitation"
    return {"method": method, "sequence": SEQUENCE[method], "stamp": now.isoformat(),
            "task_id": task.id, "ticket_id": ticket.id, "title": ticket.title, "status": str(ticket.status),
            "content": task.content, "state": task.state, "duration_minutes": task.duration_minutes,
            "begin": task.begin.isoformat(), "end": task_end(task.begin, task.end, task.duration_minutes).isoformat(),
            "technician": author.email, "technician_name": author.name, "private": task.private}


def cancellations(ticket: Ticket, now: datetime) -> list[dict[str, Any]]:
    """The CANCEL of each planned task of `ticket` that has not ended by `now` (the ticket is
    being closed): a past task stays in its technician's calendar as the record of the work."""
    return [invitation_values(task, ticket, task.author, "CANCEL", now) for task in ticket.tasks
            if task.begin is not None and task.author is not None
            and task_end(task.begin, task.end, task.duration_minutes) > now]


def coming_request(task: Task, ticket: Ticket, author: User, now: datetime) -> list[dict[str, Any]]:
    """The REQUEST of a task just planned, when it has not already ended: [] otherwise."""
    if task.begin is None or task_end(task.begin, task.end, task.duration_minutes) <= now:
        return []
    return [invitation_values(task, ticket, author, "REQUEST", now)]
