"""The web desk's knowledge-base results page (`/kb?q=…`) at 100,000 articles, on SQLite and
PostgreSQL: each of the corpus's queries (tests/data/kb_queries.txt) asked three times as a
technician (drafts too) and as a requester (published only), the time the application takes
per page (routing, session, search of 20 articles, extracts, template), median / p95 / max.

`.venv/bin/python -m bench.kb_web [--articles N]` prints them (not part of `bench/run`)."""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from bench import machine
from bench.kb import ARTICLES, _databases, _fill, _spread
from bench.web import ServerTime
from tests import kb_corpus


def measure(count: int, report) -> None:  # type: ignore[no-untyped-def]
    from starlette.testclient import TestClient

    from mailbot.web.base import Desk
    from mailbot.web.server import build_app
    from tests.scenario.helpdesk import Helpdesk
    from tests.scenario.web import PROF, TECH, sign_in_link

    queries = [q.text for q in kb_corpus.queries()]
    with tempfile.TemporaryDirectory() as tmp:
        for label, url_context in _databases(Path(tmp)):
            with url_context as url:
                (Path(tmp) / label).mkdir()
                helpdesk = Helpdesk(Path(tmp) / label, database_url=url)
                helpdesk.cli("users", "add", TECH, "--technician")
                helpdesk.cli("users", "add", PROF)
                started = time.perf_counter()
                _fill(helpdesk.app.db, count)
                if helpdesk.app.db.is_postgres:
                    with helpdesk.app.db.engine.begin() as connection:
                        connection.exec_driver_sql("ANALYZE kb_articles")
                report(f"{label}: {count:,} articles written in {time.perf_counter() - started:.1f} s")
                timed = ServerTime(build_app(helpdesk.app, desk=Desk(helpdesk.app)))
                for who, role in ((TECH, "technician"), (PROF, "requester")):
                    browser = TestClient(timed, base_url="http://desk.example", follow_redirects=False)
                    assert browser.post(sign_in_link(helpdesk, browser, who)).status_code == 303
                    for query in queries:  # warm: statements prepared, pages cached
                        browser.get("/kb", params={"q": query})
                    timed.times.clear()
                    for query in queries * 3:
                        assert browser.get("/kb", params={"q": query}).status_code == 200
                    p50, p95, top = _spread([t * 1000 for t in timed.times])
                    report(f"  /kb as a {role}: p50 {p50:.1f} ms, p95 {p95:.1f} ms, max {top:.1f} ms"
                           f" over {len(timed.times)} pages")
                helpdesk.close()


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.kb_web", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--articles", type=int, default=ARTICLES, help="articles in the knowledge base")
    args = parser.parse_args()
    print("  " + " · ".join(f"{k}: {v}" for k, v in machine.describe().items()), flush=True)
    measure(args.articles, lambda line: print(line, flush=True))


if __name__ == "__main__":
    main()
