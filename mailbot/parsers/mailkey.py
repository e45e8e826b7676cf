"""The key a mail is recorded under once per mailbox (SPEC §8).

The same mail delivered twice must get the same key, whatever was added on its way (another
`Received:` line, another `Delivered-To`, a filter's verdict, CRLF or LF line endings); a
different mail that reuses a Message-ID (devices and scripts do) must get another. So the key is
the Message-ID together with a digest of the mail without its transport headers:

    <message-id>|<first 16 hex digits of the content digest>     (a mail with a Message-ID)
    content:<content digest>                                     (a mail without one)

The content digest is the sha256 of the header block minus the fields of TRANSPORT_HEADERS
(unfolded, names lower-cased, runs of white space made one space, in their order), followed by
the body with CRLF made LF and the trailing line breaks and blanks dropped. A leading mbox
`From ` line and a byte-order mark are left out too. Everything a person wrote or a mail client
set (From, To, Subject, Date, Message-ID, MIME headers, the body) stays in it, so dropping a
transport header can only ever join two copies of one mail, never two different mails.
"""

from __future__ import annotations

import hashlib
from mmap import mmap

from mailbot.parsers.header_block import BLOCK_END, FIELD_NAME

# Fields added or rewritten on the way: by relays, receiving servers and their filters, the
# delivery agent and the mail store. A name ending in `*` stands for every name starting so.
TRANSPORT_HEADERS: dict[str, str] = {
    "received": "every relay",
    "x-received": "relays that keep their own trace line",
    "return-path": "the delivering server (the envelope sender)",
    "delivered-to": "the delivery agent",
    "x-delivered-to": "the delivery agent",
    "x-original-to": "the delivery agent (the envelope recipient before aliases)",
    "envelope-to": "the delivery agent",
    "x-envelope-from": "the delivery agent",
    "x-envelope-to": "the delivery agent",
    "authentication-results": "each receiving server (RFC 8601)",
    "received-spf": "each receiving server",
    "arc-*": "each forwarding server (RFC 8617)",
    # a relay or a list may sign again; what a signature covers stays in the digest anyway
    "dkim-signature": "the signing server",
    "x-google-dkim-signature": "the signing server",
    "x-spam-*": "spam filters",
    "x-virus-*": "virus scanners",
    "x-rspamd-*": "spam filters",
    "x-sieve*": "the delivery agent's filters",
    "x-ms-exchange-organization-*": "Exchange transport",
    "x-ms-exchange-transport-*": "Exchange transport",
    "x-ms-exchange-crosstenant-*": "Exchange transport",
    "x-microsoft-antispam*": "Exchange filters",
    "x-forefront-antispam-report*": "Exchange filters",
    "status": "mbox stores (read flags)",
    "x-status": "mbox stores (read flags)",
    "x-keywords": "mbox stores (keywords)",
    "x-uid": "mbox stores (IMAP UID)",
    "x-mozilla-status*": "Thunderbird's store (read flags)",
    "content-length": "mbox stores",
    "lines": "mbox stores",
}

DIGEST_IN_KEY = 16  # hex digits: enough to tell apart the mails that share one Message-ID
MAX_KEY = 998  # the column's length
_MAX_ID = MAX_KEY - 1 - DIGEST_IN_KEY
_EXACT = frozenset(name for name in TRANSPORT_HEADERS if not name.endswith("*"))
_PREFIXES = tuple(name[:-1] for name in TRANSPORT_HEADERS if name.endswith("*"))
_CHUNK = 1 << 20


def mail_key(message_id: str, content_digest: str) -> str:
    """The key of a mail with this Message-ID ("" when it has none) and content digest."""
    if not message_id:
        return f"content:{content_digest}"
    # the digest covers the Message-ID header too: cutting an absurdly long id loses nothing
    return f"{message_id[:_MAX_ID]}|{content_digest[:DIGEST_IN_KEY]}"


def legacy_key(message_id: str, raw_sha256: str) -> str:
    """The key of the earlier rule (Message-ID alone, else the sha256 of the bytes), under which
    mails recorded before the current rule are stored."""
    return message_id or f"sha256:{raw_sha256}"


def is_transport_header(name: str) -> bool:
    name = name.strip().lower()
    return name in _EXACT or name.startswith(_PREFIXES)


def content_digest(raw: bytes | mmap) -> str:
    """The sha256 (hex) of the mail without its transport headers; `raw` may be a memory map."""
    digest = hashlib.sha256()
    start = _skip_envelope(raw)
    end = BLOCK_END.search(raw, start)
    head_end, body_start = (end.start(), end.end()) if end else (len(raw), len(raw))
    for name, value in _fields(bytes(raw[start:head_end])):
        if not is_transport_header(name.decode("ascii", "replace")):
            digest.update(name + b":" + value + b"\n")
    digest.update(b"\n")
    _update_body(digest, raw, body_start)
    return digest.hexdigest()


def _skip_envelope(raw: bytes | mmap) -> int:
    start = 3 if raw[:3] == b"\xef\xbb\xbf" else 0
    if raw[start:start + 5] == b"From ":  # the mbox envelope line: who delivered it, and when
        newline = raw.find(b"\n", start)
        start = len(raw) if newline < 0 else newline + 1
    return start


def _fields(head: bytes) -> list[tuple[bytes, bytes]]:
    """(lower-case name, value with its white space made single spaces) per field, unfolded;
    a line that is no field is kept whole, under an empty name."""
    fields: list[tuple[bytes, list[bytes]]] = []
    for line in head.splitlines():
        if line[:1] in (b" ", b"\t") and fields:
            fields[-1][1].append(line)
            continue
        match = FIELD_NAME.match(line)
        if match:
            fields.append((match.group(1).lower(), [line[match.end():]]))
        else:
            fields.append((b"", [line]))
    return [(name, b" ".join(b" ".join(parts).split())) for name, parts in fields]


def _update_body(digest: hashlib._Hash, raw: bytes | mmap, start: int) -> None:
    """Feeds the body with CRLF made LF and its trailing blanks dropped, a chunk at a time so
    that a huge body is never copied whole."""
    stop = len(raw)
    while stop > start and raw[stop - 1] in b"\r\n \t":
        stop -= 1
    carry = b""
    position = start
    while position < stop:
        chunk = carry + bytes(raw[position:min(position + _CHUNK, stop)])
        position = min(position + _CHUNK, stop)
        carry = b"\r" if chunk.endswith(b"\r") and position < stop else b""
        if carry:
            chunk = chunk[:-1]
        digest.update(chunk.replace(b"\r\n", b"\n"))
