"""Sign-in by mail, sessions and feed tokens: random secrets handed out once, only their
sha256 kept. A sign-in link lasts LINK_MINUTES and works once; a session lasts
MAILBOT_WEB_SESSION_DAYS or until its person signs out; a feed token until it is renewed."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from mailbot.web.models import FeedToken, SignInLink, WebSession
from mailbot.workflow.models import User
from mailbot.workflow.tickets import user_by_email

LINK_MINUTES = 15


def new_secret() -> str:
    """256 random bits, URL-safe."""
    return secrets.token_urlsafe(32)


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


@dataclass(frozen=True)
class Viewer:
    """The signed-in person as the pages need them, detached from any database session."""

    id: int
    email: str
    name: str
    is_technician: bool
    group_id: int | None
    group: str | None
    language: str | None

    @classmethod
    def of(cls, user: User) -> Viewer:
        return cls(user.id, user.email, user.name, user.is_technician, user.group_id,
                   user.group.name if user.group else None, user.language)


def known_person(session: Session, email: str) -> User | None:
    """The person with this address; None for an address nobody has (no user is ever created here)."""
    return user_by_email(session, email.strip()) if email.strip() else None


def create_link(session: Session, user: User, now: datetime) -> str:
    """A new sign-in link for `user`: its secret, valid LINK_MINUTES, once."""
    secret = new_secret()
    session.add(SignInLink(token_hash=digest(secret), user_id=user.id, created_at=now,
                           expires_at=now + timedelta(minutes=LINK_MINUTES)))
    return secret


def links_sent_since(session: Session, user_id: int, since: datetime) -> int:
    return session.scalar(select(func.count()).select_from(SignInLink).where(
        SignInLink.user_id == user_id, SignInLink.created_at >= since)) or 0


def valid_link(session: Session, secret: str, now: datetime) -> SignInLink | None:
    link = session.scalar(select(SignInLink).where(SignInLink.token_hash == digest(secret)))
    if link is None or link.used_at is not None or link.expires_at <= now:
        return None
    return link


def redeem_link(session: Session, secret: str, now: datetime, session_days: float) -> str | None:
    """Uses the link up (once) and opens a session; the session's secret, or None when the
    link is unknown, used or expired."""
    link = valid_link(session, secret, now)
    if link is None:
        return None
    # the row is claimed by an UPDATE that only one of two simultaneous requests can make
    claimed = session.execute(update(SignInLink).where(
        SignInLink.id == link.id, SignInLink.used_at.is_(None)).values(used_at=now).returning(SignInLink.id)).all()
    if len(claimed) != 1:
        return None
    forget_expired(session, now)
    cookie = new_secret()
    session.add(WebSession(token_hash=digest(cookie), user_id=link.user_id, created_at=now,
                           expires_at=now + timedelta(days=session_days)))
    return cookie


def forget_expired(session: Session, now: datetime) -> None:
    """Expired sessions, and links a day past their end (the per-person limit counts recent ones)."""
    session.execute(delete(WebSession).where(WebSession.expires_at <= now))
    session.execute(delete(SignInLink).where(SignInLink.expires_at <= now - timedelta(days=1)))


def session_viewer(session: Session, cookie: str | None, now: datetime) -> Viewer | None:
    if not cookie:
        return None
    row = session.get(WebSession, digest(cookie))
    if row is None or row.expires_at <= now:
        return None
    return Viewer.of(row.user)


def end_session(session: Session, cookie: str | None) -> None:
    if cookie:
        session.execute(delete(WebSession).where(WebSession.token_hash == digest(cookie)))


def renew_feed_token(session: Session, user_id: int, now: datetime) -> str:
    """A new feed token for the person; their previous feed URLs stop working."""
    revoke_feed_token(session, user_id)
    secret = new_secret()
    session.add(FeedToken(token_hash=digest(secret), user_id=user_id, created_at=now))
    return secret


def revoke_feed_token(session: Session, user_id: int) -> None:
    session.execute(delete(FeedToken).where(FeedToken.user_id == user_id))
    session.flush()


def feed_token_since(session: Session, user_id: int) -> datetime | None:
    return session.scalar(select(FeedToken.created_at).where(FeedToken.user_id == user_id))


def feed_viewer(session: Session, secret: str) -> Viewer | None:
    row = session.get(FeedToken, digest(secret))
    return Viewer.of(row.user) if row is not None else None
