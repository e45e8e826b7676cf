"""The seed's story, played through real mails: Loïc Medori's "Ordinateur très lent" on
computer 203-02, from the first mail to the automatic closing (SPEC §2, §4, §5, §6)."""


LOIC = "loic.medori@lycee.example"
TECH = "camille.tech@lycee.example"
TECH2 = "sami.tech@lycee.example"


def recipients(mails):
    return sorted(m.to for m in mails)


def to(address, mails):
    """The one mail of this batch to that address."""
    mail, = (m for m in mails if m.to == address)
    return mail


def test_the_seed_story_from_first_mail_to_automatic_closing(helpdesk):
    helpdesk.cli("users", "add", TECH, "--name", "Camille Tech", "--technician")
    helpdesk.cli("users", "add", TECH2, "--name", "Sami Tech", "--technician")

    # 1. Loïc writes; he gets an acknowledgement, every technician is told (nobody is assigned)
    helpdesk.send(f"Loïc Medori <{LOIC}>", "Ordinateur très lent",
                  "Bonjour,\nL'ordinateur 203-02 est très lent depuis lundi.\nLoïc")
    ticket = helpdesk.show(1)
    assert (ticket["status"], ticket["title"], ticket["requester"]) == ("new", "Ordinateur très lent", LOIC)
    assert "203-02 est très lent" in ticket["content"]
    mails = helpdesk.new_mails()
    assert recipients(mails) == sorted([LOIC, TECH, TECH2])
    ack = next(m for m in mails if m.to == LOIC)
    assert ack.subject == "[Ticket #1] Ordinateur très lent"
    to_tech = next(m for m in mails if m.to == TECH)
    assert "Un nouveau ticket #1 a été ouvert par Loïc Medori\u00a0:" in to_tech.text

    # 2. a technician takes it and says it is in hand
    helpdesk.send(TECH, "Re: [Ticket #1] Ordinateur très lent", "#take\nJe m'en occupe ce matin.",
                  in_reply_to=to_tech.message_id)
    ticket = helpdesk.show(1)
    assert ticket["status"] == "assigned" and ticket["assignees"] == [TECH]
    assert ticket["followups"][-1]["content"] == "Je m'en occupe ce matin."
    # Loïc reads the followup; Camille gets the one confirmation of her commands
    mails = helpdesk.new_mails()
    assert recipients(mails) == sorted([LOIC, TECH])
    assert "Je m'en occupe ce matin." in to(LOIC, mails).text
    assert "pris en charge" in to(TECH, mails).text

    # 3. a first intervention, with its time
    helpdesk.send(TECH, "Re: [Ticket #1] Ordinateur très lent",
                  "#task done 0h15 Test d'un redémarrage en mode sans échec")
    task = helpdesk.show(1)["tasks"][-1]
    assert (task["state"], task["duration_minutes"], task["content"], task["private"]) == (
        "done", 15, "Test d'un redémarrage en mode sans échec", False)
    mails = helpdesk.new_mails()
    assert recipients(mails) == sorted([LOIC, TECH])
    assert "Temps passé au total\u00a0: 15\u00a0min" in to(TECH, mails).text

    # 4. on hold while a part is ordered
    helpdesk.send(TECH, "Re: [Ticket #1] Ordinateur très lent", "#hold Barrette mémoire commandée")
    ticket = helpdesk.show(1)
    assert ticket["status"] == "waiting"
    assert ticket["history"][-1]["from"] == "assigned" and ticket["history"][-1]["to"] == "waiting"
    mails = helpdesk.new_mails()
    assert recipients(mails) == sorted([LOIC, TECH])
    assert "Barrette mémoire commandée" in to(LOIC, mails).text
    assert "Votre demande #1 a été mise en attente par Camille Tech." in to(LOIC, mails).text
    assert "État\u00a0: en attente" in to(TECH, mails).text

    # 5. a planned task brings it back from waiting, to planned
    helpdesk.send(TECH, "Re: [Ticket #1] Ordinateur très lent",
                  "#task 1h @ 02/12/2026 14h00 Pose de la barrette mémoire")
    ticket = helpdesk.show(1)
    assert ticket["status"] == "planned"
    task = ticket["tasks"][-1]
    assert (task["state"], task["begin"], task["end"]) == (
        "todo", "2026-12-02T13:00:00+00:00", "2026-12-02T14:00:00+00:00")  # 14h00 in Paris
    mails = helpdesk.new_mails()
    assert recipients(mails) == sorted([LOIC, TECH])
    assert "Temps passé au total\u00a0: 1\u00a0h\u00a015" in to(TECH, mails).text

    # 6. a private note between technicians never reaches Loïc
    helpdesk.send(TECH2, "Re: [Ticket #1] Ordinateur très lent",
                  "#private\nLa barrette est arrivée au magasin, je te la pose sur ton bureau.")
    followup = helpdesk.show(1)["followups"][-1]
    assert (followup["private"], followup["author"]) == (True, TECH2)
    assert recipients(helpdesk.new_mails()) == sorted([TECH, TECH2])  # Sami's is the confirmation

    # 7. solved, and the solution kept in the knowledge base
    helpdesk.send(TECH, "Re: [Ticket #1] Ordinateur très lent",
                  "#solve\n#kb\nLa barrette mémoire a été remplacée ; le poste démarre en 40 secondes.")
    ticket = helpdesk.show(1)
    assert ticket["status"] == "solved" and ticket["solved_at"] is not None
    assert ticket["solutions"][-1]["status"] == "waiting"
    assert "barrette mémoire a été remplacée" in ticket["solutions"][-1]["content"]
    mails = helpdesk.new_mails()
    assert recipients(mails) == sorted([LOIC, TECH])
    assert "mailto:helpdesk@lycee.example?subject=" in to(LOIC, mails).text
    assert "APPROUVER" in to(LOIC, mails).text and "REFUSER" in to(LOIC, mails).text  # Loïc reads French
    assert "base de connaissances" in to(TECH, mails).text
    articles = helpdesk.cli_json("kb", "list")
    assert [(a["title"], a["ticket"]) for a in articles] == [("Ordinateur très lent", 1)]

    # 8. a thank-you keeps it solved; technicians are told, Loïc is told how it goes on
    helpdesk.send(LOIC, "Re: [Ticket #1] Ordinateur très lent", "Merci !")
    assert helpdesk.show(1)["status"] == "solved"
    assert recipients(helpdesk.new_mails()) == sorted([LOIC, TECH])

    # 9. a refusal without a reason changes nothing: Loïc is asked for the reason
    helpdesk.send(LOIC, "Re: [Ticket #1] Ordinateur très lent", "non")
    ticket = helpdesk.show(1)
    assert ticket["status"] == "solved" and ticket["solutions"][-1]["status"] == "waiting"
    assert recipients(helpdesk.new_mails()) == [LOIC]

    # 10. a refusal with a reason sends it back to new, assignees kept
    helpdesk.send(LOIC, "Re: [Ticket #1] Ordinateur très lent", "Non, toujours lent au démarrage.")
    ticket = helpdesk.show(1)
    assert (ticket["status"], ticket["assignees"]) == ("new", [TECH])
    assert ticket["solutions"][-1]["status"] == "refused"
    assert ticket["solutions"][-1]["reason"] == "toujours lent au démarrage."
    assert recipients(helpdesk.new_mails()) == [TECH]

    # 11. a new solution
    helpdesk.send(TECH, "Re: [Ticket #1] Ordinateur très lent", "#solve Pilote graphique réinstallé.")
    ticket = helpdesk.show(1)
    assert ticket["status"] == "solved"
    assert [s["status"] for s in ticket["solutions"]] == ["refused", "waiting"]
    assert recipients(helpdesk.new_mails()) == sorted([LOIC, TECH])

    # 12. no answer: nothing before 24 hours, closed after, and Loïc is told
    helpdesk.clock.advance(hours=23, minutes=59)
    assert helpdesk.app.autoclose() == []
    helpdesk.clock.advance(minutes=2)
    assert helpdesk.app.autoclose() == [1]
    helpdesk.app.wait_for_delivery()
    ticket = helpdesk.show(1)
    assert ticket["status"] == "closed" and ticket["closed_at"] is not None
    assert ticket["solutions"][-1]["status"] == "accepted"
    mails = helpdesk.new_mails()
    assert recipients(mails) == sorted([LOIC, TECH])
    closing = next(m for m in mails if m.to == LOIC)
    assert "Ce ticket est clos\u00a0: une réponse à ce message ouvrira un nouveau ticket." in closing.text
    assert "Pour compléter" not in closing.text
    assert [(h["from"], h["to"]) for h in ticket["history"]] == [
        (None, "new"), ("new", "assigned"), ("assigned", "waiting"), ("waiting", "planned"),
        ("planned", "solved"), ("solved", "new"), ("new", "solved"), ("solved", "closed")]
