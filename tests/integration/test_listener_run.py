"""`mailbot run` with its built-in listener set by MAILBOT_LISTEN: an MTA delivering by LMTP (TCP
or unix socket, several recipients), and a mail client delivering through STARTTLS (smtplib, and
mutt in its default configuration, which insists on STARTTLS)."""

from __future__ import annotations

import json
import os
import shutil
import smtplib
import socket
import ssl
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from services import LOOPBACK, free_port, require, wait_for_port

from tests.certs import Certificate, self_signed
from tests.mailbot_run import RunsMailbot
from tests.mails import a_mail

pytestmark = pytest.mark.integration

MAILBOT = str(Path(sys.executable).with_name("mailbot"))
HELPDESK = "helpdesk@lycee.example"
LOIC = "loic.medori@lycee.example"


class Running(RunsMailbot):
    """One `mailbot run` (SQLite, in-process queue) in a folder of its own, and its commands."""

    def __init__(self, folder: Path, settings: dict[str, str]):
        self.folder = folder
        self.env = {name: value for name, value in os.environ.items() if not name.startswith("MAILBOT_")}
        self.env.update(MAILBOT_HELPDESK_ADDRESS=HELPDESK, MAILBOT_WEB_LISTEN="", **settings)
        self.log = folder / "run.log"
        self.proc: subprocess.Popen | None = None

    def __call__(self, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run([MAILBOT, *args], check=False, env=self.env, cwd=self.folder,
                              capture_output=True, text=True, timeout=120)

    def tickets(self) -> list[dict]:
        done = self("tickets", "list", "--json")
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)


@pytest.fixture
def folder() -> Iterator[Path]:
    # Short, so that a unix socket inside it stays under the 107-byte limit.
    with tempfile.TemporaryDirectory(prefix="mailbot-run-") as name:
        yield Path(name)


@pytest.fixture
def start_mailbot(folder):
    started: list[Running] = []

    def start(**settings: str) -> Running:
        running = Running(folder, settings)
        running.start()
        started.append(running)
        return running

    yield start
    for running in started:
        running.stop()


@pytest.fixture
def certificate(folder) -> Certificate:
    return self_signed(folder)


def _lmtp_deliver(client: smtplib.LMTP, raw: bytes, recipients: list[str]) -> list[int]:
    """The reply codes after DATA, one per recipient (smtplib itself reads only the first)."""
    assert client.ehlo()[0] == 250  # LHLO answered: the server speaks LMTP
    assert client.mail(LOIC)[0] == 250
    for rcpt in recipients:
        assert client.rcpt(rcpt)[0] == 250
    codes = [client.data(raw)[0]]
    codes += [client.getreply()[0] for _ in recipients[1:]]
    return codes


@pytest.mark.parametrize("where", ["tcp", "unix socket"])
def test_lmtp_set_by_mailbot_listen_turns_one_mail_to_two_recipients_into_one_ticket(
        start_mailbot, folder, where):
    port = free_port()
    socket_path = folder / "lmtp.sock"
    listen = f"lmtp://{LOOPBACK}:{port}" if where == "tcp" else f"lmtp://{socket_path}"
    mailbot = start_mailbot(MAILBOT_LISTEN=listen)
    raw = a_mail("Vidéoprojecteur salle 12", sender=f"Loïc Medori <{LOIC}>", to=HELPDESK,
                 body="Il ne s'allume plus.")

    host = str(socket_path) if where == "unix socket" else LOOPBACK
    with smtplib.LMTP(host, port if where == "tcp" else 0, timeout=30) as client:
        codes = _lmtp_deliver(client, raw, [HELPDESK, "support@lycee.example"])

    assert codes == [250, 250]
    tickets = mailbot.tickets()
    assert [(t["title"], t["requester"]) for t in tickets] == [("Vidéoprojecteur salle 12", LOIC)]
    assert f"listening for LMTP on {listen}" in mailbot.log.read_text()


def test_the_first_form_host_colon_port_is_still_smtp(start_mailbot):
    port = free_port()
    mailbot = start_mailbot(MAILBOT_LISTEN=f"{LOOPBACK}:{port}")

    with smtplib.SMTP(LOOPBACK, port, timeout=30) as client:
        client.sendmail(LOIC, [HELPDESK], a_mail("Badge perdu", sender=LOIC, to=HELPDESK))

    assert [t["title"] for t in mailbot.tickets()] == ["Badge perdu"]


def test_a_mail_whose_from_has_no_address_is_the_envelope_senders_ticket(start_mailbot):
    port = free_port()
    mailbot = start_mailbot(MAILBOT_LISTEN=f"lmtp://{LOOPBACK}:{port}")
    raw = a_mail("Photocopieur salle des profs", sender="Loïc Medori", to=HELPDESK, body="Bourrage papier.")

    with smtplib.LMTP(LOOPBACK, port, timeout=30) as client:
        assert _lmtp_deliver(client, raw, [HELPDESK]) == [250]

    tickets = mailbot.tickets()
    assert [(t["title"], t["requester"]) for t in tickets] == [("Photocopieur salle des profs", LOIC)]


