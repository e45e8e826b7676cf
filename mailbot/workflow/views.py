"""Read-only views of tickets for the command line: the JSON shape of SPEC §7 and the
technicians' lists (personal, group, global)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Select, false, func, select
from sqlalchemy.orm import Session, selectinload

from mailbot.errors import NotFound
from mailbot.workflow.machines import item_label, machine_json
from mailbot.workflow.models import Document, Ticket, User, ticket_assignees
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
