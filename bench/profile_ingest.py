"""`python -m bench.profile_ingest FOLDER [--pg] [--out NAME] [--pyspy]`: the real `mailbot ingest
FOLDER` command run in this process under cProfile (not part of bench/run), with the split of its
time between intake and delivery and the SQL statements it sent. cProfile inflates functions
called very often (a base64 line, an ORM attribute); `--pyspy` samples the command instead, in
its own process, with py-spy (`pip install py-spy`), and prints the inclusive shares.

The database (a fresh SQLite file, or a throwaway PostgreSQL database with --pg) is upgraded and
the corpus's technicians added first, by the command as a user would. The listing goes to
bench/.work/profile-NAME.txt (NAME defaults to the folder's name)."""

from __future__ import annotations

import cProfile
import io
import os
import pstats
import subprocess
import sys
import time
from contextlib import nullcontext
from pathlib import Path

from bench import corpus, pg
from bench.common import WORK, add_technicians, fresh_dir, mailbot, mailbot_env

# where the time goes: (label, function name as pstats prints it)
PHASES = (
    ("intake: MailProcessing.process_many", "mailbot/mail_processing.py", "process_many"),
    ("  parsing", "parsers/message.py", "parse_message"),
    ("  MailService.handle", "workflow/service.py", "handle"),
    ("  outbox rows", "outbound/outbox.py", "record_mail"),
    ("delivery: Dispatcher.deliver_held", "outbound/dispatch.py", "deliver_held"),
    ("  rendering", "outbound/render.py", "render"),
)


def _cumulative(stats: pstats.Stats, path: str, name: str) -> float:
    return sum(values[3] for (file, _, function), values in stats.stats.items()  # type: ignore[attr-defined]
               if function == name and file.endswith(path))


def _sampled(folder: Path, env: dict[str, str], work: Path, name: str) -> None:
    from bench.common import MAILBOT
    from bench.pyspy_top import top

    out = WORK / f"pyspy-{name}.txt"
    started = time.perf_counter()
    subprocess.run(["py-spy", "record", "-r", "200", "--format", "raw", "-o", str(out), "--", MAILBOT, "ingest",
                    str(folder)], env=env, cwd=work, check=True, capture_output=True)
    print(f"wall {time.perf_counter() - started:.2f} s (sampled), {out}")
    for share, function in top(str(out), 60):
        print(f"{share:5.1f} %  {function}")


def main() -> None:
    folder = Path(sys.argv[1]).resolve()
    use_pg = "--pg" in sys.argv
    name = sys.argv[sys.argv.index("--out") + 1] if "--out" in sys.argv else folder.name + ("-pg" if use_pg else "")
    work = fresh_dir(f"profile-{name}")
    with pg.database("profile") if use_pg else nullcontext(f"sqlite:///{work / 'mailbot.db'}") as url:
        env = mailbot_env(work, database_url=url)
        mailbot(["db", "upgrade"], env, work)
        add_technicians(env, work, corpus.TECHNICIANS)
        if "--pyspy" in sys.argv:
            _sampled(folder, env, work, name)
            return
        os.environ.update(env)
        os.chdir(work)
        from sqlalchemy import event
        from sqlalchemy.engine import Engine

        statements = [0]
        event.listen(Engine, "before_cursor_execute", lambda *a: statements.__setitem__(0, statements[0] + 1))
        from mailbot.cli import cli

        count = len(list(folder.glob("*.eml")))
        profiler = cProfile.Profile()
        wall, cpu = time.perf_counter(), time.process_time()
        profiler.enable()
        try:
            cli(["ingest", str(folder)], standalone_mode=False)
        except SystemExit:
            pass
        profiler.disable()
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    stats = pstats.Stats(profiler)
    summary = [f"{count} mails, wall {wall:.2f} s, CPU {cpu:.2f} s (profiled), {statements[0] / count:.1f} SQL "
               f"statements a mail, load {os.getloadavg()[0]:.1f}"]
    summary += [f"{label:<28} {_cumulative(stats, path, function):6.2f} s" for label, path, function in PHASES]
    print("\n".join(summary))
    out = io.StringIO()
    out.write("\n".join(summary) + "\n\n")
    pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(120)
    pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(50)
    (WORK / f"profile-{name}.txt").write_text(out.getvalue())


if __name__ == "__main__":
    main()
