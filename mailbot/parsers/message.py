"""Raw mail bytes to a ParsedMessage: the one entry point of the parsers (SPEC §3)."""

from __future__ import annotations

import hashlib
import mimetypes
import os
import re
import unicodedata
from email.message import Message
from email.parser import BytesFeedParser

from mailbot.errors import ParseError
from mailbot.parsers import guard, ticket_ref
from mailbot.parsers.addresses import (
    first_address,
    first_message_id,
    message_ids,
    parse_addresses,
    parse_date,
)
from mailbot.parsers.charset import (
    decode_bytes,
    decode_header,
    one_line,
    raw_header_text,
)
from mailbot.parsers.html import html_to_text
from mailbot.parsers.quoting import strip_reply
from mailbot.parsers.types import Address, Attachment, ParsedMessage

_OLE_MAGIC = b"\xd0\xcf\x11\xe0"
_CHUNK = 1 << 16
_ORIGINAL_TYPES = ("message/rfc822", "text/rfc822-headers", "message/delivery-status")
_TEXT_TYPES = ("text/plain", "text/html")


def parse_message(
    raw: bytes, *, helpdesk_address: str, subject_tag: str = "Ticket", own_message_id_domain: str | None = None
) -> ParsedMessage:
    """Parse one RFC 822 mail; raises ParseError only when the bytes are not a mail at all."""
    _reject_non_mail(raw[:64])
    feed = BytesFeedParser()
    feed.feed(raw)
    msg = feed.close()
    if not msg.keys():
        msg = _reparse_obsolete(raw) or msg
    return _build(msg, hashlib.sha256(raw).hexdigest(), helpdesk_address, subject_tag, own_message_id_domain)


def parse_message_file(
    path: str | os.PathLike[str], *, helpdesk_address: str, subject_tag: str = "Ticket",
    own_message_id_domain: str | None = None,
) -> ParsedMessage:
    """Like parse_message, reading the file in chunks so that the raw bytes are never held whole."""
    digest = hashlib.sha256()
    feed = BytesFeedParser()
    with open(path, "rb") as handle:
        head = handle.read(_CHUNK)
        _reject_non_mail(head)
        while head:
            digest.update(head)
            feed.feed(head)
            head = handle.read(_CHUNK)
    msg = feed.close()
    if not msg.keys():
        with open(path, "rb") as handle:
            msg = _reparse_obsolete(handle.read()) or msg
    return _build(msg, digest.hexdigest(), helpdesk_address, subject_tag, own_message_id_domain)


def _reject_non_mail(head: bytes) -> None:
    if not head.strip():
        raise ParseError("empty input: not a mail")
    if head.startswith(_OLE_MAGIC):
        raise ParseError("an Outlook .msg (OLE) file, not an RFC 822 mail: save it as .eml")


def _reparse_obsolete(raw: bytes) -> Message | None:
    """RFC 2822 §4.5 obsolete syntax allows space before the colon (`From  : x`)."""
    parts = re.split(rb"(\r?\n\r?\n)", raw, maxsplit=1)
    fixed = re.sub(rb"(?m)^([!-9;-~]+)[ \t]+:", rb"\1:", parts[0])
    if fixed == parts[0]:
        return None
    feed = BytesFeedParser()
    feed.feed(fixed + b"".join(parts[1:]))
    return feed.close()


def _build(msg: Message, sha256: str, helpdesk: str, tag: str, own_domain: str | None) -> ParsedMessage:
    headers = _headers(msg)
    if not headers:
        raise ParseError("no header block: not an RFC 822 mail")
    get = lambda name: headers.get(name, [])
    bodies, attachments, originals = _walk(msg)
    plain = [text for ctype, text in bodies if ctype == "text/plain"]
    html = [text for ctype, text in bodies if ctype == "text/html"]
    text = "\n\n".join(plain) if plain else "\n\n".join(html_to_text(h) for h in html)
    text = _tidy_text(text)
    new_text = strip_reply(text)
    subject = one_line(decode_header(get("subject")[0])) if get("subject") else ""
    sender = first_address(get("from")) or Address("", "")
    to, cc = parse_addresses(get("to")), parse_addresses(get("cc"))
    message_id = first_message_id(get("message-id"))
    ctype = msg.get_content_type()
    verdict = guard.check(
        guard.GuardInput(
            headers={k: [one_line(decode_header(v)) for v in vs] for k, vs in headers.items()},
            sender=sender, subject=subject, message_id=message_id, content_type=ctype,
            report_type=str(msg.get_param("report-type", "") or "").lower(),
            has_original=bool(originals), helpdesk_address=helpdesk,
            own_message_id_domain=(own_domain or helpdesk.partition("@")[2]).lower(),
        )
    )
    return ParsedMessage(
        sha256=sha256, message_id=message_id,
        in_reply_to=message_ids(get("in-reply-to")[0]) if get("in-reply-to") else (),
        references=tuple(mid for value in get("references") for mid in message_ids(value)),
        sender=sender, reply_to=first_address(get("reply-to")), to=to, cc=cc,
        subject=subject, title=ticket_ref.make_title(subject, new_text, tag),
        date=parse_date(get("date")[0]) if get("date") else None,
        text=text, new_text=new_text, is_html_only=bool(html) and not plain,
        attachments=_postprocess_attachments(tuple(attachments)), auto=verdict,
        subject_ticket_id=ticket_ref.subject_ticket_id(subject, tag),
        plus_ticket_id=ticket_ref.plus_ticket_id((*to, *cc), helpdesk),
        bounced_message_ids=_bounced_ids(originals, plain) if verdict and verdict.kind == "bounce" else (),
        authentication_results=tuple(one_line(decode_header(v)) for v in get("authentication-results")),
        defects=_defects(msg),
    )


