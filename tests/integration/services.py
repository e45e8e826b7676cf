"""Real servers on loopback for the integration tests: a private Dovecot, an SMTP sink, checks."""

from __future__ import annotations

import functools
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError

LOOPBACK = "127.0.0.1"
USERS = {"helpdesk": "helpdesk-pass", "alice": "alice-pass"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((LOOPBACK, 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, timeout: float, open_: bool = True) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            sock.settimeout(0.2)
            is_open = sock.connect_ex((LOOPBACK, port)) == 0
        if is_open == open_:
            return True
        time.sleep(0.02)
    return False


def require(service: str, check: Callable[[], object]) -> None:
    """Skip the test when `check()` raises; under CI a missing service is a failure instead."""
    try:
        check()
    except Exception as exc:  # noqa: BLE001 - any failure means the service is unusable
        # Driver errors run on for lines (hints, links); the first one says what went wrong.
        detail = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        reason = f"{service}: {detail}"
        if os.environ.get("CI"):
            pytest.fail(f"{reason} (CI is set, so a missing service fails the run)", pytrace=False)
        pytest.skip(reason)


DOVECOT_CONF = """\
# Standalone Dovecot 2.3 for mailbot's tests: IMAP only, loopback, no SSL.
base_dir = {d}/run
state_dir = {d}/state
instance_name = {instance}
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
log_path = {d}/dovecot.log
# the IMAP command a session runs shows in its process title: tests see who is in IDLE
verbose_proctitle = yes
mail_location = maildir:{d}/mail/%u/Maildir

passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {d}/users
}}
userdb {{
  driver = passwd-file
  args = username_format=%u {d}/users
  default_fields = uid=nobody gid=nogroup home={d}/mail/%u
}}
protocol imap {{
  mail_max_userip_connections = 100
}}
namespace inbox {{
  inbox = yes
  separator = /
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
"""


def dovecot_binary() -> str:
    found = shutil.which("dovecot") or shutil.which("dovecot", path="/usr/sbin:/sbin")
    if not found:
        raise FileNotFoundError("dovecot is not installed (run scripts/test-services as root)")
    if os.geteuid() != 0:
        raise PermissionError("a private Dovecot instance needs root (mail is owned by nobody)")
    return found


class Dovecot:
    """A private Dovecot instance in its own directory; the port stays the same across restarts."""

    host = LOOPBACK
    user = "helpdesk"
    password = USERS["helpdesk"]

    def __init__(self, binary: str):
        self.binary = binary
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="mailbot-dovecot-"))
        # The auth process runs as `dovecot` and must read the users file.
        self.dir.chmod(0o755)
        for sub in ("run", "state", "mail"):
            (self.dir / sub).mkdir()
        shutil.chown(self.dir / "mail", "nobody", "nogroup")
        users = "".join(f"{name}:{{PLAIN}}{password}::::::\n" for name, password in USERS.items())
        (self.dir / "users").write_text(users)
        (self.dir / "users").chmod(0o644)
        self.conf = self.dir / "dovecot.conf"
        self.conf.write_text(DOVECOT_CONF.format(d=self.dir, port=self.port, instance=self.dir.name))

    @property
    def imap_url(self) -> str:
        return f"imap://{self.user}:{self.password}@{self.host}:{self.port}/INBOX"

    @property
    def log(self) -> str:
        path = self.dir / "dovecot.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def is_running(self) -> bool:
        return (self.dir / "run" / "master.pid").exists()

    def start(self) -> None:
        # Not a pipe: the daemonized master keeps inherited descriptors open, so reading a pipe
        # until EOF would never return.
        startup_log = self.dir / "startup.log"
        with startup_log.open("ab") as output:
            started = subprocess.run([self.binary, "-c", str(self.conf)], stdin=subprocess.DEVNULL,
                                     stdout=output, stderr=output, timeout=30)
        if started.returncode != 0 or not wait_for_port(self.port, timeout=10):
            raise RuntimeError(f"Dovecot did not start on port {self.port}:\n"
                               f"{startup_log.read_text(errors='replace')[-2000:]}{self.log[-2000:]}")

    def stop(self) -> None:
        pid_file = self.dir / "run" / "master.pid"
        if not pid_file.exists():
            return
        os.kill(int(pid_file.read_text().split()[0]), signal.SIGTERM)
        deadline = time.monotonic() + 10
        while pid_file.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        wait_for_port(self.port, timeout=5, open_=False)

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)

    def idling(self, user: str = "helpdesk") -> int:
        """How many of `user`'s IMAP sessions are in IDLE now (from the process titles, Linux)."""
        title = f"{self.dir.name}/imap [{user} "
        count = 0
        for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
            try:
                text = cmdline.read_bytes().replace(b"\0", b" ").decode(errors="replace")
            except OSError:  # the process ended meanwhile
                continue
            count += title in text and text.rstrip().endswith(" IDLE]")
        return count

    def client(self, user: str = "helpdesk") -> IMAPClient:
        client = IMAPClient(self.host, self.port, ssl=False, timeout=10)
        client.login(user, USERS[user])
        return client

    def append(self, raw: bytes, folder: str = "INBOX", user: str = "helpdesk") -> None:
        client = self.client(user)
        try:
            if not client.folder_exists(folder):
                client.create_folder(folder)
            client.append(folder, raw)
        finally:
            client.logout()

    def folder_uids(self, folder: str = "INBOX", user: str = "helpdesk") -> list[int]:
        """UIDs in `folder`, or [] when it does not exist."""
        client = self.client(user)
        try:
            if not client.folder_exists(folder):
                return []
            client.select_folder(folder, readonly=True)
            return sorted(client.search(["ALL"]))
        finally:
            client.logout()

    def folder_messages(self, folder: str = "INBOX", user: str = "helpdesk") -> list[bytes]:
        """Raw mails in `folder`, oldest first, without touching their flags."""
        client = self.client(user)
        try:
            if not client.folder_exists(folder):
                return []
            client.select_folder(folder, readonly=True)
            uids = sorted(client.search(["ALL"]))
            fetched = client.fetch(uids, ["BODY.PEEK[]"]) if uids else {}
            return [fetched[uid][b"BODY[]"] for uid in uids]
        finally:
            client.logout()

    def clear(self) -> None:
        """Empty every user's mailbox: INBOX emptied, other folders deleted."""
        for user in USERS:
            client = self.client(user)
            try:
                # Children first, so a parent is never left behind as a placeholder.
                for flags, _sep, name in sorted(client.list_folders(), key=lambda f: f[2], reverse=True):
                    if b"\\NonExistent" in flags:
                        continue
                    if name.upper() == "INBOX":
                        client.select_folder(name)
                        uids = client.search(["ALL"])
                        if uids:
                            client.delete_messages(uids)
                            client.expunge()
                        client.unselect_folder()
                    else:
                        try:
                            client.delete_folder(name)
                        except IMAPClientError:
                            # A parent that only existed for its children vanishes with them.
                            if client.folder_exists(name):
                                raise
            finally:
                client.logout()


