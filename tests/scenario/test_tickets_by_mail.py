"""The ticket by mail: `#show` mails a ticket's whole history; `#tickets` and `#mesdemandes`
in a new mail are answered and open no ticket."""

from pathlib import Path

LOIC = "loic.medori@lycee.example"
AICHA = "aicha.prof@lycee.example"
TECH = "camille.tech@lycee.example"
SAM = "sam.tech@lycee.example"


def text(mail) -> str:
    return mail.text.replace("\r\n", "\n")


INVENTORY = Path(__file__).resolve().parents[1] / "fixtures" / "inventory"


def story(helpdesk):
    """Ticket #1 handled, solved, refused, solved again and approved; #2 new; #3 Loïc's, taken."""
    helpdesk.cli("users", "add", TECH, "--name", "Camille Tech", "--technician")
    helpdesk.cli("inventory", "import", str(INVENTORY / "ocs_203-02.xml"))
    helpdesk.send(f"Loïc Medori <{LOIC}>", "Ordinateur très lent", "L'ordinateur 203-02 est très lent.")
    helpdesk.clock.advance(minutes=30)
    helpdesk.send(TECH, "Re: [Ticket #1] Ordinateur très lent",
                  "#take\n#task done 0h15 Redémarrage\n#asset 203-02")
    helpdesk.clock.advance(minutes=5)
    helpdesk.send(TECH, "Re: [Ticket #1] Ordinateur très lent", "#private\nLe disque est plein.")
    helpdesk.clock.advance(minutes=5)
    helpdesk.send(TECH, "Re: [Ticket #1] Ordinateur très lent", "#task 0h30\n#solve Disque nettoyé.")
    helpdesk.clock.advance(hours=1)
    helpdesk.send(LOIC, "Re: [Ticket #1] Ordinateur très lent", "Non, toujours lent le matin.")
    helpdesk.clock.advance(hours=1)
    helpdesk.send(TECH, "Re: [Ticket #1] Ordinateur très lent", "#solve Barrette mémoire ajoutée.")
    helpdesk.clock.advance(minutes=10)
    helpdesk.send(LOIC, "Re: [Ticket #1] Ordinateur très lent", "Oui, merci !")
    helpdesk.send(AICHA, "Imprimante en panne", "Bourrage en salle 12.")
    helpdesk.send(LOIC, "Vidéoprojecteur", "Plus d'image en salle 203.")
    helpdesk.send(TECH, "Re: [Ticket #3] Vidéoprojecteur", "#take\nJe passe cet après-midi.")
    helpdesk.new_mails()


def test_show_mails_the_whole_history_in_time_order_with_private_followups_marked(helpdesk):
    story(helpdesk)
    result = helpdesk.send(TECH, "Re: [Ticket #1] Ordinateur très lent", "#show")

    assert (result.outcome, result.ticket_id) == ("answered", 1)  # closed, and no new ticket opened
    answer, = helpdesk.new_mails()
    assert (answer.to, answer.subject) == (TECH, "[Ticket #1] Historique\u00a0: Ordinateur très lent")
    body = text(answer)
    expected = [
        "Historique du ticket #1\u00a0: Ordinateur très lent",
        "Demande de\u00a0: Loïc Medori",
        "Pris en charge par\u00a0: Camille Tech",
        "Éléments associés\u00a0: Ordinateur - 203-02",
        "État\u00a0: clos",
        "Temps passé au total\u00a0: 45\u00a0min",
        "lundi 30 novembre 2026 à 10\u00a0h – ticket ouvert par Loïc Medori\u00a0:",
        "    L'ordinateur 203-02 est très lent.",
        "10\u00a0h\u00a030 – état\u00a0: nouveau → en cours (attribué) (Camille Tech)",
        "10\u00a0h\u00a030 – tâche (fait, 15\u00a0min) par Camille Tech\u00a0:",
        "    Redémarrage",
        "10\u00a0h\u00a035 – suivi privé de Camille Tech\u00a0:",
        "    Le disque est plein.",
        "10\u00a0h\u00a040 – état\u00a0: en cours (attribué) → résolu (Camille Tech)",
        "10\u00a0h\u00a040 – tâche (fait, 30\u00a0min) par Camille Tech",
        "10\u00a0h\u00a040 – solution proposée par Camille Tech\u00a0:",
        "    Disque nettoyé.",
        "11\u00a0h\u00a040 – état\u00a0: résolu → nouveau (Loïc Medori)",
        "11\u00a0h\u00a040 – suivi de Loïc Medori\u00a0:",
        "    toujours lent le matin.",
        "11\u00a0h\u00a040 – solution refusée",
        "12\u00a0h\u00a040 – état\u00a0: nouveau → résolu (Camille Tech)",
        "12\u00a0h\u00a040 – solution proposée par Camille Tech\u00a0:",
        "    Barrette mémoire ajoutée.",
        "12\u00a0h\u00a050 – état\u00a0: résolu → clos (Loïc Medori)",
        "12\u00a0h\u00a050 – solution approuvée",
    ]
    positions = [body.find(line + "\n") for line in expected]
    assert -1 not in positions, [line for line, at in zip(expected, positions, strict=True) if at == -1]
    assert positions == sorted(positions)
    assert helpdesk.show(1)["status"] == "closed"  # reading changes nothing


