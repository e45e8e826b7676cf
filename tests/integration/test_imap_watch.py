"""`mailbot run` watching real Dovecot mailboxes: IDLE picks new mail up, a server restart is
survived, several mailboxes have their own ticket type and group, and flag-only mode."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path

import pytest
from services import LOOPBACK, CuttableProxy

pytestmark = pytest.mark.integration

MAILBOT = str(Path(sys.executable).with_name("mailbot"))
FAST = {"MAILBOT_RELAY_SECONDS": "1", "MAILBOT_RELAY_GRACE_SECONDS": "2", "MAILBOT_RETRY_FIRST_SECONDS": "1",
        "MAILBOT_RECONNECT_MAX_SECONDS": "2", "MAILBOT_LEASE_SECONDS": "6", "MAILBOT_IMAP_POLL_SECONDS": "2"}


def mail(sender: str, subject: str, body: str = "Bonjour") -> bytes:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = sender, "helpdesk@lycee.example", subject
    msg["Message-ID"] = make_msgid(domain="client.example")
    msg.set_content(body)
    return msg.as_bytes()


def wait_until(check, timeout: float, what: str, log: Path | None = None):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.1)
    tail = log.read_text(errors="replace")[-3000:] if log and log.exists() else ""
    pytest.fail(f"{what} did not happen within {timeout}s\n{tail}")


class Mailbot:
    """`mailbot …` as real processes in one working folder with one environment."""

    def __init__(self, cwd: Path, env: dict[str, str]):
        self.cwd, self.env = cwd, env
        self.procs: list[tuple[subprocess.Popen, Path]] = []

    def __call__(self, *args: str, check: bool = True) -> str:
        done = subprocess.run([MAILBOT, *args], check=False, env=self.env, cwd=self.cwd, capture_output=True, text=True,
                              timeout=120)
        if check:
            assert done.returncode == 0, done.stderr
        return done.stdout

    def start(self, *args: str, name: str = "run") -> tuple[subprocess.Popen, Path]:
        log = self.cwd / f"{name}-{len(self.procs)}.log"
        with log.open("wb") as out:
            proc = subprocess.Popen([MAILBOT, *args], env=self.env, cwd=self.cwd, stdout=out, stderr=out)
        self.procs.append((proc, log))
        return proc, log

    def stop_all(self) -> None:
        for proc, _ in self.procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc, _ in self.procs:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()


@pytest.fixture
def mailbot(tmp_path, imap_mailbox, postgres_url, smtp_sink):  # type: ignore[no-untyped-def]
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAILBOT_")}
    env["MAILBOT_WEB_LISTEN"] = ""  # two runs at once would want one web port
    env.update(FAST, MAILBOT_DATABASE_URL=postgres_url, MAILBOT_IMAP_URL=imap_mailbox.imap_url,
               MAILBOT_SMTP_URL=smtp_sink.smtp_url, MAILBOT_HELPDESK_ADDRESS="helpdesk@lycee.example")
    runner = Mailbot(tmp_path, env)
    runner("db", "upgrade")
    yield runner
    runner.stop_all()


# Polling, and the IDLE restart at each lease renewal (a third of the lease), would look at the
# folder again only minutes later: a mail handled within IDLE_WINDOW was announced by IDLE.
NO_POLLING = {"MAILBOT_IMAP_POLL_SECONDS": "600", "MAILBOT_LEASE_SECONDS": "600"}
IDLE_WINDOW = 15  # seconds, against 200 s before the next look without IDLE


def test_a_new_mail_is_picked_up_at_once_by_idle_while_mailbot_runs(mailbot, imap_mailbox, smtp_sink):
    mailbot.env.update(NO_POLLING)
    _, log = mailbot.start("run")
    wait_until(lambda: imap_mailbox.idling() == 1, 30, "mailbot waiting in IDLE", log)

    imap_mailbox.append(mail("Loïc Medori <loic@lycee.example>", "Imprimante en panne"))

    wait_until(lambda: len(imap_mailbox.folder_uids("Processed")) == 1, IDLE_WINDOW, "filing the new mail", log)
    assert imap_mailbox.folder_uids("INBOX") == []
    [ack] = smtp_sink.wait_for(1, timeout=20)
    assert ack.message["Subject"] == "[Ticket #1] Imprimante en panne"
    assert "polling every" not in log.read_text()


def test_the_imap_server_restarting_under_a_running_mailbot_loses_nothing(mailbot, imap_mailbox, smtp_sink):
    # the network going away under mailbot: stopping Dovecot alone leaves its IMAP sessions alive
    relay = CuttableProxy((LOOPBACK, imap_mailbox.port))
    relay.restore()
    mailbot.env["MAILBOT_IMAP_URL"] = imap_mailbox.imap_url.replace(f":{imap_mailbox.port}/", f":{relay.port}/")
    _, log = mailbot.start("run")
    imap_mailbox.append(mail("a@lycee.example", "Avant"))
    wait_until(lambda: len(imap_mailbox.folder_uids("Processed")) == 1, 30, "the first mail", log)

    imap_mailbox.stop()
    relay.cut()
    time.sleep(3)
    imap_mailbox.start()
    relay.restore()
    imap_mailbox.append(mail("b@lycee.example", "Après"))

    wait_until(lambda: len(imap_mailbox.folder_uids("Processed")) == 2, 30, "the mail after the restart", log)
    text = log.read_text()
    assert "reconnecting in" in text and "connected again" in text
    received = smtp_sink.wait_for(2, timeout=20)
    assert sorted(r.message["Subject"] for r in received) == ["[Ticket #1] Avant", "[Ticket #2] Après"]


def test_each_mailbox_gives_its_tickets_its_own_type_and_group(mailbot, imap_mailbox):
    alice_url = imap_mailbox.imap_url.replace("helpdesk:helpdesk-pass", "alice:alice-pass")
    mailbot.env["MAILBOT_MAILBOXES"] = json.dumps([{"url": alice_url, "type": "request", "group": "Vie scolaire"}])
    imap_mailbox.append(mail("prof@lycee.example", "Écran noir"))
    imap_mailbox.append(mail("cpe@lycee.example", "Compte ENT à créer"), user="alice")

    out = mailbot("poll", "--once")

    assert "1 mail(s): 1 ticket" in out
    tickets = {t["title"]: t for t in json.loads(mailbot("tickets", "list", "--json"))}
    shown = {title: json.loads(mailbot("tickets", "show", str(t["id"]), "--json")) for title, t in tickets.items()}
    assert (shown["Écran noir"]["type"], shown["Écran noir"]["group"]) == ("incident", None)
    assert (shown["Compte ENT à créer"]["type"], shown["Compte ENT à créer"]["group"]) == ("request", "Vie scolaire")
    assert len(imap_mailbox.folder_uids("Processed", user="alice")) == 1


def test_flag_only_mode_leaves_mail_in_place_read_and_keyworded(mailbot, imap_mailbox):
    mailbot.env["MAILBOT_IMAP_MARK"] = "flag"
    imap_mailbox.append(mail("prof@lycee.example", "Vidéoprojecteur"))

    mailbot("poll", "--once")
    again = mailbot("poll", "--once")

    assert "0 mail(s)" in again
    client = imap_mailbox.client()
    try:
        client.select_folder("INBOX", readonly=True)
        [(_uid, data)] = client.fetch(client.search(["ALL"]), ["FLAGS"]).items()
    finally:
        client.logout()
    assert {b"\\Seen", b"$MailbotProcessed"} <= set(data[b"FLAGS"])
    assert imap_mailbox.folder_uids("Processed") == []
    assert len(json.loads(mailbot("tickets", "list", "--json"))) == 1
