"""The technician commands of SPEC §4, one description each: a `CommandSpec` holds a command's
name and aliases (French and English), its flags, its help in both languages and its argument
reader (the text after the name -> a frozen `Command` of command_values.py, or a
`ReasonError`). `COMMANDS` lists them in the order `#help` shows them.

This is the parsing half of each command, pure; its action is in workflow/handlers.py, and
workflow/registry.py joins the two (one row per command, checked complete at import). A new
command is a reader and a `CommandSpec` here, a handler and a registry row there.

A reader gets the arguments stripped, without a `:` after the name; it raises
`ReasonError(because("code", …))` with a reason of parsers/reasons.py, or a plain
`ValueError("…")` whose text is shown as is.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from mailbot.parsers import command_values as v
from mailbot.parsers.durations import parse_duration, parse_planning
from mailbot.parsers.reasons import ReasonError, because


@dataclass(frozen=True)
class ReadContext:
    """What a reader may need besides the arguments: the helpdesk's time zone and the mail's moment."""

    tz: ZoneInfo
    now: datetime  # aware


Reader = Callable[[str, ReadContext], v.Command]


@dataclass(frozen=True)
class CommandSpec:
    """One command as the grammar and `#help` know it."""

    name: str
    aliases: tuple[str, ...]
    args: str
    help_fr: str
    help_en: str
    read: Reader  # the argument reader
    args_fr: str | None = None  # `args` in French words when they differ
    once: bool = False  # giving it twice in one mail is an error
    # False: also answered in a new mail without a ticket (docs/BEHAVIOUR.md, "Commands without a ticket")
    needs_ticket: bool = True
    # only reads: answers its sender and changes nothing (so it never takes an unassigned ticket)
    reads: bool = False
    # anyone known to the helpdesk may write it in a new mail, not only technicians
    everyone: bool = False


def fold(text: str) -> str:
    """Case and accents left out: `Tâche` and `tache` are one word."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def no_argument(factory: Callable[[], v.Command], name: str) -> Reader:
    def read(args: str, context: ReadContext) -> v.Command:
        if args:
            raise ReasonError(because("no_argument", command=name))
        return factory()
    return read


def _required(args: str, code: str) -> str:
    if not args:
        raise ReasonError(because(code))
    return args


def _choice(table: dict[str, Any], args: str, code: str) -> Any:
    value = table.get(" ".join(fold(args).split()))
    if value is None:
        raise ReasonError(because(code, text=args))
    return value


_EMAIL = re.compile(r"[^@\s<>(),;:\"\[\]]+@[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*")


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


# --- #task ----------------------------------------------------------------------------------

TASK_STATES = {"todo": "todo", "afaire": "todo", "a-faire": "todo", "done": "done",
               "fait": "done", "faite": "done", "info": "information", "information": "information"}
_TIME_TOKEN = re.compile(r"\d{1,2}(?:h\d{0,2}|:\d{2})", re.IGNORECASE)
_NUMBER_TOKEN = re.compile(r"\d+(?:[.,]\d+)?")


def _task(args: str, context: ReadContext) -> v.TaskCommand:
    tokens = [(m.start(), m.group()) for m in re.finditer(r"\S+", args)]
    words = [w for _, w in tokens]
    i = 0
    state = TASK_STATES.get(fold(words[0])) if words else None
    i += state is not None
    if i >= len(words):
        raise ReasonError(because("task_needs_duration"))
    duration_text = words[i]
    # `2 h`, `45 min`: a bare number followed by a unit word is one duration
    if (_NUMBER_TOKEN.fullmatch(words[i]) and i + 1 < len(words)
            and re.fullmatch(r"[a-z]+", fold(words[i + 1])) and _is_duration(" ".join(words[i:i + 2]))):
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
    return v.TaskCommand(state, minutes, begin, end, description)


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
    if len(words) > 2 and fold(words[1]) in {"a", "at"} and _TIME_TOKEN.fullmatch(words[2]):
        return 3
    return 1  # parse_planning then says what is missing


TASK = CommandSpec(
    "task", ("tâche",), "[todo|done|info] DURATION [@ DATE TIME] [description]",
    "ajoute une tâche ; durée 0h15, 1h30, 45min, 1:30, 1,5h ; planning @ 01/12/2026 14h00 ;"
    " sans description, le texte du mail sert de description",
    "adds a task; duration 0h15, 1h30, 45min, 1:30, 1.5h; planning @ 2026-12-01 14:00;"
    " with no description, the text of the mail is the description",
    _task, args_fr="[todo|done|info] DURÉE [@ DATE HEURE] [description]")

