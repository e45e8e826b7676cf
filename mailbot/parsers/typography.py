"""French typography for mailbot's own words: a no-break space (U+00A0) before `:` and inside
« », a narrow no-break space (U+202F) before `; ! ?`, where the text has an ordinary space.

Applied to the literal text of the French templates (`outbound.template_env.FrenchTypography`), to
the French reasons of `reasons.MESSAGES` and to the French `#help`; never to values (titles,
texts, commands, what a technician wrote), which stay exactly as typed."""

from __future__ import annotations

import re

NBSP = "\u00a0"
NNBSP = "\u202f"

FRENCH_SPACES = ((re.compile(r" (?=:)"), NBSP), (re.compile(r" (?=[;!?])"), NNBSP),
                 (re.compile(r"(?<=«) "), NBSP), (re.compile(r" (?=»)"), NBSP))


def french_spaces(text: str) -> str:
    for pattern, space in FRENCH_SPACES:
        text = pattern.sub(space, text)
    return text
