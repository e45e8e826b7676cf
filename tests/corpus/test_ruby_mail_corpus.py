"""The Ruby `mail` gem's fixture mails (../shared/corpus/ruby-mail): broken, strange and
ordinary mail through a whole mailbot; each mail has its outcome on purpose, none an error."""

import pytest

from mailbot.app import App
from mailbot.config import Settings
from mailbot.workflow.models import ProcessedMail
from mailbot.workflow.views import get_ticket, ticket_json
from tests.corpus.glpi_desk import CORPUS

EMAILS = CORPUS / "ruby-mail" / "emails"
FILES = sorted(str(p.relative_to(EMAILS)) for p in EMAILS.rglob("*.eml")) if EMAILS.is_dir() else []

# Everything else opens a ticket. These are refused, each for the reason given.
NOT_A_TICKET = {
    "error_emails/bad_date_header.eml": "automatic mail (Precedence: junk)",
    "error_emails/bad_encoded_subject.eml": "no usable sender address",
    "error_emails/empty_in_reply_to.eml": "automatic mail (List-Id header)",
    "error_emails/encoding_madness.eml": "automatic mail (robot sender no-reply@crm.el-example.org)",
    "mime_emails/raw_email_with_mimepart_without_content_type.eml": "bounce (multipart/report delivery status)",
    "multipart_report_emails/multi_address_bounce1.eml": "bounce (multipart/report delivery status)",
    "multipart_report_emails/multi_address_bounce2.eml": "bounce (multipart/report delivery status)",
    "multipart_report_emails/multipart_report_multiple_status.eml": "bounce (multipart/report delivery status)",
    "multipart_report_emails/report_422.eml": "bounce (multipart/report delivery status)",
    "multipart_report_emails/report_530.eml": "bounce (multipart/report delivery status)",
    "plain_emails/raw_email_incorrect_header.eml": "no usable sender address",
    "plain_emails/raw_email_trailing_dot.eml": "automatic mail (robot sender noreply@rubyforge.org)",
}


@pytest.fixture
def app(tmp_path, schema):
    import shutil

    shutil.copyfile(schema, tmp_path / "mailbot.db")
    app = App(Settings(_env_file=None, database_url=f"sqlite:///{tmp_path / 'mailbot.db'}",
                       outbox_dir=tmp_path / "outbox", documents_dir=tmp_path / "documents"))
    yield app
    app.close()


def stored_texts(app):
    with app.db.transaction() as session:
        for record in session.query(ProcessedMail):
            yield record.subject or ""
            yield record.sender or ""
            if record.ticket_id:
                ticket = ticket_json(get_ticket(session, record.ticket_id))
                yield ticket["title"]
                yield ticket["content"]
                yield from (f["content"] for f in ticket["followups"])
                yield from (d["filename"] for d in ticket["documents"])


@pytest.mark.skipif(not FILES, reason=f"shared corpus not found at {CORPUS}")
@pytest.mark.parametrize("name", FILES)
def test_ruby_mail_fixture_has_its_expected_outcome(app, name):
    result = app.process((EMAILS / name).read_bytes(), "corpus")
    if name in NOT_A_TICKET:
        assert (result.outcome, result.reason) == ("refused", NOT_A_TICKET[name])
        assert result.ticket_id is None
    else:
        assert result.outcome == "ticket", result.reason
    for text in stored_texts(app):
        text.encode("utf-8")
        assert "\x00" not in text


def test_bounces_in_the_corpus_send_no_answer(app):
    names = [n for n in FILES if n.startswith("multipart_report_emails/")] or pytest.skip("corpus absent")
    for name in names:
        app.process((EMAILS / name).read_bytes(), name)
    with app.db.transaction() as session:
        from mailbot.workflow.models import Notification

        assert session.query(Notification).count() == 0


def test_a_reply_chain_of_rfc_2822_threads_into_one_ticket(app):
    if "rfc2822/example06.eml" not in FILES:
        pytest.skip("corpus absent")
    first = app.process((EMAILS / "rfc2822/example05.eml").read_bytes(), "corpus")
    reply = app.process((EMAILS / "rfc2822/example06.eml").read_bytes(), "corpus")
    assert (reply.outcome, reply.ticket_id) == ("followup", first.ticket_id)
