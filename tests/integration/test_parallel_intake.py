"""`mailbot ingest --jobs N` on PostgreSQL: requests and their replies spread over several
processes give the same tickets as one process — no reply opens a ticket of its own, every
mail is recorded once."""

from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy import func, select

from mailbot.app import App
from mailbot.errors import MailbotError
from mailbot.inbound.files import mail_files, read_head
from mailbot.parsers.partition import partition, thread_keys
from mailbot.runner import ingest_sources
from mailbot.workflow.models import ProcessedMail, Ticket, User
from tests.conftest import clean_settings
from tests.integration.conftest import POSTGRES_URL

pytestmark = pytest.mark.integration
HELPDESK = "helpdesk@lycee.example"
THREADS = 12
REQUESTERS = [f"prof{n}@lycee.example" for n in range(4)]


def _mail(n: int, sender: str, subject: str, body: str, *, parent: list[str] = (), cc: str = "") -> bytes:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = sender, HELPDESK, subject
    if cc:
        msg["Cc"] = cc
    msg["Message-ID"] = f"<m{n}@client.example>"
    if parent:
        msg["In-Reply-To"] = f"<{parent[-1]}>"
    msg.set_content(body + "\n" + "x" * (200 * (n % 7)))  # sizes differ: the parts are weighed
    return msg.as_bytes()


def write_corpus(folder: Path) -> int:
    """The mails of `corpus()`, one file each, in order."""
    folder.mkdir()
    files = corpus()
    for index, raw in enumerate(files):
        (folder / f"{index:04d}.eml").write_bytes(raw)
    return len(files)


def corpus() -> list[bytes]:
    """12 threads from 4 requesters (3 requests each), each: the request, the requester's reply,
    a reply to that reply alone (In-Reply-To of the reply only: the chain ties it); one request
    copies a new colleague who writes a request of their own later. The mails interleave threads."""
    files: list[bytes] = []
    for n in range(THREADS):
        sender = f"prof{n % 4}@lycee.example"
        cc = "nouvelle@lycee.example" if n == 3 else ""
        files.append(_mail(100 + n, sender, f"Demande {n}", f"Problème numéro {n}.", cc=cc))
    for n in range(THREADS):
        files.append(_mail(200 + n, f"prof{n % 4}@lycee.example", f"RE: Demande {n}", f"Relance {n}.",
                           parent=[f"m{100 + n}@client.example"]))
        files.append(_mail(300 + n, f"prof{n % 4}@lycee.example", f"RE: RE: Demande {n}", f"Encore {n}.",
                           parent=[f"m{200 + n}@client.example"]))
    files.append(_mail(400, "nouvelle@lycee.example", "Demande de la nouvelle", "Mon propre souci."))
    return files


