"""Who may poll a mailbox (a PostgreSQL advisory lock, or a lease row with expiry elsewhere),
and the UIDVALIDITY / highest filed UID remembered per mailbox."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol, cast

from sqlalchemy import Connection, CursorResult, Engine, or_, select, text, update
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session

from mailbot.workflow.models import MailboxState

log = logging.getLogger("mailbot.lease")


def _utcnow() -> datetime:
    return datetime.now(UTC)


class Lease(Protocol):
    def acquire(self) -> bool:
        """Take the mailbox if nobody holds it; True when this process now holds it. Never blocks."""

    def renew(self) -> bool:
        """Keep holding it; False when it was lost (database gone, lease taken over)."""

    def release(self) -> None:
        """Let the next poller take it at once."""


class AdvisoryLease:
    """A session-level PostgreSQL advisory lock on a connection of its own: it is held exactly
    as long as that connection lives, so a killed process frees it at once."""

    def __init__(self, engine: Engine, mailbox: str):
        self.engine = engine
        self.key = int.from_bytes(hashlib.sha256(mailbox.encode()).digest()[:8], "big", signed=True)
        self._connection: Connection | None = None

    def acquire(self) -> bool:
        self._drop()
        connection = self.engine.connect()
        try:
            got = connection.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": self.key}).scalar()
            connection.commit()
        except BaseException:
            connection.close()
            raise
        if not got:
            connection.close()
            return False
        self._connection = connection
        return True

    def renew(self) -> bool:
        if self._connection is None:
            return False
        try:
            self._connection.execute(text("SELECT 1"))
            self._connection.commit()
            return True
        except DBAPIError:
            log.warning("connection holding the mailbox lock was lost")
            self._drop()
            return False

    def release(self) -> None:
        if self._connection is not None:
            try:
                self._connection.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": self.key})
                self._connection.commit()
            except DBAPIError:
                pass  # the lock went with the connection
        self._drop()

    def _drop(self) -> None:
        if self._connection is not None:
            try:
                self._connection.invalidate()
                self._connection.close()
            except DBAPIError:
                pass
            self._connection = None


class RowLease:
    """A row in mailbox_state naming the holder until `lease_until`; renewed well before it
    runs out, taken over by another poller once it has."""

    def __init__(self, sessions: Callable[[], Session], mailbox: str, holder: str, ttl: float,
                 clock: Callable[[], datetime] = _utcnow):
        self.sessions = sessions
        self.mailbox = mailbox
        self.holder = holder
        self.ttl = timedelta(seconds=ttl)
        self.clock = clock

    def acquire(self) -> bool:
        now = self.clock()
        with self.sessions() as session:
            result = session.execute(
                update(MailboxState)
                .where(MailboxState.mailbox == self.mailbox,
                       or_(MailboxState.holder == self.holder, MailboxState.lease_until.is_(None),
                           MailboxState.lease_until < now))
                .values(holder=self.holder, lease_until=now + self.ttl))
            taken = cast(CursorResult[Any], result).rowcount  # an UPDATE gives a CursorResult
            if taken == 0 and session.get(MailboxState, self.mailbox) is None:
                session.add(MailboxState(mailbox=self.mailbox, last_uid=0, holder=self.holder,
                                         lease_until=now + self.ttl))
                taken = 1
            try:
                session.commit()
            except IntegrityError:
                return False  # another poller created the row a moment ago
        return taken == 1

    renew = acquire

    def release(self) -> None:
        with self.sessions() as session:
            session.execute(update(MailboxState)
                            .where(MailboxState.mailbox == self.mailbox, MailboxState.holder == self.holder)
                            .values(lease_until=None))
            session.commit()


def make_lease(engine: Engine, sessions: Callable[[], Session], mailbox: str, *, holder: str,
               ttl: float) -> Lease:
    """The advisory lock on PostgreSQL, the lease row on any other database."""
    if engine.dialect.name == "postgresql":
        return AdvisoryLease(engine, mailbox)
    return RowLease(sessions, mailbox, holder, ttl)


class UidState:
    """The UIDVALIDITY and highest filed UID of each mailbox, kept in mailbox_state."""

    def __init__(self, sessions: Callable[[], Session]):
        self.sessions = sessions

    def load(self, mailbox: str) -> tuple[int | None, int]:
        with self.sessions() as session:
            row = session.execute(select(MailboxState.uidvalidity, MailboxState.last_uid)
                                  .where(MailboxState.mailbox == mailbox)).first()
        return (row[0], row[1]) if row else (None, 0)

    def save(self, mailbox: str, uidvalidity: int, last_uid: int) -> None:
        with self.sessions() as session:
            result = session.execute(update(MailboxState).where(MailboxState.mailbox == mailbox)
                                     .values(uidvalidity=uidvalidity, last_uid=last_uid))
            changed = cast(CursorResult[Any], result).rowcount  # an UPDATE gives a CursorResult
            if not changed:
                session.add(MailboxState(mailbox=mailbox, uidvalidity=uidvalidity, last_uid=last_uid, holder=""))
            try:
                session.commit()
            except IntegrityError:
                session.rollback()
                self.save(mailbox, uidvalidity, last_uid)
