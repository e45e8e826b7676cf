"""A helpdesk set up like GLPI's mail-collector test (users, tickets 100 and 101), and the
rewriting of GLPI's own notification Message-IDs into ours, so that its threading cases apply."""

from __future__ import annotations

import re
import shutil
from datetime import UTC, datetime
from pathlib import Path

from mailbot.app import App
from mailbot.workflow.models import ThreadMessage, Ticket, User
from tests.conftest import CORPUS_DIR, clean_settings
from tests.scenario.helpdesk import Clock, Helpdesk

CORPUS = CORPUS_DIR

HELPDESK = "unittests@glpi-project.org"
NORMAL, TECH, SUPPLIER = "normal@glpi-project.org", "tech@glpi-project.org", "supplier@glpi-project.org"
# GLPI's notification ids for this instance: pre-10.0 `GLPI-Ticket-100.…` and 10.0.0–10.0.6
# `GLPI_<this instance's uuid>-Ticket-100.…`. Ids of other GLPI instances are left alone.
_OUR_GLPI_ID = re.compile(rb"<GLPI(?:-|_t3StN0t1f1c4tiOnUUID-)Ticket-(\d+)\.[^>]*>")


def our_id(ticket_id: int | bytes) -> str:
    return f"mailbot.{int(ticket_id)}.glpi-notification@glpi-project.org"


def with_our_ids(raw: bytes) -> bytes:
    return _OUR_GLPI_ID.sub(lambda m: f"<{our_id(m.group(1))}>".encode(), raw)


class CorpusHelpdesk(Helpdesk):
    """The scenario helpdesk with the corpus's own helpdesk address."""

    def __init__(self, tmp: Path, helpdesk_address: str, *, schema_from: Path | None = None,
                 **settings: object):
        self.tmp = tmp
        if schema_from is not None:  # a copy of an upgraded database: much faster than migrating
            shutil.copyfile(schema_from, tmp / "mailbot.db")
        self.clock = Clock(datetime(2026, 11, 30, 9, 0, tzinfo=UTC))
        self.settings = clean_settings(database_url=f"sqlite:///{tmp / 'mailbot.db'}",
                                       outbox_dir=tmp / "outbox", documents_dir=tmp / "documents",
                                       helpdesk_address=helpdesk_address, **settings)
        self.app = App(self.settings, clock=self.clock)
        if schema_from is None:
            self.app.ensure_schema()
        self.app.start_worker()
        self._seen: set[str] = set()

    def deliver(self, raw: bytes, mailbox: str = "corpus"):  # type: ignore[no-untyped-def]
        result = self.app.process(raw, mailbox)
        self.app.wait_for_delivery()
        return result


def empty_database(tmp: Path) -> Path:
    """An upgraded, empty database file to copy for each test."""
    desk = CorpusHelpdesk(tmp, "helpdesk@localhost")
    desk.close()
    return tmp / "mailbot.db"


def glpi_helpdesk(tmp: Path, schema_from: Path | None = None) -> CorpusHelpdesk:
    desk = CorpusHelpdesk(tmp, HELPDESK, schema_from=schema_from, subject_tag="GLPI", unknown_senders="reject")
    now = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)
    with desk.app.db.transaction() as session:
        normal = User(email=NORMAL, name="Normal", created_at=now)
        tech = User(email=TECH, name="Tech Ni Cian", is_technician=True, created_at=now)
        supplier = User(email=SUPPLIER, name="Test Supplier", created_at=now)
        session.add_all([normal, tech, supplier])
        session.flush()
        for ticket_id, title in ((100, "Ticket for supplier reply test"), (101, "New database issue")):
            ticket = Ticket(id=ticket_id, title=title, content="…", requester_id=normal.id, status="assigned",
                            created_at=now, updated_at=now)
            ticket.assignees = [tech]
            ticket.observers = [supplier] if ticket_id == 100 else []
            session.add(ticket)
            session.flush()
            session.add(ThreadMessage(message_id=our_id(ticket_id), ticket_id=ticket_id, outbound=True))
    return desk
