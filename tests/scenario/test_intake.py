"""Opening tickets by mail (SPEC §1, §2): title, content, requester, observers, duplicates,
replies by headers only, and closed tickets that are never reopened."""

LOIC = "loic.medori@lycee.example"
PROF = "anne.prof@lycee.example"


def test_a_first_mail_opens_a_ticket_with_cc_and_to_people_as_observers(helpdesk):
    helpdesk.send(LOIC, "Vidéoprojecteur salle 104", "Il ne s'allume plus.",
                  cc=f"Anne Prof <{PROF}>, helpdesk+3@lycee.example")
    ticket = helpdesk.show(1)
    assert ticket["requester"] == LOIC
    assert ticket["observers"] == [PROF]
    assert ticket["content"] == "Il ne s'allume plus."
    assert sorted(m.to for m in helpdesk.new_mails()) == sorted([LOIC, PROF])


def test_the_same_mail_twice_does_nothing_the_second_time(helpdesk):
    first = helpdesk.send(LOIC, "Imprimante", "Bourrage papier.", headers={"X-Test": "1"})
    raw_key = first.mail_id
    helpdesk.new_mails()
    again = helpdesk.app.process(_raw_of(helpdesk, raw_key), "direct")
    assert again.outcome == "duplicate"
    assert helpdesk.cli_json("tickets", "list")[0]["id"] == 1 and len(helpdesk.cli_json("tickets", "list")) == 1
    assert helpdesk.new_mails() == []


def test_a_reply_with_only_in_reply_to_becomes_a_followup(helpdesk):
    helpdesk.send(LOIC, "Wifi salle des profs", "Pas de réseau.")
    ack = next(m for m in helpdesk.new_mails() if m.to == LOIC)
    helpdesk.send(LOIC, "sans rapport", "Toujours pas de réseau ce matin.", in_reply_to=ack.message_id)
    ticket = helpdesk.show(1)
    assert [f["content"] for f in ticket["followups"]] == ["Toujours pas de réseau ce matin."]


def test_a_forwarded_problem_keeps_the_forwarded_text(helpdesk):
    helpdesk.send(LOIC, "TR: Erreur ENT", "Voir ci-dessous.\n\nDe : ENT <ent@lycee.example>\n"
                  "Envoyé : lundi 30 novembre 2026 08:00\nObjet : Erreur\n\nCode 500 sur la page des notes.")
    ticket = helpdesk.show(1)
    assert ticket["title"] == "Erreur ENT"
    assert "Code 500 sur la page des notes." in ticket["content"]


def test_a_mail_about_a_closed_ticket_opens_a_new_one_that_refers_to_it(helpdesk):
    helpdesk.send(LOIC, "Clavier cassé", "La touche A ne marche plus.")
    helpdesk.cli("users", "add", "tech@lycee.example", "--technician")
    helpdesk.send("tech@lycee.example", "Re: [Ticket #1] Clavier cassé", "#close Clavier remplacé.")
    assert helpdesk.show(1)["status"] == "closed"
    helpdesk.send(LOIC, "Re: [Ticket #1] Clavier cassé", "Maintenant c'est la touche B.")
    assert helpdesk.show(1)["status"] == "closed"
    new = helpdesk.show(2)
    assert new["status"] == "new" and new["follows_ticket"] == 1
    assert new["content"].startswith("Suite du ticket #1")


def test_a_thank_you_on_a_closed_ticket_opens_nothing(helpdesk):
    helpdesk.send(LOIC, "Souris", "Ma souris ne marche plus.")
    helpdesk.cli("users", "add", "tech@lycee.example", "--technician")
    helpdesk.send("tech@lycee.example", "Re: [Ticket #1] Souris", "#close Souris remplacée.")
    helpdesk.new_mails()
    helpdesk.send(LOIC, "Re: [Ticket #1] Souris", "Merci beaucoup !")
    assert len(helpdesk.cli_json("tickets", "list", "--status", "new")) == 0
    assert helpdesk.show(1)["followups"][-1]["content"] == "Merci beaucoup !"
    assert helpdesk.new_mails() == []


def _raw_of(helpdesk, mail_id):
    from mailbot.workflow.models import ProcessedMail

    with helpdesk.app.db.transaction() as session:
        return session.get(ProcessedMail, mail_id).raw


def test_with_reply_to_as_requester_the_reply_to_address_opens_and_answers(tmp_path):
    from tests.scenario.helpdesk import Helpdesk

    desk = Helpdesk(tmp_path, requester_from_reply_to=True)
    try:
        desk.send("Secrétariat <secretariat@lycee.example>", "Photocopieur en panne", "Bourrage.",
                  headers={"Reply-To": f"Loïc <{LOIC}>"})
        assert desk.show(1)["requester"] == LOIC
        assert [m.to for m in desk.new_mails()] == [LOIC]
    finally:
        desk.close()


def test_by_default_the_from_address_is_the_requester_even_with_a_reply_to(helpdesk):
    helpdesk.send(PROF, "Photocopieur", "Bourrage.", headers={"Reply-To": LOIC})
    assert helpdesk.show(1)["requester"] == PROF
