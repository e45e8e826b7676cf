"""Small acts on a ticket shared by the service and the command handlers: changing status
(with its history line), adding followups, finding tickets and users."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import inspect, select
from sqlalchemy.orm import Session, joinedload

from mailbot.workflow import states
from mailbot.workflow.models import Followup, StatusChange, ThreadMessage, Ticket, User


def move(ticket: Ticket, action: str, *, by: User | None, why: str, now: datetime) -> bool:
    """Apply a status action from the table; returns whether the status changed."""
    target = states.next_status(action, ticket.status)
    if target == ticket.status:
        return False
    ticket.history.append(StatusChange(at=now, by_id=by.id if by else None, from_status=ticket.status,
                                       to_status=str(target), why=why))
    ticket.status = str(target)
    ticket.updated_at = now
    if target == states.Status.SOLVED:
        ticket.solved_at = now
    if target == states.Status.CLOSED:
        ticket.closed_at = now
    return True


def pin(session: Session, obj: object) -> None:
    """Keep `obj` in the session until the transaction ends. The session holds clean objects
    weakly: without this, the outbox would load a just-created ticket again from the database."""
    session.info.setdefault("pinned", []).append(obj)


def add_followup(ticket: Ticket, *, author: User | None, content: str, now: datetime,
                 private: bool = False, source: str = "mail", unprocessed: bool = False) -> Followup:
    followup = Followup(author_id=author.id if author else None, content=content, private=private,
                        source=source, unprocessed=unprocessed, created_at=now)
    state = inspect(ticket)
    if "followups" in state.unloaded and state.session is not None and state.key is not None:
        # a ticket's followups not read yet: added beside them rather than all loaded to append
        # one; whoever reads them later in the transaction gets it too (autoflush)
        followup.ticket_id = ticket.id
        state.session.add(followup)
    else:
        ticket.followups.append(followup)
    ticket.updated_at = now
    return followup


def user_by_email(session: Session, email: str) -> User | None:
    return session.scalar(select(User).where(User.email == email.lower()))


# What handling a mail on a ticket reads of it besides the ticket: its observers, assignees and
# machines (a few rows each), loaded with the ticket in one statement instead of one each.
WITH_PEOPLE = (joinedload(Ticket.observers), joinedload(Ticket.assignees), joinedload(Ticket.items))


def ticket_by_thread(session: Session, message_ids: tuple[str, ...]) -> Ticket | None:
    """The ticket of the first Message-ID mailbot sent or received for one."""
    if not message_ids:
        return None
    rows = dict(session.execute(
        select(ThreadMessage.message_id, Ticket).outerjoin(Ticket, Ticket.id == ThreadMessage.ticket_id)
        .where(ThreadMessage.message_id.in_(message_ids)).options(*WITH_PEOPLE)).unique().all())
    for mid in message_ids:
        if mid in rows:
            return rows[mid]
    return None


def remember_message(session: Session, message_id: str, ticket: Ticket) -> None:
    if not message_id:
        return
    unknown = session.info.get(_UNKNOWN_MESSAGES, set())
    if message_id in unknown:  # known absent (`prefetch_messages`): no look-up, and looked up next time
        unknown.discard(message_id)
    elif session.get(ThreadMessage, message_id) is not None:
        return
    session.add(ThreadMessage(message_id=message_id, ticket_id=ticket.id, outbound=False))


# session.info: Message-IDs of a batch's mails that no thread message holds (`prefetch_messages`)
_UNKNOWN_MESSAGES = "mailbot.unknown_message_ids"


def prefetch_messages(session: Session, message_ids: Iterable[str]) -> None:
    """Which of a batch's own Message-IDs mailbot has no thread message of, in one query, so that
    `remember_message` writes each of those without a look-up of its own."""
    wanted = sorted({mid for mid in message_ids if mid})
    known: set[str] = set()
    for start in range(0, len(wanted), 500):
        known.update(session.scalars(select(ThreadMessage.message_id).where(
            ThreadMessage.message_id.in_(wanted[start:start + 500]))))
    session.info[_UNKNOWN_MESSAGES] = set(wanted) - known


def is_participant(ticket: Ticket, user: User) -> bool:
    return (user.is_technician or user.id == ticket.requester_id
            or any(o.id == user.id for o in ticket.observers))
