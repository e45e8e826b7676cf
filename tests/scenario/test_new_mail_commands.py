"""A technician's new mail with commands (workflow/opening.py): a phone call logged with the
work already done opens a ticket whose content is the text without the command lines, the
commands are applied to it as on a reply, and the technician gets one mail, the confirmation
naming the new ticket; the other technicians are told of the new ticket once."""

NBSP = "\u00a0"
LOIC = "loic.medori@lycee.example"
TECH = "camille.tech@lycee.example"
SAM = "sam.tech@lycee.example"
PROJECTOR = "[Ticket #1] Vidéoprojecteur salle 12"


def team(helpdesk):
    helpdesk.cli("users", "add", TECH, "--name", "Camille Tech", "--technician")
    helpdesk.cli("users", "add", SAM, "--name", "Sam Tech", "--technician")


def by_recipient(helpdesk):
    mails = helpdesk.new_mails()
    recipients = [m.to for m in mails]
    assert len(recipients) == len(set(recipients)), f"more than one mail to someone: {recipients}"
    return {m.to: m for m in mails}


def text(mail) -> str:
    return mail.text.replace("\r\n", "\n")


def test_a_phone_call_logged_with_take_and_a_done_task_opens_the_ticket_and_applies_them(helpdesk):
    team(helpdesk)
    result = helpdesk.send(f"Camille Tech <{TECH}>", "Vidéoprojecteur salle 12",
                           "#take\n#task done 0h30 Lampe changée\nLe projecteur clignotait.\n\nCamille")

    assert (result.outcome, result.ticket_id) == ("ticket", 1)
    ticket = helpdesk.show(1)
    assert (ticket["title"], ticket["content"]) == ("Vidéoprojecteur salle 12", "Le projecteur clignotait.")
    assert (ticket["requester"], ticket["status"], ticket["assignees"]) == (TECH, "assigned", [TECH])
    task, = ticket["tasks"]
    assert (task["state"], task["duration_minutes"], task["content"]) == ("done", 30, "Lampe changée")
    assert ticket["followups"] == []  # the text is the content, never a followup of itself

    mails = by_recipient(helpdesk)
    assert {to: m.subject for to, m in mails.items()} == {TECH: PROJECTOR, SAM: PROJECTOR}
    confirmation = text(mails[TECH])
    assert "Vos commandes ont été appliquées au ticket #1" in confirmation
    assert "  - ticket #1 ouvert avec votre message\n" in confirmation
    assert "pris en charge" in confirmation and f"tâche de 30{NBSP}min ajoutée (fait)" in confirmation
    assert f"Temps passé au total{NBSP}: 30{NBSP}min" in confirmation
    assert "Nous avons bien reçu votre demande" not in confirmation
    told = text(mails[SAM])
    assert f"Un nouveau ticket #1 a été ouvert par Camille Tech{NBSP}:" in told
    assert "Le projecteur clignotait." in told and "Lampe changée" in told
    assert "#take" not in told


def test_task_without_description_takes_the_text_and_the_content_keeps_it(helpdesk):
    team(helpdesk)
    helpdesk.send(TECH, "Souris salle 5", "#task done 0h10\nSouris remplacée au poste 5-03.")

    ticket = helpdesk.show(1)
    assert ticket["content"] == "Souris remplacée au poste 5-03."
    assert [t["content"] for t in ticket["tasks"]] == ["Souris remplacée au poste 5-03."]
    assert ticket["followups"] == [] and ticket["status"] == "assigned"  # the first command takes it
    mails = by_recipient(helpdesk)
    assert set(mails) == {TECH, SAM}
    assert "votre texte ajouté comme suivi" not in mails[TECH].text


