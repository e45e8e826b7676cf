"""Who sent a mail when `From:` holds no usable address, and mails with junk lines before their
headers (docs/BEHAVIOUR.md, "Who sent a mail")."""

import base64
import os
from pathlib import Path

import pytest

from mailbot.errors import ParseError
from mailbot.parsers.message import parse_message, parse_message_file
from mailbot.parsers.types import Address

FIXTURES = Path(__file__).parents[1] / "fixtures" / "emails"
HELPDESK = "helpdesk@lycee.example"


def parse(name: str):
    return parse_message((FIXTURES / name).read_bytes(), helpdesk_address=HELPDESK)


def parse_raw(raw: bytes):
    return parse_message(raw, helpdesk_address=HELPDESK)


@pytest.mark.parametrize(
    "name, sender, source",
    [
        ("sender_only_in_sender_header.eml", Address("Loïc Medori", "loic.medori@lycee.example"), "sender"),
        ("from_display_name_only_reply_to.eml", Address("Secretariat", "secretariat@lycee.example"), "reply-to"),
        ("from_empty_angle_brackets_reply_to.eml", Address("Intendance", "intendance@lycee.example"), "reply-to"),
        ("two_from_headers_second_has_address.eml", Address("Paul Girard", "paul.girard@lycee.example"), "from"),
        ("from_quoted_bare_address.eml", Address("", "finances@lycee.example"), "from"),
        ("from_quoted_address_empty_brackets.eml", Address("", "finances@lycee.example"), "from"),
        ("only_return_path.eml", Address("", "vie.scolaire@lycee.example"), "return-path"),
    ],
)
def test_the_sender_is_found_past_a_from_without_address(name, sender, source):
    mail = parse(name)
    assert (mail.sender, mail.sender_source) == (sender, source)


def test_a_mail_with_no_address_anywhere_keeps_the_from_name_and_no_source():
    mail = parse("no_sender_anywhere.eml")
    assert (mail.sender, mail.sender_source) == (Address("Quelqu'un", ""), "")


def test_an_ordinary_from_is_the_sender_even_when_other_headers_differ():
    mail = parse("new_ticket_with_cc.eml")
    assert (mail.sender, mail.sender_source) == (Address("Agnès Roux", "agnes.roux@lycee.example"), "from")
    assert mail.reply_to == Address("Agnes Roux", "agnes.roux@ac-exemple.fr")


@pytest.mark.parametrize(
    "headers, sender, source",
    [
        # the order: From, Sender, Reply-To, Return-Path
        (b"From: a@x.example\nSender: b@x.example\nReply-To: c@x.example\nReturn-Path: <d@x.example>\n",
         Address("", "a@x.example"), "from"),
        (b"From: <>\nSender: b@x.example\nReply-To: c@x.example\nReturn-Path: <d@x.example>\n",
         Address("", "b@x.example"), "sender"),
        (b"Sender: Nobody\nReply-To: c@x.example\nReturn-Path: <d@x.example>\n",
         Address("", "c@x.example"), "reply-to"),
        (b"Reply-To: <>\nReturn-Path: <d@x.example>\n", Address("", "d@x.example"), "return-path"),
        # the fallback's own display name wins over the From name
        (b"From: Jean Dupont\nSender: Secretariat <s@x.example>\n", Address("Secretariat", "s@x.example"), "sender"),
        # an address written without brackets after a name, or where the name goes
        (b"From: Big Bug bb@bug.example\n", Address("Big Bug", "bb@bug.example"), "from"),
        (b"From: finances@x.example <>\n", Address("", "finances@x.example"), "from"),
        (b"From: =?utf-8?q?Lo=C3=AFc_Medori?= <>\nReturn-Path: <loic@x.example>\n",
         Address("Loïc Medori", "loic@x.example"), "return-path"),
        # several addresses in From: the first
        (b"From: tim@x.example concierge@x.example\n", Address("", "tim@x.example"), "from"),
    ],
)
def test_sender_fallback_order(headers, sender, source):
    mail = parse_raw(headers + b"Subject: t\n\nbody\n")
    assert (mail.sender, mail.sender_source) == (sender, source)


@pytest.mark.parametrize("return_path", [b"<>", b"<MAILER-DAEMON>", b""])
def test_a_bounce_return_path_is_no_address(return_path):
    mail = parse_raw(b"From: Someone\nReturn-Path: " + return_path + b"\nSubject: t\n\nbody\n")
    assert mail.sender.email == "" and mail.sender_source == ""


