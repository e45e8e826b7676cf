"""Why a technician's command line was refused, as a code and its parameters, and the one table
that says it in French and English.

The command parser, the handlers and the `Authentication-Results` check give a `Reason`
(`because("not_a_technician", email="x@lycee.example")`); the `command_errors` mail renders it
in the technician's language (`Reason.text(language)`). Parameters are what the technician
wrote or what the helpdesk knows (an address, a status), shown as they are; a parameter that is
itself a `Reason` is rendered in the same language. `Reason.text("en")` is the English text
that logs and tests read.

A reason given as plain text is shown as is, in every language: a handler's
`raise Refused("…")` or a reader's `raise ValueError("…")` keeps working (`reason_of(exc)`
makes it a `plain` reason). To give a new refusal in both languages:

1. add a row to MESSAGES below: `"code": ("English {param}", "Français {param}")`, with the
   same `{param}` names in both (the tests check each row has both languages and the same
   parameters; French spacing before `: ; ! ?` and inside « » is added here, so write ordinary
   spaces);
2. raise it: `raise ReasonError(because("code", param=value))` in a reader of
   `parsers/commands.py`, `raise Refused(because("code", param=value))` in a handler.

A parameter named `status` is a ticket status: the renderer may pass `labels` to show it in
words (`en cours (attribué)`); without them it is the status's value (`assigned`).
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from mailbot.parsers.typography import french_spaces

LANGUAGES = ("en", "fr")
PLAIN = "plain"
_DURATIONS_EN = "0h15, 1h30, 45min, 1:30, 1.5h"
_DURATIONS_FR = "0h15, 1h30, 45min, 1:30, 1,5h"

# code -> (English, French)
_TABLE: dict[str, tuple[str, str]] = {
    PLAIN: ("{text}", "{text}"),
    # the grammar (parsers/commands.py)
    "too_many_lines": ("too many command lines: at most {max}",
                       "trop de lignes de commande : {max} au plus"),
    "unknown_command": ("unknown command '#{word}'", "commande inconnue « #{word} »"),
    "unknown_command_hint": ("unknown command '#{word}' (did you mean #{suggestion}?)",
                             "commande inconnue « #{word} » (vouliez-vous écrire #{suggestion} ?)"),
    "once_per_mail": ("#{command} may be given only once per mail",
                      "#{command} ne peut figurer qu'une fois par message"),
    "kb_needs_solve": ("#kb needs a #solve in the same mail", "#kb va avec un #solve dans le même message"),
    "empty_solution": ("a solution cannot be empty", "une solution ne peut pas être vide"),
    "no_argument": ("#{command} takes no argument (write the text on the next lines)",
                    "#{command} s'écrit seule sur sa ligne (écrivez le texte sur les lignes suivantes)"),
    "task_needs_duration": ("#task needs a duration, e.g. #task 0h15",
                            "#task demande une durée, par exemple #task 0h15"),
    "needs_date_after_at": ("a date and time are needed after @, e.g. @ 01/12/2026 14h00",
                            "il faut une date et une heure après @, par exemple @ 01/12/2026 14h00"),
    "needs_email": ("#{command} needs an email address", "#{command} demande une adresse mail"),
    "not_an_email": ("'{text}' is not an email address", "« {text} » n'est pas une adresse mail"),
    "bad_type": ("#type needs incident or request (demande), not '{text}'",
                 "#type demande incident ou demande (request), pas « {text} »"),
    "bad_urgency": ("#urgency needs 1 to 5 (1 very low … 5 very high), not '{text}'",
                    "#urgency demande un chiffre de 1 à 5 (1 très basse … 5 très haute), pas « {text} »"),
    "asset_unlink_needs_name": ("#asset - needs the name of the machine to unlink, e.g. #asset -203-02",
                                "#asset - demande le nom de la machine à retirer, par exemple #asset -203-02"),
    "machine_not_linked": ("'{name}' is not linked to this ticket", "« {name} » n'est pas lié à ce ticket"),
    "machine_ambiguous": ("several machines are called '{name}': give the serial number ({serials})",
                          "plusieurs machines s'appellent « {name} » : donnez le numéro de série ({serials})"),
    "machine_inventory_empty": ("unknown machine '{name}': the inventory is empty (mailbot inventory import)",
                                "machine inconnue « {name} » : l'inventaire est vide (mailbot inventory import)"),
    "machine_unknown": ("unknown machine '{name}'", "machine inconnue « {name} »"),
    "machine_unknown_nearest": ("unknown machine '{name}' (nearest: {nearest})",
                                "machine inconnue « {name} » (les plus proches : {nearest})"),
    "doc_needs_number": ("#doc needs a document number, e.g. #doc 3",
                         "#doc demande le numéro d'un document, par exemple #doc 3"),
    "not_a_document_number": ("'{text}' is not a document number (e.g. #doc 3)",
                              "« {text} » n'est pas un numéro de document (par exemple #doc 3)"),
    "asset_needs_name": ("#asset needs an item name, e.g. #asset Computer 203-02",
                         "#asset demande le nom d'un élément de l'inventaire, par exemple #asset Computer 203-02"),
    # durations and planning dates (parsers/durations.py)
    "duration_needed": (f"a duration is needed, e.g. {_DURATIONS_EN}", f"il faut une durée, par exemple {_DURATIONS_FR}"),
    "duration_negative": ("'{text}': a duration must be positive", "« {text} » : une durée doit être positive"),
    "duration_zero": ("'{text}': a duration must be more than zero", "« {text} » : une durée doit être plus que zéro"),
    "duration_too_long": ("'{text}': a duration must be at most {hours} hours",
                          "« {text} » : une durée ne peut dépasser {hours} heures"),
    "minutes_below_60": ("'{text}': minutes must be below 60", "« {text} » : les minutes doivent être moins de 60"),
    "minutes_whole": ("'{text}': minutes must be a whole number",
                      "« {text} » : les minutes doivent être un nombre entier"),
    "duration_unit": ("'{text}': add a unit, e.g. {number}h or {number}min",
                      "« {text} » : ajoutez une unité, par exemple {number}h ou {number}min"),
    "not_a_duration": (f"'{{text}}': not a duration (write e.g. {_DURATIONS_EN})",
                       f"« {{text}} » n'est pas une durée (écrivez par exemple {_DURATIONS_FR})"),
    "time_needed": ("'{text}': a time is needed, e.g. {text} 14h00",
                    "« {text} » : il manque l'heure, par exemple {text} 14h00"),
    "year_range": ("'{text}': the year must be between {min} and {max}",
                   "« {text} » : l'année doit être entre {min} et {max}"),
    "no_such_time": ("'{text}': no such time of day", "« {text} » : cette heure n'existe pas"),
    "no_such_date": ("'{text}': no such date", "« {text} » : cette date n'existe pas"),
    "clock_change": ("'{text}': this time does not exist in {zone} (clock change)",
                     "« {text} » : cette heure n'existe pas dans le fuseau {zone} (changement d'heure)"),
    "not_a_planning": ("'{text}': not a date and time (write e.g. 2026-12-01 14:00 or 01/12/2026 14h00)",
                       "« {text} » n'est pas une date et une heure (écrivez par exemple 01/12/2026 14h00"
                       " ou 2026-12-01 14:00)"),
    # the handlers (workflow/handlers.py)
    "not_allowed_in_status": ("not allowed while the ticket is '{status}'",
                              "impossible tant que le ticket est « {status} »"),
    "not_waiting": ("the ticket is not waiting (it is '{status}')",
                    "le ticket n'est pas en attente (il est « {status} »)"),
    "no_such_document": ("there is no document {number}", "il n'y a pas de document n°\u00a0{number}"),
    "document_of_another_ticket": ("document {number} belongs to ticket #{ticket}, not to this ticket",
                                   "le document n°\u00a0{number} appartient au ticket #{ticket}, pas à celui-ci"),
    "not_a_technician": ("{email} is not a technician", "{email} ne fait pas partie de l'équipe technique"),
    "requester_in_new_mail": ("#requester is for a new mail, which it opens in that person's name",
                              "#requester s'écrit dans un nouveau mail, qu'il ouvre au nom de cette personne"),
    # the trusted server's Authentication-Results (parsers/authresults.py, workflow/technician.py)
    "commands_refused": ("commands refused: {why}", "commandes refusées : {why}"),
    "auth_unreadable": ("the Authentication-Results of {server} could not be read",
                        "l'en-tête Authentication-Results de {server} est illisible"),
    "auth_no_from": ("no From address whose domain {server} could vouch for",
                     "pas d'adresse From dont {server} puisse garantir le domaine"),
    "auth_missing": ("no Authentication-Results from the trusted server {server}",
                     "pas d'en-tête Authentication-Results du serveur de confiance {server}"),
    "auth_not_vouched": ("{server} did not vouch for {domain} ({seen})",
                         "{server} ne garantit pas que le message vient de {domain} ({seen})"),
    "auth_no_result": ("{server} did not vouch for {domain} (no DKIM or DMARC result)",
                       "{server} ne garantit pas que le message vient de {domain} (aucun résultat DKIM ou DMARC)"),
}

# code -> language -> message, French spacing applied to the French words
MESSAGES: dict[str, dict[str, str]] = {
    code: {"en": english, "fr": french_spaces(french)} for code, (english, french) in _TABLE.items()}


@dataclass(frozen=True)
class Reason:
    """A refusal: a code of MESSAGES and its parameters (strings, or Reasons said in the same language)."""

    code: str
    params: tuple[tuple[str, str | Reason], ...] = ()

    def text(self, language: str = "en", labels: Mapping[str, str] | None = None) -> str:
        """The reason in `language` (English when the table has no such row or language);
        `labels` put a `status` parameter in words."""
        row = MESSAGES.get(self.code)
        if row is None:  # a code this version does not know (an older or newer row): say what we can
            return self.code + "".join(f" {name}={self._value(value, language, labels)}" for name, value in self.params)
        template = row.get(language) or row["en"]
        values = {name: self._value(value, language, labels) for name, value in self.params}
        if "status" in values and labels:
            values["status"] = labels.get(values["status"], values["status"])
        return template.format_map(_Missing(values))

    @staticmethod
    def _value(value: str | Reason, language: str, labels: Mapping[str, str] | None) -> str:
        return value.text(language, labels) if isinstance(value, Reason) else value

    def __str__(self) -> str:
        return self.text("en")

    def to_json(self) -> dict[str, Any]:
        """For an outbox row's context; `from_json` reads it back."""
        return {"code": self.code, "params": {name: value.to_json() if isinstance(value, Reason) else value
                                              for name, value in self.params}}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Reason:
        params = data.get("params") or {}
        return cls(str(data.get("code") or PLAIN), tuple(
            (str(name), cls.from_json(value) if isinstance(value, Mapping) else str(value))
            for name, value in params.items()))


class _Missing(dict):
    """A parameter the row names but the Reason lacks prints as `{name}` rather than failing."""

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def because(code: str, **params: object) -> Reason:
    """`because("not_a_technician", email=…)`; values other than Reasons are shown with str()."""
    if code not in MESSAGES:
        raise KeyError(f"no message for the reason {code!r}: add it to mailbot/parsers/reasons.py")
    return Reason(code, tuple((name, value if isinstance(value, Reason) else str(value))
                              for name, value in params.items()))


def plain(text: str) -> Reason:
    """A reason written as English text, shown as is in every language."""
    return Reason(PLAIN, (("text", text),))


class ReasonError(ValueError):
    """A ValueError that carries its Reason; its message is the English text."""

    def __init__(self, reason: Reason | str):
        self.reason = reason if isinstance(reason, Reason) else plain(reason)
        super().__init__(self.reason.text("en"))


def reason_of(exc: BaseException) -> Reason:
    """The Reason an exception carries, else its message as a plain reason."""
    reason = getattr(exc, "reason", None)
    return reason if isinstance(reason, Reason) else plain(str(exc))


def parameters(template: str) -> set[str]:
    """The `{names}` a message uses (for the tests: both languages name the same ones)."""
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}
