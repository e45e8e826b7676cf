"""A task planned by mail reaches its technician's calendar: the confirmation carries an
iCalendar invitation (RFC 5546 REQUEST), and the mail that tells its technician the ticket is
closed before the task took place carries the CANCEL of the same event. Read back with the
icalendar parser and checked against what RFC 5545/5546 require of REQUEST and CANCEL."""

from datetime import UTC, datetime

from icalendar import Calendar

LOIC = "loic.medori@lycee.example"
TECH = "camille.tech@lycee.example"
SAM = "sami.tech@lycee.example"
HELPDESK = "helpdesk@lycee.example"
PLAN = "#task 1h @ 02/12/2026 14h00 Pose de la barrette"
# RFC 5546 §3.2.2 (REQUEST) and §3.2.5 (CANCEL): what the VEVENT must hold
REQUIRED = {"REQUEST": {"ATTENDEE", "DTSTAMP", "DTSTART", "ORGANIZER", "SEQUENCE", "SUMMARY", "UID"},
            "CANCEL": {"ATTENDEE", "DTSTAMP", "ORGANIZER", "SEQUENCE", "UID", "STATUS"}}


def calendar_parts(mail) -> list:  # type: ignore[no-untyped-def]
    return [part for part in mail.message.walk() if part.get_content_type() == "text/calendar"]


def the_invitation(mail, method: str):  # type: ignore[no-untyped-def]
    """The mail's one invitation, checked as an iTIP message of `method`: its VEVENT."""
    (part,) = calendar_parts(mail)
    assert part.get_param("method") == method
    calendar = Calendar.from_ical(part.get_content())
    assert (str(calendar["METHOD"]), str(calendar["VERSION"])) == (method, "2.0") and "PRODID" in calendar
    (event,) = calendar.walk("VEVENT")
    assert REQUIRED[method] <= set(event.keys()), REQUIRED[method] - set(event.keys())
    assert str(event["ORGANIZER"]) == f"mailto:{HELPDESK}"
    assert str(event["ATTENDEE"]) == f"mailto:{TECH}"
    return event


def opened_and_taken(helpdesk) -> None:  # type: ignore[no-untyped-def]
    helpdesk.cli("users", "add", TECH, "--name", "Camille Tech", "--technician")
    helpdesk.send(f"Loïc Medori <{LOIC}>", "Ordinateur très lent", "L'ordinateur 203-02 est très lent.")
    helpdesk.send(TECH, "Re: [Ticket #1] Ordinateur très lent", "#take")
    helpdesk.new_mails()


def test_the_confirmation_of_a_planned_task_carries_its_invitation(helpdesk):
    opened_and_taken(helpdesk)
    helpdesk.send(TECH, "Re: [Ticket #1] Ordinateur très lent", PLAN)

    mails = {mail.to: mail for mail in helpdesk.new_mails()}
    event = the_invitation(mails[TECH], "REQUEST")
    assert str(event["UID"]) == "mailbot-task-1@lycee.example"
    assert int(event["SEQUENCE"]) == 0
    # 14 h in Paris on 2 December is 13:00 UTC; one hour long
    assert (event.decoded("DTSTART"), event.decoded("DTEND")) == (
        datetime(2026, 12, 2, 13, 0, tzinfo=UTC), datetime(2026, 12, 2, 14, 0, tzinfo=UTC))
    assert event["ATTENDEE"].params["CN"] == "Camille Tech"  # what the calendar shows of the people
    assert "CN" not in event["ORGANIZER"].params  # MAILBOT_HELPDESK_NAME unset: the address alone
    assert str(event["SUMMARY"]) == "#1 Ordinateur très lent"
    assert str(event["DESCRIPTION"]) == "Pose de la barrette"
    assert event.decoded("DTSTAMP") == helpdesk.clock.now
    assert ("Invitation jointe pour votre agenda\u00a0: #1 Ordinateur très lent, le mercredi 2 décembre 2026"
            " à 14\u00a0h.\n") in mails[TECH].text.replace("\r\n", "\n")
    # the requester reads of the task, without an invitation to someone else's appointment
    assert "Pose de la barrette" in mails[LOIC].text and calendar_parts(mails[LOIC]) == []


def test_the_other_technicians_are_told_of_the_task_without_an_invitation(helpdesk):
    opened_and_taken(helpdesk)
    helpdesk.cli("users", "add", SAM, "--name", "Sami Tech", "--technician")
    helpdesk.send(TECH, "Re: [Ticket #1] Ordinateur très lent", f"#assign {SAM}")
    helpdesk.new_mails()
    helpdesk.send(TECH, "Re: [Ticket #1] Ordinateur très lent", PLAN)

    mails = {mail.to: mail for mail in helpdesk.new_mails()}
    assert "Pose de la barrette" in mails[SAM].text and calendar_parts(mails[SAM]) == []
    the_invitation(mails[TECH], "REQUEST")


