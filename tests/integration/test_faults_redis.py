"""The broker (a Redis of the test's own) stopped while mail keeps coming: tickets are made,
notifications wait in the outbox, and every one is sent once the broker is back."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections import Counter

import pytest
from services import free_port, wait_for_port
from test_faults_crash import Db, fill
from test_imap_watch import FAST, Mailbot, wait_until

pytestmark = [pytest.mark.integration, pytest.mark.slow]


class OwnRedis:
    """A redis-server on a free loopback port, never the shared one."""

    def __init__(self, folder):  # type: ignore[no-untyped-def]
        self.port = free_port()
        self.folder = folder
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.proc = subprocess.Popen(
            ["redis-server", "--bind", "127.0.0.1", "--port", str(self.port), "--save", "", "--appendonly", "no",
             "--dir", str(self.folder)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        assert wait_for_port(self.port, timeout=10), "redis-server did not start"

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(timeout=10)
            self.proc = None


@pytest.fixture
def own_redis(tmp_path):  # type: ignore[no-untyped-def]
    if not shutil.which("redis-server"):
        if os.environ.get("CI"):
            pytest.fail("redis-server is not installed (CI is set)")
        pytest.skip("redis-server is not installed")
    server = OwnRedis(tmp_path)
    server.start()
    yield server
    server.stop()


def test_redis_stopped_for_a_while_loses_no_notification(tmp_path, own_redis, imap_mailbox, postgres_url,
                                                         smtp_sink):
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAILBOT_")}
    env["MAILBOT_WEB_LISTEN"] = ""  # two runs at once would want one web port
    env.update(FAST, MAILBOT_DATABASE_URL=postgres_url, MAILBOT_BROKER_URL=own_redis.url,
               MAILBOT_IMAP_URL=imap_mailbox.imap_url, MAILBOT_SMTP_URL=smtp_sink.smtp_url,
               MAILBOT_HELPDESK_ADDRESS="helpdesk@lycee.example")
    mailbot = Mailbot(tmp_path, env)
    mailbot("db", "upgrade")
    db = Db(postgres_url)
    try:
        mailbot.start("worker", "--threads", "2", name="worker")
        _, log = mailbot.start("run")
        fill(imap_mailbox, 5)
        smtp_sink.wait_for(5, timeout=30)

        own_redis.stop()
        fill(imap_mailbox, 10, start=5)
        wait_until(lambda: db.scalar("SELECT count(*) FROM tickets") == 15, 60, "tickets made without the broker", log)
        time.sleep(2)
        assert len(smtp_sink.messages) == 5
        assert "broker unavailable" in log.read_text()
        own_redis.start()

        smtp_sink.wait_for(15, timeout=90)
        time.sleep(2)  # a duplicate would come right after
        ids = Counter(item.message["Message-ID"] for item in smtp_sink.messages)
        assert len(ids) == 15 and max(ids.values()) == 1
        assert db.rows("SELECT status, count(*) FROM outbox GROUP BY status") == [("sent", 15)]
    finally:
        mailbot.stop_all()
        db.engine.dispose()
