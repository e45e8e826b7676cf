"""`python -m bench.jobs [MAILS] [ROUNDS] [--text] [--jobs 1,2]`: `mailbot ingest --jobs N` of the
bench corpus into a fresh PostgreSQL database, N = 1 and 2 in turn in each round, so that both
meet the same load on a shared machine (not part of bench/run).

Prints for each run the wall time of the whole command (start-up, splitting by thread,
intake, delivery to the outbox folder), the CPU of mailbot's processes (user + system, the
intake processes included), PostgreSQL's CPU (its server processes that ended meanwhile, read from
the postmaster's children's CPU in /proc: the command's connections, plus any other client's
that closed in the same seconds), mails/s, the load average, and the tickets and recorded mails
found after (the same for every N, or the run is wrong)."""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import time
from pathlib import Path

from bench import corpus, pg
from bench.common import MAILBOT, WORK, add_technicians, compile_sources, fresh_dir, mailbot_env


def _postgres_cpu() -> float:
    """CPU seconds of the PostgreSQL server processes that have ended so far (0 when unreadable)."""
    try:
        postmaster = subprocess.run(["pgrep", "-o", "-x", "postgres"], capture_output=True, text=True,
                                    check=True).stdout.split()[0]
        fields = Path(f"/proc/{postmaster}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[13]) + int(fields[14])) / os.sysconf("SC_CLK_TCK")  # cutime + cstime
    except (OSError, subprocess.CalledProcessError, IndexError, ValueError):
        return 0.0


def _run(args: list[str], env: dict[str, str], cwd: Path) -> tuple[float, float, str]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run([MAILBOT, *args], env=env, cwd=cwd, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise RuntimeError(f"mailbot {' '.join(args[:3])}: {done.stderr[-1500:]}")
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime), done.stderr


def one(folder: Path, count: int, jobs: int, round_: int) -> None:
    work = fresh_dir(f"jobs-{jobs}")
    with pg.database(f"jobs{jobs}") as url:
        env = mailbot_env(work, database_url=url)
        _run(["db", "upgrade"], env, work)
        add_technicians(env, work, corpus.TECHNICIANS)
        load = os.getloadavg()[0]
        pg_before = _postgres_cpu()
        wall, cpu, log = _run(["ingest", "--jobs", str(jobs), str(folder)], env, work)
        time.sleep(0.5)  # the command's server processes end just after it
        pg_cpu = _postgres_cpu() - pg_before
        tickets = pg.scalar(url, "SELECT count(*) FROM tickets")
        mails = pg.scalar(url, "SELECT count(DISTINCT mail_key) FROM processed_mails")
    parts = next((line.split(": ", 2)[-1] for line in log.splitlines() if "part(s) for" in line), "-")
    print(f"round {round_} --jobs {jobs}: {count / wall:6.1f} mails/s (wall {wall:6.2f} s, CPU {cpu:6.2f} s, "
          f"PostgreSQL CPU {pg_cpu:5.2f} s)  "
          f"load {load:.1f} → {os.getloadavg()[0]:.1f}  tickets {tickets}, mails recorded {mails}  parts {parts}",
          flush=True)


def main() -> None:
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    count = int(args[0]) if args else 400
    rounds = int(args[1]) if len(args) > 1 else 2
    text_only = "--text" in sys.argv
    jobs_list = [int(n) for n in sys.argv[sys.argv.index("--jobs") + 1].split(",")] if "--jobs" in sys.argv else [1, 2]
    compile_sources()
    folder = WORK / f"corpus-jobs-{count}{'-text' if text_only else ''}"
    if not folder.exists():
        corpus.write(corpus.generate(count, seed=6, text_only=text_only), fresh_dir(folder.name))
    count = len(list(folder.glob("*.eml")))
    print(f"{count} mails, {sum(f.stat().st_size for f in folder.glob('*.eml')) / 1e6:.0f} MB; "
          f"{os.cpu_count()} CPUs", flush=True)
    for round_ in range(1, rounds + 1):
        for jobs in jobs_list:
            one(folder, count, jobs, round_)


if __name__ == "__main__":
    main()
