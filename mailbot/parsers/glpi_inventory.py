"""GLPI Agent inventories in the JSON inventory format (glpi-project/inventory_format): an
object with `deviceid`, `itemtype`, `tag` and `content`; a computer's `content` has `hardware`,
`bios`, `operatingsystem`, `networks`, `users`, `accesslog`…, a printer's or switch's
(network inventory) has `network_device`. Partial inventories (`"partial": true`, a few
sections only) are refused: they do not say enough to find or describe the machine."""

from __future__ import annotations

import json
from typing import Any

from mailbot.parsers.inventory import (
    InventoryError,
    MachineRecord,
    MachineType,
    agent_date,
    clean,
    ip_addresses,
    mac_addresses,
    operating_system,
    serial,
)

ITEMTYPES = {"computer": MachineType.COMPUTER, "printer": MachineType.PRINTER,
             "networkequipment": MachineType.NETWORK_EQUIPMENT, "phone": MachineType.PHONE}


def read(data: bytes) -> MachineRecord:
    try:
        document = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InventoryError(f"not valid JSON: {exc}") from exc
    if not isinstance(document, dict) or not isinstance(document.get("content"), dict):
        raise InventoryError("JSON without a `content` object: not a GLPI Agent inventory")
    if document.get("partial"):
        raise InventoryError("a partial inventory (some sections only): import a full one")
    content: dict[str, Any] = document["content"]
    if isinstance(content.get("network_device"), dict):
        return _network_device(document, content["network_device"])
    hardware = _object(content, "hardware")
    bios = _object(content, "bios")
    system = _object(content, "operatingsystem")
    name = clean(hardware.get("name"))
    if not name:
        raise InventoryError("a GLPI Agent inventory without a machine name (content.hardware.name)")
    networks = [n for n in content.get("networks") or [] if isinstance(n, dict)]
    users = [u for u in content.get("users") or [] if isinstance(u, dict)]
    last_user = clean(hardware.get("lastloggeduser")) or (_login(users[0]) if users else "")
    return MachineRecord(
        name=name,
        type=_itemtype(document, MachineType.COMPUTER),
        device_id=clean(document.get("deviceid")),
        serial=serial(bios.get("ssn")),
        manufacturer=clean(bios.get("smanufacturer")) or clean(bios.get("mmanufacturer")),
        model=clean(bios.get("smodel")) or clean(bios.get("mmodel")),
        os=clean(system.get("full_name")) or operating_system(clean(system.get("name")),
                                                              clean(system.get("version"))),
        ip_addresses=ip_addresses([n.get("ipaddress") for n in networks] + [n.get("ipaddress6") for n in networks]),
        mac_addresses=mac_addresses([n.get("mac") for n in networks]),
        last_user=last_user,
        location=clean(document.get("tag")),
        inventoried_at=agent_date(_object(content, "accesslog").get("logdate")),
        source="glpi",
    )


def _network_device(document: dict[str, Any], device: dict[str, Any]) -> MachineRecord:
    name = clean(device.get("name"))
    if not name:
        raise InventoryError("a GLPI network inventory without a device name (content.network_device.name)")
    kind = ITEMTYPES.get(clean(device.get("type")).casefold())
    return MachineRecord(
        name=name,
        type=kind or _itemtype(document, MachineType.NETWORK_EQUIPMENT),
        device_id=clean(document.get("deviceid")),
        serial=serial(device.get("serial")),
        manufacturer=clean(device.get("manufacturer")),
        model=clean(device.get("model")),
        os="",
        ip_addresses=ip_addresses(list(device.get("ips") or [])),
        mac_addresses=mac_addresses([device.get("mac")]),
        location=clean(device.get("location")) or clean(document.get("tag")),
        source="glpi",
    )


def _object(content: dict[str, Any], key: str) -> dict[str, Any]:
    value = content.get(key)
    return value if isinstance(value, dict) else {}


def _login(user: dict[str, Any]) -> str:
    login, domain = clean(user.get("login")), clean(user.get("domain"))
    return f"{domain}\\{login}" if domain and login else login


def _itemtype(document: dict[str, Any], default: MachineType) -> MachineType:
    return ITEMTYPES.get(clean(document.get("itemtype")).casefold(), default)
