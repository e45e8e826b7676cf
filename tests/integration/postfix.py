"""A private Postfix for the listener's tests: its own configuration folder and queue, SMTP on a
loopback port, every mail for one domain handed on by LMTP (`lmtp:inet:…` or `lmtp:unix:…`)."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from services import LOOPBACK, free_port, wait_for_port

MAIN_CF = """\
# Postfix for mailbot's tests: relays {domain} to mailbot by LMTP, nothing else.
compatibility_level = 3.6
queue_directory = {d}/spool
data_directory = {d}/data
mail_owner = postfix
myhostname = mta.test
mydestination =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
relay_domains = {domain}
transport_maps = inline:{{ {domain}=lmtp:{lmtp} }}
smtpd_relay_restrictions = permit_mynetworks, reject
alias_maps =
alias_database =
maillog_file_prefixes = {d}
maillog_file = {d}/maillog
"""

# No chroot (the queue is in a temporary folder), only the services a relay needs.
MASTER_CF = """\
{host}:{port} inet n - n - - smtpd
pickup    unix  n  -  n  60  1  pickup
cleanup   unix  n  -  n  -   0  cleanup
qmgr      unix  n  -  n  300 1  qmgr
rewrite   unix  -  -  n  -   -  trivial-rewrite
bounce    unix  -  -  n  -   0  bounce
defer     unix  -  -  n  -   0  bounce
trace     unix  -  -  n  -   0  bounce
verify    unix  -  -  n  -   1  verify
flush     unix  n  -  n  1000? 0 flush
proxymap  unix  -  -  n  -   -  proxymap
smtp      unix  -  -  n  -   -  smtp
relay     unix  -  -  n  -   -  smtp
showq     unix  n  -  n  -   -  showq
error     unix  -  -  n  -   -  error
retry     unix  -  -  n  -   -  error
discard   unix  -  -  n  -   -  discard
lmtp      unix  -  -  n  -   -  lmtp
anvil     unix  -  -  n  -   1  anvil
scache    unix  -  -  n  -   1  scache
postlog   unix-dgram n - n - 1  postlogd
"""


def postfix_binary() -> str:
    found = shutil.which("postfix") or shutil.which("postfix", path="/usr/sbin:/sbin")
    if not found:
        raise FileNotFoundError("postfix is not installed (run scripts/test-services as root)")
    if os.geteuid() != 0:
        raise PermissionError("a private Postfix instance needs root")
    return found


class Postfix:
    """`postfix -c FOLDER start` with mail for `domain` delivered to `lmtp` (`inet:HOST:PORT`
    or `unix:/PATH`); stop() also removes the folder."""

    host = LOOPBACK

    def __init__(self, binary: str, domain: str, lmtp: str):
        self.binary = binary
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="mailbot-postfix-"))
        self.dir.chmod(0o755)  # Postfix's own processes run as `postfix`
        (self.dir / "conf").mkdir()
        (self.dir / "spool").mkdir()  # its folders are made by `postfix start`
        (self.dir / "data").mkdir()
        shutil.chown(self.dir / "data", "postfix")
        (self.dir / "conf" / "main.cf").write_text(MAIN_CF.format(d=self.dir, domain=domain, lmtp=lmtp))
        (self.dir / "conf" / "master.cf").write_text(MASTER_CF.format(host=self.host, port=self.port))

    @property
    def log(self) -> str:
        path = self.dir / "maillog"
        return path.read_text(errors="replace") if path.exists() else ""

    def _postfix(self, command: str) -> subprocess.CompletedProcess:
        return subprocess.run([self.binary, "-c", str(self.dir / "conf"), command], check=False,
                              capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)

    def start(self) -> None:
        started = self._postfix("start")
        if started.returncode != 0 or not wait_for_port(self.port, timeout=20):
            raise RuntimeError(f"Postfix did not start on port {self.port}: {started.stderr}{self.log[-2000:]}")

    def wait_for_log(self, text: str, count: int, timeout: float) -> str:
        """The log once `text` appears `count` times in it (or the timeout passed)."""
        deadline = time.monotonic() + timeout
        while self.log.count(text) < count and time.monotonic() < deadline:
            time.sleep(0.1)
        return self.log

    def stop(self) -> None:
        self._postfix("stop")
        wait_for_port(self.port, timeout=10, open_=False)
        shutil.rmtree(self.dir, ignore_errors=True)
