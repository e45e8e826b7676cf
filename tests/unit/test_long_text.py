"""A body text past the text limit (MAILBOT_MAX_TEXT_KB): the ticket keeps its start with a
note, the whole body is kept as a document, and parsing a huge one stays lean."""

import random
import tracemalloc

import pytest

from mailbot.parsers.message import parse_message
from mailbot.workflow.documents import DocumentStore
from tests.scenario.helpdesk import Helpdesk

HELPDESK = "helpdesk@lycee.example"
WORDS = ("le", "serveur", "ne", "répond", "plus", "depuis", "ce", "matin", "erreur", "délai", "dépassé",
         "connexion", "refusée")


def one_line_mail(size: int, *, ctype: str = "text/plain", seed: int = 9) -> tuple[bytes, bytes]:
    """A mail whose body is one line of `size` bytes of UTF-8 text, and that body."""
    rng = random.Random(seed)
    line = " ".join(rng.choice(WORDS) for _ in range(size // 6)).encode()[:size].decode(errors="ignore")
    if ctype == "text/html":
        line = f"<html><body><p>{line}</p></body></html>"
    body = line.encode() + b"\r\n"
    head = ("From: Nadia Martin <nadia.martin@lycee.example>\r\nTo: helpdesk@lycee.example\r\n"
            "Subject: Journal du serveur\r\nMessage-ID: <log-1@client.example>\r\nMIME-Version: 1.0\r\n"
            f"Content-Type: {ctype}; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n")
    return head.encode() + body, body


@pytest.fixture
def desk(tmp_path):
    desk = Helpdesk(tmp_path, max_text_kb=64)
    yield desk
    desk.close()


def test_a_text_under_the_limit_is_kept_whole_and_attaches_nothing():
    raw, body = one_line_mail(60 * 1024)
    parsed = parse_message(raw, helpdesk_address=HELPDESK, max_text=64 * 1024)
    assert parsed.attachments == ()
    assert parsed.text == body.decode().strip()


@pytest.mark.parametrize("ctype, name", [("text/plain", "body.txt"), ("text/html", "body.html")])
def test_a_text_past_the_limit_is_cut_with_a_note_and_attached_whole(ctype, name):
    raw, body = one_line_mail(300 * 1024, ctype=ctype)
    parsed = parse_message(raw, helpdesk_address=HELPDESK, max_text=64 * 1024)
    assert [(a.filename, a.content_type, a.data) for a in parsed.attachments] == [(name, ctype, body)]
    note = f"[… text cut at 64 KB; the whole body is attached as {name}]"
    assert parsed.text.endswith("\n\n" + note) and parsed.new_text.endswith("\n\n" + note)
    assert len(parsed.text) < 64 * 1024 + len(note) + 2
    assert parsed.new_text.startswith(body.decode().removeprefix("<html><body><p>")[:100])


def test_a_30_mb_one_line_body_is_parsed_within_a_small_multiple_of_the_mail():
    raw, body = one_line_mail(30 * 1024 * 1024)
    tracemalloc.start()
    try:
        parsed = parse_message(raw, helpdesk_address=HELPDESK, max_text=512 * 1024)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert parsed.attachments[0].data == body
    assert len(parsed.text) < 513 * 1024
    # The raw mail is the caller's; parsing holds the parser's text of the line (2 bytes a
    # character), the decoded text and the document: 4 MiB a MiB of mail measured, where the
    # stdlib parser alone held 6 and the quote stripping ran over the whole text.
    assert peak < 4.5 * len(raw), f"parse peak {peak / 2**20:.1f} MiB for {len(raw) / 2**20:.1f} MiB"


def test_the_ticket_keeps_the_start_of_a_long_body_and_the_whole_body_as_a_document(desk):
    raw, body = one_line_mail(1024 * 1024)
    result = desk.app.process(raw, "direct")
    desk.app.wait_for_delivery()
    assert result.outcome == "ticket"
    ticket = desk.show(result.ticket_id)
    assert ticket["content"].startswith(body[:200].decode())
    assert ticket["content"].endswith("\n\n[… text cut at 64 KB; the whole body is attached as body.txt]")
    assert len(ticket["content"]) < 65 * 1024
    [document] = ticket["documents"]
    assert (document["filename"], document["size"]) == ("body.txt", len(body))
    stored = DocumentStore(desk.settings.documents_dir).path_for(document["sha256"]).read_bytes()
    assert stored == body


def test_the_whole_body_is_kept_even_past_the_attachment_size_limit(tmp_path):
    desk = Helpdesk(tmp_path, max_text_kb=64, max_attachment_mb=0.5)
    try:
        raw, body = one_line_mail(1024 * 1024)
        result = desk.app.process(raw, "direct")
        ticket = desk.show(result.ticket_id)
        assert [(d["filename"], d["size"]) for d in ticket["documents"]] == [("body.txt", len(body))]
    finally:
        desk.close()


LINE = ("2026-11-30 08:15:02 erreur délai dépassé sur la connexion " * 2000).encode()  # ~120 KB, one line


def shapes(eol: bytes) -> dict[str, bytes]:
    head = eol.join([b"From: nadia.martin@lycee.example", b"To: helpdesk@lycee.example", b"Subject: Journal"])
    multi = head + eol + b'Content-Type: multipart/mixed; boundary="B"' + eol
    return {
        "single part": head + eol + b"Content-Type: text/plain; charset=utf-8" + eol * 2 + LINE + eol,
        "single part, no last line end": head + eol * 2 + LINE,
        "text body and text attachment": multi + eol + eol.join([
            b"--B", b"Content-Type: text/plain; charset=utf-8", b"", LINE, b"--B",
            b"Content-Type: text/plain; charset=utf-8", b"Content-Disposition: attachment; filename=log.txt", b"",
            LINE, b"--B--", b""]),
        "preamble": multi + eol + eol.join([LINE, b"--B", b"Content-Type: text/plain", b"", b"Bonjour", b"--B--", b""]),
        "attached mail": multi + eol + eol.join([
            b"--B", b"Content-Type: text/plain", b"", b"Voir le journal.", b"--B", b"Content-Type: message/rfc822", b"",
            b"Subject: Journal du serveur", b"", LINE, b"--B--", b""]),
        "a boundary after a lone CR": multi + eol + eol.join([  # a line end to the parser
            b"--B", b"Content-Type: text/plain", b"", LINE[:50_000] + b"\r--B\r" + LINE[50_000:], b"--B--", b""]),
        "an attached mail's long first header": multi + eol + eol.join([
            b"--B", b"Content-Type: message/rfc822", b"", b"X-Journal: " + LINE, b"Subject: Journal", b"",
            b"Voir l'en-tete.", b"--B--", b""]),
        "quoted-printable": head + eol + b"Content-Transfer-Encoding: quoted-printable" + eol * 2 + LINE + eol,
    }


@pytest.mark.parametrize("eol", [b"\n", b"\r\n"], ids=["LF", "CRLF"])
@pytest.mark.parametrize("shape", list(shapes(b"\n")))
def test_a_long_body_line_read_from_the_raw_bytes_parses_as_the_stdlib_parses_it(monkeypatch, eol, shape):
    from mailbot.parsers import bigbodies

    raw = shapes(eol)[shape]
    fast = parse_message(raw, helpdesk_address=HELPDESK)
    monkeypatch.setattr(bigbodies, "_find_cuts", lambda raw, start=0: [])
    plain = parse_message(raw, helpdesk_address=HELPDESK)
    assert (fast.text, fast.subject) == (plain.text, plain.subject)
    assert [(a.filename, a.data) for a in fast.attachments] == [(a.filename, a.data) for a in plain.attachments]
    assert fast.defects == plain.defects
