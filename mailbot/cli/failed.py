"""`mailbot failed …`: the mails that could not be processed and the notifications given up; retrying a mail."""

from __future__ import annotations

from typing import Annotated

import typer

from mailbot.cli.common import PLAIN, JsonFlag, make_app, print_json

failed_cli = typer.Typer(help="Mails that could not be processed, notifications that could not be sent.",
                         **PLAIN)
MailId = Annotated[int, typer.Argument(metavar="ID", help="The failed mail's number (mailbot failed list).",
                                       show_default=False)]


@failed_cli.command("list")
def failed_list(as_json: JsonFlag = False) -> None:
    """The mails recorded as failed, then the notifications given up; oldest first."""
    from mailbot.operations import failed_list as list_failed
    from mailbot.operations import failed_notifications
    from mailbot.textview import local_time

    app = make_app()
    rows, notifications = list_failed(app), failed_notifications(app)
    if as_json:
        print_json({"mails": rows, "notifications": notifications})
        return
    tz = app.settings.tz
    if not rows:
        typer.echo("no failed mail")
    for row in rows:
        error = (row["error"].splitlines() or [""])[-1]
        typer.echo(f"{row['id']:<6} {local_time(row['received_at'], tz)} {row['sender'][:30]:<30} "
                   f"{row['subject'][:30]:<30} {error[:60]}")
    typer.echo("\nnotifications given up:" if notifications else "no notification given up")
    for note in notifications:
        error = (note["error"].splitlines() or [""])[-1]
        typer.echo(f"{note['id']:<6} {local_time(note['created_at'], tz)} {note['recipient'][:30]:<30} "
                   f"{note['event'][:20]:<20} {note['attempts']:>3} attempt(s) {error[:60]}")


@failed_cli.command("show")
def failed_show(mail_id: MailId, as_json: JsonFlag = False) -> None:
    """One failed mail: where it came from, its error and its headers."""
    from mailbot.operations import failed_show as show_failed
    from mailbot.textview import local_time

    app = make_app()
    row = show_failed(app, mail_id)
    if as_json:
        print_json(row)
        return
    shown = {**row, "received_at": local_time(row["received_at"], app.settings.tz)}
    for key in ("id", "mailbox", "received_at", "sender", "subject", "mail_key", "size"):
        typer.echo(f"{key}: {shown[key]}")
    typer.echo(f"error:\n{row['error']}\n\nheaders:\n{row['headers']}")


@failed_cli.command("retry")
def failed_retry(mail_id: MailId) -> None:
    """Process a failed mail's kept raw bytes again."""
    from mailbot.operations import failed_retry as retry_failed

    app = make_app()
    if app.uses_stub_broker:
        app.start_worker()
    result = retry_failed(app, mail_id)
    app.wait_for_delivery()
    app.close()
    typer.echo(f"mail {mail_id}: {result.outcome}" + (f" #{result.ticket_id}" if result.ticket_id else "")
               + (f" ({result.reason})" if result.outcome == "failed" else ""))
    raise typer.Exit(1 if result.outcome == "failed" else 0)
