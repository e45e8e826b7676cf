"""`mailbot users …`: adding and listing people, requesters and technicians."""

from __future__ import annotations

from typing import Annotated

import typer

from mailbot.cli.common import PLAIN, JsonFlag, emit, make_app, read_only

users_cli = typer.Typer(help="People: requesters and technicians.", **PLAIN)


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

    users = read_only(lambda session: [user_json(u) for u in all_users(session)])
    emit(users, as_json, lambda: (
        f"{u['email']:<40} {u['name']:<30} {'technician' if u['technician'] else 'requester':<10} "
        f"{u['group'] or '':<15} {u['language'] or ''}" for u in users),
        empty="no users yet (mailbot users add EMAIL --name NAME [--technician])")
