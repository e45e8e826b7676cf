"""The requester's answers to a solution (SPEC §5) and automatic closing (SPEC §2)."""

from datetime import UTC, datetime, timedelta

import pytest

from mailbot.workflow.models import Ticket
from tests.scenario.helpdesk import Helpdesk

LOIC = "loic.medori@lycee.example"
PROF = "anne.prof@lycee.example"
TECH = "tech@lycee.example"


def solved_ticket(desk: Helpdesk) -> None:
    desk.cli("users", "add", TECH, "--technician")
    desk.send(LOIC, "Imprimante B12", "Elle n'imprime plus.", cc=PROF)
    desk.send(TECH, "Re: [Ticket #1] Imprimante B12", "#solve Cartouche changée.")
    desk.new_mails()


def test_oui_closes_the_ticket_and_accepts_the_solution(helpdesk):
    solved_ticket(helpdesk)
    helpdesk.send(LOIC, "Re: [Ticket #1] Imprimante B12", "Oui, merci !")
    ticket = helpdesk.show(1)
    assert ticket["status"] == "closed" and ticket["solutions"][-1]["status"] == "accepted"
    # one mail each: the technician of the approval and the closing, Loïc that his approval closed
    # it, the observer of the closing
    mails = {m.to: m for m in helpdesk.new_mails()}
    closed = "[Ticket #1] Clos\u00a0: Imprimante B12"
    assert {to: m.subject for to, m in mails.items()} == {TECH: closed, LOIC: closed, PROF: closed}
    assert "Vous avez approuvé la solution" in mails[LOIC].text and "est maintenant close" in mails[LOIC].text
    assert "a approuvé la solution du ticket #1." in mails[TECH].text
    assert "approuvé" not in mails[PROF].text and "Le ticket #1 a été clos par" in mails[PROF].text


def test_the_approve_link_subject_closes_the_ticket(helpdesk):
    solved_ticket(helpdesk)
    helpdesk.send(LOIC, "[Ticket #1] APPROVE", "")
    assert helpdesk.show(1)["status"] == "closed"


def test_only_the_requester_may_approve(helpdesk):
    solved_ticket(helpdesk)
    helpdesk.send(PROF, "Re: [Ticket #1] Imprimante B12", "Oui")
    ticket = helpdesk.show(1)
    assert ticket["status"] == "solved"
    assert ticket["followups"][-1] == {**ticket["followups"][-1], "author": PROF, "content": "Oui"}


def test_a_refusal_without_reason_asks_for_one_and_changes_nothing(helpdesk):
    solved_ticket(helpdesk)
    helpdesk.send(LOIC, "Re: [Ticket #1] Imprimante B12", "Non.")
    assert helpdesk.show(1)["status"] == "solved"
    [asked] = helpdesk.new_mails()
    assert asked.to == LOIC and "raison" in asked.text


def test_a_refusal_with_a_reason_sends_the_ticket_back_to_new(helpdesk):
    solved_ticket(helpdesk)
    helpdesk.send(LOIC, "Re: [Ticket #1] Imprimante B12", "non, toujours lent")
    ticket = helpdesk.show(1)
    assert ticket["status"] == "new" and ticket["assignees"] == [TECH]
    assert ticket["solutions"][-1]["reason"] == "toujours lent"
    assert ticket["history"][-1]["why"] == "solution refused: toujours lent"
    # Loïc is told his refusal was recorded, the technician that the solution was refused
    mails = {m.to: m for m in helpdesk.new_mails()}
    assert {to: m.subject for to, m in mails.items()} == {
        LOIC: "[Ticket #1] Solution refusée – demande rouverte\u00a0: Imprimante B12",
        TECH: "[Ticket #1] Solution refusée\u00a0: Imprimante B12"}
    assert "Votre refus de la solution a bien été enregistré." in mails[LOIC].text
    assert "toujours lent" in mails[LOIC].text and "toujours lent" in mails[TECH].text


def test_merci_keeps_it_solved_and_says_when_it_will_close(helpdesk):
    solved_ticket(helpdesk)
    helpdesk.send(LOIC, "Re: [Ticket #1] Imprimante B12", "Merci")
    assert helpdesk.show(1)["status"] == "solved"
    mails = {m.to: m for m in helpdesk.new_mails()}
    assert sorted(mails) == sorted([LOIC, PROF, TECH])
    assert "2 décembre 2026" not in mails[LOIC].text  # closes 24 h after 30 Nov 09:00 UTC
    assert "le mardi 1er décembre 2026 à 10\u00a0h." in mails[LOIC].text  # 09:00 UTC is 10 h in Paris


def test_mailbot_autoclose_closes_what_is_due_and_tells_the_requester(helpdesk):
    solved_ticket(helpdesk)
    assert "closed 0 ticket(s)" in helpdesk.cli("autoclose")
    with helpdesk.app.db.transaction() as session:  # the command line reads the real clock
        session.get(Ticket, 1).solved_at = datetime.now(UTC) - timedelta(hours=25)
    assert "closed 1 ticket(s): #1" in helpdesk.cli("autoclose")
    assert helpdesk.show(1)["status"] == "closed"
    assert LOIC in [m.to for m in helpdesk.new_mails()]


def test_a_solution_that_closes_at_once_is_one_mail_without_a_question(tmp_path):
    desk = Helpdesk(tmp_path, autoclose_hours=0)
    try:
        desk.cli("users", "add", TECH, "--technician")
        desk.send(LOIC, "Imprimante B12", "Elle n'imprime plus.", cc=PROF)
        desk.new_mails()
        desk.send(TECH, "Re: [Ticket #1] Imprimante B12", "#solve Cartouche changée.")
        assert desk.show(1)["status"] == "closed"
        mails = {m.to: m for m in desk.new_mails()}
        closed = "[Ticket #1] Clos\u00a0: Imprimante B12"
        # the technician's own closing is only in the confirmation of the commands
        assert {to: m.subject for to, m in mails.items()} == {
            LOIC: closed, PROF: closed, TECH: "[Ticket #1] Imprimante B12"}
        told = mails[LOIC].text
        assert told.index("Cartouche changée.") < told.index("Le ticket #1 a été clos par tech@lycee.example.")
        assert "Le problème est-il réglé" not in told and "APPROVE" not in told
        assert "État\u00a0: clos" in mails[TECH].text
    finally:
        desk.close()


@pytest.mark.parametrize(("hours", "status"), [(0, "closed"), (-1, "solved")])
def test_autoclose_zero_closes_at_once_and_negative_never(tmp_path, hours, status):
    desk = Helpdesk(tmp_path, autoclose_hours=hours)
    try:
        solved_ticket(desk)
        desk.clock.advance(days=400)
        desk.app.autoclose()
        assert desk.show(1)["status"] == status
    finally:
        desk.close()
