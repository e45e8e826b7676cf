"""Planned tasks as iCalendar (RFC 5545), made with the icalendar library: the calendar a
technician subscribes to (the web desk's `.ics` feed, `mailbot planning --ics`), and the
invitations (RFC 5546 REQUEST / CANCEL) a mail about a planned task may carry. One event per
task, times in UTC, the task's number in its UID so that a calendar recognises it again."""

from __future__ import annotations

import base64
from collections.abc import Callable, Mapping, Sequence
from email.message import Message

from icalendar import Calendar, Event, vCalAddress

from mailbot.workflow.planning import PlannedTask

PRODID = "-//mailbot//helpdesk planning//EN"


def task_uid(task_id: int, domain: str) -> str:
    return f"mailbot-task-{task_id}@{domain}"


def task_event(task: PlannedTask, domain: str, url: str | None = None) -> Event:
    event = Event()
    event.add("uid", task_uid(task.task_id, domain))
    event.add("dtstamp", task.created_at)
    event.add("dtstart", task.begin)
    event.add("dtend", task.end)
    event.add("summary", f"#{task.ticket_id} {task.ticket_title}")
    if task.content:
        event.add("description", task.content)
    if url:
        event.add("url", url)
    event.add("status", "CONFIRMED")
    event.add("class", "PRIVATE" if task.private else "PUBLIC")
    return event


def planning_calendar(tasks: Sequence[PlannedTask], *, name: str, domain: str,
                      ticket_url: Callable[[int], str] | None = None) -> bytes:
    """A calendar of `tasks` named `name` (X-WR-CALNAME, what calendar applications show)."""
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", name)
    for task in tasks:
        calendar.add_component(task_event(task, domain, ticket_url(task.ticket_id) if ticket_url else None))
    return calendar.to_ical()


METHODS = ("REQUEST", "CANCEL")


def invitation(task: PlannedTask, *, method: str, organizer: str, attendees: Sequence[str], domain: str,
               sequence: int = 0, url: str | None = None, names: Mapping[str, str] | None = None) -> bytes:
    """An iTIP message (RFC 5546) for one planned task: REQUEST when it is planned or moved (a
    higher `sequence` each time), CANCEL when it no longer happens; the same UID as the calendar
    feed's event, so that a calendar updates the event it has rather than adding one. `names`:
    the display name (CN) of the organizer's and attendees' addresses, when known."""
    names = names or {}
    if method not in METHODS:
        raise ValueError(f"method must be one of {', '.join(METHODS)}")
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("method", method)
    event = task_event(task, domain, url)
    event.add("organizer", vCalAddress(f"mailto:{organizer}"),
              parameters={"CN": names[organizer]} if names.get(organizer) else {})
    for attendee in attendees:
        event.add("attendee", vCalAddress(f"mailto:{attendee}"),
                  parameters={"ROLE": "REQ-PARTICIPANT", "RSVP": "FALSE",
                              **({"CN": names[attendee]} if names.get(attendee) else {})})
    event.add("sequence", sequence)
    if method == "CANCEL":
        event["status"] = "CANCELLED"
    calendar.add_component(event)
    return calendar.to_ical()


def add_invitation(message: Message, ics: bytes, method: str) -> Message:
    """Adds the invitation to a rendered mail (multipart/alternative) as its last alternative,
    `text/calendar; method=…`, where calendar clients (Outlook, Thunderbird, Gmail) look for it."""
    if message.get_content_type() != "multipart/alternative":
        raise ValueError("an invitation goes into a multipart/alternative mail")
    part = Message(policy=message.policy)
    part["Content-Type"] = f'text/calendar; method={method}; charset="utf-8"'
    part["Content-Transfer-Encoding"] = "base64"
    part.set_payload(base64.encodebytes(ics).decode("ascii"))
    message.attach(part)
    return message
