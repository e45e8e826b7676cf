"""A backlog handled in batches on PostgreSQL and SQLite: one transaction, a savepoint per mail,
so a broken mail is recorded as failed and the others of its batch still go in."""

from unittest import mock

import pytest
from sqlalchemy import func, select

from mailbot.app import App
from mailbot.workflow.models import ProcessedMail, Ticket
from mailbot.workflow.service import MailService
from tests.conftest import clean_settings
from tests.mails import a_mail

pytestmark = pytest.mark.integration


@pytest.fixture(params=["postgresql", "sqlite"])
def database_url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'mailbot.db'}"
    return request.getfixturevalue("postgres_url")


def test_a_broken_mail_in_a_batch_is_failed_and_the_others_go_in(database_url, tmp_path):
    app = App(clean_settings(database_url=database_url, outbox_dir=tmp_path / "outbox", documents_dir=tmp_path / "d"))
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


def test_a_batch_is_one_transaction_a_lost_database_in_the_middle_leaves_none_of_it(database_url, tmp_path):
    from sqlalchemy.exc import OperationalError

    app = App(clean_settings(database_url=database_url, outbox_dir=tmp_path / "outbox", documents_dir=tmp_path / "d"))
    app.ensure_schema()
    real = MailService.handle

    def handle(self, session, parsed, raw, **kw):
        if parsed.subject == "Coupure":
            raise OperationalError("INSERT …", {}, Exception("server closed the connection unexpectedly"))
        return real(self, session, parsed, raw, **kw)

    with mock.patch.object(MailService, "handle", handle), pytest.raises(OperationalError):
        app.process_many([a_mail("Wifi"), a_mail("Imprimante"), a_mail("Coupure"), a_mail("ENT")])
    # the adapter leaves the whole batch in place for the next pass: none of it may be recorded
    with app.db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(ProcessedMail)) == 0
        assert session.scalar(select(func.count()).select_from(Ticket)) == 0
    assert [r.outcome for r in app.process_many([a_mail("Wifi"), a_mail("Imprimante")])] == ["ticket", "ticket"]
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


def test_the_loop_brake_counts_the_answers_of_its_own_batch(database_url, tmp_path):
    from mailbot.workflow.models import Notification

    app = App(clean_settings(database_url=database_url, outbox_dir=tmp_path / "outbox", documents_dir=tmp_path / "d",
                             automail_limit=3))
    app.ensure_schema()
    app.enqueue = lambda ids: None  # only the outbox rows are looked at
    # a responder opening a new thread at each mail: 2 answered in an earlier batch, 4 in this one
    app.process_many([a_mail(f"Absence {n}", sender="robot@ailleurs.example") for n in range(2)])
    others = [a_mail("Wifi", sender="prof@lycee.example")]
    app.process_many([a_mail(f"Absence {n}", sender="robot@ailleurs.example") for n in range(2, 6)] + others)
    with app.db.transaction() as session:
        statuses = list(session.scalars(select(Notification.status).where(
            Notification.recipient == "robot@ailleurs.example").order_by(Notification.id)))
        other = list(session.scalars(select(Notification.status).where(
            Notification.recipient == "prof@lycee.example")))
    assert statuses == ["pending"] * 3 + ["held"] * 3  # MAILBOT_AUTOMAIL_LIMIT=3 answers an hour
    assert other == ["pending"]
    app.close()
