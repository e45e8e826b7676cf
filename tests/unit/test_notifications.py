"""The notification table of SPEC §6: each event × each kind of recipient, public and private."""

import pytest

from mailbot.outbound.notifications import NOTIFY, Person, recipients, technicians_for

REQ = Person(1, "req@lycee.example")
OBS = Person(2, "obs@lycee.example")
TECH = Person(3, "tech@lycee.example")
TECH2 = Person(4, "tech2@lycee.example")

# event -> (requester, observers, technicians) told of a public event by someone else (SPEC §6)
TABLE = {
    "ticket_created": (True, True, True),
    "followup_added": (True, True, True),
    "task_added": (True, True, True),
    "status_waiting": (True, True, False),
    "solved": (True, True, True),
    "solution_approved": (False, False, True),
    "solution_refused": (False, False, True),
    "closed": (True, True, True),
}


def told(kind, *, private=False, actor_id=None, technicians=(TECH,)):
    people = recipients(kind, private=private, actor_id=actor_id, requester=REQ, observers=[OBS],
                        technicians=list(technicians))
    return {person.email: role for person, role in people}


def test_the_table_covers_every_event_of_the_spec():
    assert set(NOTIFY) == set(TABLE)


@pytest.mark.parametrize("kind", TABLE)
def test_public_event_by_an_outsider_reaches_whom_the_table_says(kind):
    req, obs, tech = TABLE[kind]
    got = told(kind, actor_id=99)
    assert (REQ.email in got, OBS.email in got, TECH.email in got) == (req, obs, tech)


@pytest.mark.parametrize("kind", TABLE)
def test_private_event_never_leaves_the_technicians(kind):
    got = told(kind, private=True, actor_id=99)
    assert REQ.email not in got and OBS.email not in got
    assert (TECH.email in got) == TABLE[kind][2]


@pytest.mark.parametrize("kind", ["followup_added", "task_added", "solved", "closed"])
def test_nobody_is_told_of_their_own_action(kind):
    assert TECH.email not in told(kind, actor_id=TECH.id)
    assert REQ.email not in told(kind, actor_id=REQ.id)


def test_the_requester_gets_the_acknowledgement_of_their_own_ticket():
    got = told("ticket_created", actor_id=REQ.id)
    assert got[REQ.email] == "requester"


def test_a_technician_who_is_also_requester_is_told_once_as_requester():
    people = recipients("followup_added", private=False, actor_id=OBS.id, requester=TECH,
                        observers=[], technicians=[TECH])
    assert [(p.email, role) for p, role in people] == [(TECH.email, "requester")]


def test_technicians_are_the_assignees_else_the_group_else_everyone():
    assert technicians_for([TECH], [TECH2], [TECH, TECH2]) == [TECH]
    assert technicians_for([], [TECH2], [TECH, TECH2]) == [TECH2]
    assert technicians_for([], [], [TECH, TECH2]) == [TECH, TECH2]
