"""`mailbot db upgrade` and `mailbot check`: the database schema, and whether each configured server answers."""

from __future__ import annotations

import typer

from mailbot.cli.common import PLAIN, command_settings

db_cli = typer.Typer(help="The database schema.", **PLAIN)


@db_cli.command("upgrade")
def db_upgrade() -> None:
    """Create or migrate the schema."""
    from mailbot.app import App

    changed = App(command_settings()).db.upgrade()
    typer.echo("database schema upgraded" if changed else "database schema was already up to date")


def check() -> None:
    """Connect to each configured server and print one line each: OK, or what is wrong."""
    from mailbot.checks import run_checks

    results = run_checks(command_settings())
    for result in results:
        typer.echo(result.line())
    raise typer.Exit(0 if all(r.ok for r in results) else 1)
