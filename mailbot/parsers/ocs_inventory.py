"""OCS Inventory NG agent inventories: the XML `REQUEST` document with `QUERY` INVENTORY, a
`DEVICEID` and a `CONTENT` of sections (HARDWARE, BIOS, NETWORKS, ACCESSLOG, ACCOUNTINFO, …),
as the Unix and Windows agents write it (`--local`) or post it. Read with defusedxml: an
inventory never declares entities or fetches external ones, and refusing them keeps a hostile
file from blowing up memory, whichever expat the machine links."""

from __future__ import annotations

from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

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


def read(data: bytes) -> MachineRecord:
    try:
        root = fromstring(data)
    except DefusedXmlException as exc:
        raise InventoryError(f"XML with entity or DTD declarations, refused: {exc}") from exc
    except ParseError as exc:
        raise InventoryError(f"not well-formed XML: {exc}") from exc
    if root.tag != "REQUEST":
        raise InventoryError(f"XML whose root is <{root.tag}>, not an OCS Inventory <REQUEST>")
    query = _text(root, "QUERY")
    if query.upper() != "INVENTORY":
        raise InventoryError(f"an OCS request of kind '{query or 'none'}', not an INVENTORY")
    content = root.find("CONTENT")
    if content is None:
        raise InventoryError("an OCS inventory without CONTENT")
    hardware = content.find("HARDWARE")
    name = _text(hardware, "NAME")
    if not name:
        raise InventoryError("an OCS inventory without a machine name (CONTENT/HARDWARE/NAME)")
    bios = content.find("BIOS")
    networks = content.findall("NETWORKS")
    return MachineRecord(
        name=name,
        type=MachineType.COMPUTER,
        device_id=_text(root, "DEVICEID"),
        serial=serial(_text(bios, "SSN")),
        manufacturer=_text(bios, "SMANUFACTURER") or _text(bios, "MMANUFACTURER"),
        model=_text(bios, "SMODEL") or _text(bios, "MMODEL"),
        os=operating_system(_text(hardware, "OSNAME"), _text(hardware, "OSVERSION")),
        ip_addresses=ip_addresses([_text(n, "IPADDRESS") for n in networks] + [_text(hardware, "IPADDR")]),
        mac_addresses=mac_addresses([_text(n, "MACADDR") for n in networks]),
        last_user=(_text(hardware, "LASTLOGGEDUSER") or _text(hardware, "USERID")
                   or _text(content.find("ACCESSLOG"), "USERID")),
        location=_account_info(content, "TAG"),
        inventoried_at=agent_date(_text(content.find("ACCESSLOG"), "LOGDATE")),
        source="ocs",
    )


def _text(parent: Element | None, tag: str) -> str:
    if parent is None:
        return ""
    child = parent.find(tag)
    return clean(child.text) if child is not None and child.text else ""


def _account_info(content: Element, key: str) -> str:
    """The administrative data the agent was given (`--tag`): ACCOUNTINFO KEYNAME/KEYVALUE pairs."""
    for info in content.findall("ACCOUNTINFO"):
        if _text(info, "KEYNAME").upper() == key:
            return _text(info, "KEYVALUE")
    return ""
