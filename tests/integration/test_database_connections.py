"""Losing the database's connections (a PostgreSQL restart) delays one mail and loses nothing."""


import pytest
import sqlalchemy as sa
from sqlalchemy.exc import OperationalError

from mailbot.app import App
from mailbot.workflow.models import Ticket
from tests.conftest import clean_settings
from tests.mails import a_mail

pytestmark = pytest.mark.integration


def test_after_its_connections_are_cut_the_mail_is_refused_once_then_taken(postgres_url, tmp_path):
    app = App(clean_settings(database_url=postgres_url, outbox_dir=tmp_path / "outbox", documents_dir=tmp_path / "d"))
    app.ensure_schema()
    app.process(a_mail("Wifi"), "direct")
    with app.db.engine.connect() as own:  # the pool keeps this connection for the next mail
        pid = own.execute(sa.text("SELECT pg_backend_pid()")).scalar()
    killer = sa.create_engine(postgres_url)
    with killer.connect() as connection:
        assert connection.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": pid}).scalar()
    killer.dispose()

    late = a_mail("Imprimante")
    with pytest.raises(OperationalError):  # the adapter leaves the mail in place and tries again
        app.process(late, "direct")
    assert app.process(late, "direct").outcome == "ticket"
    with app.db.transaction() as session:
        assert sorted(session.scalars(sa.select(Ticket.title))) == ["Imprimante", "Wifi"]
    app.close()
