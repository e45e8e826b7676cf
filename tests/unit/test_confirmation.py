"""The confirmation's plain values: one item per thing a command mail applied."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

from mailbot.parsers import commands as c
from mailbot.workflow.confirmation import applied_items, summary

CAMILLE: Any = SimpleNamespace(email="Camille.Tech@lycee.example")


def test_taking_comes_first_then_each_command_in_the_order_written() -> None:
    commands = [c.TaskCommand("todo", 60, datetime(2026, 12, 2, 13, tzinfo=UTC)),
                c.AssignCommand("sami.tech@lycee.example"), c.ObserverCommand("cpe@lycee.example"),
                c.UrgencyCommand(4), c.HelpCommand()]
    assert applied_items(commands, CAMILLE, took=True, followup=True, private=False,
                         names={"sami.tech@lycee.example": "Sami Tech"}) == [
        {"kind": "taken"},
        {"kind": "task", "duration_minutes": 60, "state": "todo", "begin": "2026-12-02T13:00:00+00:00"},
        {"kind": "assigned", "email": "sami.tech@lycee.example", "who": "Sami Tech"},  # by name when known
        {"kind": "observer", "email": "cpe@lycee.example", "who": "cpe@lycee.example"},
        {"kind": "urgency", "value": "4"},
        {"kind": "followup"}]


def test_take_of_oneself_is_said_once_and_help_alone_applies_nothing() -> None:
    take_self = [c.AssignCommand(None), c.AssignCommand("camille.tech@lycee.example")]
    assert applied_items(take_self, CAMILLE, took=True, followup=False, private=False) == [{"kind": "taken"}]
    assert applied_items(take_self, CAMILLE, took=False, followup=False, private=False) == []
    assert applied_items([c.HelpCommand()], CAMILLE, took=False, followup=False, private=False) == []
    assert applied_items([c.PrivateCommand()], CAMILLE, took=False, followup=True, private=True) == [
        {"kind": "followup"}, {"kind": "private"}]


def test_time_spent_counts_done_and_information_tasks_and_planned_time_is_apart() -> None:
    tasks = [SimpleNamespace(duration_minutes=15, state="done"), SimpleNamespace(duration_minutes=30, state="information"),
             SimpleNamespace(duration_minutes=60, state="todo"), SimpleNamespace(duration_minutes=None, state="done")]
    ticket: Any = SimpleNamespace(status="planned", tasks=tasks)
    assert summary(ticket, [{"kind": "taken"}]) == {
        "applied": [{"kind": "taken"}], "status": "planned", "total_minutes": 45, "planned_minutes": 60}
