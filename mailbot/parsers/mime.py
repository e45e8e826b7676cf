"""The MIME walk of a parsed mail: body texts, attachments and attached originals (SPEC §3.3–§3.5),
bounded against hostile nesting and part counts, and lean with memory for large attachments."""

from __future__ import annotations

import binascii
import hashlib
import io
import mimetypes
import os
import re
import unicodedata
from dataclasses import dataclass, field
from email.message import Message
from mmap import mmap

from mailbot.parsers import longtext
from mailbot.parsers.addresses import first_message_id
from mailbot.parsers.charset import (
    decode_bytes,
    decode_header,
    one_line,
    raw_header_text,
)
from mailbot.parsers.types import Attachment

ORIGINAL_TYPES = ("message/rfc822", "text/rfc822-headers", "message/delivery-status")
TEXT_TYPES = ("text/plain", "text/html")
# A real mail nests a handful of levels and carries tens of parts; beyond these bounds a
# mail is built to hurt, and the rest of its tree is skipped (and said so in its defects).
MAX_DEPTH = 40
MAX_PARTS = 1000
_B64_CHUNK = 1 << 20  # characters of base64 text decoded at a time


@dataclass
class MimeWalk:
    bodies: list[tuple[str, str]] = field(default_factory=list)  # (content type, text)
    attachments: list[Attachment] = field(default_factory=list)
    originals: list[Message] = field(default_factory=list)  # for bounces
    skipped: list[str] = field(default_factory=list)  # why parts were left out
    parts: int = 0
    max_text: int | None = None  # characters of one body text kept; the whole becomes a document
    cut: list[str] = field(default_factory=list)  # file names of the bodies cut at max_text


def walk(msg: Message, max_text: int | None = None) -> MimeWalk:
    """Body texts, attachments and attached originals of one mail; never raises on bad MIME.
    A body text longer than `max_text` characters is cut there, its whole text attached."""
    found = MimeWalk(max_text=max_text)
    _visit(msg, True, 0, found)
    return found


def _visit(part: Message, body_wanted: bool, depth: int, found: MimeWalk) -> None:
    found.parts += 1
    if found.parts > MAX_PARTS:
        if not found.skipped or "parts" not in found.skipped[-1]:
            found.skipped.append(f"more than {MAX_PARTS} MIME parts")
        return
    if depth > MAX_DEPTH:
        if not found.skipped or "nested" not in found.skipped[-1]:
            found.skipped.append(f"MIME nested deeper than {MAX_DEPTH} levels")
        return
    ctype = part.get_content_type()
    if ctype in ORIGINAL_TYPES:
        found.originals.append(part)
    if part.is_multipart() and not ctype.startswith("message/"):
        children = [c for c in part.get_payload() if isinstance(c, Message)]
        if ctype == "multipart/alternative" and body_wanted:
            chosen = _best_alternative(children)
            for child in children:
                _visit(child, child is chosen, depth + 1, found)
        elif ctype in ("multipart/report", "multipart/signed", "multipart/encrypted") and children:
            _visit(children[0], body_wanted, depth + 1, found)
            for child in children[1:]:
                _visit(child, False, depth + 1, found)
        else:
            for child in children:
                _visit(child, body_wanted, depth + 1, found)
    elif ctype in TEXT_TYPES and is_body(part):
        if body_wanted:
            text = part_text(part)
            if found.max_text is not None and len(text) > found.max_text:
                text, whole = longtext.cut(text, ctype, found.max_text)
                found.attachments.append(whole)
                found.cut.append(whole.filename)
            found.bodies.append((ctype, text))
    else:
        found.attachments.append(_attachment(part, len(found.attachments) + 1))


def is_body(part: Message) -> bool:
    disposition = (_safe(part.get_content_disposition) or "inline").lower()
    return disposition != "attachment" and not filename_of(part)


def raw_header(part: Message, name: str) -> str | None:
    for key, value in part.raw_items():
        if str(key).strip().lower() == name:
            return value
    return None


def filename_of(part: Message) -> str | None:
    # compat32 turns 8-bit parameter bytes into U+FFFD; read them from the raw header instead.
    probe = Message()
    for name in ("content-disposition", "content-type"):
        value = raw_header(part, name)
        if value is not None:
            probe[name] = raw_header_text(value)
    name = _safe(probe.get_filename)
    return decode_header(name) if name else None


