"""The start-up measure: `mailbot ingest -` of one short mail, as an MTA pipe runs it for each
mail (start of the process to its exit), both ways it can go:

- handed to a running `mailbot run` (MAILBOT_LISTEN, LMTP on a unix socket): the command exits
  once the listener answered 250, which comes after the commit, so its end is also when the
  ticket is committed (the acknowledgement is then sent by `mailbot run`);
- in-process (no MAILBOT_LISTEN): the mail processed and its acknowledgement written by the
  command itself;

against the floor of importing the libraries the in-process command needs. The two ways run
alternately, in the same minutes. `bench/run --only startup` measures them on fresh SQLite and
PostgreSQL databases; the ingest measure runs them too, on the database its corpus filled."""

from __future__ import annotations

import os
import resource
import signal
import statistics
import subprocess
import time
from pathlib import Path

from bench import corpus, pg
from bench.common import MAILBOT, PYTHON, Context, add_technicians, compile_sources, fresh_dir, mailbot, mailbot_env

RUNS = 7
# an MTA's pipe writes the envelope sender as Return-Path: the handoff needs it (mailbot/handoff.py)
SHORT_MAIL = (b"Return-Path: <marie.curie@school.example>\r\n"
              b"From: Marie Curie <marie.curie@school.example>\r\nTo: helpdesk@school.example\r\n"
              b"Subject: Imprimante salle 12\r\nMessage-ID: <startup-%d@school.example>\r\n"
              b"Date: Mon, 30 Nov 2026 09:00:00 +0000\r\n\r\nL'imprimante ne marche plus.\r\n")
FLOOR = "import sqlalchemy.orm, pydantic_settings, typer"
READY = "mailbot is running"


def _timed(argv: list[str], env: dict[str, str], cwd: Path, stdin: bytes = b"") -> tuple[float, float, str]:
    """(wall seconds, CPU seconds of the child: user + system, its stderr)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(argv, input=stdin, env=env, cwd=cwd, capture_output=True, check=False)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(argv[:3])} failed ({done.returncode}): {done.stderr.decode()[-2000:]}")
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime), done.stderr.decode()


def _spread(values: list[float]) -> str:
    return f"{min(values):.2f}–{max(values):.2f} s (median {statistics.median(values):.2f})"


class _Running:
    """`mailbot run` in `cwd` with its listener on a unix socket, for the handoff's runs."""

    def __init__(self, env: dict[str, str], cwd: Path):
        self.socket = Path("/tmp") / f"mailbot-bench-{os.getpid()}.sock"  # short: 107 bytes at most
        self.env = {**env, "MAILBOT_LISTEN": f"lmtp://{self.socket}"}
        self.log = cwd / "run.log"
        with self.log.open("wb") as out:
            self.proc = subprocess.Popen([MAILBOT, "run"], env=self.env, cwd=cwd, stdout=out, stderr=out)
        deadline = time.monotonic() + 60
        while READY not in self.log.read_text(errors="replace"):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("mailbot run did not start: " + self.log.read_text(errors="replace")[-1500:])
            time.sleep(0.1)

    def taken(self) -> int:
        return self.log.read_text(errors="replace").count("mailbot.listener: mail from")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()


def both_ways(ctx: Context, env: dict[str, str], cwd: Path, label: str) -> None:
    """`RUNS` one-mail commands each way into the database `env` names, alternately, then the
    import floor; one row each way with the range, wall and CPU."""
    env = {k: v for k, v in env.items() if k != "MAILBOT_LISTEN"}
    running = _Running(env, cwd)
    walls: dict[str, list[float]] = {"handed": [], "in-process": []}
    cpus: dict[str, list[float]] = {"handed": [], "in-process": []}
    try:
        for index in range(RUNS):
            for way, way_env in (("handed", running.env), ("in-process", env)):
                mail = SHORT_MAIL.replace(b"%d", f"{label}-{way}-{index}".encode())
                wall, cpu, said = _timed([MAILBOT, "ingest", "-"], way_env, cwd, mail)
                if "<stdin>: ticket" not in said:
                    raise RuntimeError(f"`mailbot ingest -` ({way}) opened no ticket: {said[-500:]}")
                walls[way].append(wall)
                cpus[way].append(cpu)
                time.sleep(0.5)  # `mailbot run` sends the handed mail's acknowledgement meanwhile
        if running.taken() != RUNS:
            raise RuntimeError(f"the listener took {running.taken()} mails, not {RUNS}")
    finally:
        running.stop()
    floor_env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    floor = [_timed([PYTHON, "-c", FLOOR], floor_env, cwd)[:2] for _ in range(RUNS)]
    handed, alone = statistics.median(walls["handed"]), statistics.median(walls["in-process"])
    ctx.facts[f"startup_{label}"] = handed
    ctx.facts[f"startup_in_process_{label}"] = alone
    ctx.add(f"`mailbot ingest -` of one mail, {label}, handed to `mailbot run`", f"{handed:.2f} s median",
            "< 0.3 s", handed < 0.3,
            f"{RUNS} runs, MAILBOT_LISTEN=lmtp:///…sock, the ticket committed when the command ends: "
            f"wall {_spread(walls['handed'])}, CPU {_spread(cpus['handed'])}")
    ctx.add(f"`mailbot ingest -` of one mail, {label}, in-process", f"{alone:.2f} s median", "", None,
            f"{RUNS} runs alternating with the above: wall {_spread(walls['in-process'])}, "
            f"CPU {_spread(cpus['in-process'])}; the floor, `python -c '{FLOOR}'`: "
            f"wall {_spread([w for w, _ in floor])}, CPU {_spread([c for _, c in floor])}")


def _fresh(ctx: Context, label: str, url: str) -> None:
    work = fresh_dir(f"startup-{label}")
    env = mailbot_env(work, database_url=url)
    mailbot(["db", "upgrade"], env, work)
    add_technicians(env, work, corpus.TECHNICIANS)
    both_ways(ctx, env, work, label)


def run(ctx: Context) -> None:
    """`bench/run --only startup`: both ways on fresh SQLite and PostgreSQL databases."""
    compile_sources()
    _fresh(ctx, "sqlite", f"sqlite:///{fresh_dir('startup-sqlite-db') / 'mailbot.db'}")
    with pg.database("startup") as url:
        _fresh(ctx, "postgresql", url)
