"""Opening a ticket from a mail (SPEC §1, §2): title, content, requester, observers from
To/Cc, documents, and the creation event with a few knowledge-base articles that may help."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from mailbot.parsers.types import ParsedMessage
from mailbot.workflow import kb, machine_proposals, machines
from mailbot.workflow import tickets as acts
from mailbot.workflow.attachments import AttachmentLimits, attach, stored_ids
from mailbot.workflow.documents import DocumentStore
from mailbot.workflow.events import Answer, Event
from mailbot.workflow.models import Group, StatusChange, Ticket, User
from mailbot.workflow.people import SenderPolicy, observers_from_mail

if TYPE_CHECKING:
    from mailbot.workflow.service import MailResult

FORWARD = re.compile(r"\s*(?:tr|fwd?|wg|enc)\s*:", re.IGNORECASE)
FOLLOWS_PREFIX = {"fr": "Suite du ticket #{id}", "en": "Follow-up of ticket #{id}"}
TITLE_MAX = 500


@dataclass(frozen=True)
class IntakeConfig:
    senders: SenderPolicy
    default_type: str
    language: str
    mailbox: str = ""
    default_group: str = ""  # the group new tickets of this mailbox go to (created when missing)
    inventory_autolink: bool = True  # link the one machine a new mail names (MAILBOT_INVENTORY_AUTOLINK)


class Intake:
    def __init__(self, config: IntakeConfig, store: DocumentStore, limits: AttachmentLimits):
        self.config = config
        self.store = store
        self.limits = limits

    def open(self, session: Session, parsed: ParsedMessage, requester: User, now: datetime, *,
             answered: bool = True, follows: Ticket | None = None, new_text: str | None = None) -> MailResult:
        """`new_text`: the mail's new text as the ticket should keep it, when not as written (a
        technician's new mail without its command lines: workflow/opening.py)."""
        from mailbot.workflow.service import MailResult

        written = parsed.new_text if new_text is None else new_text
        # a forwarded problem (`TR:`, `Fwd:`) is the ticket: keep the forwarded text too
        content = forwarded(parsed, written) if FORWARD.match(parsed.subject) else written
        if follows is not None:
            prefix = FOLLOWS_PREFIX.get(requester.language or self.config.language, FOLLOWS_PREFIX["fr"])
            content = f"{prefix.format(id=follows.id)}\n\n{content}".strip()
        title = (parsed.title or first_line(written) or "(sans objet)")[:TITLE_MAX]
        ticket = Ticket(
            type=self.config.default_type, status="new", title=title, content=content,
            requester_id=requester.id, mailbox=self.config.mailbox,
            follows_ticket_id=follows.id if follows else None, thread_root=parsed.message_id,
            created_at=now, updated_at=now)
        ticket.requester = requester
        if self.config.default_group:
            ticket.group = _group(session, self.config.default_group)
        # a new ticket's collections are empty: set so, they are never loaded from the database
        ticket.assignees, ticket.documents, ticket.items, ticket.followups = [], [], [], []
        ticket.tasks, ticket.solutions = [], []
        ticket.observers = observers_from_mail(
            session, parsed.to + parsed.cc, policy=self.config.senders, exclude={requester.email}, now=now)
        ticket.history.append(StatusChange(at=now, by_id=requester.id, from_status=None, to_status="new",
                                           why="ticket opened by mail"))
        session.add(ticket)
        session.flush()
        acts.pin(session, ticket)
        acts.remember_message(session, parsed.message_id, ticket)
        before = len(ticket.documents)
        refused = attach(ticket, parsed.attachments, store=self.store, limits=self.limits, now=now)
        answers = refused_attachments(ticket, requester, refused, now) if answered else []
        inventory = self._machines(session, ticket, f"{title}\n{content}", requester.email)
        event = Event("ticket_created", ticket.id, requester.id, context={
            "text": content, "follows_ticket_id": follows.id if follows else None,
            # the new documents, attached to the technicians' notifications when sent (outbound/attaching.py)
            "document_ids": stored_ids(session, ticket.documents[before:]),
            # the requester is shown published articles only; technicians see drafts too
            "kb_articles": kb.suggestions(session, title, content, published_only=True),
            "kb_suggestions": kb.suggestions(session, title, content, published_only=False),
            "inventory": inventory},
            silent_for=() if answered else (requester.id,))
        return MailResult("ticket", ticket.id, events=[event], answers=answers)


    def _machines(self, session: Session, ticket: Ticket, text: str, requester: str) -> dict[str, Any]:
        """The machines the ticket may be about, for the technicians: linked, or proposed."""
        found = machine_proposals.proposals(session, text, requester)
        machine = machine_proposals.to_link(found) if self.config.inventory_autolink else None
        if machine is not None:
            machines.link(ticket, machine)
        return {"linked": [p.values() for p in found if p.machine is machine],
                "proposed": [p.values() for p in found if p.machine is not machine]}


def forwarded(parsed: ParsedMessage, new_text: str) -> str:
    """The whole text of a forwarded problem, its new text (above the forwarded part) as given."""
    whole, written = parsed.text.strip(), parsed.new_text.strip()
    if new_text.strip() == written or not written or written not in whole:
        return whole
    return whole.replace(written, new_text.strip(), 1).strip()


def first_line(text: str, limit: int = 80) -> str:
    for line in text.splitlines():
        if line.strip():
            return line.strip()[:limit]
    return ""


def refused_attachments(ticket: Ticket, sender: User, refused: list[dict[str, str]],
                        now: datetime) -> list[Answer]:
    """A note on the ticket naming each refused attachment, and a word to the sender."""
    if not refused:
        return []
    names = ", ".join(f"{item['filename']} ({item['reason']})" for item in refused)
    acts.add_followup(ticket, author=None, private=False, source="system", now=now,
                      content=f"Attachments not kept: {names}")
    return [Answer("attachment_refused", to=sender.email, ticket_id=ticket.id, language=sender.language,
                   context={"attachments": refused})]


def _group(session: Session, name: str) -> Group:
    found = session.scalar(select(Group).where(Group.name == name))
    if found is None:
        found = Group(name=name)
        session.add(found)
    return found
