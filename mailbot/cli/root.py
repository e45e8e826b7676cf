"""The `mailbot` command line: the typer app, built from the commands' table, and `main`, which
turns the project's errors into one line on stderr and an exit status."""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from sqlalchemy.exc import OperationalError

from mailbot.cli import desk, failed, install, inventory, kb, processing, tickets, users
from mailbot.cli.common import PLAIN, forget_settings, log_format
from mailbot.errors import ConfigError, MailbotError

# `mailbot COMMAND`, in the order `mailbot --help` lists them
COMMANDS = (processing.run, processing.poll, processing.ingest, processing.worker, processing.autoclose,
            processing.digest, install.check, desk.web, desk.planning)
# `mailbot GROUP COMMAND`, listed after them
GROUPS: tuple[tuple[str, typer.Typer], ...] = (
    ("db", install.db_cli), ("users", users.users_cli), ("tickets", tickets.tickets_cli),
    ("documents", tickets.documents_cli), ("kb", kb.kb_cli), ("failed", failed.failed_cli),
    ("inventory", inventory.inventory_cli))

cli = typer.Typer(help="mailbot: an email-driven helpdesk.", pretty_exceptions_enable=False,
                  add_completion=False, **PLAIN)
for command in COMMANDS:
    cli.command()(command)
for name, group in GROUPS:
    cli.add_typer(group, name=name)


def _print_version(wanted: bool) -> None:
    if wanted:
        from importlib.metadata import version

        typer.echo(f"mailbot {version('mailbot')}")
        raise typer.Exit()


@cli.callback()
def _options(_version: Annotated[bool, typer.Option("--version", callback=_print_version, is_eager=True,
                                                    help="Print mailbot's version and exit.")] = False) -> None:
    """mailbot: an email-driven helpdesk."""


EX_TEMPFAIL = 75  # <sysexits.h>: a temporary failure, the caller may retry


def main() -> None:
    from mailbot.logs import setup_logging

    setup_logging(log_format())
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
        forget_settings()
