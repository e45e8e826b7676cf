"""A backlog handled in batches on PostgreSQL: one transaction, a savepoint per mail, so a
broken mail is recorded as failed and the others of its batch still go in."""

from unittest import mock

import pytest
from sqlalchemy import func, select

from mailbot.app import App
from mailbot.workflow.models import ProcessedMail, Ticket
from mailbot.workflow.service import MailService
from tests.conftest import clean_settings
from tests.mails import a_mail

pytestmark = pytest.mark.integration


def test_a_broken_mail_in_a_batch_is_failed_and_the_others_go_in(postgres_url, tmp_path):
    app = App(clean_settings(database_url=postgres_url, outbox_dir=tmp_path / "outbox", documents_dir=tmp_path / "d"))
    app.ensure_schema()
    raws = [a_mail("Wifi"), a_mail("BOOM"), a_mail("Imprimante"), b"", a_mail("ENT")]
    raws.append(raws[0])  # the same mail twice in one batch
    real = MailService.handle

    def handle(self, session, parsed, raw, **kw):
        if parsed.subject == "BOOM":
            raise RuntimeError("a bug in handling")
        return real(self, session, parsed, raw, **kw)

    with mock.patch.object(MailService, "handle", handle):
        results = app.process_many(raws, "imap://helpdesk@127.0.0.1/INBOX")

    assert [r.outcome for r in results] == ["ticket", "failed", "ticket", "failed", "ticket", "duplicate"]
    assert "a bug in handling" in results[1].reason
    with app.db.transaction() as session:
        assert sorted(session.scalars(select(Ticket.title))) == ["ENT", "Imprimante", "Wifi"]
        outcomes = dict(session.execute(select(ProcessedMail.outcome, func.count())
                                        .group_by(ProcessedMail.outcome)).all())
    assert outcomes == {"ticket": 3, "failed": 2}
    app.close()
