"""Parse a mail without letting the stdlib parser split its large base64 bodies into lines:
they are cut out of the raw bytes first and decoded from there in one call. A very long line
of text that starts a body (a log pasted on one line) is cut out the same way and given back
as text: the parser would otherwise hold it several times over (as 4-byte characters)."""

from __future__ import annotations

import os
import re
from email.message import Message
from email.parser import BytesFeedParser
from mmap import mmap

from mailbot.parsers import mime

_CHUNK = 1 << 16  # bytes fed at a time: feeding a whole mail makes the parser decode a copy of it
CUT_MIN = 1 << 14  # smaller bodies cost the parser little
_BLOCK = 1 << 12  # lines checked at a time
_B64 = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
_BLANK = re.compile(rb"\n\r?\n")
_FIRST_LINE = re.compile(rb"[A-Za-z0-9+/]{1,998}(\r?\n)")
_LINES = re.compile(rb"(?:[A-Za-z0-9+/=]{1,998}(?:\r\n|\n))*")
_LAST_LINE = re.compile(rb"[A-Za-z0-9+/=]{1,998}")
_PAD_TAIL = re.compile(rb"={1,2}(?:\r?\n)?")
# A body line the parser could take for something else: a boundary, a header (the first line
# of an attached message), a continuation, an mbox `From ` line.
_NOT_TEXT_LINE = re.compile(rb"-|[ \t]|From |[!-9;-~]+[ \t]*:")
_LINE_BREAKS = b"\r\v\f\x1c\x1d\x1e"  # line ends to the parser besides \n


def parse(raw: bytes | mmap, start: int = 0) -> Message:
    """The stdlib parse of `raw` from offset `start`, where the leaves with a large base64 body
    carry a mime.RawBody."""
    cuts = _find_cuts(raw, start)
    if cuts:
        token = _token(raw)
        msg = _feed(raw, cuts, token, start)
        try:
            if _put_back(msg, raw, cuts, token):
                return msg
        except _Misplaced:
            pass
    return _feed(raw, [], b"", start)


def _find_cuts(raw: bytes | mmap, pos: int) -> list[tuple[int, int, int]]:
    """(start, end of the last line's text, end) of each run of base64 lines after an empty line.

    Such a run holds no boundary (no `-`), no header (no `:` nor leading space) and no empty
    line, so the parser treats each of its lines as it would treat one placeholder line."""
    cuts: list[tuple[int, int, int]] = []
    while blank := _BLANK.search(raw, pos):
        start = pos = blank.end()
        end = _run_end(raw, start)
        if end - start < CUT_MIN:
            end = _long_line_end(raw, start)
        if end - start >= CUT_MIN:
            text_end = end - (raw[end - 1] == 0x0A) - (raw[end - 2:end] == b"\r\n")
            cuts.append((start, text_end, end))
            pos = end
    return cuts


def _long_line_end(raw: bytes | mmap, start: int) -> int:
    """The end of the line at `start` (after its line end) when it is a long line of plain
    text the parser would keep whole as one body line; else `start`."""
    newline = raw.find(b"\n", start)
    end = len(raw) if newline < 0 else newline + 1
    text_end = end - (newline >= 0) - (newline > start and raw[newline - 1] == 0x0D)
    if text_end - start < CUT_MIN or _NOT_TEXT_LINE.match(raw, start):
        return start
    if any(raw.find(bytes((char,)), start, text_end) >= 0 for char in _LINE_BREAKS):
        return start
    return end


def _run_end(raw: bytes | mmap, start: int) -> int:
    """Where the base64 lines from `start` end: after the last line ending, or at the end of a
    mail whose last line has none. Lines of one width are checked a block at a time in C."""
    pos = start
    first = _FIRST_LINE.match(raw, start)
    if first:
        eol = first.group(1)
        stride, count = first.end() - start, _BLOCK
        while count:
            if _uniform(raw[pos:pos + count * stride], count, stride, eol):
                pos += count * stride
            else:
                count //= 2
    rest = _LINES.match(raw, pos)  # the last, shorter lines; or lines of uneven widths
    pos = rest.end() if rest else pos  # always a match: the pattern matches the empty string
    last = _LAST_LINE.match(raw, pos)
    return len(raw) if last and last.end() == len(raw) else pos


def _uniform(block: bytes, count: int, stride: int, eol: bytes) -> bool:
    """Whether `block` is `count` lines of base64 text of the same width, each ended by `eol`."""
    if len(block) != count * stride or block[stride - 1::stride] != eol[-1:] * count:
        return False
    if len(eol) == 2 and block[stride - 2::stride] != b"\r" * count:
        return False
    return block.translate(None, _B64) == eol * count


