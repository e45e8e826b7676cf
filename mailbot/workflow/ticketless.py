"""A new mail (no ticket named) that holds only commands needing no ticket — `#help`,
`#tickets`, `#mesdemandes` (CommandSpec.needs_ticket False) — is answered and opens no ticket.

Who: a technician, for any such command; anyone else known to the helpdesk, for the commands
open to everyone (CommandSpec.everyone: `#mesdemandes`). "Only commands": once the command
lines and the sign-off are out, no text is left. A technician's refused line among them
(`#tikets`) gets the error answer, still without a ticket; a technician's mail naming a command
that needs a ticket (`#take`, `#task …`), or with other text, opens a ticket with the commands
applied to it (workflow/opening.py); anyone else's opens a ticket as any new mail does.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from mailbot.parsers import commands as c
from mailbot.parsers.signoff import name_parts
from mailbot.parsers.types import ParsedMessage
from mailbot.workflow.asked import Asked, answer_context, answer_kind
from mailbot.workflow.events import Answer
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
        if parse.errors:
            answer = Answer("command_errors", to=user.email, ticket_id=None, language=user.language,
                            context={"errors": [{"line_number": e.line_number, "line": e.line, "reason": e.reason,
                                                 "why": e.why.to_json()} for e in parse.errors],
                                     "help": c.help_text(user.language or "fr")})
            return MailResult("answered", None, f"{len(parse.errors)} command line(s) refused", answers=[answer])
        context = answer_context(session, user, None, Asked(commands=list(parse.commands)), now)
        kind = answer_kind(context)
        assert kind is not None, "a reading command always has a section"
        return MailResult("answered", None, "commands without a ticket answered: "
                          + " ".join(f"#{cmd.command}" for cmd in parse.commands),
                          answers=[Answer(kind, to=user.email, ticket_id=None, language=user.language,
                                          context=context)])

    @staticmethod
    def _answers(parse: c.CommandParse, user: User) -> bool:
        """Whether the mail is only commands this user may write without a ticket."""
        if parse.remaining_text or not (parse.commands or parse.errors):
            return False
        specs = [c.spec_of(cmd) for cmd in parse.commands]
        if any(spec.needs_ticket for spec in specs):
            return False
        if not user.is_technician:
            return not parse.errors and all(spec.everyone for spec in specs)
        named = [c.line_spec(error.line) for error in parse.errors]
        return not any(spec is not None and spec.needs_ticket for spec in named)
