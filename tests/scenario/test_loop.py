"""mailbot talking to auto-responders (SPEC §3.1, §6): the exchange stops by itself, and
out-of-office replies and bounces never make a ticket or an answer."""

import email
from email.message import EmailMessage
from email.policy import default as default_policy
from email.utils import make_msgid

import pytest

from tests.scenario.helpdesk import Helpdesk

AWAY = "prof.absent@lycee.example"
HELPDESK = "helpdesk@lycee.example"


def responder_reply(sent, *, polite: bool, threaded: bool) -> bytes:
    """What an auto-responder answers to one of our mails. An unthreaded naive one writes
    its own subject, so that nothing ties its answer to the ticket."""
    reply = EmailMessage()
    reply["From"], reply["To"] = AWAY, HELPDESK
    if polite:
        reply["Subject"] = "Réponse automatique : " + sent.subject
    else:
        reply["Subject"] = "Re: " + sent.subject if threaded else "I'm away"
    reply["Message-ID"] = make_msgid(domain="away.example")
    if threaded:
        reply["In-Reply-To"] = f"<{sent.message_id}>"
    if polite:
        reply["Auto-Submitted"] = "auto-replied"
    reply.set_content("I'm away until Monday.")
    return reply.as_bytes()


def play(desk, *, polite: bool, threaded: bool, rounds: int = 60) -> int:
    """Feed every mail the helpdesk writes to the responder back in; returns how many it wrote."""
    desk.send(AWAY, "Vidéoprojecteur HS", "Le vidéoprojecteur de la salle 12 ne s'allume plus.")
    written = 0
    for _ in range(rounds):
        to_responder = [m for m in desk.new_mails() if m.to == AWAY]
        written += len(to_responder)
        if not to_responder:
            break
        for sent in to_responder:
            desk.app.process(responder_reply(sent, polite=polite, threaded=threaded), "direct")
            desk.app.wait_for_delivery()
    return written


@pytest.mark.parametrize("threaded", [True, False])
def test_a_polite_auto_responder_gets_one_acknowledgement_and_nothing_more(helpdesk, threaded):
    assert play(helpdesk, polite=True, threaded=threaded) == 1
    ticket = helpdesk.show(1)
    assert ticket["status"] == "new"
    assert all(f["private"] for f in ticket["followups"])
    assert helpdesk.cli_json("tickets", "list") and len(helpdesk.cli_json("tickets", "list")) == 1


def test_a_naive_responder_replying_in_thread_stops_after_one_mail(helpdesk):
    # its "I'm away" is a followup by the requester, who is never told about their own action
    assert play(helpdesk, polite=False, threaded=True) == 1


def test_a_naive_responder_that_starts_new_threads_is_stopped_by_the_hourly_limit(tmp_path):
    desk = Helpdesk(tmp_path, automail_limit=3)
    try:
        written = play(desk, polite=False, threaded=False)
        held = [n for n in desk.cli_json("tickets", "list")]
    finally:
        desk.close()
    # each "I'm away" opens a ticket, but only 3 acknowledgements an hour go back to it
    assert written == 3 and len(held) > 3


def test_out_of_office_on_an_open_ticket_is_a_private_note_and_changes_nothing(helpdesk, fixture_email):
    helpdesk.send("Loïc Medori <loic.medori@lycee.example>", "Wifi salle 12", "Le wifi ne marche plus.")
    ack = next(m for m in helpdesk.new_mails() if m.to == "loic.medori@lycee.example")
    raw = responder_reply(ack, polite=True, threaded=True).replace(AWAY.encode(), b"loic.medori@lycee.example")
    result = helpdesk.app.process(raw, "direct")
    helpdesk.app.wait_for_delivery()
    assert result.outcome == "followup"
    ticket = helpdesk.show(1)
    assert ticket["status"] == "new" and ticket["followups"][-1]["private"] is True
    assert helpdesk.new_mails() == []


def test_a_bounce_of_our_notification_marks_it_bounced_and_leaves_a_private_note(helpdesk):
    helpdesk.send("Loïc Medori <loic.medori@lycee.example>", "Wifi salle 12", "Le wifi ne marche plus.")
    ack = next(m for m in helpdesk.new_mails() if m.to == "loic.medori@lycee.example")
    bounce = EmailMessage()
    bounce["From"] = "MAILER-DAEMON@mx.lycee.example"
    bounce["To"] = HELPDESK
    bounce["Subject"] = "Undelivered Mail Returned to Sender"
    bounce["Message-ID"] = make_msgid(domain="mx.lycee.example")
    bounce.set_content("The mail system: <loic.medori@lycee.example>: mailbox full")
    original = email.message_from_bytes(ack.message.as_bytes(), policy=default_policy)
    bounce.add_attachment(original)
    bounce.replace_header("Content-Type", bounce["Content-Type"].replace("multipart/mixed",
                                                                           "multipart/report"))
    result = helpdesk.app.process(bounce.as_bytes(), "direct")
    helpdesk.app.wait_for_delivery()
    assert result.ticket_id == 1 and result.outcome == "ignored"
    note = helpdesk.show(1)["followups"][-1]
    assert note["private"] and "bounced" in note["content"]
    assert helpdesk.new_mails() == []
    from mailbot.workflow.models import Notification

    with helpdesk.app.db.transaction() as session:
        row = session.query(Notification).filter_by(message_id=ack.message_id).one()
        assert row.status == "bounced"


def test_a_bounce_of_something_else_makes_no_ticket(helpdesk, fixture_email):
    result = helpdesk.app.process(fixture_email("bounce_dsn.eml"), "direct")
    assert result.ticket_id is None and result.outcome == "refused"
    assert helpdesk.new_mails() == []
