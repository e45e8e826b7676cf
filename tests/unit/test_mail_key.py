"""The key a mail is recorded under: the same mail delivered twice keeps it, a different mail
that reuses a Message-ID gets another (SPEC §8)."""

from pathlib import Path

import pytest

from mailbot.parsers import mailkey
from mailbot.parsers.message import parse_message, parse_message_file

FIXTURES = Path(__file__).parents[1] / "fixtures" / "emails"
HELPDESK = "helpdesk@lycee.example"
ORIGINAL = (FIXTURES / "new_ticket_with_cc.eml").read_bytes()


def key(raw: bytes) -> str:
    return parse_message(raw, helpdesk_address=HELPDESK).mail_key


def relayed(raw: bytes, *trace: bytes) -> bytes:
    """The mail as a relay or a delivery agent hands it on: trace lines put on top."""
    return b"".join(line + b"\n" for line in trace) + raw


# What a second delivery of the same mail looks like, route by route.
SAME_MAIL = {
    "another relay": relayed(ORIGINAL, b"Received: from mx2.lycee.example by imap.lycee.example; "
                                       b"Mon, 30 Nov 2026 08:00:00 +0100"),
    "another delivery": relayed(ORIGINAL, b"Return-Path: <bounces@lycee.example>",
                                b"Delivered-To: vie-scolaire@lycee.example",
                                b"X-Original-To: support@lycee.example"),
    "another filter's verdict": relayed(ORIGINAL, b"X-Spam-Status: No, score=-0.1",
                                        b"X-Virus-Scanned: clamav at mx2", b"Received-SPF: pass"),
    "a forwarding server's seals": relayed(
        ORIGINAL, b"ARC-Seal: i=1; a=rsa-sha256; cv=none; d=fwd.example; s=a; b=AbC",
        b"ARC-Message-Signature: i=1; a=rsa-sha256; d=fwd.example; s=a; h=from; bh=x=; b=y",
        b"ARC-Authentication-Results: i=1; fwd.example; dkim=pass",
        b"Authentication-Results: fwd.example; dkim=pass header.d=lycee.example",
        b"DKIM-Signature: v=1; a=rsa-sha256; d=fwd.example; s=a; h=from; bh=x=; b=z"),
    "CRLF line endings (IMAP)": ORIGINAL.replace(b"\n", b"\r\n"),
    "an mbox file": b"From agnes.roux@lycee.example Mon Nov 30 08:00:00 2026\nStatus: RO\nX-UID: 17\n"
                    + ORIGINAL + b"\n",
    "a folded header unfolded": ORIGINAL.replace(b"lycee.example;\n spf=pass", b"lycee.example; spf=pass")
                                        .replace(b"<proviseur.adjoint@lycee.example>,\n secretariat",
                                                 b"<proviseur.adjoint@lycee.example>, secretariat"),
    "a final line break more": ORIGINAL + b"\n\n",
}


@pytest.mark.parametrize("route", SAME_MAIL)
def test_the_same_mail_delivered_again_keeps_its_key(route):
    assert SAME_MAIL[route] != ORIGINAL
    assert key(SAME_MAIL[route]) == key(ORIGINAL)


# What makes a mail another mail, even with the same Message-ID.
OTHER_MAIL = {
    "another body": ORIGINAL.replace(b"dix minutes", b"vingt minutes"),
    "another subject": ORIGINAL.replace(b"Subject: Ordinateur 203-02", b"Subject: Ordinateur 203-03"),
    "another date": ORIGINAL.replace(b"07:45:00", b"07:46:00"),
    "another sender": ORIGINAL.replace(b"Agnes.Roux@Lycee.Example", b"luc.martin@lycee.example"),
    "another recipient": ORIGINAL.replace(b"secretariat@", b"intendance@"),
    "a line added at the end of the body": ORIGINAL + b"PS : urgent\n",
}


