"""The `mailbot` command line: thin wrappers that parse arguments and call the app."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterable
from datetime import tzinfo
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer
from sqlalchemy.exc import OperationalError

from mailbot import cli_desk
from mailbot.cli_kb import kb_cli
from mailbot.config import load_settings
from mailbot.errors import ConfigError, MailbotError
from mailbot.inventory_cli import inventory_cli

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from mailbot.config import Settings

T = TypeVar("T")

# Plain click help (no rich boxes): the metavars below show as `--as EMAIL`, flags without one.
PLAIN: dict[str, Any] = {"no_args_is_help": True, "rich_markup_mode": None}
cli = typer.Typer(help="mailbot: an email-driven helpdesk.", pretty_exceptions_enable=False,
                  add_completion=False, **PLAIN)
db_cli = typer.Typer(help="The database schema.", **PLAIN)
users_cli = typer.Typer(help="People: requesters and technicians.", **PLAIN)
tickets_cli = typer.Typer(help="Looking at tickets.", **PLAIN)
cli.add_typer(db_cli, name="db")
cli.add_typer(users_cli, name="users")
cli.add_typer(tickets_cli, name="tickets")
documents_cli = typer.Typer(help="The documents (attachments) stored on tickets.", **PLAIN)
cli.add_typer(documents_cli, name="documents")
cli.add_typer(kb_cli, name="kb")
failed_cli = typer.Typer(help="Mails that could not be processed, notifications that could not be sent.",
                         **PLAIN)
cli.add_typer(failed_cli, name="failed")
cli.add_typer(inventory_cli, name="inventory")

JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON (times in UTC, ISO 8601).")]
TicketId = Annotated[int, typer.Argument(metavar="ID", help="The ticket's number.", show_default=False)]
MailId = Annotated[int, typer.Argument(metavar="ID", help="The failed mail's number (mailbot failed list).",
                                       show_default=False)]
DEFAULT_LIMIT = 200


def _print_version(wanted: bool) -> None:
    if wanted:
        from importlib.metadata import version

        typer.echo(f"mailbot {version('mailbot')}")
        raise typer.Exit()


@cli.callback()
def _options(_version: Annotated[bool, typer.Option("--version", callback=_print_version, is_eager=True,
                                                    help="Print mailbot's version and exit.")] = False) -> None:
    """mailbot: an email-driven helpdesk."""


# The settings `main` read for the log format, kept for the command it runs: read once a command.
_READ: list[Settings] = []


def _settings() -> Settings:
    return _READ[0] if _READ else load_settings()


def make_app(*, upgrade: bool = True):
    from mailbot.app import App

    app = App(_settings())
    if upgrade:
        app.ensure_schema()
    return app


def _print_json(value: object) -> None:
    typer.echo(json.dumps(value, ensure_ascii=False, indent=2))


def _tz() -> tzinfo:
    """MAILBOT_TIMEZONE: the text output shows every time in it."""
    return _settings().tz


def _read(query: Callable[[Session], T]) -> T:
    """Run a read-only query in one transaction of the configured database."""
    app = make_app()
    with app.db.transaction() as session:
        return query(session)


def _emit(value: object, as_json: bool, lines: Callable[[], Iterable[str]], *, empty: str = "") -> None:
    """Print `value` as JSON, or its text lines; `empty` says so when there is none."""
    if as_json:
        _print_json(value)
        return
    if empty and not value:
        typer.echo(empty)
        return
    for line in lines():
        typer.echo(line)


@cli.command()
def run() -> None:
    """Receive mail (IMAP or the built-in listener), process it and send notifications."""
    from mailbot.runner import run_forever

    run_forever(make_app())


@cli.command()
def poll(once: Annotated[bool, typer.Option("--once", help="One pass, then exit.")] = False) -> None:
    """Process the mails waiting in the IMAP mailbox."""
    from mailbot.runner import poll_forever, poll_once

    app = make_app()
    if not app.settings.imap_mailboxes:
        raise ConfigError("MAILBOT_IMAP_URL: not set (nor MAILBOT_MAILBOXES); `mailbot poll` needs an IMAP mailbox")
    if once:
        for mailbox, stats in poll_once(app).items():
            outcomes = ", ".join(f"{n} {outcome}" for outcome, n in sorted(stats.outcomes.items())) or "nothing"
            typer.echo(f"{mailbox}: {stats.fetched} mail(s): {outcomes}"
                       + (f"; {stats.errors} left in place by an error" if stats.errors else ""))
    else:
        poll_forever(app)


@cli.command()
def ingest(files: Annotated[list[str] | None, typer.Argument(metavar="FILE",
                                                             help="Files, folders or - for stdin.")] = None,
           jobs: Annotated[int, typer.Option("--jobs", metavar="N", min=1,
                                             help="Processes in parallel (PostgreSQL only): the mails are "
                                                  "split by thread, each thread in order.")] = 1,
           ) -> None:
    """Process raw RFC 822 mails from files or stdin, in order."""
    from mailbot.runner import ingest_sources

    failures = ingest_sources(make_app(), files or ["-"], jobs=jobs)
    raise typer.Exit(1 if failures else 0)


@cli.command()
def worker(threads: Annotated[int, typer.Option(metavar="N", min=1, help="Worker threads.")] = 4) -> None:
    """Run dramatiq workers for the configured broker (MAILBOT_BROKER_URL)."""
    from mailbot.runner import run_workers

    app = make_app()
    if app.uses_stub_broker:
        raise ConfigError("MAILBOT_BROKER_URL: not set; `mailbot worker` needs a shared broker "
                          "(without one, `mailbot run` sends notifications itself)")
    run_workers(app, threads)


@cli.command()
def autoclose() -> None:
    """Close the solved tickets whose automatic closing is due, once."""
    app = make_app()
    if app.uses_stub_broker:
        app.start_worker()
    closed = app.autoclose()
    app.wait_for_delivery()
    app.close()
    typer.echo(f"closed {len(closed)} ticket(s)" + (": " + ", ".join(f"#{i}" for i in closed) if closed else ""))


@cli.command()
def digest(now: Annotated[bool, typer.Option("--now", help=(
        "Send today's digest at once, whatever the hour, even with MAILBOT_DIGEST_HOUR off."))] = False) -> None:
    """Send the morning digest to each technician who has not had today's (once a day each)."""
    app = make_app()
    if not now and app.settings.digest_hour is None:
        app.close()
        typer.echo("the morning digest is off (MAILBOT_DIGEST_HOUR); --now sends it all the same")
        return
    if app.uses_stub_broker:
        app.start_worker()
    sent = app.digest(force=now)
    app.wait_for_delivery()
    app.close()
    typer.echo(f"digest sent to {len(sent)} technician(s)" + (": " + ", ".join(sent) if sent else ""))


