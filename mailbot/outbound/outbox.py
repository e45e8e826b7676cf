"""Writing the outbox: turns workflow events and answers into `Notification` rows inside
the event's own transaction (SPEC §6), with stable Message-IDs and the loop brake."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mailbot.outbound.notifications import Person, recipients, technicians_for
from mailbot.workflow.events import Answer, Event
from mailbot.workflow.machines import item_values
from mailbot.workflow.models import Notification, ThreadMessage, Ticket, User

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
            "requester_name": ticket.requester.name or "", "assets": item_values(ticket)}


def _technicians(session: Session, ticket: Ticket) -> list[Person]:
    group_techs: list[User] = []
    if ticket.group_id is not None:
        group_techs = list(session.scalars(select(User).where(
            User.group_id == ticket.group_id, User.is_technician.is_(True)).order_by(User.id)))
    everyone: list[User] = []
    if not ticket.assignees and not group_techs:
        everyone = list(session.scalars(select(User).where(User.is_technician.is_(True)).order_by(User.id)))
    return technicians_for([_person(u) for u in ticket.assignees], [_person(u) for u in group_techs],
                           [_person(u) for u in everyone])


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

    def record_event(self, session: Session, event: Event, now: datetime) -> list[Notification]:
        ticket = session.get(Ticket, event.ticket_id)
        assert ticket is not None, f"event on a missing ticket #{event.ticket_id}"
        actor = session.get(User, event.actor_id) if event.actor_id else None
        people = recipients(
            event.kind, private=event.private, actor_id=event.actor_id,
            requester=_person(ticket.requester), observers=[_person(u) for u in ticket.observers],
            technicians=_technicians(session, ticket))
        actor_view = {"name": actor.name, "email": actor.email} if actor else None
        rows = []
        for person, role in people:
            if person.email == self.policy.helpdesk_address or person.id in event.silent_for:
                continue
            # The acknowledgement answers the incoming mail: it falls under the loop brake,
            # or a responder that opens a new thread each time would get one per mail forever.
            is_answer = event.kind == "ticket_created" and role == "requester"
            over = is_answer and self._over_limit(session, person.email, now)
            row = self._add(session, ticket=ticket, kind=event.kind, to=person.email, language=person.language,
                            is_answer=is_answer, now=now,
                            context={**event.context, "actor": actor_view, "recipient_role": role,
                                     "private": event.private})
            if over:
                self._hold(row, event.kind, person.email)
            rows.append(row)
        return rows

    def _over_limit(self, session: Session, to: str, now: datetime) -> bool:
        sent_lately = session.scalar(
            select(func.count()).select_from(Notification).where(
                Notification.recipient == to, Notification.is_answer.is_(True),
                Notification.status != "held", Notification.created_at > now - timedelta(hours=1)))
        return (sent_lately or 0) >= self.policy.automail_limit

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
        return row
