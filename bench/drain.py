"""Measure 2: a backlog of mails waiting in Dovecot, drained by `mailbot run` with PostgreSQL,
Redis and two `mailbot worker` processes, until every ticket is committed and every
notification has reached the SMTP sink."""

from __future__ import annotations

import os
import shutil
import subprocess
import time

from bench import corpus
from bench.common import VENV_BIN, Context
from bench.stack import Stack, rss_mib


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


def run(ctx: Context) -> None:
    total = 300 if ctx.quick else 5000
    mails = corpus.generate(total, seed=7, requesters=800, tag="drain")
    with Stack("drain") as stack:
        started = time.perf_counter()
        stack.append_batches([m.raw for m in mails])
        appended = time.perf_counter() - started
        print(f"  {total} mails appended to Dovecot in {appended:.1f} s", flush=True)
        started = time.perf_counter()
        runner = stack.spawn(["run"], "run")
        profiler = _profile(runner.pid, stack)
        committed_at = 0.0
        deadline = started + (600 if ctx.quick else 3600)
        peak = 0.0
        while time.perf_counter() < deadline:
            counts = stack.counts()
            peak = max(peak, rss_mib(runner.pid))
            if not committed_at and counts["mails"] >= total:
                committed_at = time.perf_counter() - started
            if _done(counts, total) or runner.poll() is not None:
                break
            time.sleep(0.25)
        elapsed = time.perf_counter() - started
        if profiler is not None:
            profiler.wait(timeout=120)
        counts = stack.counts()
        if not _done(counts, total):
            ctx.add("backlog drain", "incomplete", "≥ 200 mails/s", False,
                    f"after {elapsed:.0f} s: {counts}; run log: {stack.log_tail('run', 600)}")
            return
        rate = total / elapsed
        ctx.add("backlog drain (Dovecot → PostgreSQL → Redis → 2 workers → SMTP)", f"{rate:.1f} mails/s",
                "≥ 200 mails/s", rate >= 200,
                f"{total} mails, all committed after {committed_at:.1f} s, {counts['sink']} notifications "
                f"received after {elapsed:.1f} s; outbox {({k[7:]: v for k, v in counts.items() if k.startswith('outbox_')})}; "
                f"peak RSS of `mailbot run` {peak:.0f} MiB")
