"""The command hints of a technician's notification: the two or three commands that make sense
in the ticket's current status, as plain lines in the recipient's language.

Built from the two tables they describe: the command table (`parsers.command_table.COMMANDS`, for
the words and the short help) and the status table (`workflow.states.TRANSITIONS`, for what
is allowed from the status). A closed ticket has no hints.
"""

from __future__ import annotations

from mailbot.parsers.commands import SPECS, CommandSpec
from mailbot.workflow.states import OPEN, TRANSITIONS, Status

# The commands a hint may suggest, most useful first, each with the status-table action it
# causes (None: allowed on any open ticket) and the example arguments shown after it.
HINTED: tuple[tuple[str, str | None, str], ...] = (
    ("take", "assign", ""),
    ("resume", "resume_assigned", ""),
    ("task", None, "0h15 …"),
    ("solve", "solve", "…"),
    ("hold", "hold", "…"),
    ("close", "close", "…"),
)
MAX_HINTS = 3


def _allowed(action: str | None, status: Status) -> bool:
    return status in OPEN if action is None else status in TRANSITIONS[action]


def _short_help(spec: CommandSpec, language: str) -> str:
    """The command's help up to its first `;` or `(`: "ajoute une tâche", "puts the ticket on hold"."""
    text = spec.help_en if language == "en" else spec.help_fr
    return text.split(";")[0].split("(")[0].strip()


def hint_lines(status: str, language: str, *, has_it: bool = False) -> tuple[str, ...]:
    """At most MAX_HINTS lines `#command args – what it does` for a ticket in `status`;
    `has_it`: the reader is already assigned, so `#take` would change nothing."""
    current = Status(status)
    if current is Status.CLOSED:
        return ()
    lines = []
    for name, action, example in HINTED:
        if name == "take" and has_it:
            continue
        if _allowed(action, current):
            usage = f"#{name} {example}".rstrip()
            lines.append(f"{usage} – {_short_help(SPECS[name], language)}")
    return tuple(lines[:MAX_HINTS])
