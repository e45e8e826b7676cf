"""Who is told what (SPEC §6): the event → recipients table, as pure code over plain values."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Audience:
    requester: bool
    observers: bool
    technicians: bool


# One row per event of SPEC §6. Technicians are the assignees; if none, the group's
# technicians; if none, every technician (see `technicians_for`).
NOTIFY: dict[str, Audience] = {
    "ticket_created": Audience(requester=True, observers=True, technicians=True),
    "followup_added": Audience(requester=True, observers=True, technicians=True),
    "task_added": Audience(requester=True, observers=True, technicians=True),
    "status_waiting": Audience(requester=True, observers=True, technicians=False),
    "solved": Audience(requester=True, observers=True, technicians=True),
    "solution_approved": Audience(requester=False, observers=False, technicians=True),
    "solution_refused": Audience(requester=False, observers=False, technicians=True),
    "closed": Audience(requester=True, observers=True, technicians=True),
}

# Events whose author is told anyway: the requester's acknowledgement of their own ticket.
TOLD_OF_OWN_ACTION = {"ticket_created": "requester"}


@dataclass(frozen=True)
class Person:
    id: int
    email: str
    language: str | None = None


def technicians_for(assignees: list[Person], group_technicians: list[Person],
                    all_technicians: list[Person]) -> list[Person]:
    return assignees or group_technicians or all_technicians


def recipients(kind: str, *, private: bool, actor_id: int | None, requester: Person,
               observers: list[Person], technicians: list[Person]) -> list[tuple[Person, str]]:
    """The people to tell of an event, each once, with the role they are told as.

    Private events reach technicians only; nobody is told of their own action except
    as listed in TOLD_OF_OWN_ACTION.
    """
    audience = NOTIFY[kind]
    candidates: list[tuple[Person, str]] = []
    if audience.technicians:
        candidates += [(person, "technician") for person in technicians]
    if not private:
        if audience.requester:
            candidates.append((requester, "requester"))
        if audience.observers:
            candidates += [(person, "observer") for person in observers]
    chosen: dict[str, tuple[Person, str]] = {}
    for person, role in candidates:
        if person.id == actor_id and TOLD_OF_OWN_ACTION.get(kind) != role:
            continue
        # one mail per address; the requester's and observers' view wins over the technician's
        if person.email not in chosen or role != "technician":
            chosen[person.email] = (person, role)
    return list(chosen.values())
