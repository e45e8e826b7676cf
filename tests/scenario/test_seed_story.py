"""The seed's story, played through real mails: Loïc Medori's "Ordinateur très lent" on
computer 203-02, from the first mail to the automatic closing, then a second request that he
approves (SPEC §2, §4, §5, §6). For each incoming mail, the test names every mail that goes
out: to whom, with which subject, at most one per recipient."""

LOIC = "loic.medori@lycee.example"
TECH = "camille.tech@lycee.example"
TECH2 = "sami.tech@lycee.example"
NBSP = "\u00a0"

SLOW = "[Ticket #1] Ordinateur très lent"
SLOW_SOLVED = f"[Ticket #1] Résolu – merci de confirmer{NBSP}: Ordinateur très lent"
PROJECTOR = "[Ticket #2] Vidéoprojecteur de la salle 203 sans image"
PROJECTOR_SOLVED = f"[Ticket #2] Résolu – merci de confirmer{NBSP}: Vidéoprojecteur de la salle 203 sans image"
PROJECTOR_CLOSED = f"[Ticket #2] Clos{NBSP}: Vidéoprojecteur de la salle 203 sans image"


class Mailbag:
    """The mails that leave after each incoming mail, checked against what the story expects."""

    def __init__(self, helpdesk):
        self.helpdesk = helpdesk
        self.received: dict[str, int] = {}

    def expect(self, outgoing: dict[str, str]):
        """Exactly these mails went out, one per recipient, with these subjects; returns them by
        recipient."""
        mails = self.helpdesk.new_mails()
        recipients = [m.to for m in mails]
        assert len(recipients) == len(set(recipients)), f"more than one mail to someone: {recipients}"
        assert {m.to: m.subject for m in mails} == outgoing
        for m in mails:
            self.received[m.to] = self.received.get(m.to, 0) + 1
        return {m.to: m for m in mails}


