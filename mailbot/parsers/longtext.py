"""A body text past the size limit: its start is kept as the mail's text, with a note, and the
whole body is kept as a document (`body.txt`, `body.html`), so that nothing is lost and a
pasted log never makes every later step (quote stripping, HTML to text, the database row,
each notification) work on megabytes of text."""

from __future__ import annotations

import hashlib

from mailbot.parsers.types import Attachment

BODY_FILENAMES = {"text/plain": "body.txt", "text/html": "body.html"}
# A cut falls back to the last line end when there is one in the last part of the kept text.
_LINE_BACKOFF = 4096


def cut(text: str, content_type: str, limit: int) -> tuple[str, Attachment]:
    """The first `limit` characters of `text` (at a line end when one is close), and the whole
    text as a UTF-8 document named after its type."""
    end = text.rfind("\n", max(0, limit - _LINE_BACKOFF), limit)
    kept = text[:end if end > 0 else limit]
    data = text.encode("utf-8", "replace")
    document = Attachment(filename=BODY_FILENAMES.get(content_type, "body.txt"), content_type=content_type,
                          data=data, sha256=hashlib.sha256(data).hexdigest(), whole_body=True)
    return kept, document


def note(limit: int, filenames: list[str]) -> str:
    """The line that ends a cut text: where it was cut and which document holds the whole body."""
    return f"[… text cut at {limit // 1024} KB; the whole body is attached as {', '.join(filenames)}]"
