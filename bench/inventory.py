"""Measure 6: `mailbot inventory import` of 5,000 machines — half OCS Inventory XML, half GLPI
Agent JSON, each with its installed programs as agents send them — into an empty database,
then the same files again (every machine updated, none added), then a full import without 50
of them (50 marked missing). SQLite and PostgreSQL; whole commands, start-up included.

Alone: `.venv/bin/python -m bench.inventory [--machines N]`; in `bench/run` as `inventory`."""

from __future__ import annotations

import argparse
import json
import random
import shutil
from pathlib import Path

from bench import pg
from bench.common import WORK, Context, fresh_dir, mailbot, mailbot_env

MACHINES = 5000
TARGET_SECONDS = 30.0
PROGRAMS = 120  # a school PC's installed programs: most of an inventory file's size
MISSING = 50

OCS = """<?xml version="1.0" encoding="UTF-8" ?>
<REQUEST>
  <CONTENT>
    <ACCESSLOG><LOGDATE>2026-11-{day:02d} 08:{minute:02d}:00</LOGDATE><USERID>{user}</USERID></ACCESSLOG>
    <ACCOUNTINFO><KEYNAME>TAG</KEYNAME><KEYVALUE>Salle {room}</KEYVALUE></ACCOUNTINFO>
    <BIOS><SMANUFACTURER>Dell Inc.</SMANUFACTURER><SMODEL>OptiPlex 7010</SMODEL><SSN>{serial}</SSN>
      <BMANUFACTURER>Dell Inc.</BMANUFACTURER><BVERSION>1.21.0</BVERSION><TYPE>Desktop</TYPE></BIOS>
    <HARDWARE><NAME>{name}</NAME><OSNAME>Microsoft Windows 11 Education</OSNAME><OSVERSION>10.0.22631</OSVERSION>
      <IPADDR>{ip}</IPADDR><LASTLOGGEDUSER>{user}</LASTLOGGEDUSER><MEMORY>16105</MEMORY><UUID>{uuid}</UUID></HARDWARE>
    <NETWORKS><DESCRIPTION>Ethernet</DESCRIPTION><IPADDRESS>{ip}</IPADDRESS><MACADDR>{mac}</MACADDR><STATUS>Up</STATUS></NETWORKS>
    <NETWORKS><DESCRIPTION>Loopback</DESCRIPTION><IPADDRESS>127.0.0.1</IPADDRESS><STATUS>Up</STATUS></NETWORKS>
{programs}
  </CONTENT>
  <DEVICEID>{name}-2026-09-01-07-55-{minute:02d}</DEVICEID>
  <QUERY>INVENTORY</QUERY>
</REQUEST>
"""


def _ocs_programs(rng: random.Random) -> str:
    return "\n".join(f"    <SOFTWARES><NAME>Program {rng.randrange(10_000)}</NAME><PUBLISHER>Vendor {i}</PUBLISHER>"
                     f"<VERSION>{i}.{rng.randrange(99)}</VERSION></SOFTWARES>" for i in range(PROGRAMS))


def _glpi(values: dict, rng: random.Random) -> str:  # type: ignore[type-arg]
    return json.dumps({
        "deviceid": f"{values['name']}-2026-09-01-07-55-{values['minute']:02d}", "action": "inventory",
        "itemtype": "Computer", "tag": f"Salle {values['room']}",
        "content": {
            "versionclient": "GLPI-Agent_v1.11",
            "accesslog": {"logdate": f"2026-11-{values['day']:02d} 08:{values['minute']:02d}:00"},
            "bios": {"smanufacturer": "HP", "smodel": "HP ProBook 450 G10", "ssn": values["serial"]},
            "hardware": {"name": values["name"], "lastloggeduser": values["user"], "uuid": values["uuid"]},
            "operatingsystem": {"full_name": "Debian GNU/Linux 12 (bookworm)"},
            "networks": [{"description": "wlan0", "ipaddress": values["ip"], "mac": values["mac"]}],
            "softwares": [{"name": f"program-{rng.randrange(10_000)}", "version": f"{i}.{rng.randrange(99)}"}
                          for i in range(PROGRAMS)],
        }})