def test_the_seed_story_from_first_mail_to_automatic_closing(helpdesk):
    bag = Mailbag(helpdesk)
    helpdesk.cli("users", "add", TECH, "--name", "Camille Tech", "--technician")
    helpdesk.cli("users", "add", TECH2, "--name", "Sami Tech", "--technician")

    # 1. Loïc writes; he gets an acknowledgement, every technician is told (nobody is assigned)
    helpdesk.send(f"Loïc Medori <{LOIC}>", "Ordinateur très lent",
                  "Bonjour,\nL'ordinateur 203-02 est très lent depuis lundi.\nLoïc")
    ticket = helpdesk.show(1)
    assert (ticket["status"], ticket["title"], ticket["requester"]) == ("new", "Ordinateur très lent", LOIC)
    assert "203-02 est très lent" in ticket["content"]
    mails = bag.expect({LOIC: SLOW, TECH: SLOW, TECH2: SLOW})
    assert "Nous avons bien reçu votre demande" in mails[LOIC].text
    assert f"Un nouveau ticket #1 a été ouvert par Loïc Medori{NBSP}:" in mails[TECH].text

    # 2. a technician takes it and says it is in hand: Loïc reads the followup, Camille gets
    #    the one confirmation of her commands; Sami, no longer concerned, nothing
    helpdesk.send(TECH, "Re: [Ticket #1] Ordinateur très lent", "#take\nJe m'en occupe ce matin.",
                  in_reply_to=mails[TECH].message_id)
    ticket = helpdesk.show(1)
    assert ticket["status"] == "assigned" and ticket["assignees"] == [TECH]
    assert ticket["followups"][-1]["content"] == "Je m'en occupe ce matin."
    mails = bag.expect({LOIC: SLOW, TECH: SLOW})
    assert "Je m'en occupe ce matin." in mails[LOIC].text
    assert "pris en charge" in mails[TECH].text

    # 3. a first intervention, with its time
    helpdesk.send(TECH, "Re: [Ticket #1] Ordinateur très lent",
                  "#task done 0h15 Test d'un redémarrage en mode sans échec")
    task = helpdesk.show(1)["tasks"][-1]
    assert (task["state"], task["duration_minutes"], task["content"], task["private"]) == (
        "done", 15, "Test d'un redémarrage en mode sans échec", False)
    mails = bag.expect({LOIC: SLOW, TECH: SLOW})
    assert "Test d'un redémarrage en mode sans échec" in mails[LOIC].text
    assert f"Temps passé au total{NBSP}: 15{NBSP}min" in mails[TECH].text

    # 4. on hold while a part is ordered, with a word for Loïc: one mail tells him both
    helpdesk.send(TECH, "Re: [Ticket #1] Ordinateur très lent",
                  "#hold Barrette mémoire commandée\nJe vous préviens dès qu'elle arrive.")
    ticket = helpdesk.show(1)
    assert ticket["status"] == "waiting"
    assert ticket["history"][-1]["from"] == "assigned" and ticket["history"][-1]["to"] == "waiting"
    mails = bag.expect({LOIC: SLOW, TECH: SLOW})
    told = mails[LOIC].text
    assert "Je vous préviens dès qu'elle arrive." in told
    assert "Votre demande #1 a été mise en attente par Camille Tech." in told
    assert "Barrette mémoire commandée" in told
    assert told.index("Je vous préviens") < told.index("mise en attente")  # in the order they happened
    assert f"État{NBSP}: en attente" in mails[TECH].text

    # 5. a planned task brings it back from waiting, to planned; planned time is not time spent
    helpdesk.send(TECH, "Re: [Ticket #1] Ordinateur très lent",
                  "#task 1h @ 02/12/2026 14h00 Pose de la barrette mémoire")
    ticket = helpdesk.show(1)
    assert ticket["status"] == "planned"
    task = ticket["tasks"][-1]
    assert (task["state"], task["begin"], task["end"]) == (
        "todo", "2026-12-02T13:00:00+00:00", "2026-12-02T14:00:00+00:00")  # 14h00 in Paris
    mails = bag.expect({LOIC: SLOW, TECH: SLOW})
    assert f"Temps passé au total{NBSP}: 15{NBSP}min" in mails[TECH].text
    assert f"Temps prévu (tâches à faire){NBSP}: 1{NBSP}h" in mails[TECH].text

    # 6. a private note between technicians never reaches Loïc; Sami gets his confirmation
    helpdesk.send(TECH2, "Re: [Ticket #1] Ordinateur très lent",
                  "#private\nLa barrette est arrivée au magasin, je te la pose sur ton bureau.")
    followup = helpdesk.show(1)["followups"][-1]
    assert (followup["private"], followup["author"]) == (True, TECH2)
    mails = bag.expect({TECH: SLOW, TECH2: SLOW})
    assert "La barrette est arrivée au magasin" in mails[TECH].text
    assert "votre texte ajouté comme suivi" in mails[TECH2].text

    # 7. the work done and the solution in one mail, the solution kept in the knowledge base:
    #    Loïc gets one mail that asks him to confirm and tells him of the task too
    helpdesk.send(TECH, "Re: [Ticket #1] Ordinateur très lent",
                  "#task done 0h45 Barrette mémoire posée\n#solve\n#kb\n"
                  "La barrette mémoire a été remplacée ; le poste démarre en 40 secondes.")
    ticket = helpdesk.show(1)
    assert ticket["status"] == "solved" and ticket["solved_at"] is not None
    assert ticket["solutions"][-1]["status"] == "waiting"
    assert "barrette mémoire a été remplacée" in ticket["solutions"][-1]["content"]
    mails = bag.expect({LOIC: SLOW_SOLVED, TECH: SLOW})
    told = mails[LOIC].text
    assert told.index("Barrette mémoire posée") < told.index("Votre demande #1 est résolue.")
    assert "mailto:helpdesk@lycee.example?subject=" in told
    assert "APPROUVER" in told and "REFUSER" in told  # Loïc reads French
    assert "base de connaissances" in mails[TECH].text
    assert f"Temps passé au total{NBSP}: 1{NBSP}h" in mails[TECH].text
    articles = helpdesk.cli_json("kb", "list")
    assert [(a["title"], a["ticket"]) for a in articles] == [("Ordinateur très lent", 1)]

    # 8. a thank-you keeps it solved; Camille is told, Loïc is told how it goes on
    helpdesk.send(LOIC, "Re: [Ticket #1] Ordinateur très lent", "Merci !")
    assert helpdesk.show(1)["status"] == "solved"
    mails = bag.expect({LOIC: SLOW, TECH: SLOW})
    assert "Merci !" in mails[TECH].text

    # 9. a refusal without a reason changes nothing: Loïc is asked for the reason
    helpdesk.send(LOIC, "Re: [Ticket #1] Ordinateur très lent", "non")
    ticket = helpdesk.show(1)
    assert ticket["status"] == "solved" and ticket["solutions"][-1]["status"] == "waiting"
    bag.expect({LOIC: SLOW})

    # 10. a refusal with a reason sends it back to new, assignees kept; Loïc is told that his
    #     refusal was recorded and the request reopened, Camille that the solution was refused
    helpdesk.send(LOIC, "Re: [Ticket #1] Ordinateur très lent", "Non, toujours lent au démarrage.")
    ticket = helpdesk.show(1)
    assert (ticket["status"], ticket["assignees"]) == ("new", [TECH])
    assert ticket["solutions"][-1]["status"] == "refused"
    assert ticket["solutions"][-1]["reason"] == "toujours lent au démarrage."
    mails = bag.expect({LOIC: f"[Ticket #1] Solution refusée – demande rouverte{NBSP}: Ordinateur très lent",
                        TECH: f"[Ticket #1] Solution refusée{NBSP}: Ordinateur très lent"})
    assert "Votre refus de la solution a bien été enregistré." in mails[LOIC].text
    assert "toujours lent au démarrage." in mails[LOIC].text
    assert "Loïc Medori a refusé la solution du ticket #1." in mails[TECH].text

    # 11. a new intervention and a new solution in one mail: one mail to Loïc
    helpdesk.send(TECH, "Re: [Ticket #1] Ordinateur très lent",
                  "#task done 0h30 Réinstallation du pilote graphique\n#solve Pilote graphique réinstallé.")
    ticket = helpdesk.show(1)
    assert ticket["status"] == "solved"
    assert [s["status"] for s in ticket["solutions"]] == ["refused", "waiting"]
    mails = bag.expect({LOIC: SLOW_SOLVED, TECH: SLOW})
    assert "Réinstallation du pilote graphique" in mails[LOIC].text
    assert "Pilote graphique réinstallé." in mails[LOIC].text
    assert f"Temps passé au total{NBSP}: 1{NBSP}h{NBSP}30" in mails[TECH].text

    # 12. no answer: nothing before 24 hours, closed after, and Loïc is told
    helpdesk.clock.advance(hours=23, minutes=59)
    assert helpdesk.app.autoclose() == []
    helpdesk.clock.advance(minutes=2)
    assert helpdesk.app.autoclose() == [1]
    helpdesk.app.wait_for_delivery()
    ticket = helpdesk.show(1)
    assert ticket["status"] == "closed" and ticket["closed_at"] is not None
    assert ticket["solutions"][-1]["status"] == "accepted"
    closed = f"[Ticket #1] Clos{NBSP}: Ordinateur très lent"
    mails = bag.expect({LOIC: closed, TECH: closed})
    closing = mails[LOIC].text
    assert "Le ticket #1 a été clos automatiquement" in closing
    assert f"Ce ticket est clos{NBSP}: une réponse à ce message ouvrira un nouveau ticket." in closing
    assert "Pour compléter" not in closing
    assert [(h["from"], h["to"]) for h in ticket["history"]] == [
        (None, "new"), ("new", "assigned"), ("assigned", "waiting"), ("waiting", "planned"),
        ("planned", "solved"), ("solved", "new"), ("new", "solved"), ("solved", "closed")]

    # 13. a second request; nobody is assigned, so every technician is told
    helpdesk.send(f"Loïc Medori <{LOIC}>", "Vidéoprojecteur de la salle 203 sans image",
                  "Bonjour,\nLe vidéoprojecteur de la salle 203 n'affiche plus rien.\nLoïc")
    bag.expect({LOIC: PROJECTOR, TECH: PROJECTOR, TECH2: PROJECTOR})

    # 14. Sami takes it, notes his work and solves it in one mail: Loïc gets one mail, Sami his
    #     confirmation, Camille nothing (Sami has it now)
    helpdesk.send(TECH2, "Re: [Ticket #2] Vidéoprojecteur de la salle 203 sans image",
                  "#take\n#task done 0h10 Câble HDMI remplacé\n#solve Le câble HDMI était abîmé ; il est remplacé.")
    ticket = helpdesk.show(2)
    assert (ticket["status"], ticket["assignees"]) == ("solved", [TECH2])
    mails = bag.expect({LOIC: PROJECTOR_SOLVED, TECH2: PROJECTOR})
    told = mails[LOIC].text
    assert told.index("Câble HDMI remplacé") < told.index("Le câble HDMI était abîmé")
    assert "pris en charge" in mails[TECH2].text and "Temps passé au total\u00a0: 10\u00a0min" in mails[TECH2].text

    # 15. Loïc approves: the approval and the closing reach each person as one mail
    helpdesk.send(LOIC, "Re: [Ticket #2] Vidéoprojecteur de la salle 203 sans image", "OK merci, ça marche.")
    ticket = helpdesk.show(2)
    assert ticket["status"] == "closed" and ticket["solutions"][-1]["status"] == "accepted"
    mails = bag.expect({LOIC: PROJECTOR_CLOSED, TECH2: PROJECTOR_CLOSED})
    told = mails[LOIC].text
    assert "Vous avez approuvé la solution proposée pour votre demande #2." in told
    assert "Votre demande #2 est maintenant close." in told
    assert "Loïc Medori a approuvé la solution du ticket #2." in mails[TECH2].text
    assert "Le ticket #2 a été clos par Loïc Medori." in mails[TECH2].text

    # For the whole story, one mail per incoming mail at most: 14 mails to Loïc for his 15
    # steps (none for the private note), 12 to Camille, 5 to Sami.
    assert bag.received == {LOIC: 14, TECH: 12, TECH2: 5}
