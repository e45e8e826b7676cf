"""Machines of the inventory on tickets (SPEC §11): finding a machine by what a technician
types (`#asset 203-02`, its serial number), linking and unlinking it, and how an item reads
(`Ordinateur - 203-02` / `Computer - 203-02`)."""

from __future__ import annotations

import difflib
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from mailbot.parsers.inventory import MachineType
from mailbot.parsers.reasons import ReasonError, because
from mailbot.workflow.models import Machine, Ticket, TicketItem

TYPE_LABELS: dict[str, dict[str, str]] = {
    "fr": {MachineType.COMPUTER: "Ordinateur", MachineType.PRINTER: "Imprimante",
           MachineType.NETWORK_EQUIPMENT: "Matériel réseau", MachineType.PHONE: "Téléphone"},
    "en": {MachineType.COMPUTER: "Computer", MachineType.PRINTER: "Printer",
           MachineType.NETWORK_EQUIPMENT: "Network device", MachineType.PHONE: "Phone"},
}
NEAREST = 3


class UnknownMachine(ReasonError):
    """No machine answers to the name; the reason names the nearest ones."""


def label(machine_type: str, name: str, language: str = "en") -> str:
    """`Ordinateur - 203-02`: the type in the reader's language, then the machine's name."""
    labels = TYPE_LABELS.get(language, TYPE_LABELS["en"])
    return f"{labels.get(machine_type, machine_type)} - {name}"


def item_label(item: TicketItem, language: str = "en") -> str:
    """A linked machine's label; a free-text item from before the inventory, as it was typed."""
    return label(item.machine.type, item.machine.name, language) if item.machine else item.name


def item_values(ticket: Ticket) -> list[dict[str, Any]]:
    """The ticket's items as plain values for notifications: the template labels them."""
    return [{"type": item.machine.type, "name": item.machine.name} if item.machine
            else {"type": None, "name": item.name} for item in ticket.items]


def name_key(name: str) -> str:
    return " ".join(name.split()).casefold()


def serial_key(serial: str) -> str | None:
    return serial.replace(" ", "").upper() or None


def login_key(login: str) -> str:
    """`LYCEE\\m.durand`, `m.durand@lycee.example` and `M.Durand` are all `m.durand`."""
    login = login.rpartition("\\")[2].partition("@")[0]
    return login.strip().casefold()


def _typed_label(text: str) -> str | None:
    """`Ordinateur - 203-02`, `Computer 203-02` -> `203-02`: what an item label says after its type."""
    folded = text.casefold()
    for labels in TYPE_LABELS.values():
        for word in labels.values():
            if folded.startswith(word.casefold() + " "):
                return text[len(word):].strip().removeprefix("-").strip()
    return None


def find(session: Session, text: str) -> Machine:
    """The machine called `text` (any case) or with that serial number; a machine still seen
    by the inventory before one marked missing. UnknownMachine names the nearest known names."""
    for candidate in filter(None, (text.strip(), _typed_label(text.strip()))):
        found = list(session.scalars(select(Machine).where(or_(
            Machine.name_key == name_key(candidate), Machine.serial_key == serial_key(candidate)))
            .order_by(Machine.missing_since.is_not(None), Machine.id)))
        if len(found) > 1 and found[1].missing_since is None:
            serials = ", ".join(m.serial or "?" for m in found)
            raise UnknownMachine(because("machine_ambiguous", name=candidate, serials=serials))
        if found:
            return found[0]
    names = list(session.scalars(select(Machine.name)))
    nearest = difflib.get_close_matches(text.strip(), names, n=NEAREST, cutoff=0.6) or \
        difflib.get_close_matches(name_key(text), [name_key(n) for n in names], n=NEAREST, cutoff=0.6)
    if not names:
        raise UnknownMachine(because("machine_inventory_empty", name=text))
    if nearest:
        raise UnknownMachine(because("machine_unknown_nearest", name=text, nearest=", ".join(nearest)))
    raise UnknownMachine(because("machine_unknown", name=text))


def link(ticket: Ticket, machine: Machine) -> bool:
    """Links the machine to the ticket; False when it already was."""
    if any(item.machine_id == machine.id for item in ticket.items):
        return False
    ticket.items.append(TicketItem(name=machine.name, machine_id=machine.id, machine=machine))
    return True


def linked_item(ticket: Ticket, text: str) -> TicketItem | None:
    """The ticket's item that `text` names: a machine by name or serial, or a free-text item."""
    key = name_key(text)
    typed = _typed_label(text)
    for item in ticket.items:
        machine = item.machine
        if machine is not None and (machine.name_key in (key, name_key(typed or ""))
                                    or machine.serial_key == serial_key(text)):
            return item
        if machine is None and name_key(item.name) == key:
            return item
    return None


def machine_json(machine: Machine) -> dict[str, Any]:
    iso = (lambda value: value.isoformat() if value else None)  # noqa: E731
    return {
        "id": machine.id, "name": machine.name, "type": machine.type, "label": label(machine.type, machine.name),
        "serial": machine.serial, "manufacturer": machine.manufacturer, "model": machine.model,
        "os": machine.os, "ip_addresses": machine.ip_addresses.split(),
        "mac_addresses": machine.mac_addresses.split(), "last_user": machine.last_user,
        "location": machine.location, "device_id": machine.device_id, "source": machine.source,
        "inventoried_at": iso(machine.inventoried_at), "imported_at": iso(machine.imported_at),
        "missing_since": iso(machine.missing_since),
    }


def all_machines(session: Session) -> list[Machine]:
    return list(session.scalars(select(Machine).order_by(Machine.name_key, Machine.id)))


def machine_tickets(session: Session, machine: Machine) -> list[Ticket]:
    """The tickets the machine is linked to, the most recent first."""
    return list(session.scalars(select(Ticket).join(TicketItem, TicketItem.ticket_id == Ticket.id)
                                .where(TicketItem.machine_id == machine.id)
                                .order_by(Ticket.created_at.desc(), Ticket.id.desc())))
