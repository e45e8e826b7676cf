"""Calendar invitations carried by the mails that plan or cancel a task (docs/BEHAVIOUR.md,
"Planned tasks in your calendar").

An outbox row holds an invitation as plain values (`invitations`, written by
workflow/planning.py `invitation_values`, in the row's context or in the parts of a merged
notification). When the row is sent, those meant for its recipient (the technician who planned
the task) become iCalendar parts (outbound/calendar.py `invitation`): the first is the mail's
last alternative, `text/calendar; method=REQUEST|CANCEL`, where calendar applications look for
it; any other (two tasks planned in one mail: an iTIP object names one event) is attached as an
`.ics` file of its own.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping, Sequence
from datetime import datetime
from email.message import Message
from typing import Any

from mailbot.workflow.planning import PlannedTask

# icalendar (outbound/calendar.py) is imported by the two functions below only: most mails carry
# no invitation, and its import is ~50 ms of every `mailbot ingest -` that processes in-process.


def wanted(context: Mapping[str, Any], recipient: str) -> list[dict[str, Any]]:
    """The invitations of a row meant for `recipient`, in order; for one task, the last one
    said wins (a task planned and its ticket closed by the same mail: only the CANCEL)."""
    found: dict[int, dict[str, Any]] = {}
    for source in (context, *(context.get("parts") or ())):
        for values in source.get("invitations") or ():
            if str(values.get("technician", "")).lower() == recipient.lower():
                found.pop(int(values["task_id"]), None)
                found[int(values["task_id"])] = dict(values)
    return list(found.values())


def planned_task(values: Mapping[str, Any]) -> PlannedTask:
    return PlannedTask(
        task_id=int(values["task_id"]), ticket_id=int(values["ticket_id"]), ticket_title=str(values["title"]),
        ticket_status=str(values.get("status", "")), content=str(values.get("content") or ""),
        state=str(values.get("state", "todo")), begin=datetime.fromisoformat(values["begin"]),
        end=datetime.fromisoformat(values["end"]), duration_minutes=int(values.get("duration_minutes") or 0),
        technician=str(values["technician"]), technician_name=str(values.get("technician_name") or ""),
        private=bool(values.get("private")), created_at=datetime.fromisoformat(values["stamp"]))


def ics_of(values: Mapping[str, Any], *, organizer: str, organizer_name: str = "") -> bytes:
    """The iTIP message (RFC 5546) of one invitation: organised by the helpdesk (named
    MAILBOT_HELPDESK_NAME when set), its technician invited by name; the UID is the calendar
    feed's, so a calendar updates the event it already has."""
    from mailbot.outbound.calendar import invitation

    technician = str(values["technician"])
    return invitation(planned_task(values), method=str(values["method"]), organizer=organizer,
                      attendees=[technician], domain=organizer.rpartition("@")[2] or "localhost",
                      sequence=int(values.get("sequence") or 0),
                      names={organizer: organizer_name, technician: str(values.get("technician_name") or "")})


def ics_file(ics: bytes, method: str, number: int, policy: Any) -> Message:
    """An invitation beyond the first, attached as a file."""
    part = Message(policy)
    part["Content-Type"] = f'text/calendar; method={method}; charset="utf-8"; name="invitation-{number}.ics"'
    part.add_header("Content-Disposition", "attachment", filename=f"invitation-{number}.ics")
    part["Content-Transfer-Encoding"] = "base64"
    part.set_payload(base64.encodebytes(ics).decode("ascii"))
    return part


def attach(message: Message, alternative: Message, values: Sequence[Mapping[str, Any]], *,
           organizer: str, policy: Any, organizer_name: str = "") -> None:
    """The first invitation into `alternative` (multipart/alternative), the others into
    `message` (multipart/mixed) as files; `message` is `alternative` when only one is given."""
    for number, one in enumerate(values, start=1):
        ics = ics_of(one, organizer=organizer, organizer_name=organizer_name)
        if number == 1:
            from mailbot.outbound.calendar import add_invitation

            add_invitation(alternative, ics, str(one["method"]))
        else:
            message.attach(ics_file(ics, str(one["method"]), number, policy))
