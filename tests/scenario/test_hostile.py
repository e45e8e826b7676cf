"""Mails built to break things (SPEC §3, §8): each gets the outcome named in HOSTILE (`failed`
only for bytes that are not a mail), our own mails stay clean, and the next mail still goes in."""

import email
from dataclasses import dataclass
from email.message import EmailMessage
from email.policy import default as default_policy
from email.utils import make_msgid

import pytest

from mailbot.workflow.people import MAX_OBSERVERS_FROM_MAIL
from tests.conftest import known_bug
from tests.mails import is_a_not_a_mail_reason

LOIC = "loic.medori@lycee.example"
HELPDESK = "helpdesk@lycee.example"


def raw_mail(subject="Souci", body="Bonjour", sender=LOIC, extra=b""):
    return (f"From: {sender}\r\nTo: {HELPDESK}\r\nSubject: {subject}\r\n"
            f"Message-ID: {make_msgid(domain='client.example')}\r\n").encode() + extra + f"\r\n{body}\r\n".encode()


def nested(depth: int) -> bytes:
    head = raw_mail(body="")[:-4]
    parts = b"".join(b'Content-Type: multipart/mixed; boundary="b%d"\r\n\r\n--b%d\r\n' % (i, i) for i in range(depth))
    tail = b"".join(b"\r\n--b%d--\r\n" % i for i in reversed(range(depth)))
    return head + b"MIME-Version: 1.0\r\n" + parts + b"Content-Type: text/plain\r\n\r\nau fond\r\n" + tail


def many_parts(count: int) -> bytes:
    head = raw_mail(body="")[:-4] + b'MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="x"\r\n\r\n'
    part = b'--x\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment; filename="p.bin"\r\n\r\nAA\r\n'
    return head + b"--x\r\nContent-Type: text/plain\r\n\r\ncorps\r\n" + part * count + b"--x--\r\n"


def process(helpdesk, raw):
    result = helpdesk.app.process(raw, "direct")
    helpdesk.app.wait_for_delivery()
    return result


def next_mail_still_goes_in(helpdesk):
    result = helpdesk.send("suivant@lycee.example", "Le suivant", "Tout va bien ?")
    assert result.outcome == "ticket"


def headers(*lines: str, subject: bytes = b"") -> bytes:
    """A mail of exactly these header lines (plus To, Message-ID, Date and a raw Subject)."""
    head = [*lines, f"To: {HELPDESK}", f"Message-ID: {make_msgid(domain='client.example')}",
            "Date: Mon, 30 Nov 2026 09:00:00 +0100"]
    raw_subject = b"Subject: " + subject + b"\r\n" if subject else b""
    return "\r\n".join(head).encode() + b"\r\n" + raw_subject + b"\r\nBonjour\r\n"


@dataclass(frozen=True)
class Expect:
    outcome: str
    reason: str = ""  # refused/ignored: the reason; failed: the start of a not-a-mail reason
    title: str | None = None
    requester: str | None = None
    known_bug: str = ""  # right, but fails today because of this bug (strict xfail)


NOT_A_MAIL = "failed"  # the only `failed` a test accepts: bytes that are not a mail (tests/mails.py)
SOUCI = Expect("ticket", title="Souci", requester=LOIC)
HOSTILE = {
    "empty file": (b"", Expect(NOT_A_MAIL, "empty input")),
    "only blank lines": (b"\r\n\r\n\r\n", Expect(NOT_A_MAIL, "empty input")),
    "outlook .msg that is only a header": (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 4000,
                                          Expect(NOT_A_MAIL, "an Outlook .msg")),
    "binary junk": (bytes(range(256)) * 40, Expect(NOT_A_MAIL, "no header block")),
    "200 nested levels": (nested(200), SOUCI),
    "5000 parts": (many_parts(5000), SOUCI),
    "1 MiB line": (raw_mail(body="x" * (1 << 20)), SOUCI),
    "100 kB subject": (raw_mail(subject="Long " * 20000), Expect("ticket", requester=LOIC)),
    "NUL bytes": (raw_mail(subject="Nul\x00ici", body="avant\x00après"), Expect("ticket", requester=LOIC)),
    # a line before the header block
    "mbox From_ line": (b"From loic.medori@lycee.example Mon Nov 30 09:00:00 2026\r\n" + raw_mail(), SOUCI),
    "UTF-8 BOM": (b"\xef\xbb\xbf" + raw_mail(), Expect("ticket", title="Souci", requester=LOIC)),
    "forwarding banner": (b"---- Original email message ----\r\n" + raw_mail(),
                          Expect("ticket", title="Souci", requester=LOIC)),
    # the sender is somewhere else than in a plain From:
    "no From, a Sender": (headers(f"Sender: {LOIC}", "Subject: Souci"),
                          Expect("ticket", requester=LOIC)),
    "From with a name only, a Reply-To": (headers("From: Loic Medori", f"Reply-To: {LOIC}", "Subject: Souci"),
                                          Expect("ticket", requester=LOIC)),
    "empty From, a Return-Path": (headers("From: <>", f"Return-Path: <{LOIC}>", "Subject: Souci"),
                                  Expect("ticket", requester=LOIC)),
    "two From, the second with the address": (headers("From: Loic Medori", f"From: {LOIC}", "Subject: Souci"),
                                              Expect("ticket", requester=LOIC)),
    "a bare address in quotes": (headers(f'From: "{LOIC}"', "Subject: Souci"), Expect("ticket", requester=LOIC)),
    "no address anywhere": (headers("From: Loic Medori", "Subject: Souci"),
                            Expect("refused", "no usable sender address")),
    # text in a charset the mail does not declare
    "raw Shift_JIS subject": (headers(f"From: {LOIC}", subject="プリンターが壊れました".encode("shift_jis")),
                              Expect("ticket", title="プリンターが壊れました")),
    "raw GB2312 subject": (headers(f"From: {LOIC}", subject="打印机坏了请帮忙".encode("gb2312")),
                           Expect("ticket", title="打印机坏了请帮忙")),
    "raw cp1252 French subject": (headers(f"From: {LOIC}", subject="Problème d’accès à l’ENT".encode("cp1252")),
                                  Expect("ticket", title="Problème d’accès à l’ENT")),
}


