"""`python -m bench.ab_ingest OTHER_SOURCE_DIR [ROUNDS] [--pg] [--text] [--this DIR]`: `mailbot ingest`
of the ingest corpus with this tree's code and with another checkout's (`git archive REV | tar -x -C DIR`),
alternating, so that both meet the same load on a shared machine (not part of bench/run).
`--text`: the same 200 mails without their attachments; `--this DIR`: a snapshot of this tree
instead of the tree itself, so that editing goes on while it runs.

Each round runs, for each code: the corpus into a fresh SQLite database (or PostgreSQL with
--pg), an empty folder (the command's start-up) and `mailbot ingest -` of one short mail;
prints wall and CPU (user + system of the command) of each."""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import time
from pathlib import Path

from bench import corpus, pg
from bench.common import MAILBOT, PYTHON, WORK, add_technicians, compile_sources, fresh_dir, mailbot_env
from bench.startup import SHORT_MAIL

# The other checkout's own console script, through its `mailbot.cli:main` (this venv's `mailbot`
# script names `mailbot.entry`, which an older checkout does not have).
OLD_SCRIPT = [PYTHON, "-c", "import sys; sys.argv[0] = 'mailbot'; from mailbot.cli import main; main()"]


def _run(args: list[str], env: dict[str, str], cwd: Path, stdin: bytes = b"") -> tuple[float, float]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    other = env.get("PYTHONPATH")
    script = OLD_SCRIPT if other and not (Path(other) / "mailbot" / "entry.py").exists() else [MAILBOT]
    done = subprocess.run([*script, *args], input=stdin, env=env, cwd=cwd, capture_output=True, check=False)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise RuntimeError(f"mailbot {' '.join(args[:2])}: {done.stderr.decode()[-1500:]}")
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def one(label: str, source: Path | None, folder: Path, count: int, url: str | None, round_: int) -> None:
    work = fresh_dir(f"ab-{label}")
    env = mailbot_env(work, database_url=url or f"sqlite:///{work / 'mailbot.db'}")
    if source is not None:
        env["PYTHONPATH"] = str(source)
    _run(["db", "upgrade"], env, work)
    add_technicians(env, work, corpus.TECHNICIANS)
    empty = fresh_dir(f"ab-{label}-empty")
    start_wall, start_cpu = _run(["ingest", str(empty)], env, work)
    wall, cpu = _run(["ingest", str(folder)], env, work)
    one_wall, one_cpu = _run(["ingest", "-"], env, work, SHORT_MAIL.replace(b"%d", b"ab"))
    print(f"round {round_} {label:<6} ingest {count / wall:6.1f} mails/s (wall {wall:6.2f} s, CPU {cpu:6.2f} s)  "
          f"empty folder wall {start_wall:.2f} CPU {start_cpu:.2f}  one mail wall {one_wall:.2f} CPU {one_cpu:.2f}  "
          f"load {os.getloadavg()[0]:.1f}", flush=True)


def main() -> None:
    other = Path(sys.argv[1]).resolve()
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 and sys.argv[2].isdigit() else 2
    use_pg = "--pg" in sys.argv
    compile_sources()
    text_only = "--text" in sys.argv
    this = Path(sys.argv[sys.argv.index("--this") + 1]).resolve() if "--this" in sys.argv else None
    for source in (other, this):
        if source is not None:
            subprocess.run([PYTHON, "-m", "compileall", "-q", str(source / "mailbot")], check=True,
                           stdout=subprocess.DEVNULL,
                           env={k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"})
    folder = WORK / ("corpus-ingest-text" if text_only else "corpus-ingest")
    if not folder.exists():
        corpus.write(corpus.generate(200, seed=6, text_only=text_only), fresh_dir(folder.name))
    count = len(list(folder.glob("*.eml")))
    for round_ in range(1, rounds + 1):
        for label, source in (("other", other), ("this", this)):
            if use_pg:
                with pg.database(f"ab_{label}") as url:
                    one(label, source, folder, count, url, round_)
            else:
                one(label, source, folder, count, None, round_)


if __name__ == "__main__":
    main()
