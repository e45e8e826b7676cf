"""Technician commands applied to a ticket (SPEC §4): all or nothing, authority, and what
each handler does — on a real in-memory database, without mail going out."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from mailbot.parsers.types import Address, ParsedMessage
from mailbot.workflow.attachments import AttachmentLimits
from mailbot.workflow.documents import DocumentStore
from mailbot.workflow.intake import Intake, IntakeConfig
from mailbot.workflow.models import Base, Machine, Ticket, User
from mailbot.workflow.people import SenderPolicy
from mailbot.workflow.replies import Replies
from mailbot.workflow.technician import TechnicianConfig, TechnicianReplies

NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
PARIS = ZoneInfo("Europe/Paris")
TRUSTED = "mx.lycee.example"


@pytest.fixture
def session():
    engine = create_engine("sqlite://")
    Base.metadata.create_all(engine)
    with Session(engine) as s:
        yield s


@pytest.fixture
def desk(session, tmp_path):
    requester = User(email="loic@lycee.example", name="Loïc", created_at=NOW)
    tech = User(email="tech@lycee.example", name="Camille", is_technician=True, created_at=NOW)
    other = User(email="sami@lycee.example", name="Sami", is_technician=True, created_at=NOW)
    session.add_all([requester, tech, other])
    ticket = Ticket(title="Ordinateur très lent", content="…", requester=requester, created_at=NOW,
                    updated_at=NOW, status="new", type="incident", urgency=3)
    session.add(ticket)
    session.flush()
    senders = SenderPolicy("create", (), "helpdesk@lycee.example")
    intake = Intake(IntakeConfig(senders, "incident", "fr"), DocumentStore(tmp_path), AttachmentLimits(1 << 20))
    return ticket, tech, other, Replies(intake)


def reply(text: str, auth: tuple[str, ...] = ()) -> ParsedMessage:
    return ParsedMessage(sha256="0" * 64, message_id="", in_reply_to=(), references=(),
                         sender=Address("", "tech@lycee.example"), reply_to=None, to=(), cc=(),
                         subject="Re: [Ticket #1] Ordinateur très lent", title="Ordinateur très lent", date=None,
                         text=text, new_text=text, authentication_results=auth)


def run(session, desk, text, *, by=None, trusted="", auth=()):
    ticket, tech, _, replies = desk
    handler = TechnicianReplies(TechnicianConfig(PARIS, 24, trusted), replies)
    result = handler(session, reply(text, auth), by or tech, ticket, NOW)
    session.flush()
    return result


def test_a_mistyped_command_changes_nothing_and_is_answered_line_by_line(session, desk):
    ticket = desk[0]
    result = run(session, desk, "#take\n#tsk 0h15 redémarrage\n#task 1h75\nJ'ai testé.")
    assert ticket.status == "new" and ticket.assignees == [] and ticket.tasks == []
    assert [(f.private, f.unprocessed, f.content) for f in ticket.followups] == [
        (True, True, "#take\n#tsk 0h15 redémarrage\n#task 1h75\nJ'ai testé.")]
    assert result.events == []
    [answer] = result.answers
    assert answer.kind == "command_errors" and answer.to == "tech@lycee.example"
    assert [(e["line_number"], e["line"]) for e in answer.context["errors"]] == [
        (2, "#tsk 0h15 redémarrage"), (3, "#task 1h75")]
    assert "did you mean #task" in answer.context["errors"][0]["reason"]
    assert "#task" in answer.context["help"]


def test_a_move_the_status_table_forbids_is_refused_with_the_status(session, desk):
    result = run(session, desk, "#resume")
    [error] = result.answers[0].context["errors"]
    assert error["line"] == "#resume" and "not waiting" in error["reason"] and "new" in error["reason"]
    assert desk[0].status == "new"


def test_assigning_someone_who_is_not_a_technician_is_refused(session, desk):
    result = run(session, desk, "#assign loic@lycee.example")
    assert "loic@lycee.example is not a technician" in result.answers[0].context["errors"][0]["reason"]
    assert desk[0].assignees == []


def test_the_first_command_of_a_technician_on_an_unassigned_ticket_takes_it(session, desk):
    ticket, tech = desk[0], desk[1]
    run(session, desk, "#urgency 5")
    assert ticket.status == "assigned" and ticket.assignees == [tech] and ticket.urgency == 5


def test_help_alone_answers_with_the_commands_and_takes_nothing(session, desk):
    result = run(session, desk, "#help")
    assert desk[0].assignees == [] and desk[0].status == "new"
    assert [a.kind for a in result.answers] == ["help"]
    assert "#solve" in result.answers[0].context["help"]


def test_assign_someone_else_type_asset_and_observer(session, desk):
    ticket, _, other, _ = desk
    session.add(Machine(name="203-02", name_key="203-02", type="computer", imported_at=NOW))
    run(session, desk, "#assign sami@lycee.example\n#type demande\n#asset Computer 203-02\n"
                       "#observer Anne <anne@lycee.example>")
    assert ticket.assignees == [other] and ticket.type == "request"
    assert [i.machine.name for i in ticket.items if i.machine] == ["203-02"]
    assert [o.email for o in ticket.observers] == ["anne@lycee.example"]


def test_a_task_description_comes_from_the_rest_of_the_mail_when_not_inline(session, desk):
    result = run(session, desk, "#task 45min\nMise à jour du BIOS.")
    [task] = desk[0].tasks
    assert (task.content, task.duration_minutes, task.state) == ("Mise à jour du BIOS.", 45, "done")
    assert desk[0].followups == []  # the text was the description, not a followup
    assert [e.kind for e in result.events] == ["task_added"]


def test_private_makes_the_followup_and_the_task_private(session, desk):
    result = run(session, desk, "#private\n#task 0h30 Diagnostic mémoire\nRAM suspecte.")
    assert desk[0].tasks[0].private and desk[0].followups[0].private
    assert all(e.private for e in result.events)


def test_a_second_solve_replaces_the_solution_still_waiting(session, desk):
    run(session, desk, "#solve Pilote réinstallé.")
    run(session, desk, "#solve Barrette remplacée.")
    assert [(s.content, s.status) for s in desk[0].solutions] == [("Barrette remplacée.", "waiting")]


def test_a_plain_followup_of_a_technician_brings_a_waiting_ticket_back(session, desk):
    run(session, desk, "#hold Pièce commandée")
    assert desk[0].status == "waiting"
    run(session, desk, "La pièce est arrivée.")
    assert desk[0].status == "assigned"


def test_commands_need_the_trusted_server_when_it_is_configured(session, desk):
    forged = ("evil.example; dkim=pass header.d=lycee.example",)
    result = run(session, desk, "#solve Réparé.", trusted=TRUSTED, auth=forged)
    assert desk[0].status == "new"
    assert f"no Authentication-Results from the trusted server {TRUSTED}" in \
        result.answers[0].context["errors"][0]["reason"]
    failing = (f"{TRUSTED}; dkim=fail header.d=lycee.example; dmarc=fail",)
    result = run(session, desk, "#solve Réparé.", trusted=TRUSTED, auth=failing)
    assert desk[0].status == "new" and "dkim=fail" in result.answers[0].context["errors"][0]["reason"]
    passing = (f"{TRUSTED}; spf=pass; dkim=pass (good signature) header.d=lycee.example",)
    run(session, desk, "#solve Réparé.", trusted=TRUSTED, auth=passing)
    assert desk[0].status == "solved"


def test_without_commands_a_technician_mail_is_a_plain_followup_even_with_a_trusted_server(session, desk):
    run(session, desk, "Je passe cet après-midi.", trusted=TRUSTED)
    assert [f.content for f in desk[0].followups] == ["Je passe cet après-midi."]


def test_close_with_text_closes_and_keeps_the_text(session, desk):
    result = run(session, desk, "#close Doublon du ticket #12")
    assert desk[0].status == "closed"
    assert desk[0].followups[-1].content == "Doublon du ticket #12"
    assert "closed" in [e.kind for e in result.events]



def test_a_command_refused_by_its_handler_undoes_those_before_it(session, desk):
    """All or nothing once the lines read well: `#asset` names no machine, so the task, the
    observer (not even created), the urgency, taking the ticket and the hold are all undone."""
    from sqlalchemy import func, select

    ticket = desk[0]
    users = session.scalar(select(func.count()).select_from(User))
    result = run(session, desk, "#task 1h Diagnostic\n#observer cpe@lycee.example\n#urgency 5\n#hold Pièce"
                                "\n#asset PC-INCONNU\nJ'ai regardé.")
    session.expire_all()
    assert (ticket.status, ticket.urgency, ticket.assignees, ticket.observers, ticket.tasks) == ("new", 3, [], [], [])
    assert [(f.unprocessed, f.private) for f in ticket.followups] == [(True, True)]  # the mail, kept privately
    assert ticket.history == [] and result.events == []
    assert session.scalar(select(func.count()).select_from(User)) == users
    [answer] = result.answers
    assert [e["line"] for e in answer.context["errors"]] == ["#asset PC-INCONNU"]
