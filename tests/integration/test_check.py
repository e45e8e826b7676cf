"""`mailbot check`: one line per configured server, OK or what is wrong (SPEC §8, operations)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.integration.services import free_port

pytestmark = pytest.mark.integration

MAILBOT = str(Path(sys.executable).with_name("mailbot"))


def check(tmp_path, **env):
    clean = {k: v for k, v in os.environ.items() if not k.startswith("MAILBOT_")}
    done = subprocess.run([MAILBOT, "check"], cwd=tmp_path, env={**clean, **env}, capture_output=True,
                          text=True, timeout=60)
    return done.returncode, done.stdout.strip().splitlines()


def test_every_server_answers(tmp_path, postgres_url, redis_url, imap_mailbox, smtp_sink):
    subprocess.run([MAILBOT, "db", "upgrade"], cwd=tmp_path, check=True, capture_output=True,
                   env={**os.environ, "MAILBOT_DATABASE_URL": postgres_url})
    code, lines = check(tmp_path, MAILBOT_DATABASE_URL=postgres_url, MAILBOT_BROKER_URL=redis_url,
                        MAILBOT_IMAP_URL=imap_mailbox.imap_url, MAILBOT_SMTP_URL=smtp_sink.smtp_url)
    assert code == 0
    assert [line.split()[:2] for line in lines] == [["OK", "database"], ["OK", "broker"], ["OK", "imap"],
                                                    ["OK", "smtp"], ["OK", "outbox"]]
    assert lines[-1].endswith(": no notification given up")
    assert not any("helpdesk-pass" in line for line in lines)  # passwords never printed


def test_each_wrong_server_is_one_line_saying_what_is_wrong(tmp_path, imap_mailbox):
    wrong_imap = imap_mailbox.imap_url.replace("helpdesk-pass", "wrong-pass")
    closed = free_port()
    code, lines = check(tmp_path, MAILBOT_DATABASE_URL=f"sqlite:///{tmp_path / 'new.db'}",
                        MAILBOT_BROKER_URL=f"redis://127.0.0.1:{closed}/0", MAILBOT_IMAP_URL=wrong_imap,
                        MAILBOT_SMTP_URL=f"smtp://127.0.0.1:{closed}")
    assert code == 1
    by_server = {line.split()[1]: line for line in lines}
    assert len(lines) == 4 and all(line.startswith("FAIL") for line in lines)
    assert "mailbot db upgrade" in by_server["database"]
    assert f"127.0.0.1:{closed}" in by_server["broker"] and f"127.0.0.1:{closed}" in by_server["smtp"]
    assert "wrong-pass" not in by_server["imap"]


def test_rabbitmq_is_checked_like_redis(tmp_path, rabbitmq_url):
    database = f"sqlite:///{tmp_path / 'mailbot.db'}"
    subprocess.run([MAILBOT, "db", "upgrade"], cwd=tmp_path, check=True, capture_output=True,
                   env={**os.environ, "MAILBOT_DATABASE_URL": database})
    code, lines = check(tmp_path, MAILBOT_DATABASE_URL=database, MAILBOT_BROKER_URL=rabbitmq_url)
    assert code == 0, lines
    assert lines[1].split()[:2] == ["OK", "broker"]

    wrong_password = rabbitmq_url.replace(":guest@", ":wrong-pass@")
    code, lines = check(tmp_path, MAILBOT_DATABASE_URL=database, MAILBOT_BROKER_URL=wrong_password)
    assert code == 1
    assert lines[1].split()[:2] == ["FAIL", "broker"] and "wrong-pass" not in lines[1]
    closed = free_port()
    code, lines = check(tmp_path, MAILBOT_DATABASE_URL=database,
                        MAILBOT_BROKER_URL=f"amqp://guest:guest@127.0.0.1:{closed}/")
    assert code == 1
    assert lines[1].startswith("FAIL broker") and f"127.0.0.1:{closed}" in lines[1]
    assert "Connection refused" in lines[1]
