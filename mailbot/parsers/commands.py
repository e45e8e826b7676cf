"""The technician command grammar of SPEC §4: the parser that turns the command lines of a mail
into frozen Command values or per-line errors, and `#help`. Each command's description (name,
aliases, flags, help, argument reader) is one `CommandSpec` of command_table.py.

A command line is a line whose first non-space character is `#` directly followed by a
letter (`#task`, `#Tâche`); `# title`, `#59` and `##- marker -##` are plain text. A `#word`
that is not a command is an error, since technicians type them on purpose. Names, aliases
and arguments are read case- and accent-insensitively; a `:` after the name is allowed.
Below a `#kb edit N` line, once the article's title has begun, every line is the article's
text (`_ArticleText`).

Remaining text: the mail's new text without its command lines and, when there is at least
one command line, without the sign-off at its end (`signoff.strip_signoff`, given the
sender's name parts as `names`), stripped, is `CommandParse.remaining_text`. It is the
description of each `#task` written without an inline description, and the solution of a
`#solve` without inline text; otherwise the handler keeps it as a followup.
`TaskCommand.description` and `SolveCommand.text` hold only what was written on the command
line ("" when nothing), and `CommandParse.uses_remaining_text` says whether the remaining text was consumed that way.

Checked here (no database needed): unknown command, bad duration or date, urgency, type,
email syntax, missing or extra arguments, more than 20 command lines, a command that may be
given once given twice, `#kb` without `#solve`, `#kb edit N` without a title and text, and an
empty solution. Resolving emails to
users and checking status transitions is the handler's job. Errors carry a `reasons.Reason`
(a code and its parameters), said in the technician's language when the error mail is written;
a reader that raises a plain `ValueError("…")` has its text shown as is (see `reasons.py`).
"""

from __future__ import annotations

import difflib
import re
from dataclasses import replace
from datetime import datetime
from zoneinfo import ZoneInfo

from mailbot.parsers.command_table import COMMANDS, KB_ACTIONS, SPECS, CommandSpec, ReadContext, fold
from mailbot.parsers.command_values import (
    AssetCommand,
    AssignCommand,
    CloseCommand,
    Command,
    CommandError,
    CommandParse,
    DocCommand,
    DocumentsCommand,
    HelpCommand,
    HoldCommand,
    KbCommand,
    MyRequestsCommand,
    ObserverCommand,
    PrivateCommand,
    RequesterCommand,
    ResumeCommand,
    SearchCommand,
    ShowCommand,
    SolveCommand,
    TaskCommand,
    TicketsCommand,
    TypeCommand,
    UrgencyCommand,
)
from mailbot.parsers.reasons import Reason, because, reason_of
from mailbot.parsers.signoff import strip_signoff
from mailbot.parsers.typography import french_spaces

__all__ = [  # the command values and the table, read by the workflow through this module
    "COMMANDS", "KB_ACTIONS", "SPECS", "AssetCommand", "AssignCommand", "CloseCommand", "Command", "CommandError",
    "CommandParse", "CommandSpec", "DocCommand", "DocumentsCommand", "HelpCommand", "HoldCommand", "KbCommand",
    "MyRequestsCommand", "ObserverCommand", "PrivateCommand", "RequesterCommand", "ResumeCommand", "SearchCommand",
    "ShowCommand", "SolveCommand", "TaskCommand", "TicketsCommand", "TypeCommand", "UrgencyCommand",
    "help_text", "kb_title_and_text", "line_needs_ticket", "line_spec", "needs_ticket", "parse_commands", "spec_of"]

MAX_COMMAND_LINES = 20


def spec_of(command: Command) -> CommandSpec:
    """The table row of a parsed command."""
    return SPECS[command.command]


def needs_ticket(command: Command) -> bool:
    """Whether a parsed command needs a ticket: its row says so, except `#kb edit/publish/unpublish N`,
    which act on an article (answered in a new mail too, workflow/ticketless.py)."""
    return spec_of(command).needs_ticket and command.touches_ticket


def help_text(language: str = "fr") -> str:
    """The `#help` answer, generated from COMMANDS; French (with French spacing) unless `language` is `en`."""
    en = language == "en"
    lines = ["Commands: one per line, at the start of the line, above the quoted text;"
             " case and accents do not matter." if en else
             "Commandes : une par ligne, en début de ligne, au-dessus du texte cité ;"
             " majuscules et accents indifférents.", ""]
    for spec in COMMANDS:
        args = spec.args if en or spec.args_fr is None else spec.args_fr
        usage = f"#{spec.name} {args}".rstrip()
        if spec.aliases:
            usage += f"   ({'also' if en else 'ou'} {', '.join('#' + a for a in spec.aliases)})"
        lines += [usage, "    " + (spec.help_en if en else spec.help_fr)]
        if not spec.needs_ticket:
            lines.append("    " + ("(also alone in a new mail, without a ticket)" if en else
                                  "(aussi seule dans un nouveau mail, sans ticket)"))
    text = "\n".join(lines) + "\n"
    return text if en else french_spaces(text)  # our own French words: `Commandes\u00a0:`


_BY_WORD = {fold(word): spec for spec in COMMANDS for word in (spec.name, *spec.aliases)}
_COMMAND_LINE = re.compile(r"\s*#([^\W\d_]\w*)(.*)")


