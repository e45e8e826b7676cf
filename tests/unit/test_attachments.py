"""Attachments become documents (SPEC §3.5): safe names, inline images, attached mails,
winmail.dat unpacked, one file per content, refusals noted and told, large files held once."""

import hashlib
import os
import tracemalloc
from email.message import EmailMessage
from email.utils import make_msgid

import pytest

from mailbot.config import load_settings
from mailbot.parsers.message import parse_message, sanitise_filename
from tests.conftest import EMAILS_DIR
from tests.scenario.helpdesk import Helpdesk

HELPDESK = "helpdesk@lycee.example"
NADIA = "nadia.martin@lycee.example"


@pytest.fixture
def desk(tmp_path):
    desk = Helpdesk(tmp_path)
    yield desk
    desk.close()


def mail_with(*attachments, subject="Imprimante en panne", sender=NADIA, body="Voici le fichier."):
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = sender, HELPDESK, subject
    msg["Message-ID"] = make_msgid(domain="client.example")
    msg.set_content(body)
    for data, maintype, subtype, filename, extra in attachments:
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename, **extra)
    return msg


def deliver(desk, msg):
    result = desk.app.process(msg if isinstance(msg, bytes) else msg.as_bytes(), "direct")
    desk.app.wait_for_delivery()
    return result


def stored_files(desk):
    root = desk.settings.documents_dir
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


@pytest.mark.parametrize("raw, expected", [
    ("../../etc/passwd", "passwd"),
    ("..\\..\\Windows\\system32\\evil.dll", "evil.dll"),
    ("rapport\r\nBcc: x@y.example.pdf", "rapport Bcc_ x@y.example.pdf"),
    ("bul\x00le\x07tin.pdf", "bulletin.pdf"),
    ("\u202egnp.exe", "gnp.exe"),
    ("...", "attachment-3.pdf"),
])
def test_file_names_lose_paths_and_control_characters(raw, expected):
    assert sanitise_filename(raw, "application/pdf", 3) == expected


def test_a_very_long_file_name_is_cut_to_255_bytes_keeping_its_extension():
    name = sanitise_filename("é" * 400 + ".pdf", "application/pdf", 1)
    assert len(name.encode("utf-8")) <= 255 and name.endswith(".pdf")


def test_path_traversal_name_is_stored_inside_the_documents_folder_only(desk, tmp_path):
    result = deliver(desk, mail_with((b"root:x:0:0", "text", "plain", "../../etc/passwd", {})))
    ticket = desk.show(result.ticket_id)
    assert [d["filename"] for d in ticket["documents"]] == ["passwd"]
    sha = hashlib.sha256(b"root:x:0:0").hexdigest()
    assert [p.name for p in stored_files(desk)] == [sha]
    assert not (tmp_path / "etc").exists()


def test_inline_image_is_kept_and_marked_inline(desk):
    msg = mail_with()
    msg.add_alternative("<p>Voir l'écran : <img src='cid:ecran@client'></p>", subtype="html")
    msg.get_payload()[1].add_related(b"\x89PNG fake", maintype="image", subtype="png", cid="<ecran@client>",
                                     filename="ecran.png")
    ticket = desk.show(deliver(desk, msg).ticket_id)
    assert [(d["filename"], d["inline"]) for d in ticket["documents"]] == [("ecran.png", True)]


def test_an_attached_mail_is_kept_as_an_eml_document(desk):
    inner = mail_with(subject="Mot de passe ENT", sender="eleve@lycee.example", body="Je n'arrive plus à me connecter")
    msg = mail_with()
    msg.add_attachment(inner)
    ticket = desk.show(deliver(desk, msg).ticket_id)
    (document,) = ticket["documents"]
    assert (document["filename"], document["content_type"]) == ("Mot de passe ENT.eml", "message/rfc822")
    stored = desk.app.service.intake.store.path_for(document["sha256"]).read_bytes()
    assert b"Je n'arrive plus" in stored


