"""No real-world or hostile mail makes the parser raise, and every text it returns is valid UTF-8."""

import dataclasses

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mailbot.errors import ParseError
from mailbot.parsers.message import parse_message, parse_message_file
from tests.conftest import CORPUS_DIR as CORPUS

CORPUS_FILES = sorted(CORPUS.rglob("*.eml")) if CORPUS.is_dir() else []
GLPI = CORPUS / "glpi"
HELPDESK = "unittests@glpi-project.org"


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


@pytest.mark.skipif(not CORPUS_FILES, reason="shared corpus not present")
@pytest.mark.parametrize("path", CORPUS_FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_corpus_mail_parses_to_valid_utf8_or_raises_parse_error(path):
    try:
        parsed = parse_message_file(path, helpdesk_address=HELPDESK)
    except ParseError:
        return
    assert_clean(parsed)
    assert parsed == parse_message(path.read_bytes(), helpdesk_address=HELPDESK)


def glpi(name: str):
    path = GLPI / name
    if not path.exists():
        pytest.skip(f"{name} not in the shared corpus")
    return parse_message_file(path, helpdesk_address=HELPDESK)


def test_koi8_r_body_and_windows_1251_subject_become_russian_text():
    mail = glpi("13-koi8-r-encoded-body.eml")
    assert mail.title == "проверка"
    assert mail.sender.email == "normal@glpi-project.org"


def test_nonsense_charset_with_latin1_bytes_reads_as_french():
    mail = glpi("54-invalid-charset.eml")
    assert mail.text == "This message declares an invalid charset: café and pièces jointes."
    assert mail.is_html_only


def test_first_real_message_id_header_is_used_not_a_lookalike():
    mail = glpi("45-multiple-messageid.eml")
    assert mail.message_id == "UNIQUEID@AS1PR01MB9084.eurprd01.prod.exchangelabs.com"
    assert mail.cc == ()


def test_foreign_ticket_tags_are_not_ours():
    mail = glpi("04.3-ticket-followup-from-subject.eml")
    assert mail.subject_ticket_id is None
    assert mail.title == "[GLPI #0000101] New database issue"


def test_mail_without_subject_takes_the_first_text_line_as_title():
    assert glpi("16-no-subject.eml").title == "This is a mail without subject."


def test_proton_reply_keeps_only_the_typed_line():
    assert glpi("46-proton-android-mail-response.eml").new_text == "Reply from Proton Android client"


def test_mail_without_to_header_has_no_recipients():
    mail = glpi("48-refused-missing-to.eml")
    assert mail.to == () and mail.sender.email == "unknown@glpi-project.org"


def test_mailer_daemon_auto_reply_is_automatic():
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
def test_hostile_headers_and_bodies_never_raise_anything_but_parse_error(headers, body):
    raw = b"".join(name.encode() + b": " + value.replace(b"\n", b" ") + b"\r\n" for name, value in headers)
    try:
        parsed = parse_message(raw + b"\r\n" + body, helpdesk_address="helpdesk@lycee.example")
    except ParseError:
        return
    assert_clean(parsed)
