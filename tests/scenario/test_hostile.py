"""Mails built to break things (SPEC §3, §8): each gets a clear outcome, our own mails stay
clean, and the next mail still goes in."""

import email
from email.message import EmailMessage
from email.policy import default as default_policy
from email.utils import make_msgid

import pytest

from mailbot.workflow.people import MAX_OBSERVERS_FROM_MAIL

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


HOSTILE = {
    "empty file": (b"", "failed"),
    "only blank lines": (b"\r\n\r\n\r\n", "failed"),
    "outlook .msg": (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 4000, "failed"),
    "binary junk": (bytes(range(256)) * 40, None),
    "200 nested levels": (nested(200), "ticket"),
    "5000 parts": (many_parts(5000), "ticket"),
    "1 MiB line": (raw_mail(body="x" * (1 << 20)), "ticket"),
    "100 kB subject": (raw_mail(subject="Long " * 20000), "ticket"),
    "NUL bytes": (raw_mail(subject="Nul\x00ici", body="avant\x00après"), "ticket"),
}


@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_mail_gets_a_clear_outcome_and_the_next_mail_goes_in(helpdesk, name):
    raw, outcome = HOSTILE[name]
    result = process(helpdesk, raw)
    assert result.outcome in ("ticket", "refused", "ignored", "failed")
    if outcome:
        assert result.outcome == outcome, result.reason
    if result.outcome == "failed":
        assert result.reason
    if result.outcome == "ticket":
        ticket = helpdesk.show(result.ticket_id)
        assert len(ticket["title"]) <= 500 and "\x00" not in ticket["content"] + ticket["title"]
    next_mail_still_goes_in(helpdesk)


def test_an_outlook_msg_file_is_failed_with_a_reason_saying_so(helpdesk):
    result = process(helpdesk, HOSTILE["outlook .msg"][0])
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
