"""Planned tasks as iCalendar (RFC 5545), made with the icalendar library: the calendar a
technician subscribes to (the web desk's `.ics` feed, `mailbot planning --ics`). One event per
task, times in UTC, the task's number in its UID so that a calendar recognises it again."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from icalendar import Calendar, Event

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
