"""The `mailbot` command line: thin wrappers that parse arguments and call the app."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer
from sqlalchemy.exc import OperationalError

from mailbot.config import load_settings
from mailbot.errors import ConfigError, MailbotError

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

T = TypeVar("T")

cli = typer.Typer(help="mailbot: an email-driven helpdesk.", no_args_is_help=True,
                  pretty_exceptions_enable=False, add_completion=False)
db_cli = typer.Typer(help="The database schema.", no_args_is_help=True)
users_cli = typer.Typer(help="People: requesters and technicians.", no_args_is_help=True)
tickets_cli = typer.Typer(help="Looking at tickets.", no_args_is_help=True)
cli.add_typer(db_cli, name="db")
cli.add_typer(users_cli, name="users")
cli.add_typer(tickets_cli, name="tickets")
kb_cli = typer.Typer(help="The knowledge base.", no_args_is_help=True)
cli.add_typer(kb_cli, name="kb")
failed_cli = typer.Typer(help="Mails that could not be processed, notifications that could not be sent.",
                         no_args_is_help=True)
cli.add_typer(failed_cli, name="failed")

JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON.")]


def make_app(*, upgrade: bool = True):
    from mailbot.app import App

    app = App(load_settings())
    if upgrade:
        app.ensure_schema()
    return app


def _print_json(value: object) -> None:
    typer.echo(json.dumps(value, ensure_ascii=False, indent=2))


def _read(query: Callable[[Session], T]) -> T:
    """Run a read-only query in one transaction of the configured database."""
    app = make_app()
    with app.db.transaction() as session:
        return query(session)


def _emit(value: object, as_json: bool, lines: Callable[[], Iterable[str]]) -> None:
    """Print `value` as JSON, or its text lines."""
    if as_json:
        _print_json(value)
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
def ingest(files: Annotated[list[str] | None, typer.Argument(help="Files, folders or - for stdin.")] = None,
           ) -> None:
    """Process raw RFC 822 mails from files or stdin, in order."""
    from mailbot.runner import ingest_sources

    failures = ingest_sources(make_app(), files or ["-"])
    raise typer.Exit(1 if failures else 0)


@cli.command()
def worker(threads: Annotated[int, typer.Option(help="Worker threads.")] = 4) -> None:
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


@db_cli.command("upgrade")
def db_upgrade() -> None:
    """Create or migrate the schema."""
    from mailbot.app import App

    changed = App(load_settings()).db.upgrade()
    typer.echo("database schema upgraded" if changed else "database schema was already up to date")


@users_cli.command("add")
def users_add(email: str,
              name: Annotated[str, typer.Option("--name", help="Full name.")] = "",
              technician: Annotated[bool, typer.Option("--technician", help="Technician role.")] = False,
              group: Annotated[str | None, typer.Option("--group", help="Technicians' group.")] = None,
              language: Annotated[str | None, typer.Option("--language", help="fr or en.")] = None) -> None:
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
        f"{u['group'] or '':<15} {u['language'] or ''}" for u in users))


@tickets_cli.command("list")
def tickets_list(status: Annotated[str | None, typer.Option(help="Only this status.")] = None,
                 view: Annotated[str, typer.Option(help="personal, group or global.")] = "global",
                 as_email: Annotated[str | None, typer.Option("--as", help="The technician's address.")] = None,
                 as_json: JsonFlag = False) -> None:
    """The technicians' views: open tickets, most recently updated first."""
    from mailbot.workflow.states import Status
    from mailbot.workflow.views import VIEWS, list_tickets, summary_json

    if status is not None and status not in {s.value for s in Status}:
        raise MailbotError(f"--status: unknown status {status!r} (one of {', '.join(s.value for s in Status)})")
    if view not in VIEWS:
        raise MailbotError(f"--view: unknown view {view!r} (one of {', '.join(VIEWS)})")
    rows = _read(lambda session: [summary_json(t) for t in list_tickets(
        session, status=status, view=view, as_email=as_email)])
    _emit(rows, as_json, lambda: (
        f"#{row['id']:<6} {row['status']:<9} {row['title'][:50]:<50} {row['requester']}" for row in rows))


