"""Writing the outbox: turns workflow events and answers into `Notification` rows inside
the event's own transaction (SPEC §6), with stable Message-IDs and the loop brake. The events
of one incoming mail make one row per recipient, whose `parts` tell each event in order."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mailbot.outbound.notifications import (
    CONFIRMATIONS,
    FOLDED_ANSWERS,
    Person,
    leading_kind,
    leading_role,
    recipients,
    technicians_for,
)
from mailbot.workflow.events import Answer, Event
from mailbot.workflow.machines import item_values
from mailbot.workflow.models import Notification, ThreadMessage, Ticket, User
from mailbot.workflow.tickets import user_by_email

log = logging.getLogger("mailbot.outbox")


@dataclass(frozen=True)
class OutboxPolicy:
    helpdesk_address: str
    default_language: str
    automail_limit: int

    @property
    def domain(self) -> str:
        return self.helpdesk_address.rpartition("@")[2] or "localhost"


def new_message_id(ticket_id: int | None, domain: str) -> str:
    """A Message-ID of ours: the `mailbot.` prefix lets the loop guard recognise it."""
    return f"mailbot.{ticket_id or 0}.{uuid.uuid4().hex}@{domain}"


def _person(user: User) -> Person:
    return Person(id=user.id, email=user.email, language=user.language)


def ticket_snapshot(ticket: Ticket) -> dict[str, Any]:
    return {"id": ticket.id, "title": ticket.title, "status": ticket.status, "type": ticket.type,
            "urgency": ticket.urgency, "requester": ticket.requester.email,
            "requester_name": ticket.requester.name or "",
            # who has the ticket, by name when known (the mails' status block)
            "assignees": [user.name or user.email for user in ticket.assignees],
            "assignee_emails": [user.email for user in ticket.assignees],
            "assets": item_values(ticket)}


def _technicians(session: Session, ticket: Ticket, *, opening: bool = False) -> list[Person]:
    """The technicians concerned by the ticket; `opening`: as when it was opened, before anyone
    had it (a new ticket's technicians, even when the mail that opened it assigned it)."""
    assignees = [] if opening else ticket.assignees
    group_techs: list[Person] = []
    if ticket.group_id is not None:
        group_techs = _technicians_where(session, User.group_id == ticket.group_id, key=ticket.group_id)
    everyone: list[Person] = []
    if not assignees and not group_techs:
        everyone = _technicians_where(session, key=None)
    return technicians_for([_person(u) for u in assignees], group_techs, everyone)


def _technicians_where(session: Session, *where: Any, key: int | None) -> list[Person]:
    """The technicians (of group `key`; None: all of them), read once per session, which is
    one transaction (workflow/db.py): only `mailbot users add` makes or moves technicians,
    never a mail, so a batch of mails reads them once."""
    known = session.info.setdefault("technicians", {})
    if key not in known:
        known[key] = [_person(user) for user in session.scalars(
            select(User).where(User.is_technician.is_(True), *where).order_by(User.id))]
    return known[key]


def _for(context: dict[str, Any], person: Person) -> dict[str, Any]:
    """An event's context as one person's row keeps it: only the calendar invitations meant for
    them (the technician who planned the task), so that no one else's row holds them."""
    if not context.get("invitations"):
        return context
    return {**context, "invitations": [invitation for invitation in context["invitations"]
                                       if str(invitation.get("technician", "")).lower() == person.email.lower()]}


def _invited(session: Session, event: Event, audience: list[tuple[Person, str]]) -> list[tuple[Person, str]]:
    """The technicians an invitation of the event is for whom its rules do not tell (a task
    planned on a ticket they no longer have): they are told too, as a technician, so the CANCEL
    reaches whoever got the REQUEST (the actor of a mail's commands reads theirs in the
    confirmation, which replaces this row: `record_mail`'s `confirmed`)."""
    told = {person.email.lower() for person, _ in audience}
    invited = dict.fromkeys(str(invitation.get("technician", "")).lower()
                            for invitation in event.context.get("invitations") or ())
    users = [user_by_email(session, email) for email in invited if email and email not in told]
    return [(_person(user), "technician") for user in users if user is not None]


@dataclass
class _Told:
    """What one person is told of one mail's events on one ticket: each event as a part."""

    person: Person
    roles: list[str] = field(default_factory=list)
    parts: list[dict[str, Any]] = field(default_factory=list)


class AnswerCounts:
    """The loop brake's count for one transaction: automatic answers (not held) sent to each
    address in the hour before `now`, read once per address (or once for a batch's senders:
    `load`) and kept up to date as the transaction adds answers, instead of a count query per
    notification. A mail of a batch whose savepoint is rolled back leaves its answers counted:
    the brake may then hold one answer early, never let one more through."""

    KEY = "mailbot.answer_counts"

    def __init__(self, now: datetime):
        self.now = now
        self.counts: dict[str, int] = {}

    def load(self, session: Session, addresses: Sequence[str]) -> None:
        wanted = sorted({address for address in addresses if address and address not in self.counts})
        for start in range(0, len(wanted), 500):
            chunk = wanted[start:start + 500]
            with session.no_autoflush:  # this transaction's own answers are counted by `add`
                found: dict[str, int] = {recipient: count for recipient, count in session.execute(
                    select(Notification.recipient, func.count()).where(
                        Notification.recipient.in_(chunk), Notification.is_answer.is_(True),
                        Notification.status != "held", Notification.created_at > self.now - timedelta(hours=1))
                    .group_by(Notification.recipient))}
            self.counts.update((address, found.get(address, 0)) for address in chunk)

    def get(self, session: Session, address: str) -> int:
        if address not in self.counts:
            self.load(session, [address])
        return self.counts[address]

    def add(self, session: Session, address: str) -> None:
        self.counts[address] = self.get(session, address) + 1


class Outbox:
    """Adds notification rows to the caller's session; the caller commits."""

    def __init__(self, policy: OutboxPolicy):
        self.policy = policy

    def _add(self, session: Session, *, ticket: Ticket | None, kind: str, to: str, language: str | None,
             is_answer: bool, context: dict[str, Any], now: datetime, reply_to: str = "") -> Notification:
        message_id = new_message_id(ticket.id if ticket else None, self.policy.domain)
        root = ticket.thread_root if ticket else ""
        in_reply_to = reply_to or root
        references = [mid for mid in dict.fromkeys([root, reply_to]) if mid]
        row = Notification(
            ticket_id=ticket.id if ticket else None, event=kind, recipient=to,
            language=language or self.policy.default_language, message_id=message_id,
            is_answer=is_answer, created_at=now, status="pending",
            context={**context, "ticket": ticket_snapshot(ticket) if ticket else None,
                     "thread": {"in_reply_to": in_reply_to, "references": references}},
        )
        session.add(row)
        if ticket is not None:
            session.add(ThreadMessage(message_id=message_id, ticket_id=ticket.id, outbound=True))
        return row

    def record_events(self, session: Session, events: Sequence[Event], now: datetime,
                      confirmed: frozenset[tuple[int | None, str]] = frozenset()) -> list[Notification]:
        """The notifications of the events one incoming mail (or one job) caused: one row per
        ticket and recipient, telling every event that person may know of, in order (SPEC §6);
        none to the (ticket, address) pairs in `confirmed`, who get a confirmation instead."""
        rows: list[Notification] = []
        for ticket_id in dict.fromkeys(event.ticket_id for event in events):
            ticket = session.get(Ticket, ticket_id)
            assert ticket is not None, f"event on a missing ticket #{ticket_id}"
            told = self._told(session, ticket, [event for event in events if event.ticket_id == ticket_id])
            rows += [self._notify(session, ticket, entry, now) for entry in told
                     if (ticket_id, entry.person.email) not in confirmed]
        return rows

    def _told(self, session: Session, ticket: Ticket, events: list[Event]) -> list[_Told]:
        """Who is told what of these events, each person once, in the order they are first told."""
        requester, observers = _person(ticket.requester), [_person(u) for u in ticket.observers]
        technicians = _technicians(session, ticket)
        if ticket.assignees and any(event.kind == "ticket_created" for event in events):
            # those told of a new ticket read all that the mail that opened it did (a technician's
            # new mail with `#take`: workflow/opening.py), not only its creation; with nobody
            # assigned yet they are the technicians above already
            opening = _technicians(session, ticket, opening=True)
            technicians = [*opening, *(person for person in technicians if person not in opening)]
        told: dict[str, _Told] = {}
        for event in events:
            actor = session.get(User, event.actor_id) if event.actor_id else None
            actor_view = {"name": actor.name, "email": actor.email} if actor else None
            audience = recipients(event.kind, private=event.private, actor_id=event.actor_id,
                                  requester=requester, observers=observers, technicians=technicians)
            for person, role in [*audience, *_invited(session, event, audience)]:
                if person.email == self.policy.helpdesk_address or person.id in event.silent_for:
                    continue
                entry = told.setdefault(person.email, _Told(person))
                entry.roles.append(role)
                entry.parts.append({**_for(event.context, person), "kind": event.kind, "actor": actor_view,
                                    "recipient_role": role, "private": event.private,
                                    "own": person.id == event.actor_id})
        return list(told.values())

    def _notify(self, session: Session, ticket: Ticket, entry: _Told, now: datetime) -> Notification:
        kind = leading_kind(part["kind"] for part in entry.parts)
        # Being told of one's own action (the acknowledgement of a new ticket, of an answer to a
        # solution) answers one's mail: it falls under the loop brake, or a responder that opens
        # a new thread each time would get one per mail forever.
        is_answer = any(part["own"] for part in entry.parts)
        over = is_answer and self._over_limit(session, entry.person.email, now)
        row = self._add(session, ticket=ticket, kind=kind, to=entry.person.email, language=entry.person.language,
                        is_answer=is_answer, now=now,
                        context={"parts": entry.parts, "recipient_role": leading_role(entry.roles)})
        if over:
            self._hold(row, kind, entry.person.email)
        self._answered(session, row, now)
        return row

    def record_mail(self, session: Session, events: Sequence[Event], answers: Sequence[Answer], now: datetime,
                    in_reply_to: str = "") -> list[Notification]:
        """Everything one incoming mail sends, at most one mail per recipient: the notifications
        of its events, then its answers; an answer of FOLDED_ANSWERS is told inside its
        recipient's notification, one of CONFIRMATIONS is all its recipient gets."""
        confirmed = frozenset((answer.ticket_id, answer.to) for answer in answers if answer.kind in CONFIRMATIONS)
        rows = self.record_events(session, events, now, confirmed)
        # the answers to fold come last, so that they find the other answer of the mail too
        # (a reply on a solved ticket: how to approve or refuse, then the attachment refused)
        for answer in sorted(answers, key=lambda answer: answer.kind in FOLDED_ANSWERS):
            into = next((row for row in rows if answer.kind in FOLDED_ANSWERS and row.recipient == answer.to
                         and row.ticket_id == answer.ticket_id), None)
            if into is not None:
                self._fold(session, into, answer, now)
            elif (row := self.record_answer(session, answer, now, in_reply_to)) is not None:
                rows.append(row)
        return rows

    def _fold(self, session: Session, row: Notification, answer: Answer, now: datetime) -> None:
        """The answer as the last part of the row (a notification), or below the body of an
        answer (`folded`: the confirmation of a technician's commands); the row answers the mail
        now (loop brake)."""
        part = {**answer.context, "kind": answer.kind, "actor": None, "recipient_role": "sender",
                "private": False, "own": True}
        key = "parts" if "parts" in row.context else "folded"
        row.context = {**row.context, key: [*row.context.get(key, []), part]}
        if not row.is_answer:
            row.is_answer = True
            if self._over_limit(session, row.recipient, now):
                self._hold(row, row.event, row.recipient)
            self._answered(session, row, now)

    def _over_limit(self, session: Session, to: str, now: datetime) -> bool:
        return self._answer_counts(session, now).get(session, to) >= self.policy.automail_limit

    @staticmethod
    def _answer_counts(session: Session, now: datetime) -> AnswerCounts:
        counts = session.info.get(AnswerCounts.KEY)
        if counts is None or counts.now != now:
            counts = session.info[AnswerCounts.KEY] = AnswerCounts(now)
        return counts

    def prefetch_answer_counts(self, session: Session, addresses: Sequence[str], now: datetime) -> None:
        """Load the loop brake's counts of these addresses (a batch's senders) in one query."""
        self._answer_counts(session, now).load(session, addresses)

    def _answered(self, session: Session, row: Notification, now: datetime) -> None:
        """A row that answers a mail and is not held counts towards its recipient's limit."""
        if row.is_answer and row.status != "held":
            self._answer_counts(session, now).add(session, row.recipient)

    def _hold(self, row: Notification, kind: str, to: str) -> None:
        row.status = "held"
        row.last_error = f"held back: more than {self.policy.automail_limit} automatic answers in an hour"
        log.warning("automatic answer %s to %s held back by the hourly limit", kind, to)

    def record_answer(self, session: Session, answer: Answer, now: datetime,
                      in_reply_to: str = "") -> Notification | None:
        """An automatic answer to a sender, held back beyond the hourly limit (loop brake)."""
        if not answer.to or answer.to == self.policy.helpdesk_address:
            return None
        over = self._over_limit(session, answer.to, now)
        ticket = session.get(Ticket, answer.ticket_id) if answer.ticket_id else None
        row = self._add(session, ticket=ticket, kind=answer.kind, to=answer.to, language=answer.language,
                        is_answer=True, now=now, reply_to=in_reply_to,
                        context={**answer.context, "actor": None, "recipient_role": "sender"})
        if over:
            self._hold(row, answer.kind, answer.to)
        self._answered(session, row, now)
        return row

    def record_digest(self, session: Session, user: User, desk: dict[str, Any], now: datetime) -> Notification:
        """The morning digest of a technician (workflow/digest.py): the `#tickets` answer's
        sections, `desk` as its `tickets_view`; a notification, not an answer (no loop brake)."""
        sections: dict[str, Any] = {"tickets_view": desk, "history": None, "my_requests": None, "help": "",
                    "document_ids": [], "documents_asked": False}
        return self._add(session, ticket=None, kind="digest", to=user.email, language=user.language,
                         is_answer=False, now=now, context={**sections, "actor": None, "recipient_role": "technician"})
