"""A technician's new mail (no ticket named) with command lines, such as a phone call logged
with the work already done (`#take`, `#task done 0h30 Lampe changée`): it opens a ticket whose
content is the text without the command lines and the sign-off, then the commands are applied
to that ticket exactly as on a reply (workflow/technician.py: all or nothing, one answer).

The technician gets one mail: the confirmation naming the new ticket, or the refused lines (the
ticket is opened all the same, the whole text kept as a private unprocessed followup). A mail
that holds only commands needing no ticket is answered before this (workflow/ticketless.py);
commands count only when the sender came from `From:` or `Sender:` (the caller checks it).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from mailbot.parsers.types import ParsedMessage
from mailbot.workflow.intake import Intake
from mailbot.workflow.models import Ticket, User
from mailbot.workflow.technician import TechnicianReplies

if TYPE_CHECKING:
    from mailbot.workflow.service import MailResult


@dataclass(frozen=True)
class TechnicianNewMail:
    intake: Intake
    technician: TechnicianReplies

    def __call__(self, session: Session, parsed: ParsedMessage, user: User, now: datetime) -> MailResult | None:
        """The new ticket with the commands applied, or None when this is not a technician's
        mail with command lines (then it opens a ticket as any new mail does)."""
        if not user.is_technician or "#" not in parsed.new_text:
            return None
        parse = self.technician.parse(parsed, user, now)
        if not parse.commands and not parse.errors:
            return None
        opened = self.intake.open(session, parsed, user, now, new_text=parse.remaining_text)
        ticket = session.get(Ticket, opened.ticket_id)
        assert ticket is not None
        applied = self.technician.apply(session, parsed, user, ticket, now, parse, opened=True)
        # the creation first: whoever is told of the new ticket reads what the same mail did to it
        applied.events[:0] = opened.events
        applied.answers += opened.answers
        return applied
