"""`#asset` (SPEC §4, §11): a technician links known machines to a ticket and unlinks them; an
unknown name is refused with the nearest known ones, and the whole mail with it."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from mailbot.parsers.command_values import AssetCommand
from mailbot.parsers.commands import parse_commands
from mailbot.parsers.inventory import MachineRecord, MachineType
from mailbot.parsers.types import Address, ParsedMessage
from mailbot.workflow.attachments import AttachmentLimits
from mailbot.workflow.documents import DocumentStore
from mailbot.workflow.intake import Intake, IntakeConfig
from mailbot.workflow.inventory_import import import_records
from mailbot.workflow.machines import item_label
from mailbot.workflow.models import Base, Ticket, TicketItem, User
from mailbot.workflow.people import SenderPolicy
from mailbot.workflow.replies import Replies
from mailbot.workflow.technician import TechnicianConfig, TechnicianReplies

NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
PARIS = ZoneInfo("Europe/Paris")


@pytest.mark.parametrize(("line", "command"), [
    ("#asset 203-02", AssetCommand("203-02")),
    ("#element 203-02", AssetCommand("203-02")),
    ("#Élément : 203-02", AssetCommand("203-02")),
    ("#matériel 7H2KQ93", AssetCommand("7H2KQ93")),
    ("#asset -203-02", AssetCommand("203-02", remove=True)),
    ("#asset - 203-02", AssetCommand("203-02", remove=True)),
])
def test_asset_lines_read_as_links_and_unlinks(line, command):
    parse = parse_commands(line, tz=PARIS, now=NOW)
    assert [(c.name, c.remove) for c in parse.commands] == [(command.name, command.remove)]


def test_a_lone_dash_is_an_error():
    parse = parse_commands("#asset -", tz=PARIS, now=NOW)
    assert [e.reason for e in parse.errors] == ["#asset - needs the name of the machine to unlink, e.g. #asset -203-02"]


@pytest.fixture
def desk(tmp_path):
    engine = create_engine("sqlite://")
    Base.metadata.create_all(engine)
    with Session(engine) as session:
        requester = User(email="loic@lycee.example", name="Loïc", created_at=NOW)
        tech = User(email="tech@lycee.example", name="Camille", is_technician=True, created_at=NOW)
        ticket = Ticket(title="Ordinateur très lent", content="…", requester=requester, created_at=NOW,
                        updated_at=NOW, status="assigned", type="incident", urgency=3)
        ticket.assignees = [tech]
        session.add_all([requester, tech, ticket])
        import_records(session, [
            MachineRecord("203-02", serial="7H2KQ93"), MachineRecord("203-03"), MachineRecord("203-12"),
            MachineRecord("IMPRIMANTE-203", MachineType.PRINTER), MachineRecord("CDI-05")], now=NOW, tz=PARIS)
        session.flush()
        intake = Intake(IntakeConfig(SenderPolicy("create", (), "helpdesk@lycee.example"), "incident", "fr"),
                        DocumentStore(tmp_path), AttachmentLimits(1 << 20))
        handler = TechnicianReplies(TechnicianConfig(PARIS, 24), Replies(intake))

        def send(text: str):  # type: ignore[no-untyped-def]
            parsed = ParsedMessage(sha256="0" * 64, message_id="", in_reply_to=(), references=(),
                                   sender=Address("", tech.email), reply_to=None, to=(), cc=(),
                                   subject="Re: [Ticket #1] Ordinateur très lent", title="Ordinateur très lent",
                                   date=None, text=text, new_text=text)
            result = handler(session, parsed, tech, ticket, NOW)
            session.flush()
            return result

        yield ticket, send


def labels(ticket: Ticket, language: str = "fr") -> list[str]:
    return [item_label(item, language) for item in ticket.items]


def test_machines_are_linked_by_name_or_serial_several_allowed_each_once(desk):
    ticket, send = desk
    send("#asset 203-02\n#asset imprimante-203")
    send("#asset 7H2KQ93")  # the serial number of 203-02: already linked
    assert labels(ticket) == ["Ordinateur - 203-02", "Imprimante - IMPRIMANTE-203"]
    assert labels(ticket, "en") == ["Computer - 203-02", "Printer - IMPRIMANTE-203"]


def test_an_item_label_as_the_views_show_it_names_the_machine_too(desk):
    ticket, send = desk
    send("#asset Ordinateur - 203-02")
    assert labels(ticket) == ["Ordinateur - 203-02"]


def test_an_unknown_name_is_refused_with_the_nearest_names_and_nothing_is_applied(desk):
    ticket, send = desk
    result = send("#asset 203-2\n#urgency 5")
    assert ticket.items == [] and ticket.urgency == 3
    [answer] = result.answers
    assert answer.kind == "command_errors"
    reason = answer.context["errors"][0]["reason"]
    assert reason.startswith("unknown machine '203-2' (nearest: ") and reason.endswith(")")
    nearest = reason.removeprefix("unknown machine '203-2' (nearest: ").removesuffix(")").split(", ")
    assert sorted(nearest) == ["203-02", "203-03", "203-12"]  # not CDI-05 nor the printer


def test_unlinking_removes_one_item_and_unlinking_what_is_not_there_is_refused(desk):
    ticket, send = desk
    send("#asset 203-02\n#asset CDI-05")
    send("#asset -203-02")
    assert labels(ticket) == ["Ordinateur - CDI-05"]
    result = send("#asset -203-03")
    assert result.answers[0].context["errors"][0]["reason"] == "'203-03' is not linked to this ticket"
    assert labels(ticket) == ["Ordinateur - CDI-05"]


def test_a_free_text_item_from_before_the_inventory_stays_readable_and_can_be_unlinked(desk):
    ticket, send = desk
    ticket.items.append(TicketItem(name="Vidéoprojecteur salle 105"))
    send("#asset 203-02")
    assert labels(ticket) == ["Vidéoprojecteur salle 105", "Ordinateur - 203-02"]
    send("#asset -vidéoprojecteur salle 105")
    assert labels(ticket) == ["Ordinateur - 203-02"]
