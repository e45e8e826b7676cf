"""Large base64 bodies are read from the raw mail bytes: the same files, texts and attached
mails as a line-by-line parse, whatever the line endings, padding or damage."""

import base64
import os

import pytest

from mailbot.parsers import mime
from mailbot.parsers.message import parse_message, parse_message_file

HELPDESK = "helpdesk@lycee.example"


def b64_lines(data: bytes, width: int = 76, eol: bytes = b"\n") -> bytes:
    flat = base64.b64encode(data)
    return eol.join(flat[i:i + width] for i in range(0, len(flat), width)) + eol


def mail(*parts: bytes, eol: bytes = b"\n") -> bytes:
    head = [b"From: nadia.martin@lycee.example", b"To: " + HELPDESK.encode(), b"Subject: Imprimante",
            b'Content-Type: multipart/mixed; boundary="BND"', b"", b"--BND", b"Content-Type: text/plain", b"",
            b"Voici le fichier.", b""]
    return eol.join(head) + b"".join(parts) + b"--BND--" + eol


def pdf_part(body: bytes, eol: bytes = b"\n", name: bytes = b"rapport.pdf", cte: bytes = b"base64") -> bytes:
    return eol.join([b"--BND", b"Content-Type: application/pdf; name=" + name,
                     b"Content-Transfer-Encoding: " + cte, b"", b""]) + body


def only_attachment(raw: bytes):
    parsed = parse_message(raw, helpdesk_address=HELPDESK)
    assert parsed.text == "Voici le fichier."
    (attachment,) = parsed.attachments
    return attachment


@pytest.mark.parametrize("eol", [b"\n", b"\r\n"], ids=["LF", "CRLF"])
@pytest.mark.parametrize("size", [100_000, 100_001, 100_002, 2 * 1024 * 1024 + 1], ids=str)
@pytest.mark.parametrize("empty_line_after", [False, True], ids=["", "empty line before the boundary"])
def test_a_large_pdf_is_decoded_byte_for_byte(eol, size, empty_line_after):
    data = os.urandom(size)
    body = b64_lines(data, eol=eol) + (eol if empty_line_after else b"")
    attachment = only_attachment(mail(pdf_part(body, eol), eol=eol))
    assert (attachment.filename, attachment.data) == ("rapport.pdf", data)


def test_a_mail_that_is_only_a_pdf_without_a_last_line_ending_keeps_every_byte():
    data = os.urandom(300_000)
    raw = (b"From: copieur@lycee.example\nContent-Type: application/pdf\nContent-Transfer-Encoding: base64\n\n"
           + b64_lines(data).rstrip(b"\n"))
    (attachment,) = parse_message(raw, helpdesk_address=HELPDESK).attachments
    assert attachment.data == data


def test_lines_of_uneven_widths_are_decoded_too():
    chunks = [os.urandom(n) for n in [57, 45, 30] * 2000]
    body = b"".join(base64.b64encode(chunk) + b"\n" for chunk in chunks)
    assert only_attachment(mail(pdf_part(body))).data == b"".join(chunks)


@pytest.mark.parametrize("junk", [b"!!! ... ***\n", b"   \n", b"\xff\xfe\n"], ids=["punctuation", "spaces", "8-bit"])
def test_a_junk_line_in_a_large_body_is_skipped_as_before(junk):
    data = os.urandom(300_000)
    lines = b64_lines(data)
    cut = lines.index(b"\n", 100_000) + 1
    assert only_attachment(mail(pdf_part(lines[:cut] + junk + lines[cut:]))).data == data


def test_two_glued_encodings_give_the_first_file_and_a_defect():
    first, second = os.urandom(150_001), os.urandom(150_001)
    body = b64_lines(first) + b64_lines(second)  # `==` halfway: the decoder stops there
    parsed = parse_message(mail(pdf_part(body)), helpdesk_address=HELPDESK)
    assert parsed.attachments[0].data == first
    assert "InvalidBase64CharactersDefect" in parsed.defects


def test_a_large_body_missing_its_padding_is_still_decoded_and_noted_as_a_defect():
    data = os.urandom(300_001)  # base64 ends with `==`
    parsed = parse_message(mail(pdf_part(b64_lines(data)[:-3] + b"\n")), helpdesk_address=HELPDESK)
    assert parsed.attachments[0].data == data
    assert "InvalidBase64PaddingDefect" in parsed.defects


def test_a_large_base64_text_body_becomes_the_mail_text():
    text = "Le vidéoprojecteur de la salle 12 ne s'allume plus.\n" * 4000
    raw = (b"From: nadia.martin@lycee.example\nSubject: Salle 12\nContent-Type: text/plain; charset=utf-8\n"
           b"Content-Transfer-Encoding: base64\n\n" + b64_lines(text.encode()))
    assert parse_message(raw, helpdesk_address=HELPDESK).text == text.strip("\n")


def test_an_attached_mail_keeps_its_base64_lines_exactly():
    lines = b64_lines(os.urandom(200_000), eol=b"\r\n")
    inner = (b"From: copieur@lycee.example\r\nSubject: Scan\r\nContent-Type: application/pdf\r\n"
             b"Content-Transfer-Encoding: base64\r\n\r\n" + lines)
    part = b"--BND\r\nContent-Type: message/rfc822\r\n\r\n" + inner
    (attached,) = parse_message(mail(part, eol=b"\r\n"), helpdesk_address=HELPDESK).attachments
    assert attached.filename == "Scan.eml"
    assert lines.replace(b"\r\n", b"\n").rstrip(b"\n") in attached.data.replace(b"\r\n", b"\n")


def test_a_base64_encoding_name_with_a_trailing_space_is_read_as_before():
    data = os.urandom(100_000)
    attachment = only_attachment(mail(pdf_part(b64_lines(data), cte=b"base64 ")))
    assert attachment.data == b64_lines(data).rstrip(b"\n")  # small: the stdlib does not decode it


def test_parts_past_the_part_limit_are_skipped_and_said_so():
    parts = [pdf_part(b64_lines(os.urandom(20_000)), name=b"scan-%d.pdf" % i) for i in range(mime.MAX_PARTS + 5)]
    parsed = parse_message(mail(*parts), helpdesk_address=HELPDESK)
    assert len(parsed.attachments) == mime.MAX_PARTS - 2  # the mail and its text part count too
    assert f"more than {mime.MAX_PARTS} MIME parts" in parsed.defects


def test_a_large_mail_file_parses_as_its_bytes(tmp_path):
    raw = mail(pdf_part(b64_lines(os.urandom(3 * 1024 * 1024), eol=b"\r\n"), eol=b"\r\n"), eol=b"\r\n")
    path = tmp_path / "scan.eml"
    path.write_bytes(raw)
    assert parse_message_file(path, helpdesk_address=HELPDESK) == parse_message(raw, helpdesk_address=HELPDESK)