@tickets_cli.command("show")
def tickets_show(ticket_id: int, as_json: JsonFlag = False) -> None:
    """One ticket, whole."""
    from mailbot.textview import ticket_text
    from mailbot.workflow.views import get_ticket, ticket_json

    data = _read(lambda session: ticket_json(get_ticket(session, ticket_id)))
    _emit(data, as_json, lambda: [ticket_text(data)])


@kb_cli.command("list")
def kb_list(as_json: JsonFlag = False) -> None:
    """List the knowledge-base articles."""
    from mailbot.workflow.kb import all_articles, article_json

    articles = _read(lambda session: [article_json(a) for a in all_articles(session)])
    _emit(articles, as_json, lambda: (
        f"{a['id']:<5} {a['title'][:60]:<60} " + (f"(from ticket #{a['ticket']})" if a["ticket"] else "")
        for a in articles))


@kb_cli.command("show")
def kb_show(article_id: int, as_json: JsonFlag = False) -> None:
    """One knowledge-base article."""
    from mailbot.workflow.kb import article_json, get_article

    article = _read(lambda session: article_json(get_article(session, article_id)))
    _emit(article, as_json, lambda: [f"{article['title']}\n\n{article['content']}"])


@cli.command()
def check() -> None:
    """Connect to each configured server and print one line each: OK, or what is wrong."""
    from mailbot.checks import run_checks

    results = run_checks(load_settings())
    for result in results:
        typer.echo(result.line())
    raise typer.Exit(0 if all(r.ok for r in results) else 1)


@failed_cli.command("list")
def failed_list(as_json: JsonFlag = False) -> None:
    """The mails recorded as failed, then the notifications given up; oldest first."""
    from mailbot.operations import failed_list as list_failed
    from mailbot.operations import failed_notifications

    app = make_app()
    rows, notifications = list_failed(app), failed_notifications(app)
    if as_json:
        _print_json({"mails": rows, "notifications": notifications})
        return
    for row in rows:
        error = (row["error"].splitlines() or [""])[-1]
        typer.echo(f"{row['id']:<6} {row['received_at'][:19]} {row['sender'][:30]:<30} {row['subject'][:30]:<30} {error[:60]}")
    if notifications:
        typer.echo("\nnotifications given up:" if rows else "notifications given up:")
    for note in notifications:
        error = (note["error"].splitlines() or [""])[-1]
        typer.echo(f"{note['id']:<6} {note['created_at'][:19]} {note['recipient'][:30]:<30} {note['event'][:20]:<20} "
                   f"{note['attempts']:>3} attempt(s) {error[:60]}")


@failed_cli.command("show")
def failed_show(mail_id: int, as_json: JsonFlag = False) -> None:
    """One failed mail: where it came from, its error and its headers."""
    from mailbot.operations import failed_show as show_failed

    row = show_failed(make_app(), mail_id)
    if as_json:
        _print_json(row)
        return
    for key in ("id", "mailbox", "received_at", "sender", "subject", "mail_key", "size"):
        typer.echo(f"{key}: {row[key]}")
    typer.echo(f"error:\n{row['error']}\n\nheaders:\n{row['headers']}")


@failed_cli.command("retry")
def failed_retry(mail_id: int) -> None:
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


def _log_format() -> str:
    try:
        return load_settings().log_format
    except ConfigError:
        return "text"  # the configuration error itself is reported below


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
        # an unreachable or unusable database: say which setting to look at, in one line
        reason = str(exc.orig or exc).strip().splitlines()[0]
        typer.echo(f"mailbot: cannot use the database of MAILBOT_DATABASE_URL: {reason}", err=True)
        sys.exit(2)
