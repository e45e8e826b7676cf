"""The desk's commands of `mailbot`: `web` (the web desk alone) and `planning` (a technician's
planned tasks as text, JSON or iCalendar)."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Annotated

import typer

from mailbot.cli.common import JsonFlag, display_tz, make_app, print_json, read_only
from mailbot.errors import MailbotError

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from mailbot.workflow.planning import PlannedTask

DEFAULT_DAYS = 7


def web() -> None:
    """Serve the web desk alone on MAILBOT_WEB_LISTEN (`mailbot run` serves it too)."""
    from mailbot.runner import serve_web

    serve_web(make_app())


def planning(
    as_email: Annotated[str, typer.Option("--as", metavar="EMAIL", show_default=False,
                                          help="The technician whose planning it is.")],
    days: Annotated[int, typer.Option(metavar="N", min=1, max=366, help="From now, this many days.")]
    = DEFAULT_DAYS,
    group: Annotated[bool, typer.Option("--group", help="With the tasks of the technician's group.")] = False,
    ics: Annotated[bool, typer.Option("--ics", help="Print an iCalendar file (RFC 5545) instead.")] = False,
    as_json: JsonFlag = False,
) -> None:
    """A technician's planned tasks of the coming days, in time order."""
    from mailbot.outbound.calendar import planning_calendar
    from mailbot.textview import local_time
    from mailbot.workflow.planning import planned_tasks
    from mailbot.workflow.tickets import user_by_email

    app = make_app()
    now = app.clock()

    def query(session: Session) -> tuple[str, list[PlannedTask]]:
        me = user_by_email(session, as_email)
        if me is None or not me.is_technician:
            raise MailbotError(f"--as: {as_email!r} is not a technician (mailbot users list shows them)")
        tasks = planned_tasks(session, now, now + timedelta(days=days), user_id=me.id,
                              group_id=me.group_id if group else None)
        return me.name or me.email, tasks

    name, tasks = read_only(query)
    if ics:
        domain = app.settings.helpdesk_address.rpartition("@")[2] or "localhost"
        typer.echo(planning_calendar(tasks, name=f"Planning – {name}", domain=domain).decode(), nl=False)
        return
    if as_json:
        print_json([{"task": t.task_id, "ticket": t.ticket_id, "title": t.ticket_title, "content": t.content,
                      "state": t.state, "begin": t.begin.isoformat(), "end": t.end.isoformat(),
                      "duration_minutes": t.duration_minutes, "technician": t.technician, "private": t.private}
                     for t in tasks])
        return
    if not tasks:
        typer.echo(f"no planned task in the next {days} day(s) for {as_email}")
        return
    tz = display_tz()
    for t in tasks:
        end = local_time(t.end.isoformat(), tz)[-5:]
        typer.echo(f"{local_time(t.begin.isoformat(), tz)}–{end}  #{t.ticket_id:<6} {t.ticket_title[:40]:<40} "
                   f"{t.state:<11} {t.content[:40]}" + (f"  ({t.technician})" if group else ""))
