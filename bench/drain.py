"""Measure 2: a backlog of mails waiting in Dovecot, drained by `mailbot run` with PostgreSQL and
two `mailbot worker` processes, until every ticket is committed and every notification has
reached the SMTP sink: with Redis and with RabbitMQ as the broker, each with one and with two
intake processes (MAILBOT_INTAKE_WORKERS). Beside it, how fast one IMAP connection fetches the
same backlog, the bound of the one connection the mailbox's holder keeps.

BENCH_DRAIN=redis:1,redis:2 runs a subset (broker:intake processes, in that order; a pair may
come twice), BENCH_DRAIN_MAILS=1000 another number of mails."""

from __future__ import annotations

import os
import shutil
import subprocess
import time

from bench import corpus
from bench.common import VENV_BIN, Context
from bench.stack import Stack, TreeCpu, rss_mib

CONFIGS = (("redis", 1), ("redis", 2), ("rabbitmq", 1), ("rabbitmq", 2))
BROKER_NAMES = {"redis": "Redis", "rabbitmq": "RabbitMQ"}


def _done(counts: dict[str, int], total: int) -> bool:
    expected = sum(n for key, n in counts.items() if key.startswith("outbox_") and key != "outbox_held")
    return (counts["mails"] >= total and counts.get("outbox_pending", 0) == 0
            and counts["sink"] >= expected and counts.get("outbox_sent", 0) == expected)


def _profile(pid: int, stack: Stack):  # type: ignore[no-untyped-def]
    """With BENCH_PYSPY=SECONDS, py-spy samples `mailbot run` for that long (raw stacks in .work)."""
    seconds = os.environ.get("BENCH_PYSPY")
    if not seconds or not shutil.which("py-spy", path=str(VENV_BIN)):
        return None
    return subprocess.Popen([str(VENV_BIN / "py-spy"), "record", "--pid", str(pid), "--duration", seconds,
                             "-r", "200", "-f", "raw", "-o", str(stack.work / "run-profile.txt")],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _configs() -> list[tuple[str, int]]:
    chosen = os.environ.get("BENCH_DRAIN")
    if not chosen:
        return list(CONFIGS)
    return [(broker, int(workers)) for broker, workers in (item.split(":") for item in chosen.split(","))]


def fetch_speed(stack: Stack, batch: int = 50) -> tuple[int, int, float, float]:
    """Every mail of INBOX fetched over one connection by mailbot's own `ImapMailbox.fetch`
    (BODY.PEEK[]), `batch` UIDs a command, as the mailbox's holder does: (mails, bytes,
    seconds, CPU seconds of this process)."""
    from mailbot.inbound.imap_mailbox import ImapMailbox
    from mailbot.inbound.imap_target import ImapTarget

    mailbox = ImapMailbox(ImapTarget.from_url(stack.dovecot.imap_url))
    mailbox.connect()
    try:
        uids = mailbox.pending_uids()
        started, cpu = time.perf_counter(), time.process_time()
        size = 0
        for start in range(0, len(uids), batch):
            size += sum(len(raw) for _uid, raw in mailbox.fetch(uids[start:start + batch]))
        return len(uids), size, time.perf_counter() - started, time.process_time() - cpu
    finally:
        mailbox.close()


def run(ctx: Context) -> None:
    total = int(os.environ.get("BENCH_DRAIN_MAILS", 300 if ctx.quick else 5000))
    mails = corpus.generate(total, seed=7, requesters=800, tag="drain")
    for broker, intake in _configs():
        _drain_once(ctx, [m.raw for m in mails], broker, intake, measure_fetch=(broker, intake) == _configs()[0])


def _drain_once(ctx: Context, raws: list[bytes], broker: str, intake: int, *, measure_fetch: bool) -> None:
    total = len(raws)
    name = f"backlog drain, {BROKER_NAMES[broker]}, {intake} intake process{'es' if intake > 1 else ''}"
    with Stack(f"drain-{broker}-{intake}", broker=broker, intake_workers=intake) as stack:
        started = time.perf_counter()
        stack.append_batches(raws)
        appended = time.perf_counter() - started
        print(f"  {total} mails appended to Dovecot in {appended:.1f} s", flush=True)
        if measure_fetch:
            fetched, size, seconds, cpu = fetch_speed(stack)
            ctx.add("IMAP fetch, one connection (BODY.PEEK[], 50 a command)", f"{fetched / seconds:.0f} mails/s",
                    note=f"{fetched} mails, {size / 1e6:.0f} MB in {seconds:.2f} s: {size / 1e6 / seconds:.0f} MB/s; "
                         f"CPU of the fetching process {cpu:.2f} s")
        cpu_run, cpu_workers = TreeCpu(), TreeCpu()
        workers = [p.pid for p in stack.processes]
        started = time.perf_counter()
        runner = stack.spawn(["run"], "run")
        profiler = _profile(runner.pid, stack)
        committed_at = 0.0
        deadline = started + (600 if ctx.quick else 3600)
        peak = 0.0
        while time.perf_counter() < deadline:
            counts = stack.counts()
            peak = max(peak, rss_mib(runner.pid))
            cpu_run.sample([runner.pid])
            cpu_workers.sample(workers)
            if not committed_at and counts["mails"] >= total:
                committed_at = time.perf_counter() - started
            if _done(counts, total) or runner.poll() is not None:
                break
            time.sleep(0.25)
        elapsed = time.perf_counter() - started
        if profiler is not None:
            profiler.wait(timeout=120)
        counts = stack.counts()
        load = os.getloadavg()[0]
        if not _done(counts, total):
            ctx.add(name, "incomplete", "≥ 200 mails/s", False,
                    f"after {elapsed:.0f} s: {counts}; run log: {stack.log_tail('run', 600)}")
            return
        rate = total / elapsed
        ctx.facts[f"drain_{broker}_{intake}"] = rate
        ctx.add(name, f"{rate:.1f} mails/s", "≥ 200 mails/s", rate >= 200,
                f"{total} mails, all committed after {committed_at:.1f} s ({total / committed_at:.1f} mails/s), "
                f"{counts['sink']} notifications received after {elapsed:.1f} s; CPU (user+sys) of `mailbot run` "
                f"and its intake processes {cpu_run.total:.1f} s, of the 2 workers {cpu_workers.total:.1f} s; "
                f"load {load:.1f}; outbox {({k[7:]: v for k, v in counts.items() if k.startswith('outbox_')})}; "
                f"peak RSS of `mailbot run` {peak:.0f} MiB")
