"""`mailbot tickets …` and `mailbot documents …`: looking at tickets and writing out their stored documents."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from mailbot.cli.common import PLAIN, JsonFlag, display_tz, emit, make_app, print_json, read_only
from mailbot.errors import MailbotError

tickets_cli = typer.Typer(help="Looking at tickets.", **PLAIN)
documents_cli = typer.Typer(help="The documents (attachments) stored on tickets.", **PLAIN)

TicketId = Annotated[int, typer.Argument(metavar="ID", help="The ticket's number.", show_default=False)]
DEFAULT_LIMIT = 200


@tickets_cli.command("list")
def tickets_list(status: Annotated[str | None, typer.Option(metavar="STATUS", help=(
                     "Only this status: new, assigned, planned, waiting, solved or closed."))] = None,
                 view: Annotated[str, typer.Option(metavar="VIEW", help="personal, group or global.")] = "global",
                 as_email: Annotated[str | None, typer.Option("--as", metavar="EMAIL",
                                                              help="The technician whose view it is.")] = None,
                 limit: Annotated[int, typer.Option(metavar="N", min=1, help="Show at most N tickets.")]
                 = DEFAULT_LIMIT,
                 show_all: Annotated[bool, typer.Option("--all", help="Show every ticket (no --limit).")] = False,
                 as_json: JsonFlag = False) -> None:
    """The technicians' views: open tickets, most recently updated first, after how many there are."""
    from mailbot.textview import count_line, local_time
    from mailbot.workflow.states import Status
    from mailbot.workflow.views import VIEWS, count_tickets, list_tickets, summary_json

    if status is not None and status not in {s.value for s in Status}:
        raise MailbotError(f"--status: unknown status {status!r} (one of {', '.join(s.value for s in Status)})")
    if view not in VIEWS:
        raise MailbotError(f"--view: unknown view {view!r} (one of {', '.join(VIEWS)})")
    where = {"status": status, "view": view, "as_email": as_email}
    rows, total = read_only(lambda session: (
        [summary_json(t) for t in list_tickets(session, **where, limit=None if show_all else limit)],
        count_tickets(session, **where)))
    what = f"{status} tickets" if status else "open tickets"
    what += {"personal": f" assigned to {as_email}", "group": f" of {as_email}'s group"}.get(view, "")
    if as_json:
        if len(rows) < total:  # stdout stays the JSON list; the cut is said on stderr
            typer.echo(f"mailbot: {count_line(len(rows), total, what)}", err=True)
        print_json(rows)
        return
    tz = display_tz()
    typer.echo(count_line(len(rows), total, what))
    for row in rows:
        items = f"  [{', '.join(row['items'])}]" if row["items"] else ""
        typer.echo(f"#{row['id']:<6} {row['status']:<9} {local_time(row['updated_at'], tz)}  "
                   f"{row['title'][:50]:<50} {row['requester']}{items}")


@tickets_cli.command("show")
def tickets_show(ticket_id: TicketId, as_json: JsonFlag = False) -> None:
    """One ticket, whole."""
    from mailbot.textview import ticket_text
    from mailbot.workflow.views import get_ticket, ticket_json

    data = read_only(lambda session: ticket_json(get_ticket(session, ticket_id)))
    emit(data, as_json, lambda: [ticket_text(data, display_tz())])


@documents_cli.command("list")
def documents_list(ticket_id: Annotated[int | None, typer.Option("--ticket", metavar="ID",
                                                                  help="Only this ticket's documents.")] = None,
                   as_json: JsonFlag = False) -> None:
    """The stored documents under their original names, oldest first."""
    from mailbot.workflow.views import document_json, list_documents

    rows = read_only(lambda session: [document_json(d) for d in list_documents(session, ticket_id)])
    emit(rows, as_json, lambda: (
        f"{d['id']:<6} #{d['ticket']:<6} {d['size']:>10} {d['content_type'][:30]:<30} {d['filename']}"
        for d in rows), empty="no documents" + (f" on ticket #{ticket_id}" if ticket_id is not None else ""))


@documents_cli.command("get")
def documents_get(document_id: Annotated[int, typer.Argument(metavar="ID", show_default=False,
                                                             help="The document's number (documents list).")],
                  output: Annotated[str | None, typer.Option("--output", "-o", metavar="PATH", help=(
                      "Where to write it (a file or a folder; - for stdout). "
                      "Default: its original name in the current folder."))] = None) -> None:
    """Write a stored document out, under its original name unless --output says otherwise."""
    from pathlib import Path

    from mailbot.operations import document_file

    name, data = document_file(make_app(), document_id)
    if output == "-":
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
        return
    target = Path(output) if output else Path(name)
    if target.is_dir():
        target = target / name
    if target.exists() and not output:
        raise MailbotError(f"{target} already exists (--output PATH writes it elsewhere)")
    target.write_bytes(data)
    typer.echo(f"wrote {target} ({len(data)} bytes)", err=True)
