"""The technician command grammar of SPEC §4: the command table, `#help`, and the parser that
turns the command lines of a mail into frozen Command values or per-line errors.

A command line is a line whose first non-space character is `#` directly followed by a
letter (`#task`, `#Tâche`); `# title`, `#59` and `##- marker -##` are plain text. A `#word`
that is not a command is an error, since technicians type them on purpose. Names, aliases
and arguments are read case- and accent-insensitively; a `:` after the name is allowed.

Remaining text: the mail's new text without its command lines and, when there is at least
one command line, without the sign-off at its end (`signoff.strip_signoff`, given the
sender's name parts as `names`), stripped, is `CommandParse.remaining_text`. It is the
description of each `#task` written without an inline description, and the solution of a
`#solve` without inline text; otherwise the handler keeps it as a followup.
`TaskCommand.description` and `SolveCommand.text` hold only what was written on the command
line ("" when nothing), and `CommandParse.uses_remaining_text` says whether the remaining text was consumed that way.

Checked here (no database needed): unknown command, bad duration or date, urgency, type,
email syntax, missing or extra arguments, more than 20 command lines, a command that may be
given once given twice, `#kb` without `#solve`, `#kb edit N` without a title and text, and an
empty solution. Resolving emails to
users and checking status transitions is the handler's job. Errors carry a `reasons.Reason`
(a code and its parameters), said in the technician's language when the error mail is written;
a reader that raises a plain `ValueError("…")` has its text shown as is (see `reasons.py`).
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from mailbot.parsers.command_values import (
    AssetCommand,
    AssignCommand,
    CloseCommand,
    Command,
    CommandError,
    CommandParse,
    DocCommand,
    DocumentsCommand,
    HelpCommand,
    HoldCommand,
    KbCommand,
    MyRequestsCommand,
    ObserverCommand,
    PrivateCommand,
    RequesterCommand,
    ResumeCommand,
    SearchCommand,
    ShowCommand,
    SolveCommand,
    TaskCommand,
    TicketsCommand,
    TypeCommand,
    UrgencyCommand,
)
from mailbot.parsers.durations import parse_duration, parse_planning
from mailbot.parsers.reasons import Reason, ReasonError, because, reason_of
from mailbot.parsers.signoff import strip_signoff
from mailbot.parsers.typography import french_spaces

MAX_COMMAND_LINES = 20


@dataclass(frozen=True)
class CommandSpec:
    name: str
    aliases: tuple[str, ...]
    args: str
    help_fr: str
    help_en: str
    args_fr: str | None = None  # `args` in French words when they differ
    once: bool = False  # giving it twice in one mail is an error
    # False: also answered in a new mail without a ticket (docs/BEHAVIOUR.md, "Commands without a ticket")
    needs_ticket: bool = True
    # only reads: answers its sender and changes nothing (so it never takes an unassigned ticket)
    reads: bool = False
    # anyone known to the helpdesk may write it in a new mail, not only technicians
    everyone: bool = False


COMMANDS: tuple[CommandSpec, ...] = (
    CommandSpec("task", ("tâche",), "[todo|done|info] DURATION [@ DATE TIME] [description]",
                "ajoute une tâche ; durée 0h15, 1h30, 45min, 1:30, 1,5h ; planning @ 01/12/2026 14h00 ;"
                " sans description, le texte du mail sert de description",
                "adds a task; duration 0h15, 1h30, 45min, 1:30, 1.5h; planning @ 2026-12-01 14:00;"
                " with no description, the text of the mail is the description",
                args_fr="[todo|done|info] DURÉE [@ DATE HEURE] [description]"),
    CommandSpec("private", ("privé",), "",
                "le suivi ou les tâches de ce mail sont privés (jamais envoyés à la personne qui a fait la demande)",
                "the followup or tasks of this mail are private (never sent to the requester)"),
    CommandSpec("hold", ("attente", "attendre"), "[reason]",
                "met le ticket en attente ; la raison devient un suivi",
                "puts the ticket on hold (waiting); the reason becomes a followup",
                args_fr="[raison]", once=True),
    CommandSpec("resume", ("reprendre",), "", "sort le ticket de l'attente",
                "takes the ticket out of waiting"),
    CommandSpec("assign", ("assigner", "attribuer"), "[EMAIL|me]",
                "attribue le ticket à une personne de l'équipe technique (par défaut : vous)",
                "assigns a technician (default: you)", args_fr="[EMAIL|moi]"),
    CommandSpec("take", ("prendre",), "", "vous attribue le ticket", "assigns the ticket to you"),
    CommandSpec("observer", ("observateur",), "EMAIL", "ajoute un observateur", "adds an observer"),
    CommandSpec("requester", ("demandeur",), "EMAIL",
                "dans un nouveau mail : la demande est au nom de cette personne (un appel reçu),"
                " qui en reçoit l'accusé de réception",
                "in a new mail: the request is in this person's name (a call you took); they get its acknowledgement",
                once=True),
    CommandSpec("solve", ("résoudre", "solution"), "[text]",
                "propose une solution ; sans texte, le texte du mail est la solution",
                "proposes a solution; with no text, the text of the mail is the solution",
                args_fr="[texte]", once=True),
    CommandSpec("kb", ("bc",), "[category] | edit N | publish N | unpublish N",
                "avec #solve : enregistre aussi la solution comme brouillon dans la base de connaissances"
                " (#kb imprimantes : dans cette catégorie) ; #kb edit N : le texte du mail remplace la fiche N"
                " (titre sur la première ligne) ; #kb publish N : la montre aux personnes qui font une demande ;"
                " #kb unpublish N ;"
                " edit, publish et unpublish aussi dans un nouveau mail, sans ticket",
                "with #solve: also saves the solution as a draft in the knowledge base"
                " (#kb printers: in that category); #kb edit N: the text of the mail replaces article N"
                " (title on the first line); #kb publish N: shows it to requesters; #kb unpublish N;"
                " edit, publish and unpublish also in a new mail, without a ticket",
                args_fr="[catégorie] | edit N | publish N | unpublish N"),
    CommandSpec("search", ("chercher", "recherche"), "WORDS",
                "répond avec les fiches de la base de connaissances qui correspondent le mieux",
                "answers with the knowledge-base articles that match best", args_fr="MOTS",
                reads=True, needs_ticket=False),
    CommandSpec("close", ("clore", "fermer"), "[text]",
                "clôt le ticket ; le texte éventuel devient un suivi",
                "closes the ticket; the optional text becomes a followup", args_fr="[texte]", once=True),
    CommandSpec("type", (), "incident|request", "change le type du ticket",
                "changes the type of the ticket", args_fr="incident|demande", once=True),
    CommandSpec("urgency", ("urgence",), "1-5", "change l'urgence (1 très basse … 5 très haute)",
                "changes the urgency (1 very low … 5 very high)", once=True),
    CommandSpec("asset", ("matériel", "item", "élément"), "[-]NAME",
                "associe une machine de l'inventaire (nom ou numéro de série), ex. #asset 203-02 ;"
                " #asset -203-02 la retire",
                "links a machine of the inventory (name or serial number), e.g. #asset 203-02;"
                " #asset -203-02 unlinks it", args_fr="[-]NOM"),
    CommandSpec("doc", ("document",), "N", "vous envoie le document n° N du ticket en pièce jointe",
                "mails you document N of the ticket as an attachment", reads=True),
    CommandSpec("documents", (), "", "vous envoie tous les documents du ticket en pièces jointes",
                "mails you every document of the ticket as attachments", reads=True),
    CommandSpec("show", ("historique", "history"), "",
                "vous envoie tout l'historique du ticket : suivis, tâches, temps passé, documents, solutions, états",
                "mails you the ticket's whole history: followups, tasks, time spent, documents, solutions, statuses",
                reads=True),
    CommandSpec("tickets", (), "", "vous envoie vos tickets en cours et les tickets à traiter",
                "mails you your tickets in progress and the tickets to handle", reads=True, needs_ticket=False),
    CommandSpec("mesdemandes", ("myrequests",), "", "vous envoie vos demandes et leur état",
                "mails you your requests and their status", reads=True, needs_ticket=False, everyone=True),
    CommandSpec("help", ("aide",), "", "répond avec cette liste", "answers with this list",
                reads=True, needs_ticket=False),
)
SPECS: dict[str, CommandSpec] = {spec.name: spec for spec in COMMANDS}


def spec_of(command: Command) -> CommandSpec:
    """The table row of a parsed command."""
    return SPECS[command.command]


def needs_ticket(command: Command) -> bool:
    """Whether a parsed command needs a ticket: its row says so, except `#kb edit/publish/unpublish N`,
    which act on an article (answered in a new mail too, workflow/ticketless.py)."""
    return spec_of(command).needs_ticket and command.touches_ticket


def help_text(language: str = "fr") -> str:
    """The `#help` answer, generated from COMMANDS; French (with French spacing) unless `language` is `en`."""
    en = language == "en"
    lines = ["Commands: one per line, at the start of the line, above the quoted text;"
             " case and accents do not matter." if en else
             "Commandes : une par ligne, en début de ligne, au-dessus du texte cité ;"
             " majuscules et accents indifférents.", ""]
    for spec in COMMANDS:
        args = spec.args if en or spec.args_fr is None else spec.args_fr
        usage = f"#{spec.name} {args}".rstrip()
        if spec.aliases:
            usage += f"   ({'also' if en else 'ou'} {', '.join('#' + a for a in spec.aliases)})"
        lines += [usage, "    " + (spec.help_en if en else spec.help_fr)]
        if not spec.needs_ticket:
            lines.append("    " + ("(also alone in a new mail, without a ticket)" if en else
                                  "(aussi seule dans un nouveau mail, sans ticket)"))
    text = "\n".join(lines) + "\n"
    return text if en else french_spaces(text)  # our own French words: `Commandes\u00a0:`


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


_BY_WORD = {_fold(word): spec for spec in COMMANDS for word in (spec.name, *spec.aliases)}
_COMMAND_LINE = re.compile(r"\s*#([^\W\d_]\w*)(.*)")
_EMAIL = re.compile(r"[^@\s<>(),;:\"\[\]]+@[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*")
_TIME_TOKEN = re.compile(r"\d{1,2}(?:h\d{0,2}|:\d{2})", re.IGNORECASE)
_NUMBER_TOKEN = re.compile(r"\d+(?:[.,]\d+)?")


@dataclass(frozen=True)
class _Context:
    tz: ZoneInfo
    now: datetime


def parse_commands(text: str, *, tz: ZoneInfo, now: datetime, names: frozenset[str] = frozenset()) -> CommandParse:
    """Read the command lines of a mail's new text (`now` aware, for the task state); `names`
    are the words the sender signs with (`signoff.name_parts`)."""
    context = _Context(tz, now)
    commands: list[Command] = []
    errors: list[CommandError] = []
    kept: list[str] = []
    count = 0
    article = _ArticleText()
    for number, raw in enumerate(text.splitlines(), 1):
        m = None if article.started(raw) else _COMMAND_LINE.fullmatch(raw)
        if m is None:
            kept.append(raw)
            continue
        article.command_line(raw)
        count += 1
        line = raw.strip()
        if count > MAX_COMMAND_LINES:
            if count == MAX_COMMAND_LINES + 1:
                errors.append(CommandError(number, line, because("too_many_lines", max=MAX_COMMAND_LINES)))
            continue
        spec = _BY_WORD.get(_fold(m[1]))
        if spec is None:
            errors.append(CommandError(number, line, _unknown(m[1])))
            continue
        args = m[2].strip().removeprefix(":").strip()
        try:
            command = _ARGUMENT_READERS[spec.name](args, context)
        except ValueError as exc:  # a ReasonError, or a reader's plain ValueError("…"), shown as is
            errors.append(CommandError(number, line, reason_of(exc)))
            continue
        commands.append(replace(command, line_number=number, line=line))
    remaining = "\n".join(kept).strip()
    if count:
        remaining = strip_signoff(remaining, names)
    commands, mail_errors = _check_together(commands, remaining)
    errors = sorted([*errors, *mail_errors], key=lambda e: e.line_number)
    return CommandParse(tuple(commands), tuple(errors), remaining)


class _ArticleText:
    """Below a `#kb edit N` line, once the article's title (the first line of text) has begun,
    every line is the article's: a line starting with `#` there (`#include`, a shell comment)
    is text, so an article's text survives the desk's prepared edit mail (docs/KB.md)."""

    def __init__(self) -> None:
        self.edit = self.begun = False

    def command_line(self, line: str) -> None:
        self.edit = self.edit or _is_kb_edit(line)

    def started(self, line: str) -> bool:
        if self.edit and not self.begun and line.strip() and _COMMAND_LINE.fullmatch(line) is None:
            self.begun = True
        return self.begun


def _is_kb_edit(line: str) -> bool:
    m = _COMMAND_LINE.fullmatch(line)
    words = m[2].strip().removeprefix(":").split() if m else []
    return line_spec(line) is SPECS["kb"] and bool(words) and KB_ACTIONS.get(_fold(words[0])) == "edit"


def line_spec(line: str) -> CommandSpec | None:
    """The table row a command line names (`#Tâche 1h` -> task), None for an unknown word or no command."""
    m = _COMMAND_LINE.fullmatch(line)
    return _BY_WORD.get(_fold(m[1])) if m else None


def line_needs_ticket(line: str) -> bool:
    """Whether a (refused) command line names a command that needs a ticket, as `needs_ticket` says
    of a parsed one: `#kb publish x` needs none, `#kb` alone does; an unknown word needs none."""
    spec = line_spec(line)
    if spec is None or not spec.needs_ticket:
        return False
    m = _COMMAND_LINE.fullmatch(line)
    assert m is not None
    words = m[2].strip().removeprefix(":").split()
    return not (spec.name == "kb" and words and _fold(words[0]) in KB_ACTIONS)


def _unknown(word: str) -> Reason:
    close = difflib.get_close_matches(_fold(word), list(_BY_WORD), n=1, cutoff=0.75)
    if close:
        return because("unknown_command_hint", word=word, suggestion=_BY_WORD[close[0]].name)
    return because("unknown_command", word=word)


def _check_together(commands: list[Command], remaining: str) -> tuple[list[Command], list[CommandError]]:
    """The rules that look at the whole mail: once-only commands, #kb, empty solution."""
    once = {spec.name for spec in COMMANDS if spec.once}
    kept: list[Command] = []
    errors: list[CommandError] = []
    for command in commands:
        if command.command in once and any(c.command == command.command for c in kept):
            errors.append(_error(command, because("once_per_mail", command=command.command)))
        else:
            kept.append(command)
    has_solve = any(isinstance(c, SolveCommand) for c in kept)
    for command in kept:
        if isinstance(command, KbCommand) and command.action == "save" and not has_solve:
            errors.append(_error(command, because("kb_needs_solve")))
        if isinstance(command, KbCommand) and command.action == "edit" and not _title_and_text(remaining):
            errors.append(_error(command, because("kb_edit_needs_text")))
        if isinstance(command, SolveCommand) and not command.text and not remaining:
            errors.append(_error(command, because("empty_solution")))
    return kept, errors