@dataclass(frozen=True)
class Received:
    """A mail the sink received; parsed when a test first reads `message` (the benchmarks'
    drain receives thousands and reads none: parsing them in the sink's one thread made the
    sink, not mailbot, the bound of the measure)."""

    mail_from: str
    rcpt_tos: list[str]
    raw: bytes

    @functools.cached_property
    def message(self) -> EmailMessage:
        return BytesParser(policy=policy.default).parsebytes(self.raw)  # type: ignore[return-value]


class _Collect:
    def __init__(self, sink: SmtpSink):
        self.sink = sink

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        raw = envelope.original_content or envelope.content
        self.sink._add(Received(envelope.mail_from, list(envelope.rcpt_tos), raw))
        return "250 OK"


class SmtpSink:
    """An aiosmtpd server on loopback keeping every mail it receives."""

    host = LOOPBACK

    def __init__(self) -> None:
        self.port = free_port()
        self.messages: list[Received] = []
        self._changed = threading.Condition()
        self._controller = Controller(_Collect(self), hostname=self.host, port=self.port,
                                      data_size_limit=64 * 1024 * 1024)

    @property
    def smtp_url(self) -> str:
        return f"smtp://{self.host}:{self.port}"

    def start(self) -> None:
        self._controller.start()

    def stop(self) -> None:
        self._controller.stop()

    def clear(self) -> None:
        with self._changed:
            self.messages.clear()

    def wait_for(self, count: int, timeout: float = 10) -> list[Received]:
        """Wait until `count` mails arrived; fails the test with what came otherwise."""
        with self._changed:
            self._changed.wait_for(lambda: len(self.messages) >= count, timeout=timeout)
            received = list(self.messages)
        if len(received) < count:
            subjects = [item.message["Subject"] for item in received]
            pytest.fail(f"expected {count} mail(s) within {timeout}s, got {len(received)}: {subjects}")
        return received

    def _add(self, item: Received) -> None:
        with self._changed:
            self.messages.append(item)
            self._changed.notify_all()


class CuttableProxy:
    """A TCP proxy on a free loopback port to `target`; `cut()` drops every connection and refuses
    new ones, `restore()` listens again on the same port."""

    def __init__(self, target: tuple[str, int]):
        self.target = target
        self.port = free_port()
        self.listener: socket.socket | None = None
        self.sockets: set[socket.socket] = set()
        self.lock = threading.Lock()

    def restore(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((LOOPBACK, self.port))
        listener.listen(64)
        self.listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def cut(self) -> None:
        if self.listener is not None:
            self.listener.close()
            self.listener = None
        with self.lock:
            for sock in self.sockets:
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                sock.close()
            self.sockets.clear()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return  # cut
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            upstream.settimeout(None)
            with self.lock:
                self.sockets.update((client, upstream))
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    @staticmethod
    def _pump(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        for sock in (source, sink):
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
