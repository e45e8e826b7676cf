"""The action of each technician command (SPEC §4): one handler per command, joined to the
command's description (parsers/command_table.py) by workflow/registry.py.

A handler applies its command to the ticket at once. The commands of one mail run in a
savepoint (workflow/technician.py): every one of them runs, so that every refusal is found,
and the savepoint is rolled back when any was refused — all or nothing. A handler raises
`Refused(reason)` when its command cannot be applied: `Refused(because("code", …))` for a reason of the table in
`parsers/reasons.py` (said in the technician's language), or `Refused("English text")`, shown as is."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from mailbot.parsers import commands as c
from mailbot.parsers.reasons import ReasonError, because
from mailbot.workflow import kb, machines, planning, states
from mailbot.workflow import tickets as acts
from mailbot.workflow.asked import Asked
from mailbot.workflow.events import Event
from mailbot.workflow.models import Document, KbArticle, Solution, Task, Ticket, User
from mailbot.workflow.people import create_user
from mailbot.workflow.states import Status


class Refused(ReasonError):
    """A command that cannot be applied; its `reason` says why, for the technician."""


@dataclass
class CommandContext:
    session: Session
    ticket: Ticket
    author: User
    now: datetime
    remaining_text: str
    private: bool
    autoclose_hours: float
    received_status: str  # the ticket's status when the mail came, as its writer saw it
    events: list[Event] = field(default_factory=list)
    asked: Asked = field(default_factory=Asked)  # what the reading commands asked for (answered once)
    machines: dict[int, dict[str, Any]] = field(default_factory=dict)  # #asset line -> the machine it named
    results: dict[int, dict[str, Any]] = field(default_factory=dict)  # #kb line -> the article, for the confirmation
    opened: bool = False  # the ticket was opened by this very mail (workflow/opening.py)

    @property
    def status(self) -> str:
        return self.ticket.status

    def move(self, action: str, why: str) -> None:
        """Apply a status action with its history line, refused when the status does not allow it."""
        try:
            states.next_status(action, self.ticket.status)
        except states.TransitionError as exc:
            raise Refused(because("not_allowed_in_status", status=self.ticket.status)) from exc
        acts.move(self.ticket, action, by=self.author, why=why, now=self.now)

    def event(self, kind: str, private: bool = False, **context: Any) -> None:
        self.events.append(Event(kind, self.ticket.id, self.author.id, private=private, context=context))

    def technician(self, email: str | None) -> User:
        if email is None:
            return self.author
        user = acts.user_by_email(self.session, email)
        if user is None or not user.is_technician:
            raise Refused(because("not_a_technician", email=email))
        return user


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def assign(ctx: CommandContext, user: User, why: str) -> None:
    if ctx.status == Status.NEW:
        ctx.move("assign", why)
    if all(a.id != user.id for a in ctx.ticket.assignees):
        ctx.ticket.assignees.append(user)


def on_task(cmd: c.TaskCommand, ctx: CommandContext) -> None:
    if cmd.begin is not None and ctx.status in (Status.NEW, Status.ASSIGNED):
        ctx.move("plan", f"task planned for {cmd.begin.isoformat()}")
    text = cmd.description or ctx.remaining_text
    task = Task(author_id=ctx.author.id, content=text, state=cmd.state, duration_minutes=cmd.duration_minutes,
                begin=cmd.begin, end=cmd.end, private=ctx.private, created_at=ctx.now)
    ctx.ticket.tasks.append(task)
    ctx.ticket.updated_at = ctx.now
    if cmd.begin is not None:
        ctx.session.flush()  # the task's number names its calendar event (UID)
    ctx.event("task_added", private=ctx.private, task={
        "content": text, "state": cmd.state, "duration_minutes": cmd.duration_minutes,
        "begin": _iso(cmd.begin), "end": _iso(cmd.end)},
        invitations=planning.coming_request(task, ctx.ticket, ctx.author, ctx.now))


def on_hold(cmd: c.HoldCommand, ctx: CommandContext) -> None:
    if ctx.status != Status.WAITING:
        ctx.move("hold", cmd.reason or "on hold")
    if cmd.reason:
        acts.add_followup(ctx.ticket, author=ctx.author, content=cmd.reason, private=ctx.private,
                          source="command", now=ctx.now)
    ctx.event("status_waiting", private=ctx.private, text=cmd.reason)


def resume_action(ticket: Ticket) -> str:
    """Leaving `waiting` goes to `planned` when a planned task is still to do (SPEC §2)."""
    planned = any(t.begin is not None and t.state == "todo" for t in ticket.tasks)
    return "resume_planned" if planned else "resume_assigned"


def on_resume(cmd: c.ResumeCommand, ctx: CommandContext) -> None:
    if ctx.status != Status.WAITING:
        raise Refused(because("not_waiting", status=ctx.received_status))
    ctx.move(resume_action(ctx.ticket), "resumed")


def on_assign(cmd: c.AssignCommand, ctx: CommandContext) -> None:
    user = ctx.technician(cmd.email)
    assign(ctx, user, f"assigned to {user.email}")


def on_observer(cmd: c.ObserverCommand, ctx: CommandContext) -> None:
    user = acts.user_by_email(ctx.session, cmd.email)
    if user is None:
        from mailbot.parsers.types import Address

        user = create_user(ctx.session, Address("", cmd.email), ctx.now)
    if user.id != ctx.ticket.requester_id and all(o.id != user.id for o in ctx.ticket.observers):
        ctx.ticket.observers.append(user)


def on_requester(cmd: c.RequesterCommand, ctx: CommandContext) -> None:
    """The ticket a technician's new mail opened is someone else's (a call taken for them)."""
    if not ctx.opened:
        raise Refused(because("requester_in_new_mail"))
    user = acts.user_by_email(ctx.session, cmd.email)
    if user is None:
        from mailbot.parsers.types import Address

        user = create_user(ctx.session, Address("", cmd.email), ctx.now)
    ctx.ticket.requester, ctx.ticket.requester_id = user, user.id
    ctx.ticket.observers = [o for o in ctx.ticket.observers if o.id != user.id]


def on_solve(cmd: c.SolveCommand, ctx: CommandContext) -> None:
    ctx.move("solve", "solution proposed")
    text = cmd.text or ctx.remaining_text
    waiting = [s for s in ctx.ticket.solutions if s.status == "waiting"]
    if waiting:  # a second #solve replaces the solution still waiting for approval
        waiting[-1].content, waiting[-1].author_id, waiting[-1].created_at = text, ctx.author.id, ctx.now
    else:
        ctx.ticket.solutions.append(Solution(author_id=ctx.author.id, content=text, status="waiting",
                                            created_at=ctx.now))
    ctx.ticket.solved_at = ctx.now
    due = None if ctx.autoclose_hours < 0 else ctx.now + timedelta(hours=ctx.autoclose_hours)
    ctx.event("solved", solution={"content": text}, autoclose_at=_iso(due))


def on_kb(cmd: c.KbCommand, ctx: CommandContext) -> None:
    """#kb: the solution saved as a draft; #kb edit/publish/unpublish N: article N changed."""
    if cmd.action == "save":
        solution = next((s for s in reversed(ctx.ticket.solutions) if s.status == "waiting"), None)
        if solution is None:  # its #solve was refused: the whole mail is
            return
        saved = kb.save_article(ctx.session, title=ctx.ticket.title, content=solution.content,
                                ticket_id=ctx.ticket.id, author_id=ctx.author.id, now=ctx.now,
                                category=cmd.category)
        ctx.results[cmd.line_number] = {"article_id": saved.id}
        return
    ctx.results[cmd.line_number] = article_action(cmd, ctx.session, ctx.author, ctx.now, ctx.remaining_text)


