"""RabbitMQ out of reach while mail keeps coming: tickets are made, notifications wait in the
outbox, and every one is sent once, after the broker is back. The shared server is never stopped:
mailbot reaches it through a proxy of the test's own, which the test cuts (every connection
dropped, new ones refused) and restores."""

from __future__ import annotations

import os
import time
from collections import Counter
from urllib.parse import urlsplit

import pytest
from services import LOOPBACK, CuttableProxy
from test_faults_crash import Db, fill
from test_imap_watch import FAST, Mailbot, wait_until

pytestmark = [pytest.mark.integration, pytest.mark.slow]


@pytest.fixture
def rabbitmq_proxy(rabbitmq_url):  # type: ignore[no-untyped-def]
    parts = urlsplit(rabbitmq_url)
    proxy = CuttableProxy((parts.hostname or LOOPBACK, parts.port or 5672))
    proxy.restore()
    credentials = f"{parts.username}:{parts.password}@" if parts.username else ""
    yield proxy, parts._replace(netloc=f"{credentials}{LOOPBACK}:{proxy.port}").geturl()
    proxy.cut()


def test_rabbitmq_out_of_reach_for_a_while_loses_no_notification(tmp_path, rabbitmq_proxy, imap_mailbox,
                                                                  postgres_url, smtp_sink):
    proxy, broker_url = rabbitmq_proxy
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAILBOT_")}
    env["MAILBOT_WEB_LISTEN"] = ""  # two runs at once would want one web port
    env.update(FAST, MAILBOT_DATABASE_URL=postgres_url, MAILBOT_BROKER_URL=broker_url,
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

        proxy.cut()
        fill(imap_mailbox, 10, start=5)
        wait_until(lambda: db.scalar("SELECT count(*) FROM tickets") == 15, 60, "tickets made without the broker", log)
        # the commit comes first; the broker's refusal is logged once its publish retries ran out
        wait_until(lambda: "broker unavailable" in log.read_text(), 60, "the broker's refusal logged", log)
        assert len(smtp_sink.messages) == 5
        proxy.restore()

        smtp_sink.wait_for(15, timeout=90)
        time.sleep(2)  # a duplicate would come right after
        ids = Counter(item.message["Message-ID"] for item in smtp_sink.messages)
        assert len(ids) == 15 and max(ids.values()) == 1
        assert db.rows("SELECT status, count(*) FROM outbox GROUP BY status") == [("sent", 15)]
        # pika's own lines about the lost connections stay out of the log
        assert "pika." not in log.read_text()
    finally:
        mailbot.stop_all()
        db.engine.dispose()
