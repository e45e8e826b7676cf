"""A technician's address in `From:` is not enough (SPEC §4): with MAILBOT_TRUSTED_AUTHSERV_ID,
a mail signed by another domain and failing DMARC runs none of its commands; its text is kept
as a private followup, like any mail whose commands are refused."""

from tests.scenario.helpdesk import Helpdesk

LOIC = "loic.medori@lycee.example"
TECH = "camille.tech@lycee.example"
MX = "mx.lycee.example"


def open_ticket(tmp_path):
    desk = Helpdesk(tmp_path, trusted_authserv_id=MX)
    desk.cli("users", "add", TECH, "--name", "Camille Tech", "--technician")
    desk.send(LOIC, "Imprimante", "En panne")
    desk.new_mails()
    return desk


def test_a_forged_technician_mail_signed_by_another_domain_changes_nothing(tmp_path):
    desk = open_ticket(tmp_path)
    try:
        before = desk.show(1)
        forged = f"{MX}; dkim=pass header.d=attacker.example; dmarc=fail header.from=lycee.example"
        result = desk.send(TECH, "Re: [Ticket #1] Imprimante", "#solve Toner remplacé\n#private\nRien",
                           headers={"Authentication-Results": forged})
        assert (result.outcome, result.reason) == ("followup", "2 command line(s) refused")  # #solve and #private
        after = desk.show(1)
        kept = after.pop("followups")
        before.pop("followups")
        assert after == before  # status, solution, tasks, people: all as they were
        assert [(f["author"], f["content"], f["private"]) for f in kept] == [
            (TECH, "#solve Toner remplacé\n#private\nRien", True)]  # the mail, kept privately
        (told,) = [m for m in desk.new_mails() if m.to == TECH]
        # in the technician's language (French by default), naming what the trusted server said
        assert (f"commandes refusées\u00a0: {MX} ne garantit pas que le message vient de lycee.example"
                " (dkim=pass header.d=attacker.example; dmarc=fail header.from=lycee.example)") in told.text
    finally:
        desk.close()


def test_the_same_mail_signed_by_the_from_domain_is_applied(tmp_path):
    desk = open_ticket(tmp_path)
    try:
        real = f"{MX}; dkim=pass header.d=lycee.example; dmarc=pass header.from=lycee.example"
        result = desk.send(TECH, "Re: [Ticket #1] Imprimante", "#solve Toner remplacé",
                           headers={"Authentication-Results": real})
        assert (result.outcome, result.reason) == ("followup", "commands applied")
        assert desk.show(1)["status"] == "solved"
    finally:
        desk.close()
