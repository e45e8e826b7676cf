"""MAILBOT_HELPDESK_NAME reaches the mails people get: the sender name and the footer's signature."""

from tests.scenario.helpdesk import Helpdesk

NAME = "Assistance informatique – Lycée Jean Moulin"


def test_every_mail_comes_from_the_helpdesk_name(tmp_path):
    desk = Helpdesk(tmp_path, helpdesk_name=NAME)
    try:
        desk.send("prof@lycee.example", "Wifi en panne", "Plus de wifi en salle 12.")
        mails = desk.new_mails()
    finally:
        desk.close()

    assert mails
    for mail in mails:
        sender = mail.message["From"].addresses[0]
        assert (sender.display_name, sender.addr_spec) == (NAME, "helpdesk@lycee.example")
        assert mail.text.rstrip().splitlines()[-1] == (
            f"Message envoyé automatiquement par {NAME} (helpdesk@lycee.example).")