@pytest.mark.parametrize("change", OTHER_MAIL)
def test_a_different_mail_with_the_same_message_id_gets_another_key(change):
    other = parse_message(OTHER_MAIL[change], helpdesk_address=HELPDESK)
    assert other.message_id == "new-ticket-cc@lycee.example"
    assert other.mail_key != key(ORIGINAL)


def test_the_copier_alerts_that_reuse_a_message_id_get_two_keys():
    first, second = (parse_message((FIXTURES / f"copier_alert_reused_message_id_{n}.eml").read_bytes(),
                                   helpdesk_address=HELPDESK) for n in (1, 2))
    assert first.message_id == second.message_id == "000000000001@copieur-b203.lycee.example"
    assert first.mail_key != second.mail_key


def test_the_key_is_the_message_id_and_a_short_digest_of_the_content():
    mail = parse_message(ORIGINAL, helpdesk_address=HELPDESK)
    assert mail.mail_key == f"new-ticket-cc@lycee.example|{mail.content_digest[:16]}"
    assert mail.legacy_key == "new-ticket-cc@lycee.example"


def test_a_mail_without_message_id_is_keyed_by_the_whole_digest():
    raw = b"From: a@b.example\nSubject: x\n\nbody\n"
    mail = parse_message(raw, helpdesk_address=HELPDESK)
    assert mail.mail_key == f"content:{mail.content_digest}"
    assert len(mail.content_digest) == 64
    assert key(b"Received: from x by y; Mon, 30 Nov 2026 08:00:00 +0100\n" + raw) == mail.mail_key
    assert mail.legacy_key == f"sha256:{mail.sha256}"


def test_a_huge_message_id_still_fits_the_column_and_keeps_mails_apart():
    long_id = "a" * 1500 + "@x.example"
    raws = [f"From: a@b.example\nMessage-ID: <{long_id}>\n\n{body}\n".encode() for body in ("one", "two")]
    keys = [key(raw) for raw in raws]
    assert all(len(k) <= mailkey.MAX_KEY for k in keys)
    assert keys[0] != keys[1]


def test_a_byte_order_mark_before_the_headers_is_not_content():
    assert mailkey.content_digest(b"\xef\xbb\xbf" + ORIGINAL) == mailkey.content_digest(ORIGINAL)


def test_a_mail_read_from_a_file_has_the_key_of_the_same_bytes(tmp_path):
    path = tmp_path / "mail.eml"
    path.write_bytes(ORIGINAL)
    assert parse_message_file(path, helpdesk_address=HELPDESK).mail_key == key(ORIGINAL)


def test_a_crlf_cut_between_two_chunks_of_a_big_body_reads_as_one_line_break(monkeypatch):
    body = b"".join(b"line %d\r\n" % n for n in range(200))
    raw = b"From: a@b.example\r\nMessage-ID: <big@x.example>\r\n\r\n" + body
    expected = mailkey.content_digest(raw.replace(b"\r\n", b"\n"))
    for chunk in (1, 2, 7, 8, 64):  # every alignment of the CR and LF against the chunk ends
        monkeypatch.setattr(mailkey, "_CHUNK", chunk)
        assert mailkey.content_digest(raw) == expected


@pytest.mark.parametrize("name, transport", [
    ("Received", True), ("X-Received", True), ("Return-Path", True), ("Delivered-To", True),
    ("X-Original-To", True), ("Authentication-Results", True), ("ARC-Seal", True),
    ("DKIM-Signature", True), ("X-Spam-Flag", True), ("X-MS-Exchange-Organization-SCL", True),
    ("From", False), ("Sender", False), ("To", False), ("Subject", False), ("Date", False),
    ("Message-ID", False), ("In-Reply-To", False), ("Content-Type", False), ("X-Mailer", False),
    ("Reply-To", False),
])
def test_only_transport_headers_are_left_out(name, transport):
    assert mailkey.is_transport_header(name) is transport
