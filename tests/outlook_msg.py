"""Outlook .msg files written by the tests: a minimal OLE compound file ([MS-CFB], version 3)
holding a mail's MAPI properties ([MS-OXMSG]), enough for Outlook readers to open it.
No maintained library writes .msg files, so the tests make their own."""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from datetime import datetime

SECTOR, MINI, CUTOFF = 512, 64, 4096
FREE, END, FATSECT, NOSTREAM = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD, 0xFFFFFFFF
PT_LONG, PT_SYSTIME, PT_UNICODE, PT_BINARY = 0x0003, 0x0040, 0x001F, 0x0102


@dataclass
class Part:
    name: str
    data: bytes
    content_type: str


@dataclass
class OutlookMail:
    sender_name: str
    sender: str
    to: list[tuple[str, str]]
    subject: str
    body: str
    html: str = ""
    message_id: str = ""
    date: datetime | None = None
    transport_headers: str = ""
    attachments: list[Part] = field(default_factory=list)

    def to_bytes(self) -> bytes:
        return compound_file(self._tree())

    def _tree(self) -> dict:  # type: ignore[type-arg]
        props: list[tuple[int, int, object]] = [
            (0x001A, PT_UNICODE, "IPM.Note"), (0x0037, PT_UNICODE, self.subject),
            (0x0C1A, PT_UNICODE, self.sender_name), (0x0C1F, PT_UNICODE, self.sender),
            (0x0C1E, PT_UNICODE, "SMTP"), (0x0042, PT_UNICODE, self.sender_name),
            (0x0065, PT_UNICODE, self.sender), (0x0064, PT_UNICODE, "SMTP"), (0x5D01, PT_UNICODE, self.sender),
            (0x0E04, PT_UNICODE, "; ".join(name for name, _ in self.to)), (0x1000, PT_UNICODE, self.body),
        ]
        if self.html:
            props.append((0x1013, PT_BINARY, self.html.encode("utf-8")))
        if self.message_id:
            props.append((0x1035, PT_UNICODE, self.message_id))
        if self.date:
            props.append((0x0039, PT_SYSTIME, self.date))
        if self.transport_headers:
            props.append((0x007D, PT_UNICODE, self.transport_headers))
        tree: dict = {"__nameid_version1.0": {  # type: ignore[type-arg]
            "__substg1.0_00020102": b"", "__substg1.0_00030102": b"", "__substg1.0_00040102": b""}}
        head = struct.pack("<8xIIII8x", len(self.to), len(self.attachments), len(self.to), len(self.attachments))
        tree.update(_properties(props, head))
        for index, (name, address) in enumerate(self.to):
            tree[f"__recip_version1.0_#{index:08X}"] = _properties([
                (0x0C15, PT_LONG, 1), (0x3001, PT_UNICODE, name), (0x3002, PT_UNICODE, "SMTP"),
                (0x3003, PT_UNICODE, address), (0x39FE, PT_UNICODE, address), (0x0FFE, PT_LONG, 6),
            ], b"\0" * 8)
        for index, part in enumerate(self.attachments):
            tree[f"__attach_version1.0_#{index:08X}"] = _properties([
                (0x3705, PT_LONG, 1), (0x3707, PT_UNICODE, part.name), (0x3704, PT_UNICODE, part.name),
                (0x370E, PT_UNICODE, part.content_type), (0x3701, PT_BINARY, part.data), (0x0E21, PT_LONG, index),
                (0x0FFE, PT_LONG, 7),
            ], b"\0" * 8)
        return tree


def _properties(props: list[tuple[int, int, object]], head: bytes) -> dict[str, bytes]:
    """The `__properties_version1.0` stream of one object and its variable-length values."""
    streams: dict[str, bytes] = {}
    table = bytearray(head)
    for prop_id, kind, value in props:
        tag = (prop_id << 16) | kind
        if kind == PT_LONG:
            fixed = struct.pack("<I4x", value)
        elif kind == PT_SYSTIME:
            ticks = int((value.timestamp() + 11644473600) * 10_000_000)  # type: ignore[attr-defined]
            fixed = struct.pack("<Q", ticks)
        else:
            # a string's stream holds no terminator; its size in the table counts one
            data = value.encode("utf-16-le") if kind == PT_UNICODE else value  # type: ignore[attr-defined]
            streams[f"__substg1.0_{tag:08X}"] = data  # type: ignore[assignment]
            fixed = struct.pack("<I4x", len(data) + 2 * (kind == PT_UNICODE))  # type: ignore[arg-type]
        table += struct.pack("<II", tag, 6) + fixed
    streams["__properties_version1.0"] = bytes(table)
    return streams


