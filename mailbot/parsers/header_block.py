"""Where a mail's header block starts: past the few junk lines some tools write before it.

| before the headers                                    | read from                 |
|-------------------------------------------------------|---------------------------|
| a header line (`Name: value`) first, as in most mail   | the first byte            |
| a UTF-8 BOM, blank lines, an mbox `From ` line, a      | the first header line     |
| forwarding tool's `---- Original email message ----`  |                           |
| more than 5 such lines or 1 KiB, or no header after   | the first byte (no header |
|                                                       | block: not a mail)        |

Only the offset is returned, so a memory-mapped mail is never copied to drop its first lines."""

from __future__ import annotations

import re

MAX_LINES = 5
MAX_BYTES = 1024
_HEADER_LINE = re.compile(rb"[!-9;-~]+[ \t]*:")  # a field name, then a colon (RFC 5322 §3.6.8)
_BOM = b"\xef\xbb\xbf"


def start(raw: bytes) -> int:
    """The offset of the first header line: 0 unless up to MAX_LINES lines (MAX_BYTES in all)
    that are not header lines come before a header line."""
    head = bytes(raw[:MAX_BYTES + 1000])  # the junk, and the start of the header line after it
    if _HEADER_LINE.match(head):
        return 0
    pos = len(_BOM) if head.startswith(_BOM) else 0
    for _ in range(MAX_LINES):
        if _HEADER_LINE.match(head, pos):
            return pos
        eol = head.find(b"\n", pos, MAX_BYTES)
        if eol < 0:
            return 0
        pos = eol + 1
    return pos if _HEADER_LINE.match(head, pos) else 0
