"""Who is told what (SPEC §6): the event → recipients table, and how the events of one incoming
mail become one notification per recipient, as pure code over plain values."""

from __future__ import annotations

from collections.abc import Iterable
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
    "solution_approved": Audience(requester=True, observers=False, technicians=True),
    "solution_refused": Audience(requester=True, observers=False, technicians=True),
    "closed": Audience(requester=True, observers=True, technicians=True),
}

# Events whose author is told anyway, as this role: the requester's acknowledgement of their own
# ticket, and of their answer to a solution (the refusal recorded, or the approval and the
# closing it caused). Being told of one's own action answers one's mail: the loop brake counts it.
TOLD_OF_OWN_ACTION = {"ticket_created": "requester", "solution_approved": "requester",
                      "solution_refused": "requester", "closed": "requester"}

# When one mail causes several events, each recipient gets one notification that tells all of
# those they may know of, in the order they happened; its kind (template frame, subject words)
# is the first of these that it tells: what ends or asks for something comes first.
PRECEDENCE: tuple[str, ...] = ("closed", "solved", "solution_refused", "solution_approved", "ticket_created",
                               "status_waiting", "task_added", "followup_added", "attachment_refused")

# Answers that are told inside the notification their recipient gets of the same mail on the
# same ticket, as its last part, rather than as a mail of their own: the attachments refused
# on a new ticket are listed in its acknowledgement.
FOLDED_ANSWERS = frozenset({"attachment_refused"})

# Answers that are all their recipient gets of the mail on that ticket: the technician who sent
# commands reads what they did in the confirmation (or the errors, or the help), never in a
# notification, even as the requester of their own ticket.
CONFIRMATIONS = frozenset({"commands_applied", "command_errors", "help"})


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


def leading_kind(kinds: Iterable[str]) -> str:
    """The kind of a notification telling these events: the first of them in PRECEDENCE."""
    return min(kinds, key=PRECEDENCE.index)


def leading_role(roles: Iterable[str]) -> str:
    """The role a person reads a notification as: the requester's or observer's view wins over
    the technician's, as for a single event."""
    roles = list(roles)
    return next((role for role in roles if role != "technician"), roles[0])
