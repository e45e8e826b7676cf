"""The production-shaped set-up of the drain and latency measures: a private Dovecot, an
aiosmtpd sink, a throwaway PostgreSQL database, Redis db 14 (BENCH_REDIS_URL) or a RabbitMQ
virtual host of its own, `mailbot worker` processes and `mailbot run`, all on loopback, all
stopped (and the virtual host deleted) at the end."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Self

import redis

from bench import corpus, pg
from bench.common import (
    MAILBOT,
    RABBITMQ_URL,
    REDIS_URL,
    ROOT,
    add_technicians,
    fresh_dir,
    mailbot,
    mailbot_env,
)

sys.path.insert(0, str(ROOT / "tests" / "integration"))
from services import Dovecot, SmtpSink, dovecot_binary, wait_for_port


class BenchDovecot(Dovecot):
    """The tests' Dovecot, started without capturing output: the daemon keeps captured pipes
    open, and the bench's parent process would wait on them for ever."""

    def start(self) -> None:
        subprocess.run([self.binary, "-c", str(self.conf)], check=True, stdin=subprocess.DEVNULL,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if not wait_for_port(self.port, timeout=10):
            raise RuntimeError(f"Dovecot did not open port {self.port}:\n{self.log[-2000:]}")


class Stack:
    """Everything `mailbot run` needs in production, started in `__enter__`."""

    def __init__(self, label: str, workers: int = 2, *, broker: str = "redis", intake_workers: int = 1):
        self.label = label
        self.workers = workers
        self.broker = broker  # "redis" or "rabbitmq"
        self.intake_workers = intake_workers
        self.processes: list[subprocess.Popen] = []
        self._exit = ExitStack()

    def __enter__(self) -> Self:
        try:
            self.work = fresh_dir(f"stack-{self.label}")
            self.dovecot = BenchDovecot(dovecot_binary())
            self.dovecot.start()
            self._exit.callback(self.dovecot.remove)
            self.sink = SmtpSink()
            self.sink.start()
            self._exit.callback(self.sink.stop)
            self.url = self._exit.enter_context(pg.database(self.label))
            if self.broker == "rabbitmq":
                broker_url = self._exit.enter_context(rabbitmq_vhost(self.label))
            else:
                self.redis = redis.Redis.from_url(REDIS_URL)
                self.redis.flushdb()
                self._exit.callback(self.redis.flushdb)
                broker_url = REDIS_URL
            self.env = mailbot_env(self.work, database_url=self.url, broker_url=broker_url,
                                   smtp_url=self.sink.smtp_url, imap_url=self.dovecot.imap_url,
                                   intake_workers=str(self.intake_workers))
            mailbot(["db", "upgrade"], self.env, self.work)
            add_technicians(self.env, self.work, corpus.TECHNICIANS)
            self._exit.callback(self.stop_processes)
            for i in range(self.workers):
                self.spawn(["worker"], f"worker-{i}")
        except BaseException:
            self._exit.close()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self._exit.close()

    def spawn(self, args: list[str], name: str) -> subprocess.Popen:
        log = open(self.work / f"{name}.log", "wb")
        process = subprocess.Popen([MAILBOT, *args], env=self.env, cwd=self.work, stdout=log, stderr=log)
        self.processes.append(process)
        return process

    def stop_processes(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self.processes.clear()

    def append_batches(self, raws: list[bytes], batch: int = 100) -> None:
        """APPEND the mails to INBOX, `batch` per MULTIAPPEND command, over one connection."""
        client = self.dovecot.client()
        try:
            for start in range(0, len(raws), batch):
                client.multiappend("INBOX", raws[start:start + batch])
        finally:
            client.logout()

    def counts(self) -> dict[str, int]:
        """Mails recorded, outbox rows by status, mails received by the sink."""
        import psycopg

        with psycopg.connect(pg.dsn(self.url)) as conn:
            found = {"mails": conn.execute("SELECT count(*) FROM processed_mails").fetchone()[0]}
            found.update({f"outbox_{s}": n for s, n in conn.execute(
                "SELECT status, count(*) FROM outbox GROUP BY status").fetchall()})
        found["sink"] = len(self.sink.messages)
        return found

    def log_tail(self, name: str, size: int = 1500) -> str:
        path = Path(self.work / f"{name}.log")
        return path.read_bytes()[-size:].decode("utf-8", "replace") if path.exists() else ""


@contextmanager
def rabbitmq_vhost(label: str) -> Iterator[str]:
    """A RabbitMQ virtual host of the bench's own (mailbot's queue names are fixed: another
    mailbot on the server would take its messages); yields its amqp:// URL, deleted after."""
    import shutil
    from urllib.parse import urlsplit

    ctl = shutil.which("rabbitmqctl") or shutil.which("rabbitmqctl", path="/usr/sbin:/sbin")
    if not ctl:
        raise RuntimeError("rabbitmqctl is not installed: the RabbitMQ drain needs a virtual host of its own")
    vhost = f"mailbot_bench_{label}_{os.getpid()}"
    parts = urlsplit(RABBITMQ_URL)
    subprocess.run([ctl, "add_vhost", vhost], check=True, capture_output=True, timeout=120)
    try:
        subprocess.run([ctl, "set_permissions", "-p", vhost, parts.username or "guest", ".*", ".*", ".*"],
                       check=True, capture_output=True, timeout=120)
        yield parts._replace(path=f"/{vhost}").geturl()
    finally:
        subprocess.run([ctl, "delete_vhost", vhost], check=False, capture_output=True, timeout=120)


class TreeCpu:
    """CPU time (user + system) of processes and all their descendants, sampled from /proc: the
    intake processes are grandchildren (forked by `mailbot run`'s fork server) and die with it."""

    def __init__(self) -> None:
        self.seen: dict[int, float] = {}

    def sample(self, roots: list[int]) -> None:
        tick = os.sysconf("SC_CLK_TCK")
        stats: dict[int, tuple[int, float]] = {}
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                try:
                    with open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as f:
                        fields = f.read().rsplit(")", 1)[1].split()
                except OSError:
                    continue
                stats[int(entry)] = (int(fields[1]), (int(fields[11]) + int(fields[12])) / tick)
        wanted, found = set(roots), True
        while found:
            found = False
            for pid, (ppid, _) in stats.items():
                if ppid in wanted and pid not in wanted:
                    wanted.add(pid)
                    found = True
        for pid in wanted & stats.keys():
            self.seen[pid] = max(self.seen.get(pid, 0.0), stats[pid][1])

    @property
    def total(self) -> float:
        return sum(self.seen.values())


def rss_mib(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0

