"""The data model (SPEC §1): users, groups, tickets and everything hanging off them,
the processed mails and the notification outbox, in SQLAlchemy 2 declarative form."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


class UTCDateTime(TypeDecorator[datetime]):
    """Stores naive UTC, hands back aware UTC datetimes, whatever the database."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


class Base(DeclarativeBase):
    type_annotation_map = {datetime: UTCDateTime(), dict[str, Any]: JSON()}


ticket_observers = Table(
    "ticket_observers",
    Base.metadata,
    Column("ticket_id", ForeignKey("tickets.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
)

ticket_assignees = Table(
    "ticket_assignees",
    Base.metadata,
    Column("ticket_id", ForeignKey("tickets.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
)
Index("ix_ticket_assignees_user", ticket_assignees.c.user_id, ticket_assignees.c.ticket_id)


class Group(Base):
    __tablename__ = "groups"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)  # always lower-case
    name: Mapped[str] = mapped_column(String(200), default="")
    is_technician: Mapped[bool] = mapped_column(Boolean, default=False)
    language: Mapped[str | None] = mapped_column(String(8), default=None)
    group_id: Mapped[int | None] = mapped_column(ForeignKey("groups.id"), default=None)
    created_at: Mapped[datetime]

    group: Mapped[Group | None] = relationship(lazy="joined")

    @property
    def display(self) -> str:
        return f"{self.name} <{self.email}>" if self.name else self.email


# Tickets in progress (assigned, planned, waiting), as the partial index ix_tickets_in_progress_id
# states it. New tickets stay out of it: with them, PostgreSQL counts "Tickets à traiter" in a
# parallel scan of this index and of the table instead of reading the new tickets' own index.
IN_PROGRESS_CONDITION = "status IN ('assigned', 'planned', 'waiting')"


class Ticket(Base):
    __tablename__ = "tickets"
    __table_args__ = (
        Index("ix_tickets_status_updated", "status", "updated_at"),
        # the desk's counts by status (in progress, new) read the index alone
        Index("ix_tickets_status_id", "status", "id"),
        # the technicians' views: open tickets, most recently updated first
        Index("ix_tickets_open_updated", text("updated_at DESC"), text("id DESC"),
              postgresql_where=text("status <> 'closed'"), sqlite_where=text("status <> 'closed'")),
        # the desk's "Tickets à traiter": new tickets, newest first, with what the table filters on
        Index("ix_tickets_new", text("updated_at DESC"), text("id DESC"), "requester_id", "group_id",
              postgresql_where=text("status = 'new'"), sqlite_where=text("status = 'new'")),
        # the desk's "Vos tickets en cours" counted: the ids of tickets in progress in order, merged
        # with an assignee's tickets (ix_ticket_assignees_user)
        Index("ix_tickets_in_progress_id", "id", postgresql_where=text(IN_PROGRESS_CONDITION),
              sqlite_where=text(IN_PROGRESS_CONDITION)),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    type: Mapped[str] = mapped_column(String(20), default="incident")
    status: Mapped[str] = mapped_column(String(20), default="new")
    title: Mapped[str] = mapped_column(String(500))
    content: Mapped[str] = mapped_column(Text, default="")
    urgency: Mapped[int] = mapped_column(Integer, default=3)
    requester_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    group_id: Mapped[int | None] = mapped_column(ForeignKey("groups.id"), default=None)
    mailbox: Mapped[str] = mapped_column(String(200), default="")
    follows_ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"), default=None)
    # the Message-ID every notification of the ticket replies to, so mail clients thread them
    thread_root: Mapped[str] = mapped_column(String(998), default="")
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    solved_at: Mapped[datetime | None] = mapped_column(default=None, index=True)
    closed_at: Mapped[datetime | None] = mapped_column(default=None)

    requester: Mapped[User] = relationship(foreign_keys=[requester_id], lazy="joined")
    group: Mapped[Group | None] = relationship(lazy="joined")
    observers: Mapped[list[User]] = relationship(secondary=ticket_observers, order_by="User.id")
    assignees: Mapped[list[User]] = relationship(secondary=ticket_assignees, order_by="User.id")
    items: Mapped[list[TicketItem]] = relationship(order_by="TicketItem.id", cascade="all, delete-orphan")
    followups: Mapped[list[Followup]] = relationship(order_by="Followup.id", cascade="all, delete-orphan")
    tasks: Mapped[list[Task]] = relationship(order_by="Task.id", cascade="all, delete-orphan")
    documents: Mapped[list[Document]] = relationship(order_by="Document.id", cascade="all, delete-orphan")
    solutions: Mapped[list[Solution]] = relationship(order_by="Solution.id", cascade="all, delete-orphan")
    history: Mapped[list[StatusChange]] = relationship(order_by="StatusChange.id", cascade="all, delete-orphan")


class TicketItem(Base):
    """An item associated with a ticket: a machine of the inventory (`#asset 203-02`), or, on
    tickets from before the inventory, the free text a technician typed (`Computer 203-02`)."""

    __tablename__ = "ticket_items"
    __table_args__ = (UniqueConstraint("ticket_id", "machine_id", name="uq_ticket_items_machine"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))  # the free text; the machine's name when linked
    machine_id: Mapped[int | None] = mapped_column(ForeignKey("machines.id"), default=None, index=True)

    machine: Mapped[Machine | None] = relationship(lazy="joined")


class Machine(Base):
    """A machine of the inventory (SPEC §11), as its agent last reported it."""

    __tablename__ = "machines"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    name_key: Mapped[str] = mapped_column(String(200), index=True)  # casefolded name, for lookups
    type: Mapped[str] = mapped_column(String(30), default="computer")  # parsers.inventory.MachineType
    device_id: Mapped[str | None] = mapped_column(String(255), default=None, unique=True)
    serial: Mapped[str] = mapped_column(String(200), default="")
    serial_key: Mapped[str | None] = mapped_column(String(200), default=None, index=True)
    manufacturer: Mapped[str] = mapped_column(String(200), default="")
    model: Mapped[str] = mapped_column(String(200), default="")
    os: Mapped[str] = mapped_column(String(300), default="")
    ip_addresses: Mapped[str] = mapped_column(Text, default="")  # space-separated
    mac_addresses: Mapped[str] = mapped_column(Text, default="")  # space-separated
    last_user: Mapped[str] = mapped_column(String(200), default="")
    last_user_key: Mapped[str] = mapped_column(String(200), default="", index=True)  # login without domain
    location: Mapped[str] = mapped_column(String(200), default="")
    source: Mapped[str] = mapped_column(String(20), default="")  # ocs, glpi
    inventoried_at: Mapped[datetime | None] = mapped_column(default=None)
    imported_at: Mapped[datetime]
    # set when a full import did not have it; cleared when it comes back
    missing_since: Mapped[datetime | None] = mapped_column(default=None)


class Followup(Base):
    __tablename__ = "followups"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    content: Mapped[str] = mapped_column(Text)
    private: Mapped[bool] = mapped_column(Boolean, default=False)
    source: Mapped[str] = mapped_column(String(20), default="mail")  # mail, command, system
    unprocessed: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime]

    author: Mapped[User | None] = relationship(lazy="joined")


class Task(Base):
    __tablename__ = "tasks"
    # a technician's planning (workflow/planning.py): their tasks by date
    __table_args__ = (Index("ix_tasks_author_begin", "author_id", "begin"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    content: Mapped[str] = mapped_column(Text, default="")
    state: Mapped[str] = mapped_column(String(20), default="done")  # information, todo, done
    duration_minutes: Mapped[int] = mapped_column(Integer, default=0)
    begin: Mapped[datetime | None] = mapped_column(default=None)
    end: Mapped[datetime | None] = mapped_column(default=None)
    private: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime]

    author: Mapped[User | None] = relationship(lazy="joined")


class Document(Base):
    __tablename__ = "documents"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(255))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    inline: Mapped[bool] = mapped_column(Boolean, default=False)
    content_id: Mapped[str | None] = mapped_column(String(255), default=None)
    created_at: Mapped[datetime]


class Solution(Base):
    __tablename__ = "solutions"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    content: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default="waiting")  # waiting, accepted, refused
    reason: Mapped[str | None] = mapped_column(Text, default=None)
    created_at: Mapped[datetime]
    decided_at: Mapped[datetime | None] = mapped_column(default=None)

    author: Mapped[User | None] = relationship(lazy="joined")


class StatusChange(Base):
    __tablename__ = "status_history"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime]
    by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str] = mapped_column(String(20))
    why: Mapped[str] = mapped_column(Text, default="")

    by: Mapped[User | None] = relationship(lazy="joined")


