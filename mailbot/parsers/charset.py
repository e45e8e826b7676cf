"""Turn mail bytes and RFC 2047 headers into clean text, whatever charset a mail claims (SPEC §3.4)."""

from __future__ import annotations

import base64
import binascii
import codecs
import re
import unicodedata

# Labels seen in real mail that Python's codec registry does not know, or knows under a
# narrower codec than the one mail clients actually used. None means "no usable charset".
CHARSET_ALIASES: dict[str, str | None] = {
    "iso-gb2312": "gb18030",
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "x-gbk": "gb18030",
    "ks_c_5601-1987": "cp949",
    "ks_c_5601": "cp949",
    "euc-kr": "cp949",
    "iso-8859-8-i": "iso-8859-8",
    "iso-8859-6-i": "iso-8859-6",
    "x-sjis": "cp932",
    "shift-jis": "cp932",
    "shift_jis": "cp932",
    "windows-31j": "cp932",
    "x-mac-roman": "mac-roman",
    "macintosh": "mac-roman",
    "unicode-1-1-utf-7": "utf-7",
    "utf8": "utf-8",
    # Windows mail clients label cp1252 text as Latin-1; cp1252 is a superset in practice.
    "iso-8859-1": "cp1252",
    "iso8859-1": "cp1252",
    "latin1": "cp1252",
    "latin-1": "cp1252",
    # "ASCII" mail with 8-bit bytes is nearly always UTF-8 sent by a careless client.
    "us-ascii": None,
    "ascii": None,
    "ansi_x3.4-1968": None,
    "x-unknown": None,
    "unknown": None,
    "unknown-8bit": None,
    "x-user-defined": None,
    "default": None,
    "text/html": None,
    "text/plain": None,
}

# Codecs that are not text encodings (rot13, base64_codec, …) must never be picked by a label.
_TEXT_CODEC_RE = re.compile(r"^[\w.:-]{1,40}$")


def resolve_charset(label: str | None) -> str | None:
    """The Python codec name for a charset label, or None when the label is unusable."""
    if not label:
        return None
    name = str(label).strip().strip("\"'").lower()
    name = name.split("*", 1)[0]  # RFC 2231 language suffix: utf-8*fr
    if name in CHARSET_ALIASES:
        return CHARSET_ALIASES[name]
    if not _TEXT_CODEC_RE.match(name):
        return None
    try:
        info = codecs.lookup(name)
    except (LookupError, ValueError):
        return None
    if not getattr(info, "_is_text_encoding", True):
        return None
    return info.name


def decode_bytes(data: bytes, charset: str | None = None) -> str:
    """Decode with the declared charset, then UTF-8, cp1252 and Latin-1; never raises."""
    codec = resolve_charset(charset)
    for candidate in (codec, "utf-8", "cp1252"):
        if not candidate:
            continue
        try:
            return clean_text(data.decode(candidate))
        except (UnicodeDecodeError, LookupError, ValueError, TypeError):
            continue
    return clean_text(data.decode("latin-1"))


def clean_text(text: str) -> str:
    """Valid UTF-8 text: no lone surrogates, no NUL (PostgreSQL refuses it)."""
    text = text.replace("\x00", "")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = text.encode("utf-8", "replace").decode("utf-8")
    return text


def raw_header_text(value: object) -> str:
    """A raw compat32 header value (maybe holding surrogate-escaped 8-bit bytes) as text."""
    if not isinstance(value, str):
        value = str(value)
    try:
        data = value.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        return clean_text(value)
    return decode_bytes(data, "utf-8")


_ENCODED_WORD = re.compile(r"=\?([^?\s]{1,60})\?([qQbB])\?([^?\s]*)\?=")
_BETWEEN_WORDS = re.compile(r"[ \t\r\n]*")


def _word_bytes(encoding: str, payload: str) -> bytes | None:
    try:
        if encoding.lower() == "b":
            payload = re.sub(r"[^A-Za-z0-9+/]", "", payload)
            payload += "=" * (-len(payload) % 4)
            if len(payload) % 4 == 1:
                payload = payload[:-1]
            return base64.b64decode(payload)
        return binascii.a2b_qp(payload.encode("ascii", "replace"), header=True)
    except (binascii.Error, ValueError):
        return None


def decode_header(value: object) -> str:
    """Unfold a header and decode its RFC 2047 words; unknown charsets fall back, never raise."""
    text = raw_header_text(value)
    text = re.sub(r"\r?\n[ \t]*", " ", text)
    out: list[str] = []
    pos = 0
    pending: list[tuple[str, bytes]] = []  # adjacent words: bytes joined before decoding

    def flush() -> None:
        while pending:
            charset, data = pending.pop(0)
            while pending and pending[0][0] == charset:
                data += pending.pop(0)[1]
            out.append(decode_bytes(data, charset))

    for match in _ENCODED_WORD.finditer(text):
        gap = text[pos : match.start()]
        data = _word_bytes(match.group(2), match.group(3))
        if data is None:
            flush()
            out.append(gap + match.group(0))
        else:
            if not (pending and _BETWEEN_WORDS.fullmatch(gap)):
                flush()
                out.append(gap)
            pending.append((match.group(1).lower(), data))
        pos = match.end()
    flush()
    out.append(text[pos:])
    return clean_text("".join(out))


def one_line(text: str) -> str:
    """A single line without control characters: for subjects and names."""
    text = " ".join(text.splitlines())
    text = "".join(" " if unicodedata.category(ch) == "Cc" else ch for ch in text)
    return re.sub(r"\s{2,}", " ", text).strip()