def cases():  # type: ignore[no-untyped-def]
    return [pytest.param(name, id=name, marks=[known_bug(expect.known_bug)]
                         if expect.known_bug else []) for name, (_, expect) in HOSTILE.items()]


@pytest.mark.parametrize("name", cases())
def test_hostile_mail_gets_its_outcome_and_the_next_mail_goes_in(helpdesk, name):
    raw, expect = HOSTILE[name]
    result = process(helpdesk, raw)
    assert result.outcome == expect.outcome, result.reason
    if expect.outcome == NOT_A_MAIL:
        assert is_a_not_a_mail_reason(result.reason) and expect.reason in result.reason, result.reason
    elif expect.outcome != "ticket":
        assert result.reason == expect.reason
    else:
        ticket = helpdesk.show(result.ticket_id)
        assert len(ticket["title"]) <= 500 and "\x00" not in ticket["content"] + ticket["title"]
        if expect.title is not None:
            assert ticket["title"] == expect.title
        if expect.requester is not None:
            assert ticket["requester"] == expect.requester
    next_mail_still_goes_in(helpdesk)


def test_the_same_mail_delivered_twice_is_a_duplicate(helpdesk):
    raw = raw_mail(subject="Deux fois")
    first, again = process(helpdesk, raw), process(helpdesk, b"Received: from relay2.example\r\n" + raw)
    assert (first.outcome, again.outcome) == ("ticket", "duplicate")


def test_a_different_mail_with_the_same_message_id_is_not_a_duplicate(helpdesk):
    first = raw_mail(subject="Imprimante", body="Elle ne marche plus.")
    message_id = first.split(b"Message-ID: ")[1].split(b"\r\n")[0]
    second = raw_mail(subject="Vidéoprojecteur", body="Il clignote.", sender="autre@lycee.example")
    second = second.replace(second.split(b"Message-ID: ")[1].split(b"\r\n")[0], message_id)
    results = [process(helpdesk, first), process(helpdesk, second)]
    assert [r.outcome for r in results] == ["ticket", "ticket"]
    assert helpdesk.show(results[1].ticket_id)["title"] == "Vidéoprojecteur"


def test_an_outlook_msg_file_is_failed_with_a_reason_saying_so(helpdesk):
    result = process(helpdesk, HOSTILE["outlook .msg that is only a header"][0])
    assert ".msg" in result.reason


def test_deep_nesting_keeps_the_mail_and_notes_what_was_skipped(helpdesk):
    from mailbot.parsers.message import parse_message

    parsed = parse_message(nested(200), helpdesk_address=HELPDESK)
    assert any("nested" in d for d in parsed.defects)


def test_thousands_of_recipients_make_at_most_fifty_observers(helpdesk):
    cc = ", ".join(f"eleve{i}@lycee.example" for i in range(3000))
    result = helpdesk.send(LOIC, "Message à tous", "Le réseau est lent.", cc=cc)
    assert len(helpdesk.show(result.ticket_id)["observers"]) == MAX_OBSERVERS_FROM_MAIL


def test_cr_lf_in_subject_and_names_never_reach_our_headers(helpdesk):
    evil = raw_mail(subject="=?utf-8?q?Panne=0D=0ABcc:_victime@ailleurs.example?=",
                    sender='"Loic=?utf-8?q?=0D=0ABcc:_x@ailleurs.example?=" <loic.medori@lycee.example>')
    assert process(helpdesk, evil).outcome == "ticket"
    mails = helpdesk.new_mails()
    assert mails
    for sent in mails:
        again = email.message_from_bytes(sent.message.as_bytes(), policy=default_policy)
        assert again["Bcc"] is None
        assert [k.lower() for k in again].count("subject") == 1
        assert "\n" not in str(again["Subject"]) and "\r" not in str(again["Subject"])


def test_script_in_a_body_is_escaped_in_html_notifications(helpdesk):
    helpdesk.send(LOIC, "Page bizarre", "<script>alert('x')</script> <b>gras</b>")
    for sent in helpdesk.new_mails():
        html = sent.message.get_body(("html",))
        if html is None:
            continue
        content = html.get_content()
        assert "<script>" not in content and "&lt;script&gt;" in content


def test_a_file_name_with_control_characters_is_cleaned(helpdesk):
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = LOIC, HELPDESK, "Pièce"
    msg["Message-ID"] = make_msgid(domain="client.example")
    msg.set_content("ci-joint")
    msg.add_attachment(b"data", maintype="application", subtype="pdf", filename="a\x01b\x1b[31m.pdf")
    result = process(helpdesk, msg.as_bytes())
    (document,) = helpdesk.show(result.ticket_id)["documents"]
    assert all(ch.isprintable() for ch in document["filename"]) and document["filename"].endswith(".pdf")
