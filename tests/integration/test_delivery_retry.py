"""Delivery through a real SMTP server that refuses for a while: temporary refusals retried by
the outbox relay, permanent ones failed with the server's answer, no mail ever sent twice, and a
notification still refused after MAILBOT_DELIVERY_MAX_ATTEMPTS given up and shown to the operator."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections import Counter
from email.utils import make_msgid
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from services import free_port
from sqlalchemy import select

from mailbot.app import App
from mailbot.workflow.models import Notification
from tests.conftest import clean_settings

pytestmark = pytest.mark.integration


class MoodySink:
    """Answers 451 to everything until `accept_after`, and 550 for one mailbox; keeps the rest."""

    def __init__(self, refuse_for: float = 0.0):
        self.accept_after = time.monotonic() + refuse_for
        self.received: list[bytes] = []
        self.refusals = 0
        self.port = free_port()
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)

    async def handle_RCPT(self, server, session, envelope, address, options):  # type: ignore[no-untyped-def]
        if address.startswith("nobody@"):
            return "550 5.1.1 <nobody@lycee.example>: mailbox unknown"
        if time.monotonic() < self.accept_after:
            self.refusals += 1
            return "451 4.7.1 Greylisted, try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]
        self.received.append(envelope.content)
        return "250 OK"

    def message_ids(self) -> Counter[str]:
        return Counter(line.split(b":", 1)[1].strip().decode() for raw in self.received
                       for line in raw.splitlines() if line.lower().startswith(b"message-id:"))


@pytest.fixture
def sink():  # type: ignore[no-untyped-def]
    server = MoodySink()
    server.controller.start()
    yield server
    server.controller.stop()


@pytest.fixture
def app(tmp_path, postgres_url, sink):  # type: ignore[no-untyped-def]
    settings = clean_settings(database_url=postgres_url, smtp_url=f"smtp://127.0.0.1:{sink.port}",
                              outbox_dir=tmp_path / "outbox", documents_dir=tmp_path / "documents",
                              helpdesk_address="helpdesk@lycee.example", retry_first_seconds=0.5,
                              retry_max_seconds=1, relay_grace_seconds=0)
    application = App(settings)
    application.ensure_schema()
    application.start_worker()
    yield application
    application.close()


def mail(sender: str, subject: str) -> bytes:
    return (f"From: {sender}\r\nTo: helpdesk@lycee.example\r\nSubject: {subject}\r\n"
            f"Message-ID: {make_msgid(domain='client.example')}\r\n\r\nBonjour\r\n").encode()


def rows(app: App) -> list[Notification]:
    with app.db.transaction() as session:
        return list(session.scalars(select(Notification).order_by(Notification.id)))


def relay_until(app: App, done, timeout: float = 30) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not done() and time.monotonic() < deadline:
        app.relay_due()
        app.wait_for_delivery(timeout_ms=5000)
        time.sleep(0.2)


def test_a_server_refusing_with_4xx_for_a_while_gets_every_notification_once(app, sink):
    sink.accept_after = time.monotonic() + 3
    for n in range(4):
        app.process(mail(f"prof{n}@lycee.example", f"Panne {n}"))
    app.wait_for_delivery()
    assert sink.received == [] and sink.refusals >= 4
    waiting = rows(app)
    assert {(r.status, r.attempts) for r in waiting} == {("pending", 1)}
    assert all(r.last_error.startswith("451 4.7.1 Greylisted") for r in waiting)

    relay_until(app, lambda: len(sink.received) >= 4)

    time.sleep(1)
    app.relay_due()
    app.wait_for_delivery()
    sent = rows(app)
    assert [r.status for r in sent] == ["sent"] * 4
    assert sink.message_ids() == Counter({f"<{r.message_id.strip('<>')}>": 1 for r in sent})


def test_a_permanent_refusal_marks_the_notification_failed_with_the_server_answer(app, sink):
    app.process(mail("nobody@lycee.example", "Panne"))
    app.wait_for_delivery()

    [row] = rows(app)
    assert row.status == "failed"
    assert row.last_error == "550 5.1.1 <nobody@lycee.example>: mailbox unknown"
    assert app.relay_due() == 0 and sink.received == []


def test_workers_racing_for_one_notification_send_it_once(app, sink):
    app.process(mail("prof@lycee.example", "Panne"))
    app.wait_for_delivery()
    sink.received.clear()
    with app.db.transaction() as session:
        row = session.scalars(select(Notification)).one()
        row.status, row.sent_at = "pending", None  # as if the first send had never happened
    barrier = threading.Barrier(8)
    results: list[str] = []

    def race() -> None:
        barrier.wait()
        results.append(app.deliver(row.id))

    threads = [threading.Thread(target=race) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(sink.received) == 1
    assert results.count("sent") == 8 - results.count("sending")
    assert rows(app)[0].status == "sent"


def test_a_notification_still_refused_after_the_last_attempt_is_failed_and_shown_to_the_operator(
        tmp_path, postgres_url, sink):
    sink.accept_after = float("inf")  # greylisted for ever
    settings = clean_settings(database_url=postgres_url, smtp_url=f"smtp://127.0.0.1:{sink.port}",
                        outbox_dir=tmp_path / "outbox", documents_dir=tmp_path / "documents",
                        helpdesk_address="helpdesk@lycee.example", retry_first_seconds=0.2,
                        retry_max_seconds=0.5, relay_grace_seconds=0, delivery_max_attempts=3)
    app = App(settings)
    app.ensure_schema()
    app.start_worker()
    try:
        app.process(mail("prof@lycee.example", "Imprimante HS"))
        app.wait_for_delivery()
        relay_until(app, lambda: rows(app)[0].status != "pending")
        time.sleep(1)
        assert app.relay_due() == 0  # a failed row is never handed out again
        app.wait_for_delivery()
    finally:
        app.close()

    [row] = rows(app)
    assert (row.status, row.attempts) == ("failed", 3)
    assert row.last_error.startswith("451 4.7.1 Greylisted")
    assert sink.refusals == 3 and sink.received == []

    env = {k: v for k, v in os.environ.items() if not k.startswith("MAILBOT_")}
    env.update(MAILBOT_DATABASE_URL=postgres_url, MAILBOT_SMTP_URL=f"smtp://127.0.0.1:{sink.port}",
               MAILBOT_OUTBOX_DIR=str(tmp_path / "outbox"))
    mailbot = str(Path(sys.executable).with_name("mailbot"))

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([mailbot, *args], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120,
                              check=False)

    listed = run("failed", "list").stdout.splitlines()
    assert listed[:3] == ["no failed mail", "", "notifications given up:"]
    assert listed[3].split()[0] == str(row.id) and "prof@lycee.example" in listed[3]
    assert "3 attempt(s) 451 4.7.1 Greylisted" in listed[3]
    shown = json.loads(run("failed", "list", "--json").stdout)
    assert shown["mails"] == []
    assert [(n["id"], n["recipient"], n["attempts"], n["error"]) for n in shown["notifications"]] == [
        (row.id, "prof@lycee.example", 3, row.last_error)]

    checked = run("check")
    assert checked.returncode == 0, checked.stdout  # a warning: the servers themselves are fine
    [outbox] = [line for line in checked.stdout.splitlines() if line.split()[1] == "outbox"]
    assert outbox.startswith("WARN outbox")
    assert outbox.endswith(": 1 notification(s) failed for good (mailbot failed list)")
