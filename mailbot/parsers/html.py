"""Turn the HTML part of a mail into readable text (scripts, styles and comments never show)."""

from __future__ import annotations

import html as html_entities
import re
from functools import cache
from typing import Any

_INVISIBLE = re.compile(
    r"<!--.*?-->|<(script|style|head|title|xml)\b.*?</\1\s*>", re.IGNORECASE | re.DOTALL
)
_TAG = re.compile(r"<[^>]*>")


@cache
def _inscriptis() -> tuple[Any, Any]:
    """inscriptis's converter and mailbot's settings for it, imported at the first HTML mail
    (a command that meets none does not pay for the import)."""
    from inscriptis import get_text
    from inscriptis.css_profiles import CSS_PROFILES
    from inscriptis.model.config import ParserConfig

    # The "relaxed" default indents every <div>, which would hide command lines at line starts.
    return get_text, ParserConfig(css=CSS_PROFILES["strict"])


def html_to_text(markup: str) -> str:
    """Readable text of an HTML body; lines keep their order, blank runs are squeezed."""
    markup = _INVISIBLE.sub(" ", markup)  # Outlook's conditional comments hold mso-only markup
    try:
        get_text, config = _inscriptis()
        text = get_text(markup, config)
    except Exception:  # noqa: BLE001 - inscriptis is a third-party HTML parser: keep the mail readable anyway
        text = html_entities.unescape(_TAG.sub(" ", markup))
    lines = [line.rstrip() for line in text.replace("\r", "").split("\n")]
    squeezed: list[str] = []
    for line in lines:
        if not line.strip() and squeezed and not squeezed[-1].strip():
            continue
        squeezed.append(line)
    return "\n".join(squeezed).strip("\n")
