"""Technicians' notifications end with the commands the ticket's status allows; requesters'
mails never do. The subjects of the mails that ask for or end something say so, and a reply to
them stays on the ticket."""

from tests.scenario.helpdesk import Helpdesk

LOIC = "loic.medori@lycee.example"
TECH = "tech@lycee.example"


def test_the_technician_gets_the_hints_of_the_status_and_the_requester_does_not(helpdesk: Helpdesk) -> None:
    helpdesk.cli("users", "add", TECH, "--technician")
    helpdesk.send(LOIC, "Ordinateur très lent", "Il met 10 minutes à démarrer.")
    mails = {m.to: m for m in helpdesk.new_mails()}
    to_tech, to_loic = mails[TECH], mails[LOIC]
    assert "#take – vous attribue le ticket" in to_tech.text
    assert "#task 0h15 … – ajoute une tâche" in to_tech.text and "#help" in to_tech.text
    assert "#take" not in to_loic.text and "#help" not in to_loic.text

    helpdesk.send(TECH, "Re: [Ticket #1] Ordinateur très lent", "#take\n#solve Mémoire ajoutée.")
    [solved] = [m for m in helpdesk.new_mails() if m.to == LOIC]
    assert solved.subject == "[Ticket #1] Résolu – merci de confirmer\u00a0: Ordinateur très lent"
    assert "#solve" not in solved.text

    # the requester answers that subject: same ticket, same title
    helpdesk.send(LOIC, f"Re: {solved.subject}", "Oui, merci !")
    ticket = helpdesk.show(1)
    assert ticket["status"] == "closed" and ticket["title"] == "Ordinateur très lent"


def test_a_reply_to_the_closing_subject_opens_a_ticket_with_the_plain_title(helpdesk: Helpdesk) -> None:
    helpdesk.cli("users", "add", TECH, "--technician")
    helpdesk.send(LOIC, "Ordinateur très lent", "Il met 10 minutes à démarrer.")
    helpdesk.send(TECH, "Re: [Ticket #1] Ordinateur très lent", "#close Mémoire ajoutée.")
    [closed] = [m for m in helpdesk.new_mails() if m.to == LOIC and m.subject.startswith("[Ticket #1] Clos")]
    assert closed.subject == "[Ticket #1] Clos\u00a0: Ordinateur très lent"
    assert "#close" not in closed.text and "#help" not in closed.text

    helpdesk.send(LOIC, f"RE: {closed.subject}", "Il est de nouveau lent ce matin.")
    follow = helpdesk.show(2)
    assert follow["title"] == "Ordinateur très lent" and follow["follows_ticket"] == 1
    assert helpdesk.show(1)["title"] == "Ordinateur très lent"


def test_after_a_refusal_the_assigned_technician_is_not_told_to_take_the_ticket_again(helpdesk: Helpdesk) -> None:
    helpdesk.cli("users", "add", TECH, "--technician")
    helpdesk.send(LOIC, "Ordinateur très lent", "Il met 10 minutes à démarrer.")
    helpdesk.send(TECH, "Re: [Ticket #1] Ordinateur très lent", "#take\n#solve Mémoire ajoutée.")
    helpdesk.new_mails()
    helpdesk.send(LOIC, "Re: [Ticket #1] Ordinateur très lent", "Non, toujours lent le matin.")
    ticket = helpdesk.show(1)
    assert (ticket["status"], ticket["assignees"]) == ("new", [TECH])  # back to new, still hers
    [to_tech] = [m for m in helpdesk.new_mails() if m.to == TECH]
    assert "#task 0h15 … – ajoute une tâche" in to_tech.text and "#solve" in to_tech.text
    assert "#take" not in to_tech.text
