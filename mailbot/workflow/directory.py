"""The people directory behind `mailbot users`: adding, updating and listing users."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mailbot.errors import MailbotError
from mailbot.workflow.models import Group, User
from mailbot.workflow.tickets import user_by_email


def upsert_user(session: Session, email: str, *, name: str, technician: bool, group: str | None,
                language: str | None, now: datetime) -> tuple[User, bool]:
    email = email.strip().lower()
    if "@" not in email or any(c.isspace() for c in email):
        raise MailbotError(f"not a mail address: {email!r}")
    if language not in (None, "fr", "en"):
        raise MailbotError(f"--language: expected fr or en, got {language!r}")
    user = user_by_email(session, email)
    created = user is None
    if user is None:
        user = User(email=email, name=name, created_at=now)
        session.add(user)
    if name:
        user.name = name
    user.is_technician = technician or user.is_technician
    if language:
        user.language = language
    if group:
        found = session.scalar(select(Group).where(Group.name == group))
        if found is None:
            found = Group(name=group)
            session.add(found)
        user.group = found
    session.flush()
    return user, created


def all_users(session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.email)))


def count_technicians(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(User).where(User.is_technician)) or 0


def user_json(user: User) -> dict[str, Any]:
    return {"email": user.email, "name": user.name, "technician": user.is_technician,
            "group": user.group.name if user.group else None, "language": user.language}


def known_emails(session: Session, emails: set[str], chunk: int = 1000) -> set[str]:
    """Those of these (lower-case) addresses that belong to a user already."""
    wanted = sorted(emails)
    found: set[str] = set()
    for start in range(0, len(wanted), chunk):
        found.update(session.scalars(select(User.email).where(User.email.in_(wanted[start:start + chunk]))))
    return found