@pytest.mark.parametrize(
    "name, sender, subject",
    [
        ("forwarded_with_banner_line.eml", "nadia.benali@lycee.example", "Tableau numérique salle 204"),
        ("mbox_from_line.eml", "alice.martin@lycee.example", "Clavier cassé"),
        ("utf8_bom_before_headers.eml", "hugo.lambert@lycee.example", "Session bloquée"),
        ("blank_lines_before_headers.eml", "emma.petit@lycee.example", "Casque audio labo de langues"),
    ],
)
def test_junk_lines_before_the_headers_are_skipped(name, sender, subject):
    mail = parse(name)
    assert (mail.sender.email, mail.subject) == (sender, subject)
    assert mail.message_id.endswith("@lycee.example")
    assert mail.text and "From:" not in mail.text and "----" not in mail.text


def test_a_mail_file_with_a_banner_line_parses_as_its_bytes():
    path = FIXTURES / "forwarded_with_banner_line.eml"
    assert parse_message_file(path, helpdesk_address=HELPDESK) == parse("forwarded_with_banner_line.eml")


def test_a_large_attachment_after_a_banner_line_is_decoded_byte_for_byte(tmp_path):
    data = os.urandom(300_000)
    flat = base64.b64encode(data)
    body = b"\n".join(flat[i:i + 76] for i in range(0, len(flat), 76)) + b"\n"
    raw = (b"---- Original email message ----\nFrom: nadia.martin@lycee.example\nSubject: Rapport\n"
           b'Content-Type: multipart/mixed; boundary="BND"\n\n--BND\nContent-Type: text/plain\n\nVoici.\n'
           b"--BND\nContent-Type: application/pdf; name=rapport.pdf\nContent-Transfer-Encoding: base64\n\n"
           + body + b"--BND--\n")
    path = tmp_path / "big.eml"
    path.write_bytes(raw)
    for mail in (parse_raw(raw), parse_message_file(path, helpdesk_address=HELPDESK)):
        assert (mail.sender.email, mail.text) == ("nadia.martin@lycee.example", "Voici.")
        (attachment,) = mail.attachments
        assert attachment.data == data


def test_an_ordinary_first_header_is_never_skipped():
    mail = parse_raw(b"X-Odd-First: 1\nFrom: a@x.example\nSubject: s\n\nbody\n")
    assert (mail.sender.email, mail.subject) == ("a@x.example", "s")


@pytest.mark.parametrize(
    "raw",
    [
        b"line one\nline two\n\nmore words, no header\n",
        b"\n".join([b"junk line"] * 6) + b"\nFrom: a@x.example\nSubject: s\n\nbody\n",  # more than 5 lines
        b"x" * 1100 + b"\nFrom: a@x.example\nSubject: s\n\nbody\n",  # more than 1 KiB
        b"\xef\xbb\xbfjust text after a BOM\n",
    ],
    ids=["no-header", "six-junk-lines", "long-junk", "bom-then-text"],
)
def test_without_a_header_block_soon_after_the_junk_it_is_still_not_a_mail(raw):
    with pytest.raises(ParseError, match="no header block"):
        parse_raw(raw)


def test_a_stray_line_among_the_headers_does_not_hide_the_headers_after_it():
    parsed = parse("stray_line_among_headers.eml")
    assert parsed.sender == Address("Loïc Medori", "loic.medori@lycee.example")
    assert parsed.subject == "Imprimante salle 203"
    assert parsed.message_id == "stray-line-1@lycee.example"
    assert parsed.text == "Bonjour,\nL'imprimante de la salle 203 ne répond plus.\nLoïc"


@pytest.mark.parametrize("raw, text", [
    # a line without a colon and no header after it: the body starts there, as for any parser
    (b"From: a@lycee.example\r\nSubject: x\r\nBonjour\r\n\r\nsuite", "Bonjour\n\nsuite"),
    (b"From: a@lycee.example\r\nSubject: x\r\n\r\nBonjour\r\nquite Delivered-To: y\r\nTo: z", None),
])
def test_a_line_without_colon_that_no_header_follows_starts_the_body(raw, text):
    parsed = parse_raw(raw)
    assert parsed.sender.email == "a@lycee.example"
    assert parsed.subject == "x"
    assert parsed.text == (text if text is not None else "Bonjour\nquite Delivered-To: y\nTo: z")
