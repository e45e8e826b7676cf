"""One incoming mail, at most one mail per recipient (SPEC §6): an answer folded into the
notification its recipient gets anyway, and the loop brake on what answers a requester's mail."""

from email.message import EmailMessage
from email.utils import make_msgid

from sqlalchemy import select

from mailbot.workflow.models import Notification
from tests.scenario.helpdesk import Helpdesk

LOIC = "loic.medori@lycee.example"
TECH = "camille.tech@lycee.example"
HELPDESK = "helpdesk@lycee.example"


def send_with_attachments(desk: Helpdesk, subject: str, *files: tuple[str, bytes]) -> None:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = LOIC, HELPDESK, subject
    msg["Message-ID"] = make_msgid(domain="client.example")
    msg.set_content("Le logiciel du tableau blanc ne s'installe pas, voici l'installeur et une capture.")
    for name, data in files:
        msg.add_attachment(data, maintype="application", subtype="octet-stream", filename=name)
    desk.app.process(msg.as_bytes(), "direct")
    desk.app.wait_for_delivery()


def test_the_acknowledgement_of_a_new_ticket_lists_the_refused_attachments(helpdesk):
    helpdesk.cli("users", "add", TECH, "--name", "Camille Tech", "--technician")
    send_with_attachments(helpdesk, "Tableau blanc", ("setup.exe", b"MZ" + b"\0" * 64), ("capture.png", b"\x89PNG"))
    mails = {m.to: m for m in helpdesk.new_mails()}
    subject = "[Ticket #1] Tableau blanc"
    assert {to: m.subject for to, m in mails.items()} == {LOIC: subject, TECH: subject}
    ack = mails[LOIC].text
    assert ack.index("Nous avons bien reçu votre demande") < ack.index("Cette pièce jointe n'a pas été enregistrée")
    assert "setup.exe\u00a0: les fichiers de type .exe ne sont pas acceptés" in ack
    assert "Un nouveau ticket #1 a été ouvert" in mails[TECH].text
    assert "n'a pas été enregistrée" not in mails[TECH].text  # the refusal answers Loïc's mail only


def test_a_refused_attachment_on_a_followup_is_the_one_answer(helpdesk):
    helpdesk.cli("users", "add", TECH, "--name", "Camille Tech", "--technician")
    helpdesk.send(LOIC, "Tableau blanc", "Le logiciel ne s'installe pas.")
    helpdesk.new_mails()
    send_with_attachments(helpdesk, "Re: [Ticket #1] Tableau blanc", ("setup.exe", b"MZ"))
    mails = {m.to: m for m in helpdesk.new_mails()}
    subject = "[Ticket #1] Tableau blanc"
    assert {to: m.subject for to, m in mails.items()} == {LOIC: subject, TECH: subject}
    assert "Cette pièce jointe n'a pas été enregistrée dans le ticket #1" in mails[LOIC].text
    assert "a ajouté un message" not in mails[LOIC].text  # not told of his own followup
    assert "setup.exe" in mails[LOIC].text


def test_the_acknowledgement_of_a_refusal_counts_as_an_answer_for_the_loop_brake(tmp_path):
    desk = Helpdesk(tmp_path, automail_limit=2)
    try:
        desk.cli("users", "add", TECH, "--name", "Camille Tech", "--technician")
        desk.send(LOIC, "Ordinateur très lent", "Il met 10 minutes à démarrer.")  # answer 1: the acknowledgement
        desk.send(TECH, "Re: [Ticket #1] Ordinateur très lent", "#solve Disque nettoyé.")
        desk.send(LOIC, "Re: [Ticket #1] Ordinateur très lent", "non")  # answer 2: the reason is asked for
        desk.new_mails()
        desk.send(LOIC, "Re: [Ticket #1] Ordinateur très lent", "Non, toujours lent.")
        assert desk.show(1)["status"] == "new"
        # the third answer within the hour is held back; the technician is told all the same
        assert [m.to for m in desk.new_mails()] == [TECH]
        with desk.app.db.transaction() as session:
            held = session.scalars(select(Notification).where(Notification.status == "held")).all()
            assert [(n.recipient, n.event) for n in held] == [(LOIC, "solution_refused")]
    finally:
        desk.close()


def test_a_technician_closing_their_own_ticket_gets_the_confirmation_only(helpdesk):
    helpdesk.cli("users", "add", TECH, "--name", "Camille Tech", "--technician")
    helpdesk.send(TECH, "Licence du logiciel de géométrie", "La licence expire vendredi.")
    helpdesk.new_mails()
    helpdesk.send(TECH, "Re: [Ticket #1] Licence du logiciel de géométrie", "#close Licence renouvelée.")
    assert helpdesk.show(1)["status"] == "closed"
    [confirmation] = helpdesk.new_mails()
    assert (confirmation.to, confirmation.subject) == (TECH, "[Ticket #1] Licence du logiciel de géométrie")
    assert "Vos commandes ont été appliquées" in confirmation.text


def test_a_reply_on_a_solved_ticket_with_a_refused_attachment_gets_one_answer(helpdesk):
    helpdesk.cli("users", "add", TECH, "--name", "Camille Tech", "--technician")
    helpdesk.send(LOIC, "Tableau blanc", "Le logiciel ne s'installe pas.")
    helpdesk.send(TECH, "Re: [Ticket #1] Tableau blanc", "#solve Logiciel réinstallé.")
    helpdesk.new_mails()
    send_with_attachments(helpdesk, "Re: [Ticket #1] Tableau blanc", ("setup.exe", b"MZ"))
    to_loic = [m for m in helpdesk.new_mails() if m.to == LOIC]
    assert len(to_loic) == 1, [m.subject for m in to_loic]
    text = to_loic[0].text
    assert helpdesk.show(1)["status"] == "solved"
    # what a reply on a solved ticket gets (how to refuse), then the attachment refused
    assert "Le ticket reste résolu." in text and "setup.exe" in text
    assert text.index("Je refuse") < text.index("Cette pièce jointe n'a pas été enregistrée")
