"""Who is writing (SPEC §3.6): matching senders to users and the unknown-sender policy."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import inspect, select
from sqlalchemy.orm import Session

from mailbot.parsers.types import Address
from mailbot.workflow.models import User
from mailbot.workflow.tickets import user_by_email

MAX_OBSERVERS_FROM_MAIL = 50  # a mail to thousands of people must not make thousands of users


@dataclass(frozen=True)
class SenderPolicy:
    unknown_senders: str  # create, reject, ignore
    allowed_domains: tuple[str, ...]
    helpdesk_address: str

    def is_helpdesk(self, email: str) -> bool:
        local, _, domain = self.helpdesk_address.partition("@")
        their_local, _, their_domain = email.lower().partition("@")
        return their_domain == domain and their_local.split("+", 1)[0] == local

    def refusal(self, email: str) -> str | None:
        """Why an unknown address may not become a user, or None when it may."""
        if self.unknown_senders != "create":
            return "unknown sender"
        domain = email.rpartition("@")[2].lower()
        if self.allowed_domains and domain not in self.allowed_domains:
            return f"the domain {domain} is not allowed"
        return None


def create_user(session: Session, address: Address, now: datetime) -> User:
    user = User(email=address.email.lower(), name=address.name[:200], is_technician=False, created_at=now)
    session.add(user)
    session.flush()
    if _SENDERS in session.info:
        session.info[_SENDERS][user.email] = user
    return user


# session.info: a batch's senders by address, their user or None (`prefetch_senders`)
_SENDERS = "mailbot.senders"


def prefetch_senders(session: Session, emails: Iterable[str]) -> None:
    """The users of a batch's senders in one query, so that `sender_user` finds each without
    one of its own; a user created in the transaction (`create_user`) is added."""
    wanted = sorted({email.lower() for email in emails if email})
    known: dict[str, User | None] = dict.fromkeys(wanted)
    for start in range(0, len(wanted), 500):
        known.update((user.email, user) for user in session.scalars(
            select(User).where(User.email.in_(wanted[start:start + 500]))))
    session.info[_SENDERS] = known


def sender_user(session: Session, email: str) -> User | None:
    """The user of this address (`user_by_email`), from the batch's senders when known there. A
    user created in a mail whose savepoint was rolled back is gone: looked up again."""
    known = session.info.get(_SENDERS)
    email = email.lower()
    if known is None or email not in known:
        return user_by_email(session, email)
    user = known[email]
    if user is not None and not inspect(user).persistent:
        return user_by_email(session, email)
    return user


def observers_from_mail(session: Session, addresses: tuple[Address, ...], *, policy: SenderPolicy,
                        exclude: set[str], now: datetime) -> list[User]:
    """The To/Cc people of a first mail who are not the helpdesk: known users, plus new
    ones when the policy lets unknown people in."""
    found: list[User] = []
    seen = set(exclude)
    for address in addresses:
        email = address.email.lower()
        if not email or "@" not in email or email in seen or policy.is_helpdesk(email):
            continue
        seen.add(email)
        user = user_by_email(session, email)
        if user is None and policy.refusal(email) is None:
            user = create_user(session, address, now)
        if user is not None:
            found.append(user)
        if len(found) >= MAX_OBSERVERS_FROM_MAIL:
            break
    return found
