"""A reply by someone who takes no part in a ticket (docs/BEHAVIOUR.md, "Who may add to a
ticket"): kept on the ticket as a private note, the technicians told, the writer refused with
the ticket named, and no user made for an unknown writer."""

from tests.scenario.helpdesk import Helpdesk

LOIC = "loic.medori@lycee.example"
TECH = "camille.tech@lycee.example"
STRANGER = "dominique.voisin@lycee.example"
ANNE = "anne.prof@lycee.example"
SUBJECT = "Re: [Ticket #1] Ordinateur très lent"


def loics_ticket_taken(helpdesk):
    helpdesk.cli("users", "add", TECH, "--name", "Camille Tech", "--technician")
    helpdesk.send(LOIC, "Ordinateur très lent", "L'ordinateur 203-02 est très lent.")
    helpdesk.send(TECH, SUBJECT, "#take")
    helpdesk.new_mails()


def emails_of_users(helpdesk):
    return sorted(u["email"] for u in helpdesk.cli_json("users", "list"))


def test_an_unknown_writers_reply_is_a_private_note_and_makes_no_user(helpdesk):
    loics_ticket_taken(helpdesk)
    users_before = emails_of_users(helpdesk)

    result = helpdesk.send(f"Dominique Voisin <{STRANGER}>", SUBJECT, "Le mien aussi est lent, salle 203.")

    assert (result.outcome, result.ticket_id) == ("refused", 1)
    assert emails_of_users(helpdesk) == users_before
    followups = helpdesk.show(1)["followups"]
    assert [(f["private"], f["author"], f["source"]) for f in followups] == [(True, None, "mail")]
    assert STRANGER in followups[0]["content"] and "Le mien aussi est lent, salle 203." in followups[0]["content"]
    mails = {m.to: m for m in helpdesk.new_mails()}
    assert sorted(mails) == sorted([TECH, STRANGER])  # Loïc is never told
    assert "Le mien aussi est lent, salle 203." in mails[TECH].text
    refusal = mails[STRANGER]
    assert refusal.subject.startswith("[Ticket #1]")
    assert "ticket #1" in refusal.text
    assert "transmis à l'équipe technique" in refusal.text
    # the refusal tells nothing of the ticket itself: no footer with its title and status
    assert "état" not in refusal.text and "Pour compléter ce ticket" not in refusal.text


def test_a_known_persons_reply_to_someone_elses_ticket_is_kept_under_their_name(helpdesk):
    loics_ticket_taken(helpdesk)
    helpdesk.send(ANNE, "Vidéoprojecteur B12", "Le vidéoprojecteur ne s'allume plus.")  # Anne is a user now
    helpdesk.new_mails()

    helpdesk.send(ANNE, SUBJECT, "Essayez de changer la souris.")

    followups = helpdesk.show(1)["followups"]
    assert [(f["private"], f["author"]) for f in followups] == [(True, ANNE)]
    assert "Essayez de changer la souris." in followups[0]["content"]
    mails = helpdesk.new_mails()
    assert sorted(m.to for m in mails) == sorted([TECH, ANNE])
    assert "ticket #1" in next(m for m in mails if m.to == ANNE).text


def test_the_writers_later_new_mail_still_opens_a_ticket_and_makes_them_a_requester(helpdesk):
    loics_ticket_taken(helpdesk)
    helpdesk.send(STRANGER, SUBJECT, "Le mien aussi est lent.")
    assert STRANGER not in emails_of_users(helpdesk)

    result = helpdesk.send(STRANGER, "Ordinateur 203-05 lent", "Le mien aussi est lent, salle 203.")

    assert result.outcome == "ticket"
    assert helpdesk.show(result.ticket_id)["requester"] == STRANGER
    assert STRANGER in emails_of_users(helpdesk)


def test_a_reply_to_a_closed_ticket_still_opens_a_new_one_for_an_unknown_writer(helpdesk):
    loics_ticket_taken(helpdesk)
    helpdesk.send(TECH, SUBJECT, "#close C'est réglé.")
    result = helpdesk.send(STRANGER, SUBJECT, "Le mien est toujours lent.")
    assert result.outcome == "ticket" and result.ticket_id != 1
    assert helpdesk.show(result.ticket_id)["requester"] == STRANGER


def test_under_the_reject_policy_an_unknown_writers_reply_is_refused_as_unknown_and_not_kept(tmp_path):
    desk = Helpdesk(tmp_path, unknown_senders="reject")
    try:
        desk.cli("users", "add", LOIC)
        desk.send(LOIC, "Ordinateur très lent", "L'ordinateur 203-02 est très lent.")
        desk.new_mails()
        result = desk.send(STRANGER, SUBJECT, "Le mien aussi est lent.")
        assert (result.outcome, result.reason) == ("refused", "unknown sender")
        assert desk.show(1)["followups"] == []
        assert [m.to for m in desk.new_mails()] == [STRANGER]
    finally:
        desk.close()


def test_a_strangers_attachments_are_named_in_the_note_and_not_stored(helpdesk):
    from email.message import EmailMessage

    loics_ticket_taken(helpdesk)
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = STRANGER, helpdesk.settings.helpdesk_address, SUBJECT
    msg["Message-ID"] = "<stranger-photo@client.example>"
    msg.set_content("Voici la photo de mon écran.")
    msg.add_attachment(b"\x89PNG fake", maintype="image", subtype="png", filename="ecran-203.png")
    helpdesk.app.process(msg.as_bytes(), "direct")

    ticket = helpdesk.show(1)
    assert "ecran-203.png" in ticket["followups"][-1]["content"]
    assert ticket["documents"] == []
