"""A worker killed with `kill -9` in the middle of a batch of notifications (MAILBOT_DELIVERY_BATCH):
nothing is lost, and the only mails that can reach the server twice are the ones the killed
worker had already handed over, each with the same Message-ID both times."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from email.utils import make_msgid
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from services import free_port
from sqlalchemy import func, select

from mailbot.app import App
from mailbot.workflow.models import Notification
from tests.conftest import clean_settings

pytestmark = [pytest.mark.integration, pytest.mark.slow]

MAILBOT = str(Path(sys.executable).with_name("mailbot"))
MAILS = 20
BATCH = 10


class SlowSink:
    """Takes every mail, 0.3 s each, keeping the Message-IDs in the order they came."""

    def __init__(self) -> None:
        self.message_ids: list[str] = []
        self.port = free_port()
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)

    async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]
        await asyncio.sleep(0.3)
        self.message_ids += [line.split(b":", 1)[1].strip().decode() for line in envelope.content.splitlines()
                             if line.lower().startswith(b"message-id:")]
        return "250 OK"


def wait_until(condition, timeout: float, what: str) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


def test_a_worker_killed_in_the_middle_of_a_batch_loses_nothing_and_repeats_only_what_it_had_handed_over(
        tmp_path, postgres_url, redis_url):  # type: ignore[no-untyped-def]
    sink = SlowSink()
    sink.controller.start()
    values = {"database_url": postgres_url, "broker_url": redis_url, "smtp_url": f"smtp://127.0.0.1:{sink.port}",
              "helpdesk_address": "helpdesk@lycee.example", "delivery_batch": str(BATCH), "claim_seconds": "2",
              "relay_grace_seconds": "0"}
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAILBOT_")}
    env.update({f"MAILBOT_{k.upper()}": v for k, v in values.items()})
    app = App(clean_settings(**values, outbox_dir=tmp_path / "outbox", documents_dir=tmp_path / "documents"))
    app.ensure_schema()
    workers: list[subprocess.Popen] = []

    def start_worker() -> subprocess.Popen:
        log = (tmp_path / f"worker-{len(workers)}.log").open("wb")
        workers.append(subprocess.Popen([MAILBOT, "worker", "--threads", "1"], env=env, cwd=tmp_path,
                                        stdout=log, stderr=log))
        return workers[-1]

    def count(status: str) -> int:
        with app.db.transaction() as session:
            return session.scalar(select(func.count()).where(Notification.status == status)) or 0

    try:
        raws = [(f"From: eleve{n}@lycee.example\r\nTo: helpdesk@lycee.example\r\nSubject: Demande {n}\r\n"
                 f"Message-ID: {make_msgid(domain='client.example')}\r\n\r\nBonjour.\r\n").encode()
                for n in range(MAILS)]
        assert [r.outcome for r in app.process_many(raws)] == ["ticket"] * MAILS  # queued as 2 batches of 10
        with app.db.transaction() as session:
            expected = {f"<{message_id}>" for message_id in session.scalars(select(Notification.message_id))}
        assert len(expected) == MAILS

        first = start_worker()
        wait_until(lambda: len(sink.message_ids) >= 3, 60, "the first mails of a batch at the server")
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
        handed_over = set(sink.message_ids)
        # in the middle of a batch: mails at the server whose rows are still `sending`, none `sent`
        assert 3 <= len(handed_over) < BATCH
        assert count("sent") == 0 and count("sending") == BATCH

        start_worker()
        time.sleep(2.5)  # the dead worker's claims run out (MAILBOT_CLAIM_SECONDS=2)
        app.relay_due()  # as `mailbot run` does every MAILBOT_RELAY_SECONDS
        wait_until(lambda: count("sent") == MAILS, 90, "every notification sent")
        time.sleep(1)  # a duplicate would come right after

        received = Counter(sink.message_ids)
        assert set(received) == expected  # every notification reached the server
        repeated = {message_id for message_id, n in received.items() if n > 1}
        assert repeated <= handed_over  # only what the killed worker had handed over came twice
        assert max(received.values()) <= 2
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.send_signal(signal.SIGTERM)
                worker.wait(timeout=20)
        app.close()
        sink.controller.stop()
