"""A technician's refused command lines are explained in their own language, each under its line;
the approve/refuse links of a solution speak the requester's language and are understood."""

from urllib.parse import unquote

LOIC = "loic.medori@lycee.example"
TECH = "camille.tech@lycee.example"
ALEX = "alex.tech@lycee.example"
SUBJECT = "Re: [Ticket #1] Ordinateur très lent"


def open_ticket(helpdesk):
    helpdesk.cli("users", "add", TECH, "--name", "Camille Tech", "--technician")
    helpdesk.cli("users", "add", ALEX, "--name", "Alex Tech", "--technician", "--language", "en")
    helpdesk.send(f"Loïc Medori <{LOIC}>", "Ordinateur très lent", "L'ordinateur 203-02 est très lent.")
    helpdesk.new_mails()


def the_reply_to(helpdesk, who):
    (reply,) = [m for m in helpdesk.new_mails() if m.to == who]
    return reply.text.replace("\r\n", "\n").splitlines()


def under(lines, line):
    return lines[lines.index(line) + 1]


def test_a_french_technician_gets_french_reasons_under_each_line(helpdesk):
    open_ticket(helpdesk)
    helpdesk.send(TECH, SUBJECT, "#tsk 1h\n#task 1h75 Nettoyage")  # the grammar's reasons
    lines = the_reply_to(helpdesk, TECH)
    assert under(lines, "  Ligne 1\u00a0: #tsk 1h") == \
        "    -> commande inconnue «\u00a0#tsk\u00a0» (vouliez-vous écrire #task\u202f?)"
    assert under(lines, "  Ligne 2\u00a0: #task 1h75 Nettoyage") == \
        "    -> «\u00a01h75\u00a0»\u00a0: les minutes doivent être moins de 60"

    helpdesk.send(TECH, SUBJECT, "#assign prof@lycee.example\n#resume")  # the handlers' reasons
    lines = the_reply_to(helpdesk, TECH)
    assert under(lines, "  Ligne 1\u00a0: #assign prof@lycee.example") == \
        "    -> prof@lycee.example ne fait pas partie de l'équipe technique"
    assert under(lines, "  Ligne 2\u00a0: #resume") == \
        "    -> le ticket n'est pas en attente (il est «\u00a0nouveau\u00a0»)"
    assert helpdesk.show(1)["status"] == "new"  # all or nothing


def test_an_english_technician_gets_english_reasons(helpdesk):
    open_ticket(helpdesk)
    helpdesk.send(ALEX, SUBJECT, "#tsk 1h")
    lines = the_reply_to(helpdesk, ALEX)
    assert under(lines, "  Line 1: #tsk 1h") == "    -> unknown command '#tsk' (did you mean #task?)"

    helpdesk.send(ALEX, SUBJECT, "#assign prof@lycee.example")
    lines = the_reply_to(helpdesk, ALEX)
    assert under(lines, "  Line 1: #assign prof@lycee.example") == "    -> prof@lycee.example is not a technician"


def test_the_french_refuse_link_is_understood(helpdesk):
    open_ticket(helpdesk)
    helpdesk.send(TECH, SUBJECT, "#solve La mémoire a été remplacée.")
    (solution,) = [m for m in helpdesk.new_mails() if m.to == LOIC]
    subjects = [unquote(link.split("subject=", 1)[1]) for link in solution.text.split() if link.startswith("mailto:")]
    assert subjects == ["[Ticket #1] APPROUVER", "[Ticket #1] REFUSER"]

    helpdesk.send(LOIC, subjects[1], "Toujours aussi lent le matin.")
    ticket = helpdesk.show(1)
    assert ticket["status"] != "solved"
    assert ticket["solutions"][-1]["status"] == "refused"
