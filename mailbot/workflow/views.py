"""Read-only views of tickets: the JSON shape of SPEC §7, the technicians' lists of the command
line (personal, group, global), and the desk's tables and reading rule (SPEC §9) as plain values."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, false, func, select
from sqlalchemy.orm import Session, selectinload

from mailbot.errors import NotFound
from mailbot.workflow.desk import IN_PROGRESS_STATUSES, in_progress_count, in_progress_query, to_handle_query
from mailbot.workflow.machines import item_label, machine_json
from mailbot.workflow.models import Document, Followup, Task, Ticket, User, ticket_assignees
from mailbot.workflow.states import Status
from mailbot.workflow.tickets import user_by_email

VIEWS = ("personal", "group", "global")


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _email(user: User | None) -> str | None:
    return user.email if user else None


def ticket_json(ticket: Ticket) -> dict[str, Any]:
    return {
        "id": ticket.id, "type": ticket.type, "status": ticket.status, "title": ticket.title,
        "content": ticket.content, "urgency": ticket.urgency,
        "requester": ticket.requester.email,
        "observers": [u.email for u in ticket.observers],
        "assignees": [u.email for u in ticket.assignees],
        "group": ticket.group.name if ticket.group else None,
        "items": [item_label(item) for item in ticket.items],
        "machines": [machine_json(item.machine) for item in ticket.items if item.machine],
        "follows_ticket": ticket.follows_ticket_id,
        "created_at": _iso(ticket.created_at), "updated_at": _iso(ticket.updated_at),
        "solved_at": _iso(ticket.solved_at), "closed_at": _iso(ticket.closed_at),
        "followups": [{"author": _email(f.author), "content": f.content, "private": f.private,
                       "source": f.source, "unprocessed": f.unprocessed, "created_at": _iso(f.created_at)}
                      for f in ticket.followups],
        "tasks": [{"author": _email(t.author), "content": t.content, "state": t.state,
                   "duration_minutes": t.duration_minutes, "begin": _iso(t.begin), "end": _iso(t.end),
                   "private": t.private, "created_at": _iso(t.created_at)} for t in ticket.tasks],
        "documents": [{"id": d.id, "filename": d.filename, "content_type": d.content_type, "size": d.size,
                       "sha256": d.sha256, "inline": d.inline} for d in ticket.documents],
        "solutions": [{"content": s.content, "author": _email(s.author), "status": s.status,
                       "reason": s.reason, "created_at": _iso(s.created_at)} for s in ticket.solutions],
        "history": [{"at": _iso(h.at), "by": _email(h.by), "from": h.from_status, "to": h.to_status,
                     "why": h.why} for h in ticket.history],
    }


def document_json(document: Document) -> dict[str, Any]:
    """A stored document as `mailbot documents list` shows it: under its original name."""
    return {"id": document.id, "ticket": document.ticket_id, "filename": document.filename,
            "size": document.size, "content_type": document.content_type, "sha256": document.sha256,
            "created_at": _iso(document.created_at)}


def list_documents(session: Session, ticket_id: int | None = None) -> list[Document]:
    """Every stored document, or one ticket's (which must exist), oldest first."""
    query = select(Document).order_by(Document.id)
    if ticket_id is not None:
        get_ticket(session, ticket_id)
        query = query.where(Document.ticket_id == ticket_id)
    return list(session.scalars(query))


def get_document(session: Session, document_id: int) -> Document:
    document = session.get(Document, document_id)
    if document is None:
        raise NotFound(f"no document {document_id} (mailbot documents list shows them)")
    return document


def get_ticket(session: Session, ticket_id: int) -> Ticket:
    ticket = session.get(Ticket, ticket_id)
    if ticket is None:
        raise NotFound(f"no ticket #{ticket_id}")
    return ticket


def list_query(session: Session, *, status: str | None = None, view: str = "global",
               as_email: str | None = None, limit: int | None = 200) -> Select[int]:
    """The ids of the tickets a view shows, most recently updated first; open and solved
    tickets unless a status is asked for; at most `limit` of them (None: all).

    personal: assigned to `as_email`; group: in `as_email`'s group; global: all."""
    query = select(Ticket.id)
    if status:
        query = query.where(Ticket.status == Status(status).value)
    else:
        query = query.where(Ticket.status != Status.CLOSED.value)  # the open-tickets index covers this
    if view != "global":
        me = user_by_email(session, as_email or "")
        if me is None:
            raise NotFound(f"no user {as_email!r}: --view {view} needs --as EMAIL of a user")
        if view == "personal":
            assigned = select(ticket_assignees.c.ticket_id).where(
                ticket_assignees.c.user_id == me.id, ticket_assignees.c.ticket_id == Ticket.id)
            query = query.where(assigned.exists())
        else:
            query = query.where(Ticket.group_id == me.group_id) if me.group_id else query.where(false())
    query = query.order_by(Ticket.updated_at.desc(), Ticket.id.desc())
    return query if limit is None else query.limit(limit)


def count_tickets(session: Session, **view: Any) -> int:
    """How many tickets a view holds in all (list_query's arguments, without the limit)."""
    ids = list_query(session, **view, limit=None).order_by(None).subquery()
    return session.scalar(select(func.count()).select_from(ids)) or 0


