"""Read addresses, Message-IDs and dates out of raw header values, never raising.

The sender of a mail (docs/BEHAVIOUR.md, "Who sent a mail") is the first usable address of:

| order | header        | note                                                        |
|-------|---------------|-------------------------------------------------------------|
| 1     | `From:`       | every `From:` header in turn; its display name is kept       |
| 2     | `Sender:`     |                                                             |
| 3     | `Reply-To:`   |                                                             |
| 4     | `Return-Path:`| the envelope sender; `<>` (a bounce) is no address          |

In any of them an address written where the name goes (`"a@b.example"`, `a@b.example <>`,
`Name a@b.example`) counts as the address."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from email.utils import getaddresses, parsedate_to_datetime

from mailbot.parsers.charset import decode_header, one_line, raw_header_text
from mailbot.parsers.types import Address

_EMAIL_RE = re.compile(r"^[^@\s<>(),;:\"\[\]]+@[^@\s<>(),;:\"\[\]]+$")
_ADDRESS_WORD = re.compile(r"[^@\s<>(),;:\"\[\]]+@[^@\s<>(),;:\"\[\]]+")
_ANGLE = re.compile(r"<[^<>]*>")
SENDER_HEADERS = ("from", "sender", "reply-to", "return-path")
_BRACKETED_ID = re.compile(r"<\s*([^<>\s]+)\s*>")
_NO_ADDRESS = Address("", "")


def _address(name: str, email: str) -> Address | None:
    email = email.strip().strip("<>").strip().lower()
    name = one_line(decode_header(name)).strip().strip("\"'").strip()
    if not _EMAIL_RE.match(email):
        return Address(name, "") if name else None
    return Address(name, email)


def parse_addresses(values: Sequence[object]) -> tuple[Address, ...]:
    """Every usable address of some To/Cc/From header values, in order, without duplicates."""
    texts = [re.sub(r"\r?\n[ \t]*", " ", raw_header_text(v)) for v in values]
    try:
        pairs = getaddresses(texts)
    except Exception:  # noqa: BLE001 - the stdlib address parser has raised on hostile input before
        pairs = []
    found: dict[str, Address] = {}
    for name, email in pairs:
        addr = _address(name, email)
        if addr is not None and addr.email and addr.email not in found:
            found[addr.email] = addr
    return tuple(found.values())


def first_address(values: Sequence[object]) -> Address | None:
    """The first address of a Reply-To header, or None when there is none at all."""
    if not values:
        return None
    addresses = parse_addresses(values[:1])
    return addresses[0] if addresses else _NO_ADDRESS


def find_sender(headers: Mapping[str, list[str]]) -> tuple[Address, str]:
    """The sender and the header it came from (one of SENDER_HEADERS), or an Address without
    email and "" when no header holds a usable address. An address found past `From:` takes
    the `From:` display name when it has none of its own (`From: Loïc Medori` with
    `Sender: loic@…` is Loïc Medori)."""
    from_name = ""
    for header in SENDER_HEADERS:
        for value in headers.get(header, []):
            found = _header_sender(value)
            if found.email:
                return Address(found.name or from_name, found.email), header
            if header == "from" and not from_name:
                from_name = found.name
    return Address(from_name, ""), ""


def _header_sender(value: object) -> Address:
    """The first usable address of one header value, else its display name alone."""
    parsed = parse_addresses([value])
    if parsed:
        return parsed[0]
    text = _ANGLE.sub(" ", one_line(decode_header(value)))
    words = [w.strip(".").lower() for w in _ADDRESS_WORD.findall(text)]
    email = next((w for w in words if _EMAIL_RE.match(w)), "")
    name = one_line(_ADDRESS_WORD.sub(" ", text).replace('"', " ")).strip(" '")
    return Address(name, email)


def message_ids(value: object) -> tuple[str, ...]:
    """Message-IDs of an In-Reply-To/References/Message-ID value, without angle brackets."""
    if value is None:
        return ()
    text = one_line(raw_header_text(value))
    ids = _BRACKETED_ID.findall(text)
    if not ids:
        ids = [token.strip("<>,;") for token in text.split() if "@" in token]
    seen: dict[str, None] = {}
    for mid in ids:
        if mid:
            seen.setdefault(mid, None)
    return tuple(seen)


def first_message_id(values: Sequence[object]) -> str:
    """The first valid Message-ID among several headers, "" when none is usable."""
    for value in values:
        ids = message_ids(value)
        if ids:
            return ids[0]
    for value in values:
        token = one_line(raw_header_text(value)).strip("<> ")
        if token and " " not in token:
            return token
    return ""


def parse_date(value: object) -> datetime | None:
    """An aware UTC datetime, or None for a missing or unreadable date."""
    if value is None:
        return None
    try:
        parsed = parsedate_to_datetime(one_line(raw_header_text(value)))
    except Exception:  # noqa: BLE001 - TypeError/ValueError/IndexError/OverflowError all seen on bad dates
        return None
    if parsed is None:
        return None
    try:
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=UTC)
        return parsed.astimezone(UTC)
    except (OverflowError, ValueError):
        return None
