"""Which machines a new ticket is about (SPEC §11): the machines its mail names — by name
(`le poste 203-02`), serial number or IP address — and the machine its requester was last
seen on, when there is exactly one. Machines marked missing by a full import are left out.

A mail that names exactly one machine is unambiguous: that machine is linked when the setting
says so. The requester's own machine is only ever proposed: they may well write about another
machine (the projector, the printer) than the one they last logged on to."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from mailbot.workflow.machines import login_key, name_key, serial_key
from mailbot.workflow.models import Machine

# a word with its inner dots and hyphens: `203-02`, `PROF-PORTABLE-12`, `10.2.3.42`, `5CD3471QZX`
_TOKEN = re.compile(r"\w(?:[\w.-]*\w)?")
_IPV4 = re.compile(r"(?<!\d)(?<!\d\.)(?:\d{1,3}\.){3}\d{1,3}(?!\.?\d)")  # a sentence may end after it
MIN_NAME = 4  # shorter names (`PC`, `CDI`) are ordinary words in a mail
CHUNK = 500
WHY = ("name", "serial", "ip", "last_user")  # the order a machine's reason is told in


@dataclass(frozen=True)
class Proposal:
    machine: Machine
    why: str  # one of WHY

    def values(self) -> dict[str, Any]:
        return {"type": self.machine.type, "name": self.machine.name, "why": self.why}


def _chunks(values: list[str]) -> list[list[str]]:
    return [values[i:i + CHUNK] for i in range(0, len(values), CHUNK)]


def named_in(session: Session, text: str) -> list[Proposal]:
    """The machines the text names, in the order of the inventory's names."""
    tokens = sorted({token for token in _TOKEN.findall(text) if len(token) >= MIN_NAME})
    found: dict[int, Proposal] = {}
    for chunk in _chunks(tokens):
        names = [name_key(t) for t in chunk]
        serials = [s for s in (serial_key(t) for t in chunk) if s]
        for machine in session.scalars(select(Machine).where(
                Machine.missing_since.is_(None),
                or_(Machine.name_key.in_(names), Machine.serial_key.in_(serials)))):
            why = "name" if machine.name_key in names else "serial"
            found.setdefault(machine.id, Proposal(machine, why))
    for ip in _addresses(text):
        for machine in session.scalars(select(Machine).where(
                Machine.missing_since.is_(None), Machine.ip_addresses.contains(ip))):
            if ip in machine.ip_addresses.split():
                found.setdefault(machine.id, Proposal(machine, "ip"))
    return sorted(found.values(), key=lambda p: (p.machine.name_key, p.machine.id))


def _addresses(text: str) -> list[str]:
    found = []
    for candidate in dict.fromkeys(_IPV4.findall(text)):
        try:
            found.append(str(ipaddress.ip_address(candidate)))
        except ValueError:
            continue
    return found


def last_used_by(session: Session, email: str) -> Machine | None:
    """The one machine whose last user is the requester (their login is their address's local part)."""
    key = login_key(email)
    if not key:
        return None
    machines = list(session.scalars(select(Machine).where(
        Machine.missing_since.is_(None), Machine.last_user_key == key).limit(2)))
    return machines[0] if len(machines) == 1 else None


def _no_inventory(session: Session) -> bool:
    """No machine at all (an installation without an inventory): asked once per transaction,
    so that a batch of new mails does not look up each one's words and addresses for nothing."""
    if _NO_INVENTORY not in session.info:
        session.info[_NO_INVENTORY] = session.scalar(select(Machine.id).limit(1)) is None
    return bool(session.info[_NO_INVENTORY])


_NO_INVENTORY = "mailbot.no_inventory"


def proposals(session: Session, text: str, requester_email: str) -> list[Proposal]:
    """The machines a new ticket may be about: those its text names, then the requester's own."""
    if _no_inventory(session):
        return []
    found = named_in(session, text)
    mine = last_used_by(session, requester_email)
    if mine is not None and all(p.machine.id != mine.id for p in found):
        found.append(Proposal(mine, "last_user"))
    return found


def to_link(found: list[Proposal]) -> Machine | None:
    """The machine to link without asking: the only one the mail names (the requester's own
    machine, proposed beside it, does not make it ambiguous)."""
    named = [p for p in found if p.why != "last_user"]
    return named[0].machine if len(named) == 1 else None
