"""The technician's two tables counted exactly, on SQLite and PostgreSQL: "Vos tickets en cours"
and "Tickets à traiter" hold the tickets their definitions say (SPEC §9, workflow/desk.py), each
once, however a ticket involves the technician, whatever index answers the count."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from mailbot.workflow.db import Database
from mailbot.workflow.desk import technician_desk
from mailbot.workflow.models import Group, Ticket, User
from mailbot.workflow.views import desk_tables

NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
OPEN = ("new", "assigned", "planned", "waiting")


@pytest.fixture(params=["sqlite", "postgresql"])
def db(request, tmp_path):
    url = f"sqlite:///{tmp_path / 'desk.db'}" if request.param == "sqlite" else request.getfixturevalue("postgres_url")
    database = Database(url)
    database.upgrade()
    yield database
    database.dispose()


def _people(session):
    group, other_group = Group(name="Réseau"), Group(name="Vie scolaire")
    me = User(email="camille@lycee.example", name="Camille", is_technician=True, created_at=NOW)
    sami = User(email="sami@lycee.example", name="Sami", is_technician=True, created_at=NOW)
    ines = User(email="ines@lycee.example", name="Inès", created_at=NOW)
    session.add_all([group, other_group, me, sami, ines])
    session.flush()
    return me, sami, ines, group, other_group


def _ticket(session, number, status, requester, *, assignees=(), observers=(), group=None):
    ticket = Ticket(title=f"Demande {number}", status=status, requester=requester, group=group,
                    created_at=NOW, updated_at=NOW - timedelta(minutes=number),
                    assignees=list(assignees), observers=list(observers))
    session.add(ticket)
    session.flush()
    return ticket.id


def _desk(session, me):
    desk = technician_desk(session, me, NOW)
    web = {table.key: table for table in desk_tables(session, "personal", me)}
    # the web page and the `#tickets` answer agree, count and lines
    for key in ("in_progress", "to_handle"):
        assert web[key].total == desk[key]["count"]
        assert [row.id for row in web[key].rows] == [row["id"] for row in desk[key]["tickets"]]
    return desk


def test_each_way_a_ticket_involves_the_technician_counts_it_once(db):
    with db.transaction() as session:
        me, sami, ines, group, _ = _people(session)
        waiting_for_someone = _ticket(session, 1, "new", ines)
        my_own_request = _ticket(session, 2, "new", me)
        observed_new = _ticket(session, 3, "new", ines, observers=[me])
        _ticket(session, 4, "new", ines, assignees=[sami])  # a refused solution: new again, still Sami's
        refused_mine = _ticket(session, 5, "new", ines, assignees=[me])
        every_way = _ticket(session, 6, "assigned", me, assignees=[me, sami], observers=[me])
        observed = _ticket(session, 7, "planned", ines, assignees=[sami], observers=[me])
        asked = _ticket(session, 8, "waiting", me, assignees=[sami])
        _ticket(session, 9, "solved", me, assignees=[me], observers=[me])
        _ticket(session, 10, "closed", ines, assignees=[me])
        _ticket(session, 11, "assigned", ines, assignees=[sami])
        desk = _desk(session, me)
        assert desk["in_progress"]["count"] == 6
        assert [row["id"] for row in desk["in_progress"]["tickets"]] == [
            my_own_request, observed_new, refused_mine, every_way, observed, asked]
        assert desk["to_handle"]["count"] == 1
        assert [row["id"] for row in desk["to_handle"]["tickets"]] == [waiting_for_someone]

        me.group_id = group.id  # with a group: only the group's new tickets are to handle
        session.flush()
        assert _desk(session, me)["to_handle"]["count"] == 0
        ours = _ticket(session, 12, "new", ines, group=group)
        assert [row["id"] for row in _desk(session, me)["to_handle"]["tickets"]] == [ours]


def test_the_counts_are_the_definitions_on_many_random_tickets(db):
    """Tables counted on a few hundred tickets drawn at random, against their definitions
    computed here ticket by ticket."""
    rng = random.Random(11)
    with db.transaction() as session:
        me, sami, ines, group, other_group = _people(session)
        people = [me, sami, ines]
        tickets = []
        for number in range(1, 301):
            status = rng.choice(("new", "new", "assigned", "planned", "waiting", "solved", "closed"))
            assignees = [p for p in (me, sami) if rng.random() < 0.3]
            observers = [p for p in people if rng.random() < 0.15]
            tickets.append((_ticket(session, number, status, rng.choice(people), assignees=assignees,
                                    observers=observers, group=rng.choice((None, group, other_group))),
                            status))
        for my_group in (None, group):
            me.group_id = my_group.id if my_group else None
            session.flush()
            session.expire_all()
            mine, to_handle = set(), set()
            for ticket_id, status in tickets:
                ticket = session.get(Ticket, ticket_id)
                involved = me in (ticket.requester, *ticket.assignees, *ticket.observers)
                if status in OPEN and involved:
                    mine.add(ticket_id)
                if (status == "new" and not ticket.assignees and not involved
                        and (my_group is None or ticket.group_id == my_group.id)):
                    to_handle.add(ticket_id)
            me = session.get(User, me.id)
            desk = _desk(session, me)
            assert len(mine) > 50 and len(to_handle) > 5  # both tables non-trivial, the first past the limit
            assert desk["in_progress"]["count"] == len(mine)
            assert desk["to_handle"]["count"] == len(to_handle)
            assert {row["id"] for row in desk["to_handle"]["tickets"]} == to_handle
            assert {row["id"] for row in desk["in_progress"]["tickets"]} <= mine
