"""Turn mail bytes and RFC 2047 headers into clean text, whatever charset a mail claims (SPEC §3.4).

How `decode_bytes` reads bytes (bodies, RFC 2047 words, raw 8-bit header values):

| bytes                                | read as                                                                 |
|--------------------------------------|-------------------------------------------------------------------------|
| ASCII only                           | the declared charset if it reads them (ISO-2022-JP, UTF-7), else ASCII  |
| declared charset reads them strictly | that charset, except a Western label (`WESTERN_CODECS`) whose reading   |
|                                      | has oddities                                                            |
| strict UTF-8 reads them              | UTF-8                                                                   |
| anything else                        | `guess_codec`: charset-normalizer proposes, `oddities` picks; ties go   |
|                                      | to the declared charset, then cp1252                                    |

A Western label is doubted because clients put `iso-8859-1` on any 8-bit text (Cyrillic, UTF-8);
other labels (koi8-r, shift_jis, gb2312) are deliberate and believed when they read cleanly.
charset-normalizer alone mislabels short text (French as cp1250 or Big5, a KOI8-R subject as
Shift_JIS), so its proposals are re-ranked by what the reading looks like. Known limits: a
single all-capital Cyrillic word in KOI8-R and two-character Chinese subjects stay ambiguous.
"""

from __future__ import annotations

import base64
import binascii
import codecs
import itertools
import re
import unicodedata

from charset_normalizer import from_bytes

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
    """Decode mail bytes as text, in the order of the module's table; never raises."""
    codec = resolve_charset(charset)
    declared = _strict(data, codec)
    if data.isascii():  # 7-bit codecs (ISO-2022-JP, UTF-7) still read their escapes
        return clean_text(declared if declared is not None else data.decode("ascii"))
    if declared is not None and (codec not in WESTERN_CODECS or not oddities(declared[:_SCORED_CHARS])):
        return clean_text(declared)
    utf8 = _strict(data, "utf-8")
    if utf8 is not None:
        return clean_text(utf8)
    best = guess_codec(data, declared=codec if declared is not None else None)
    return clean_text(data.decode(best, "replace"))


def _strict(data: bytes, codec: str | None) -> str | None:
    if not codec:
        return None
    try:
        return data.decode(codec)
    except (UnicodeDecodeError, LookupError, ValueError, TypeError):
        return None


def guess_codec(data: bytes, declared: str | None = None) -> str:
    """The codec whose reading of `data` looks most like text, for bytes that are not UTF-8.

    charset-normalizer proposes the codecs of `MAIL_CODECS` that read a bounded prefix without
    mess; each reading is scored by `oddities` and the lowest score wins. Ties go to the
    declared codec, then cp1252 (short Western text is where detectors go wrong), then the
    detector's order; latin-1, which reads anything, comes last."""
    prefix = data[:_DETECTED_BYTES]
    if len(data) > _DETECTED_BYTES and b"\n" in prefix:
        prefix = prefix[: prefix.rindex(b"\n")]
    proposed = [match.encoding for match in from_bytes(prefix, cp_isolation=list(MAIL_CODECS))]
    candidates = dict.fromkeys(c for c in (declared, "cp1252", *proposed, "latin-1") if c)
    best, best_score = "latin-1", None
    for codec in candidates:
        text = _strict(prefix, codec)
        if text is None:
            continue
        score = oddities(text[:_SCORED_CHARS])
        if best_score is None or score < best_score:
            best, best_score = codec, score
    return best


# Labels mail clients put on any 8-bit text: their reading is checked before it is believed.
WESTERN_CODECS = frozenset({"cp1252", "iso8859-1", "iso8859-15"})

# What charset-normalizer may propose: the charsets undeclared mail is really written in.
MAIL_CODECS = (
    "cp1252", "cp1250", "cp1251", "koi8_r", "koi8_u", "cp1253", "cp1254", "cp1255", "cp1256",
    "cp1257", "cp874", "cp932", "euc_jp", "gb18030", "big5", "cp949",
)
_DETECTED_BYTES = 64 * 1024  # the detector and the scoring read this much of a big body
_SCORED_CHARS = 8192

# Non-ASCII symbols common in real text; other symbols count as oddities.
_USUAL_SYMBOLS = frozenset("\xa0\xad€«»“”‘’‚„–—…°·•£§©®™×±¿¡")
_WORD = re.compile(r"\w+")


def _script(ch: str) -> str:
    """The writing system of a letter, with the Japanese and Chinese ones as one."""
    name = unicodedata.name(ch, "")
    if name.startswith(("CJK", "HIRAGANA", "KATAKANA", "FULLWIDTH", "IDEOGRAPHIC")):
        return "CJK"
    return name.split(" ", 1)[0]


def oddities(text: str) -> int:
    """How unlike real text the non-ASCII part of `text` is (0 = nothing odd).

    Counted: controls, unassigned and replacement characters (3 each); unusual symbols,
    half-width katakana, a script's combining mark after an ASCII letter or a mark, Chinese characters outside GB2312 in a
    text without kana, words mixing two scripts, Latin words of three or more non-ASCII letters
    in a row (Cyrillic read as Latin), and a lower-case letter followed by an upper-case one
    inside a word (KOI8-R read as cp1251 and back)."""
    if text.isascii():
        return 0
    score = 0
    previous = ""
    japanese = any(_is_kana(ch) for ch in text)
    for ch in text:
        if not ch.isascii():
            score += _odd_character(ch, previous)
        previous = ch
    for match in _WORD.finditer(text):
        word = match.group()
        if word.isascii():
            continue
        scripts = {_script(ch) for ch in word if ch.isalpha()}
        if len(scripts) > 1:
            score += len(word)
        elif scripts == {"LATIN"}:
            score += sum(len(run) for run in re.findall(r"[^\x00-\x7f]{3,}", word))
        elif scripts == {"CJK"}:
            score += 0 if japanese else sum(1 for ch in word if not _in_gb2312(ch))
        score += sum(1 for a, b in itertools.pairwise(word) if a.islower() and b.isupper() and not (a + b).isascii())
    return score


def _odd_character(ch: str, previous: str) -> int:
    category = unicodedata.category(ch)
    if category in ("Cc", "Cn", "Co", "Cs") or ch == "\ufffd":
        return 3
    name = unicodedata.name(ch, "")
    if category[0] in "SPN":
        return int(ch not in _USUAL_SYMBOLS and _script(ch) != "CJK")
    if category == "Mn":  # a script's mark belongs after one of its letters
        return int(not name.startswith("COMBINING") and (previous.isascii() or not previous.isalpha()))
    return int("HALFWIDTH KATAKANA" in name)


def _in_gb2312(ch: str) -> bool:
    try:
        ch.encode("gb2312")
    except UnicodeEncodeError:
        return False
    return True


def _is_kana(ch: str) -> bool:
    return "\u3040" <= ch <= "\u30ff"


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