def parse_commands(text: str, *, tz: ZoneInfo, now: datetime, names: frozenset[str] = frozenset()) -> CommandParse:
    """Read the command lines of a mail's new text (`now` aware, for the task state); `names`
    are the words the sender signs with (`signoff.name_parts`)."""
    context = ReadContext(tz, now)
    commands: list[Command] = []
    errors: list[CommandError] = []
    kept: list[str] = []
    count = 0
    article = _ArticleText()
    for number, raw in enumerate(text.splitlines(), 1):
        m = None if article.started(raw) else _COMMAND_LINE.fullmatch(raw)
        if m is None:
            kept.append(raw)
            continue
        article.command_line(raw)
        count += 1
        line = raw.strip()
        if count > MAX_COMMAND_LINES:
            if count == MAX_COMMAND_LINES + 1:
                errors.append(CommandError(number, line, because("too_many_lines", max=MAX_COMMAND_LINES)))
            continue
        spec = _BY_WORD.get(fold(m[1]))
        if spec is None:
            errors.append(CommandError(number, line, _unknown(m[1])))
            continue
        args = m[2].strip().removeprefix(":").strip()
        try:
            command = spec.read(args, context)
        except ValueError as exc:  # a ReasonError, or a reader's plain ValueError("…"), shown as is
            errors.append(CommandError(number, line, reason_of(exc)))
            continue
        commands.append(replace(command, line_number=number, line=line))
    remaining = "\n".join(kept).strip()
    if count:
        remaining = strip_signoff(remaining, names)
    commands, mail_errors = _check_together(commands, remaining)
    errors = sorted([*errors, *mail_errors], key=lambda e: e.line_number)
    return CommandParse(tuple(commands), tuple(errors), remaining)


class _ArticleText:
    """Below a `#kb edit N` line, once the article's title (the first line of text) has begun,
    every line is the article's: a line starting with `#` there (`#include`, a shell comment)
    is text, so an article's text survives the desk's prepared edit mail (docs/KB.md)."""

    def __init__(self) -> None:
        self.edit = self.begun = False

    def command_line(self, line: str) -> None:
        self.edit = self.edit or _is_kb_edit(line)

    def started(self, line: str) -> bool:
        if self.edit and not self.begun and line.strip() and _COMMAND_LINE.fullmatch(line) is None:
            self.begun = True
        return self.begun


def _is_kb_edit(line: str) -> bool:
    m = _COMMAND_LINE.fullmatch(line)
    words = m[2].strip().removeprefix(":").split() if m else []
    return line_spec(line) is SPECS["kb"] and bool(words) and KB_ACTIONS.get(fold(words[0])) == "edit"


def line_spec(line: str) -> CommandSpec | None:
    """The table row a command line names (`#Tâche 1h` -> task), None for an unknown word or no command."""
    m = _COMMAND_LINE.fullmatch(line)
    return _BY_WORD.get(fold(m[1])) if m else None


def line_needs_ticket(line: str) -> bool:
    """Whether a (refused) command line names a command that needs a ticket, as `needs_ticket` says
    of a parsed one: `#kb publish x` needs none, `#kb` alone does; an unknown word needs none."""
    spec = line_spec(line)
    if spec is None or not spec.needs_ticket:
        return False
    m = _COMMAND_LINE.fullmatch(line)
    assert m is not None
    words = m[2].strip().removeprefix(":").split()
    return not (spec.name == "kb" and words and fold(words[0]) in KB_ACTIONS)


def _unknown(word: str) -> Reason:
    close = difflib.get_close_matches(fold(word), list(_BY_WORD), n=1, cutoff=0.75)
    if close:
        return because("unknown_command_hint", word=word, suggestion=_BY_WORD[close[0]].name)
    return because("unknown_command", word=word)


def _check_together(commands: list[Command], remaining: str) -> tuple[list[Command], list[CommandError]]:
    """The rules that look at the whole mail: once-only commands, #kb, empty solution."""
    once = {spec.name for spec in COMMANDS if spec.once}
    kept: list[Command] = []
    errors: list[CommandError] = []
    for command in commands:
        if command.command in once and any(c.command == command.command for c in kept):
            errors.append(_error(command, because("once_per_mail", command=command.command)))
        else:
            kept.append(command)
    has_solve = any(isinstance(c, SolveCommand) for c in kept)
    for command in kept:
        if isinstance(command, KbCommand) and command.action == "save" and not has_solve:
            errors.append(_error(command, because("kb_needs_solve")))
        if isinstance(command, KbCommand) and command.action == "edit" and not _title_and_text(remaining):
            errors.append(_error(command, because("kb_edit_needs_text")))
        if isinstance(command, SolveCommand) and not command.text and not remaining:
            errors.append(_error(command, because("empty_solution")))
    return kept, errors


def _title_and_text(remaining: str) -> tuple[str, str] | None:
    """A new article from a mail's remaining text: its first line and the rest, both needed."""
    title, _, body = remaining.strip().partition("\n")
    return (title.strip(), body.strip()) if title.strip() and body.strip() else None


def kb_title_and_text(remaining: str) -> tuple[str, str]:
    """The title and text that `#kb edit` takes from the remaining text (checked when parsing)."""
    found = _title_and_text(remaining)
    if found is None:
        raise ValueError("no title and text")
    return found


def _error(command: Command, reason: Reason) -> CommandError:
    return CommandError(command.line_number, command.line, reason)
