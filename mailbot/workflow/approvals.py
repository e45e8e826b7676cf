"""The requester's answer to a solution (SPEC §5): approval closes the ticket, refusal with
a reason sends it back to `new`, refusal without one asks for it, anything else is a
followup that changes nothing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from mailbot.parsers.approval import read_reply
from mailbot.parsers.types import ParsedMessage
from mailbot.workflow import tickets as acts
from mailbot.workflow.events import Answer, Event
from mailbot.workflow.models import Solution, Ticket, User
from mailbot.workflow.planning import cancellations

if TYPE_CHECKING:
    from mailbot.workflow.replies import Replies
    from mailbot.workflow.service import MailResult


@dataclass(frozen=True)
class ApprovalConfig:
    autoclose_hours: float


def waiting_solution(ticket: Ticket) -> Solution | None:
    return next((s for s in reversed(ticket.solutions) if s.status == "waiting"), None)


class RequesterAnswers:
    def __init__(self, config: ApprovalConfig, replies: Replies):
        self.config = config
        self.replies = replies

    def __call__(self, session: Session, parsed: ParsedMessage, user: User, ticket: Ticket,
                 now: datetime) -> MailResult:
        from mailbot.workflow.service import MailResult

        intent = read_reply(parsed.subject, parsed.new_text)
        solution = waiting_solution(ticket)
        if intent.kind == "approve" and solution is not None:
            solution.status, solution.decided_at = "accepted", now
            if parsed.new_text:
                acts.add_followup(ticket, author=user, content=parsed.new_text, now=now)
            acts.move(ticket, "approve", by=user, why="solution approved by the requester", now=now)
            events = [Event("solution_approved", ticket.id, user.id),
                      Event("closed", ticket.id, user.id, context={
                          "text": "", "automatic": False, "invitations": cancellations(ticket, now)})]
            return MailResult("followup", ticket.id, "solution approved", events=events)
        if intent.kind == "refuse" and solution is not None:
            if not intent.reason:
                ask = Answer("reason_please", to=user.email, ticket_id=ticket.id, language=user.language)
                return MailResult("ignored", ticket.id, "refusal without a reason: the requester was asked for one",
                                  answers=[ask])
            solution.status, solution.reason, solution.decided_at = "refused", intent.reason, now
            acts.add_followup(ticket, author=user, content=intent.reason, now=now)
            acts.move(ticket, "refuse", by=user, why=f"solution refused: {intent.reason}", now=now)
            return MailResult("followup", ticket.id, "solution refused",
                              events=[Event("solution_refused", ticket.id, user.id,
                                            context={"reason": intent.reason})])
        result = self.replies.followup(session, parsed, user, ticket, now)
        due = None
        if self.config.autoclose_hours >= 0 and ticket.solved_at is not None:
            due = (ticket.solved_at + timedelta(hours=self.config.autoclose_hours)).isoformat()
        result.answers.append(Answer("solved_reply", to=user.email, ticket_id=ticket.id, language=user.language,
                                     context={"autoclose_at": due}))
        return result
