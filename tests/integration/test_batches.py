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


def _conflict():
    from sqlalchemy.exc import IntegrityError

    return IntegrityError("INSERT INTO users (email) VALUES (%(email)s)", {},
                          Exception('duplicate key value violates unique constraint "users_email_key"'))


@pytest.mark.parametrize("beaten, outcome", [(1, "ticket"), (99, "failed")])
def test_a_conflict_in_a_batch_that_is_not_the_mail_is_tried_once_more_then_failed(
        postgres_url, tmp_path, beaten, outcome):
    from mailbot.workflow import service as service_module

    app = App(clean_settings(database_url=postgres_url, outbox_dir=tmp_path / "outbox",
                       documents_dir=tmp_path / "d"))
    app.ensure_schema()
    raws = [a_mail("Wifi"), a_mail("Badge", sender="nouveau@lycee.example"), a_mail("ENT")]
    real, calls = service_module.create_user, []

    def create_user(session, address, now):
        if address.email == "nouveau@lycee.example":
            calls.append(address.email)
            if len(calls) <= beaten:  # as if another mailbox had just created this sender
                raise _conflict()
        return real(session, address, now)

    with mock.patch.object(service_module, "create_user", create_user):
        results = app.process_many(raws, "imap://helpdesk@127.0.0.1/INBOX")

    assert [r.outcome for r in results] == ["ticket", outcome, "ticket"]
    assert len(calls) == 2  # in the batch, then once on its own
    with app.db.transaction() as session:
        recorded = dict(session.execute(select(ProcessedMail.subject, ProcessedMail.outcome)).all())
        failed_reason = session.scalar(select(ProcessedMail.reason).where(ProcessedMail.outcome == "failed"))
    assert recorded == {"Wifi": "ticket", "Badge": outcome, "ENT": "ticket"}
    if outcome == "failed":
        assert failed_reason.startswith('IntegrityError: duplicate key value violates unique constraint "users_email_key"')
    app.close()


def test_each_mail_of_a_batch_has_its_log_line_with_its_reason(postgres_url, tmp_path, caplog):
    import hashlib
    import logging

    from mailbot.parsers.message import parse_message

    app = App(clean_settings(database_url=postgres_url, outbox_dir=tmp_path / "outbox",
                       documents_dir=tmp_path / "d", unknown_senders="reject", helpdesk_address="helpdesk@localhost"))
    app.ensure_schema()
    seen = a_mail("Déjà reçu", sender="prof@lycee.example")
    first = app.process(seen, "box")
    nobody = b"To: helpdesk@localhost\r\nSubject: anonyme\r\nMessage-ID: <anonyme@x.example>\r\n\r\nx\r\n"
    raws = [a_mail("Inconnu", sender="inconnu@ailleurs.example"), nobody, seen, b""]
    keys = [parse_message(raw, helpdesk_address="helpdesk@localhost").mail_key for raw in raws[:3]]

    with caplog.at_level(logging.INFO, logger="mailbot"):
        results = app.process_many(raws, "box")

    lines = [r.getMessage() for r in caplog.records if r.levelno == logging.INFO and r.name == "mailbot"]
    assert [r.outcome for r in results] == ["refused", "refused", "duplicate", "failed"]
    assert lines == [f"mail sha256:{hashlib.sha256(b'').hexdigest()}: failed: not a mail: empty input: not a mail",
                     "batch of 4 mail(s) committed",
                     f"mail {keys[0]}: refused: unknown sender",
                     f"mail {keys[1]}: refused: no usable sender address",
                     f"mail {keys[2]}: duplicate: already processed as mail {first.mail_id}"]
    app.close()
