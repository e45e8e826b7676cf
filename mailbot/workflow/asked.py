"""What the reading commands of a mail asked for — `#show`, `#doc`, `#documents`, `#tickets`,
`#mesdemandes`, `#search`, `#help` — and the one answer that gives it, as plain values.

The answer's context has a key per section of SECTIONS (None when not asked; `help` is "" then),
`document_ids` (the documents to attach, read again when the mail is sent) and
`documents_asked`. On a ticket the sections ride on the confirmation (`commands_applied`) when
the mail also changed something; otherwise the answer's kind is the first section asked, in
the order of ANSWER_KINDS (its template and subject).

A new reading command plugs in with its CommandSpec (parsers/command_table.py: `reads=True`, and
`needs_ticket=False` to be answered in a new mail too), its row `handlers.on_read` in
workflow/registry.py, a row of SECTIONS here, and a
template part (its answer kind is the section's name unless ANSWER_KINDS says otherwise; map it
to the `asked` template in `outbound/render.TEMPLATE_OF`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from mailbot.parsers import commands as c
from mailbot.workflow import kb, kb_search
from mailbot.workflow.desk import my_requests, technician_desk
from mailbot.workflow.history import ticket_history
from mailbot.workflow.models import Ticket, User


@dataclass
class Asked:
    """Filled by the handlers of the reading commands."""

    commands: list[c.Command] = field(default_factory=list)  # in the order written
    document_ids: list[int] = field(default_factory=list)  # checked to belong to the ticket
    documents: bool = False  # #doc or #documents was written (a ticket may have none)


Builder = Callable[[Session, User, "Ticket | None", list[c.Command], datetime], Any]


def _history(session: Session, user: User, ticket: Ticket | None, commands: list[c.Command], now: datetime) -> Any:
    assert ticket is not None, "#show needs a ticket (CommandSpec.needs_ticket)"
    return ticket_history(ticket)


SEARCH_RESULTS = 5  # articles listed for each #search


def _kb_search(session: Session, user: User, ticket: Ticket | None, commands: list[c.Command],
               now: datetime) -> Any:
    """Each #search's words and its best articles, drafts included (only technicians write #search)."""
    return [{"words": cmd.words, "hits": [kb.hit_json(hit) for hit in kb_search.search(
                session, cmd.words, limit=SEARCH_RESULTS)]}
            for cmd in commands if isinstance(cmd, c.SearchCommand)]


# section (the context key) -> (the commands that ask for it, how to build it)
SECTIONS: dict[str, tuple[frozenset[str], Builder]] = {
    "history": (frozenset({"show"}), _history),
    "tickets_view": (frozenset({"tickets"}), lambda session, user, ticket, cmds, now: technician_desk(session, user, now)),
    "my_requests": (frozenset({"mesdemandes"}), lambda session, user, ticket, cmds, now: my_requests(session, user)),
    "kb_search": (frozenset({"search"}), _kb_search),
    "help": (frozenset({"help"}), lambda session, user, ticket, cmds, now: c.help_text(user.language or "fr")),
}
# The kind of an answer that changed nothing: its first section asked, in this order.
ANSWER_KINDS = (("history", "ticket_history"), ("documents", "documents"), ("tickets_view", "tickets_view"),
                ("my_requests", "my_requests"), ("kb_search", "kb_search"), ("help", "help"))


def answer_context(session: Session, user: User, ticket: Ticket | None, asked: Asked,
                   now: datetime) -> dict[str, Any]:
    context: dict[str, Any] = {"document_ids": list(dict.fromkeys(asked.document_ids)),
                               "documents_asked": asked.documents}
    for name, (commands, build) in SECTIONS.items():
        mine = [cmd for cmd in asked.commands if cmd.command in commands]
        context[name] = build(session, user, ticket, mine, now) if mine else None
    context["help"] = context["help"] or ""
    return context


def answer_kind(context: dict[str, Any]) -> str | None:
    """The kind of the answer to a mail that asked for something and changed nothing."""
    present = [name for name in SECTIONS if context.get(name)] + (["documents"] if context["documents_asked"] else [])
    ordered = dict(ANSWER_KINDS)
    # a section ANSWER_KINDS does not name comes last, and its answer kind is its own name
    return next((ordered.get(name, name) for name in sorted(present, key=lambda n: list(ordered).index(n)
                                                            if n in ordered else len(ordered))), None)