def _title_and_text(remaining: str) -> tuple[str, str] | None:
    """A new article from a mail's remaining text: its first line and the rest, both needed."""
    title, _, body = remaining.strip().partition("\n")
    return (title.strip(), body.strip()) if title.strip() and body.strip() else None


def kb_title_and_text(remaining: str) -> tuple[str, str]:
    """The title and text that `#kb edit` takes from the remaining text (checked when parsing)."""
    found = _title_and_text(remaining)
    if found is None:
        raise ValueError("no title and text")
    return found


def _error(command: Command, reason: Reason) -> CommandError:
    return CommandError(command.line_number, command.line, reason)


# --- argument readers: args (stripped) -> Command, or ReasonError(reason) ------------------

TASK_STATES = {"todo": "todo", "afaire": "todo", "a-faire": "todo", "done": "done",
               "fait": "done", "faite": "done", "info": "information", "information": "information"}
TYPES = {"incident": "incident", "request": "request", "demande": "request"}
URGENCIES = {"1": 1, "2": 2, "3": 3, "4": 4, "5": 5,
             "very low": 1, "low": 2, "medium": 3, "high": 4, "very high": 5,
             "tres basse": 1, "basse": 2, "moyenne": 3, "haute": 4, "tres haute": 5}
_ME = {"me", "moi"}


