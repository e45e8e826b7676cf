"""Which machines a new mail names (SPEC §11): whole names, serial numbers and IP addresses,
never a part of a longer word or address, never a machine gone from the inventory."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from mailbot.parsers.inventory import MachineRecord
from mailbot.workflow.inventory_import import import_records
from mailbot.workflow.machine_proposals import proposals, to_link
from mailbot.workflow.models import Base

NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


@pytest.fixture
def session():
    engine = create_engine("sqlite://")
    Base.metadata.create_all(engine)
    with Session(engine) as s:
        import_records(s, [
            MachineRecord("203-02", serial="7H2KQ93", ip_addresses=("10.2.3.42",), last_user="loic.medori"),
            MachineRecord("203-12", ip_addresses=("10.2.3.4",)),
            MachineRecord("CDI", last_user="LYCEE\\anne.martin"),
            MachineRecord("CDI-05", last_user="LYCEE\\anne.martin"),
            MachineRecord("OLD-PC", serial="GONE42"),
        ], now=NOW, tz=ZoneInfo("Europe/Paris"))
        import_records(s, [MachineRecord("203-02", serial="7H2KQ93", ip_addresses=("10.2.3.42",),
                                         last_user="loic.medori"),
                           MachineRecord("203-12", ip_addresses=("10.2.3.4",)),
                           MachineRecord("CDI", last_user="LYCEE\\anne.martin"),
                           MachineRecord("CDI-05", last_user="LYCEE\\anne.martin")],
                       now=NOW, tz=ZoneInfo("Europe/Paris"), full=True)  # OLD-PC is now missing
        s.flush()
        yield s


def named(session, text, requester="nobody@lycee.example"):  # type: ignore[no-untyped-def]
    return [(p.machine.name, p.why) for p in proposals(session, text, requester)]


@pytest.mark.parametrize(("text", "expected"), [
    ("Le poste 203-02 est lent.", [("203-02", "name")]),
    ("le poste 203-02, salle 203", [("203-02", "name")]),
    ("Série : 7h2kq93", [("203-02", "serial")]),
    ("mon IP est 10.2.3.42.", [("203-02", "ip")]),
    ("poste 203-021 ou 203-0", []),  # not a part of another name
    ("IP 10.2.3.40", []),  # 10.2.3.4 is not a part of it
    ("le CDI est fermé", []),  # names shorter than four letters are ordinary words
    ("l'ancien OLD-PC, série GONE42", []),  # missing from the last full import
])
def test_what_a_mail_names(session, text, expected):
    assert named(session, text) == expected


def test_the_requesters_only_machine_is_proposed_after_the_named_ones_and_never_linked_alone(session):
    found = proposals(session, "Imprimante 10.2.3.4 en panne", "Loic.Medori@lycee.example")
    assert [(p.machine.name, p.why) for p in found] == [("203-12", "ip"), ("203-02", "last_user")]
    assert to_link(found).name == "203-12"  # type: ignore[union-attr]
    mine = proposals(session, "Plus de son", "loic.medori@lycee.example")
    assert [(p.machine.name, p.why) for p in mine] == [("203-02", "last_user")]
    assert to_link(mine) is None


def test_a_requester_last_seen_on_two_machines_gets_no_proposal(session):
    assert named(session, "Plus de son", "anne.martin@lycee.example") == []


def test_two_named_machines_are_ambiguous(session):
    assert to_link(proposals(session, "203-02 et 203-12", "x@lycee.example")) is None