def test_solving_ones_own_ticket_closes_it_at_once(helpdesk):
    team(helpdesk)
    helpdesk.send(TECH, "Imprimante CDI", "#take\n#task done 0h15\n#solve Toner remplacé.\nBourrage papier au CDI.")

    ticket = helpdesk.show(1)
    assert (ticket["status"], ticket["content"]) == ("closed", "Bourrage papier au CDI.")
    assert [s["content"] for s in ticket["solutions"]] == ["Toner remplacé."]
    assert ticket["solutions"][0]["status"] == "accepted"
    mails = by_recipient(helpdesk)
    closed = f"[Ticket #1] Clos{NBSP}: Imprimante CDI"
    assert {to: m.subject for to, m in mails.items()} == {TECH: "[Ticket #1] Imprimante CDI", SAM: closed}
    assert "ticket clos aussitôt\u00a0: la demande est la vôtre" in mails[TECH].text
    assert f"État{NBSP}: clos" in mails[TECH].text
    assert "merci de confirmer" not in mails[SAM].subject


def test_close_on_ones_own_new_ticket_closes_it(helpdesk):
    team(helpdesk)
    helpdesk.send(TECH, "Mot de passe ENT", "#task done 0h05 Mot de passe réinitialisé\n#close\nAppel de M. Durand.")

    ticket = helpdesk.show(1)
    assert (ticket["status"], ticket["content"]) == ("closed", "Appel de M. Durand.")
    mails = by_recipient(helpdesk)
    assert set(mails) == {TECH, SAM}
    assert "ticket clos" in mails[TECH].text and mails[SAM].subject == f"[Ticket #1] Clos{NBSP}: Mot de passe ENT"


def test_a_refused_line_still_opens_the_ticket_and_names_it_in_the_error(helpdesk):
    team(helpdesk)
    body = "#take\n#task done une demi-heure Lampe changée\nLe projecteur clignotait."
    result = helpdesk.send(TECH, "Vidéoprojecteur salle 12", body)

    assert (result.outcome, result.ticket_id) == ("ticket", 1)
    ticket = helpdesk.show(1)
    assert (ticket["status"], ticket["assignees"], ticket["tasks"]) == ("new", [], [])  # nothing applied
    assert ticket["content"] == "Le projecteur clignotait."
    kept, = ticket["followups"]
    assert (kept["content"], kept["private"]) == (body, True)
    mails = by_recipient(helpdesk)
    assert {to: m.subject for to, m in mails.items()} == {
        TECH: f"[Ticket #1] Commandes refusées{NBSP}: Vidéoprojecteur salle 12", SAM: PROJECTOR}
    errors = text(mails[TECH])
    assert "Le ticket #1 a été ouvert avec votre message, mais aucune de vos commandes n'y a été appliquée" in errors
    assert f"Ligne 2{NBSP}: #task done une demi-heure Lampe changée\n" in errors
    assert f"«{NBSP}une{NBSP}» n'est pas une durée" in errors
    assert "renvoyez toutes les commandes en réponse à ce message" in errors
    assert "Le projecteur clignotait." in text(mails[SAM])


def test_an_unknown_command_in_a_new_mail_is_never_silently_ignored(helpdesk):
    team(helpdesk)
    helpdesk.send(TECH, "Wifi salle 8", "#tsk 0h10\nPlus de wifi en salle 8.")

    assert helpdesk.show(1)["content"] == "Plus de wifi en salle 8."
    mails = by_recipient(helpdesk)
    assert f"Ligne 1{NBSP}: #tsk 0h10" in text(mails[TECH])
    assert "#task" in text(mails[TECH])  # the suggestion


def test_an_english_technician_reads_the_confirmation_in_english(helpdesk):
    helpdesk.cli("users", "add", TECH, "--name", "Camille Tech", "--technician", "--language", "en")
    helpdesk.send(TECH, "Projector room 12", "#take\n#task done 0h30 Lamp replaced\nThe projector flickered.")

    confirmation, = helpdesk.new_mails()
    assert (confirmation.to, confirmation.subject) == (TECH, "[Ticket #1] Projector room 12")
    body = text(confirmation)
    assert "Your commands were applied to ticket #1:\n" in body
    assert "  - ticket #1 opened with your message\n" in body and "  - taken\n" in body


