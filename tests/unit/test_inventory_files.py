"""Reading inventory files: OCS Inventory NG XML and GLPI Agent JSON, written for these tests
after the agents' formats (tests/fixtures/inventory)."""

from __future__ import annotations

import zlib
from datetime import datetime
from pathlib import Path

import pytest

from mailbot.parsers.inventory import InventoryError, MachineType, read_inventory

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
FILES = FIXTURES / "inventory"


def read(name: str):  # type: ignore[no-untyped-def]
    path = FILES / name if (FILES / name).exists() else FIXTURES / "inventory-broken" / name
    return read_inventory(path.read_bytes())


def test_an_ocs_linux_inventory_gives_every_field():
    machine = read("ocs_203-02.xml")
    assert machine.name == "203-02"
    assert machine.type is MachineType.COMPUTER
    assert machine.device_id == "203-02-2026-09-01-07-55-12"
    assert machine.serial == "7H2KQ93"
    assert (machine.manufacturer, machine.model) == ("Dell Inc.", "OptiPlex 7010")
    assert machine.os == "Debian GNU/Linux 12 (bookworm) 6.1.0-27-amd64"
    assert machine.ip_addresses == ("10.2.3.42",)  # no loopback, no link-local, once
    assert machine.mac_addresses == ("8c:04:ba:5e:21:7a",)
    assert machine.last_user == "loic.medori"
    assert machine.location == "Salle 203"
    assert machine.inventoried_at == datetime(2026, 11, 29, 8, 12, 3)
    assert machine.source == "ocs"


def test_an_ocs_windows_inventory_in_latin_1_with_a_placeholder_serial():
    machine = read("ocs_cdi-05_windows.xml")
    assert machine.name == "CDI-05"
    assert machine.os == "Microsoft Windows 11 Éducation 10.0.22631"
    assert machine.serial == ""  # "To Be Filled By O.E.M." is no serial number
    assert machine.last_user == "LYCEE\\m.durand"
    assert machine.location == "CDI"


def test_a_compressed_ocs_upload_is_read_like_the_plain_file():
    raw = (FILES / "ocs_203-02.xml").read_bytes()
    assert read_inventory(zlib.compress(raw)) == read_inventory(raw)


def test_a_glpi_agent_computer_inventory():
    machine = read("glpi_prof-portable-12.json")
    assert machine.name == "PROF-PORTABLE-12"
    assert machine.type is MachineType.COMPUTER
    assert machine.device_id == "PROF-PORTABLE-12-2026-01-15-09-30-00"
    assert machine.serial == "5CD3471QZX"
    assert (machine.manufacturer, machine.model) == ("HP", "HP ProBook 450 G10 Notebook PC")
    assert machine.os == "Microsoft Windows 11 Professionnel"
    assert machine.ip_addresses == ("10.3.12.77", "2001:db8:12::77")
    assert machine.mac_addresses == ("a4:c3:f0:aa:bb:cc",)
    assert machine.last_user == "claire.petit"
    assert machine.location == "Salle des professeurs"
    assert machine.inventoried_at == datetime(2026, 11, 27, 12, 5, 44)
    assert machine.source == "glpi"


def test_a_glpi_agent_network_inventory_of_a_printer():
    machine = read("glpi_imprimante-203.json")
    assert (machine.name, machine.type) == ("IMPRIMANTE-203", MachineType.PRINTER)
    assert (machine.serial, machine.model, machine.location) == ("E78123K4N912345", "HL-L5210DN", "Salle 203")
    assert machine.ip_addresses == ("10.2.3.250",)


@pytest.mark.parametrize(("name", "reason"), [
    ("broken_unclosed.xml", "not well-formed XML"),
    ("broken_truncated.json", "not valid JSON"),
    ("entities.xml", "entity or DTD declarations, refused"),
])
def test_a_broken_file_is_refused_with_its_reason(name, reason):
    with pytest.raises(InventoryError, match=reason):
        read(name)


@pytest.mark.parametrize(("data", "reason"), [
    (b"", "empty file"),
    (b"hello", "neither an OCS Inventory XML document nor a GLPI Agent JSON inventory"),
    (b"<html><body/></html>", "not an OCS Inventory <REQUEST>"),
    (b"<REQUEST><QUERY>PROLOG</QUERY><DEVICEID>x</DEVICEID></REQUEST>", "kind 'PROLOG', not an INVENTORY"),
    (b"<REQUEST><QUERY>INVENTORY</QUERY><CONTENT><BIOS/></CONTENT></REQUEST>", "without a machine name"),
    (b'{"deviceid": "x", "content": {"bios": {}}}', "without a machine name"),
    (b'{"deviceid": "x", "partial": true, "content": {"cpus": []}}', "partial inventory"),
    (b"[1, 2]", "not a GLPI Agent inventory"),
    (b"\x78\x9c garbage", "compressed data that cannot be read"),
])
def test_what_is_not_an_inventory_says_why(data, reason):
    with pytest.raises(InventoryError, match=reason):
        read_inventory(data)
