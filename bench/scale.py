"""Measure 5: one million tickets in PostgreSQL (bulk-loaded in SQL, not through the ORM), then
the time of threading a reply and of a technician's personal view, in the process and as commands."""

from __future__ import annotations

import statistics
import time
from datetime import UTC, datetime

import psycopg
from sqlalchemy import text

from bench import corpus, pg
from bench.common import (
    WORK,
    Context,
    add_technicians,
    fresh_dir,
    mailbot,
    mailbot_env,
    ms,
)

TECHS = 20
LOAD = """
INSERT INTO users (email, name, is_technician, created_at)
  SELECT 'tech' || g || '@school.example', 'Technicien ' || g, true, now() FROM generate_series(4, {techs}) g;
INSERT INTO users (email, name, is_technician, created_at)
  SELECT 'user' || lpad(g::text, 5, '0') || '@school.example', 'Requester ' || g, false, now()
  FROM generate_series(1, 20000) g;
INSERT INTO tickets (id, type, status, title, content, urgency, requester_id, mailbox, thread_root,
                     created_at, updated_at, solved_at, closed_at)
  SELECT g, 'incident',
         CASE WHEN g % 20 = 0 THEN (ARRAY['new','assigned','planned','waiting','solved'])[1 + g / 20 % 5]
              ELSE 'closed' END,
         'Imprimante en panne en salle ' || (g % 300), 'Bonjour, l''imprimante ne marche plus.', 3,
         (SELECT min(id) FROM users WHERE NOT is_technician) + g % 20000, 'INBOX',
         'ticket-' || g || '@school.example',
         ts, ts + interval '2 hours',
         CASE WHEN g % 20 = 0 THEN NULL ELSE ts + interval '1 day' END,
         CASE WHEN g % 20 = 0 THEN NULL ELSE ts + interval '2 days' END
  FROM (SELECT g, timestamp '2016-01-01' + g * interval '5 minutes' AS ts FROM generate_series(1, {n}) g) s;
INSERT INTO thread_messages (message_id, ticket_id, outbound)
  SELECT 'mail-' || g || '@school.example', g, false FROM generate_series(1, {n}) g;
INSERT INTO thread_messages (message_id, ticket_id, outbound)
  SELECT 'notif-' || g || '@helpdesk.school.example', g, true FROM generate_series(1, {n}) g;
INSERT INTO ticket_assignees (ticket_id, user_id)
  SELECT g, (SELECT id FROM users WHERE email = 'tech' || (1 + g / 3 % {techs}) || '@school.example')
  FROM generate_series(1, {n}) g;
SELECT setval(pg_get_serial_sequence('tickets', 'id'), {n});
ANALYZE;
"""


