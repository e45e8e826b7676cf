"""Every real-world mail of the corpus parses (none of them is "not a mail"), names its sender,
and every text the parser returns is valid UTF-8; hostile bytes never raise anything but
ParseError."""

import dataclasses

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mailbot.errors import ParseError
from mailbot.parsers.message import parse_message, parse_message_file
from tests.conftest import CORPUS_DIR as CORPUS
from tests.conftest import known_bug
from tests.corpus.test_ruby_mail_corpus import KNOWN_BUGS as RUBY_KNOWN_BUGS
from tests.mails import is_a_not_a_mail_reason

CORPUS_FILES = sorted(str(p.relative_to(CORPUS)) for p in CORPUS.rglob("*.eml")) if CORPUS.is_dir() else []
GLPI = CORPUS / "glpi"
HELPDESK = "unittests@glpi-project.org"
# The one corpus mail with no address anywhere: a Subject header and a body.
NO_ADDRESS_ANYWHERE = {"ruby-mail/emails/error_emails/bad_encoded_subject.eml"}
# Mails whose sender is there but not found today (tests/corpus/test_ruby_mail_corpus.py).
SENDER_NOT_FOUND_TODAY = {f"ruby-mail/emails/{name}": why for name, why in RUBY_KNOWN_BUGS.items()}


def all_strings(value):
    """Every str inside a parsed value (dataclasses, tuples), to check each one."""
    if isinstance(value, str):
        yield value
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        for field in dataclasses.fields(value):
            yield from all_strings(getattr(value, field.name))
    elif isinstance(value, tuple):
        for item in value:
            yield from all_strings(item)


def assert_clean(parsed):
    for text in all_strings(parsed):
        text.encode("utf-8")  # raises on lone surrogates
        assert "\x00" not in text
    assert "\n" not in parsed.subject and "\r" not in parsed.subject


def corpus_cases():  # type: ignore[no-untyped-def]
    if not CORPUS_FILES:  # one test that skips, or fails under CI, through the corpus_dir fixture
        return ["(corpus absent)"]
    return [pytest.param(name, marks=known_bug(SENDER_NOT_FOUND_TODAY[name]))
            if name in SENDER_NOT_FOUND_TODAY else name for name in CORPUS_FILES]


@pytest.mark.parametrize("name", corpus_cases())
def test_corpus_mail_parses_with_its_sender_and_valid_utf8(corpus_dir, name):
    path = corpus_dir / name
    parsed = parse_message_file(path, helpdesk_address=HELPDESK)  # a ParseError fails the test
    assert_clean(parsed)
    assert parsed == parse_message(path.read_bytes(), helpdesk_address=HELPDESK)
    if name in NO_ADDRESS_ANYWHERE:
        assert parsed.sender.email == ""
    else:
        local, at, domain = parsed.sender.email.partition("@")
        assert local and at and domain, parsed.sender


@pytest.fixture
def glpi(corpus_dir):  # type: ignore[no-untyped-def]
    def parse(name: str):  # type: ignore[no-untyped-def]
        return parse_message_file(corpus_dir / "glpi" / name, helpdesk_address=HELPDESK)

    return parse


def test_koi8_r_body_and_windows_1251_subject_become_russian_text(glpi):
    mail = glpi("13-koi8-r-encoded-body.eml")
    assert mail.title == "проверка"
    assert mail.sender.email == "normal@glpi-project.org"


def test_nonsense_charset_with_latin1_bytes_reads_as_french(glpi):
    mail = glpi("54-invalid-charset.eml")
    assert mail.text == "This message declares an invalid charset: café and pièces jointes."
    assert mail.is_html_only


def test_first_real_message_id_header_is_used_not_a_lookalike(glpi):
    mail = glpi("45-multiple-messageid.eml")
    assert mail.message_id == "UNIQUEID@AS1PR01MB9084.eurprd01.prod.exchangelabs.com"
    assert mail.cc == ()


def test_foreign_ticket_tags_are_not_ours(glpi):
    mail = glpi("04.3-ticket-followup-from-subject.eml")
    assert mail.subject_ticket_id is None
    assert mail.title == "[GLPI #0000101] New database issue"


def test_mail_without_subject_takes_the_first_text_line_as_title(glpi):
    assert glpi("16-no-subject.eml").title == "This is a mail without subject."


def test_proton_reply_keeps_only_the_typed_line(glpi):
    assert glpi("46-proton-android-mail-response.eml").new_text == "Reply from Proton Android client"


def test_mail_without_to_header_has_no_recipients(glpi):
    mail = glpi("48-refused-missing-to.eml")
    assert mail.to == () and mail.sender.email == "unknown@glpi-project.org"


def test_mailer_daemon_auto_reply_is_automatic(glpi):
    assert glpi("27-autoreply.eml").auto.kind == "autoreply"


HEADER_NAMES = st.sampled_from([
    "From", "To", "Cc", "Reply-To", "Subject", "Date", "Message-ID", "In-Reply-To", "References",
    "Content-Type", "Content-Transfer-Encoding", "Content-Disposition", "Auto-Submitted", "Return-Path",
    "Authentication-Results", "X-Auto-Response-Suppress", "Precedence",
])
HEADER_VALUES = st.one_of(
    st.binary(max_size=80),
    st.sampled_from([
        b"=?x-unknown?Q?caf=E9?=", b"=?utf-8?B?####?=", b"multipart/mixed; boundary=b",
        b"multipart/report; report-type=delivery-status; boundary=b", b"text/html; charset=\"text/html\"",
        b"message/rfc822", b"attachment; filename*=utf-8''..%2F%00x", b"<>", b"base64", b"quoted-printable",
        b"\"a, b\" <a@b>, ,,, <@>", b"Mon, 99 Foo 99999 99:99:99 +9999",
    ]),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    headers=st.lists(st.tuples(HEADER_NAMES, HEADER_VALUES), min_size=1, max_size=8),
    body=st.one_of(st.binary(max_size=300), st.just(b"--b\r\nContent-Type: message/rfc822\r\n\r\nFrom: x\r\n\r\n--b--")),
)
def test_hostile_headers_and_bodies_after_a_real_header_line_always_parse(headers, body):
    raw = b"".join(name.encode() + b": " + value.replace(b"\n", b" ") + b"\r\n" for name, value in headers)
    parsed = parse_message(raw + b"\r\n" + body, helpdesk_address="helpdesk@lycee.example")  # no ParseError
    assert_clean(parsed)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(raw=st.one_of(st.binary(max_size=600), st.builds(bytes.__add__, st.sampled_from(
    [b"", b"\xef\xbb\xbf", b"\r\n", b"From x@y Mon Jan  1 00:00:00 2001\n", b"\xd0\xcf\x11\xe0", b"--b\r\n"]),
    st.binary(max_size=600))))
def test_any_bytes_parse_or_raise_parse_error_with_a_not_a_mail_reason(raw):
    try:
        parsed = parse_message(raw, helpdesk_address="helpdesk@lycee.example")
    except ParseError as exc:
        assert is_a_not_a_mail_reason(str(exc)), exc  # not an internal error dressed as ParseError
        return
    assert_clean(parsed)