def _task(args: str, context: _Context) -> TaskCommand:
    tokens = [(m.start(), m.group()) for m in re.finditer(r"\S+", args)]
    words = [w for _, w in tokens]
    i = 0
    state = TASK_STATES.get(_fold(words[0])) if words else None
    i += state is not None
    if i >= len(words):
        raise ReasonError(because("task_needs_duration"))
    duration_text = words[i]
    # `2 h`, `45 min`: a bare number followed by a unit word is one duration
    if (_NUMBER_TOKEN.fullmatch(words[i]) and i + 1 < len(words)
            and re.fullmatch(r"[a-z]+", _fold(words[i + 1])) and _is_duration(" ".join(words[i:i + 2]))):
        duration_text = " ".join(words[i:i + 2])
        i += 1
    minutes = parse_duration(duration_text)
    i += 1
    begin = end = None
    if i < len(words) and words[i].startswith("@"):
        planning_words = ([words[i][1:]] if words[i] != "@" else []) + words[i + 1:i + 4]
        used = _planning_length(planning_words)
        begin = parse_planning(" ".join(planning_words[:used]), context.tz)
        end = begin + timedelta(minutes=minutes)
        i += used + (words[i] == "@")
    if state is None:
        state = "todo" if begin is not None and begin > context.now else "done"
    description = args[tokens[i][0]:].strip() if i < len(tokens) else ""
    return TaskCommand(state, minutes, begin, end, description)