def test_a_task_planned_in_the_past_gets_no_invitation(helpdesk):
    opened_and_taken(helpdesk)
    helpdesk.send(TECH, "Re: [Ticket #1] Ordinateur très lent", "#task done 1h @ 27/11/2026 10h00 Diagnostic")

    (confirmation,) = [mail for mail in helpdesk.new_mails() if mail.to == TECH]
    assert "vendredi 27 novembre 2026 à 10\u00a0h" in confirmation.text
    assert calendar_parts(confirmation) == []


def test_closing_the_ticket_cancels_the_task_still_to_come_in_the_closers_confirmation(helpdesk):
    opened_and_taken(helpdesk)
    helpdesk.send(TECH, "Re: [Ticket #1] Ordinateur très lent", PLAN)
    helpdesk.new_mails()
    helpdesk.clock.advance(hours=2)
    helpdesk.send(TECH, "Re: [Ticket #1] Ordinateur très lent", "#close Remplacé par un autre poste")

    (confirmation,) = [mail for mail in helpdesk.new_mails() if mail.to == TECH]
    event = the_invitation(confirmation, "CANCEL")
    assert str(event["UID"]) == "mailbot-task-1@lycee.example"  # the event the REQUEST added
    assert (int(event["SEQUENCE"]), str(event["STATUS"])) == (1, "CANCELLED")
    assert event.decoded("DTSTAMP") == helpdesk.clock.now
    assert ("Annulation jointe pour votre agenda\u00a0: #1 Ordinateur très lent, le mercredi 2 décembre 2026"
            " à 14\u00a0h (le ticket est clos).") in confirmation.text


def test_the_requesters_approval_cancels_the_task_in_the_technicians_closing_notice(helpdesk):
    opened_and_taken(helpdesk)
    helpdesk.send(TECH, "Re: [Ticket #1] Ordinateur très lent", f"{PLAN}\n#solve Barrette commandée, posée mercredi")
    helpdesk.new_mails()
    helpdesk.send(LOIC, "Re: [Ticket #1] Ordinateur très lent", "Oui, merci !")

    mails = {mail.to: mail for mail in helpdesk.new_mails()}
    event = the_invitation(mails[TECH], "CANCEL")
    assert (str(event["UID"]), int(event["SEQUENCE"])) == ("mailbot-task-1@lycee.example", 1)
    assert calendar_parts(mails[LOIC]) == []


def test_the_cancel_reaches_the_technician_who_planned_even_when_the_closing_is_not_for_them(helpdesk):
    """Camille plans a task on Sami's ticket (she is not an assignee: nobody tells her of the
    closing); when Sami closes it, the CANCEL reaches her anyway, in the closing notice."""
    helpdesk.cli("users", "add", TECH, "--name", "Camille Tech", "--technician")
    helpdesk.cli("users", "add", SAM, "--name", "Sami Tech", "--technician")
    helpdesk.send(f"Loïc Medori <{LOIC}>", "Ordinateur très lent", "L'ordinateur 203-02 est très lent.")
    helpdesk.send(SAM, "Re: [Ticket #1] Ordinateur très lent", "#take")
    helpdesk.send(TECH, "Re: [Ticket #1] Ordinateur très lent", PLAN)
    the_invitation({mail.to: mail for mail in helpdesk.new_mails()}[TECH], "REQUEST")
    assert [a["email"] if isinstance(a, dict) else a for a in helpdesk.show(1)["assignees"]] == [SAM]
    helpdesk.clock.advance(hours=2)
    helpdesk.send(SAM, "Re: [Ticket #1] Ordinateur très lent", "#close Remplacé par un autre poste")

    mails = {mail.to: mail for mail in helpdesk.new_mails()}
    event = the_invitation(mails[TECH], "CANCEL")
    assert (str(event["UID"]), int(event["SEQUENCE"])) == ("mailbot-task-1@lycee.example", 1)
    assert "Remplacé par un autre poste" in mails[TECH].text  # the closing notice, as a technician reads it
    assert calendar_parts(mails[SAM]) == [] and calendar_parts(mails[LOIC]) == []


