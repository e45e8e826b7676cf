"""GLPI's mail-collector test mails (../shared/corpus/glpi) through a whole helpdesk set up
like GLPI's test: each mail's outcome, and GLPI's expectations where they match our SPEC.
Where mailbot differs on purpose, docs/CORPUS.md says how and why."""

import pytest

from mailbot.parsers.quoting import REPLY_MARKER
from tests.corpus.glpi_desk import (
    CORPUS,
    NORMAL,
    SUPPLIER,
    TECH,
    glpi_helpdesk,
    with_our_ids,
)

GLPI = CORPUS / "glpi"
FILES = sorted(p.name for p in GLPI.glob("*.eml")) if GLPI.is_dir() else []
# GLPI's "write above this line" header line plays the part of our marker line; its footer
# line ("write under this line") has no counterpart in mailbot.
GLPI_HEADER_LINE = b"=-=-=-= To answer by email, write above this line =-=-=-="

UNKNOWN = "unknown sender"  # the desk refuses unknown senders, as GLPI's test does

# file -> (outcome, ticket: 100/101 existing, "new" for a new one, None for none, reason).
# All of them are real mails: `failed` is never right here.
EXPECTED = {
    "02-unknown_user.eml": ("refused", None, UNKNOWN),
    "03-tech.eml": ("ticket", "new", ""),
    "04.1-ticket-followup-from-inreplyto.eml": ("followup", 100, ""),
    "04.1-ticket-followup-from-oldformat-inreplyto.eml": ("followup", 100, ""),
    "04.2-ticket-followup-from-oldformat-references.eml": ("followup", 100, ""),
    "04.3-ticket-followup-from-subject.eml": ("followup", 101, ""),
    "04.4-ticket-followup-from-newformat-inreplyto.eml": ("followup", 100, ""),
    "04.5-ticket-followup-from-newformat-references.eml": ("followup", 100, ""),
    "07-quoted-rejected-subject.eml": ("refused", None, UNKNOWN),
    "08-tech-and-cc.eml": ("ticket", "new", ""),
    "09-reply-to-tech.eml": ("refused", None, UNKNOWN),  # differs: From wins over Reply-To (CORPUS.md)
    "13-koi8-r-encoded-body.eml": ("ticket", "new", ""),
    "16-no-subject.eml": ("ticket", "new", ""),
    "22.3-ticket-notification-from-glpi-10.0.7.eml":
        ("refused", None, "automatic mail (robot sender noreply@glpi-project.org)"),
    "23-uuid-from-another-glpi.eml": ("ticket", "new", ""),
    "27-autoreply.eml": ("ignored", None, "automatic reply (Auto-Submitted: auto-replied)"),
    "29.1-ticket-followup-above-header-and-under-footer-lines.eml": ("followup", 101, ""),
    "29.2-ticket-followup-above-header-line.eml": ("followup", 101, ""),
    "29.3-ticket-followup-under-footer-line.eml": ("followup", 101, ""),
    "29.4-ticket-followup-above-header-line-without-footer-line.eml": ("followup", 101, ""),
    "29.5-ticket-followup-under-footer-line-without-header-line.eml": ("followup", 101, ""),
    "29.6-ticket-followup-under-header-line-without-footer-line.eml": ("followup", 101, ""),
    "29.7-ticket-followup-above-footer-line-without-header-line.eml": ("followup", 101, ""),
    "44-multiple-to.eml": ("ticket", "new", ""),
    "45-multiple-messageid.eml": ("ticket", "new", ""),
    "46-proton-android-mail-response.eml": ("followup", 100, ""),
    "48-refused-missing-to.eml": ("refused", None, UNKNOWN),
    "51-supplier-reply.eml": ("followup", 100, ""),
    "54-invalid-charset.eml": ("ticket", "new", ""),
}

# The followup text GLPI stores, where mailbot stores the same (marker rewritten to ours).
SAME_FOLLOWUP_AS_GLPI = {
    "04.1-ticket-followup-from-oldformat-inreplyto.eml":
        "This is a reply that references Ticket 100 in In-Reply-To header (old format).\n"
        "It should be added as followup.",
    "04.3-ticket-followup-from-subject.eml": "…references Ticket 101 in its subject…",
    "29.2-ticket-followup-above-header-line.eml": "My followup is located above header line.",
    "29.4-ticket-followup-above-header-line-without-footer-line.eml":
        "My followup is located above header line, and there is no footer line.",
    "29.6-ticket-followup-under-header-line-without-footer-line.eml":
        "My followup starts under header line...\n\nHERE IS THE INITIAL NOTIFICATION CONTENT\n\n"
        "...and there is no footer line.",
}
# Where GLPI's footer line matters, mailbot keeps the writer's words (and more): nothing is lost.
KEPT_WORDS = {
    "29.1-ticket-followup-above-header-and-under-footer-lines.eml": "My followup starts above header line...",
    "29.3-ticket-followup-under-footer-line.eml": "My followup is located under footer line.",
    "29.5-ticket-followup-under-footer-line-without-header-line.eml":
        "My followup is located under footer line, and there is no header line.",
    "29.7-ticket-followup-above-footer-line-without-header-line.eml": "My followup starts above footer line...",
    "46-proton-android-mail-response.eml": "Reply from Proton Android client",
    "51-supplier-reply.eml": "This is a reply from the assigned supplier.",
}


