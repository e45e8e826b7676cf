"""The start-up measure: `mailbot ingest -` of one short mail, as an MTA pipe runs it for each
mail (start of the process to its exit, the mail processed and its acknowledgement written),
against the floor of importing the libraries every such command needs."""

from __future__ import annotations

import os
import resource
import statistics
import subprocess
import time
from pathlib import Path

from bench.common import MAILBOT, PYTHON, Context

RUNS = 7
SHORT_MAIL = (b"From: Marie Curie <marie.curie@school.example>\r\nTo: helpdesk@school.example\r\n"
              b"Subject: Imprimante salle 12\r\nMessage-ID: <startup-%d@school.example>\r\n"
              b"Date: Mon, 30 Nov 2026 09:00:00 +0000\r\n\r\nL'imprimante ne marche plus.\r\n")
FLOOR = "import sqlalchemy.orm, pydantic_settings, typer"


def _timed(argv: list[str], env: dict[str, str], cwd: Path, stdin: bytes = b"") -> tuple[float, float]:
    """(wall seconds, CPU seconds of the child: user + system)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(argv, input=stdin, env=env, cwd=cwd, capture_output=True, check=False)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(argv[:3])} failed ({done.returncode}): {done.stderr.decode()[-2000:]}")
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def _spread(values: list[float]) -> str:
    return f"{min(values):.2f}–{max(values):.2f} s (median {statistics.median(values):.2f})"


def run(ctx: Context, env: dict[str, str], cwd: Path, label: str) -> None:
    """`RUNS` one-mail commands into the database `env` names (already holding the ingest
    corpus), then the import floor; one row with the range, wall and CPU."""
    walls, cpus = [], []
    for index in range(RUNS):
        wall, cpu = _timed([MAILBOT, "ingest", "-"], env, cwd, SHORT_MAIL.replace(b"%d", str(index).encode()))
        walls.append(wall)
        cpus.append(cpu)
    floor_env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    floor = [_timed([PYTHON, "-c", FLOOR], floor_env, cwd) for _ in range(RUNS)]
    median = statistics.median(walls)
    ctx.facts[f"startup_{label}"] = median
    ctx.add(f"`mailbot ingest -` of one mail, {label}", f"{median:.2f} s median", "< 0.3 s", median < 0.3,
            f"{RUNS} runs: wall {_spread(walls)}, CPU {_spread(cpus)}; the floor, `python -c '{FLOOR}'`: "
            f"wall {_spread([w for w, _ in floor])}, CPU {_spread([c for _, c in floor])}")
