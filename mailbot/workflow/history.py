"""A ticket's whole history as plain values, in time order: what `#show` mails to a technician.

Entries (each with `kind` and `at`, ISO time): `opened` (the first mail's text), `followup`
(private ones marked), `task` (state, duration, planning), `document` (number, name, size),
`solution` (proposed), `approved` / `refused` (the requester's answer, with the reason),
`status` (from, to). Things written by one mail share its time and keep this order: status
changes, followups, tasks, documents, solutions.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from mailbot.workflow.machines import item_values
from mailbot.workflow.models import Ticket, User


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _name(user: User | None) -> str:
    """The person's name, else their address; "" for the helpdesk itself."""
    return (user.name or user.email) if user else ""


def ticket_history(ticket: Ticket) -> dict[str, Any]:
    """The ticket's header (people, items, status, total time) and its `entries` in time order."""
    entries: list[dict[str, Any]] = [{"kind": "opened", "at": _iso(ticket.created_at),
                                      "by": _name(ticket.requester), "text": ticket.content}]
    entries += [{"kind": "status", "at": _iso(change.at), "by": _name(change.by),
                 "from": change.from_status, "to": change.to_status}
                for change in ticket.history if change.from_status is not None]
    entries += [{"kind": "followup", "at": _iso(f.created_at), "by": _name(f.author), "text": f.content,
                 "private": f.private, "unprocessed": f.unprocessed} for f in ticket.followups]
    entries += [{"kind": "task", "at": _iso(t.created_at), "by": _name(t.author), "text": t.content,
                 "state": t.state, "duration_minutes": t.duration_minutes, "begin": _iso(t.begin),
                 "end": _iso(t.end), "private": t.private} for t in ticket.tasks]
    entries += [{"kind": "document", "at": _iso(d.created_at), "id": d.id, "filename": d.filename,
                 "size": d.size} for d in ticket.documents]
    for solution in ticket.solutions:
        entries.append({"kind": "solution", "at": _iso(solution.created_at), "by": _name(solution.author),
                        "text": solution.content})
        if solution.status in ("accepted", "refused") and solution.decided_at is not None:
            entries.append({"kind": "approved" if solution.status == "accepted" else "refused",
                            "at": _iso(solution.decided_at), "reason": solution.reason or ""})
    # ISO strings of aware UTC times sort as the times; a stable sort keeps each mail's order
    entries.sort(key=lambda entry: entry["at"] or "")
    return {"id": ticket.id, "title": ticket.title, "status": ticket.status, "type": ticket.type,
            "urgency": ticket.urgency, "requester": _name(ticket.requester),
            "assignees": [_name(u) for u in ticket.assignees], "observers": [_name(u) for u in ticket.observers],
            "items": item_values(ticket), "created_at": _iso(ticket.created_at),
            "total_minutes": sum(t.duration_minutes or 0 for t in ticket.tasks),
            "entries": entries}
