"""`mailbot ingest -` piped by an MTA, with MAILBOT_LISTEN naming a running `mailbot run`: the
mail is handed to its listener, and what comes of it — tickets, notifications, the exit status,
the log line — is what the same command gives processing the mail in its own process; with the
listener away or refusing, the command processes the mail itself."""

from __future__ import annotations

import email
import email.policy
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.lmtp import LMTP
from services import LOOPBACK, free_port

from mailbot import handoff
from mailbot.inbound.listen_target import LISTENER_IDENT, ListenTarget
from mailbot.inbound.listener import Listener
from tests.mailbot_run import RunsMailbot

pytestmark = pytest.mark.integration

MAILBOT = str(Path(sys.executable).with_name("mailbot"))
HELPDESK = "helpdesk@lycee.example"
TECHNICIAN = "sandra.tech@lycee.example"
LOIC = "loic.medori@lycee.example"


def a_piped_mail(subject: str, body: str, *, message_id: str, in_reply_to: str = "",
                 endings: bytes = b"\n") -> bytes:
    """A mail as an MTA's pipe writes it: Return-Path on top, LF line ends (or CRLF)."""
    lines = [f"Return-Path: <{LOIC}>", f"From: Loïc Medori <{LOIC}>", f"To: {HELPDESK}",
             f"Subject: {subject}", f"Message-ID: <{message_id}>", "Date: Mon, 30 Nov 2026 10:00:00 +0100",
             "MIME-Version: 1.0", "Content-Type: text/plain; charset=utf-8", "Content-Transfer-Encoding: 8bit"]
    if in_reply_to:
        lines.append(f"In-Reply-To: <{in_reply_to}>")
    return (endings.join(line.encode() for line in [*lines, "", *body.splitlines()]) + endings)


# a deeply nested MIME structure: recorded as `failed` (kept with its error), exit status 1
NESTED = b"Return-Path: <x@lycee.example>\nFrom: x@lycee.example\nSubject: deep\nMessage-ID: <deep@x>\n" + b"".join(
    b'Content-Type: multipart/mixed; boundary="b%d"\n\n--b%d\n' % (i, i) for i in range(3000))

MAILS = [
    a_piped_mail("Imprimante en panne", "L'imprimante du CDI ne répond plus.\n.\nMerci.", message_id="p1@lycee.example"),
    a_piped_mail("Vidéoprojecteur salle 12", "Il ne s'allume plus.", message_id="p2@lycee.example", endings=b"\r\n"),
    a_piped_mail("Re: Imprimante en panne", "Elle clignote en orange.", message_id="p3@lycee.example",
                 in_reply_to="p1@lycee.example"),
    a_piped_mail("Imprimante en panne", "L'imprimante du CDI ne répond plus.\n.\nMerci.",
                 message_id="p1@lycee.example"),  # the first one again: a duplicate
    NESTED,
]


class Helpdesk(RunsMailbot):
    """A mailbot in a folder of its own (SQLite, outbox folder, in-process queue): its commands,
    and its `mailbot run` when started."""

    def __init__(self, folder: Path, **settings: str):
        self.folder = folder
        folder.mkdir(exist_ok=True)
        self.env = {name: value for name, value in os.environ.items() if not name.lower().startswith("mailbot_")}
        self.env.update(MAILBOT_HELPDESK_ADDRESS=HELPDESK, MAILBOT_WEB_LISTEN="", MAILBOT_LANGUAGE="fr", **settings)
        self.log = folder / "run.log"
        self.proc: subprocess.Popen | None = None
        done = self("users", "add", TECHNICIAN, "--name", "Sandra", "--technician")
        assert done.returncode == 0, done.stderr

    def __call__(self, *args: str, mail: bytes | None = None) -> subprocess.CompletedProcess:
        return subprocess.run([MAILBOT, *args], check=False, env=self.env, cwd=self.folder, input=mail,
                              capture_output=True, timeout=120)

    def pipe(self, mail: bytes) -> tuple[int, list[str]]:
        """`mailbot ingest -` of one mail: its exit status and its `<stdin>: …` log line(s)."""
        done = self("ingest", "-", mail=mail)
        said = [line.split("mailbot.run: ", 1)[1] for line in done.stderr.decode().splitlines()
                if "mailbot.run: <stdin>" in line]
        return done.returncode, said

    def taken_by_the_listener(self) -> int:
        return self.log.read_text(errors="replace").count("INFO mailbot.listener: mail from")

    def failed_mail(self) -> tuple[str, int]:
        listed = self("failed", "list", "--json")
        assert listed.returncode == 0, listed.stderr
        [mail] = json.loads(listed.stdout)["mails"]
        done = self("failed", "show", str(mail["id"]), "--json")
        assert done.returncode == 0, done.stderr
        row = json.loads(done.stdout)
        return row["mail_key"], row["size"]

    def tickets(self) -> list[tuple]:
        done = self("tickets", "list", "--all", "--json")
        assert done.returncode == 0, done.stderr
        return sorted((t["id"], t["title"], t["status"], t["requester"]) for t in json.loads(done.stdout))

    def outbox(self, at_least: int = 0) -> list[tuple[str, str]]:
        """(To, Subject) of each notification written, once there are `at_least` of them."""
        deadline = time.monotonic() + 30
        while True:
            files = sorted((self.folder / "outbox").glob("*.eml"))
            if len(files) >= at_least or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        mails = [email.message_from_bytes(f.read_bytes(), policy=email.policy.default) for f in files]
        return sorted((str(m["To"]), str(m["Subject"])) for m in mails)


@pytest.fixture
def folder() -> Iterator[Path]:
    # short, for a unix socket's 107 bytes
    with tempfile.TemporaryDirectory(prefix="mailbot-pipe-") as name:
        yield Path(name)