def test_a_requesters_new_mail_with_take_is_a_plain_ticket_with_its_text_kept(helpdesk):
    team(helpdesk)
    helpdesk.send(LOIC, "Vidéoprojecteur", "#take\nPlus d'image en salle 203.")

    ticket = helpdesk.show(1)
    assert (ticket["status"], ticket["requester"], ticket["content"]) == (
        "new", LOIC, "#take\nPlus d'image en salle 203.")
    mails = by_recipient(helpdesk)
    assert {to: m.subject for to, m in mails.items()} == {
        LOIC: "[Ticket #1] Vidéoprojecteur", TECH: "[Ticket #1] Vidéoprojecteur", SAM: "[Ticket #1] Vidéoprojecteur"}
    assert "Nous avons bien reçu votre demande" in mails[LOIC].text


def test_a_technician_found_only_by_reply_to_runs_no_command_in_a_new_mail(helpdesk):
    team(helpdesk)
    helpdesk.send("Camille Tech", "Vidéoprojecteur salle 12", "#take\nLe projecteur clignotait.",
                  headers={"Reply-To": TECH})

    ticket = helpdesk.show(1)
    assert (ticket["status"], ticket["assignees"], ticket["requester"]) == ("new", [], TECH)
    assert ticket["content"] == "#take\nLe projecteur clignotait."
    mails = by_recipient(helpdesk)
    assert "Nous avons bien reçu votre demande" in mails[TECH].text


def test_the_attachments_become_documents_and_a_refused_one_is_told_in_the_one_confirmation(helpdesk):
    from tests.scenario.test_documents_by_mail import send

    team(helpdesk)
    send(helpdesk, TECH, "Salle 14", "#take\nLe vidéoprojecteur ne s'allume plus.",
         {"photo.jpg": b"jpg", "outil.exe": b"MZ"})

    ticket = helpdesk.show(1)
    assert [d["filename"] for d in ticket["documents"]] == ["photo.jpg"]  # once, not twice
    mails = by_recipient(helpdesk)
    assert set(mails) == {TECH, SAM}
    confirmation = text(mails[TECH])
    assert "  - ticket #1 ouvert avec votre message\n" in confirmation
    assert f"  - outil.exe{NBSP}: les fichiers de type .exe ne sont pas acceptés\n" in confirmation
    assert [p.get_filename() for p in mails[SAM].message.iter_attachments()] == ["photo.jpg"]


def test_a_refused_attachment_on_a_reply_with_commands_is_told_in_the_confirmation(helpdesk):
    from tests.scenario.test_documents_by_mail import send

    team(helpdesk)
    helpdesk.send(LOIC, "Salle 14", "Le vidéoprojecteur ne s'allume plus.")
    helpdesk.new_mails()
    send(helpdesk, TECH, "Re: [Ticket #1] Salle 14", "#task done 0h10 Câble changé", {"outil.exe": b"MZ"})

    mails = by_recipient(helpdesk)
    assert set(mails) == {TECH, LOIC}
    confirmation = text(mails[TECH])
    assert f"tâche de 10{NBSP}min ajoutée (fait)" in confirmation
    assert f"  - outil.exe{NBSP}: les fichiers de type .exe ne sont pas acceptés\n" in confirmation


AICHA = "aicha.prof@lycee.example"


