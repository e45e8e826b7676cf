"""outbound/calendar.py: planned tasks as an iCalendar feed and as RFC 5546 invitations, read
back by icalendar's parser and checked against the properties RFC 5545/5546 require."""

import email
from datetime import UTC, datetime, timedelta
from email.policy import default as default_policy

import pytest
from icalendar import Calendar

from mailbot.outbound.calendar import add_invitation, invitation, planning_calendar
from mailbot.outbound.render import render
from mailbot.workflow.planning import PlannedTask
from tests.unit.test_render import PARIS, outbox_row

BEGIN = datetime(2026, 12, 1, 13, 0, tzinfo=UTC)
TASK = PlannedTask(task_id=7, ticket_id=59, ticket_title="Imprimante en panne", ticket_status="planned",
                   content="Changer le toner", state="todo", begin=BEGIN, end=BEGIN + timedelta(minutes=90),
                   duration_minutes=90, technician="camille@lycee.example", technician_name="Camille",
                   private=False, created_at=BEGIN - timedelta(days=1))
# RFC 5546 §3.2.2 (REQUEST) and §3.2.5 (CANCEL): what a VEVENT must hold
REQUIRED = {"REQUEST": {"ATTENDEE", "DTSTAMP", "DTSTART", "ORGANIZER", "SUMMARY", "UID"},
            "CANCEL": {"ATTENDEE", "DTSTAMP", "ORGANIZER", "SEQUENCE", "UID"}}


def _event(ics: bytes):  # type: ignore[no-untyped-def]
    calendar = Calendar.from_ical(ics)
    (event,) = calendar.walk("VEVENT")
    return calendar, event


def test_the_feed_calendar_publishes_one_event_per_task():
    calendar, event = _event(planning_calendar([TASK], name="Planning – Camille", domain="lycee.example",
                                               ticket_url=lambda i: f"https://desk.example/tickets/{i}"))
    assert (str(calendar["METHOD"]), str(calendar["VERSION"])) == ("PUBLISH", "2.0") and "PRODID" in calendar
    assert str(event["UID"]) == "mailbot-task-7@lycee.example"
    assert (event.decoded("DTSTART"), event.decoded("DTEND")) == (BEGIN, BEGIN + timedelta(minutes=90))
    assert str(event["URL"]) == "https://desk.example/tickets/59"


@pytest.mark.parametrize("method", ["REQUEST", "CANCEL"])
def test_an_invitation_holds_what_rfc_5546_requires(method):
    calendar, event = _event(invitation(TASK, method=method, organizer="helpdesk@lycee.example",
                                        attendees=["camille@lycee.example"], domain="lycee.example",
                                        sequence=1 if method == "CANCEL" else 0))
    assert str(calendar["METHOD"]) == method
    assert REQUIRED[method] <= set(event.keys()), REQUIRED[method] - set(event.keys())
    assert str(event["ORGANIZER"]) == "mailto:helpdesk@lycee.example"
    assert str(event["ATTENDEE"]) == "mailto:camille@lycee.example"
    assert str(event["UID"]) == "mailbot-task-7@lycee.example"  # the feed's: the same event is updated
    if method == "CANCEL":
        assert str(event["STATUS"]) == "CANCELLED" and int(event["SEQUENCE"]) == 1


def test_an_unknown_method_is_refused():
    with pytest.raises(ValueError):
        invitation(TASK, method="PUBLISHED", organizer="h@l.example", attendees=[], domain="l.example")


def test_the_invitation_is_the_mails_last_alternative_as_text_calendar():
    message = render(outbox_row("task_added"), helpdesk_address="helpdesk@lycee.example", subject_tag="Ticket",
                     timezone=PARIS)
    ics = invitation(TASK, method="REQUEST", organizer="helpdesk@lycee.example",
                     attendees=["camille@lycee.example"], domain="lycee.example")
    parsed = email.message_from_bytes(add_invitation(message, ics, "REQUEST").as_bytes(), policy=default_policy)
    parts = list(parsed.iter_parts())
    assert [p.get_content_type() for p in parts] == ["text/plain", "text/html", "text/calendar"]
    assert parts[2].get_param("method") == "REQUEST"
    assert Calendar.from_ical(parts[2].get_content()).walk("VEVENT")[0]["SUMMARY"] == "#59 Imprimante en panne"