def test_a_mail_sent_through_starttls_becomes_a_ticket(start_mailbot, certificate):
    port = free_port()
    mailbot = start_mailbot(MAILBOT_LISTEN=f"{LOOPBACK}:{port}",
                            MAILBOT_LISTEN_TLS_CERT=str(certificate.cert), MAILBOT_LISTEN_TLS_KEY=str(certificate.key))

    with smtplib.SMTP(LOOPBACK, port, timeout=30) as client:
        client.starttls(context=ssl.create_default_context(cafile=str(certificate.cert)))
        assert isinstance(client.sock, ssl.SSLSocket)
        client.sendmail(LOIC, [HELPDESK], a_mail("Wi-Fi salle des profs", sender=LOIC, to=HELPDESK))

    assert [t["title"] for t in mailbot.tickets()] == ["Wi-Fi salle des profs"]


def mutt_binary() -> str:
    found = shutil.which("mutt")
    if not found:
        raise FileNotFoundError("mutt is not installed (run scripts/test-services as root)")
    return found


def test_mutt_in_its_default_configuration_delivers_through_starttls(start_mailbot, folder, certificate):
    binary = ""

    def check() -> None:
        nonlocal binary
        binary = mutt_binary()

    require("mutt not available", check)
    port = free_port()
    mailbot = start_mailbot(MAILBOT_LISTEN=f"{LOOPBACK}:{port}",
                            MAILBOT_LISTEN_TLS_CERT=str(certificate.cert), MAILBOT_LISTEN_TLS_KEY=str(certificate.key))
    home = folder / "home"
    home.mkdir()
    muttrc = folder / "muttrc"
    # Only what batch mode needs: who sends, where to, which certificate to trust; STARTTLS is
    # mutt's default (ssl_starttls=yes), certificate checking too.
    muttrc.write_text(f'set from="Loïc Medori <{LOIC}>"\n'
                      f'set smtp_url="smtp://{LOOPBACK}:{port}/"\n'
                      f'set ssl_ca_certificates_file="{certificate.cert}"\n'
                      f'set certificate_file="{home / "certificates"}"\n'
                      'set copy=no\n')
    env = {"HOME": str(home), "PATH": os.environ.get("PATH", ""), "LANG": "C.UTF-8"}

    sent = subprocess.run([binary, "-n", "-F", str(muttrc), "-s", "Imprimante bloquée", "--", HELPDESK],
                          input="Le bac 2 est coincé.\n".encode(), env=env, capture_output=True,
                          timeout=120, check=False)

    assert sent.returncode == 0, (sent.stdout + sent.stderr).decode(errors="replace")
    tickets = mailbot.tickets()
    assert [(t["title"], t["requester"]) for t in tickets] == [("Imprimante bloquée", LOIC)]
    assert f"mail from {LOIC} (TLS): ticket" in mailbot.log.read_text()  # it came through STARTTLS


def test_a_bad_mailbot_listen_stops_mailbot_run_with_one_line(folder):
    mailbot = Running(folder, {"MAILBOT_LISTEN": "lmtp://127.0.0.1"})

    done = mailbot("run")

    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        ("mailbot: configuration error: MAILBOT_LISTEN: expected smtp://HOST:PORT, lmtp://HOST:PORT, "
         "lmtp:///SOCKET/PATH or HOST:PORT, got 'lmtp://127.0.0.1'")]


def test_a_port_in_use_stops_mailbot_run_with_one_line(folder):
    port = free_port()
    with socket.socket() as taken:
        taken.bind((LOOPBACK, port))
        taken.listen()
        assert wait_for_port(port, timeout=5)
        done = Running(folder, {"MAILBOT_LISTEN": f"lmtp://{LOOPBACK}:{port}"})("run")

    assert done.returncode == 1
    assert done.stderr.strip().splitlines()[-1].startswith(
        f"mailbot: MAILBOT_LISTEN: cannot listen on lmtp://{LOOPBACK}:{port}: ")


@pytest.fixture
def start_postfix():
    from postfix import Postfix, postfix_binary

    started: list[Postfix] = []

    def start(lmtp: str) -> Postfix:
        binary = ""

        def check() -> None:
            nonlocal binary
            binary = postfix_binary()

        require("Postfix not available", check)
        server = Postfix(binary, "lycee.example", lmtp)
        started.append(server)
        server.start()
        return server

    yield start
    for server in started:
        server.stop()


@pytest.mark.parametrize("where", ["tcp", "unix socket"])
def test_postfix_delivers_to_mailbot_by_lmtp_and_is_answered_for_each_recipient(
        start_mailbot, start_postfix, folder, where):
    port = free_port()
    socket_path = folder / "lmtp.sock"
    folder.chmod(0o755)  # Postfix's lmtp client runs as `postfix` and must reach the socket
    listen, transport = ((f"lmtp://{LOOPBACK}:{port}", f"inet:{LOOPBACK}:{port}") if where == "tcp"
                         else (f"lmtp://{socket_path}", f"unix:{socket_path}"))
    mailbot = start_mailbot(MAILBOT_LISTEN=listen)
    postfix = start_postfix(transport)
    recipients = [HELPDESK, "support@lycee.example"]

    with smtplib.SMTP(postfix.host, postfix.port, timeout=30) as client:
        client.sendmail(LOIC, recipients, a_mail("Écran noir salle 4", sender=LOIC, to=", ".join(recipients)))

    log = postfix.wait_for_log("status=sent", count=2, timeout=60)
    for rcpt in recipients:
        assert f"to=<{rcpt}>, relay=" in log and f"status=sent (250 2.1.5 <{rcpt}> delivered: ticket #1)" in log, log
    assert [(t["title"], t["requester"]) for t in mailbot.tickets()] == [("Écran noir salle 4", LOIC)]
