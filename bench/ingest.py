"""Measure 1: `mailbot ingest` throughput into SQLite and PostgreSQL, and django-helpdesk's
ingestion of the same mails, in the same run."""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import time
from collections import Counter

import sqlalchemy as sa

from bench import corpus, pg, startup
from bench.common import (
    ROOT,
    WORK,
    Context,
    add_technicians,
    compile_sources,
    fresh_dir,
    mailbot,
    mailbot_env,
)

DH_VENV = WORK / "dh-venv"


def _outcomes(url: str) -> str:
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        counts = Counter(dict(conn.execute(sa.text("SELECT outcome, count(*) FROM processed_mails GROUP BY outcome")).all()))
    engine.dispose()
    return ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))


TARGETS = {"sqlite": 300, "sqlite-text": 1000}


def _ingest(ctx: Context, label: str, url: str, folder, count: int,  # type: ignore[no-untyped-def]
            *, startup_too: bool = True) -> float:
    work = fresh_dir(f"ingest-{label}")
    env = mailbot_env(work, database_url=url)
    mailbot(["db", "upgrade"], env, work)
    add_technicians(env, work, corpus.TECHNICIANS)
    empty = fresh_dir(f"ingest-{label}-empty")
    started, _ = mailbot(["ingest", str(empty)], env, work)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    seconds, _ = mailbot(["ingest", str(folder)], env, work)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    rate = count / seconds
    ctx.facts[f"ingest_{label}"] = rate
    goal = TARGETS.get(label)
    ctx.add(f"ingest, {label}", f"{rate:.1f} mails/s", f"≥ {goal:,} mails/s" if goal else "",
            (rate >= goal) if goal else None,
            f"{count} mails in {seconds:.2f} s, CPU {cpu:.2f} s (user + system of the command; "
            f"start-up {started:.2f} s); {_outcomes(url)}")
    if startup_too:
        startup.both_ways(ctx, env, work, label)
    return rate


def _helpdesk_python() -> str:
    python = DH_VENV / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(DH_VENV)], check=True)
    check = subprocess.run([str(python), "-c", "import helpdesk, django"], capture_output=True, check=False)
    if check.returncode != 0:
        done = subprocess.run([str(python), "-m", "pip", "install", "-q", "django-helpdesk[teams]==2.6.1"],
                              capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise RuntimeError("pip install django-helpdesk[teams]==2.6.1 failed: " + done.stderr.strip()[-400:])
    return str(python)


def _helpdesk(ctx: Context, folder, count: int) -> None:  # type: ignore[no-untyped-def]
    try:
        python = _helpdesk_python()
        work = fresh_dir("helpdesk")
        done = subprocess.run([python, str(ROOT / "bench" / "djhelpdesk" / "run.py"), str(folder), str(work),
                               str(ROOT)], capture_output=True, text=True, cwd=work, check=False)
        if done.returncode != 0:
            raise RuntimeError(done.stderr.strip()[-600:])
        result = json.loads(done.stdout.strip().splitlines()[-1])
    except Exception as exc:  # noqa: BLE001 - the table says why instead of stopping the run
        ctx.add("django-helpdesk 2.6.1, SQLite", "not run", note=str(exc)[:300])
        return
    rate = result["mails"] / result["seconds"]
    ctx.add("django-helpdesk 2.6.1, SQLite", f"{rate:.1f} mails/s", note=(
        f"{result['mails']} mails in {result['seconds']:.2f} s in-process (Django start-up excluded), "
        f"{result['tickets']} tickets, {result['errors']} errors; Django {result['django']}"
        + (f"; first error: {result['first_errors'][0]}" if result["first_errors"] else "")))
    mine = ctx.facts.get("ingest_sqlite")
    if mine:
        ratio = mine / rate
        ctx.add("ratio mailbot / django-helpdesk", f"{ratio:.1f}×", "≥ 10×", ratio >= 10,
                "mailbot's whole `ingest` command (start-up included) against django-helpdesk's loop alone")


def run(ctx: Context) -> None:
    count = 200 if ctx.quick else 1000
    compile_sources()
    mails = corpus.generate(count, seed=6)
    folder = fresh_dir("corpus-ingest")
    corpus.write(mails, folder)
    kinds = Counter(m.kind for m in mails)
    size = sum(len(m.raw) for m in mails)
    print(f"  corpus: {count} mails ({dict(kinds)}), {size / 1e6:.1f} MB", flush=True)
    _ingest(ctx, "sqlite", f"sqlite:///{WORK / 'ingest-sqlite' / 'mailbot.db'}", folder, count)
    text_folder = fresh_dir("corpus-text")
    corpus.write(corpus.generate(count, seed=6, text_only=True), text_folder)
    _ingest(ctx, "sqlite-text", f"sqlite:///{WORK / 'ingest-sqlite-text' / 'mailbot.db'}", text_folder, count,
            startup_too=False)
    with pg.database("ingest") as url:
        _ingest(ctx, "postgresql", url, folder, count)
    started = time.perf_counter()
    _helpdesk(ctx, folder, count)
    print(f"  django-helpdesk step took {time.perf_counter() - started:.1f} s", flush=True)
