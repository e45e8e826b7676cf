"""Crashes and competition on the production stack (Dovecot, PostgreSQL, Redis, a worker, SMTP):
`kill -9` in the middle of a backlog, and two `mailbot run` on one mailbox."""

from __future__ import annotations

import os
import signal
import time
from collections import Counter
from email.utils import make_msgid

import pytest
import sqlalchemy as sa
from test_imap_watch import FAST, Mailbot, wait_until

pytestmark = [pytest.mark.integration, pytest.mark.slow]

BACKLOG = 2000


def raw_mail(n: int) -> bytes:
    return (f"From: eleve{n}@lycee.example\r\nTo: helpdesk@lycee.example\r\nSubject: Demande {n}\r\n"
            f"Message-ID: {make_msgid(domain='client.example')}\r\n\r\nBonjour, demande {n}.\r\n").encode()


def fill(imap_mailbox, count: int, start: int = 0) -> None:  # type: ignore[no-untyped-def]
    client = imap_mailbox.client()
    try:
        for first in range(start, start + count, 200):
            client.multiappend("INBOX", [raw_mail(n) for n in range(first, min(first + 200, start + count))])
    finally:
        client.logout()


class Db:
    def __init__(self, url: str):
        self.engine = sa.create_engine(url)

    def scalar(self, sql: str) -> int:
        with self.engine.connect() as connection:
            return connection.execute(sa.text(sql)).scalar() or 0

    def rows(self, sql: str) -> list[tuple]:
        with self.engine.connect() as connection:
            return [tuple(r) for r in connection.execute(sa.text(sql))]


@pytest.fixture
def stack(tmp_path, imap_mailbox, postgres_url, redis_url, smtp_sink):  # type: ignore[no-untyped-def]
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAILBOT_")}
    env["MAILBOT_WEB_LISTEN"] = ""  # two runs at once would want one web port
    env.update(FAST, MAILBOT_DATABASE_URL=postgres_url, MAILBOT_BROKER_URL=redis_url,
               MAILBOT_IMAP_URL=imap_mailbox.imap_url, MAILBOT_SMTP_URL=smtp_sink.smtp_url,
               MAILBOT_HELPDESK_ADDRESS="helpdesk@lycee.example", MAILBOT_IMAP_BATCH="100")
    runner = Mailbot(tmp_path, env)
    runner("db", "upgrade")
    db = Db(postgres_url)
    yield runner, db
    runner.stop_all()
    db.engine.dispose()


def test_kill_9_in_the_middle_of_a_backlog_then_a_restart_processes_every_mail_exactly_once(
        stack, imap_mailbox, smtp_sink):
    mailbot, db = stack
    fill(imap_mailbox, BACKLOG)
    mailbot.start("worker", "--threads", "4", name="worker")
    first, log = mailbot.start("run")
    wait_until(lambda: db.scalar("SELECT count(*) FROM processed_mails") >= BACKLOG // 4, 120,
               "a quarter of the backlog", log)

    first.send_signal(signal.SIGKILL)
    first.wait(timeout=10)
    done_at_kill = db.scalar("SELECT count(*) FROM processed_mails")
    assert done_at_kill < BACKLOG, "the kill came too late to prove anything"
    _, log = mailbot.start("run")
    wait_until(lambda: imap_mailbox.folder_uids("INBOX") == [], 180, "the backlog drained", log)

    assert db.scalar("SELECT count(*) FROM tickets") == BACKLOG
    assert db.scalar("SELECT count(DISTINCT title) FROM tickets") == BACKLOG
    assert db.rows("SELECT outcome, count(*) FROM processed_mails GROUP BY outcome") == [("ticket", BACKLOG)]
    assert db.scalar("SELECT count(*) FROM followups") == 0
    assert len(imap_mailbox.folder_uids("Processed")) == BACKLOG
    received = smtp_sink.wait_for(BACKLOG, timeout=120)
    time.sleep(2)  # a duplicate would come right after
    message_ids = Counter(item.message["Message-ID"] for item in smtp_sink.messages)
    assert len(message_ids) == BACKLOG and max(message_ids.values()) == 1
    assert {item.rcpt_tos[0] for item in received} == {f"eleve{n}@lycee.example" for n in range(BACKLOG)}
    assert db.rows("SELECT status, count(*) FROM outbox GROUP BY status") == [("sent", BACKLOG)]


def test_two_pollers_on_one_mailbox_never_take_the_same_mail_and_the_second_takes_over(
        stack, imap_mailbox, smtp_sink):
    mailbot, db = stack
    mailbot.start("worker", "--threads", "2", name="worker")
    one, log_one = mailbot.start("run")
    two, log_two = mailbot.start("run")
    fill(imap_mailbox, 300)

    wait_until(lambda: db.scalar("SELECT count(*) FROM processed_mails") == 300, 120, "300 mails", log_one)
    holder, waiter_log = ((one, log_two) if "now holds" in log_one.read_text()
                          else (two, log_one))
    assert "now holds the mailbox" not in waiter_log.read_text()
    assert "held by another mailbot; waiting" in waiter_log.read_text()

    holder.send_signal(signal.SIGKILL)
    holder.wait(timeout=10)
    fill(imap_mailbox, 50, start=300)

    wait_until(lambda: db.scalar("SELECT count(*) FROM processed_mails") == 350, 60, "the waiting one taking over",
               waiter_log)
    assert "now holds the mailbox" in waiter_log.read_text()
    assert db.rows("SELECT outcome, count(*) FROM processed_mails GROUP BY outcome") == [("ticket", 350)]
    assert db.scalar("SELECT count(*) FROM tickets") == 350
    smtp_sink.wait_for(350, timeout=60)
    time.sleep(1)
    assert len({item.message["Message-ID"] for item in smtp_sink.messages}) == len(smtp_sink.messages) == 350
