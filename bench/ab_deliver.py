"""`python -m bench.ab_deliver OTHER_SOURCE_DIR [ROUNDS] [--text] [--this DIR] [--profile]`: delivery
alone, this tree's code against another checkout's (`git archive REV | tar -x -C DIR`), alternating
(not part of bench/run).

The ingest corpus is run once through `mailbot ingest` (SQLite, the outbox folder); then, each
round and for each code, its outbox rows are put back to `pending`, the folder emptied, and a
fresh process sends them all with `App.deliver_batch`, MAILBOT_DELIVERY_BATCH rows a call, as
`ingest` does: claim, read the documents, render, write the files, flush, mark. Prints the
notifications, wall and CPU (user + system) of the sending alone, and the outbox's size; the
written files of both codes are compared, their Date and Message-ID headers and MIME boundaries
aside. `--profile`: this code's run under cProfile, to bench/.work/ab-deliver-profile.txt;
`--pyspy`: after the rounds, each code's sending sampled by py-spy (`pip install py-spy`, the
whole child, start-up included), its top functions printed (bench/pyspy_top.py)."""

from __future__ import annotations

import os
import re
import resource
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from bench import corpus
from bench.ab_ingest import _run
from bench.common import PYTHON, WORK, add_technicians, compile_sources, fresh_dir, mailbot_env

# The child: builds the app as `mailbot ingest` does and sends every pending row.
CHILD = r"""
import cProfile, pstats, sys, time
from mailbot.app import App
from mailbot.config import load_settings
app = App(load_settings())
with app.db.sessions() as session:
    from sqlalchemy import text
    ids = list(session.scalars(text("SELECT id FROM outbox WHERE status = 'pending' ORDER BY id")))
size = app.settings.delivery_batch
profiler = cProfile.Profile() if len(sys.argv) > 1 else None
wall, cpu = time.perf_counter(), time.process_time()
if profiler:
    profiler.enable()
for start in range(0, len(ids), size):
    app.deliver_batch(ids[start:start + size])
if profiler:
    profiler.disable()
    stats = pstats.Stats(profiler, stream=open(sys.argv[1], "w"))
    stats.sort_stats("cumulative").print_stats(70)
    stats.sort_stats("tottime").print_stats(40)
print(len(ids), time.perf_counter() - wall, time.process_time() - cpu)
"""

# What differs between two writings of the same row: the date, the ids, the boundaries.
VARYING = re.compile(rb"^(Date|Message-ID): .*$|=_mailbot_[0-9a-f]{32}", re.MULTILINE)


def _reset(db: Path, outbox: Path) -> None:
    with sqlite3.connect(db) as connection:
        connection.execute("UPDATE outbox SET status = 'pending', sent_at = NULL, claimed_until = NULL, "
                           "next_attempt_at = NULL, attempts = 0, last_error = ''")
    shutil.rmtree(outbox, ignore_errors=True)


def _written(outbox: Path) -> list[bytes]:
    return sorted(VARYING.sub(b"", path.read_bytes()) for path in outbox.glob("*.eml"))


def main() -> None:
    other = Path(sys.argv[1]).resolve()
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 and sys.argv[2].isdigit() else 2
    text_only = "--text" in sys.argv
    this = Path(sys.argv[sys.argv.index("--this") + 1]).resolve() if "--this" in sys.argv else None
    compile_sources()
    for source in (other, this):
        if source is not None:
            subprocess.run([PYTHON, "-m", "compileall", "-q", str(source / "mailbot")], check=True,
                           stdout=subprocess.DEVNULL,
                           env={k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"})
    folder = WORK / ("corpus-ingest-text" if text_only else "corpus-ingest")
    if not folder.exists():
        corpus.write(corpus.generate(200, seed=6, text_only=text_only), fresh_dir(folder.name))
    work = fresh_dir("ab-deliver")
    db = work / "mailbot.db"
    env = mailbot_env(work, database_url=f"sqlite:///{db}")
    _run(["db", "upgrade"], env, work)
    add_technicians(env, work, corpus.TECHNICIANS)
    _run(["ingest", str(folder)], env, work)
    profile = str(WORK / "ab-deliver-profile.txt") if "--profile" in sys.argv else None
    outputs: dict[str, list[bytes]] = {}
    for round_ in range(1, rounds + 1):
        for label, source in (("other", other), ("this", this)):
            _reset(db, work / "outbox")
            child_env = dict(env)
            if source is not None:
                child_env["PYTHONPATH"] = str(source)
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            started = time.perf_counter()
            args = [PYTHON, "-c", CHILD, *([profile] if profile and label == "this" else [])]
            done = subprocess.run(args, env=child_env, cwd=work, capture_output=True, text=True, check=False)
            whole = time.perf_counter() - started
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            if done.returncode != 0:
                raise RuntimeError(done.stderr[-2000:])
            count, wall, cpu = done.stdout.split()
            process_cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
            size = sum(path.stat().st_size for path in (work / "outbox").glob("*.eml"))
            outputs[label] = _written(work / "outbox")
            print(f"round {round_} {label:<6} {count} notifications: sending wall {float(wall):6.2f} s "
                  f"CPU {float(cpu):6.2f} s ({1000 * float(cpu) / int(count):.2f} ms each)  "
                  f"process wall {whole:.2f} CPU {process_cpu:.2f}  outbox {size / 1e6:.1f} MB  "
                  f"load {os.getloadavg()[0]:.1f}", flush=True)
        same = outputs["other"] == outputs["this"]
        print(f"round {round_}: the written mails are {'the same' if same else 'DIFFERENT'} "
              "(Date, Message-ID and boundaries aside)", flush=True)
    if "--pyspy" in sys.argv:
        from bench.pyspy_top import top

        for label, source in (("other", other), ("this", this)):
            _reset(db, work / "outbox")
            child_env = dict(env)
            if source is not None:
                child_env["PYTHONPATH"] = str(source)
            out = WORK / f"ab-deliver-pyspy-{label}.txt"
            spy = str(Path(PYTHON).with_name("py-spy"))
            subprocess.run([spy, "record", "-r", "200", "--format", "raw", "-o", str(out), "--", PYTHON, "-c", CHILD],
                           env=child_env, cwd=work, check=True, capture_output=True)
            print(f"py-spy, {label}:")
            for share, name in top(str(out), 45):
                print(f"  {share:5.1f} %  {name}")


if __name__ == "__main__":
    main()