# --- the ticket's people and status ---------------------------------------------------------

PRIVATE = CommandSpec(
    "private", ("privé",), "",
    "le suivi ou les tâches de ce mail sont privés (jamais envoyés à la personne qui a fait la demande)",
    "the followup or tasks of this mail are private (never sent to the requester)",
    no_argument(v.PrivateCommand, "private"))
HOLD = CommandSpec(
    "hold", ("attente", "attendre"), "[reason]",
    "met le ticket en attente ; la raison devient un suivi",
    "puts the ticket on hold (waiting); the reason becomes a followup",
    lambda args, context: v.HoldCommand(args), args_fr="[raison]", once=True)
RESUME = CommandSpec("resume", ("reprendre",), "", "sort le ticket de l'attente", "takes the ticket out of waiting",
                     no_argument(v.ResumeCommand, "resume"))
_ME = {"me", "moi"}
ASSIGN = CommandSpec(
    "assign", ("assigner", "attribuer"), "[EMAIL|me]",
    "attribue le ticket à une personne de l'équipe technique (par défaut : vous)", "assigns a technician (default: you)",
    lambda args, context: v.AssignCommand(None if not args or fold(args) in _ME else _email(args, "assign")),
    args_fr="[EMAIL|moi]")
TAKE = CommandSpec("take", ("prendre",), "", "vous attribue le ticket", "assigns the ticket to you",
                   no_argument(v.AssignCommand, "take"))
OBSERVER = CommandSpec("observer", ("observateur",), "EMAIL", "ajoute un observateur", "adds an observer",
                       lambda args, context: v.ObserverCommand(_email(args, "observer")))
REQUESTER = CommandSpec(
    "requester", ("demandeur",), "EMAIL",
    "dans un nouveau mail : la demande est au nom de cette personne (un appel reçu), qui en reçoit l'accusé de réception",
    "in a new mail: the request is in this person's name (a call you took); they get its acknowledgement",
    lambda args, context: v.RequesterCommand(_email(args, "requester")), once=True)
SOLVE = CommandSpec(
    "solve", ("résoudre", "solution"), "[text]",
    "propose une solution ; sans texte, le texte du mail est la solution",
    "proposes a solution; with no text, the text of the mail is the solution",
    lambda args, context: v.SolveCommand(args), args_fr="[texte]", once=True)

# --- #kb ------------------------------------------------------------------------------------

KB_ACTIONS = {"edit": "edit", "modifier": "edit", "publish": "publish", "publier": "publish",
              "unpublish": "unpublish", "depublier": "unpublish"}
CATEGORY_MAX = 100


def _kb(args: str, context: ReadContext) -> v.KbCommand:
    words = args.split()
    if not words:
        return v.KbCommand()
    action = KB_ACTIONS.get(fold(words[0]))
    if action is None:  # `#kb imprimantes`: the category of the article saved from the solution
        if len(args) > CATEGORY_MAX:
            raise ReasonError(because("kb_category_too_long", max=CATEGORY_MAX))
        return v.KbCommand(category=" ".join(words))
    if len(words) < 2 or not words[1].lstrip("#").isdigit():
        raise ReasonError(because("kb_needs_article_number", action=words[0]))
    if len(words) > 2:
        raise ReasonError(because("kb_only_article_number", action=words[0]))
    return v.KbCommand(action=action, article_id=int(words[1].lstrip("#")))


KB = CommandSpec(
    "kb", ("bc",), "[category] | edit N | publish N | unpublish N",
    "avec #solve : enregistre aussi la solution comme brouillon dans la base de connaissances"
    " (#kb imprimantes : dans cette catégorie) ; #kb edit N : le texte du mail remplace la fiche N"
    " (titre sur la première ligne) ; #kb publish N : la montre aux personnes qui font une demande ;"
    " #kb unpublish N ; edit, publish et unpublish aussi dans un nouveau mail, sans ticket",
    "with #solve: also saves the solution as a draft in the knowledge base"
    " (#kb printers: in that category); #kb edit N: the text of the mail replaces article N"
    " (title on the first line); #kb publish N: shows it to requesters; #kb unpublish N;"
    " edit, publish and unpublish also in a new mail, without a ticket",
    _kb, args_fr="[catégorie] | edit N | publish N | unpublish N")
SEARCH = CommandSpec(
    "search", ("chercher", "recherche"), "WORDS",
    "répond avec les fiches de la base de connaissances qui correspondent le mieux",
    "answers with the knowledge-base articles that match best",
    lambda args, context: v.SearchCommand(_required(args, "search_needs_words")),
    args_fr="MOTS", reads=True, needs_ticket=False)