def _best_alternative(children: list[Message]) -> Message | None:
    def has(child: Message, ctype: str) -> bool:
        return any(p.get_content_type() == ctype and is_body(p) for p in child.walk())

    for ctype in TEXT_TYPES:
        for child in children:
            if has(child, ctype):
                return child
    return children[-1] if children else None


def _safe(getter, *args):
    try:
        return getter(*args)
    except Exception:  # noqa: BLE001 - compat32 accessors raise on some malformed parameters
        return None


def payload_bytes(part: Message) -> bytes:
    data = _safe(part.get_payload, None, True)
    return data if isinstance(data, bytes) else b""


@dataclass
class RawBody:
    """A leaf's base64 body left in the raw mail bytes, never split into lines by the parser:
    `raw[start:end]` is the text the parser would have kept, `padding` its trailing `=` count,
    or None when `=` also appears before the end (then only the stdlib decoders say what it is)."""

    raw: bytes | mmap  # the mail, or a memory map of the mail file
    start: int
    end: int
    padding: int | None

    @property
    def size(self) -> int:
        return self.end - self.start

    def text(self) -> str:
        with memoryview(self.raw) as view:  # as the parser reads a body: other bytes surrogate-escaped
            return str(view[self.start:self.end], "ascii", "surrogateescape")

    def decode(self) -> bytes | None:
        """The bytes when the body is strictly valid base64, on which every decoder agrees; else None."""
        if self.padding is None:
            return None
        try:
            data = binascii.a2b_base64(memoryview(self.raw)[self.start:self.end])
        except binascii.Error:
            return None
        # Unpadded lengths leave 0, 1 or 2 bytes after the last full group: they need 0, 2 or 1 `=`.
        return data if (0, 2, 1)[len(data) % 3] == self.padding else None


def _release_payload(part: Message) -> bytes:
    """The decoded payload of a leaf part; the part's encoded text is dropped afterwards, so
    that a large attachment is held once (decoded), not three times (text, bytes, decoded)."""
    payload = part._payload  # type: ignore[attr-defined]  # the parsed body itself, not a copy
    cte = str(part.get("content-transfer-encoding", ""))
    if isinstance(payload, RawBody):
        data = payload.decode()
        # The two base64 paths below read the encoding name differently; both apply here.
        if data is not None and (cte.lower() == "base64" or (cte.strip().lower() == "base64"
                                                              and payload.size > _B64_CHUNK)):
            part._payload = ""  # type: ignore[attr-defined]  # drops the parsed text: a big body is held once
            return data
        part._payload = payload = payload.text()  # type: ignore[attr-defined]  # the RawBody replaced by its text
    if cte.strip().lower() == "base64" and isinstance(payload, str) and len(payload) > _B64_CHUNK:
        data = _b64decode_chunked(payload)
    else:
        data = payload_bytes(part)
    part._payload = ""  # type: ignore[attr-defined]  # drops the parsed text: a big body is held once
    return data


