"""Raw mail bytes to a ParsedMessage: the one entry point of the parsers (SPEC §3)."""

from __future__ import annotations

import hashlib
import mmap
import os
import re
from collections.abc import Iterator, Mapping
from dataclasses import replace
from email import errors
from email.message import Message
from email.parser import BytesFeedParser

from mailbot.errors import ParseError
from mailbot.parsers import bigbodies, guard, header_block, longtext, mailkey, mime, ticket_ref, tnef
from mailbot.parsers.addresses import (
    find_sender,
    first_address,
    first_message_id,
    message_ids,
    parse_addresses,
    parse_date,
)
from mailbot.parsers.charset import decode_header, one_line
from mailbot.parsers.html import html_to_text
from mailbot.parsers.mime import sanitise_filename
from mailbot.parsers.quoting import strip_reply
from mailbot.parsers.types import Attachment, ParsedMessage

__all__ = ["parse_message", "parse_message_file", "sanitise_filename"]

_OLE_MAGIC = b"\xd0\xcf\x11\xe0"
_CHUNK = 1 << 16


def parse_message(
    raw: bytes, *, helpdesk_address: str, subject_tag: str = "Ticket", own_message_id_domain: str | None = None,
    max_text: int | None = None,
) -> ParsedMessage:
    """Parse one RFC 822 mail; raises ParseError only when the bytes are not a mail at all.
    A body text longer than `max_text` characters is cut there (see longtext)."""
    _reject_non_mail(raw[:64])
    return _parse(raw, helpdesk_address, subject_tag, own_message_id_domain, max_text)


def parse_message_file(
    path: str | os.PathLike[str], *, helpdesk_address: str, subject_tag: str = "Ticket",
    own_message_id_domain: str | None = None, max_text: int | None = None,
) -> ParsedMessage:
    """Like parse_message, reading the file through a memory map so that it is never copied whole."""
    with open(path, "rb") as handle:
        _reject_non_mail(handle.read(_CHUNK))
        try:
            mapped = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
        except (OSError, ValueError):  # not a regular file
            handle.seek(0)
            return _parse(handle.read(), helpdesk_address, subject_tag, own_message_id_domain, max_text)
    with mapped:
        return _parse(mapped, helpdesk_address, subject_tag, own_message_id_domain, max_text)


def _parse(raw: bytes | mmap.mmap, helpdesk: str, tag: str, own_domain: str | None, max_text: int | None) -> ParsedMessage:
    try:
        start = header_block.start(raw)  # past junk lines before the headers, without a copy
        msg = bigbodies.parse(raw, start)
        if msg.keys() and _stray_header_line(msg):
            mended = header_block.without_stray_lines(raw, start)
            msg = bigbodies.parse(mended) if mended is not None else msg
        if not msg.keys():
            msg = _reparse_obsolete(raw[start:]) or msg
        parsed = _build(msg, hashlib.sha256(raw).hexdigest(), helpdesk, tag, own_domain, max_text)
        return replace(parsed, content_digest=mailkey.content_digest(raw))
    except ParseError:
        raise
    except RecursionError as exc:
        raise ParseError("MIME structure nested too deeply to read") from exc
    except Exception as exc:
        raise ParseError(f"unreadable mail ({type(exc).__name__}: {exc})"[:500]) from exc


def _reject_non_mail(head: bytes) -> None:
    if not head.strip():
        raise ParseError("empty input: not a mail")
    if head.startswith(_OLE_MAGIC):
        # `mailbot ingest` converts the .msg files it can read; IMAP and SMTP carry only mail
        raise ParseError("an Outlook .msg (OLE) file that could not be read as a mail: save it as .eml")


def _stray_header_line(msg: Message) -> bool:
    """The standard parser stopped the header block at a line that is not a header."""
    return any(isinstance(d, errors.MissingHeaderBodySeparatorDefect) for d in msg.defects)


def _reparse_obsolete(raw: bytes) -> Message | None:
    """RFC 2822 §4.5 obsolete syntax allows space before the colon (`From  : x`)."""
    parts = re.split(rb"(\r?\n\r?\n)", raw, maxsplit=1)
    fixed = re.sub(rb"(?m)^([!-9;-~]+)[ \t]+:", rb"\1:", parts[0])
    if fixed == parts[0]:
        return None
    feed = BytesFeedParser()
    feed.feed(fixed + b"".join(parts[1:]))
    return feed.close()


def _build(msg: Message, sha256: str, helpdesk: str, tag: str, own_domain: str | None,
           max_text: int | None = None) -> ParsedMessage:
    headers = _headers(msg)
    if not headers:
        raise ParseError("no header block: not an RFC 822 mail")

    def get(name: str) -> list[str]:
        return headers.get(name, [])

    found = mime.walk(msg, max_text)
    bodies, attachments, originals = found.bodies, found.attachments, found.originals
    plain = [text for ctype, text in bodies if ctype == "text/plain"]
    html = [text for ctype, text in bodies if ctype == "text/html"]
    text = "\n\n".join(plain) if plain else "\n\n".join(html_to_text(h) for h in html)
    text = _tidy_text(text)
    new_text = strip_reply(text)
    if found.cut:
        text, new_text = (f"{t}\n\n{longtext.note(max_text or 0, found.cut)}".lstrip("\n") for t in (text, new_text))
    subject = one_line(decode_header(get("subject")[0])) if get("subject") else ""
    sender, sender_source = find_sender(headers)
    to, cc = parse_addresses(get("to")), parse_addresses(get("cc"))
    message_id = first_message_id(get("message-id"))
    ctype = msg.get_content_type()
    verdict = guard.check(
        guard.GuardInput(
            headers=_DecodedHeaders(headers),
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
        bounced_message_ids=mime.bounced_ids(originals, plain) if verdict and verdict.kind == "bounce" else (),
        authentication_results=tuple(one_line(decode_header(v)) for v in get("authentication-results")),
        defects=_defects(msg) + tuple(found.skipped), sender_source=sender_source,
    )


class _DecodedHeaders(Mapping[str, list[str]]):
    """The mail's headers by lower-case name, each one's values decoded to one line when first
    read: the guard reads a few headers of a mail, not each of its Received lines."""

    def __init__(self, raw: dict[str, list[str]]):
        self._raw = raw
        self._decoded: dict[str, list[str]] = {}

    def __getitem__(self, name: str) -> list[str]:
        if name not in self._decoded:
            self._decoded[name] = [one_line(decode_header(value)) for value in self._raw[name]]
        return self._decoded[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._raw)

    def __len__(self) -> int:
        return len(self._raw)


def _headers(msg: Message) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for name, value in msg.raw_items():
        found.setdefault(str(name).strip().lower(), []).append(value)
    return found


def _tidy_text(text: str) -> str:
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    return "\n".join(lines).strip("\n")


def _postprocess_attachments(attachments: tuple[Attachment, ...]) -> tuple[Attachment, ...]:
    """winmail.dat (TNEF) gives way to its files; size limits and blocked types belong to the workflow."""
    out: list[Attachment] = []
    for attachment in attachments:
        out.extend(tnef.unpack(attachment, sanitise_filename) if tnef.is_tnef(attachment) else (attachment,))
    return tuple(out)


def _defects(msg: Message) -> tuple[str, ...]:
    names: dict[str, None] = {}
    for part in msg.walk():
        for defect in getattr(part, "defects", []):
            names.setdefault(type(defect).__name__, None)
    return tuple(names)
