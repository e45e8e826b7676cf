"""A mail that failed is kept with its error; `mailbot failed list/show/retry` see it and process it again."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

MAILBOT = str(Path(sys.executable).with_name("mailbot"))
MAIL = (b"From: prof@lycee.example\r\nTo: helpdesk@lycee.example\r\nSubject: Tableau blanc HS\r\n"
        b"Message-ID: <tbi-1@lycee.example>\r\n\r\nLe TBI de la salle 12 ne s'allume plus.\r\n")


def test_a_failed_mail_is_listed_shown_and_retried_into_a_ticket(tmp_path, postgres_url):
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAILBOT_")}
    env.update(MAILBOT_DATABASE_URL=postgres_url, MAILBOT_OUTBOX_DIR=str(tmp_path / "outbox"))

    def mailbot(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess:
        return subprocess.run([MAILBOT, *args], check=False, env=env, cwd=tmp_path, input=stdin, capture_output=True,
                              timeout=120)

    # the documents folder is a file: storing the mail's attachment fails
    (tmp_path / "documents").write_text("not a folder")
    broken = mailbot("ingest", "-", stdin=MAIL.replace(b"\r\n\r\n", b"\r\nContent-Type: multipart/mixed; "
                                                        b"boundary=b\r\n\r\n--b\r\nContent-Type: application/pdf"
                                                        b"\r\nContent-Disposition: attachment; filename=a.pdf\r\n\r\n"
                                                        b"%PDF\r\n--b--\r\n", 1))
    assert broken.returncode == 1

    listed = mailbot("failed", "list").stdout.decode()
    assert "Tableau blanc HS" in listed
    mail_id = listed.split()[0]
    shown = mailbot("failed", "show", mail_id).stdout.decode()
    assert "Message-ID: <tbi-1@lycee.example>" in shown and "error:" in shown

    (tmp_path / "documents").unlink()
    retried = mailbot("failed", "retry", mail_id)

    assert retried.returncode == 0, retried.stderr
    said = retried.stdout.decode().strip()
    assert said.startswith(f"mail {mail_id}: ticket #")
    assert mailbot("failed", "list").stdout.decode().splitlines() == ["no failed mail", "no notification given up"]
    assert b"Tableau blanc HS" in mailbot("tickets", "show", said.rsplit("#", 1)[1]).stdout
