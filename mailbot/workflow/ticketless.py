"""A new mail (no ticket named) that holds only commands needing no ticket — `#help`,
`#tickets`, `#mesdemandes`, `#search` (CommandSpec.needs_ticket False), and a technician's
`#kb edit/publish/unpublish N` (`commands.needs_ticket`) — is answered and opens no ticket.

Who: a technician, for any such command; anyone else known to the helpdesk, for the commands
open to everyone (CommandSpec.everyone: `#mesdemandes`). "Only commands": once the command
lines and the sign-off are out, no text is left, except the new title and text of a `#kb edit N`.
A technician's refused line among them (`#tikets`, `#kb publish 999` for no such article) gets
the error answer, still without a ticket; a technician's mail naming a command that needs a
ticket (`#take`, `#task …`, `#kb` saving a solution), or with other text, opens a ticket with the
commands applied to it (workflow/opening.py); anyone else's opens a ticket as any new mail does.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from mailbot.parsers import commands as c
from mailbot.parsers.reasons import Reason
from mailbot.parsers.signoff import name_parts
from mailbot.parsers.types import ParsedMessage
from mailbot.workflow.asked import Asked, answer_context, answer_kind
from mailbot.workflow.confirmation import applied_items
from mailbot.workflow.db import savepoint
from mailbot.workflow.events import Answer
from mailbot.workflow.handlers import Refused, article_action
from mailbot.workflow.models import User

if TYPE_CHECKING:
    from mailbot.workflow.service import MailResult


@dataclass(frozen=True)
class TicketlessCommands:
    tz: ZoneInfo

    def __call__(self, session: Session, parsed: ParsedMessage, user: User, now: datetime) -> MailResult | None:
        """The answer to a mail of ticketless commands, or None when the mail should open a ticket."""
        from mailbot.workflow.service import MailResult

        if "#" not in parsed.new_text:
            return None
        parse = c.parse_commands(parsed.new_text, tz=self.tz, now=now,
                                 names=name_parts(user.name, parsed.sender.name, user.email))
        if not self._answers(parse, user):
            return None
        results: dict[int, dict[str, Any]] = {}
        errors = [(e.line_number, e.line, e.why) for e in parse.errors]
        if any(isinstance(cmd, c.KbCommand) for cmd in parse.commands):
            with savepoint(session) as changes:  # all or nothing: rolled back when a line is refused
                errors = sorted([*errors, *self._articles(session, parse, user, now, results)],
                                key=lambda error: error[0])
                if errors:
                    changes.rollback()
        if errors:
            answer = Answer("command_errors", to=user.email, ticket_id=None, language=user.language,
                            context={"errors": [{"line_number": n, "line": line, "reason": why.text("en"),
                                                 "why": why.to_json()} for n, line, why in errors],
                                     "help": c.help_text(user.language or "fr")})
            return MailResult("answered", None, f"{len(errors)} command line(s) refused", answers=[answer])
        reading = [cmd for cmd in parse.commands if c.spec_of(cmd).reads]
        context = answer_context(session, user, None, Asked(commands=reading), now)
        said = "commands without a ticket answered: " + " ".join(f"#{cmd.command}" for cmd in parse.commands)
        if results:  # knowledge-base changes: the confirmation, what was asked included
            items = applied_items(parse.commands, user, took=False, followup=False, private=False, results=results)
            return MailResult("answered", None, said, answers=[Answer(
                "kb_applied", to=user.email, ticket_id=None, language=user.language,
                context={**context, "applied": items})])
        kind = answer_kind(context)
        assert kind is not None, "a reading command always has a section"
        return MailResult("answered", None, said, answers=[Answer(kind, to=user.email, ticket_id=None,
                                                                  language=user.language, context=context)])

    @staticmethod
    def _articles(session: Session, parse: c.CommandParse, user: User, now: datetime,
                  results: dict[int, dict[str, Any]]) -> list[tuple[int, str, Reason]]:
        """Apply the `#kb edit/publish/unpublish N` lines (in the mail's order), what each did
        into `results`; the refused ones (no such article)."""
        errors: list[tuple[int, str, Reason]] = []
        for cmd in parse.commands:
            if not isinstance(cmd, c.KbCommand):
                continue
            try:
                results[cmd.line_number] = article_action(cmd, session, user, now, parse.remaining_text)
            except Refused as exc:
                errors.append((cmd.line_number, cmd.line, exc.reason))
        return errors

    @staticmethod
    def _answers(parse: c.CommandParse, user: User) -> bool:
        """Whether the mail is only commands this user may write without a ticket."""
        if parse.remaining_text and not parse.uses_remaining_text or not (parse.commands or parse.errors):
            return False  # other text (a `#kb edit N`'s new title and text are not other text)
        if any(c.needs_ticket(cmd) for cmd in parse.commands):
            return False
        if not user.is_technician:
            return not parse.errors and all(c.spec_of(cmd).everyone for cmd in parse.commands)
        return not any(c.line_needs_ticket(error.line) for error in parse.errors)