@pytest.fixture
def helpdesks() -> Iterator[list[Helpdesk]]:
    made: list[Helpdesk] = []
    yield made
    for helpdesk in made:
        helpdesk.stop()


@pytest.mark.parametrize("listen", ["lmtp unix socket", "lmtp tcp", "smtp tcp"])
def test_mails_piped_to_a_running_mailbot_give_what_the_command_gives_in_its_own_process(folder, helpdesks, listen):
    target = {"lmtp unix socket": f"lmtp://{folder}/running/lmtp.sock", "lmtp tcp": f"lmtp://{LOOPBACK}:{free_port()}",
              "smtp tcp": f"smtp://{LOOPBACK}:{free_port()}"}[listen]
    running = Helpdesk(folder / "running", MAILBOT_LISTEN=target)
    helpdesks.append(running)
    running.start()
    alone = Helpdesk(folder / "alone")  # no MAILBOT_LISTEN: `ingest -` processes in-process

    handed = [running.pipe(mail) for mail in MAILS]
    in_process = [alone.pipe(mail) for mail in MAILS]

    assert handed == in_process
    assert [status for status, _ in handed] == [0, 0, 0, 0, 1]
    assert [said[0].split(":")[1].split()[0] for _, said in handed] == \
        ["ticket", "ticket", "followup", "duplicate", "failed"]
    assert running.tickets() == alone.tickets()
    expected = alone.outbox()
    assert len(expected) >= 4  # Loïc's acknowledgements, Sandra's notifications
    assert running.outbox(at_least=len(expected)) == expected
    # the failed mail is kept byte for byte as the command keeps it: the same key and size
    assert running.failed_mail() == alone.failed_mail()
    assert running.taken_by_the_listener() == len(MAILS)


@pytest.mark.parametrize("away", ["never started (no socket)", "stopped (connection refused)"])
def test_with_the_listener_away_the_piped_mail_is_processed_in_the_command_itself(folder, helpdesks, away):
    target = (f"lmtp://{folder}/helpdesk/lmtp.sock" if away.startswith("never")
              else f"lmtp://{LOOPBACK}:{free_port()}")
    helpdesk = Helpdesk(folder / "helpdesk", MAILBOT_LISTEN=target)
    helpdesks.append(helpdesk)
    if away.startswith("stopped"):
        helpdesk.start()
        helpdesk.stop()

    status, said = helpdesk.pipe(MAILS[0])

    assert (status, said) == (0, ["<stdin>: ticket #1"])
    assert [t[1] for t in helpdesk.tickets()] == ["Imprimante en panne"]
    assert helpdesk.outbox(at_least=2)


class Answering:
    """An aiosmtpd handler answering DATA with a fixed line, and counting the mails."""

    def __init__(self, answer: str):
        self.answer = answer
        self.mails = 0

    async def handle_DATA(self, server, session, envelope) -> str:
        self.mails += 1
        return self.answer


class _LmtpController(Controller):
    def factory(self):
        return LMTP(self.handler, **self.SMTP_kwargs)


@pytest.mark.parametrize("answer, ident, reached", [
    ("554 5.6.0 refused", LISTENER_IDENT, True),
    ("451 4.3.0 try again later", LISTENER_IDENT, True),
    ("250 2.0.0 OK", "Python SMTP", False),  # not mailbot: never given the mail
])
def test_a_mail_the_listener_does_not_take_is_processed_by_the_command_with_its_usual_outcome(
        folder, helpdesks, answer, ident, reached):
    handler = Answering(answer)
    port = free_port()
    server = _LmtpController(handler, hostname=LOOPBACK, port=port, ident=ident)
    server.start()
    try:
        helpdesk = Helpdesk(folder / "helpdesk", MAILBOT_LISTEN=f"lmtp://{LOOPBACK}:{port}")
        for_comparison = Helpdesk(folder / "alone")
        results = [helpdesk.pipe(mail) for mail in (MAILS[0], NESTED)]
    finally:
        server.stop()

    assert handler.mails == (2 if reached else 0)
    assert results == [for_comparison.pipe(mail) for mail in (MAILS[0], NESTED)]
    assert [status for status, _ in results] == [0, 1]
    assert [t[1] for t in helpdesk.tickets()] == ["Imprimante en panne"]


@dataclass(frozen=True)
class _Result:
    outcome: str
    ticket_id: int | None = None
    reason: str = ""


def test_a_listener_that_answers_too_late_leaves_the_mail_to_the_command(monkeypatch, folder):
    # the command then processes the mail too; the mail's key records it once (tests/integration/test_races.py)
    release = threading.Event()

    def slow_app(raw: bytes, mailbox: str) -> _Result:
        release.wait(timeout=10)
        return _Result("ticket", 1)

    target = ListenTarget("lmtp", socket_path=str(folder / "lmtp.sock"))
    listener = Listener(slow_app, target)
    listener.start()
    monkeypatch.setattr(handoff, "ANSWER_SECONDS", 0.5)
    try:
        assert handoff.hand_over(MAILS[0], target) is None
    finally:
        release.set()
        listener.stop()


@pytest.mark.parametrize("result, status", [
    (_Result("ticket", 12), 0), (_Result("duplicate", 12), 0), (_Result("refused"), 0),
    (_Result("failed", None, "not a mail: empty input"), 1),
])
def test_the_listener_s_answer_gives_the_command_s_exit_status(folder, result, status):
    target = ListenTarget("smtp", socket_path=str(folder / "smtp.sock"))
    listener = Listener(lambda raw, mailbox: result, target)
    listener.start()
    try:
        assert handoff.hand_over(MAILS[1], target) == status
    finally:
        listener.stop()