@db_cli.command("upgrade")
def db_upgrade() -> None:
    """Create or migrate the schema."""
    from mailbot.app import App

    changed = App(_settings()).db.upgrade()
    typer.echo("database schema upgraded" if changed else "database schema was already up to date")


@users_cli.command("add")
def users_add(email: Annotated[str, typer.Argument(metavar="EMAIL", help="Their mail address.", show_default=False)],
              name: Annotated[str, typer.Option("--name", metavar="NAME", help="Full name.")] = "",
              technician: Annotated[bool, typer.Option("--technician", help="Technician role.")] = False,
              group: Annotated[str | None, typer.Option("--group", metavar="GROUP", help="Technicians' group.")] = None,
              language: Annotated[str | None, typer.Option("--language", metavar="fr|en",
                                                           help="Language of their mails.")] = None) -> None:
    """Add a person, or update them when the address is known."""
    from mailbot.workflow.directory import upsert_user

    app = make_app()
    with app.db.transaction() as session:
        user, created = upsert_user(session, email, name=name, technician=technician, group=group,
                                    language=language, now=app.clock())
        typer.echo(f"{'added' if created else 'updated'} {user.display}"
                   f"{' (technician)' if user.is_technician else ''}")


@users_cli.command("list")
def users_list(as_json: JsonFlag = False) -> None:
    """List people."""
    from mailbot.workflow.directory import all_users, user_json

    users = _read(lambda session: [user_json(u) for u in all_users(session)])
    _emit(users, as_json, lambda: (
        f"{u['email']:<40} {u['name']:<30} {'technician' if u['technician'] else 'requester':<10} "
        f"{u['group'] or '':<15} {u['language'] or ''}" for u in users),
        empty="no users yet (mailbot users add EMAIL --name NAME [--technician])")


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
    rows, total = _read(lambda session: (
        [summary_json(t) for t in list_tickets(session, **where, limit=None if show_all else limit)],
        count_tickets(session, **where)))
    what = f"{status} tickets" if status else "open tickets"
    what += {"personal": f" assigned to {as_email}", "group": f" of {as_email}'s group"}.get(view, "")
    if as_json:
        if len(rows) < total:  # stdout stays the JSON list; the cut is said on stderr
            typer.echo(f"mailbot: {count_line(len(rows), total, what)}", err=True)
        _print_json(rows)
        return
    tz = _tz()
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

    data = _read(lambda session: ticket_json(get_ticket(session, ticket_id)))
    _emit(data, as_json, lambda: [ticket_text(data, _tz())])


