"""A technician's mail with commands always gets one answer: what was applied, the status and
the time spent, or the lines that were refused (and nothing applied)."""

LOIC = "loic.medori@lycee.example"
TECH = "camille.tech@lycee.example"
SUBJECT = "Re: [Ticket #1] Ordinateur très lent"


def open_ticket(helpdesk):
    helpdesk.cli("users", "add", TECH, "--name", "Camille Tech", "--technician")
    helpdesk.send(f"Loïc Medori <{LOIC}>", "Ordinateur très lent", "L'ordinateur 203-02 est très lent.")
    return next(m for m in helpdesk.new_mails() if m.to == TECH)


def lines(mail):
    return mail.text.replace("\r\n", "\n")


def to_tech(mails):
    return [m for m in mails if m.to == TECH]


def test_take_and_task_get_one_confirmation_naming_both_the_status_and_the_time(helpdesk):
    notice = open_ticket(helpdesk)
    helpdesk.send(TECH, SUBJECT, "#take\n#task done 0h15 Redémarrage", in_reply_to=notice.message_id)

    mails = helpdesk.new_mails()
    confirmations = to_tech(mails)
    assert len(confirmations) == 1
    confirmation = confirmations[0]
    assert confirmation.subject == "[Ticket #1] Ordinateur très lent"
    assert confirmation.message["In-Reply-To"] is not None
    text = lines(confirmation)
    assert "Vos commandes ont été appliquées au ticket #1\u00a0:" in text
    assert "  - pris en charge\n  - tâche de 15\u00a0min ajoutée (fait)\n" in text
    assert "État\u00a0: en cours (attribué)" in text
    assert "Temps passé au total\u00a0: 15\u00a0min" in text
    assert [m.to for m in mails if m.to != TECH] == [LOIC]  # Loïc is told of the task, as before

    # a second intervention: the total counts every task of the ticket
    helpdesk.send(TECH, SUBJECT, "#task done 0h30 Nettoyage du disque")
    confirmation, = to_tech(helpdesk.new_mails())
    assert "  - tâche de 30\u00a0min ajoutée (fait)\n" in lines(confirmation)
    assert "pris en charge" not in confirmation.text  # already hers
    assert "Temps passé au total\u00a0: 45\u00a0min" in confirmation.text


def test_a_refused_line_gets_one_reply_listing_it_and_nothing_is_applied(helpdesk):
    notice = open_ticket(helpdesk)
    helpdesk.send(TECH, SUBJECT, "#take\n#tsk done 0h15 Redémarrage", in_reply_to=notice.message_id)

    mails = helpdesk.new_mails()
    reply, = to_tech(mails)
    assert "Aucune de vos commandes n'a été appliquée au ticket #1" in reply.text
    assert "Ligne 2\u00a0: #tsk done 0h15 Redémarrage" in reply.text
    assert "appliquées au ticket" not in reply.text
    assert mails == [reply]  # nobody else hears of it
    ticket = helpdesk.show(1)
    assert (ticket["status"], ticket["assignees"], ticket["tasks"]) == ("new", [], [])


def test_the_confirmation_goes_only_to_the_technician_who_wrote(helpdesk):
    notice = open_ticket(helpdesk)
    helpdesk.cli("users", "add", "sami.tech@lycee.example", "--name", "Sami Tech", "--technician")
    helpdesk.send(TECH, SUBJECT, "#private\n#task done 0h10 Vérification du câble",
                  in_reply_to=notice.message_id)

    confirmations = [m for m in helpdesk.new_mails() if "appliquées" in m.text]
    assert [m.to for m in confirmations] == [TECH]
    assert "en privé\u00a0: seule l'équipe technique le voit" in confirmations[0].text


def test_help_alone_gets_the_help_not_a_confirmation(helpdesk):
    notice = open_ticket(helpdesk)
    helpdesk.send(TECH, SUBJECT, "#help", in_reply_to=notice.message_id)

    reply, = to_tech(helpdesk.new_mails())
    assert "appliquées" not in reply.text and "#task" in reply.text


def test_confirmations_fall_under_the_hourly_limit_of_automatic_answers(tmp_path):
    from tests.scenario.helpdesk import Helpdesk

    helpdesk = Helpdesk(tmp_path, automail_limit=2)
    try:
        notice = open_ticket(helpdesk)
        for minutes in (10, 20, 30):
            helpdesk.send(TECH, SUBJECT, f"#task done 0h{minutes} Essai", in_reply_to=notice.message_id)
        assert len(to_tech(helpdesk.new_mails())) == 2  # the third is held back, the tasks all kept
        assert [t["duration_minutes"] for t in helpdesk.show(1)["tasks"]] == [10, 20, 30]
        helpdesk.clock.advance(hours=1, minutes=1)
        helpdesk.send(TECH, SUBJECT, "#task done 0h05 Essai", in_reply_to=notice.message_id)
        confirmation, = to_tech(helpdesk.new_mails())
        assert "Temps passé au total\u00a0: 1\u00a0h\u00a005" in confirmation.text
    finally:
        helpdesk.close()
