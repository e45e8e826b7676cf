"""The answers by mail read the database with queries of their own (the technician's tables,
a requester's tickets, a ticket's history): the same answers on PostgreSQL."""

import pytest

from tests.scenario.helpdesk import Helpdesk
from tests.scenario.test_tickets_by_mail import LOIC, TECH, story, text

pytestmark = pytest.mark.integration


@pytest.fixture
def helpdesk(tmp_path, postgres_url):
    desk = Helpdesk(tmp_path, database_url=postgres_url)
    yield desk
    desk.close()


def test_tickets_mesdemandes_and_show_on_postgresql(helpdesk):
    story(helpdesk)

    assert helpdesk.send(TECH, "Mes tickets", "#tickets").outcome == "answered"
    body = text(helpdesk.new_mails()[0])
    assert "Vos tickets en cours (1)\n  #3 – Loïc Medori – Vidéoprojecteur (1 suivi, 0 tâche" in body
    assert "Tickets à traiter (1)\n  #2 – aicha.prof@lycee.example – Imprimante en panne" in body

    assert helpdesk.send(LOIC, "", "#mesdemandes").outcome == "answered"
    body = text(helpdesk.new_mails()[0])
    assert "Vos demandes (2)\n  #3 – Vidéoprojecteur\u00a0: en cours (attribué)" in body

    helpdesk.send(TECH, "Re: [Ticket #1] Ordinateur très lent", "#show")
    body = text(helpdesk.new_mails()[0])
    assert "10\u00a0h\u00a035 – suivi privé de Camille Tech\u00a0:\n    Le disque est plein.\n" in body


def test_commands_are_all_or_nothing_on_postgresql(helpdesk):
    """The commands of a mail run in a savepoint, rolled back when one is refused: on
    PostgreSQL too, a refused line leaves nothing of the others, and the mail is still kept."""
    helpdesk.cli("users", "add", TECH, "--name", "Camille Tech", "--technician")
    helpdesk.send(LOIC, "Ordinateur très lent", "L'ordinateur 203-02 est très lent.")
    helpdesk.new_mails()
    helpdesk.send(TECH, "Re: [Ticket #1] Ordinateur très lent",
                  "#task done 0h15 Redémarrage\n#observer cpe@lycee.example\n#hold Pièce\n#asset PC-INCONNU")
    [errors] = helpdesk.new_mails()
    assert errors.to == TECH and "#asset PC-INCONNU" in text(errors)
    ticket = helpdesk.show(1)
    assert (ticket["status"], ticket["assignees"], ticket["observers"], ticket["tasks"]) == ("new", [], [], [])
    assert [f["unprocessed"] for f in ticket["followups"]] == [True]

    helpdesk.send(TECH, "Re: [Ticket #1] Ordinateur très lent", "#task done 0h15 Redémarrage\n#hold Pièce")
    ticket = helpdesk.show(1)
    assert (ticket["status"], len(ticket["tasks"])) == ("waiting", 1)
    # a new mail of knowledge-base lines, one refused: nothing changed, no ticket
    result = helpdesk.send(TECH, "Fiches", "#kb publish 9")
    assert (result.outcome, result.ticket_id) == ("answered", None)
