"""`python -m bench.sqlite_batch FOLDER [N] [--profile MODE]`: why a batch transaction on SQLite
was slower than a commit per mail, in-process (not part of bench/run).

Runs the first N mails of FOLDER (the ingest corpus) through the app without delivery, on a
fresh SQLite database each time, three ways: a commit per mail (`App.process`), one transaction
for the batch with a savepoint per mail (`App.process_many`'s batch), and the same batch in
batches of 50. Prints wall and CPU time, SQL statements and the WAL's size; `--profile MODE`
writes a cProfile listing of that mode to bench/.work/sqlite-batch-MODE.txt."""

from __future__ import annotations

import cProfile
import io
import os
import pstats
import sys
import time
from pathlib import Path

from bench.common import fresh_dir
from bench.experiments import _app

MODES = ("per-mail", "one-batch", "batches-of-50")


def trial(raws: list[bytes], mode: str, profile: bool) -> None:
    work = fresh_dir(f"sqlite-batch-{mode}")
    app = _app(work)
    app.enqueue = lambda ids: None  # type: ignore[method-assign]
    statements = [0]
    from sqlalchemy import event

    event.listen(app.db.engine, "before_cursor_execute", lambda *a: statements.__setitem__(0, statements[0] + 1))
    profiler = cProfile.Profile() if profile else None
    wall, cpu = time.perf_counter(), time.process_time()
    if profiler:
        profiler.enable()
    if mode == "per-mail":
        for raw in raws:
            app.process(raw, "direct")
    else:
        size = len(raws) if mode == "one-batch" else 50
        for start in range(0, len(raws), size):
            app.process_many(raws[start:start + size], "direct")
    if profiler:
        profiler.disable()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    wal = work / "m.db-wal"
    app.close()
    print(f"{mode:<15} {len(raws) / wall:7.1f} mails/s (wall {wall:.2f} s, CPU {cpu:.2f} s), "
          f"{statements[0] / len(raws):.1f} SQL statements a mail, WAL {wal.stat().st_size / 1e6 if wal.exists() else 0:.1f} MB",
          flush=True)
    if profiler:
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(60)
        pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(30)
        (work.parent / f"sqlite-batch-{mode}.txt").write_text(out.getvalue())


def main() -> None:
    folder = Path(sys.argv[1])
    count = int(sys.argv[2]) if len(sys.argv) > 2 and sys.argv[2].isdigit() else 100
    profiled = sys.argv[sys.argv.index("--profile") + 1] if "--profile" in sys.argv else ""
    raws = [path.read_bytes() for path in sorted(folder.glob("*.eml"))][:count]
    print(f"{len(raws)} mails, {sum(map(len, raws)) / 1e6:.1f} MB, load {os.getloadavg()[0]:.1f}", flush=True)
    for mode in MODES:
        trial(raws, mode, mode == profiled)


if __name__ == "__main__":
    main()
