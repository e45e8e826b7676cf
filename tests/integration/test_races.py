"""Two mailboxes at work on one PostgreSQL database at the same moment (SPEC §8): a conflict on
something else than the mail's own record (the same new sender or observer created by both)
never makes a mail vanish as a "duplicate"; the same mail taken by both is recorded once.

Each race is made certain, not lucky: both sides wait for each other at a barrier placed just
before the insert that conflicts, so both have looked and found nothing before either writes."""

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from unittest import mock

import pytest
from sqlalchemy import func, select

from mailbot.app import App
from mailbot.workflow import people
from mailbot.workflow import service as service_module
from mailbot.workflow.models import ProcessedMail, Ticket, User
from mailbot.workflow.service import MailService
from tests.conftest import clean_settings
from tests.mails import a_mail

pytestmark = pytest.mark.integration

HELPDESK = "helpdesk@lycee.example"
MAILBOXES = ("imap://helpdesk@127.0.0.1/INBOX", "imap://vie-scolaire@127.0.0.1/INBOX")


@pytest.fixture
def two_apps(postgres_url, tmp_path):
    """Two mailbot processes (an App and a database pool each) on one database."""
    settings = clean_settings(database_url=postgres_url, helpdesk_address=HELPDESK,
                        outbox_dir=tmp_path / "outbox", documents_dir=tmp_path / "documents")
    apps = [App(settings), App(settings)]
    apps[0].ensure_schema()
    yield apps
    for app in apps:
        app.close()


def at_the_same_moment(real: Callable, barrier: threading.Barrier, calls: list) -> Callable:
    """`real`, whose first call in each thread waits until the other thread has got there too."""
    seen = threading.local()

    def wrapper(*args, **kwargs):
        calls.append(threading.current_thread().name)
        if not getattr(seen, "done", False):
            seen.done = True
            barrier.wait(timeout=20)
        return real(*args, **kwargs)

    return wrapper


def race(*jobs: Callable) -> list:
    with ThreadPoolExecutor(len(jobs)) as pool:
        return [future.result(timeout=60) for future in [pool.submit(job) for job in jobs]]


def count(app: App, statement) -> int:
    with app.db.transaction() as session:
        return session.scalar(statement)


def test_two_mailboxes_creating_the_same_new_sender_at_once_both_open_tickets(two_apps):
    sender = "nouvelle.prof@lycee.example"
    mails = [a_mail("Vidéoprojecteur B12", sender=sender, to=HELPDESK),
             a_mail("Inscription au voyage", sender=sender, to=HELPDESK)]
    calls: list[str] = []
    slow = at_the_same_moment(service_module.create_user, threading.Barrier(2), calls)

    with mock.patch.object(service_module, "create_user", slow):
        results = race(*(lambda app=app, raw=raw, box=box: app.process(raw, box)
                         for app, raw, box in zip(two_apps, mails, MAILBOXES, strict=True)))

    assert len(calls) == 2  # both looked for the sender, found none, and created it
    assert [r.outcome for r in results] == ["ticket", "ticket"]
    assert count(two_apps[0], select(func.count()).select_from(Ticket)) == 2
    assert count(two_apps[0], select(func.count()).select_from(User).where(User.email == sender)) == 1
    with two_apps[0].db.transaction() as session:
        assert sorted(session.scalars(select(ProcessedMail.outcome))) == ["ticket", "ticket"]


def test_two_mailboxes_creating_the_same_new_observer_at_once_both_open_tickets(two_apps):
    observer = "intendance@lycee.example"
    mails = [a_mail("Chauffage salle 12", sender="prof.a@lycee.example", to=f"{HELPDESK}, {observer}"),
             a_mail("Cantine : facture", sender="prof.b@lycee.example", to=f"{HELPDESK}, {observer}")]
    calls: list[str] = []
    slow = at_the_same_moment(people.create_user, threading.Barrier(2), calls)

    with mock.patch.object(people, "create_user", slow):
        results = race(*(lambda app=app, raw=raw, box=box: app.process(raw, box)
                         for app, raw, box in zip(two_apps, mails, MAILBOXES, strict=True)))

    assert [r.outcome for r in results] == ["ticket", "ticket"]
    assert count(two_apps[0], select(func.count()).select_from(User).where(User.email == observer)) == 1
    with two_apps[0].db.transaction() as session:
        for ticket in session.scalars(select(Ticket)):
            assert [o.email for o in ticket.observers] == [observer]


def test_the_same_mail_taken_by_two_processes_at_once_is_one_ticket_and_one_duplicate(two_apps):
    raw = a_mail("Imprimante salle 203", sender="prof@lycee.example", to=HELPDESK)
    calls: list[str] = []
    real = MailService.find_recorded
    slow = at_the_same_moment(real, threading.Barrier(2), calls)

    with mock.patch.object(MailService, "find_recorded", staticmethod(slow)):
        results = race(*(lambda app=app: app.process(raw, MAILBOXES[0]) for app in two_apps))

    assert sorted(r.outcome for r in results) == ["duplicate", "ticket"]
    duplicate = next(r for r in results if r.outcome == "duplicate")
    ticket = next(r for r in results if r.outcome == "ticket")
    assert duplicate.reason == f"recorded concurrently as mail {ticket.mail_id}"
    assert count(two_apps[0], select(func.count()).select_from(Ticket)) == 1


def test_two_batches_creating_the_same_new_sender_at_once_lose_no_mail(two_apps):
    sender = "nouveau.cpe@lycee.example"
    batches = [[a_mail("Casier cassé", sender=sender, to=HELPDESK),
                a_mail("Wifi CDI", sender="doc@lycee.example", to=HELPDESK)],
               [a_mail("Badge perdu", sender=sender, to=HELPDESK),
                a_mail("Écran noir", sender="prof.c@lycee.example", to=HELPDESK)]]
    calls: list[str] = []
    slow = at_the_same_moment(service_module.create_user, threading.Barrier(2), calls)

    with mock.patch.object(service_module, "create_user", slow):
        results = race(*(lambda app=app, raws=raws, box=box: app.process_many(raws, box)
                         for app, raws, box in zip(two_apps, batches, MAILBOXES, strict=True)))

    assert [[r.outcome for r in batch] for batch in results] == [["ticket", "ticket"], ["ticket", "ticket"]]
    assert count(two_apps[0], select(func.count()).select_from(Ticket)) == 4
    assert count(two_apps[0], select(func.count()).select_from(User).where(User.email == sender)) == 1