class KbArticle(Base):
    """A knowledge-base article (SPEC §10): a draft seen by technicians until published.

    Its search index is kept by the database itself (migration 0004): an FTS5 table fed by
    triggers on SQLite, a generated `tsvector` column on PostgreSQL; see workflow/kb_search.py."""

    __tablename__ = "kb_articles"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(500))
    content: Mapped[str] = mapped_column(Text)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"), default=None)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    created_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(20), default="draft")  # draft, published
    category: Mapped[str | None] = mapped_column(String(100), default=None)
    updated_at: Mapped[datetime | None] = mapped_column(default=None)

    revisions: Mapped[list[KbRevision]] = relationship(order_by="KbRevision.id", cascade="all, delete-orphan")


class KbRevision(Base):
    """One change of a knowledge-base article: who, when, what, and the article after it."""

    __tablename__ = "kb_revisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("kb_articles.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime]
    by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    action: Mapped[str] = mapped_column(String(20))  # created, edited, published, unpublished, category
    title: Mapped[str] = mapped_column(String(500))
    content: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20))
    category: Mapped[str | None] = mapped_column(String(100), default=None)

    by: Mapped[User | None] = relationship(lazy="joined")


class ThreadMessage(Base):
    """A Message-ID that mailbot sent or received for a ticket: how replies find it."""

    __tablename__ = "thread_messages"

    message_id: Mapped[str] = mapped_column(String(998), primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    outbound: Mapped[bool] = mapped_column(Boolean, default=False)


class ProcessedMail(Base):
    """One mail received in one mailbox, kept raw with what became of it (SPEC §8)."""

    __tablename__ = "processed_mails"
    __table_args__ = (UniqueConstraint("mailbox", "mail_key", name="uq_processed_mails_mailbox_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    mailbox: Mapped[str] = mapped_column(String(200), default="")
    # <Message-ID>|<digest>, else content:<digest> (parsers/mailkey.py); older rows: the Message-ID,
    # else sha256:<hex of the bytes>, as are mails that could not be parsed
    mail_key: Mapped[str] = mapped_column(String(998))
    sha256: Mapped[str] = mapped_column(String(64))
    raw: Mapped[bytes] = mapped_column(LargeBinary)
    sender: Mapped[str] = mapped_column(String(320), default="")
    subject: Mapped[str] = mapped_column(Text, default="")
    # ticket, followup, refused, ignored, failed
    outcome: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str] = mapped_column(Text, default="")
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"), default=None)
    received_at: Mapped[datetime]


class Notification(Base):
    """An outbox row: one mail to one recipient, written in the event's transaction."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_status_due", "status", "next_attempt_at"),
                      Index("ix_outbox_recipient_created", "recipient", "created_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"), default=None, index=True)
    event: Mapped[str] = mapped_column(String(40))
    recipient: Mapped[str] = mapped_column(String(320))
    language: Mapped[str] = mapped_column(String(8), default="fr")
    message_id: Mapped[str] = mapped_column(String(998), unique=True)
    # an answer to an incoming mail (auto-replied, rate-limited) or a notification (auto-generated)
    is_answer: Mapped[bool] = mapped_column(Boolean, default=False)
    context: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # pending, sent, failed, bounced, held
    status: Mapped[str] = mapped_column(String(20), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str] = mapped_column(Text, default="")
    next_attempt_at: Mapped[datetime | None] = mapped_column(default=None)
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None] = mapped_column(default=None)
    # while `sending`: until when the claiming worker owns the row; past it, the row is due again
    claimed_until: Mapped[datetime | None] = mapped_column(default=None)


class MailboxState(Base):
    """Per IMAP mailbox: the UIDVALIDITY and highest UID filed, and the poller lease on SQLite."""

    __tablename__ = "mailbox_state"

    mailbox: Mapped[str] = mapped_column(String(200), primary_key=True)
    uidvalidity: Mapped[int | None] = mapped_column(BigInteger, default=None)
    last_uid: Mapped[int] = mapped_column(BigInteger, default=0)
    holder: Mapped[str] = mapped_column(String(200), default="")
    lease_until: Mapped[datetime | None] = mapped_column(default=None)


class Digest(Base):
    """One technician's morning digest of one day (docs/BEHAVIOUR.md, "The morning digest"):
    written once, in the transaction that writes its mail, so that a second `mailbot run`, a
    restart or `mailbot digest` never sends it twice; `notification_id` is None on a day the
    technician had nothing to read (no mail was sent)."""

    __tablename__ = "digests"
    __table_args__ = (UniqueConstraint("user_id", "day", name="uq_digests_user_day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    day: Mapped[date] = mapped_column(Date)  # in MAILBOT_TIMEZONE
    notification_id: Mapped[int | None] = mapped_column(ForeignKey("outbox.id", ondelete="SET NULL"), default=None)
    created_at: Mapped[datetime]