_NOT_B64 = bytes(set(range(256)) - set(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"))


def _b64decode_chunked(text: str) -> bytes:
    """Lenient decoding of a large damaged body: every non-alphabet character (`=` included) is
    dropped, a last group of 2 or 3 characters is padded, a lone last character is dropped."""
    out = io.BytesIO()
    carry = b""
    for start in range(0, len(text), _B64_CHUNK):
        chunk = carry + text[start:start + _B64_CHUNK].encode("ascii", "ignore").translate(None, _NOT_B64)
        usable = len(chunk) - len(chunk) % 4
        carry = chunk[usable:]
        out.write(binascii.a2b_base64(memoryview(chunk)[:usable]))
    if len(carry) >= 2:
        out.write(binascii.a2b_base64(carry + b"=" * (-len(carry) % 4)))
    return out.getvalue()


_UNENCODED = ("", "7bit", "8bit", "binary")


def decoded_only_on_release(part: Message) -> bool:
    """Whether the walk reads this leaf through _release_payload or part_text alone (or not at
    all), so that its body may stay a RawBody; any other reading needs the parser's text."""
    ctype = part.get_content_type()
    if part.is_multipart() or ctype.startswith("message/") or ctype in ORIGINAL_TYPES:
        return False
    if ctype in TEXT_TYPES and is_body(part):  # part_text reads unencoded bodies from the raw bytes
        return str(part.get("content-transfer-encoding", "")).strip().lower() in _UNENCODED
    return True


def part_text(part: Message) -> str:
    if isinstance(part._payload, RawBody):  # type: ignore[attr-defined]  # an unencoded body: its bytes are the raw mail's
        with memoryview(part._payload.raw) as view:  # type: ignore[attr-defined]  # a RawBody, read in place
            data = bytes(view[part._payload.start:part._payload.end])  # type: ignore[attr-defined]  # a RawBody, read in place
        part._payload = ""  # type: ignore[attr-defined]  # drops the body: it is held once
    else:
        data = payload_bytes(part)
    if isinstance(part._payload, str) and len(part._payload) > _B64_CHUNK:  # type: ignore[attr-defined]  # the text as parsed
        part._payload = ""  # type: ignore[attr-defined]  # a large body is held once, as its text, not also as the parser's lines
    text = decode_bytes(data, _safe(part.get_content_charset))
    del data
    if part.get_content_type() == "text/plain" and str(part.get_param("format", "")).lower() == "flowed":
        text = _unflow(text, str(part.get_param("delsp", "")).lower() == "yes")
    return text


def _unflow(text: str, delsp: bool) -> str:
    """RFC 3676 format=flowed: a line ending in a space continues on the next line."""
    out: list[str] = []
    joining = False
    for line in text.replace("\r\n", "\n").split("\n"):
        soft = line.endswith(" ") and line != "-- "
        piece = line[:-1] if soft and delsp else line
        piece = piece.removeprefix(" ")  # space-stuffing
        if joining and out:
            out[-1] += piece.lstrip(">").lstrip(" ") if piece.startswith(">") else piece
        else:
            out.append(piece)
        joining = soft
    return "\n".join(out)


_FILENAME_BAD = re.compile(r'[<>:"|?*]')


def sanitise_filename(name: str | None, content_type: str, index: int) -> str:
    """A safe file name: basename only, no control characters, ≤ 255 UTF-8 bytes, never empty."""
    name = decode_header(name or "")
    name = re.split(r"[/\\]", name)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch) not in ("Cc", "Cf", "Cs", "Zl", "Zp"))
    name = _FILENAME_BAD.sub("_", name)
    name = re.sub(r"\.{2,}", ".", name).strip(" .")
    if not name:
        name = f"attachment-{index}{mimetypes.guess_extension(content_type) or ''}"
    stem, ext = os.path.splitext(name)
    if len(ext.encode("utf-8")) > 32:
        stem, ext = name, ""
    while len((stem + ext).encode("utf-8")) > 255:
        stem = stem[:-1]
    return stem + ext


def _attachment(part: Message, index: int) -> Attachment:
    ctype = part.get_content_type()
    filename = filename_of(part)
    if ctype == "message/rfc822":
        inner = part.get_payload(0) if part.is_multipart() else None
        data = _safe(inner.as_bytes) if isinstance(inner, Message) else payload_bytes(part)
        data = data or b""
        subject = one_line(decode_header(raw_header(inner, "subject") or "")) if isinstance(inner, Message) else ""
        filename = f"{subject or 'message'}.eml"
    elif part.is_multipart():  # message/delivery-status: compat32 parses its blocks as messages
        blocks = [b for b in part.get_payload() if isinstance(b, Message)]
        data = b"\n".join(_safe(b.as_bytes) or b"" for b in blocks)
    elif ctype in ORIGINAL_TYPES:  # read again for the bounce's Message-IDs
        data = payload_bytes(part)
    else:
        data = _release_payload(part)
    cid = one_line(decode_header(raw_header(part, "content-id") or "")).strip("<> ") or None
    return Attachment(
        filename=sanitise_filename(filename, ctype, index), content_type=ctype, data=data,
        sha256=hashlib.sha256(data).hexdigest(), inline=cid is not None, content_id=cid,
    )


def bounced_ids(originals: list[Message], texts: list[str]) -> tuple[str, ...]:
    """The Message-IDs a bounce reports on: from the attached original or its headers."""
    ids: dict[str, None] = {}
    for part in originals:
        ctype = part.get_content_type()
        if ctype == "message/rfc822" and part.is_multipart():
            inner = part.get_payload(0)
            values = inner.get_all("message-id", []) if isinstance(inner, Message) else []
        elif ctype == "text/rfc822-headers":
            values = re.findall(r"(?im)^message-id:\s*(.+)$", decode_bytes(payload_bytes(part)))
        else:
            continue
        mid = first_message_id(values)
        if mid:
            ids.setdefault(mid, None)
    if not ids:  # a plain-text bounce that quotes the original headers in its body
        for text in texts:
            for value in re.findall(r"(?im)^\s*message-id:\s*(<[^>\s]+>)", text):
                ids.setdefault(value.strip("<>"), None)
    return tuple(ids)