def _headers(msg: Message) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for name, value in msg.raw_items():
        found.setdefault(str(name).strip().lower(), []).append(value)
    return found


def _walk(msg: Message) -> tuple[list[tuple[str, str]], list[Attachment], list[Message]]:
    """Body texts (content type, text), attachments, and attached originals (for bounces)."""
    bodies: list[tuple[str, str]] = []
    attachments: list[Attachment] = []
    originals: list[Message] = []

    def visit(part: Message, body_wanted: bool) -> None:
        ctype = part.get_content_type()
        if ctype in _ORIGINAL_TYPES:
            originals.append(part)
        if part.is_multipart() and not ctype.startswith("message/"):
            children = [c for c in part.get_payload() if isinstance(c, Message)]
            if ctype == "multipart/alternative" and body_wanted:
                chosen = _best_alternative(children)
                for child in children:
                    visit(child, child is chosen)
            elif ctype in ("multipart/report", "multipart/signed", "multipart/encrypted") and children:
                visit(children[0], body_wanted)
                for child in children[1:]:
                    visit(child, False)
            else:
                for child in children:
                    visit(child, body_wanted)
        elif ctype in _TEXT_TYPES and _is_body(part):
            if body_wanted:
                bodies.append((ctype, _part_text(part)))
        else:
            attachments.append(_attachment(part, len(attachments) + 1))

    visit(msg, True)
    return bodies, attachments, originals


def _is_body(part: Message) -> bool:
    disposition = (part.get_content_disposition() or "inline").lower()
    return disposition != "attachment" and not _filename(part)


def _raw_header(part: Message, name: str) -> str | None:
    for key, value in part.raw_items():
        if str(key).strip().lower() == name:
            return value
    return None


def _filename(part: Message) -> str | None:
    # compat32 turns 8-bit parameter bytes into U+FFFD; read them from the raw header instead.
    probe = Message()
    for name in ("content-disposition", "content-type"):
        value = _raw_header(part, name)
        if value is not None:
            probe[name] = raw_header_text(value)
    name = _safe(probe.get_filename)
    return decode_header(name) if name else None


def _best_alternative(children: list[Message]) -> Message | None:
    def has(child: Message, ctype: str) -> bool:
        return any(p.get_content_type() == ctype and _is_body(p) for p in child.walk())

    for ctype in _TEXT_TYPES:
        for child in children:
            if has(child, ctype):
                return child
    return children[-1] if children else None


def _safe(getter, *args):
    try:
        return getter(*args)
    except Exception:  # noqa: BLE001 - compat32 accessors raise on some malformed parameters
        return None


def _payload_bytes(part: Message) -> bytes:
    data = _safe(part.get_payload, None, True)
    return data if isinstance(data, bytes) else b""


def _part_text(part: Message) -> str:
    text = decode_bytes(_payload_bytes(part), _safe(part.get_content_charset))
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


def _tidy_text(text: str) -> str:
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    return "\n".join(lines).strip("\n")


_FILENAME_BAD = re.compile(r'[<>:"|?*]')


def sanitise_filename(name: str | None, content_type: str, index: int) -> str:
    """A safe file name: basename only, no control characters, ≤ 255 UTF-8 bytes, never empty."""
    name = decode_header(name or "")
    name = re.split(r"[/\\]", name)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch) not in ("Cc", "Cf", "Cs"))
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
    filename = _filename(part)
    if ctype == "message/rfc822":
        inner = part.get_payload(0) if part.is_multipart() else None
        data = _safe(inner.as_bytes) if isinstance(inner, Message) else _payload_bytes(part)
        data = data or b""
        subject = one_line(decode_header(_raw_header(inner, "subject") or "")) if isinstance(inner, Message) else ""
        filename = f"{subject or 'message'}.eml"
    elif part.is_multipart():  # message/delivery-status: compat32 parses its blocks as messages
        blocks = [b for b in part.get_payload() if isinstance(b, Message)]
        data = b"\n".join(_safe(b.as_bytes) or b"" for b in blocks)
    else:
        data = _payload_bytes(part)
    cid = one_line(decode_header(_raw_header(part, "content-id") or "")).strip("<> ") or None
    return Attachment(
        filename=sanitise_filename(filename, ctype, index), content_type=ctype, data=data,
        sha256=hashlib.sha256(data).hexdigest(), inline=cid is not None, content_id=cid,
    )


def _postprocess_attachments(attachments: tuple[Attachment, ...]) -> tuple[Attachment, ...]:
    """Seam for winmail.dat (TNEF) unpacking; size limits and blocked types belong to the workflow."""
    return attachments


def _bounced_ids(originals: list[Message], texts: list[str]) -> tuple[str, ...]:
    ids: dict[str, None] = {}
    for part in originals:
        ctype = part.get_content_type()
        if ctype == "message/rfc822" and part.is_multipart():
            inner = part.get_payload(0)
            values = inner.get_all("message-id", []) if isinstance(inner, Message) else []
        elif ctype == "text/rfc822-headers":
            values = re.findall(r"(?im)^message-id:\s*(.+)$", decode_bytes(_payload_bytes(part)))
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


def _defects(msg: Message) -> tuple[str, ...]:
    names: dict[str, None] = {}
    for part in msg.walk():
        for defect in getattr(part, "defects", []):
            names.setdefault(type(defect).__name__, None)
    return tuple(names)
