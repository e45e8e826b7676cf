"""`mailbot run` with several intake processes on one IMAP mailbox (MAILBOT_INTAKE_WORKERS,
PostgreSQL, a real Dovecot): the same tickets, followups and notifications as one process on
threads of request, reply and reply to the reply; an intake process killed in the middle of its
part loses nothing and duplicates nothing."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy import func, select

from mailbot.app import App
from mailbot.inbound.imap import ImapMailbox, ImapOptions, ImapTarget, PollStats, drain
from mailbot.intake_pool import IntakePool
from mailbot.parsers.partition import partition, thread_keys
from mailbot.workflow.models import Notification, ProcessedMail, Ticket, User
from tests.conftest import clean_settings
from tests.integration.conftest import POSTGRES_URL
from tests.integration.test_parallel_intake import HELPDESK, REQUESTERS, THREADS, _mail, corpus

pytestmark = pytest.mark.integration

MAILBOT = str(Path(sys.executable).with_name("mailbot"))


def _fresh_schema(schema: str) -> None:
    engine = sa.create_engine(POSTGRES_URL)
    with engine.begin() as connection:
        connection.execute(sa.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        connection.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    engine.dispose()


def _app(url: str, tmp: Path, **values: object) -> App:
    app = App(clean_settings(database_url=url, helpdesk_address=HELPDESK, outbox_dir=tmp / "outbox",
                             documents_dir=tmp / "documents", **values))
    app.ensure_schema()
    with app.db.transaction() as session:  # known requesters: only the threads tie their mails
        for email in REQUESTERS:
            session.add(User(email=email, name=email.split("@")[0], created_at=datetime.now(UTC)))
    return app


def _state(url: str) -> dict[str, object]:
    """What a person would compare: tickets with their followups and observers, every mail's
    outcome, the users, the notifications written (recipient, event, ticket)."""
    app = App(clean_settings(database_url=url))
    with app.db.transaction() as session:
        tickets = {t.title: (t.requester.email, sorted(f.content.strip().splitlines()[0] for f in t.followups),
                             sorted(o.email for o in t.observers))
                   for t in session.scalars(select(Ticket))}
        outcomes = dict(session.execute(select(ProcessedMail.outcome, func.count())
                                        .group_by(ProcessedMail.outcome)).all())
        keys = session.scalar(select(func.count(func.distinct(ProcessedMail.mail_key))))
        users = session.scalar(select(func.count()).select_from(User))
        titles = dict(session.execute(select(Ticket.id, Ticket.title)).all())
        outbox = Counter((n.recipient, n.event, titles.get(n.ticket_id)) for n in session.scalars(select(Notification)))
    app.close()
    assert keys == sum(outcomes.values()), "a mail recorded twice"
    return {"tickets": tickets, "outcomes": outcomes, "users": users, "outbox": outbox}


def _wait(check, timeout: float, what: str, log: Path):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := check():
            return value
        time.sleep(0.2)
    pytest.fail(f"{what} did not happen within {timeout}s\n{log.read_text(errors='replace')[-4000:]}")


def _run_mailbot(url: str, tmp: Path, dovecot, sink, workers: int):  # type: ignore[no-untyped-def]
    """The corpus through a real `mailbot run` with `workers` intake processes; the state after,
    the mails at the sink (recipient, subject) and the log."""
    dovecot.clear()
    sink.clear()
    _app(url, tmp, intake_workers=1).close()
    raws = corpus()
    client = dovecot.client()
    try:
        client.multiappend("INBOX", raws)
    finally:
        client.logout()
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAILBOT_")}
    env.update(MAILBOT_DATABASE_URL=url, MAILBOT_IMAP_URL=dovecot.imap_url, MAILBOT_SMTP_URL=sink.smtp_url,
               MAILBOT_HELPDESK_ADDRESS=HELPDESK, MAILBOT_WEB_LISTEN="", MAILBOT_DIGEST_HOUR="",
               MAILBOT_INTAKE_WORKERS=str(workers), MAILBOT_IMAP_BATCH="4")  # several passes, parts of 4
    log = tmp / f"run-{workers}.log"
    with log.open("wb") as out:
        process = subprocess.Popen([MAILBOT, "run"], env=env, cwd=tmp, stdout=out, stderr=out)
    try:
        _wait(lambda: len(dovecot.folder_uids("Processed")) == len(raws), 90, "every mail filed", log)
        engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
        with engine.connect() as connection:
            _wait(lambda: connection.execute(sa.text("SELECT count(*) FROM outbox WHERE status <> 'sent'"))
                  .scalar() == 0, 60, "every notification sent", log)
            sent = connection.execute(sa.text("SELECT count(*) FROM outbox")).scalar()
        engine.dispose()
        received = sink.wait_for(sent, timeout=30)
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=60) == 0, log.read_text(errors="replace")[-4000:]
    assert dovecot.folder_uids("INBOX") == []
    # the ticket numbers follow the order the parts committed in: the subject without them
    mails = Counter((tuple(r.rcpt_tos), re.sub(r"#\d+", "#N", str(r.message["Subject"]))) for r in received)
    return _state(url), mails, log.read_text(errors="replace")


def test_three_intake_processes_give_the_same_tickets_and_mails_as_one(
        postgres_url, _postgres_schema, imap_mailbox, smtp_sink, tmp_path):
    keys = [thread_keys(raw, helpdesk_address=HELPDESK) for raw in corpus()[12:24]]
    assert len(partition(keys, 3, known_people=REQUESTERS)) == 3  # a pass's mails really are spread

    one, one_mails, _ = _run_mailbot(postgres_url, tmp_path, imap_mailbox, smtp_sink, 1)
    _fresh_schema(_postgres_schema)
    three, three_mails, log = _run_mailbot(postgres_url, tmp_path, imap_mailbox, smtp_sink, 3)

    assert "3 intake processes ready" in log and log.count("batch of ") >= 6  # parts did go to the pool
    assert three["outcomes"] == {"ticket": THREADS + 1, "followup": 2 * THREADS}  # no reply opened a ticket
    assert three["tickets"]["Demande 5"] == ("prof1@lycee.example", ["Encore 5.", "Relance 5."], [])
    assert three["tickets"]["Demande 3"][2] == ["nouvelle@lycee.example"]
    assert three == one
    assert three_mails == one_mails


# -- an intake process killed in the middle of its part -------------------------------------

def _blocked_by(watcher: sa.Connection, holder: int, count: int) -> bool:
    """Whether `count` sessions wait for a lock the session `holder` holds (`watcher` in
    autocommit: pg_stat_activity is a snapshot for the length of a transaction)."""
    return watcher.execute(sa.text("SELECT count(*) FROM pg_stat_activity WHERE :holder = ANY(pg_blocking_pids(pid))"),
                           {"holder": holder}).scalar() == count


def _replies_batch() -> tuple[list[bytes], list[bytes]]:
    """Four requests; then four new requests followed by a reply to each of the first four."""
    requests = [_mail(500 + n, REQUESTERS[n], f"Panne {n}", f"Panne numéro {n}.") for n in range(4)]
    news = [_mail(600 + n, REQUESTERS[n], f"Nouvelle {n}", f"Autre souci {n}.") for n in range(4)]
    replies = [_mail(700 + n, REQUESTERS[n], f"RE: Panne {n}", f"Toujours en panne {n}.",
                     parent=[f"m{500 + n}@client.example"]) for n in range(4)]
    return requests, news + replies


def _drain(url: str, pool: IntakePool) -> PollStats:
    mailbox = ImapMailbox(ImapTarget.from_url(url), ImapOptions(batch=50))
    mailbox.connect()
    try:
        return drain(mailbox, lambda raw, name: pytest.fail("mail by mail"), handle_many=pool.handler("incident"))
    finally:
        mailbox.close()


def test_an_intake_process_killed_mid_part_loses_nothing_and_duplicates_nothing(
        postgres_url, _postgres_schema, imap_mailbox, tmp_path):
    requests, batch = _replies_batch()
    # the reference: one process, the same mails in the same order
    reference = _app(postgres_url, tmp_path)
    reference.process_many(requests, imap_mailbox.imap_url)
    reference.process_many(batch, imap_mailbox.imap_url)
    reference.close()
    expected = _state(postgres_url)
    _fresh_schema(_postgres_schema)

    app = _app(postgres_url, tmp_path, intake_workers=2, broker_url="")
    parts = partition([thread_keys(raw, helpdesk_address=HELPDESK) for raw in batch], 2, known_people=REQUESTERS)
    assert all(part[0] < 4 <= part[-1] for part in parts)  # each part: a new request, then a reply
    pool = IntakePool(app, 2)
    pool.start()
    try:
        for raw in requests:
            imap_mailbox.append(raw)
        assert _drain(imap_mailbox.imap_url, pool).outcomes == {"ticket": 4}
        for raw in batch:
            imap_mailbox.append(raw)

        engine = sa.create_engine(postgres_url)
        with engine.connect() as holder, engine.connect().execution_options(isolation_level="AUTOCOMMIT") as watcher:
            holder.execute(sa.text("SELECT id FROM tickets FOR UPDATE"))  # every reply waits here
            holder_pid = holder.execute(sa.text("SELECT pg_backend_pid()")).scalar()
            passes: list[PollStats] = []
            thread = threading.Thread(target=lambda: passes.append(_drain(imap_mailbox.imap_url, pool)))
            thread.start()
            deadline = time.monotonic() + 60
            while not _blocked_by(watcher, holder_pid, 2):  # both processes inside their part's transaction
                assert time.monotonic() < deadline and thread.is_alive(), "the parts never reached the replies"
                time.sleep(0.1)
            victim = pool.workers[0].process
            os.kill(victim.pid, signal.SIGKILL)
            victim.join(10)
            holder.rollback()  # the other process's part goes on and commits
        engine.dispose()
        thread.join(60)

        [interrupted] = passes
        assert interrupted.errors == len(batch) and not interrupted.outcomes  # nothing filed
        assert len(imap_mailbox.folder_uids("INBOX")) == len(batch)
        survivor = len(parts[1])
        with app.db.transaction() as session:  # the survivor's part committed, the victim's did not
            assert session.scalar(select(func.count()).select_from(ProcessedMail)) == 4 + survivor

        retaken = _drain(imap_mailbox.imap_url, pool)  # the next pass, with a new process
        assert retaken.errors == 0 and retaken.outcomes["duplicate"] == survivor
        assert sum(retaken.outcomes.values()) == len(batch)
        assert imap_mailbox.folder_uids("INBOX") == []
        assert pool.workers[0].process.pid != victim.pid
    finally:
        pool.close()
        app.close()
    assert _state(postgres_url) == expected  # every mail once, no notification twice


# -- SIGTERM while the parts are in the intake processes -------------------------------------

def test_sigterm_lets_the_parts_finish_and_files_only_what_committed(postgres_url, imap_mailbox, smtp_sink, tmp_path):
    _app(postgres_url, tmp_path).close()
    raws = corpus()
    requests, rest = raws[:THREADS], raws[THREADS:]
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAILBOT_")}
    env.update(MAILBOT_DATABASE_URL=postgres_url, MAILBOT_IMAP_URL=imap_mailbox.imap_url,
               MAILBOT_SMTP_URL=smtp_sink.smtp_url, MAILBOT_HELPDESK_ADDRESS=HELPDESK, MAILBOT_WEB_LISTEN="",
               MAILBOT_DIGEST_HOUR="", MAILBOT_INTAKE_WORKERS="3", MAILBOT_IMAP_BATCH="4")
    log = tmp_path / "run.log"

    def start() -> subprocess.Popen:  # a group of its own, signalled as a whole as systemd and a terminal do
        with log.open("ab") as out:
            return subprocess.Popen([MAILBOT, "run"], env=env, cwd=tmp_path, stdout=out, stderr=out,
                                    start_new_session=True)

    client = imap_mailbox.client()
    client.multiappend("INBOX", requests)
    process = start()
    try:
        _wait(lambda: len(imap_mailbox.folder_uids("Processed")) == THREADS, 60, "the requests filed", log)
        engine = sa.create_engine(postgres_url)
        with engine.connect() as holder, engine.connect().execution_options(isolation_level="AUTOCOMMIT") as watcher:
            holder.execute(sa.text("SELECT id FROM tickets FOR UPDATE"))  # the replies wait here
            holder_pid = holder.execute(sa.text("SELECT pg_backend_pid()")).scalar()
            client.multiappend("INBOX", rest)
            _wait(lambda: watcher.execute(sa.text("SELECT count(*) FROM pg_stat_activity WHERE "
                                                  ":holder = ANY(pg_blocking_pids(pid))"), {"holder": holder_pid})
                  .scalar() >= 2, 60, "parts waiting in their transaction", log)
            os.killpg(process.pid, signal.SIGTERM)  # mailbot run and its intake processes
            time.sleep(1.5)
            assert process.poll() is None  # waiting for the parts, which wait for the lock
            holder.rollback()
        engine.dispose()
        assert process.wait(timeout=60) == 0, log.read_text(errors="replace")[-4000:]
        _wait(lambda: _group_gone(process.pid), 10, "every intake process gone with mailbot run", log)
    finally:
        if process.poll() is None:
            process.kill()
        client.logout()

    filed = imap_mailbox.folder_messages("Processed")
    app = App(clean_settings(database_url=postgres_url))
    with app.db.transaction() as session:
        recorded = {key.split("|")[0].strip("<>") for key in session.scalars(select(ProcessedMail.mail_key))}
    app.close()
    filed_ids = {_message_id(raw) for raw in filed}
    assert filed_ids <= recorded  # nothing filed that did not commit
    assert len(filed) > THREADS  # the parts in flight finished and were filed
    assert len(filed) + len(imap_mailbox.folder_uids("INBOX")) == len(raws)

    process = start()  # the rest, then everything once
    try:
        _wait(lambda: len(imap_mailbox.folder_uids("Processed")) == len(raws), 60, "every mail filed", log)
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        assert process.wait(timeout=60) == 0
    state = _state(postgres_url)
    assert state["outcomes"] == {"ticket": THREADS + 1, "followup": 2 * THREADS}
    assert state["tickets"]["Demande 5"] == ("prof1@lycee.example", ["Encore 5.", "Relance 5."], [])


def _group_gone(group: int) -> bool:
    """No process of the group still running (exited ones a container's init has not reaped
    yet show as zombies)."""
    for entry in filter(str.isdigit, os.listdir("/proc")):
        try:
            stat = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(stat[2]) == group and stat[0] != "Z":
            return False
    return True


def _message_id(raw: bytes) -> str:
    from email import message_from_bytes

    return str(message_from_bytes(raw)["Message-ID"]).strip().strip("<>")
