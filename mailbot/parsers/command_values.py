"""The frozen values that the command parser gives: one Command type per technician command
of SPEC §4, the per-line CommandError, and the whole CommandParse of a mail."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar

from mailbot.parsers.reasons import Reason, plain


@dataclass(frozen=True, kw_only=True)
class Command:
    """One command read from a mail; `line_number` is 1-based in the mail's new text."""

    command: ClassVar[str]  # the CommandSpec name
    line_number: int = 0
    line: str = ""


@dataclass(frozen=True)
class TaskCommand(Command):
    command: ClassVar[str] = "task"
    state: str  # `todo`, `done` or `information`, already resolved (SPEC §4)
    duration_minutes: int
    begin: datetime | None = None  # aware UTC
    end: datetime | None = None
    description: str = ""  # inline only; see the module docstring


@dataclass(frozen=True)
class PrivateCommand(Command):
    command: ClassVar[str] = "private"


@dataclass(frozen=True)
class HoldCommand(Command):
    command: ClassVar[str] = "hold"
    reason: str = ""


@dataclass(frozen=True)
class ResumeCommand(Command):
    command: ClassVar[str] = "resume"


@dataclass(frozen=True)
class AssignCommand(Command):
    command: ClassVar[str] = "assign"
    email: str | None = None  # None: the sender of the mail


@dataclass(frozen=True)
class ObserverCommand(Command):
    command: ClassVar[str] = "observer"
    email: str


@dataclass(frozen=True)
class RequesterCommand(Command):
    command: ClassVar[str] = "requester"
    email: str


@dataclass(frozen=True)
class SolveCommand(Command):
    command: ClassVar[str] = "solve"
    text: str = ""  # inline only; see the module docstring


@dataclass(frozen=True)
class KbCommand(Command):
    command: ClassVar[str] = "kb"


@dataclass(frozen=True)
class CloseCommand(Command):
    command: ClassVar[str] = "close"
    text: str = ""


@dataclass(frozen=True)
class TypeCommand(Command):
    command: ClassVar[str] = "type"
    value: str  # `incident` or `request`


@dataclass(frozen=True)
class UrgencyCommand(Command):
    command: ClassVar[str] = "urgency"
    value: int  # 1 … 5


@dataclass(frozen=True)
class AssetCommand(Command):
    command: ClassVar[str] = "asset"
    name: str  # a machine's name or serial number, as typed (`#asset -NAME`: without the `-`)
    remove: bool = False


@dataclass(frozen=True)
class HelpCommand(Command):
    command: ClassVar[str] = "help"


@dataclass(frozen=True)
class DocCommand(Command):
    command: ClassVar[str] = "doc"
    number: int  # the document's number, as `mailbot documents list` and the mails show it


@dataclass(frozen=True)
class DocumentsCommand(Command):
    command: ClassVar[str] = "documents"


@dataclass(frozen=True)
class ShowCommand(Command):
    command: ClassVar[str] = "show"


@dataclass(frozen=True)
class TicketsCommand(Command):
    command: ClassVar[str] = "tickets"


@dataclass(frozen=True)
class MyRequestsCommand(Command):
    command: ClassVar[str] = "mesdemandes"


@dataclass(frozen=True)
class CommandError:
    """A refused command line; `why` is said in the technician's language (`reasons.py`)."""

    line_number: int
    line: str
    why: Reason

    def __post_init__(self) -> None:
        if isinstance(self.why, str):  # `CommandError(n, line, "English text")`: shown as is
            object.__setattr__(self, "why", plain(self.why))

    @property
    def reason(self) -> str:
        """The reason in English (logs, tests)."""
        return self.why.text("en")


@dataclass(frozen=True)
class CommandParse:
    commands: tuple[Command, ...]
    errors: tuple[CommandError, ...]
    remaining_text: str

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def uses_remaining_text(self) -> bool:
        """Whether the remaining text is a task description or the solution (so no followup)."""
        return any(isinstance(c, TaskCommand) and not c.description
                   or isinstance(c, SolveCommand) and not c.text for c in self.commands)
