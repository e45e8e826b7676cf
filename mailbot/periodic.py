"""The periodic jobs on tickets: automatic closing of the solved tickets that are due, and the
morning digest of each technician. `mailbot run` looks at both every minute (runner.py), and
`mailbot autoclose` / `mailbot digest` run them once; each ticket or technician is done in a
transaction of its own, and the outbox rows it wrote are handed to `enqueue` after its commit."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from mailbot.config import Settings
from mailbot.outbound.outbox import Outbox
from mailbot.workflow.db import Database

log = logging.getLogger("mailbot")


class PeriodicJobs:
    """The jobs of one app: its database, outbox, settings and clock."""

    def __init__(self, db: Database, outbox: Outbox, settings: Settings, *, clock: Callable[[], datetime],
                 enqueue: Callable[[list[int]], None]):
        self.db = db
        self.outbox = outbox
        self.settings = settings
        self.clock = clock
        self.enqueue = enqueue

    def autoclose(self) -> list[int]:
        """Close the solved tickets that are due, each in its own transaction; returns their ids."""
        from mailbot.workflow.autoclose import close_if_due, due_ticket_ids

        hours = self.settings.autoclose_hours
        now = self.clock()
        with self.db.transaction() as session:
            candidates = due_ticket_ids(session, now, hours)
        closed: list[int] = []
        for ticket_id in candidates:
            with self.db.transaction() as session:
                event = close_if_due(session, ticket_id, now, hours)
                if event is None:
                    continue
                rows = self.outbox.record_events(session, [event], now)
                session.flush()
                pending = [row.id for row in rows]
            closed.append(ticket_id)
            self.enqueue(pending)
        if closed:
            log.info("closed automatically: %s", ", ".join(f"#{i}" for i in closed))
        return closed

    def digest(self, *, force: bool = False) -> list[str]:
        """Write the morning digest of each technician still without one today, each in its own
        transaction (workflow/digest.py); `force`: whatever the hour, even when
        MAILBOT_DIGEST_HOUR is off. Returns the addresses a digest was written to."""
        from mailbot.workflow import digest
        from mailbot.workflow.models import User

        now, tz = self.clock(), self.settings.tz
        day = digest.due_day(now, tz, self.settings.digest_hour, force=force)
        if day is None:
            return []
        with self.db.transaction() as session:
            waiting = digest.waiting_technicians(session, day)
        sent: list[str] = []
        for user_id in waiting:
            with self.db.transaction() as session:
                user = session.get(User, user_id)
                row = digest.claim(session, user_id, day, now) if user is not None else None
                desk = digest.digest_view(session, user, now, day, tz) if user is not None and row else None
                if user is None or row is None or desk is None:
                    continue  # another process has it, or nothing to read: the claim settles the day
                notification = self.outbox.record_digest(session, user, desk, now)
                session.flush()
                row.notification_id = notification.id
            sent.append(user.email)
            self.enqueue([notification.id])
        if sent:
            log.info("morning digest for %s: %s", day.isoformat(), ", ".join(sent))
        return sent