def _is_duration(text: str) -> bool:
    try:
        parse_duration(text)
    except ValueError:
        return False
    return True


def _planning_length(words: list[str]) -> int:
    """How many words after `@` are the date and time: `01/12/2026 14h`, `… à 14h`, `…T14:00`."""
    if not words:
        raise ReasonError(because("needs_date_after_at"))
    if "t" in words[0].casefold() and ":" in words[0]:
        return 1
    if len(words) > 1 and _TIME_TOKEN.fullmatch(words[1]):
        return 2
    if len(words) > 2 and _fold(words[1]) in {"a", "at"} and _TIME_TOKEN.fullmatch(words[2]):
        return 3
    return 1  # parse_planning then says what is missing


def _no_argument(factory: Callable[[], Command], name: str) -> Callable[[str, _Context], Command]:
    def read(args: str, context: _Context) -> Command:
        if args:
            raise ReasonError(because("no_argument", command=name))
        return factory()
    return read


def _email(args: str, name: str) -> str:
    address = args.removeprefix("mailto:")
    if m := re.search(r"<([^<>]*)>", address):  # `Jean Dupont <jean@lycee.example>`
        address = m[1]
    address = address.strip().lower()
    if not address:
        raise ReasonError(because("needs_email", command=name))
    if not _EMAIL.fullmatch(address):
        raise ReasonError(because("not_an_email", text=args))
    return address


