"""The status table of SPEC §2: statuses, their GLPI codes and labels, and every allowed
move with the action that causes it. Everything not in TRANSITIONS is forbidden."""

from __future__ import annotations

from enum import StrEnum

from mailbot.errors import TransitionError


class Status(StrEnum):
    NEW = "new"
    ASSIGNED = "assigned"
    PLANNED = "planned"
    WAITING = "waiting"
    SOLVED = "solved"
    CLOSED = "closed"


GLPI_CODE = {Status.NEW: 1, Status.ASSIGNED: 2, Status.PLANNED: 3, Status.WAITING: 4,
             Status.SOLVED: 5, Status.CLOSED: 6}

LABELS: dict[str, dict[str, str]] = {  # keyed by the status value (a Status is that str)
    "fr": {Status.NEW: "nouveau", Status.ASSIGNED: "en cours (attribué)",
           Status.PLANNED: "en cours (planifié)", Status.WAITING: "en attente",
           Status.SOLVED: "résolu", Status.CLOSED: "clos"},
    "en": {Status.NEW: "new", Status.ASSIGNED: "in progress (assigned)",
           Status.PLANNED: "in progress (planned)", Status.WAITING: "waiting",
           Status.SOLVED: "solved", Status.CLOSED: "closed"},
}

OPEN = frozenset({Status.NEW, Status.ASSIGNED, Status.PLANNED, Status.WAITING})

S = Status
# action -> {from status: to status}
TRANSITIONS: dict[str, dict[Status, Status]] = {
    "assign": {S.NEW: S.ASSIGNED},
    "plan": {S.NEW: S.PLANNED, S.ASSIGNED: S.PLANNED},
    "hold": {S.NEW: S.WAITING, S.ASSIGNED: S.WAITING, S.PLANNED: S.WAITING},
    "resume_assigned": {S.WAITING: S.ASSIGNED},
    "resume_planned": {S.WAITING: S.PLANNED},
    "solve": {s: S.SOLVED for s in OPEN} | {S.SOLVED: S.SOLVED},
    "approve": {S.SOLVED: S.CLOSED},
    "refuse": {S.SOLVED: S.NEW},
    "autoclose": {S.SOLVED: S.CLOSED},
    "close": {s: S.CLOSED for s in Status if s is not S.CLOSED},
}


def can(action: str, current: str) -> bool:
    return Status(current) in TRANSITIONS[action]


def next_status(action: str, current: str) -> Status:
    """The status `action` leads to from `current`; TransitionError when forbidden."""
    moves = TRANSITIONS[action]
    try:
        return moves[Status(current)]
    except KeyError:
        raise TransitionError(current, action) from None


def label(status: str, language: str) -> str:
    return LABELS.get(language, LABELS["fr"])[Status(status)]
