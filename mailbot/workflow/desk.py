"""The technician's desk and a requester's own tickets, as plain values (SPEC §9).

`technician_desk` gives the seed's home page tables, **Vos tickets en cours** and **Tickets à
traiter**, and a place for **Votre planning**; `my_requests` gives a requester's tickets and
their status. They are the one source of these lists: the `#tickets` and `#mesdemandes` mail
answers use them today, a web page and the morning digest can use them as they are (plain
dicts and lists, JSON-able, no ORM object).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.orm import Session, selectinload

from mailbot.workflow.machines import item_values
from mailbot.workflow.models import Followup, Task, Ticket, User, ticket_assignees, ticket_observers
from mailbot.workflow.planning import coming_days
from mailbot.workflow.states import Status

# At most this many tickets per table; the count says how many there are in all.
LIMIT = 50
# Open: `_open` (neither solved nor closed), as lists of statuses; "in progress" is taken by someone.
IN_PROGRESS_STATUSES = (Status.ASSIGNED.value, Status.PLANNED.value, Status.WAITING.value)
OPEN_STATUSES = (Status.NEW.value, *IN_PROGRESS_STATUSES)


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _counts(session: Session, model: type[Followup] | type[Task], ids: list[int]) -> dict[int, int]:
    rows = session.execute(select(model.ticket_id, func.count()).where(model.ticket_id.in_(ids))
                           .group_by(model.ticket_id))
    return {ticket_id: count for ticket_id, count in rows}


def _table(session: Session, query: Select[int], limit: int, count: Select[int] | None = None) -> dict[str, Any]:
    """`{"count": N, "tickets": [row, …]}` for the ticket ids `query` selects, most recently
    updated first; `count`, when given, counts the same tickets another way (`in_progress_count`).
    Each row as the seed's columns: ID, requester, associated items, description
    (title, then the followup and task counts); items as `machines.item_values` (the template
    labels them in the reader's language)."""
    total = session.scalar(count if count is not None else select(func.count()).select_from(query.subquery())) or 0
    # an empty table needs no second look (finding no row newest first reads them all again)
    ids = list(session.scalars(query.order_by(Ticket.updated_at.desc(), Ticket.id.desc()).limit(limit))) \
        if total else []
    loaded = {t.id: t for t in session.scalars(
        select(Ticket).options(selectinload(Ticket.items)).where(Ticket.id.in_(ids)))} if ids else {}
    followups, tasks = _counts(session, Followup, ids), _counts(session, Task, ids)
    rows = []
    for ticket_id in ids:
        ticket = loaded[ticket_id]
        rows.append({"id": ticket.id, "status": ticket.status, "title": ticket.title,
                     "requester": ticket.requester.name or ticket.requester.email,
                     "requester_email": ticket.requester.email,
                     "items": item_values(ticket),
                     "followups": followups.get(ticket.id, 0), "tasks": tasks.get(ticket.id, 0),
                     "updated_at": _iso(ticket.updated_at)})
    return {"count": total, "tickets": rows}


def _open() -> Any:
    """Open: not solved, not closed. Written as `<> 'closed'` first, the open-tickets index's own
    condition, so that PostgreSQL and SQLite may use that index."""
    return and_(Ticket.status != Status.CLOSED.value, Ticket.status != Status.SOLVED.value)


def _assigned(user: User) -> Select[Any]:
    return select(ticket_assignees.c.ticket_id).where(
        ticket_assignees.c.user_id == user.id, ticket_assignees.c.ticket_id == Ticket.id)


def _observing(user: User) -> Select[Any]:
    return select(ticket_observers.c.ticket_id).where(
        ticket_observers.c.user_id == user.id, ticket_observers.c.ticket_id == Ticket.id)


def _involves(user: User) -> Any:
    """`user` is the ticket's requester, one of its observers or one of its assignees.

    Each `EXISTS` carries an `OFFSET 0`, which changes nothing of its answer: without it
    PostgreSQL answers an `EXISTS` under `OR` by reading all of the user's assignments into a
    hash first (50,000 rows, 15 ms for a busy technician at 1M tickets), although the newest 50
    open tickets are found after a hundred or two one-row lookups (0.4 ms); with it, it looks
    each ticket up (docs/BENCHMARKS.md, the web desk)."""
    return or_(Ticket.requester_id == user.id, _assigned(user).offset(0).exists(),
               _observing(user).offset(0).exists())


def in_progress_query(user: User) -> Select[int]:
    """Vos tickets en cours: open tickets (new, assigned, planned, waiting) where `user` is the
    requester, an observer or an assignee."""
    return select(Ticket.id).where(_open(), _involves(user))


def in_progress_count(user: User) -> Select[int]:
    """How many tickets `in_progress_query` selects, counted as disjoint parts: the tickets in
    progress `user` is assigned to, the new ones they are assigned to, the open ones they observe
    without being assigned, those they asked for without either. The first two merge the user's
    assignments (`ix_ticket_assignees_user`) with ticket ids in order (`ix_tickets_in_progress_id`,
    `ix_tickets_status_id`); the last two are small. Filtering every open ticket by the three
    conditions instead reads them all from the table (docs/BENCHMARKS.md, the web desk)."""
    def assigned(status: Any) -> Any:
        return select(func.count()).select_from(Ticket).join(
            ticket_assignees, ticket_assignees.c.ticket_id == Ticket.id).where(
            ticket_assignees.c.user_id == user.id, status).scalar_subquery()

    open_ = Ticket.status.in_(OPEN_STATUSES)
    observing = select(func.count()).select_from(Ticket).join(
        ticket_observers, ticket_observers.c.ticket_id == Ticket.id).where(
        ticket_observers.c.user_id == user.id, open_, ~_assigned(user).exists()).scalar_subquery()
    asked = select(func.count()).select_from(Ticket).where(
        Ticket.requester_id == user.id, open_, ~_assigned(user).exists(), ~_observing(user).exists()).scalar_subquery()
    return select(assigned(Ticket.status.in_(IN_PROGRESS_STATUSES)) + assigned(Ticket.status == Status.NEW.value)
                  + observing + asked)


def to_handle_query(user: User) -> Select[int]:
    """Tickets à traiter: new tickets nobody has taken, of `user`'s group, or of everyone when
    they have no group; those already in their own table (`_involves`) left out — as nobody has
    taken them, that leaves out the ones `user` asked for or observes. The new tickets' own index
    (`ix_tickets_new`) holds all the columns this reads."""
    nobody = ~select(ticket_assignees.c.ticket_id).where(ticket_assignees.c.ticket_id == Ticket.id).exists()
    query = select(Ticket.id).where(Ticket.status == Status.NEW.value, nobody, Ticket.requester_id != user.id,
                                    ~_observing(user).exists())
    return query if user.group_id is None else query.where(Ticket.group_id == user.group_id)


def technician_desk(session: Session, user: User, now: datetime, *, limit: int = LIMIT,
                    planning_days: float = 7) -> dict[str, Any]:
    """The seed's personal view of `user`: `in_progress` and `to_handle` tables (see `_table`),
    and `planning`, the planned tasks of **Votre planning** in the `planning_days` from `now`
    (workflow/planning.py `coming_days`: `{"ticket_id", "title", "begin", "end", "content"}`)."""
    return {"in_progress": _table(session, in_progress_query(user), limit, in_progress_count(user)),
            "to_handle": _table(session, to_handle_query(user), limit),
            "planning": coming_days(session, user.id, now, days=planning_days),
            "limit": limit}


def is_empty(desk: dict[str, Any]) -> bool:
    """Nothing to read: both tables and the planning are empty."""
    return not (desk["in_progress"]["count"] or desk["to_handle"]["count"] or desk["planning"])


def my_requests(session: Session, user: User, *, limit: int = LIMIT) -> dict[str, Any]:
    """*Mes demandes*: the tickets `user` opened, closed ones too, most recently updated first,
    each with its status; nothing of their followups (a private one must never show)."""
    query = select(Ticket.id).where(Ticket.requester_id == user.id)
    count = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    tickets = session.scalars(select(Ticket).where(Ticket.requester_id == user.id)
                              .order_by(Ticket.updated_at.desc(), Ticket.id.desc()).limit(limit))
    return {"count": count, "limit": limit,
            "tickets": [{"id": t.id, "title": t.title, "status": t.status, "created_at": _iso(t.created_at),
                         "updated_at": _iso(t.updated_at)} for t in tickets]}
