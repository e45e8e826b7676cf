"""An Outlook .msg file given to `mailbot ingest` is the mail it holds: it opens a ticket with
its sender, subject, text and attachments; one that cannot be read is a failed mail saying so."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from mailbot.inbound.files import iter_sources
from mailbot.parsers.message import parse_message
from tests.outlook_msg import OutlookMail, Part

MAILBOT = str(Path(sys.executable).with_name("mailbot"))
PHOTO = bytes(range(256)) * 40  # 10 KiB: stored in the compound file's ordinary sectors
HEADERS = ("Received: from mx.lycee.example by mail.lycee.example; Mon, 30 Nov 2026 08:15:02 +0000\r\n"
           "From: =?utf-8?q?Nadia_Mart=C3=ADn?= <nadia.martin@lycee.example>\r\n"
           "To: Helpdesk <helpdesk@lycee.example>\r\nSubject: Imprimante salle 12 en panne\r\n"
           "Date: Mon, 30 Nov 2026 08:15:00 +0000\r\nMessage-ID: <outlook-1@lycee.example>\r\n"
           "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"x\"\r\n\r\n")


def outlook_mail(*, transport_headers: str = "") -> OutlookMail:
    return OutlookMail(
        "Nadia Martín", "nadia.martin@lycee.example", [("Helpdesk", "helpdesk@lycee.example")],
        "Imprimante salle 12 en panne", "Bonjour,\r\n\r\nL'imprimante affiche « bourrage papier ».\r\n\r\nNadia",
        html="<p>Bonjour,</p><p>L'imprimante affiche « bourrage papier ».</p><p>Nadia</p>",
        message_id="<outlook-1@lycee.example>", date=datetime(2026, 11, 30, 8, 15, tzinfo=UTC),
        transport_headers=transport_headers,
        attachments=[Part("photo écran.png", PHOTO, "image/png"), Part("journal.txt", b"E-23 bourrage\n", "text/plain")])


def mailbot(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAILBOT_")}
    env.update(MAILBOT_DATABASE_URL=f"sqlite:///{tmp_path / 'mailbot.db'}", MAILBOT_OUTBOX_DIR=str(tmp_path / "outbox"),
               MAILBOT_DOCUMENTS_DIR=str(tmp_path / "documents"), MAILBOT_HELPDESK_ADDRESS="helpdesk@lycee.example")
    return subprocess.run([MAILBOT, *args], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=300,
                          check=False)


@pytest.mark.parametrize("transport_headers", ["", HEADERS], ids=["saved-from-properties", "received-headers"])
def test_ingest_of_an_outlook_msg_opens_a_ticket_with_its_sender_subject_text_and_attachments(
        tmp_path, transport_headers):
    path = tmp_path / "panne.msg"
    path.write_bytes(outlook_mail(transport_headers=transport_headers).to_bytes())

    done = mailbot(tmp_path, "ingest", str(path))

    assert done.returncode == 0, done.stderr
    ticket = json.loads(mailbot(tmp_path, "tickets", "show", "1", "--json").stdout)
    assert ticket["requester"] == "nadia.martin@lycee.example"
    assert ticket["title"] == "Imprimante salle 12 en panne"
    assert ticket["content"] == "Bonjour,\n\nL'imprimante affiche « bourrage papier ».\n\nNadia"
    assert [(d["filename"], d["size"]) for d in ticket["documents"]] == [
        ("photo écran.png", len(PHOTO)), ("journal.txt", len(b"E-23 bourrage\n"))]
    stored = tmp_path / "documents"
    assert PHOTO in [p.read_bytes() for p in stored.rglob("*") if p.is_file()]


def test_a_msg_file_ingested_twice_is_one_ticket(tmp_path):
    path = tmp_path / "panne.msg"
    path.write_bytes(outlook_mail().to_bytes())

    first, second = mailbot(tmp_path, "ingest", str(path)), mailbot(tmp_path, "ingest", str(path))

    assert (first.returncode, second.returncode) == (0, 0), second.stderr
    assert "panne.msg: duplicate" in second.stderr
    assert [t["id"] for t in json.loads(mailbot(tmp_path, "tickets", "list", "--json").stdout)] == [1]


def test_the_mail_of_a_msg_file_keeps_its_message_id_and_date(tmp_path):
    path = tmp_path / "panne.msg"
    path.write_bytes(outlook_mail().to_bytes())
    [(name, raw)] = list(iter_sources([str(path)]))
    parsed = parse_message(raw, helpdesk_address="helpdesk@lycee.example")
    assert name == str(path)
    assert (parsed.message_id, parsed.date) == ("outlook-1@lycee.example", datetime(2026, 11, 30, 8, 15, tzinfo=UTC))
    assert parsed.sender.name == "Nadia Martín"


def test_a_msg_file_piped_to_ingest_is_read_as_its_mail(monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(outlook_mail().to_bytes())))
    [(name, raw)] = list(iter_sources(["-"]))
    parsed = parse_message(raw, helpdesk_address="helpdesk@lycee.example")
    assert (name, parsed.sender.email, parsed.subject) == (
        "<stdin>", "nadia.martin@lycee.example", "Imprimante salle 12 en panne")


def test_a_msg_file_that_cannot_be_read_is_a_failed_mail_that_says_so(tmp_path):
    path = tmp_path / "abime.msg"
    path.write_bytes(outlook_mail().to_bytes()[:1536])  # cut short: the directory is missing

    done = mailbot(tmp_path, "ingest", str(path))

    assert done.returncode == 1
    assert "unreadable Outlook .msg file" in done.stderr
    [failed] = json.loads(mailbot(tmp_path, "failed", "list", "--json").stdout)["mails"]
    assert "an Outlook .msg (OLE) file that could not be read as a mail" in failed["error"]
