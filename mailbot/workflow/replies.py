"""A mail about an existing ticket (SPEC §2–§5): a followup by a participant, technician
commands, the requester's answer to a solution, a new ticket when the old one is closed, or
a reply by someone who takes no part in the ticket, kept as a private note and refused."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from sqlalchemy.orm import Session

from mailbot.parsers.approval import is_thank_you
from mailbot.parsers.types import Address, ParsedMessage
from mailbot.workflow import tickets as acts
from mailbot.workflow.attachments import attach, stored_ids
from mailbot.workflow.events import Answer, Event
from mailbot.workflow.intake import Intake, refused_attachments
from mailbot.workflow.models import Ticket, User
from mailbot.workflow.states import Status

# A technician's commands count only from an address that names the author; one found in
# Reply-To or Return-Path makes a plain followup (docs/BEHAVIOUR.md, "Who sent a mail").
AUTHOR_HEADERS = ("from", "sender")

if TYPE_CHECKING:
    from mailbot.workflow.service import MailResult


def documents_context(session: Session, ticket: Ticket, before: int, author: User) -> dict[str, object]:
    """The event context naming the documents a mail just added (from `ticket.documents[before]`
    on): technicians get them attached; requester and observers too when a technician sent them
    (docs/BEHAVIOUR.md, "Documents by mail")."""
    return {"document_ids": stored_ids(session, ticket.documents[before:]),
            "documents_public": author.is_technician}


class EveryoneCommands(Protocol):
    def __call__(self, session: Session, parsed: ParsedMessage, user: User, now: datetime) -> MailResult | None:
        """Answer a mail that holds only commands anyone may write, or return None."""


class ReplyHandler(Protocol):
    def __call__(self, session: Session, parsed: ParsedMessage, user: User, ticket: Ticket,
                 now: datetime) -> MailResult | None:
        """Handle the reply, or return None to leave it to the plain followup."""


class Replies:
    def __init__(self, intake: Intake, *, technician: ReplyHandler | None = None,
                 requester_on_solved: ReplyHandler | None = None, technician_on_closed: ReplyHandler | None = None):
        self.intake = intake
        self.technician = technician
        self.requester_on_solved = requester_on_solved
        self.technician_on_closed = technician_on_closed  # reading commands on a closed ticket
        # commands anyone may write (#mesdemandes), answered even in a reply: workflow/ticketless.py
        self.everyone_commands: EveryoneCommands | None = None

    def handle(self, session: Session, parsed: ParsedMessage, user: User, ticket: Ticket,
               now: datetime) -> MailResult:
        if not user.is_technician and self.everyone_commands is not None \
                and parsed.sender_source in AUTHOR_HEADERS:
            answered = self.everyone_commands(session, parsed, user, now)
            if answered is not None:  # `#mesdemandes` alone: answered, nothing added to the ticket
                return answered
        if ticket.status == Status.CLOSED:
            return self._on_closed(session, parsed, user, ticket, now)
        if not acts.is_participant(ticket, user):
            return self.from_stranger(session, parsed, Address(user.name, user.email), user, ticket, now)
        acts.remember_message(session, parsed.message_id, ticket)
        handler = None
        if user.is_technician and parsed.sender_source in AUTHOR_HEADERS:
            handler = self.technician
        elif ticket.status == Status.SOLVED and user.id == ticket.requester_id:
            handler = self.requester_on_solved
        result = handler(session, parsed, user, ticket, now) if handler else None
        return result or self.followup(session, parsed, user, ticket, now)

    def from_stranger(self, session: Session, parsed: ParsedMessage, sender: Address, user: User | None,
                      ticket: Ticket, now: datetime) -> MailResult:
        """A reply by someone who takes no part in the ticket (known or not): refused, with the
        ticket named, and kept on the ticket as a private note that the technicians are told of."""
        from mailbot.workflow.service import MailResult

        content = f"Reply from {sender}, who takes no part in this ticket (kept for the technicians only):\n\n" \
                  f"{parsed.new_text or parsed.subject}"
        if parsed.attachments:
            content += "\n\nAttachments not added: " + ", ".join(a.filename for a in parsed.attachments)
        acts.add_followup(ticket, author=user, content=content, private=True, source="mail", now=now)
        acts.remember_message(session, parsed.message_id, ticket)
        event = Event("followup_added", ticket.id, user.id if user else None, private=True,
                      context={"text": content})
        answer = Answer("not_participant", to=sender.email, ticket_id=ticket.id,
                        language=user.language if user else None,
                        context={"original_subject": parsed.subject, "ticket_id": ticket.id})
        return MailResult("refused", ticket.id, f"{sender.email} takes no part in ticket #{ticket.id};"
                          " kept as a private note", events=[event], answers=[answer])

    def followup(self, session: Session, parsed: ParsedMessage, user: User, ticket: Ticket, now: datetime,
                 *, private: bool = False) -> MailResult:
        """The mail's new text as a followup by its author, with its attachments."""
        from mailbot.workflow.service import MailResult

        text = parsed.new_text or "(message vide)"
        acts.add_followup(ticket, author=user, content=text, private=private, now=now)
        before = len(ticket.documents)
        refused = attach(ticket, parsed.attachments, store=self.intake.store, limits=self.intake.limits, now=now)
        event = Event("followup_added", ticket.id, user.id, private=private, context={
            "text": text, **documents_context(session, ticket, before, user)})
        return MailResult("followup", ticket.id, events=[event],
                          answers=refused_attachments(ticket, user, refused, now))

    def _on_closed(self, session: Session, parsed: ParsedMessage, user: User, ticket: Ticket,
                   now: datetime) -> MailResult:
        """A closed ticket is never reopened: a thank-you stays on it, a technician's reading
        commands (#show, #doc …) are answered, anything else opens a new one."""
        from mailbot.workflow.service import MailResult

        if self.technician_on_closed is not None and user.is_technician and parsed.sender_source in AUTHOR_HEADERS:
            answered = self.technician_on_closed(session, parsed, user, ticket, now)
            if answered is not None:
                return answered
        if is_thank_you(parsed.new_text) and acts.is_participant(ticket, user):
            acts.add_followup(ticket, author=user, content=parsed.new_text, now=now)
            acts.remember_message(session, parsed.message_id, ticket)
            return MailResult("followup", ticket.id, "thank-you kept on the closed ticket")
        return self.intake.open(session, parsed, user, now, follows=ticket)
