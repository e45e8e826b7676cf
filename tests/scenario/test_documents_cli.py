"""`mailbot documents list` and `mailbot documents get`: a technician finds an attachment on the
command line and gets it back byte for byte, under the name the sender gave it."""

import os
import subprocess
from email.message import EmailMessage
from email.utils import make_msgid

import pytest

from tests.mailbot_run import MAILBOT
from tests.scenario.helpdesk import Helpdesk

NAME = "photo écran.png"
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 40 + b"\r\n\x00fin"


@pytest.fixture
def helpdesk(tmp_path):
    desk = Helpdesk(tmp_path)
    yield desk
    desk.close()


def send_with_attachment(helpdesk: Helpdesk, filename: str, data: bytes) -> None:
    mail = EmailMessage()
    mail["From"] = "prof@lycee.example"
    mail["To"] = helpdesk.settings.helpdesk_address
    mail["Subject"] = "Écran bleu en salle 12"
    mail["Message-ID"] = make_msgid(domain="client.example")
    mail.set_content("Voici une capture de l'écran.")
    mail.add_attachment(data, maintype="image", subtype="png", filename=filename)
    helpdesk.app.process(mail.as_bytes(), "direct")
    helpdesk.app.wait_for_delivery()


def mailbot(helpdesk: Helpdesk, folder, *args: str) -> subprocess.CompletedProcess[bytes]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("MAILBOT_")}
    env = {**clean, "MAILBOT_DATABASE_URL": helpdesk.settings.database_url,
           "MAILBOT_DOCUMENTS_DIR": str(helpdesk.settings.documents_dir)}
    return subprocess.run([MAILBOT, *args], cwd=folder, env=env, capture_output=True, timeout=60)


def test_an_attachment_is_listed_under_its_name_and_written_back_byte_for_byte(helpdesk):
    send_with_attachment(helpdesk, NAME, PNG)

    [line] = helpdesk.cli("documents", "list").splitlines()
    assert line.split()[:4] == ["1", "#1", str(len(PNG)), "image/png"]
    assert line.endswith(f" {NAME}")
    assert helpdesk.cli_json("documents", "list", "--ticket", "1") == [{
        "id": 1, "ticket": 1, "filename": NAME, "size": len(PNG), "content_type": "image/png",
        "sha256": helpdesk.show(1)["documents"][0]["sha256"], "created_at": "2026-11-30T09:00:00+00:00"}]

    helpdesk.cli("documents", "get", "1")
    assert (helpdesk.tmp / "cli-cwd" / NAME).read_bytes() == PNG
    assert [p.name for p in (helpdesk.tmp / "cli-cwd").iterdir()] == [NAME]


def test_the_ticket_shows_its_documents_under_their_names(helpdesk):
    send_with_attachment(helpdesk, NAME, PNG)

    assert f"  document 1 {NAME} (image/png, {len(PNG)} bytes)" in helpdesk.cli("tickets", "show", "1").splitlines()
    [document] = helpdesk.cli_json("tickets", "show", "1")["documents"]
    assert (document["id"], document["filename"], document["size"]) == (1, NAME, len(PNG))


def test_get_writes_to_output_or_stdout(helpdesk, tmp_path):
    send_with_attachment(helpdesk, NAME, PNG)
    folder = tmp_path / "elsewhere"
    folder.mkdir()

    helpdesk.cli("documents", "get", "1", "--output", str(folder / "capture.png"))
    helpdesk.cli("documents", "get", "1", "--output", str(folder))
    assert (folder / "capture.png").read_bytes() == PNG
    assert (folder / NAME).read_bytes() == PNG

    done = mailbot(helpdesk, folder, "documents", "get", "1", "--output", "-")
    assert done.returncode == 0 and done.stdout == PNG


def test_a_name_with_folders_is_written_in_the_current_folder_only(helpdesk):
    send_with_attachment(helpdesk, "..\\..\\Windows\\écran.png", PNG)

    helpdesk.cli("documents", "get", "1")
    assert (helpdesk.tmp / "cli-cwd" / "écran.png").read_bytes() == PNG


def test_a_missing_document_is_one_line_and_status_1(helpdesk, tmp_path):
    send_with_attachment(helpdesk, NAME, PNG)

    done = mailbot(helpdesk, tmp_path, "documents", "get", "7")
    assert done.returncode == 1
    assert done.stderr.decode().splitlines() == ["mailbot: no document 7 (mailbot documents list shows them)"]
    assert done.stdout == b""


def test_no_documents_says_so(helpdesk):
    helpdesk.send("prof@lycee.example", "Wifi en panne", "Plus de wifi.")
    assert helpdesk.cli("documents", "list").strip() == "no documents"
    assert helpdesk.cli("documents", "list", "--ticket", "1").strip() == "no documents on ticket #1"


def test_get_never_overwrites_a_file_of_the_current_folder(helpdesk, tmp_path):
    send_with_attachment(helpdesk, NAME, PNG)
    (tmp_path / NAME).write_bytes(b"mine")

    done = mailbot(helpdesk, tmp_path, "documents", "get", "1")
    assert done.returncode == 1
    assert done.stderr.decode().splitlines() == [f"mailbot: {NAME} already exists (--output PATH writes it elsewhere)"]
    assert (tmp_path / NAME).read_bytes() == b"mine"