def test_winmail_dat_is_unpacked_into_its_files(desk):
    result = deliver(desk, (EMAILS_DIR / "outlook_winmail_dat.eml").read_bytes())
    documents = desk.show(result.ticket_id)["documents"]
    assert [(d["filename"], d["content_type"]) for d in documents] == [
        ("compte-rendu.txt", "text/plain"), ("photo.png", "image/png")]
    text = desk.app.service.intake.store.path_for(documents[0]["sha256"]).read_bytes().decode("cp1252")
    assert "vidéoprojecteur de la salle 12" in text


def test_a_damaged_winmail_dat_is_kept_as_it_came():
    msg = mail_with((b"\x78\x9f\x3e\x22" + b"\x02\x00garbage", "application", "ms-tnef", "winmail.dat", {}))
    parsed = parse_message(msg.as_bytes(), helpdesk_address=HELPDESK)
    assert [a.filename for a in parsed.attachments] == ["winmail.dat"]


def test_the_same_file_twice_is_stored_once_on_disk(desk):
    photo = b"\x89PNG" + os.urandom(2000)
    first = deliver(desk, mail_with((photo, "image", "png", "photo.png", {})))
    deliver(desk, mail_with((photo, "image", "png", "copie.png", {}), subject="Autre souci"))
    deliver(desk, mail_with((photo, "image", "png", "encore.png", {}), (photo, "image", "png", "bis.png", {}),
                            subject="Troisième"))
    assert len(stored_files(desk)) == 1
    assert desk.show(first.ticket_id)["documents"][0]["sha256"] == hashlib.sha256(photo).hexdigest()
    assert len(desk.show(3)["documents"]) == 2


def test_a_too_large_attachment_is_refused_noted_and_the_sender_told(tmp_path):
    desk = Helpdesk(tmp_path, max_attachment_mb=0.01)
    try:
        result = deliver(desk, mail_with((os.urandom(20_000), "application", "pdf", "scan.pdf", {}),
                                         (b"petit", "text", "plain", "note.txt", {})))
        ticket = desk.show(result.ticket_id)
        assert [d["filename"] for d in ticket["documents"]] == ["note.txt"]
        assert any("scan.pdf" in f["content"] for f in ticket["followups"])
        told = [m for m in desk.new_mails() if m.to == NADIA and "scan.pdf" in m.text]
        assert len(told) == 1 and "note.txt" not in told[0].text
        assert len(stored_files(desk)) == 1
    finally:
        desk.close()


def test_a_blocked_program_is_refused_on_a_reply_too(desk):
    first = deliver(desk, mail_with())
    ack = next(m for m in desk.new_mails() if m.to == NADIA)
    reply = mail_with((b"MZ\x90\x00", "application", "octet-stream", "outil.exe", {}), subject="Re: " + ack.subject,
                      body="Voici l'outil demandé.")
    reply["In-Reply-To"] = f"<{ack.message_id}>"
    assert deliver(desk, reply).outcome == "followup"
    ticket = desk.show(first.ticket_id)
    assert ticket["documents"] == []
    assert "outil.exe" in ticket["followups"][-1]["content"]
    told = [m for m in desk.new_mails() if m.to == NADIA and "outil.exe" in m.text]
    assert len(told) == 1
    # the reason in the requester's language (French here), the ticket keeps it in English
    assert "  - outil.exe\u00a0: les fichiers de type .exe ne sont pas acceptés" in told[0].text
    assert "outil.exe (files of type .exe are not accepted)" in ticket["followups"][-1]["content"]


def test_the_size_limit_is_read_from_the_environment(monkeypatch):
    monkeypatch.setenv("MAILBOT_MAX_ATTACHMENT_MB", "2")
    assert load_settings(_env_file=None).max_attachment_bytes == 2 * 1024 * 1024


def test_a_14_mib_attachment_is_parsed_without_holding_it_many_times():
    data = os.urandom(14 * 1024 * 1024)
    raw = mail_with((data, "application", "octet-stream", "image-disque.bin", {})).as_bytes()
    tracemalloc.start()
    try:
        parsed = parse_message(raw, helpdesk_address=HELPDESK)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert parsed.attachments[0].data == data
    # The raw mail is the caller's; parsing holds the decoded file and little else (14.2 MiB
    # measured for 14 MiB; 52 MiB when the base64 text went through the parser line by line).
    assert peak < 1.3 * len(data), f"parse peak {peak / 2**20:.1f} MiB"