def open_ticket(n: int, i: int) -> int:
    """The id of an open (status `new`) ticket of the bulk load, near the middle."""
    return 20 * (n // 40 - n // 40 % 5 + 5 * i)


def requester_of(ticket_id: int) -> str:
    return f"user{ticket_id % 20000 + 1:05d}@school.example"


def _median_ms(fn, repeat: int) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def _in_process(url: str, n: int) -> dict[str, float]:
    from mailbot.workflow.db import Database
    from mailbot.workflow.tickets import ticket_by_thread
    from mailbot.workflow.views import list_query, list_tickets, summary_json

    db = Database(url)
    found: dict[str, float] = {}
    with db.transaction() as session:
        ticket_by_thread(session, ("mail-1@school.example",))  # connection and statement warm
        ids = iter(range(n // 3, n, max(1, (n - n // 3) // 40)))
        found["thread"] = _median_ms(lambda: ticket_by_thread(
            session, (f"notif-{next(ids)}@helpdesk.school.example", "unknown@x")), 30)

        def personal() -> int:
            tickets = list_tickets(session, view="personal", as_email="tech1@school.example")
            return len([summary_json(t) for t in tickets])

        found["personal_rows"] = personal()
        found["personal"] = _median_ms(personal, 15)

        from mailbot.workflow.desk import my_requests, technician_desk
        from mailbot.workflow.tickets import user_by_email

        tech = user_by_email(session, "tech1@school.example")
        requester = user_by_email(session, requester_of(open_ticket(n, 0)))
        assert tech is not None and requester is not None
        now = datetime.now(UTC)
        desk = technician_desk(session, tech, now)
        found["desk_rows"] = desk["in_progress"]["count"] + desk["to_handle"]["count"]
        found["desk"] = _median_ms(lambda: technician_desk(session, tech, now), 15)
        found["requests_rows"] = my_requests(session, requester)["count"]
        found["requests"] = _median_ms(lambda: my_requests(session, requester), 15)
        query = list_query(session, view="personal", as_email="tech1@school.example")
        sql = str(query.compile(dialect=session.bind.dialect, compile_kwargs={"literal_binds": True}))
        plan = session.execute(text("EXPLAIN (ANALYZE, BUFFERS) " + sql)).scalars().all()
        (WORK / "scale-explain.txt").write_text(sql + "\n\n" + "\n".join(plan) + "\n")
    db.dispose()
    return found


def _process_reply(url: str, work, n: int) -> float:  # type: ignore[no-untyped-def]
    from mailbot.app import App
    from mailbot.config import load_settings

    app = App(load_settings(database_url=url, outbox_dir=work / "outbox", documents_dir=work / "documents",
                            helpdesk_address=corpus.HELPDESK))
    app.enqueue = lambda ids: None  # type: ignore[method-assign]  # only the transaction is timed
    counter = iter(range(10_000))

    def one() -> None:
        i = next(counter)
        raw = corpus.build(("Requester", requester_of(open_ticket(n, i))), "RE: Imprimante en panne",
                           "Toujours en panne.", f"<scale-reply-{i}@school.example>", corpus.START,
                           in_reply_to=f"<notif-{open_ticket(n, i)}@helpdesk.school.example>")
        result = app.process(raw, "INBOX")
        assert result.outcome == "followup", result

    one()
    seconds = _median_ms(one, 15)
    app.close()
    return seconds


def run(ctx: Context) -> None:
    n = 100_000 if ctx.quick else 1_000_000
    work = fresh_dir("scale")
    with pg.database("scale") as url:
        env = mailbot_env(work, database_url=url)
        mailbot(["db", "upgrade"], env, work)
        add_technicians(env, work, corpus.TECHNICIANS)
        started = time.perf_counter()
        with psycopg.connect(pg.dsn(url), autocommit=True) as conn:
            for statement in LOAD.format(n=n, techs=TECHS).split(";\n"):
                if statement.strip():
                    conn.execute(statement)
        print(f"  {n} tickets loaded in {time.perf_counter() - started:.0f} s", flush=True)
        inside = _in_process(url, n)
        reply = _process_reply(url, work, n)
        startup, _ = mailbot(["ingest", str(fresh_dir("scale-empty"))], env, work)
        mail = work / "reply.eml"
        mail.write_bytes(corpus.build(("Requester", requester_of(open_ticket(n, 999))), "RE: Imprimante", "Merci",
                                      "<scale-cmd@school.example>", corpus.START,
                                      in_reply_to=f"<mail-{open_ticket(n, 999)}@school.example>"))
        ingest_cmd, _ = mailbot(["ingest", str(mail)], env, work)
        view_cmd, out = mailbot(["tickets", "list", "--view", "personal", "--as", "tech1@school.example"], env, work)
    label = f"{n // 1000}k tickets" if n < 1_000_000 else "1M tickets"
    ctx.add(f"threading a reply at {label}", f"{ms(inside['thread'])} lookup / {ms(reply)} whole reply",
            "< 50 ms", max(inside["thread"], reply) < 0.05,
            f"`ticket_by_thread` median in the process; one reply mail through App.process (parse, "
            f"thread, followup, outbox, commit) median; the `mailbot ingest` command for one reply took "
            f"{ingest_cmd:.2f} s, of which {startup:.2f} s is the command's start-up on an empty folder")
    ctx.add(f"personal view at {label}", f"{ms(inside['personal'])} in the process", "< 50 ms",
            inside["personal"] < 0.05,
            f"list_tickets(view=personal) + summary_json, {int(inside['personal_rows'])} rows, median; "
            f"the whole `mailbot tickets list --view personal` command took {view_cmd:.2f} s "
            f"({len(out.splitlines())} lines printed)")
    ctx.add(f"#tickets and #mesdemandes at {label}",
            f"{ms(inside['desk'])} / {ms(inside['requests'])} in the process", "< 50 ms",
            max(inside["desk"], inside["requests"]) < 0.05,
            f"workflow.desk.technician_desk (both tables, {int(inside['desk_rows'])} tickets counted, at most "
            f"50 rows each) and my_requests ({int(inside['requests_rows'])} tickets), median of 15")
