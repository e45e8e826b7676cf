"""What `mailbot run` says first: the helpdesk address, the database, where mail comes in and where
notifications go (never a password), how many technicians there are, and a warning with the
command to type when there is none."""

import socket
import subprocess

from tests.mailbot_run import MAILBOT, start_log

WARNING = ("no technician: nobody is told of new tickets; "
           "add one with `mailbot users add EMAIL --name NAME --technician`")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _banner(records: list[dict[str, str]]) -> list[tuple[str, str]]:
    return [(r["level"], r["message"]) for r in records if r["logger"] == "mailbot.run"][:-1]


def test_the_banner_says_where_mail_comes_from_and_goes_and_warns_without_technicians(tmp_path):
    listen, imap = _free_port(), _free_port()  # nothing answers on the IMAP port: the banner comes first
    env = {"MAILBOT_DATABASE_URL": "sqlite:///helpdesk.db", "MAILBOT_HELPDESK_ADDRESS": "support@lycee.example",
           "MAILBOT_LISTEN": f"127.0.0.1:{listen}",
           "MAILBOT_IMAP_URL": f"imap://helpdesk:s3cret@127.0.0.1:{imap}/INBOX",
           "MAILBOT_SMTP_URL": "smtp+starttls://helpdesk:s3cret@smtp.lycee.example:587"}

    records = start_log(tmp_path, **env)

    assert _banner(records)[1:] == [
        ("INFO", "helpdesk address: support@lycee.example"),
        ("INFO", "database: sqlite:///helpdesk.db"),
        ("INFO", f"mail comes in by: IMAP imap://helpdesk@127.0.0.1:{imap}/INBOX; listener smtp://127.0.0.1:{listen}"),
        ("INFO", "notifications go to: SMTP smtp+starttls://helpdesk@smtp.lycee.example:587; "
                 "queue: in-process (this process sends)"),
        ("INFO", "web desk: off (MAILBOT_WEB_LISTEN is empty)"),
        ("INFO", "morning digest: from 7:00 Europe/Paris"),
        ("INFO", "technicians: 0"),
        ("WARNING", WARNING),
    ]
    assert _banner(records)[0][1].startswith("mailbot ") and "starting" in _banner(records)[0][1]
    assert not any("s3cret" in r["message"] for r in records)


def test_with_technicians_the_banner_counts_them_and_does_not_warn(tmp_path):
    env = {"MAILBOT_DATABASE_URL": "sqlite:///helpdesk.db", "MAILBOT_LISTEN": f"127.0.0.1:{_free_port()}",
           "MAILBOT_OUTBOX_DIR": str(tmp_path / "sent")}
    for tech in ("camille@lycee.example", "sami@lycee.example"):
        subprocess.run([MAILBOT, "users", "add", tech, "--technician"], cwd=tmp_path, env={"PATH": "/usr/bin:/bin", **env},
                       check=True, capture_output=True, timeout=60)
    subprocess.run([MAILBOT, "users", "add", "prof@lycee.example"], cwd=tmp_path, env={"PATH": "/usr/bin:/bin", **env},
                   check=True, capture_output=True, timeout=60)

    banner = _banner(start_log(tmp_path, **env))

    assert ("INFO", "technicians: 2") in banner
    assert ("INFO", f"notifications go to: outbox folder {tmp_path / 'sent'}; queue: in-process (this process sends)") \
        in banner
    assert [line for level, line in banner if level != "INFO"] == []
