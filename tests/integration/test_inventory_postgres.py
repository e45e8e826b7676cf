"""The inventory on PostgreSQL: migration 0005, an import and a re-import, and a new mail that
names a machine by IP address getting it linked (the queries proposals make run there too)."""

from __future__ import annotations

from email.message import EmailMessage
from pathlib import Path

import pytest

from mailbot.app import App
from mailbot.inventory import import_paths
from mailbot.workflow.machines import find, machine_tickets
from mailbot.workflow.views import get_ticket, ticket_json
from tests.conftest import clean_settings

pytestmark = pytest.mark.integration
INVENTORY = Path(__file__).resolve().parents[1] / "fixtures" / "inventory"


def test_import_reimport_and_a_linked_machine_on_postgresql(tmp_path, postgres_url):
    app = App(clean_settings(database_url=postgres_url, outbox_dir=tmp_path / "outbox",
                             documents_dir=tmp_path / "documents", helpdesk_address="helpdesk@lycee.example"))
    try:
        app.ensure_schema()
        first = import_paths(app, [str(INVENTORY)])
        again = import_paths(app, [str(INVENTORY)])
        assert (len(first.report.added), len(again.report.added), len(again.report.updated)) == (4, 0, 4)
        mail = EmailMessage()
        mail["From"], mail["To"], mail["Subject"] = "anne.martin@lycee.example", "helpdesk@lycee.example", "Imprimante"
        mail["Message-ID"] = "<inventory-pg@client.example>"
        mail.set_content("L'imprimante 10.2.3.250 ne répond plus.")
        result = app.process(mail.as_bytes(), "direct")
        with app.db.transaction() as session:
            assert ticket_json(get_ticket(session, result.ticket_id))["items"] == ["Printer - IMPRIMANTE-203"]
            assert [t.id for t in machine_tickets(session, find(session, "imprimante-203"))] == [result.ticket_id]
    finally:
        app.close()
