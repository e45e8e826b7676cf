"""Keep only what the writer of a reply added: our marker, quoted history and signature go (SPEC §3.3)."""

from __future__ import annotations

import re

from mailparser_reply.parser import EmailMessage

REPLY_MARKER = "##- Répondez au-dessus de cette ligne / Reply above this line -##"

# Either half is enough: narrow clients wrap the marker line, quoting adds "> " in front.
_MARKER_RE = re.compile(
    r"##-\s*R[ée]pondez\s+au-dessus\s+de\s+cette\s+ligne|Reply\s+above\s+this\s+line\s*-##",
    re.IGNORECASE,
)

# Lines that start the quoted history in clients that mail-parser-reply does not know.
_HISTORY_START = re.compile(
    r"^(?:>\s*)*(?:"
    r"-{2,}\s*(?:Original Message|Message d'origine|Message original|Mensaje original)\s*-{2,}"
    r"|_{10,}"
    r")\s*$",
    re.IGNORECASE,
)
# Mobile "sent from" lines: they end what the writer typed.
SENT_FROM = re.compile(
    r"^(?:Envoy[ée] de|Envoy[ée] depuis|Envoy[ée] à partir de|Sent from|Sent with|"
    r"Get Outlook for|Obtenir Outlook pour|Télécharger Outlook pour)\b.{0,50}$",
    re.IGNORECASE,
)
SIGNATURE_SEPARATOR = re.compile(r"^--\s*$")  # the `-- ` line above a signature
_TRAILING_SEPARATOR = re.compile(r"^\s*(?:[_=-]{5,}|\*{5,})\s*$")

_CLIENT_HEADERS = EmailMessage(text="", languages=["fr", "en"]).HEADER_REGEX


def normalise_spaces(text: str) -> str:
    """Plain spaces and \\n line ends: French clients put non-breaking spaces before colons."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text.replace("\u00a0", " ").replace("\u202f", " ").replace("\u2007", " ")


def _tidy(lines: list[str]) -> str:
    lines = [line.rstrip() for line in lines]
    while lines and not lines[-1].strip():
        lines.pop()
    while lines and not lines[0].strip():
        lines.pop(0)
    return "\n".join(lines)


def _is_marker(line: str) -> bool:
    return bool(_MARKER_RE.search(line))


def _cut_at_marker(lines: list[str]) -> list[str]:
    for index, line in enumerate(lines):
        if _is_marker(line):
            return lines[:index]
    return lines


def _cut_at_client_header(lines: list[str]) -> list[str]:
    # Search a copy with the lines stripped (as mail-parser-reply expects) and map the hit
    # back to a line number, so that the kept text keeps its own indentation.
    stripped = "\n".join(line.strip() for line in lines)
    match = _CLIENT_HEADERS.search(stripped)
    if not match:
        return lines
    start = match.start()
    while start < len(stripped) and stripped[start] == "\n":
        start += 1
    return lines[: stripped.count("\n", 0, start)]


def _cut_at_first(lines: list[str], *patterns: re.Pattern[str]) -> list[str]:
    for index, line in enumerate(lines):
        if any(p.search(line.strip()) for p in patterns):
            return lines[:index]
    return lines


def _drop_quoted(lines: list[str]) -> list[str]:
    return [line for line in lines if not line.lstrip().startswith(">")]


def _drop_trailing_separators(lines: list[str]) -> list[str]:
    lines = list(lines)
    while lines and (not lines[-1].strip() or _TRAILING_SEPARATOR.match(lines[-1])):
        lines.pop()
    return lines


def strip_reply(text: str) -> str:
    """The new text of a mail: what is above our marker, above quoted history and the signature."""
    lines = normalise_spaces(text).split("\n")
    kept = _cut_at_marker(lines)
    kept = _cut_at_client_header(kept)
    kept = _cut_at_first(kept, _HISTORY_START, SENT_FROM)
    kept = _drop_quoted(kept)
    kept = _cut_at_first(kept, SIGNATURE_SEPARATOR)
    result = _tidy(_drop_trailing_separators(kept))
    if result:
        return result
    # Nothing above the marker: the writer answered under it; keep all but the marker lines.
    return _tidy([line for line in lines if not _is_marker(line)])