@documents_cli.command("list")
def documents_list(ticket_id: Annotated[int | None, typer.Option("--ticket", metavar="ID",
                                                                  help="Only this ticket's documents.")] = None,
                   as_json: JsonFlag = False) -> None:
    """The stored documents under their original names, oldest first."""
    from mailbot.workflow.views import document_json, list_documents

    rows = _read(lambda session: [document_json(d) for d in list_documents(session, ticket_id)])
    _emit(rows, as_json, lambda: (
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


@cli.command()
def check() -> None:
    """Connect to each configured server and print one line each: OK, or what is wrong."""
    from mailbot.checks import run_checks

    results = run_checks(_settings())
    for result in results:
        typer.echo(result.line())
    raise typer.Exit(0 if all(r.ok for r in results) else 1)


@failed_cli.command("list")
def failed_list(as_json: JsonFlag = False) -> None:
    """The mails recorded as failed, then the notifications given up; oldest first."""
    from mailbot.operations import failed_list as list_failed
    from mailbot.operations import failed_notifications
    from mailbot.textview import local_time

    app = make_app()
    rows, notifications = list_failed(app), failed_notifications(app)
    if as_json:
        _print_json({"mails": rows, "notifications": notifications})
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
        _print_json(row)
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


cli_desk.register(cli)  # `mailbot web` and `mailbot planning`


def _log_format() -> str:
    _READ.clear()
    try:
        _READ.append(load_settings())
    except ConfigError:
        return "text"  # the configuration error itself is reported below, by the command
    return _READ[0].log_format


EX_TEMPFAIL = 75  # <sysexits.h>: a temporary failure, the caller may retry


def main() -> None:
    from mailbot.logs import setup_logging

    setup_logging(_log_format())
    try:
        cli()
    except ConfigError as exc:
        typer.echo(f"mailbot: configuration error: {exc}", err=True)
        sys.exit(2)
    except MailbotError as exc:
        typer.echo(f"mailbot: {exc}", err=True)
        sys.exit(1)
    except OperationalError as exc:
        # an unreachable or unusable database: say which setting to look at, in one line, and
        # exit with EX_TEMPFAIL so that an MTA piping to `mailbot ingest -` keeps the mail and
        # tries again later instead of bouncing it
        reason = str(exc.orig or exc).strip().splitlines()[0]
        typer.echo(f"mailbot: cannot use the database of MAILBOT_DATABASE_URL: {reason}", err=True)
        sys.exit(EX_TEMPFAIL)
    finally:
        _READ.clear()
