"""The technician commands whole: each command's description and argument reader (its
`CommandSpec`, parsers/command_table.py: the parsing half, pure) joined to its action (its
handler, workflow/handlers.py) and to what the confirmation calls what it did — one row per
command, as Mailman's `IEmailCommand` keeps name, help, argument reading and action together.

The flow stays one way: the parsers know nothing of the workflow; this table, in the workflow,
names each command's `CommandSpec` and is checked complete when imported (every command of the
grammar has its row, no row names a command the grammar does not know).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from mailbot.parsers import command_table as t
from mailbot.parsers.command_table import CommandSpec
from mailbot.parsers.command_values import Command
from mailbot.workflow import handlers as h

Handler = Callable[[Any, h.CommandContext], None]


@dataclass(frozen=True)
class EmailCommand:
    spec: CommandSpec  # name, aliases, flags, help, argument reader
    act: Handler  # applies the parsed command to the ticket, or raises handlers.Refused
    confirms: str | None = None  # the confirmation's item kind; None: shown otherwise (asked, or through another)


REGISTRY: tuple[EmailCommand, ...] = (
    EmailCommand(t.TASK, h.on_task, "task"),
    EmailCommand(t.PRIVATE, h.on_nothing),  # makes the mail's followup and tasks private
    EmailCommand(t.HOLD, h.on_hold, "waiting"),
    EmailCommand(t.RESUME, h.on_resume, "resumed"),
    EmailCommand(t.ASSIGN, h.on_assign, "assigned"),
    EmailCommand(t.TAKE, h.on_assign, "assigned"),  # `#take` is `#assign` to oneself
    EmailCommand(t.OBSERVER, h.on_observer, "observer"),
    EmailCommand(t.REQUESTER, h.on_requester, "requester"),
    EmailCommand(t.SOLVE, h.on_solve, "solved"),
    EmailCommand(t.KB, h.on_kb, "kb"),
    EmailCommand(t.SEARCH, h.on_read),  # the reading commands: answered in sections (workflow/asked.py)
    EmailCommand(t.CLOSE, h.on_close, "closed"),
    EmailCommand(t.TYPE, h.on_type, "type"),
    EmailCommand(t.URGENCY, h.on_urgency, "urgency"),
    EmailCommand(t.ASSET, h.on_asset, "asset"),
    EmailCommand(t.DOC, h.on_doc),
    EmailCommand(t.DOCUMENTS, h.on_documents),
    EmailCommand(t.SHOW, h.on_read),
    EmailCommand(t.TICKETS, h.on_read),
    EmailCommand(t.MY_REQUESTS, h.on_read),
    EmailCommand(t.HELP, h.on_read),
)
_BY_NAME = {row.spec.name: row for row in REGISTRY}
if set(_BY_NAME) != set(t.SPECS) or len(_BY_NAME) != len(REGISTRY) or any(
        t.SPECS[name] is not row.spec for name, row in _BY_NAME.items()):
    raise ImportError("workflow/registry.py: one row per command of parsers/command_table.py COMMANDS")


def of(command: Command) -> EmailCommand:
    """The row of a parsed command (`#take` gives an `#assign` value: the `assign` row)."""
    return _BY_NAME[command.command]


def run(command: Command, ctx: h.CommandContext) -> None:
    """Apply one parsed command; `handlers.Refused` when it cannot be."""
    of(command).act(command, ctx)
