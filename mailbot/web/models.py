"""What the web desk keeps in the database: one-time sign-in links, sessions and feed tokens.
Only hashes of the secrets are stored; the secrets themselves live in a mail, a cookie or a
feed URL. Plain SQLAlchemy, no web framework: the migrations import it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from mailbot.workflow.models import Base, User


class SignInLink(Base):
    """A link mailed to a person: valid until `expires_at`, once (`used_at`)."""

    __tablename__ = "web_sign_in_links"
    __table_args__ = (Index("ix_web_sign_in_links_user_created", "user_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None] = mapped_column(default=None)


class WebSession(Base):
    """A signed-in browser: the cookie holds the secret, this row its hash."""

    __tablename__ = "web_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]

    user: Mapped[User] = relationship(lazy="joined")


class FeedToken(Base):
    """A person's feed and calendar token (one at a time): renewing it revokes the old URLs."""

    __tablename__ = "web_feed_tokens"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    created_at: Mapped[datetime]

    user: Mapped[User] = relationship(lazy="joined")
