"""Measure 6: the web desk at one million tickets (the scale data set of measure 5, plus
followups and tasks on the open tickets): the technician's home page, a ticket page and the RSS
feed, served through the whole ASGI application in the process (Starlette's test client: routing,
session, queries, templates), and the feed's conditional GET answering 304.

`BENCH_WEB_KEEP=1` keeps the loaded database (`mailbot_bench_web_kept_1m`, or `_100k` with
`--quick`) after the run and measures it again next time, after `mailbot db upgrade` (a new
migration's indexes are built on the kept data, as on a school's server): the load alone takes
minutes. Drop it with `DROP DATABASE`; without the variable every run starts from scratch."""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg

from bench import corpus, pg
from bench.common import Context, add_technicians, fresh_dir, mailbot, mailbot_env, ms
from bench.scale import LOAD, TECHS, open_ticket

MORE = """
INSERT INTO followups (ticket_id, author_id, content, private, source, unprocessed, created_at)
  SELECT t.id, t.requester_id, 'Toujours en panne, merci de passer.', (k = 3), 'mail', false,
         t.created_at + k * interval '10 minutes'
  FROM tickets t CROSS JOIN generate_series(1, 3) k WHERE t.status <> 'closed';
INSERT INTO tasks (ticket_id, author_id, content, state, duration_minutes, "begin", "end", private, created_at)
  SELECT t.id, a.user_id, 'Passage en salle', 'todo', 30,
         now() + (t.id % 7) * interval '1 day' + (t.id % 9) * interval '1 hour', NULL, false, t.created_at
  FROM tickets t JOIN ticket_assignees a ON a.ticket_id = t.id WHERE t.status IN ('planned', 'waiting');
VACUUM ANALYZE;
"""


class ServerTime:
    """ASGI wrapper: how long the application took for each request, from its start to the last
    byte of the answer (the test client's own thread hand-offs are left out)."""

    def __init__(self, app):  # type: ignore[no-untyped-def]
        self.app = app
        self.times: list[float] = []

    async def __call__(self, scope, receive, send):  # type: ignore[no-untyped-def]
        started = time.perf_counter()

        async def timed(message):  # type: ignore[no-untyped-def]
            await send(message)
            if message["type"] == "http.response.body" and not message.get("more_body"):
                self.times.append(time.perf_counter() - started)

        await self.app(scope, receive, timed)


def _median(timer: ServerTime, fn, repeat: int = 25) -> float:  # type: ignore[no-untyped-def]
    fn()  # warm: statements prepared, templates compiled
    timer.times.clear()
    for _ in range(repeat):
        fn()
    return statistics.median(timer.times)


def _serve(url: str, work, n: int) -> dict[str, float]:  # type: ignore[no-untyped-def]
    from starlette.testclient import TestClient

    from mailbot.app import App
    from mailbot.config import load_settings
    from mailbot.web.auth import create_link, known_person, redeem_link, renew_feed_token
    from mailbot.web.base import COOKIE
    from mailbot.web.server import build_app

    app = App(load_settings(database_url=url, outbox_dir=work / "outbox", documents_dir=work / "documents",
                            helpdesk_address=corpus.HELPDESK, web_url="https://desk.school.example"))
    now = app.clock()
    with app.db.transaction() as session:
        tech = known_person(session, "tech1@school.example")
        assert tech is not None
        secret = create_link(session, tech, now)
        feed_token = renew_feed_token(session, tech.id, now)
    with app.db.transaction() as session:
        cookie = redeem_link(session, secret, now, 1)
    timer = ServerTime(build_app(app))
    browser = TestClient(timer, base_url="https://desk.school.example")
    browser.cookies.set(COOKIE, cookie or "")
    found: dict[str, float] = {}

    def get(path: str, **headers: str):  # type: ignore[no-untyped-def]
        answer = browser.get(path, headers=headers)
        assert answer.status_code in (200, 304), (path, answer.status_code)
        return answer

    home = get("/")
    found["home_bytes"] = len(home.content)
    found["home"] = _median(timer, lambda: get("/"))
    found["global"] = _median(timer, lambda: get("/?view=global"))
    ticket = open_ticket(n, 3)
    found["ticket"] = _median(timer, lambda: get(f"/tickets/{ticket}"))
    feed = f"/feeds/{feed_token}/personal.rss"
    etag = get(feed).headers["etag"]
    found["feed"] = _median(timer, lambda: get(feed))
    found["feed_304"] = _median(timer, lambda: get(feed, **{"If-None-Match": etag}))
    assert get(feed, **{"If-None-Match": etag}).status_code == 304
    found["planning"] = _median(timer, lambda: get("/planning"))
    app.close()
    return found


@contextmanager
def _database(n: int) -> Iterator[tuple[str, bool]]:
    """(URL, whether it holds the data set already): a fresh database, or the kept one."""
    if not os.environ.get("BENCH_WEB_KEEP"):
        with pg.database("web") as url:
            yield url, False
        return
    name = f"mailbot_bench_web_kept_{n // 1000}k" if n < 1_000_000 else "mailbot_bench_web_kept_1m"
    with psycopg.connect(pg.ADMIN_DSN, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')
    url = f"postgresql+psycopg://root@127.0.0.1:5432/{name}"
    loaded = bool(exists) and pg.scalar(url, "SELECT to_regclass('tickets') IS NOT NULL "
                                             "AND EXISTS (SELECT 1 FROM tickets)")
    yield url, loaded


def run(ctx: Context) -> None:
    n = 100_000 if ctx.quick else 1_000_000
    work = fresh_dir("web")
    with _database(n) as (url, loaded):
        env = mailbot_env(work, database_url=url)
        started = time.perf_counter()
        mailbot(["db", "upgrade"], env, work)
        if loaded:
            print(f"  kept database, upgraded in {time.perf_counter() - started:.0f} s", flush=True)
        else:
            add_technicians(env, work, corpus.TECHNICIANS)
            with psycopg.connect(pg.dsn(url), autocommit=True) as conn:
                for statement in (LOAD.format(n=n, techs=TECHS) + MORE).split(";\n"):
                    if statement.strip():
                        conn.execute(statement)
                followups = conn.execute("SELECT count(*) FROM followups").fetchone()[0]
                tasks = conn.execute("SELECT count(*) FROM tasks").fetchone()[0]
            print(f"  {n} tickets, {followups} followups, {tasks} tasks loaded in "
                  f"{time.perf_counter() - started:.0f} s", flush=True)
        found = _serve(url, work, n)
    label = f"{n // 1000}k tickets" if n < 1_000_000 else "1M tickets"
    ctx.add(f"web home page at {label}", f"{ms(found['home'])} personal / {ms(found['global'])} global", "< 50 ms",
            max(found["home"], found["global"]) < 0.05,
            "GET / and /?view=global through the whole Starlette application in the process (session, "
            f"two tables with counts, the planning, the template), median of 25; {int(found['home_bytes'])} bytes")
    ctx.add(f"web ticket page at {label}", ms(found["ticket"]), "< 50 ms", found["ticket"] < 0.05,
            "GET /tickets/ID of an open ticket with followups and tasks, median of 25")
    ctx.add(f"RSS feed at {label}", f"{ms(found['feed'])} / 304 in {ms(found['feed_304'])}", "304 when unchanged",
            True, "GET of the personal RSS feed, then the same with If-None-Match: 304 without building the feed; "
                  f"the planning page took {ms(found['planning'])}")
