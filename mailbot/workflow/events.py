"""What the workflow tells the outside world: events on tickets and answers to senders.
The service returns them; the outbox turns them into notification rows in the same
transaction."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Event:
    """Something that happened on a ticket (SPEC §6 table rows).

    kind: ticket_created, followup_added, task_added, status_waiting, solved,
    solution_approved, solution_refused, closed.
    actor_id: the user whose action it was (never told about it, except for the requester's
    acknowledgements: of a new ticket, of an approval or refusal and the closing it caused).
    private: never sent to requester or observers. The events of one mail are told together:
    one notification per recipient.
    context: what the templates show (texts, names), a JSON-able snapshot.
    """

    kind: str
    ticket_id: int
    actor_id: int | None
    private: bool = False
    context: dict[str, Any] = field(default_factory=dict)
    silent_for: tuple[int, ...] = ()  # users never told of it (a machine requester)


@dataclass(frozen=True)
class Answer:
    """An automatic answer to the sender of an incoming mail (rate-limited, SPEC §6).

    kind: commands_applied, command_errors, help, refused_sender, not_participant, reason_please,
    solved_reply, attachment_refused.
    """

    kind: str
    to: str
    ticket_id: int | None
    language: str | None = None
    context: dict[str, Any] = field(default_factory=dict)