@pytest.fixture
def desk(corpus_dir, tmp_path, schema):
    desk = glpi_helpdesk(tmp_path, schema)
    yield desk
    desk.close()


def read(name: str) -> bytes:
    return with_our_ids((GLPI / name).read_bytes()).replace(GLPI_HEADER_LINE, REPLY_MARKER.encode())


def check_outcome(desk, name, result):
    outcome, ticket, reason = EXPECTED[name]
    assert (result.outcome, result.reason) == (outcome, reason)
    if ticket == "new":
        assert result.ticket_id is not None and result.ticket_id > 101
    else:
        assert result.ticket_id == ticket


@pytest.mark.parametrize("name", FILES or ["(corpus absent)"])
def test_glpi_mail_has_the_expected_outcome(corpus_dir, desk, name):
    assert name in EXPECTED, f"{name}: new file in the corpus, give it an expected outcome"
    outcome, ticket, _ = EXPECTED[name]
    check_outcome(desk, name, desk.deliver(read(name)))
    sent = desk.new_mails()
    if outcome == "followup":
        followup = desk.show(ticket)["followups"][-1]
        if name in SAME_FOLLOWUP_AS_GLPI:
            expected = SAME_FOLLOWUP_AS_GLPI[name]
            assert followup["content"] == expected if "…" not in expected else "Ticket 101" in followup["content"]
        if name in KEPT_WORDS:
            assert KEPT_WORDS[name] in followup["content"]
    if outcome == "ignored":
        assert sent == []  # no machine gets an answer


def test_every_row_of_the_table_is_a_corpus_file(corpus_dir):
    assert sorted(EXPECTED) == FILES


def test_the_whole_folder_through_one_mailbox_gives_each_mail_its_outcome(corpus_dir, desk):
    """As GLPI's test collects the folder: one mailbox, every mail in turn. Many of these
    different mails share a Message-ID (all the 04.x and 29.x replies carry the same one)."""
    for name in FILES:
        check_outcome(desk, name, desk.deliver(read(name)))


def glpi_mail(desk, name):
    result = desk.deliver(read(name))
    return result, desk.show(result.ticket_id) if result.ticket_id else None


def test_headers_win_over_a_disagreeing_subject_tag(desk):
    _, ticket = glpi_mail(desk, "46-proton-android-mail-response.eml")
    assert ticket["id"] == 100  # the subject says [GLPI #0000123]
    assert ticket["followups"][-1]["author"] == TECH


def test_a_technicians_hash_lines_on_a_new_ticket_stay_plain_text(desk):
    _, ticket = glpi_mail(desk, "03-tech.eml")
    assert (ticket["title"], ticket["requester"]) == ("PHP fatal error", TECH)
    assert ticket["content"].count("# blahblah") == 2


@pytest.mark.parametrize("name", ["08-tech-and-cc.eml", "44-multiple-to.eml"])
def test_cc_and_to_people_become_observers(desk, name):
    _, ticket = glpi_mail(desk, name)
    assert (ticket["requester"], ticket["observers"]) == (TECH, [NORMAL])


def test_koi8_r_body_is_stored_as_russian_text_and_a_foreign_reference_threads_nothing(desk):
    _, ticket = glpi_mail(desk, "13-koi8-r-encoded-body.eml")
    assert (ticket["title"], ticket["requester"]) == ("проверка", NORMAL)
    assert ticket["content"].startswith("Тест тест тест")


def test_no_subject_takes_the_first_line_as_title(desk):
    _, ticket = glpi_mail(desk, "16-no-subject.eml")
    assert ticket["title"] == "This is a mail without subject."


def test_a_nonsense_charset_still_gives_readable_text(desk):
    _, ticket = glpi_mail(desk, "54-invalid-charset.eml")
    assert "café" in ticket["content"] and "pièces" in ticket["content"]


@pytest.mark.parametrize("name", ["22.3-ticket-notification-from-glpi-10.0.7.eml", "27-autoreply.eml"])
def test_other_helpdesks_notifications_and_auto_replies_make_no_ticket_and_no_answer(desk, name):
    result, _ = glpi_mail(desk, name)
    assert result.ticket_id is None and desk.new_mails() == []


@pytest.mark.parametrize("name", ["02-unknown_user.eml", "07-quoted-rejected-subject.eml",
                                  "48-refused-missing-to.eml"])
def test_unknown_senders_get_a_polite_refusal_when_the_policy_is_reject(desk, name):
    result, _ = glpi_mail(desk, name)
    (notice,) = desk.new_mails()
    assert notice.to == "unknown@glpi-project.org" and result.reason == "unknown sender"


def test_the_refused_mail_keeps_its_subject_intact(desk):
    from mailbot.workflow.models import ProcessedMail

    glpi_mail(desk, "07-quoted-rejected-subject.eml")
    with desk.app.db.transaction() as session:
        (record,) = session.query(ProcessedMail).all()
        assert (record.subject, record.outcome) == ("Test'ed issue", "refused")


def test_a_supplier_added_as_observer_may_reply(desk):
    _, ticket = glpi_mail(desk, "51-supplier-reply.eml")
    assert ticket["followups"][-1]["author"] == SUPPLIER
