"""The reading commands (#doc, #documents, #show, #tickets, #mesdemandes, #help): how they are
read, the flags of the command table that say which need a ticket, and which mails without a
ticket are answered."""

from datetime import UTC, datetime
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest

from mailbot.parsers.command_values import (
    DocCommand,
    DocumentsCommand,
    MyRequestsCommand,
    ShowCommand,
    TicketsCommand,
)
from mailbot.parsers.commands import COMMANDS, SPECS, help_text, line_spec, parse_commands
from mailbot.workflow.asked import answer_kind
from mailbot.workflow.ticketless import TicketlessCommands

NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
PARIS = ZoneInfo("Europe/Paris")


def parse(text: str):
    return parse_commands(text, tz=PARIS, now=NOW)


@pytest.mark.parametrize(("text", "value"), [
    ("#doc 3", DocCommand(3)), ("#Document 12", DocCommand(12)), ("#doc n°7", DocCommand(7)),
    ("#doc #4", DocCommand(4)), ("#doc: 5", DocCommand(5)),
    ("#documents", DocumentsCommand()), ("#show", ShowCommand()), ("#Historique", ShowCommand()),
    ("#history", ShowCommand()), ("#tickets", TicketsCommand()), ("#mesdemandes", MyRequestsCommand()),
    ("#MyRequests", MyRequestsCommand()),
])
def test_reading_commands_are_read_with_their_aliases(text, value):
    result = parse(text)
    assert result.errors == ()
    [command] = result.commands
    assert type(command) is type(value) and command.__dict__ | {"line_number": 0, "line": ""} == value.__dict__


@pytest.mark.parametrize(("text", "reason"), [
    ("#doc", "#doc needs a document number, e.g. #doc 3"),
    ("#doc trois", "'trois' is not a document number (e.g. #doc 3)"),
    ("#doc 3 4", "'3 4' is not a document number (e.g. #doc 3)"),
    ("#doc -1", "'-1' is not a document number (e.g. #doc 3)"),
    ("#documents 3", "#documents takes no argument (write the text on the next lines)"),
    ("#show tout", "#show takes no argument (write the text on the next lines)"),
])
def test_bad_arguments_are_refused_with_an_english_reason(text, reason):
    [error] = parse(text).errors
    assert error.reason == reason  # said in French to a French-speaking technician (parsers/reasons.py)


def test_only_the_commands_that_need_no_ticket_say_so_and_only_mesdemandes_is_for_everyone():
    assert {s.name for s in COMMANDS if not s.needs_ticket} == {"help", "tickets", "mesdemandes"}
    assert {s.name for s in COMMANDS if s.everyone} == {"mesdemandes"}
    assert {s.name for s in COMMANDS if s.reads} == {"help", "tickets", "mesdemandes", "doc", "documents", "show"}
    assert all(s.reads for s in COMMANDS if not s.needs_ticket)  # a ticketless command cannot change a ticket


def test_the_help_says_which_commands_work_without_a_ticket():
    lines = help_text("en").splitlines()
    for name in ("help", "tickets", "mesdemandes"):
        usage = next(i for i, line in enumerate(lines) if line.startswith(f"#{name}"))
        assert lines[usage + 2] == "    (also alone in a new mail, without a ticket)"
    task = next(i for i, line in enumerate(lines) if line.startswith("#task"))
    assert "without a ticket" not in lines[task + 2]


def test_line_spec_names_the_command_of_a_line_even_a_refused_one():
    assert line_spec("#Tâche abc") is SPECS["task"]
    assert line_spec("  #tickets") is SPECS["tickets"]
    assert line_spec("#tikets") is None and line_spec("texte") is None


def user(technician: bool):
    return SimpleNamespace(is_technician=technician)


@pytest.mark.parametrize(("text", "technician", "answered"), [
    ("#tickets", True, True),
    ("#help\n#tickets\n#mesdemandes", True, True),
    ("#tickets\n\nCordialement,\nCamille", True, True),  # a sign-off is no text
    ("#tikets", True, True),  # a technician's typo is answered with the error
    ("#tickets\n#take", True, False),  # a ticket command: opens a ticket as before
    ("#task abc", True, False),  # a refused ticket command too
    ("#tickets\nLe vidéoprojecteur est cassé.", True, False),  # other text: a ticket
    ("Bonjour", True, False),
    ("#mesdemandes", False, True),
    ("#tickets", False, False),  # a requester's other # lines are plain text
    ("#mesdemandes\n#help", False, False),
    ("#mesdmandes", False, False),
])
def test_which_new_mails_are_answered_without_a_ticket(text, technician, answered):
    assert TicketlessCommands._answers(parse(text), user(technician)) is answered


@pytest.mark.parametrize(("present", "kind"), [
    ({"history": {"id": 1}, "help": "…"}, "ticket_history"),
    ({"documents_asked": True, "tickets_view": {"in_progress": {}}}, "documents"),
    ({"tickets_view": {"in_progress": {}}, "my_requests": {"count": 0}}, "tickets_view"),
    ({"my_requests": {"count": 0}, "help": "…"}, "my_requests"),
    ({"help": "…"}, "help"),
    ({}, None),
])
def test_an_answer_that_changed_nothing_is_named_after_its_first_section(present, kind):
    context = {"history": None, "tickets_view": None, "my_requests": None, "help": "", "documents_asked": False,
               "document_ids": [], **present}
    assert answer_kind(context) == kind


def test_a_section_added_later_names_its_own_answer_when_it_comes_alone(monkeypatch):
    from mailbot.workflow import asked

    monkeypatch.setitem(asked.SECTIONS, "search", (frozenset({"search"}), lambda *args: {"articles": []}))
    context = {"history": None, "tickets_view": None, "my_requests": None, "help": "…", "documents_asked": False,
               "document_ids": [], "search": {"articles": []}}
    assert answer_kind(context) == "help"  # the known kinds come first
    assert answer_kind({**context, "help": ""}) == "search"