def _assign(args: str, context: _Context) -> AssignCommand:
    if not args or _fold(args) in _ME:
        return AssignCommand(None)
    return AssignCommand(_email(args, "assign"))


KB_ACTIONS = {"edit": "edit", "modifier": "edit", "publish": "publish", "publier": "publish",
              "unpublish": "unpublish", "depublier": "unpublish"}
CATEGORY_MAX = 100


def _kb(args: str, context: _Context) -> KbCommand:
    words = args.split()
    if not words:
        return KbCommand()
    action = KB_ACTIONS.get(_fold(words[0]))
    if action is None:  # `#kb imprimantes`: the category of the article saved from the solution
        if len(args) > CATEGORY_MAX:
            raise ReasonError(because("kb_category_too_long", max=CATEGORY_MAX))
        return KbCommand(category=" ".join(words))
    if len(words) < 2 or not words[1].lstrip("#").isdigit():
        raise ReasonError(because("kb_needs_article_number", action=words[0]))
    if len(words) > 2:
        raise ReasonError(because("kb_only_article_number", action=words[0]))
    return KbCommand(action=action, article_id=int(words[1].lstrip("#")))


def _document_number(args: str, context: _Context) -> DocCommand:
    number = args.removeprefix("n°").removeprefix("#").strip()
    if not number:
        raise ReasonError(because("doc_needs_number"))
    if not number.isdecimal() or len(number) > 9:
        raise ReasonError(because("not_a_document_number", text=args))
    return DocCommand(int(number))


def _choice(table: dict, args: str, code: str):
    value = table.get(" ".join(_fold(args).split()))
    if value is None:
        raise ReasonError(because(code, text=args))
    return value


def _required(args: str, code: str) -> str:
    if not args:
        raise ReasonError(because(code))
    return args


def _asset(args: str) -> AssetCommand:
    name = _required(args, "asset_needs_name")
    if name.startswith("-"):
        return AssetCommand(_required(name[1:].strip(), "asset_unlink_needs_name"), remove=True)
    return AssetCommand(name)


_ARGUMENT_READERS: dict[str, Callable[[str, _Context], Command]] = {
    "task": _task,
    "private": _no_argument(PrivateCommand, "private"),
    "hold": lambda args, context: HoldCommand(args),
    "resume": _no_argument(ResumeCommand, "resume"),
    "assign": _assign,
    "take": _no_argument(AssignCommand, "take"),
    "observer": lambda args, context: ObserverCommand(_email(args, "observer")),
    "requester": lambda args, context: RequesterCommand(_email(args, "requester")),
    "solve": lambda args, context: SolveCommand(args),
    "kb": _kb,
    "search": lambda args, context: SearchCommand(_required(args, "search_needs_words")),
    "close": lambda args, context: CloseCommand(args),
    "type": lambda args, context: TypeCommand(_choice(
        TYPES, args, "bad_type")),
    "urgency": lambda args, context: UrgencyCommand(_choice(
        URGENCIES, args, "bad_urgency")),
    "asset": lambda args, context: _asset(args),
    "doc": _document_number,
    "documents": _no_argument(DocumentsCommand, "documents"),
    "show": _no_argument(ShowCommand, "show"),
    "tickets": _no_argument(TicketsCommand, "tickets"),
    "mesdemandes": _no_argument(MyRequestsCommand, "mesdemandes"),
    "help": _no_argument(HelpCommand, "help"),
}