def _token(raw: bytes | mmap) -> bytes:
    while True:  # letters and digits only: a body line to the parser, never a header or boundary
        token = b"MailbotCut" + os.urandom(8).hex().encode()
        if raw.find(token) < 0:
            return token


def _feed(raw: bytes | mmap, cuts: list[tuple[int, int, int]], token: bytes, pos: int) -> Message:
    feed = BytesFeedParser()
    with memoryview(raw) as view:
        for index, (start, text_end, end) in enumerate(cuts + [(len(raw), len(raw), len(raw))]):
            for at in range(pos, start, _CHUNK):
                feed.feed(bytes(view[at:min(at + _CHUNK, start)]))
            if index < len(cuts):
                feed.feed(token + b"%08d" % index + bytes(view[text_end:end]))
            pos = end
    return feed.close()


def _put_back(msg: Message, raw: bytes | mmap, cuts: list[tuple[int, int, int]], token: bytes) -> bool:
    """Leave a RawBody where the walk only decodes the body, give the text back everywhere else;
    False if some placeholder is not where it should be (then the mail is parsed again whole)."""
    marker = token.decode()
    seen: set[int] = set()
    stack: list[tuple[Message, bool]] = [(msg, False)]
    while stack:
        part, in_message = stack.pop()
        for name in ("preamble", "epilogue"):
            value = getattr(part, name, None)
            if isinstance(value, str) and marker in value:
                setattr(part, name, _restore(value, marker, raw, cuts, seen))
        payload = part._payload  # type: ignore[attr-defined]  # the parsed body itself, not a copy
        if isinstance(payload, list):
            inner = in_message or part.get_content_maintype() != "multipart"
            stack.extend((child, inner) for child in payload if isinstance(child, Message))
        elif isinstance(payload, str) and marker in payload:
            whole = re.fullmatch(re.escape(marker) + r"(\d{8})(\r\n|\r|\n)?", payload)
            if whole and not in_message and mime.decoded_only_on_release(part):
                index = _check(int(whole.group(1)), whole.group(2) or "", raw, cuts, seen)
                start, text_end, end = cuts[index]
                first_pad = raw.find(b"=", start, text_end)
                padding: int | None = text_end - first_pad if first_pad >= 0 else 0
                if first_pad >= 0 and not _PAD_TAIL.fullmatch(raw, first_pad, end):
                    padding = None
                body = mime.RawBody(raw, start, end if whole.group(2) else text_end, padding)
                part._payload = body  # type: ignore[attr-defined]  # the body stays in the raw bytes, not copied
            else:
                part._payload = _restore(payload, marker, raw, cuts, seen)  # type: ignore[attr-defined]  # the cut text put back
    return len(seen) == len(cuts)


def _text(raw: bytes | mmap, start: int, end: int) -> str:
    """Bytes of the mail as the parser reads them: ASCII, other bytes surrogate-escaped."""
    with memoryview(raw) as view:
        return str(view[start:end], "ascii", "surrogateescape")


class _Misplaced(Exception):
    """A placeholder the parser did not keep as the line it was given."""


def _check(index: int, line_end: str, raw: bytes | mmap, cuts: list[tuple[int, int, int]], seen: set[int]) -> int:
    """The cut a placeholder names, once only, followed by its own line ending or by none
    (the parser drops the last line ending of a part before a boundary)."""
    if index >= len(cuts) or index in seen:
        raise _Misplaced
    _, text_end, end = cuts[index]
    if line_end and line_end.encode() != raw[text_end:end]:
        raise _Misplaced
    seen.add(index)
    return index


def _restore(text: str, marker: str, raw: bytes | mmap, cuts: list[tuple[int, int, int]], seen: set[int]) -> str:
    """`text` with each placeholder replaced by the base64 lines it stood for."""
    out: list[str] = []
    pos = 0
    for found in re.finditer(re.escape(marker) + r"(\d{8})(\r\n|\r|\n)?", text):
        kept = found.group(2) or ""
        if not kept and found.end() != len(text):
            raise _Misplaced
        start, text_end, end = cuts[_check(int(found.group(1)), kept, raw, cuts, seen)]
        out += [text[pos:found.start()], _text(raw, start, end if kept else text_end)]
        pos = found.end()
    out.append(text[pos:])
    pieces = [piece for piece in out if piece]
    return pieces[0] if len(pieces) == 1 else "".join(pieces)  # a whole body is not copied again
