"""`mailbot inventory import`: inventory files from files, folders or stdin, each read by the
pure parsers, then stored in one transaction. A file that cannot be read is reported with its
reason and the others go on; a full import then marks nothing missing, since the machine of
the unreadable file cannot be told apart from a machine that is gone."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from mailbot.app import App
from mailbot.parsers.inventory import InventoryError, MachineRecord, read_inventory
from mailbot.workflow.inventory_import import ImportReport, import_records

STDIN = "-"
# in a folder, the files agents write: OCS `--local` (.ocs, .xml), GLPI Agent (.json)
SUFFIXES = (".ocs", ".xml", ".json")


@dataclass
class ImportOutcome:
    report: ImportReport
    files: int = 0
    refused: list[tuple[str, str]] = field(default_factory=list)  # (file, reason)
    full_skipped: bool = False  # --full, but a file was refused: nothing marked missing


def inventory_files(paths: list[str]) -> Iterator[tuple[str, bytes]]:
    """`(name, bytes)` of each file: `-` is stdin, a folder gives its inventory files (by
    suffix, sub-folders included, sorted). A missing path raises FileNotFoundError first."""
    missing = [path for path in paths if path != STDIN and not Path(path).exists()]
    if missing:
        raise FileNotFoundError(f"no such file or directory: {', '.join(missing)}")
    for path in paths:
        if path == STDIN:
            yield "<stdin>", sys.stdin.buffer.read()
        elif Path(path).is_dir():
            for file in sorted(Path(path).rglob("*")):
                if file.is_file() and file.suffix.lower() in SUFFIXES and not file.name.startswith("."):
                    yield str(file), file.read_bytes()
        else:
            yield path, Path(path).read_bytes()


def read_files(files: Iterator[tuple[str, bytes]]) -> tuple[list[MachineRecord], list[tuple[str, str]], int]:
    records: list[MachineRecord] = []
    refused: list[tuple[str, str]] = []
    count = 0
    for name, data in files:
        count += 1
        try:
            records.append(read_inventory(data))
        except InventoryError as exc:
            refused.append((name, str(exc)))
    return records, refused, count


def import_paths(app: App, paths: list[str], *, full: bool = False) -> ImportOutcome:
    records, refused, count = read_files(inventory_files(paths))
    mark = full and not refused
    with app.db.transaction() as session:
        report = import_records(session, records, now=app.clock(), tz=app.settings.tz, full=mark)
    return ImportOutcome(report, count, refused, full_skipped=full and bool(refused))
