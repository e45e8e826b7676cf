"""A ticket's page content: everything it holds in time order, as one list of entries, with
what the viewer may not see left out (private followups and tasks for anyone but technicians)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from mailbot.workflow.models import Ticket, User


@dataclass(frozen=True)
class Entry:
    kind: str  # created, followup, task, document, solution, status
    at: datetime
    author: str
    text: str = ""
    private: bool = False
    state: str = ""  # task state, solution status
    duration_minutes: int = 0
    begin: datetime | None = None
    end: datetime | None = None
    reason: str | None = None
    from_status: str | None = None
    to_status: str = ""
    document_id: int = 0
    filename: str = ""
    size: int = 0
    unprocessed: bool = False


def _who(user: User | None) -> str:
    return (user.name or user.email) if user else ""


def timeline(ticket: Ticket, *, technician: bool) -> list[Entry]:
    entries = [Entry("created", ticket.created_at, _who(ticket.requester), ticket.content)]
    entries += [Entry("followup", f.created_at, _who(f.author), f.content, private=f.private,
                      unprocessed=f.unprocessed)
                for f in ticket.followups if technician or not f.private]
    entries += [Entry("task", t.created_at, _who(t.author), t.content, private=t.private, state=t.state,
                      duration_minutes=t.duration_minutes, begin=t.begin, end=t.end)
                for t in ticket.tasks if technician or not t.private]
    entries += [Entry("document", d.created_at, "", document_id=d.id, filename=d.filename, size=d.size)
                for d in ticket.documents]
    entries += [Entry("solution", s.created_at, _who(s.author), s.content, state=s.status, reason=s.reason)
                for s in ticket.solutions]
    # the change in the reader's words (statuses as labels); the history's own note (`why`) is the
    # command line's English audit text, shown by `mailbot tickets show`, as the #show mail does
    entries += [Entry("status", h.at, _who(h.by), "", from_status=h.from_status,
                      to_status=h.to_status)
                for h in ticket.history]
    order = {"created": 0, "status": 1, "followup": 2, "task": 3, "document": 4, "solution": 5}
    return sorted(entries, key=lambda e: (e.at, order[e.kind]))


def time_spent(ticket: Ticket, *, technician: bool) -> int:
    """Minutes of the tasks the viewer sees."""
    return sum(t.duration_minutes or 0 for t in ticket.tasks if technician or not t.private)
