"""What the administrator sees when the configuration is wrong: one line naming the setting,
never a traceback (SPEC §7)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

MAILBOT = str(Path(sys.executable).with_name("mailbot"))


def mailbot(tmp_path, *args, **env):
    clean = {k: v for k, v in os.environ.items() if not k.startswith("MAILBOT_")}
    return subprocess.run([MAILBOT, *args], cwd=tmp_path, env={**clean, **env}, capture_output=True,
                          text=True, timeout=60)


@pytest.mark.parametrize(("variable", "value", "says"), [
    ("MAILBOT_BROKER_URL", "http://redis", "scheme must be one of redis"),
    ("MAILBOT_LANGUAGE", "de", "'fr' or 'en'"),
    ("MAILBOT_AUTOCLOSE_HOURS", "demain", "valid number"),
    ("MAILBOT_DATABASE_URL", "nonsense", "not a database URL"),
    ("MAILBOT_TIMEZONE", "Europe/Lyon", "unknown time zone"),
])
def test_a_bad_setting_stops_mailbot_run_with_one_line_naming_it(tmp_path, variable, value, says):
    done = mailbot(tmp_path, "run", **{variable: value})
    assert done.returncode == 2
    [line] = done.stderr.strip().splitlines()
    assert line.startswith(f"mailbot: configuration error: {variable}: ") and says in line


def test_an_unreachable_database_is_one_line_naming_the_setting(tmp_path):
    done = mailbot(tmp_path, "tickets", "list", MAILBOT_DATABASE_URL="postgresql+psycopg://nobody@127.0.0.1:1/x")
    assert done.returncode == 75  # EX_TEMPFAIL: the database may come back
    [line] = done.stderr.strip().splitlines()
    assert line.startswith("mailbot: cannot use the database of MAILBOT_DATABASE_URL:")
    assert "Traceback" not in done.stderr


def test_a_mail_piped_while_the_database_is_away_is_kept_by_the_mta(tmp_path):
    """An MTA pipes a mail to `mailbot ingest -`: with the database unreachable, the command
    exits EX_TEMPFAIL (75), which Postfix's pipe and sendmail read as "keep it, retry later";
    any other non-zero status would bounce the mail to its sender."""
    mail = b"From: loic@lycee.example\r\nTo: helpdesk@lycee.example\r\nSubject: Imprimante\r\n\r\nBloquee.\r\n"
    clean = {k: v for k, v in os.environ.items() if not k.startswith("MAILBOT_")}
    done = subprocess.run([MAILBOT, "ingest", "-"], cwd=tmp_path, input=mail, capture_output=True, timeout=60,
                          env={**clean, "MAILBOT_DATABASE_URL": "postgresql+psycopg://nobody@127.0.0.1:1/x"})
    assert done.returncode == 75
    assert done.stderr.decode().strip().splitlines()[-1].startswith(
        "mailbot: cannot use the database of MAILBOT_DATABASE_URL:")
