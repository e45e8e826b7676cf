"""Handling one parsed mail (SPEC §3, §8): record it once, guard against machines, find the
sender and the ticket, then create a ticket or add to one. An unknown sender becomes a user
only when their mail is accepted (a reply to an open ticket is not: they take no part in it).
Returns what happened and the events and answers that the outbox turns into mail, in the
caller's transaction."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from mailbot.parsers import mailkey
from mailbot.parsers.types import Address, ParsedMessage
from mailbot.workflow import tickets as acts
from mailbot.workflow.events import Answer, Event
from mailbot.workflow.intake import Intake
from mailbot.workflow.models import Notification, ProcessedMail, Ticket, User
from mailbot.workflow.people import SenderPolicy, create_user, sender_user
from mailbot.workflow.replies import AUTHOR_HEADERS, Replies
from mailbot.workflow.states import Status

# session.info: (mailbox, the keys known to have no record there), see `prefetch_recorded`
_UNRECORDED = "mailbot.unrecorded_keys"


@dataclass
class MailResult:
    """What became of a mail. outcome: ticket, followup, answered, refused, ignored, failed, duplicate."""

    outcome: str
    ticket_id: int | None = None
    reason: str = ""
    events: list[Event] = field(default_factory=list)
    answers: list[Answer] = field(default_factory=list)
    mail_id: int | None = None


@dataclass(frozen=True)
class ServiceConfig:
    senders: SenderPolicy
    machine_senders: tuple[str, ...]
    language: str
    requester_from_reply_to: bool = False


class NewMailHandler(Protocol):
    def __call__(self, session: Session, parsed: ParsedMessage, user: User, now: datetime) -> MailResult | None:
        """Answer a known user's mail that names no ticket, or return None to open a ticket."""


