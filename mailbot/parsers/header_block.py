"""Where a mail's header block starts: past the few junk lines some tools write before it.

| before the headers                                    | read from                 |
|-------------------------------------------------------|---------------------------|
| a header line (`Name: value`) first, as in most mail   | the first byte            |
| a UTF-8 BOM, blank lines, an mbox `From ` line, a      | the first header line     |
| forwarding tool's `---- Original email message ----`  |                           |
| more than 5 such lines or 1 KiB, or no header after   | the first byte (no header |
|                                                       | block: not a mail)        |

Only the offset is returned, so a memory-mapped mail is never copied to drop its first lines.

Inside the header block, a stray line that is neither a header nor a continuation
(`quite Delivered-To: x` among the `Received:` lines) ends the headers for the standard
library, so every header after it — `From:` too — would become body text. `without_stray_lines`
gives the mail back without such lines, when header lines follow them before the blank line
that ends the block; a line that is followed by no header line is where the body starts."""

from __future__ import annotations

import re
from mmap import mmap

MAX_LINES = 5
MAX_BYTES = 1024
# a field name (group 1), then a colon (RFC 5322 §3.6.8; obsolete syntax allows blanks before it)
FIELD_NAME = re.compile(rb"([!-9;-~]+)[ \t]*:")
_BOM = b"\xef\xbb\xbf"


def start(raw: bytes | mmap) -> int:
    """The offset of the first header line: 0 unless up to MAX_LINES lines (MAX_BYTES in all)
    that are not header lines come before a header line."""
    head = bytes(raw[:MAX_BYTES + 1000])  # the junk, and the start of the header line after it
    if FIELD_NAME.match(head):
        return 0
    pos = len(_BOM) if head.startswith(_BOM) else 0
    for _ in range(MAX_LINES):
        if FIELD_NAME.match(head, pos):
            return pos
        eol = head.find(b"\n", pos, MAX_BYTES)
        if eol < 0:
            return 0
        pos = eol + 1
    return pos if FIELD_NAME.match(head, pos) else 0


MAX_HEADER_BLOCK = 256 * 1024
BLOCK_END = re.compile(rb"\r?\n\r?\n")  # the blank line after the header block


def without_stray_lines(raw: bytes | mmap, start: int = 0) -> bytes | None:
    """The mail from `start` with the stray lines of its header block left out, or None when
    the block has none (or no end within MAX_HEADER_BLOCK bytes)."""
    end = BLOCK_END.search(bytes(raw[start:start + MAX_HEADER_BLOCK]))
    if end is None:
        return None
    lines = bytes(raw[start:start + end.start()]).split(b"\n")
    is_header = [bool(FIELD_NAME.match(line)) or line[:1] in (b" ", b"\t") for line in lines]
    if all(is_header):
        return None
    last_header = max((i for i, ok in enumerate(is_header) if ok and lines[i][:1] not in (b" ", b"\t")),
                      default=-1)
    first_stray = is_header.index(False)
    if last_header < first_stray:
        return None  # the stray line starts the body: nothing to mend
    kept = [line for line, ok in zip(lines, is_header, strict=True) if ok]
    return b"\n".join(kept) + bytes(raw[start + end.start():])