def compound_file(tree: dict) -> bytes:  # type: ignore[type-arg]
    """An OLE compound file (512-byte sectors) holding `tree`: name -> bytes (a stream) or a dict
    (a storage). Streams under 4096 bytes live in the mini stream, as the format requires."""
    entries: list[dict] = [{"name": "Root Entry", "type": 5, "kids": []}]  # type: ignore[type-arg]

    def add(storage: dict, parent: int) -> None:  # type: ignore[type-arg]
        for name, value in storage.items():
            entries.append({"name": name, "type": 1 if isinstance(value, dict) else 2,
                            "data": value if isinstance(value, bytes) else b"", "kids": []})
            entries[parent]["kids"].append(len(entries) - 1)
            if isinstance(value, dict):
                add(value, len(entries) - 1)

    add(tree, 0)
    mini, minifat = bytearray(), []
    big: list[tuple[int, bytes]] = []
    for index, entry in enumerate(entries):
        data = entry.get("data", b"")
        if entry["type"] != 2 or not data:
            entry["start"] = END
        elif len(data) < CUTOFF:
            first, count = len(mini) // MINI, -(-len(data) // MINI)
            entry["start"] = first
            minifat += [first + i + 1 for i in range(count - 1)] + [END]
            mini += data + b"\0" * (count * MINI - len(data))
        else:
            big.append((index, data))
    sectors: list[bytes] = []
    fat: list[int] = []

    def place(data: bytes) -> int:
        if not data:
            return END
        first, count = len(sectors), -(-len(data) // SECTOR)
        for i in range(count):
            sectors.append(data[i * SECTOR:(i + 1) * SECTOR].ljust(SECTOR, b"\0"))
        fat.extend([first + i + 1 for i in range(count - 1)] + [END])
        return first

    for index, data in big:
        entries[index]["start"] = place(data)
    entries[0]["start"], entries[0]["size"] = place(bytes(mini)), len(mini)
    minifat_start = place(b"".join(struct.pack("<I", n) for n in minifat))
    minifat_sectors = -(-len(minifat) * 4 // SECTOR)
    for entry in entries:
        _link(entries, entry)
    directory = b"".join(_dir_entry(e) for e in entries)
    directory += b"".join(_dir_entry(None) for _ in range(-len(entries) % 4))
    dir_start = place(directory)
    fat_count = 1
    while fat_count * 128 < len(sectors) + fat_count:
        fat_count += 1
    fat_start = len(sectors)
    fat += [FATSECT] * fat_count
    fat += [FREE] * (fat_count * 128 - len(fat))
    table = b"".join(struct.pack("<I", n) for n in fat)
    sectors += [table[i * SECTOR:(i + 1) * SECTOR] for i in range(fat_count)]
    difat = [fat_start + i for i in range(fat_count)] + [FREE] * (109 - fat_count)
    header = struct.pack("<8s16sHHHHH6xIIIIIIIII", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", b"\0" * 16, 0x3E, 3,
                         0xFFFE, 9, 6, 0, fat_count, dir_start, 0, CUTOFF,
                         minifat_start if minifat else END, minifat_sectors, END, 0)
    header += b"".join(struct.pack("<I", n) for n in difat)
    return header + b"".join(sectors)


def _link(entries: list[dict], entry: dict) -> None:  # type: ignore[type-arg]
    """The children of a storage as a balanced binary tree in the format's name order."""
    kids = sorted(entry["kids"], key=lambda i: (len(entries[i]["name"]), entries[i]["name"].upper()))

    def tree(items: list[int]) -> int:
        if not items:
            return NOSTREAM
        middle = len(items) // 2
        entries[items[middle]]["left"] = tree(items[:middle])
        entries[items[middle]]["right"] = tree(items[middle + 1:])
        return items[middle]

    entry["child"] = tree(kids)


def _dir_entry(entry: dict | None) -> bytes:  # type: ignore[type-arg]
    if entry is None:
        return struct.pack("<64sHBBIII16sIQQIQ", b"", 0, 0, 0, NOSTREAM, NOSTREAM, NOSTREAM, b"", 0, 0, 0, 0, 0)
    name = entry["name"].encode("utf-16-le") + b"\0\0"
    size = entry.get("size", len(entry.get("data", b"")))
    return struct.pack("<64sHBBIII16sIQQIQ", name, len(name), entry["type"], 1, entry.get("left", NOSTREAM),
                       entry.get("right", NOSTREAM), entry.get("child", NOSTREAM), b"", 0, 0, 0,
                       entry["start"], size)