def test_requester_makes_a_phone_call_the_teachers_ticket_and_she_gets_the_acknowledgement(helpdesk):
    team(helpdesk)
    helpdesk.cli("users", "add", AICHA, "--name", "Aïcha Prof")
    result = helpdesk.send(TECH, "Vidéoprojecteur salle 12",
                           f"#demandeur {AICHA}\n#take\n#task done 0h30 Lampe changée\nLe projecteur clignotait.")

    assert (result.outcome, result.ticket_id) == ("ticket", 1)
    ticket = helpdesk.show(1)
    assert (ticket["requester"], ticket["assignees"], ticket["content"]) == (AICHA, [TECH], "Le projecteur clignotait.")
    assert ticket["observers"] == []
    mails = by_recipient(helpdesk)
    assert {to: m.subject for to, m in mails.items()} == {TECH: PROJECTOR, SAM: PROJECTOR, AICHA: PROJECTOR}
    told = text(mails[AICHA])
    assert "Nous avons bien reçu votre demande. Elle est enregistrée sous le numéro #1" in told
    assert "Le projecteur clignotait." in told and "Lampe changée" in told
    confirmation = text(mails[TECH])
    assert "  - demande enregistrée pour Aïcha Prof, qui en reçoit l'accusé de réception\n" in confirmation
    assert f"Un nouveau ticket #1 a été ouvert par Aïcha Prof{NBSP}:" in text(mails[SAM])


def test_a_solution_on_a_ticket_opened_for_someone_else_waits_for_their_approval(helpdesk):
    team(helpdesk)
    helpdesk.send(TECH, "Imprimante CDI", f"#requester {AICHA}\n#solve Toner remplacé.\nBourrage papier au CDI.")

    assert helpdesk.show(1)["status"] == "solved"  # the requester approves, as on any ticket
    mails = by_recipient(helpdesk)
    assert mails[AICHA].subject == f"[Ticket #1] Résolu – merci de confirmer{NBSP}: Imprimante CDI"
    helpdesk.send(AICHA, "Re: [Ticket #1] Imprimante CDI", "Oui, merci !")
    assert helpdesk.show(1)["status"] == "closed"


def test_requester_on_a_reply_is_refused_and_changes_nothing(helpdesk):
    team(helpdesk)
    helpdesk.send(LOIC, "Salle 14", "Le vidéoprojecteur ne s'allume plus.")
    helpdesk.new_mails()
    helpdesk.send(TECH, "Re: [Ticket #1] Salle 14", f"#requester {AICHA}\n#take")

    ticket = helpdesk.show(1)
    assert (ticket["requester"], ticket["status"]) == (LOIC, "new")
    errors, = helpdesk.new_mails()
    assert errors.to == TECH and "Commandes refusées" in errors.subject
    assert "#requester s'écrit dans un nouveau mail, qu'il ouvre au nom de cette personne" in text(errors)


def test_a_reading_command_beside_a_problem_opens_the_ticket_and_rides_on_the_confirmation(helpdesk):
    team(helpdesk)
    result = helpdesk.send(TECH, "Salle 14", "#tickets\nLe vidéoprojecteur de la salle 14 est cassé.\n\nCordialement,\nCamille")

    assert result.outcome == "ticket"
    ticket = helpdesk.show(1)
    assert (ticket["content"], ticket["status"], ticket["assignees"]) == (
        "Le vidéoprojecteur de la salle 14 est cassé.", "new", [])  # a reading command takes nothing
    mails = by_recipient(helpdesk)
    assert {to: m.subject for to, m in mails.items()} == {TECH: "[Ticket #1] Salle 14", SAM: "[Ticket #1] Salle 14"}
    confirmation = text(mails[TECH])
    assert "  - ticket #1 ouvert avec votre message\n" in confirmation
    assert "Tickets à traiter (0)\n" in confirmation


def test_a_refused_line_beside_requester_leaves_the_technician_the_requester_and_tells_nobody_else(helpdesk):
    team(helpdesk)
    helpdesk.send(TECH, "Vidéoprojecteur salle 12", f"#requester {AICHA}\n#tsk 0h30\nLe projecteur clignotait.")

    ticket = helpdesk.show(1)
    assert (ticket["requester"], ticket["status"]) == (TECH, "new")
    mails = by_recipient(helpdesk)
    assert {to: m.subject for to, m in mails.items()} == {
        TECH: f"[Ticket #1] Commandes refusées{NBSP}: Vidéoprojecteur salle 12", SAM: PROJECTOR}
