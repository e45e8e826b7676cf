"""Inventory files (SPEC §11) read into plain values: one `MachineRecord` per file, from an
OCS Inventory NG agent's XML inventory (`ocs_inventory`) or a GLPI Agent JSON inventory
(`glpi_inventory`). The format is told by the content, not the file name; a zlib-compressed
OCS document (what the agent posts over HTTP) is unpacked first. A file that cannot be read
raises `InventoryError` with the reason, in English."""

from __future__ import annotations

import ipaddress
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

MAX_BYTES = 64 * 1024 * 1024  # an inventory with every installed program is a few MB


class MachineType(StrEnum):
    """GLPI's item types that agents report; the labels per language are in workflow.machines."""

    COMPUTER = "computer"
    PRINTER = "printer"
    NETWORK_EQUIPMENT = "network_equipment"
    PHONE = "phone"


class InventoryError(ValueError):
    """The file is not an inventory mailbot can read; the message says why."""


@dataclass(frozen=True)
class MachineRecord:
    name: str
    type: MachineType = MachineType.COMPUTER
    device_id: str = ""  # the agent's DEVICEID / deviceid: stable for one agent install
    serial: str = ""  # "" when the agent reported none or a placeholder ("To Be Filled By O.E.M.")
    manufacturer: str = ""
    model: str = ""
    os: str = ""
    ip_addresses: tuple[str, ...] = ()  # without loopback and link-local addresses
    mac_addresses: tuple[str, ...] = ()  # lower-case, colon-separated
    last_user: str = ""  # a login as the agent saw it, e.g. `loic.medori` or `LYCEE\loic.medori`
    location: str = ""  # OCS's TAG, GLPI Agent's tag, a network device's SNMP location
    inventoried_at: datetime | None = None  # naive: the agent's local time (aware when it gave its offset)
    source: str = ""  # `ocs` or `glpi`


def read_inventory(data: bytes) -> MachineRecord:
    """One machine from the bytes of an inventory file, or InventoryError(reason)."""
    from mailbot.parsers import glpi_inventory, ocs_inventory

    if len(data) > MAX_BYTES:
        raise InventoryError(f"larger than {MAX_BYTES // (1024 * 1024)} MB")
    if data[:1] == b"\x78":  # zlib header: the OCS agent's compressed upload
        data = _inflate(data)
    start = data.lstrip()[:1]
    if data.startswith(b"\xef\xbb\xbf"):
        start = data[3:].lstrip()[:1]
    if start == b"<":
        return ocs_inventory.read(data)
    if start in (b"{", b"["):
        return glpi_inventory.read(data)
    if not data.strip():
        raise InventoryError("empty file")
    raise InventoryError("neither an OCS Inventory XML document nor a GLPI Agent JSON inventory")


def _inflate(data: bytes) -> bytes:
    inflater = zlib.decompressobj()
    try:
        out = inflater.decompress(data, MAX_BYTES)
    except zlib.error as exc:
        raise InventoryError(f"compressed data that cannot be read: {exc}") from exc
    if inflater.unconsumed_tail:
        raise InventoryError(f"larger than {MAX_BYTES // (1024 * 1024)} MB once uncompressed")
    return out


# Serial numbers that manufacturers leave in the firmware instead of a real one: not a key.
PLACEHOLDER_SERIALS = frozenset({
    "", "0", "00000000", "0123456789", "1234567890", "123456789", "none", "n/a", "na", "null",
    "default string", "to be filled by o.e.m.", "to be filled by oem", "system serial number",
    "chassis serial number", "serial number", "not specified", "not available", "invalid", "xxxxxxxxxx",
})


def clean(value: object) -> str:
    """A field's text, stripped, with every run of white space one space."""
    return " ".join(str(value).split()) if value is not None else ""


def serial(value: object) -> str:
    text = clean(value).strip("/ ")
    return "" if text.casefold() in PLACEHOLDER_SERIALS else text


def ip_addresses(values: Sequence[object]) -> tuple[str, ...]:
    """The usable addresses, in order, once each: no loopback, link-local or unspecified ones."""
    found: list[str] = []
    for value in values:
        for part in clean(value).replace(",", " ").replace("/", " ").split():
            try:
                address = ipaddress.ip_address(part.split("%")[0])
            except ValueError:
                continue
            if address.is_loopback or address.is_link_local or address.is_unspecified:
                continue
            if str(address) not in found:
                found.append(str(address))
    return tuple(found)


def mac_addresses(values: Sequence[object]) -> tuple[str, ...]:
    found: list[str] = []
    for value in values:
        digits = "".join(c for c in clean(value).lower() if c in "0123456789abcdef")
        if len(digits) != 12 or digits == "0" * 12:
            continue
        mac = ":".join(digits[i:i + 2] for i in range(0, 12, 2))
        if mac not in found:
            found.append(mac)
    return tuple(found)


DATE_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d")


def agent_date(value: object) -> datetime | None:
    """An agent's date (`2026-11-29 08:12:03`, naive); None when there is none or it is unreadable."""
    text = clean(value)
    for fmt in DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt)
        except ValueError:
            continue
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment


def operating_system(name: str, version: str) -> str:
    """`Microsoft Windows 11 Éducation` with its version unless the name already holds it."""
    if version and version not in name:
        return f"{name} {version}".strip()
    return name
