"""The notification table of SPEC §6: each event × each kind of recipient, public and private."""

import pytest

from mailbot.outbound.notifications import (
    FOLDED_ANSWERS,
    NOTIFY,
    PRECEDENCE,
    Person,
    leading_kind,
    leading_role,
    recipients,
    technicians_for,
)

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
    "solution_approved": (True, False, True),
    "solution_refused": (True, False, True),
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
    assert OBS.email not in told(kind, actor_id=OBS.id)


@pytest.mark.parametrize("kind", ["followup_added", "task_added", "solved"])
def test_a_requester_is_not_told_of_their_own_followup_task_or_solution(kind):
    assert REQ.email not in told(kind, actor_id=REQ.id)


@pytest.mark.parametrize("kind", ["solution_approved", "solution_refused", "closed"])
def test_the_requester_is_told_that_their_answer_to_a_solution_was_recorded(kind):
    assert told(kind, actor_id=REQ.id)[REQ.email] == "requester"


def test_the_requester_gets_the_acknowledgement_of_their_own_ticket():
    got = told("ticket_created", actor_id=REQ.id)
    assert got[REQ.email] == "requester"


def test_a_technician_who_is_also_requester_is_told_once_as_requester():
    people = recipients("followup_added", private=False, actor_id=OBS.id, requester=TECH,
                        observers=[], technicians=[TECH])
    assert [(p.email, role) for p, role in people] == [(TECH.email, "requester")]


def test_every_event_and_folded_answer_has_its_place_in_the_precedence():
    assert sorted(PRECEDENCE) == sorted(set(NOTIFY) | FOLDED_ANSWERS)


@pytest.mark.parametrize(("kinds", "leading"), [
    (["followup_added", "task_added"], "task_added"),
    (["task_added", "solved"], "solved"),
    (["followup_added", "status_waiting"], "status_waiting"),
    (["solution_approved", "closed"], "closed"),
    (["solved", "closed"], "closed"),
    (["followup_added"], "followup_added"),
    (["ticket_created", "attachment_refused"], "ticket_created"),
])
def test_a_notification_of_several_events_leads_with_what_ends_or_asks_something(kinds, leading):
    assert leading_kind(kinds) == leading


def test_a_notification_is_read_as_requester_or_observer_before_technician():
    assert leading_role(["technician", "requester"]) == "requester"
    assert leading_role(["technician", "technician"]) == "technician"
    assert leading_role(["observer"]) == "observer"


def test_technicians_are_the_assignees_else_the_group_else_everyone():
    assert technicians_for([TECH], [TECH2], [TECH, TECH2]) == [TECH]
    assert technicians_for([], [TECH2], [TECH, TECH2]) == [TECH2]
    assert technicians_for([], [], [TECH, TECH2]) == [TECH, TECH2]