def generate(folder: Path, count: int, day: int = 28) -> int:
    """`count` inventory files in `folder`; returns their total size in bytes."""
    rng = random.Random(day)
    size = 0
    for n in range(count):
        values = {"name": f"PC-{n // 30:03d}-{n % 30:02d}", "serial": f"SN{n:08d}", "room": n // 30,
                  "user": f"eleve{n:05d}", "ip": f"10.{n // 65000}.{n // 250 % 256}.{n % 250 + 1}",
                  "mac": f"8c:04:ba:{n >> 16 & 255:02x}:{n >> 8 & 255:02x}:{n & 255:02x}",
                  "uuid": f"4c4c4544-{n:04d}", "day": day, "minute": n % 60}
        if n % 2:
            path, text = folder / f"{values['name']}.json", _glpi(values, rng)
        else:
            path, text = folder / f"{values['name']}.ocs", OCS.format(programs=_ocs_programs(rng), **values)
        path.write_text(text, encoding="utf-8")
        size += len(text.encode())
    return size


def _measure(ctx: Context, label: str, count: int, files: Path, newer: Path, partial: Path, **settings: str) -> None:
    workdir = fresh_dir(f"inventory-{label}")
    env = mailbot_env(workdir, **settings)
    mailbot(["db", "upgrade"], env, workdir)
    first, out = mailbot(["inventory", "import", str(files)], env, workdir)
    assert f"{count} machine(s) added, 0 updated" in out, out
    ctx.add(f"inventory import, {count:,} machines, {label}", f"{first:.1f} s ({count / first:.0f} machines/s)",
            f"< {TARGET_SECONDS:.0f} s", first < TARGET_SECONDS, note=out.strip())
    again, out = mailbot(["inventory", "import", str(newer)], env, workdir)
    assert f"0 machine(s) added, {count} updated" in out, out
    ctx.add(f"inventory re-import (all updated), {label}", f"{again:.1f} s ({count / again:.0f} machines/s)",
            f"< {TARGET_SECONDS:.0f} s", again < TARGET_SECONDS, note=out.strip())
    full, out = mailbot(["inventory", "import", "--full", str(partial)], env, workdir)
    assert f"--full: {MISSING} machine(s) marked missing" in out, out
    ctx.add(f"inventory full import, {MISSING} missing, {label}", f"{full:.1f} s", note=out.strip().replace("\n", "; "))
    listed, _ = mailbot(["inventory", "list", "--json"], env, workdir)
    ctx.add(f"inventory list --json, {count:,} machines, {label}", f"{listed:.2f} s")


def run(ctx: Context, count: int | None = None) -> None:
    count = count or (1000 if ctx.quick else MACHINES)
    base = fresh_dir("inventory-files")
    files, newer, partial = base / "first", base / "newer", base / "partial"
    for folder in (files, newer):
        folder.mkdir()
    size = generate(files, count)
    generate(newer, count, day=29)
    shutil.copytree(newer, partial)
    for path in sorted(partial.iterdir())[:MISSING]:
        path.unlink()
    print(f"  {count} files, {size / 1e6:.0f} MB", flush=True)
    _measure(ctx, "SQLite", count, files, newer, partial,
             database_url=f"sqlite:///{WORK / 'inventory-SQLite' / 'mailbot.db'}")
    with pg.database("inventory") as url:
        _measure(ctx, "PostgreSQL", count, files, newer, partial, database_url=url)
    shutil.rmtree(base, ignore_errors=True)


def main() -> None:
    from bench.__main__ import table

    parser = argparse.ArgumentParser(prog="python -m bench.inventory", description=__doc__)
    parser.add_argument("--machines", type=int, default=MACHINES)
    args = parser.parse_args()
    WORK.mkdir(parents=True, exist_ok=True)
    ctx = Context(quick=False)
    run(ctx, args.machines)
    print(table(ctx))


if __name__ == "__main__":
    main()
