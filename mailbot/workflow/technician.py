"""A technician's reply (SPEC §4): read the command lines, check them all, apply them all
or none, keep the rest of the text (without its sign-off) as a followup and the mail's
attachments as documents, and answer once: what was applied (the confirmation), the refused
lines, or what the reading commands asked for (#help, #show, #doc …; workflow/asked.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from mailbot.parsers import commands as c
from mailbot.parsers.authresults import vouched
from mailbot.parsers.reasons import Reason, because, plain
from mailbot.parsers.signoff import name_parts
from mailbot.parsers.types import ParsedMessage
from mailbot.workflow import registry
from mailbot.workflow import tickets as acts
from mailbot.workflow.asked import answer_context, answer_kind
from mailbot.workflow.attachments import attach
from mailbot.workflow.autoclose import close_automatically
from mailbot.workflow.confirmation import applied_items, summary
from mailbot.workflow.db import savepoint
from mailbot.workflow.events import Answer, Event
from mailbot.workflow.handlers import CommandContext, Refused, assign, resume_action
from mailbot.workflow.intake import refused_attachments
from mailbot.workflow.models import Ticket, User
from mailbot.workflow.states import Status

if TYPE_CHECKING:
    from mailbot.workflow.replies import Replies
    from mailbot.workflow.service import MailResult


@dataclass(frozen=True)
class TechnicianConfig:
    tz: ZoneInfo
    autoclose_hours: float
    trusted_authserv_id: str = ""


def invitations_for(user: User, events: list[Event]) -> list[dict[str, Any]]:
    """The calendar invitations of these events meant for `user` (the tasks they planned, and
    their CANCEL when the mail closed the ticket): the technician who wrote the commands reads
    them in the confirmation, as they are told nothing else of their own mail."""
    return [invitation for event in events for invitation in event.context.get("invitations", ())
            if invitation["technician"].lower() == user.email.lower()]


class TechnicianReplies:
    def __init__(self, config: TechnicianConfig, replies: Replies):
        self.config = config
        self.replies = replies

    def __call__(self, session: Session, parsed: ParsedMessage, user: User, ticket: Ticket,
                 now: datetime) -> MailResult:
        parse = self.parse(parsed, user, now)
        if not parse.commands and not parse.errors:
            return self._plain_followup(session, parsed, user, ticket, now)
        return self.apply(session, parsed, user, ticket, now, parse)

    def parse(self, parsed: ParsedMessage, user: User, now: datetime) -> c.CommandParse:
        """The command lines of the mail's new text, and the text left without them and the sign-off."""
        names = name_parts(user.name, parsed.sender.name, user.email)
        return c.parse_commands(parsed.new_text, tz=self.config.tz, now=now, names=names)

    def apply(self, session: Session, parsed: ParsedMessage, user: User, ticket: Ticket, now: datetime,
              parse: c.CommandParse, *, opened: bool = False) -> MailResult:
        """Apply the mail's commands to the ticket, all or none, and answer once. `opened`: the
        ticket was just opened from this very mail (workflow/opening.py): its text is already
        the content and its attachments already documents, so neither is added again, and the
        confirmation says first that the ticket was opened."""
        from mailbot.workflow.service import MailResult

        errors = [(e.line_number, e.line, e.why) for e in parse.errors]
        if self.config.trusted_authserv_id:
            # DMARC aligns with the From: address; a sender found elsewhere has none to align with
            from_domain = parsed.sender.email.rpartition("@")[2] if parsed.sender_source == "from" else ""
            ok, why = vouched(parsed.authentication_results, self.config.trusted_authserv_id, from_domain)
            if not ok:
                refused = because("commands_refused", why=why or plain("not vouched for"))
                errors = [(cmd.line_number, cmd.line, refused) for cmd in parse.commands]
        ctx = self._context(session, ticket, user, now, parse)
        ctx.opened = opened
        had_it = any(a.id == user.id for a in ticket.assignees)
        if not errors:
            errors = self._all_or_nothing(parse, ctx)
        if errors:
            return self._unprocessed(ticket, user, parsed, errors, now, opened=opened)
        events = ctx.events
        text = parse.remaining_text
        followup = bool(text and not parse.uses_remaining_text) and not opened  # opened: the text is the content
        if followup:
            acts.add_followup(ticket, author=user, content=text, private=ctx.private, now=now)
            events.insert(0, Event("followup_added", ticket.id, user.id, private=ctx.private,
                                   context={"text": text}))
        own = ticket.status == Status.SOLVED and ticket.requester_id == user.id
        if own:  # nobody else to approve the solution: a technician's own ticket closes at once
            events.append(close_automatically(ticket, now, "solved by its own requester", user.id))
        elif ticket.status == Status.SOLVED and self.config.autoclose_hours == 0:
            events.append(close_automatically(ticket, now, "automatic closing is immediate", user.id))
        answers = [] if opened else self._attach(session, ticket, user, parsed, now, events)
        items = applied_items(parse.commands, user, took=not had_it and any(a.id == user.id for a in ticket.assignees),
                              followup=followup, private=ctx.private,
                              names={u.email.lower(): u.name for u in [*ticket.assignees, *ticket.observers,
                                                                       ticket.requester] if u.name},
                              machines=ctx.machines, opened=opened, closed_own=own, results=ctx.results)
        asked = answer_context(session, user, ticket, ctx.asked, now)  # after the changes: #show shows them
        if items:  # silence is never the only sign of success: one confirmation, what was asked included
            answers.insert(0, Answer("commands_applied", to=user.email, ticket_id=ticket.id, language=user.language,
                                     context={**summary(ticket, items), **asked,
                                              "invitations": invitations_for(user, events)}))
        elif kind := answer_kind(asked):
            answers.insert(0, Answer(kind, to=user.email, ticket_id=ticket.id, language=user.language,
                                     context=asked))
        return MailResult("ticket" if opened else "followup", ticket.id, "commands applied",
                          events=events, answers=answers)

    def reading_closed(self, session: Session, parsed: ParsedMessage, user: User, ticket: Ticket,
                       now: datetime) -> MailResult | None:
        """A mail on a closed ticket holding only reading commands (#show, #doc …) is answered on
        that ticket; anything else is left to the closed-ticket rule (None: a new ticket)."""
        from mailbot.workflow.service import MailResult

        names = name_parts(user.name, parsed.sender.name, user.email)
        parse = c.parse_commands(parsed.new_text, tz=self.config.tz, now=now, names=names)
        if parse.errors or not parse.commands or parse.remaining_text \
                or not all(c.spec_of(cmd).reads for cmd in parse.commands):
            return None
        acts.remember_message(session, parsed.message_id, ticket)
        ctx = self._context(session, ticket, user, now, parse)
        errors = self._run(parse, ctx)  # reading commands change nothing: no savepoint to roll back
        if errors:
            return self._unprocessed(ticket, user, parsed, errors, now)
        asked = answer_context(session, user, ticket, ctx.asked, now)
        kind = answer_kind(asked)
        assert kind is not None, "reading commands always ask for a section"
        return MailResult("answered", ticket.id, "reading commands on a closed ticket answered", answers=[
            Answer(kind, to=user.email, ticket_id=ticket.id, language=user.language, context=asked)])

    def _attach(self, session: Session, ticket: Ticket, user: User, parsed: ParsedMessage, now: datetime,
                events: list[Event]) -> list[Answer]:
        """The mail's attachments become documents of the ticket, carried by its first event."""
        from mailbot.workflow.replies import documents_context

        if not parsed.attachments:
            return []
        before = len(ticket.documents)
        intake = self.replies.intake
        refused = attach(ticket, parsed.attachments, store=intake.store, limits=intake.limits, now=now)
        if events:
            events[0].context.update(documents_context(session, ticket, before, user))
        return refused_attachments(ticket, user, refused, now)

    def _context(self, session: Session, ticket: Ticket, user: User, now: datetime,
                 parse: c.CommandParse) -> CommandContext:
        return CommandContext(session=session, ticket=ticket, author=user, now=now,
                              remaining_text=parse.remaining_text,
                              private=any(isinstance(cmd, c.PrivateCommand) for cmd in parse.commands),
                              autoclose_hours=self.config.autoclose_hours, received_status=ticket.status)

    @staticmethod
    def _all_or_nothing(parse: c.CommandParse, ctx: CommandContext) -> list[tuple[int, str, Reason]]:
        """Apply every command in a savepoint, rolled back when any was refused: then nothing
        of the mail's commands is left, and every refusal is returned."""
        with savepoint(ctx.session) as commands:
            errors = TechnicianReplies._run(parse, ctx)
            if errors:
                commands.rollback()
        return errors

    @staticmethod
    def _run(parse: c.CommandParse, ctx: CommandContext) -> list[tuple[int, str, Reason]]:
        """One pass over the commands, each applied at once; every refusal is collected."""
        # `#kb` (saving the solution) after #solve
        ordered = sorted(parse.commands, key=lambda cmd: isinstance(cmd, c.KbCommand) and cmd.action == "save")
        errors: list[tuple[int, str, Reason]] = []
        # reading commands and the knowledge-base ones (#kb publish N) leave the ticket as it is
        if not ctx.ticket.assignees and any(not c.spec_of(cmd).reads and cmd.touches_ticket for cmd in ordered) \
                and not any(isinstance(cmd, c.AssignCommand) for cmd in ordered):
            # the first command of a technician on an unassigned ticket takes it (SPEC §2)
            assign(ctx, ctx.author, f"taken by {ctx.author.email}")
        was_waiting = ctx.status == Status.WAITING
        for cmd in ordered:
            try:
                registry.run(cmd, ctx)
            except Refused as exc:
                errors.append((cmd.line_number, cmd.line, exc.reason))
        leaves_waiting = not any(isinstance(cmd, (c.HoldCommand, c.ResumeCommand)) for cmd in ordered)
        if was_waiting and leaves_waiting and ctx.status == Status.WAITING and \
                any(isinstance(cmd, c.TaskCommand) for cmd in ordered):
            ctx.move(resume_action(ctx.ticket), "a technician added a task")
        return errors

    def _plain_followup(self, session: Session, parsed: ParsedMessage, user: User, ticket: Ticket,
                        now: datetime) -> MailResult:
        """A technician's followup without commands; it brings a waiting ticket back (SPEC §2)."""
        if ticket.status == Status.WAITING:
            acts.move(ticket, resume_action(ticket), by=user, why="a technician answered", now=now)
        return self.replies.followup(session, parsed, user, ticket, now)

    def _unprocessed(self, ticket: Ticket, user: User, parsed: ParsedMessage,
                     errors: list[tuple[int, str, Reason]], now: datetime, *, opened: bool = False) -> MailResult:
        """All or nothing: keep the whole text privately (and the attachments: nothing is lost)
        and tell the technician every error; `opened`: on the ticket this mail just opened
        (its attachments are already there)."""
        from mailbot.workflow.service import MailResult

        acts.add_followup(ticket, author=user, content=parsed.new_text, private=True, source="mail",
                          unprocessed=True, now=now)
        intake = self.replies.intake
        if not opened:
            attach(ticket, parsed.attachments, store=intake.store, limits=intake.limits, now=now)
        answer = Answer("command_errors", to=user.email, ticket_id=ticket.id, language=user.language,
                        # the reason as a code and parameters, said in the technician's language when
                        # the mail is written; `reason` in English for whoever reads the row
                        context={"errors": [{"line_number": n, "line": line, "reason": why.text("en"),
                                             "why": why.to_json()}
                                            for n, line, why in sorted(errors, key=lambda e: e[0])],
                                 "help": c.help_text(user.language or "fr"), "opened": opened})
        return MailResult("ticket" if opened else "followup", ticket.id, f"{len(errors)} command line(s) refused",
                          answers=[answer])