# --- closing and the ticket's fields --------------------------------------------------------

CLOSE = CommandSpec(
    "close", ("clore", "fermer"), "[text]", "clôt le ticket ; le texte éventuel devient un suivi",
    "closes the ticket; the optional text becomes a followup",
    lambda args, context: v.CloseCommand(args), args_fr="[texte]", once=True)
TYPES = {"incident": "incident", "request": "request", "demande": "request"}
TYPE = CommandSpec("type", (), "incident|request", "change le type du ticket", "changes the type of the ticket",
                   lambda args, context: v.TypeCommand(_choice(TYPES, args, "bad_type")),
                   args_fr="incident|demande", once=True)
URGENCIES = {"1": 1, "2": 2, "3": 3, "4": 4, "5": 5,
             "very low": 1, "low": 2, "medium": 3, "high": 4, "very high": 5,
             "tres basse": 1, "basse": 2, "moyenne": 3, "haute": 4, "tres haute": 5}
URGENCY = CommandSpec("urgency", ("urgence",), "1-5", "change l'urgence (1 très basse … 5 très haute)",
                      "changes the urgency (1 very low … 5 very high)",
                      lambda args, context: v.UrgencyCommand(_choice(URGENCIES, args, "bad_urgency")), once=True)


def _asset(args: str, context: ReadContext) -> v.AssetCommand:
    name = _required(args, "asset_needs_name")
    if name.startswith("-"):
        return v.AssetCommand(_required(name[1:].strip(), "asset_unlink_needs_name"), remove=True)
    return v.AssetCommand(name)


ASSET = CommandSpec(
    "asset", ("matériel", "item", "élément"), "[-]NAME",
    "associe une machine de l'inventaire (nom ou numéro de série), ex. #asset 203-02 ; #asset -203-02 la retire",
    "links a machine of the inventory (name or serial number), e.g. #asset 203-02; #asset -203-02 unlinks it",
    _asset, args_fr="[-]NOM")

# --- reading commands -----------------------------------------------------------------------


def _document_number(args: str, context: ReadContext) -> v.DocCommand:
    number = args.removeprefix("n°").removeprefix("#").strip()
    if not number:
        raise ReasonError(because("doc_needs_number"))
    if not number.isdecimal() or len(number) > 9:
        raise ReasonError(because("not_a_document_number", text=args))
    return v.DocCommand(int(number))


DOC = CommandSpec("doc", ("document",), "N", "vous envoie le document n° N du ticket en pièce jointe",
                  "mails you document N of the ticket as an attachment", _document_number, reads=True)
DOCUMENTS = CommandSpec("documents", (), "", "vous envoie tous les documents du ticket en pièces jointes",
                        "mails you every document of the ticket as attachments",
                        no_argument(v.DocumentsCommand, "documents"), reads=True)
SHOW = CommandSpec(
    "show", ("historique", "history"), "",
    "vous envoie tout l'historique du ticket : suivis, tâches, temps passé, documents, solutions, états",
    "mails you the ticket's whole history: followups, tasks, time spent, documents, solutions, statuses",
    no_argument(v.ShowCommand, "show"), reads=True)
TICKETS = CommandSpec("tickets", (), "", "vous envoie vos tickets en cours et les tickets à traiter",
                      "mails you your tickets in progress and the tickets to handle",
                      no_argument(v.TicketsCommand, "tickets"), reads=True, needs_ticket=False)
MY_REQUESTS = CommandSpec("mesdemandes", ("myrequests",), "", "vous envoie vos demandes et leur état",
                          "mails you your requests and their status", no_argument(v.MyRequestsCommand, "mesdemandes"),
                          reads=True, needs_ticket=False, everyone=True)
HELP = CommandSpec("help", ("aide",), "", "répond avec cette liste", "answers with this list",
                   no_argument(v.HelpCommand, "help"), reads=True, needs_ticket=False)

COMMANDS: tuple[CommandSpec, ...] = (TASK, PRIVATE, HOLD, RESUME, ASSIGN, TAKE, OBSERVER, REQUESTER, SOLVE, KB,
                                     SEARCH, CLOSE, TYPE, URGENCY, ASSET, DOC, DOCUMENTS, SHOW, TICKETS, MY_REQUESTS,
                                     HELP)
SPECS: dict[str, CommandSpec] = {spec.name: spec for spec in COMMANDS}