def test_show_in_english_for_an_english_speaking_technician_and_it_takes_nothing(helpdesk):
    helpdesk.cli("users", "add", TECH, "--name", "Camille Tech", "--technician", "--language", "en")
    helpdesk.send(LOIC, "Ordinateur très lent", "Très lent.")
    helpdesk.new_mails()
    helpdesk.send(TECH, "Re: [Ticket #1] Ordinateur très lent", "#historique")

    answer, = helpdesk.new_mails()
    assert answer.subject == "[Ticket #1] History: Ordinateur très lent"
    assert "Here is the whole history of ticket #1, as you asked." in answer.text
    assert "Monday 30 November 2026 at 10:00 – ticket opened by loic.medori@lycee.example:\n" in text(answer)
    assert helpdesk.show(1)["status"] == "new" and helpdesk.show(1)["assignees"] == []


def test_show_with_other_commands_rides_on_the_one_confirmation(helpdesk):
    helpdesk.cli("users", "add", TECH, "--name", "Camille Tech", "--technician")
    helpdesk.send(LOIC, "Ordinateur très lent", "Très lent.")
    helpdesk.new_mails()
    helpdesk.send(TECH, "Re: [Ticket #1] Ordinateur très lent", "#task done 0h20 Nettoyage\n#show")

    confirmation, = [m for m in helpdesk.new_mails() if m.to == TECH]
    assert "Vos commandes ont été appliquées au ticket #1" in confirmation.text
    assert "tâche (fait, 20\u00a0min) par Camille Tech\u00a0:\n    Nettoyage\n" in text(confirmation)


def test_tickets_in_a_new_mail_answers_the_technicians_view_and_opens_no_ticket(helpdesk):
    story(helpdesk)
    result = helpdesk.send(TECH, "Mes tickets", "#tickets\n\nCamille")

    assert result.outcome == "answered" and result.ticket_id is None
    answer, = helpdesk.new_mails()
    assert (answer.to, answer.subject) == (TECH, "Vos tickets")
    body = text(answer)
    assert ("Vos tickets en cours (1)\n"
            "  #3 – Loïc Medori – Vidéoprojecteur (1 suivi, 0 tâche\u202f; en cours (attribué))\n") in body
    assert ("Tickets à traiter (1)\n"
            "  #2 – aicha.prof@lycee.example – Imprimante en panne (0 suivi, 0 tâche\u202f; nouveau)\n") in body
    assert [t["id"] for t in helpdesk.cli_json("tickets", "list", "--all")] == [3, 2]  # still two open


def test_the_view_lists_associated_items_and_a_technicians_group(helpdesk):
    helpdesk.cli("users", "add", TECH, "--name", "Camille Tech", "--technician", "--group", "Réseau")
    helpdesk.cli("inventory", "import", str(INVENTORY / "glpi_imprimante-203.json"))
    helpdesk.send(LOIC, "Wifi", "Plus de wifi.")
    helpdesk.send(TECH, "Re: [Ticket #1] Wifi", "#take\n#asset IMPRIMANTE-203")
    helpdesk.send(AICHA, "Imprimante", "Bourrage.")  # no group: not Camille's to handle
    helpdesk.new_mails()
    helpdesk.send(TECH, "", "#tickets")

    body = text(helpdesk.new_mails()[0])
    assert "  #1 – loic.medori@lycee.example – Imprimante - IMPRIMANTE-203 – Wifi (0 suivi, 0 tâche" in body
    assert "Tickets à traiter (0)\n  Aucun.\n" in body


def test_help_alone_in_a_new_mail_is_answered_without_a_ticket(helpdesk):
    helpdesk.cli("users", "add", TECH, "--technician")
    result = helpdesk.send(TECH, "Aide", "#aide")
    answer, = helpdesk.new_mails()
    assert result.outcome == "answered" and answer.subject == "Les commandes du helpdesk"
    assert "#tickets" in answer.text and "(aussi seule dans un nouveau mail, sans ticket)" in answer.text
    assert helpdesk.cli_json("tickets", "list", "--all") == []


def test_a_mistyped_ticketless_command_gets_the_error_and_no_ticket(helpdesk):
    helpdesk.cli("users", "add", TECH, "--technician")
    result = helpdesk.send(TECH, "tickets", "#tikets")
    answer, = helpdesk.new_mails()
    assert result.outcome == "answered" and answer.subject == "Commandes refusées"
    assert "commande inconnue «\u00a0#tikets\u00a0» (vouliez-vous écrire #tickets\u202f?)" in answer.text
    assert "Rien n'est perdu" not in answer.text  # nothing was kept: there is no ticket
    assert helpdesk.cli_json("tickets", "list", "--all") == []