def test_a_ticket_closed_after_its_task_took_place_cancels_nothing(helpdesk):
    opened_and_taken(helpdesk)
    helpdesk.send(TECH, "Re: [Ticket #1] Ordinateur très lent", PLAN)
    helpdesk.clock.advance(days=3)  # Thursday 3 December: the task is over
    helpdesk.new_mails()
    helpdesk.send(TECH, "Re: [Ticket #1] Ordinateur très lent", "#close")

    (confirmation,) = [mail for mail in helpdesk.new_mails() if mail.to == TECH]
    assert calendar_parts(confirmation) == []


def test_two_tasks_planned_in_one_mail_give_two_invitations(helpdesk):
    opened_and_taken(helpdesk)
    helpdesk.send(TECH, "Re: [Ticket #1] Ordinateur très lent",
                  f"{PLAN}\n#task 0h30 @ 03/12/2026 09h00 Vérification")

    (confirmation,) = [mail for mail in helpdesk.new_mails() if mail.to == TECH]
    parts = calendar_parts(confirmation)
    uids = [str(Calendar.from_ical(part.get_content()).walk("VEVENT")[0]["UID"]) for part in parts]
    assert uids == ["mailbot-task-1@lycee.example", "mailbot-task-2@lycee.example"]
    assert [part.get_param("method") for part in parts] == ["REQUEST", "REQUEST"]
    assert parts[1].get_filename() == "invitation-2.ics"


def test_an_english_technician_reads_of_the_invitation_in_english(helpdesk):
    helpdesk.cli("users", "add", TECH, "--name", "Camille Tech", "--technician", "--language", "en")
    helpdesk.send(f"Loïc Medori <{LOIC}>", "Ordinateur très lent", "L'ordinateur 203-02 est très lent.")
    helpdesk.send(TECH, "Re: [Ticket #1] Ordinateur très lent", "#task 1h @ 2026-12-02 14:00 Memory module")
    helpdesk.new_mails()
    helpdesk.send(TECH, "Re: [Ticket #1] Ordinateur très lent", "#close")

    (confirmation,) = [mail for mail in helpdesk.new_mails() if mail.to == TECH]
    the_invitation(confirmation, "CANCEL")
    assert ("Cancellation for your calendar attached: #1 Ordinateur très lent, Wednesday 2 December 2026"
            " at 14:00 (the ticket is closed).") in confirmation.text
    html = confirmation.message.get_body(("html",)).get_content()
    assert "Cancellation for your calendar attached: <strong>#1 Ordinateur très lent</strong>" in html


def test_only_the_technicians_outbox_row_keeps_the_invitation(helpdesk):
    from sqlalchemy import select

    from mailbot.workflow.models import Notification

    opened_and_taken(helpdesk)
    helpdesk.send(TECH, "Re: [Ticket #1] Ordinateur très lent", f"{PLAN}\n#solve Barrette posée")
    helpdesk.send(LOIC, "Re: [Ticket #1] Ordinateur très lent", "Oui, merci !")

    with helpdesk.app.db.transaction() as session:
        rows = session.scalars(select(Notification).where(Notification.event == "closed")).all()
        kept = {row.recipient: [i["method"] for part in row.context["parts"] for i in part.get("invitations", ())]
                for row in rows}
    assert kept == {LOIC: [], TECH: ["CANCEL"]}


def test_a_task_planned_in_a_technicians_new_mail_is_invited_too(helpdesk):
    helpdesk.cli("users", "add", TECH, "--name", "Camille Tech", "--technician")
    helpdesk.send(TECH, "Vidéoprojecteur salle 203", f"Appel de Loïc : plus d'image.\n#take\n{PLAN}")

    (confirmation,) = [mail for mail in helpdesk.new_mails() if mail.to == TECH]
    event = the_invitation(confirmation, "REQUEST")
    assert (str(event["UID"]), str(event["SUMMARY"])) == ("mailbot-task-1@lycee.example", "#1 Vidéoprojecteur salle 203")


def test_the_organizer_is_named_as_the_helpdesk_signs_its_mail(tmp_path):
    from tests.scenario.helpdesk import Helpdesk

    desk = Helpdesk(tmp_path, helpdesk_name="Assistance informatique – Lycée Jean Moulin")
    try:
        opened_and_taken(desk)
        desk.send(TECH, "Re: [Ticket #1] Ordinateur très lent", PLAN)
        (confirmation,) = [mail for mail in desk.new_mails() if mail.to == TECH]
        event = the_invitation(confirmation, "REQUEST")
        assert event["ORGANIZER"].params["CN"] == "Assistance informatique – Lycée Jean Moulin"
    finally:
        desk.close()
