"""Storing imported inventories (SPEC §11): each `MachineRecord` updates the machine it
describes or adds one — never a duplicate. A machine is the same machine when it has the same
agent device id, else the same serial number, else the same name (when the serial numbers do
not say otherwise). An inventory older than the one already stored changes nothing. A full
import marks the machines it did not see as missing (they are kept: tickets still name them)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from mailbot.parsers.inventory import MachineRecord
from mailbot.workflow.machines import login_key, name_key, serial_key
from mailbot.workflow.models import Machine


@dataclass
class ImportReport:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    older: list[str] = field(default_factory=list)  # an inventory older than the stored one: left as is
    missing: list[str] = field(default_factory=list)  # marked missing by a full import
    back: list[str] = field(default_factory=list)  # marked missing before, seen again


class _Index:
    """The stored machines by device id, serial number and name, kept current during an import."""

    def __init__(self, machines: Iterable[Machine]):
        self.by_device: dict[str, Machine] = {}
        self.by_serial: dict[str, Machine] = {}
        self.by_name: dict[str, list[Machine]] = {}
        for machine in machines:
            self.add(machine)

    def add(self, machine: Machine) -> None:
        if machine.device_id:
            self.by_device[machine.device_id] = machine
        if machine.serial_key:
            self.by_serial[machine.serial_key] = machine
        self.by_name.setdefault(machine.name_key, []).append(machine)

    def remove(self, machine: Machine) -> None:
        if machine.device_id and self.by_device.get(machine.device_id) is machine:
            del self.by_device[machine.device_id]
        if machine.serial_key and self.by_serial.get(machine.serial_key) is machine:
            del self.by_serial[machine.serial_key]
        same_name = self.by_name.get(machine.name_key, [])
        if machine in same_name:
            same_name.remove(machine)

    def find(self, record: MachineRecord) -> Machine | None:
        if record.device_id and record.device_id in self.by_device:
            return self.by_device[record.device_id]
        serial = serial_key(record.serial)
        if serial and serial in self.by_serial:
            return self.by_serial[serial]
        for machine in self.by_name.get(name_key(record.name), []):
            # the same name with another serial number is another machine (a replaced computer)
            if not (serial and machine.serial_key and machine.serial_key != serial):
                return machine
        return None


def _aware(moment: datetime | None, tz: tzinfo) -> datetime | None:
    if moment is None:
        return None
    return moment.replace(tzinfo=tz) if moment.tzinfo is None else moment.astimezone(UTC)


def _fill(machine: Machine, record: MachineRecord, inventoried_at: datetime | None, now: datetime) -> None:
    machine.name, machine.name_key, machine.type = record.name, name_key(record.name), str(record.type)
    machine.device_id = record.device_id or machine.device_id
    if record.serial:
        machine.serial, machine.serial_key = record.serial, serial_key(record.serial)
    machine.manufacturer, machine.model, machine.os = record.manufacturer, record.model, record.os
    machine.ip_addresses = " ".join(record.ip_addresses)
    machine.mac_addresses = " ".join(record.mac_addresses)
    machine.last_user, machine.last_user_key = record.last_user, login_key(record.last_user)
    machine.location, machine.source = record.location, record.source
    machine.inventoried_at = inventoried_at or now
    machine.imported_at = now


def import_records(session: Session, records: Iterable[MachineRecord], *, now: datetime, tz: tzinfo,
                   full: bool = False) -> ImportReport:
    """Store the records in the caller's transaction; `tz` is where the agents' dates were taken."""
    report = ImportReport()
    machines = list(session.scalars(select(Machine)))
    index = _Index(machines)
    seen: set[Machine] = set()
    added: set[Machine] = set()
    for record in records:
        inventoried_at = _aware(record.inventoried_at, tz)
        machine = index.find(record)
        if machine is None:
            machine = Machine(imported_at=now)
            _fill(machine, record, inventoried_at, now)
            session.add(machine)
            index.add(machine)
            added.add(machine)
            report.added.append(machine.name)
        elif (inventoried_at and machine.inventoried_at and inventoried_at < machine.inventoried_at):
            report.older.append(machine.name)
        else:
            index.remove(machine)
            _fill(machine, record, inventoried_at, now)
            index.add(machine)
            if machine not in added and machine not in seen:
                report.updated.append(machine.name)
        if machine.missing_since is not None:
            machine.missing_since = None
            report.back.append(machine.name)
        seen.add(machine)
    if full:
        for machine in machines:
            if machine not in seen and machine.missing_since is None:
                machine.missing_since = now
                report.missing.append(machine.name)
    return report