def _fresh_schema(schema: str) -> None:
    engine = sa.create_engine(POSTGRES_URL)
    with engine.begin() as connection:
        connection.execute(sa.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        connection.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    engine.dispose()


def _ingest(url: str, tmp: Path, folder: Path, jobs: int) -> tuple[int, dict, dict, int]:
    app = App(clean_settings(database_url=url, helpdesk_address=HELPDESK, outbox_dir=tmp / f"outbox{jobs}",
                             documents_dir=tmp / f"documents{jobs}"))
    app.ensure_schema()
    with app.db.transaction() as session:  # known requesters: only the threads tie their mails
        for email in REQUESTERS:
            if session.scalar(select(User).where(User.email == email)) is None:
                session.add(User(email=email, name=email.split("@")[0], created_at=datetime.now(UTC)))
    failures = ingest_sources(app, [str(folder)], jobs=jobs)
    check = App(app.settings)
    with check.db.transaction() as session:
        tickets = {t.title: (t.requester.email, sorted(f.content.strip().splitlines()[0] for f in t.followups),
                             sorted(o.email for o in t.observers))
                   for t in session.scalars(select(Ticket))}
        outcomes = dict(session.execute(select(ProcessedMail.outcome, func.count())
                                        .group_by(ProcessedMail.outcome)).all())
        keys = session.scalar(select(func.count(func.distinct(ProcessedMail.mail_key))))
        users = session.scalar(select(func.count()).select_from(User))
    check.close()
    assert keys == sum(outcomes.values())
    return failures, tickets, outcomes, users


def test_three_processes_give_the_same_tickets_as_one(postgres_url, _postgres_schema, tmp_path):
    folder = tmp_path / "mails"
    count = write_corpus(folder)
    files = mail_files([str(folder)])
    parts = partition([thread_keys(read_head(f), helpdesk_address=HELPDESK) for f in files], 3,
                      known_people=REQUESTERS)
    assert len(parts) == 3  # the corpus really is spread over three processes

    one = _ingest(postgres_url, tmp_path, folder, 1)
    _fresh_schema(_postgres_schema)
    three = _ingest(postgres_url, tmp_path, folder, 3)

    failures, tickets, outcomes, users = three
    assert failures == 0
    assert outcomes == {"ticket": THREADS + 1, "followup": 2 * THREADS}  # every mail once, no extra ticket
    assert len(tickets) == THREADS + 1
    assert tickets["Demande 5"] == ("prof1@lycee.example", ["Encore 5.", "Relance 5."], [])
    assert tickets["Demande 3"][2] == ["nouvelle@lycee.example"]
    assert users == 5
    assert three == one
    assert sum(1 for _ in (tmp_path / "outbox3").iterdir()) == sum(1 for _ in (tmp_path / "outbox1").iterdir())
    assert count == 3 * THREADS + 1


def test_running_the_same_files_again_in_parallel_records_nothing_twice(postgres_url, tmp_path):
    folder = tmp_path / "mails"
    write_corpus(folder)
    _ingest(postgres_url, tmp_path, folder, 2)
    failures, tickets, outcomes, _users = _ingest(postgres_url, tmp_path, folder, 2)
    assert failures == 0 and len(tickets) == THREADS + 1
    assert outcomes == {"ticket": THREADS + 1, "followup": 2 * THREADS}


def test_jobs_on_sqlite_is_refused_naming_the_option(tmp_path):
    folder = tmp_path / "mails"
    write_corpus(folder)
    app = App(clean_settings(database_url=f"sqlite:///{tmp_path / 'm.db'}", outbox_dir=tmp_path / "o"))
    app.ensure_schema()
    with pytest.raises(MailbotError, match=r"^--jobs: .*PostgreSQL"):
        ingest_sources(app, [str(folder)], jobs=2)
    app.close()


class _Deadlock(Exception):
    sqlstate = "40P01"  # what psycopg's DeadlockDetected carries


def test_a_batch_that_loses_a_deadlock_is_taken_again_mail_by_mail(postgres_url, tmp_path):
    from unittest import mock

    from sqlalchemy.exc import OperationalError

    from mailbot.workflow.service import MailService
    from tests.mails import a_mail

    app = App(clean_settings(database_url=postgres_url, outbox_dir=tmp_path / "o", documents_dir=tmp_path / "d"))
    app.ensure_schema()
    real, lost = MailService.handle, []

    def handle(self, session, parsed, raw, **kw):
        if parsed.subject == "Imprimante" and not lost:  # the other process won, once
            lost.append(parsed.subject)
            raise OperationalError("INSERT INTO users …", {}, _Deadlock("deadlock detected"))
        return real(self, session, parsed, raw, **kw)

    with mock.patch.object(MailService, "handle", handle):
        results = app.process_many([a_mail("Wifi"), a_mail("Imprimante"), a_mail("ENT")])

    assert lost and [r.outcome for r in results] == ["ticket", "ticket", "ticket"]
    with app.db.transaction() as session:
        assert sorted(session.scalars(select(Ticket.title))) == ["ENT", "Imprimante", "Wifi"]
        assert session.scalar(select(func.count()).select_from(ProcessedMail)) == 3
    app.close()
