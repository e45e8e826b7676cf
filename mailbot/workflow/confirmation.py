"""What a technician's command mail applied, as plain values for the confirmation answer
(`commands_applied`): one item per thing done, the status reached and the time spent on the
ticket (and the time still planned). The templates phrase it in the technician's language."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from mailbot.parsers import commands as c
from mailbot.workflow import registry
from mailbot.workflow.models import Ticket, User


def applied_items(commands: Sequence[c.Command], author: User, took: bool, followup: bool,
                  private: bool, names: Mapping[str, str] | None = None,
                  machines: dict[int, dict[str, Any]] | None = None, opened: bool = False,
                  closed_own: bool = False, results: Mapping[int, dict[str, Any]] | None = None) -> list[dict[str, Any]]:
    """The items in the order the technician reads them: the ticket opened by the mail (`opened`),
    taking, then each command; `names` (address -> name) name the people an item is about (`who`)
    when the helpdesk knows them; `machines`: the machine each `#asset` line named, by line
    number (shown by its label); `closed_own`: closed at once, as the technician solved their own ticket;
    `results`: the article each `#kb` line saved or changed, by line number."""
    names = names or {}
    items: list[dict[str, Any]] = [{"kind": "opened"}] if opened else []
    if took:
        items.append({"kind": "taken"})
    for cmd in commands:
        kind = registry.of(cmd).confirms  # the item's kind, said in words by the template
        if kind is None:
            continue
        item: dict[str, Any] = {"kind": kind}
        if isinstance(cmd, c.AssignCommand):
            if cmd.email is None or cmd.email.lower() == author.email.lower():
                continue  # #take: said by "taken" (or nothing new when already assigned)
            item.update(email=cmd.email, who=names.get(cmd.email.lower()) or cmd.email)
        elif isinstance(cmd, c.TaskCommand):
            item.update(duration_minutes=cmd.duration_minutes, state=cmd.state,
                        begin=cmd.begin.isoformat() if cmd.begin else None)
        elif isinstance(cmd, (c.ObserverCommand, c.RequesterCommand)):
            item.update(email=cmd.email, who=names.get(cmd.email.lower()) or cmd.email)
        elif isinstance(cmd, (c.TypeCommand, c.UrgencyCommand)):
            item["value"] = str(cmd.value)
        elif isinstance(cmd, c.AssetCommand):
            item.update(name=cmd.name, removed=cmd.remove, machine=(machines or {}).get(cmd.line_number))
        elif isinstance(cmd, c.KbCommand):
            item.update(kind="kb" if cmd.action == "save" else f"kb_{cmd.action}", category=cmd.category)
            item.update((results or {}).get(cmd.line_number, {}))
        items.append(item)
    if closed_own:
        items.append({"kind": "closed_own"})
    if followup:
        items.append({"kind": "followup"})
    if private:
        items.append({"kind": "private"})
    return items


# Task states whose duration is time spent; a `todo` task's duration is time still planned.
SPENT_STATES = frozenset({"done", "information"})


def summary(ticket: Ticket, items: list[dict[str, Any]]) -> dict[str, Any]:
    """The confirmation's context: the items, the ticket's status, the time spent on it (done
    and information tasks) and the time its tasks still to do are planned for."""
    spent = sum(task.duration_minutes or 0 for task in ticket.tasks if task.state in SPENT_STATES)
    planned = sum(task.duration_minutes or 0 for task in ticket.tasks if task.state not in SPENT_STATES)
    return {"applied": items, "status": str(ticket.status), "total_minutes": spent, "planned_minutes": planned}
