"""A technician's sign-off under their commands is a signature, never a public followup
(docs/BEHAVIOUR.md, "Technician commands"): what the requester receives."""

LOIC = "loic.medori@lycee.example"
TECH = "camille.tech@lycee.example"


def open_ticket(helpdesk):
    helpdesk.cli("users", "add", TECH, "--name", "Camille Tech", "--technician")
    helpdesk.send(f"Loïc Medori <{LOIC}>", "Ordinateur très lent", "L'ordinateur 203-02 est très lent.")
    helpdesk.new_mails()


def test_commands_signed_cordialement_camille_add_no_followup(helpdesk):
    open_ticket(helpdesk)
    helpdesk.send(f"Camille Tech <{TECH}>", "Re: [Ticket #1] Ordinateur très lent",
                  "#take\n#task 0h15 Redémarrage\n\nCordialement,\nCamille")
    ticket = helpdesk.show(1)
    assert ticket["status"] == "assigned" and ticket["tasks"][-1]["content"] == "Redémarrage"
    assert [f["content"] for f in ticket["followups"]] == []
    to_loic = [m for m in helpdesk.new_mails() if m.to == LOIC]
    assert to_loic, "Loïc is told of the task"
    assert not any("Cordialement" in m.text for m in to_loic)


def test_a_sentence_above_the_signature_is_still_a_followup_without_the_name(helpdesk):
    open_ticket(helpdesk)
    helpdesk.send(f"Camille Tech <{TECH}>", "Re: [Ticket #1] Ordinateur très lent",
                  "#take\nJe passe cet après-midi.\nCamille")
    followups = helpdesk.show(1)["followups"]
    assert [(f["content"], f["private"]) for f in followups] == [("Je passe cet après-midi.", False)]
    to_loic = [m for m in helpdesk.new_mails() if m.to == LOIC]
    assert any("Je passe cet après-midi." in m.text for m in to_loic)


def test_an_english_sign_off_and_a_phone_line_under_commands_add_nothing(helpdesk):
    open_ticket(helpdesk)
    helpdesk.send(TECH, "Re: [Ticket #1] Ordinateur très lent", "#take\n\nThanks,\nCamille Tech\n\nSent from my iPhone")
    assert helpdesk.show(1)["followups"] == []
    # a task without its own description takes the text above the signature
    helpdesk.send(TECH, "Re: [Ticket #1] Ordinateur très lent",
                  "#task 0h30\nMémoire vive testée.\n-- \nCamille Tech\nLycée Jean Moulin")
    assert helpdesk.show(1)["tasks"][-1]["content"] == "Mémoire vive testée."