def test_ticket_commands_or_other_text_in_a_new_mail_still_open_a_ticket(helpdesk):
    helpdesk.cli("users", "add", TECH, "--technician")
    assert helpdesk.send(TECH, "Salle 12", "#take").outcome == "ticket"
    assert helpdesk.send(TECH, "Salle 14", "#tickets\nLe vidéoprojecteur de la salle 14 est cassé.").outcome == "ticket"
    assert [t["title"] for t in helpdesk.cli_json("tickets", "list", "--all")] == ["Salle 14", "Salle 12"]


def test_mesdemandes_lists_the_requesters_own_tickets_and_never_a_private_followup(helpdesk):
    story(helpdesk)
    result = helpdesk.send(LOIC, "Où en sont mes demandes ?", "#mesdemandes\n\nMerci,\nLoïc")

    assert result.outcome == "answered"
    answer, = helpdesk.new_mails()
    assert (answer.to, answer.subject) == (LOIC, "Vos demandes")
    body = text(answer)
    assert ("Vos demandes (2)\n"
            "  #3 – Vidéoprojecteur\u00a0: en cours (attribué) (ouverte le lundi 30 novembre 2026 à 12\u00a0h\u00a050)\n"
            "  #1 – Ordinateur très lent\u00a0: clos (ouverte le lundi 30 novembre 2026 à 10\u00a0h)\n") in body
    assert "Imprimante" not in body and "disque est plein" not in body
    assert len(helpdesk.cli_json("tickets", "list", "--all")) == 2


def test_a_requester_without_tickets_is_told_so_in_english(helpdesk):
    helpdesk.cli("users", "add", AICHA, "--name", "Aïcha", "--language", "en")
    helpdesk.send(AICHA, "", "#myrequests")
    answer, = helpdesk.new_mails()
    assert answer.subject == "Your requests"
    assert "Your requests (0)\n  No request in your name yet.\n" in text(answer)


def test_a_requesters_other_commands_open_a_ticket_as_before(helpdesk):
    helpdesk.send(LOIC, "Première demande", "Bonjour.")
    assert helpdesk.send(LOIC, "Et mes tickets ?", "#tickets").outcome == "ticket"


def test_a_technician_on_a_ticket_may_ask_for_their_view_too(helpdesk):
    helpdesk.cli("users", "add", TECH, "--name", "Camille Tech", "--technician")
    helpdesk.cli("users", "add", SAM, "--technician")
    helpdesk.send(LOIC, "Ordinateur très lent", "Très lent.")
    helpdesk.new_mails()
    helpdesk.send(TECH, "Re: [Ticket #1] Ordinateur très lent", "#take\n#tickets")
    confirmation, = [m for m in helpdesk.new_mails() if m.to == TECH]
    assert "  - pris en charge\n" in text(confirmation)
    assert "Vos tickets en cours (1)\n  #1 – loic.medori@lycee.example – Ordinateur très lent" in text(confirmation)


def test_mesdemandes_in_a_reply_is_answered_and_adds_nothing_to_the_ticket(helpdesk):
    helpdesk.cli("users", "add", TECH, "--name", "Camille Tech", "--technician")
    helpdesk.send(LOIC, "Ordinateur très lent", "Très lent.")
    ack = next(m for m in helpdesk.new_mails() if m.to == LOIC)
    result = helpdesk.send(LOIC, "Re: [Ticket #1] Ordinateur très lent", "#mesdemandes", in_reply_to=ack.message_id)

    assert result.outcome == "answered"
    answer, = helpdesk.new_mails()  # the technician hears nothing
    assert answer.to == LOIC and "Vos demandes (1)\n  #1 – Ordinateur très lent" in text(answer)
    assert helpdesk.show(1)["followups"] == []


def test_the_view_by_mail_ends_with_the_technicians_coming_planning(helpdesk):
    story(helpdesk)  # Monday 30 November 2026, Paris time
    helpdesk.send(TECH, "Re: [Ticket #3] Vidéoprojecteur", "#task 1h @ 02/12/2026 14h00 Changer la lampe")
    helpdesk.send(TECH, "Re: [Ticket #3] Vidéoprojecteur", "#task 1h @ 20/12/2026 09h00 Nettoyer le filtre")
    helpdesk.new_mails()
    helpdesk.send(TECH, "Mes tickets", "#tickets")

    body = text(helpdesk.new_mails()[0])
    planning = body[body.index("Votre planning\n"):body.index("Pour l'historique complet")]
    assert "#3 Vidéoprojecteur\u00a0: Changer la lampe" in planning
    assert "mercredi 2 décembre 2026 à 14\u00a0h" in planning
    assert "Nettoyer le filtre" not in planning  # three weeks away: not in the coming days
