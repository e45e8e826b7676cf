"""The morning digest is sent once a day per technician when several `mailbot run` processes
check at the same moment, on PostgreSQL (the `digests` row, unique per technician and day)."""

import threading

import pytest
from sqlalchemy import func, select

from mailbot.app import App
from mailbot.workflow.models import Digest, Notification
from tests.scenario.helpdesk import Helpdesk

pytestmark = pytest.mark.integration

LOIC = "loic.medori@lycee.example"
TECHNICIANS = [f"tech{n}@lycee.example" for n in range(6)]


@pytest.fixture
def helpdesk(tmp_path, postgres_url):
    desk = Helpdesk(tmp_path, database_url=postgres_url)
    yield desk
    desk.close()


def test_four_processes_at_once_send_one_digest_per_technician(helpdesk):
    for address in TECHNICIANS:
        helpdesk.cli("users", "add", address, "--technician")
    helpdesk.send(LOIC, "Imprimante en panne", "Bourrage en salle 12.")  # to handle, for everyone
    processes = [App(helpdesk.settings, clock=helpdesk.clock) for _ in range(4)]
    start = threading.Barrier(len(processes))
    sent: list[list[str]] = []

    def run(app: App) -> None:
        start.wait()
        sent.append(app.digest())

    threads = [threading.Thread(target=run, args=(app,)) for app in processes]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
    finally:
        for app in processes:
            app.close()

    assert sorted(address for addresses in sent for address in addresses) == TECHNICIANS
    with helpdesk.app.db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(Notification)
                              .where(Notification.event == "digest")) == len(TECHNICIANS)
        assert session.scalar(select(func.count()).select_from(Digest)) == len(TECHNICIANS)
