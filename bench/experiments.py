"""`python -m bench.experiments FOLDER`: where `mailbot ingest`'s time goes, in-process.

Runs the same mails through `App.process` three ways (no delivery, delivery to a sender that
does nothing, delivery to the outbox folder as `mailbot ingest` does) and profiles the first
with pyinstrument when it is installed. Used to write docs/BENCHMARKS.md; not part of bench/run."""

from __future__ import annotations

import sys
import time
from pathlib import Path

from bench import corpus
from bench.common import fresh_dir


class NullSender:
    def send(self, message, recipient):  # type: ignore[no-untyped-def]
        message.as_bytes()


def _app(work: Path):  # type: ignore[no-untyped-def]
    from mailbot.app import App
    from mailbot.config import load_settings
    from mailbot.workflow.directory import upsert_user

    settings = load_settings(database_url=f"sqlite:///{work / 'm.db'}", outbox_dir=work / "outbox",
                             documents_dir=work / "documents", helpdesk_address=corpus.HELPDESK)
    app = App(settings)
    app.ensure_schema()
    with app.db.transaction() as session:
        for email in corpus.TECHNICIANS:
            upsert_user(session, email, name="", technician=True, group=None, language=None, now=app.clock())
    return app


def trial(raws: list[bytes], label: str, *, deliver: bool, null_sender: bool = False, profile: bool = False) -> None:
    app = _app(fresh_dir(f"exp-{label}"))
    if null_sender:
        app.__dict__["sender"] = NullSender()
    if deliver:
        app.start_worker()
    else:
        app.enqueue = lambda ids: None  # type: ignore[method-assign]
    statements = [0]
    from sqlalchemy import event

    event.listen(app.db.engine, "before_cursor_execute", lambda *a: statements.__setitem__(0, statements[0] + 1))
    profiler = None
    if profile:
        from pyinstrument import Profiler

        profiler = Profiler(interval=0.001)
        profiler.start()
    started = time.perf_counter()
    for raw in raws:
        app.process(raw, "direct")
    app.wait_for_delivery()
    elapsed = time.perf_counter() - started
    if profiler:
        profiler.stop()
        (fresh_dir("exp-profile") / "process.txt").write_text(profiler.output_text(unicode=False, show_all=False))
    app.close()
    print(f"{label:<30} {len(raws) / elapsed:7.1f} mails/s ({elapsed:.2f} s), "
          f"{statements[0] / len(raws):.1f} SQL statements per mail", flush=True)


def main() -> None:
    folder = Path(sys.argv[1])
    raws = [path.read_bytes() for path in sorted(folder.glob("*.eml"))]
    small = [raw for raw in raws if len(raw) < 50_000]
    trial(small, f"process only, {len(small)} mails without attachment", deliver=False)
    trial(raws, "process only, no delivery", deliver=False, profile="--profile" in sys.argv)
    trial(raws, "delivery to a null sender", deliver=True, null_sender=True)
    trial(raws, "delivery to the outbox folder", deliver=True)


if __name__ == "__main__":
    main()