def list_tickets(session: Session, **view: Any) -> list[Ticket]:
    """The tickets of a view (see list_query): ids first, then only those tickets are loaded."""
    ids = list(session.scalars(list_query(session, **view)))
    if not ids:
        return []
    loaded = {t.id: t for t in session.scalars(
        select(Ticket).options(selectinload(Ticket.assignees), selectinload(Ticket.items))
        .where(Ticket.id.in_(ids))).unique()}
    return [loaded[i] for i in ids]


def summary_json(ticket: Ticket) -> dict[str, Any]:
    return {"id": ticket.id, "status": ticket.status, "title": ticket.title, "type": ticket.type,
            "urgency": ticket.urgency, "requester": ticket.requester.email,
            "assignees": [u.email for u in ticket.assignees], "updated_at": _iso(ticket.updated_at),
            "items": [item_label(item) for item in ticket.items]}


# -- the desk's tables (SPEC §9), as plain values for the web desk and the mails ---------------

IN_PROGRESS = IN_PROGRESS_STATUSES
DESK_VIEWS = ("personal", "group", "global", "all")


@dataclass(frozen=True)
class DeskRow:
    """One line of a desk table: ID, requester, associated items, description, status, last change."""

    id: int
    status: str
    title: str
    requester: str
    requester_email: str
    items: tuple[tuple[str | None, str], ...]  # (machine type or None, name): labelled in the reader's language
    followups: int
    tasks: int
    updated_at: datetime


@dataclass(frozen=True)
class DeskTable:
    """`key`: in_progress (“Vos tickets en cours”), to_handle (“Tickets à traiter”), all, requested;
    `total`: how many tickets the table holds in all, `rows` at most the limit of them."""

    key: str
    total: int
    rows: tuple[DeskRow, ...]


def _desk_filters(view: str, me: User) -> list[tuple[str, list[Any], Any]]:
    """The tables of a tab: key, conditions and, when counting them another way is cheaper, the
    statement that counts them (see docs/BEHAVIOUR.md, the web desk). The personal tab is the one
    of the `#tickets` answer: its two tables are workflow/desk.py's queries."""
    in_progress = Ticket.status.in_(IN_PROGRESS)
    new = Ticket.status == Status.NEW.value
    group = [Ticket.group_id == me.group_id] if me.group_id else [false()]
    if view == "personal":
        return [("in_progress", [in_progress_query(me).whereclause], in_progress_count(me)),
                ("to_handle", [to_handle_query(me).whereclause], None)]
    if view == "group":
        return [("in_progress", [in_progress, *group], None), ("to_handle", [new, *group], None)]
    if view == "global":
        return [("in_progress", [in_progress], None), ("to_handle", [new], None)]
    if view == "all":
        return [("all", [], None)]
    raise ValueError(f"unknown view {view!r}: one of {', '.join(DESK_VIEWS)}")


def _table(session: Session, key: str, conditions: list[Any], limit: int, count: Any = None) -> DeskTable:
    ids_query = select(Ticket.id).where(*conditions)
    total = session.scalar(count if count is not None else select(func.count()).select_from(ids_query.subquery())) or 0
    # every ticket: newest first, by the primary key (no index sorts all tickets by last change)
    order = (Ticket.id.desc(),) if key == "all" else (Ticket.updated_at.desc(), Ticket.id.desc())
    # an empty table needs no second look (finding no row newest first reads them all again)
    ids = list(session.scalars(ids_query.order_by(*order).limit(limit))) if total else []
    return DeskTable(key, total, tuple(desk_rows(session, ids)))


def desk_tables(session: Session, view: str, me: User, *, limit: int = 50) -> list[DeskTable]:
    """The tables of the home page's tab `view` (DESK_VIEWS) for technician `me`."""
    return [_table(session, key, conditions, limit, count) for key, conditions, count in _desk_filters(view, me)]


def requested_table(session: Session, me: User, *, limit: int = 100) -> DeskTable:
    """“Mes demandes”: the tickets `me` asked for, whatever their status."""
    return _table(session, "requested", [Ticket.requester_id == me.id], limit)


def desk_rows(session: Session, ids: list[int]) -> list[DeskRow]:
    """The rows of these tickets, in the order of `ids`, with their followup and task counts."""
    if not ids:
        return []
    tickets = {t.id: t for t in session.scalars(
        select(Ticket).options(selectinload(Ticket.items)).where(Ticket.id.in_(ids))).unique()}
    followups = dict(session.execute(select(Followup.ticket_id, func.count()).where(
        Followup.ticket_id.in_(ids)).group_by(Followup.ticket_id)).all())
    tasks = dict(session.execute(select(Task.ticket_id, func.count()).where(
        Task.ticket_id.in_(ids)).group_by(Task.ticket_id)).all())
    return [DeskRow(id=t.id, status=t.status, title=t.title, requester=t.requester.name or t.requester.email,
                    requester_email=t.requester.email,
                    items=tuple((item.machine.type if item.machine else None, item.name) for item in t.items),
                    followups=followups.get(t.id, 0), tasks=tasks.get(t.id, 0), updated_at=t.updated_at)
            for t in (tickets[i] for i in ids)]


def may_read(ticket: Ticket, user: User) -> bool:
    """Who may read a ticket's page and documents: every technician; otherwise its requester
    and its observers (who receive its public mails anyway), never anyone else."""
    return (user.is_technician or ticket.requester_id == user.id
            or any(observer.id == user.id for observer in ticket.observers))
