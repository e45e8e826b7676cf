"""The Ruby `mail` gem's fixture mails (../shared/corpus/ruby-mail): broken, strange and
ordinary mail through a whole mailbot. Each file has the outcome written in EXPECTED below;
`failed` is never right for any of them: they are all real mails."""

import shutil
from fnmatch import fnmatch

import pytest

from mailbot.app import App
from mailbot.workflow.models import ProcessedMail
from mailbot.workflow.views import get_ticket, ticket_json
from tests.conftest import CORPUS_DIR, clean_settings, known_bug

EMAILS = CORPUS_DIR / "ruby-mail" / "emails"
FILES = sorted(str(p.relative_to(EMAILS)) for p in EMAILS.rglob("*.eml")) if EMAILS.is_dir() else []

TICKET = ("ticket", "")
MACHINE = "bounce (multipart/report delivery status)"

# file or pattern -> (outcome, reason); the first row that matches a file is its expectation.
EXPECTED = {
    # machine mail: refused without an answer
    "error_emails/bad_date_header.eml": ("refused", "automatic mail (Precedence: junk)"),
    "error_emails/empty_in_reply_to.eml": ("refused", "automatic mail (List-Id header)"),
    "error_emails/encoding_madness.eml": ("refused", "automatic mail (robot sender no-reply@crm.el-example.org)"),
    "plain_emails/raw_email_trailing_dot.eml": ("refused", "automatic mail (robot sender noreply@rubyforge.org)"),
    "mime_emails/raw_email_with_mimepart_without_content_type.eml": ("refused", MACHINE),  # a bounce
    "multipart_report_emails/*": ("refused", MACHINE),
    # no address anywhere in the mail (only a Subject header)
    "error_emails/bad_encoded_subject.eml": ("refused", "no usable sender address"),
    # the sender is there, but not only where a plain From: parse finds it
    "plain_emails/mix_caps_content_type.eml": TICKET,  # `From: Big Bug bb@bug.com`, mbox `From joe@…` line
    "plain_emails/raw_email_multiple_from.eml": TICKET,  # `From: a@x b@x` (no comma); Return-Path
    "plain_emails/raw_email_incorrect_header.eml": TICKET,  # From: after a header line without colon
    # everything else: a person's mail, a ticket
    "*": TICKET,
}

# Rows that are right but fail today, each for the known bug named (to un-mark once fixed).
KNOWN_BUGS = {
}


def expected(name: str) -> tuple[str, str]:
    return next(outcome for pattern, outcome in EXPECTED.items() if fnmatch(name, pattern))


def cases():  # type: ignore[no-untyped-def]
    if not FILES:  # one test that skips, or fails under CI, through the corpus_dir fixture
        return ["(corpus absent)"]
    return [pytest.param(name, marks=known_bug(KNOWN_BUGS[name]))
            if name in KNOWN_BUGS else name for name in FILES]


@pytest.fixture
def app(tmp_path, schema):
    shutil.copyfile(schema, tmp_path / "mailbot.db")
    app = App(clean_settings(database_url=f"sqlite:///{tmp_path / 'mailbot.db'}",
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


@pytest.mark.parametrize("name", cases())
def test_ruby_mail_fixture_has_its_expected_outcome(corpus_dir, app, name):
    outcome, reason = expected(name)
    result = app.process((EMAILS / name).read_bytes(), "corpus")
    assert (result.outcome, result.reason) == (outcome, reason)
    if outcome == "ticket":
        with app.db.transaction() as session:
            ticket = ticket_json(get_ticket(session, result.ticket_id))
        assert "@" in ticket["requester"]  # a person with an address asked
    else:
        assert result.ticket_id is None
    for text in stored_texts(app):
        text.encode("utf-8")
        assert "\x00" not in text


def test_every_row_of_the_table_names_a_corpus_file(corpus_dir):
    assert [p for p in EXPECTED if not any(fnmatch(name, p) for name in FILES)] == []


def test_bounces_in_the_corpus_send_no_answer(corpus_dir, app):
    names = [n for n in FILES if n.startswith("multipart_report_emails/")]
    assert names
    for name in names:
        app.process((EMAILS / name).read_bytes(), name)
    with app.db.transaction() as session:
        from mailbot.workflow.models import Notification

        assert session.query(Notification).count() == 0


def test_a_reply_chain_of_rfc_2822_threads_into_one_ticket(corpus_dir, app):
    first = app.process((EMAILS / "rfc2822/example05.eml").read_bytes(), "corpus")
    reply = app.process((EMAILS / "rfc2822/example06.eml").read_bytes(), "corpus")
    assert first.outcome == "ticket"
    assert (reply.outcome, reply.ticket_id) == ("followup", first.ticket_id)
