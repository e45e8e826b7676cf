"""`mailbot inventory …`: import inventory files, list the machines, show one with its tickets."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from mailbot.cli.common import PLAIN, JsonFlag, display_tz, emit, make_app, read_only
from mailbot.errors import MailbotError

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

inventory_cli = typer.Typer(help="The inventory: machines imported from OCS Inventory and GLPI Agent files.",
                            **PLAIN)


@inventory_cli.command("import")
def inventory_import(
        paths: Annotated[list[str], typer.Argument(metavar="PATH", show_default=False, help=(
            "OCS Inventory XML or GLPI Agent JSON files, folders of them, or - for stdin."))],
        full: Annotated[bool, typer.Option("--full", help=(
            "These files are every machine: mark the machines not among them as missing."))] = False) -> None:
    """Add or update machines from inventory files; a file that cannot be read is reported and skipped."""
    from mailbot.inventory import import_paths

    try:
        outcome = import_paths(make_app(), paths, full=full)
    except FileNotFoundError as exc:
        raise MailbotError(str(exc)) from exc
    for name, reason in outcome.refused:
        typer.echo(f"{name}: {reason}", err=True)
    report = outcome.report
    missing = sorted(report.missing)
    line = (f"{outcome.files} file(s): {len(report.added)} machine(s) added, {len(report.updated)} updated"
            + (f", {len(report.older)} older than what is stored (left as is)" if report.older else "")
            + (f", {len(report.back)} back in the inventory" if report.back else "")
            + (f", {len(outcome.refused)} file(s) refused" if outcome.refused else ""))
    typer.echo(line)
    if full and outcome.full_skipped:
        typer.echo("--full: nothing marked missing, since some files could not be read")
    elif full:
        typer.echo(f"--full: {len(missing)} machine(s) marked missing"
                   + (": " + ", ".join(missing[:20]) + (" …" if len(missing) > 20 else "") if missing else ""))
    raise typer.Exit(1 if outcome.refused else 0)


def _when(iso: str | None) -> str:
    from mailbot.textview import local_time

    return local_time(iso, display_tz())


@inventory_cli.command("list")
def inventory_list(as_json: JsonFlag = False) -> None:
    """Every machine, by name: type, serial number, addresses, last user, location, last inventory."""
    from mailbot.workflow.machines import all_machines, machine_json

    rows = read_only(lambda session: [machine_json(m) for m in all_machines(session)])
    emit(rows, as_json, lambda: (
        f"{m['label'][:40]:<40} {m['serial'][:16]:<16} {' '.join(m['ip_addresses'][:1]):<15} "
        f"{m['last_user'][:20]:<20} {m['location'][:20]:<20} {_when(m['inventoried_at'])}"
        + (f"  (missing since {_when(m['missing_since'])})" if m["missing_since"] else "") for m in rows),
        empty="no machines (mailbot inventory import PATH reads OCS Inventory or GLPI Agent files)")


@inventory_cli.command("show")
def inventory_show(name: Annotated[str, typer.Argument(metavar="NAME", show_default=False,
                                                      help="The machine's name or serial number.")],
                   as_json: JsonFlag = False) -> None:
    """One machine and the tickets it is linked to."""
    from mailbot.workflow.machines import UnknownMachine, find, machine_json, machine_tickets
    from mailbot.workflow.views import summary_json

    def query(session: Session) -> dict[str, Any]:
        try:
            machine = find(session, name)
        except UnknownMachine as exc:
            raise MailbotError(str(exc)) from exc
        return {**machine_json(machine), "tickets": [summary_json(t) for t in machine_tickets(session, machine)]}

    data = read_only(query)
    emit(data, as_json, lambda: _show_lines(data))


def _show_lines(m: dict[str, Any]) -> list[str]:
    lines = [m["label"] + (f"  (missing from the inventory since {_when(m['missing_since'])})"
                           if m["missing_since"] else "")]
    for key, value in (("serial", m["serial"]), ("manufacturer", m["manufacturer"]), ("model", m["model"]),
                       ("os", m["os"]), ("ip", " ".join(m["ip_addresses"])), ("mac", " ".join(m["mac_addresses"])),
                       ("last user", m["last_user"]), ("location", m["location"]),
                       ("inventoried", _when(m["inventoried_at"])),
                       ("from", f"{m['source']} agent {m['device_id'] or ''}".strip())):
        lines.append(f"  {key + ':':<13} {value or '-'}")
    lines.append(f"tickets ({len(m['tickets'])}):" if m["tickets"] else "no tickets")
    for t in m["tickets"]:
        lines.append(f"  #{t['id']:<6} {t['status']:<9} {_when(t['updated_at'])}  {t['title'][:60]}")
    return lines
