"""MAILBOT_INTAKE_WORKERS: 1 (the default) keeps one process per mailbox as before; more
needs PostgreSQL, and on SQLite `mailbot run` stops at once with one line naming the setting."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from mailbot.app import App
from mailbot.errors import ConfigError
from mailbot.intake_pool import check_workers, start_intake_pool
from mailbot.mailboxes import imap_options
from tests.conftest import clean_settings

MAILBOT = str(Path(sys.executable).with_name("mailbot"))


def test_one_intake_worker_is_the_default_and_starts_no_process(tmp_path):
    app = App(clean_settings(database_url=f"sqlite:///{tmp_path / 'm.db'}", imap_url="imap://u:p@127.0.0.1/INBOX"))

    assert app.settings.intake_workers == 1
    assert start_intake_pool(app) is None
    assert imap_options(app.settings).batch == 50
    app.close()


def test_more_intake_workers_on_sqlite_are_refused_naming_the_setting(tmp_path):
    app = App(clean_settings(database_url=f"sqlite:///{tmp_path / 'm.db'}", intake_workers=2))

    with pytest.raises(ConfigError, match=r"^MAILBOT_INTAKE_WORKERS: 2 needs PostgreSQL"):
        check_workers(app)
    app.close()


def test_mailbot_run_on_sqlite_with_two_intake_workers_stops_with_one_line(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAILBOT_")}
    env.update(MAILBOT_DATABASE_URL=f"sqlite:///{tmp_path / 'm.db'}", MAILBOT_INTAKE_WORKERS="2",
               MAILBOT_IMAP_URL="imap://u:p@127.0.0.1:9/INBOX", MAILBOT_WEB_LISTEN="")

    done = subprocess.run([MAILBOT, "run"], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60)

    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        "mailbot: configuration error: MAILBOT_INTAKE_WORKERS: 2 needs PostgreSQL (SQLite has a single writer); "
        "set it to 1 or use PostgreSQL"]