def article_action(cmd: c.KbCommand, session: Session, author: User, now: datetime,
                   remaining_text: str) -> dict[str, Any]:
    """#kb edit/publish/unpublish N, which need no ticket (also run by workflow/ticketless.py):
    refused when article N does not exist; what the confirmation says of it."""
    assert cmd.article_id is not None
    article = session.get(KbArticle, cmd.article_id)
    if article is None:
        raise Refused(because("no_such_article", number=cmd.article_id))
    if cmd.action == "edit":
        title, content = c.kb_title_and_text(remaining_text)
        kb.edit(article, title=title[:500], content=content, by=author, now=now)
        changed = True
    else:
        changed = kb.set_status(article, kb.PUBLISHED if cmd.action == "publish" else kb.DRAFT, by=author, now=now)
    return {"article_id": article.id, "title": article.title, "changed": changed}


def on_close(cmd: c.CloseCommand, ctx: CommandContext) -> None:
    ctx.move("close", cmd.text or "closed by a technician")
    if cmd.text:
        acts.add_followup(ctx.ticket, author=ctx.author, content=cmd.text, private=ctx.private,
                          source="command", now=ctx.now)
    ctx.event("closed", text=cmd.text, automatic=False,
              invitations=planning.cancellations(ctx.ticket, ctx.now))


def on_type(cmd: c.TypeCommand, ctx: CommandContext) -> None:
    ctx.ticket.type = cmd.value


def on_urgency(cmd: c.UrgencyCommand, ctx: CommandContext) -> None:
    ctx.ticket.urgency = cmd.value


def on_asset(cmd: c.AssetCommand, ctx: CommandContext) -> None:
    """Links a known machine (by name or serial number), or unlinks an item of the ticket."""
    if cmd.remove:
        item = machines.linked_item(ctx.ticket, cmd.name)
        if item is None:
            raise Refused(because("machine_not_linked", name=cmd.name))
        ctx.ticket.items.remove(item)
        ctx.machines[cmd.line_number] = {"type": item.machine.type if item.machine else None, "name": item.name}
        return
    try:
        machine = machines.find(ctx.session, cmd.name)
    except machines.UnknownMachine as exc:
        raise Refused(exc.reason) from exc
    machines.link(ctx.ticket, machine)
    ctx.machines[cmd.line_number] = {"type": machine.type, "name": machine.name}


def on_read(cmd: c.Command, ctx: CommandContext) -> None:
    """#show, #tickets, #mesdemandes, #help, #search: given in the mail's one answer (workflow/asked.py)."""
    ctx.asked.commands.append(cmd)


def on_doc(cmd: c.DocCommand, ctx: CommandContext) -> None:
    document = ctx.session.get(Document, cmd.number)
    if document is None:
        raise Refused(because("no_such_document", number=str(cmd.number)))
    if document.ticket_id != ctx.ticket.id:
        raise Refused(because("document_of_another_ticket", number=str(cmd.number), ticket=str(document.ticket_id)))
    ctx.asked.documents = True
    ctx.asked.document_ids.append(document.id)


def on_documents(cmd: c.DocumentsCommand, ctx: CommandContext) -> None:
    ctx.asked.documents = True
    ctx.asked.document_ids += [document.id for document in ctx.ticket.documents]


def on_nothing(cmd: c.Command, ctx: CommandContext) -> None:
    """#private and #kb-alone act through other commands."""