class MailService:
    def __init__(self, config: ServiceConfig, intake: Intake, replies: Replies, *,
                 ticketless: NewMailHandler | None = None, opening: NewMailHandler | None = None):
        self.config = config
        self.intake = intake
        self.replies = replies
        self.ticketless = ticketless  # commands that need no ticket (workflow/ticketless.py)
        self.opening = opening  # a technician's new mail with commands (workflow/opening.py)

    @staticmethod
    def already_processed(session: Session, mailbox: str, mail_key: str) -> ProcessedMail | None:
        return session.scalar(select(ProcessedMail).where(
            ProcessedMail.mailbox == mailbox, ProcessedMail.mail_key == mail_key))

    @staticmethod
    def find_recorded(session: Session, mailbox: str, parsed: ParsedMessage) -> ProcessedMail | None:
        """The record of this very mail in this mailbox, if any: under its key, or under the
        key of the earlier rule when that record's kept bytes give the same key today."""
        rows = session.scalars(select(ProcessedMail).where(
            ProcessedMail.mailbox == mailbox,
            ProcessedMail.mail_key.in_({parsed.mail_key, parsed.legacy_key}))).all()
        for row in sorted(rows, key=lambda row: row.mail_key != parsed.mail_key):
            if row.mail_key == parsed.mail_key or row.mail_key.startswith("sha256:"):
                return row  # a sha256: key is the digest of these very bytes
            if mailkey.mail_key(row.mail_key, mailkey.content_digest(row.raw)) == parsed.mail_key:
                return row
        return None

    @staticmethod
    def prefetch_recorded(session: Session, mailbox: str, batch: Iterable[ParsedMessage]) -> None:
        """Which keys of a batch's mails (theirs and the earlier rule's) have a record in this
        mailbox, in one query: `handle` then looks no further for the mails with none, unless a
        record under that key is written meanwhile in the same transaction (session)."""
        keys = sorted({key for parsed in batch for key in (parsed.mail_key, parsed.legacy_key)})
        recorded: set[str] = set()
        for start in range(0, len(keys), 500):
            recorded.update(session.scalars(select(ProcessedMail.mail_key).where(
                ProcessedMail.mailbox == mailbox, ProcessedMail.mail_key.in_(keys[start:start + 500]))))
        session.info[_UNRECORDED] = (mailbox, set(keys) - recorded)

    @staticmethod
    def _surely_new(session: Session, mailbox: str, parsed: ParsedMessage) -> bool:
        unrecorded = session.info.get(_UNRECORDED)
        return (unrecorded is not None and unrecorded[0] == mailbox
                and parsed.mail_key in unrecorded[1] and parsed.legacy_key in unrecorded[1])

    def handle(self, session: Session, parsed: ParsedMessage, raw: bytes, *, mailbox: str,
               now: datetime | None = None) -> MailResult:
        now = now or datetime.now(UTC)
        previous = None if self._surely_new(session, mailbox, parsed) else self.find_recorded(session, mailbox, parsed)
        if previous is not None:
            return MailResult("duplicate", previous.ticket_id, f"already processed as mail {previous.id}")
        result = self._route(session, parsed, now)
        record = ProcessedMail(
            mailbox=mailbox, mail_key=parsed.mail_key, sha256=parsed.sha256, raw=raw,
            sender=parsed.sender.email, subject=parsed.subject, outcome=result.outcome,
            reason=result.reason, ticket_id=result.ticket_id, received_at=now)
        session.add(record)
        if _UNRECORDED in session.info:
            session.info[_UNRECORDED][1].discard(parsed.mail_key)  # a second copy later in the batch is looked up
        session.flush()
        result.mail_id = record.id
        return result

    def _route(self, session: Session, parsed: ParsedMessage, now: datetime) -> MailResult:
        ticket = self._find_ticket(session, parsed)
        machine_ok = parsed.sender.email in self.config.machine_senders
        if parsed.auto is not None and not machine_ok:
            return self._automatic(session, parsed, ticket, now)
        sender = self.sender_of(parsed)
        if not sender.email or "@" not in sender.email:
            return MailResult("refused", reason="no usable sender address")
        if self.config.senders.is_helpdesk(sender.email):
            return MailResult("refused", reason="mail from the helpdesk's own address")
        user = sender_user(session, sender.email)
        if user is None:
            why = self.config.senders.refusal(sender.email)
            if why is not None:
                return self._refuse_stranger(parsed, sender.email, why)
            if ticket is not None and ticket.status != Status.CLOSED:
                # someone unknown takes no part in an open ticket: refused, so no user is made
                return self.replies.from_stranger(session, parsed, sender, None, ticket, now)
            user = create_user(session, sender, now)
        elif ticket is None and parsed.sender_source in AUTHOR_HEADERS:
            for handler in (self.ticketless, self.opening):
                answered = handler(session, parsed, user, now) if handler is not None else None
                if answered is not None:
                    return answered
        if ticket is None:
            return self.intake.open(session, parsed, user, now, answered=not machine_ok)
        return self.replies.handle(session, parsed, user, ticket, now)

    def sender_of(self, parsed: ParsedMessage) -> Address:
        """Whom the mail is from for the helpdesk: its sender, or its Reply-To where so configured."""
        if self.config.requester_from_reply_to and parsed.reply_to is not None and "@" in parsed.reply_to.email:
            return parsed.reply_to
        return parsed.sender

    def _find_ticket(self, session: Session, parsed: ParsedMessage) -> Ticket | None:
        ticket = acts.ticket_by_thread(session, parsed.thread_ids)
        for ticket_id in (parsed.subject_ticket_id, parsed.plus_ticket_id):
            if ticket is None and ticket_id is not None:
                ticket = session.get(Ticket, ticket_id, options=acts.WITH_PEOPLE)
        if ticket is not None:
            acts.pin(session, ticket)
        return ticket

    def _refuse_stranger(self, parsed: ParsedMessage, address: str, why: str) -> MailResult:
        if self.config.senders.unknown_senders == "ignore":
            return MailResult("ignored", reason=why)
        answer = Answer("refused_sender", to=address, ticket_id=None,
                        context={"reason": why, "original_subject": parsed.subject})
        return MailResult("refused", reason=why, answers=[answer])

    def _automatic(self, session: Session, parsed: ParsedMessage, ticket: Ticket | None,
                   now: datetime) -> MailResult:
        """SPEC §3.1: no automatic mail ever gets an automatic answer."""
        auto = parsed.auto
        assert auto is not None
        if auto.kind == "bounce":
            bounced = list(session.scalars(select(Notification).where(
                Notification.message_id.in_(parsed.bounced_message_ids)))) if parsed.bounced_message_ids else []
            for notification in bounced:
                notification.status = "bounced"
                notification.last_error = f"bounced: {parsed.subject}"[:2000]
                bounced_ticket = session.get(Ticket, notification.ticket_id) if notification.ticket_id else None
                if bounced_ticket is not None:
                    acts.add_followup(bounced_ticket, author=None, private=True, source="system", now=now,
                                      content=f"The notification to {notification.recipient} bounced: "
                                              f"{parsed.new_text[:500] or parsed.subject}")
            if bounced:
                return MailResult("ignored", bounced[0].ticket_id, f"bounce of notification {bounced[0].id}")
            return MailResult("refused", reason=f"bounce ({auto.reason})")
        if auto.kind == "autoreply" and ticket is not None and ticket.status != Status.CLOSED:
            author = acts.user_by_email(session, parsed.sender.email)
            acts.add_followup(ticket, author=author, private=True, source="mail", now=now,
                              content=parsed.new_text or parsed.subject)
            acts.remember_message(session, parsed.message_id, ticket)
            return MailResult("followup", ticket.id, f"automatic reply kept as a private note ({auto.reason})")
        if auto.kind == "autoreply":
            return MailResult("ignored", reason=f"automatic reply ({auto.reason})")
        return MailResult("refused", reason=f"automatic mail ({auto.reason})")

