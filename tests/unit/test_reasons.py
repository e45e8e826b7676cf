"""Why a command line was refused, in the technician's language: the table of reasons, and the
reasons the parser, the handlers and the Authentication-Results check give."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from mailbot.parsers import commands as grammar
from mailbot.parsers.authresults import vouched
from mailbot.parsers.command_values import CommandError, HelpCommand
from mailbot.parsers.commands import SPECS, parse_commands
from mailbot.parsers.reasons import MESSAGES, PLAIN, Reason, ReasonError, because, parameters, plain, reason_of
from mailbot.workflow.handlers import Refused
from mailbot.workflow.states import LABELS

PARIS = ZoneInfo("Europe/Paris")
NOW = datetime(2026, 11, 28, 10, 0, tzinfo=UTC)


def errors(text: str, language: str) -> list[str]:
    return [e.why.text(language) for e in parse_commands(text, tz=PARIS, now=NOW).errors]


@pytest.mark.parametrize("code", sorted(MESSAGES))
def test_every_reason_is_written_in_french_and_english_with_the_same_values(code: str) -> None:
    row = MESSAGES[code]
    assert set(row) == {"fr", "en"}
    assert row["fr"].strip() and row["en"].strip()
    assert parameters(row["fr"]) == parameters(row["en"])
    if code != PLAIN:
        assert row["fr"] != row["en"]  # really translated


def test_the_table_has_a_reason_for_each_kind_of_refusal() -> None:
    assert 20 <= len(MESSAGES) <= 60  # the grammar, durations, handlers, inventory, documents


@pytest.mark.parametrize("code", sorted(MESSAGES))
def test_french_reasons_have_no_break_spaces_before_punctuation_and_inside_quotes(code: str) -> None:
    french = MESSAGES[code]["fr"]
    assert not re.search(r" [:;!?»]|« ", french), french
    assert not re.search(r"'\{\w+\}'", french)  # French quotes values with « », not '…'


@pytest.mark.parametrize(("line", "french", "english"), [
    ("#tsk 1h", "commande inconnue «\u00a0#tsk\u00a0» (vouliez-vous écrire #task\u202f?)",
     "unknown command '#tsk' (did you mean #task?)"),
    ("#task 1h75", "«\u00a01h75\u00a0»\u00a0: les minutes doivent être moins de 60", "'1h75': minutes must be below 60"),
    ("#task 90", "«\u00a090\u00a0»\u00a0: ajoutez une unité, par exemple 90h ou 90min",
     "'90': add a unit, e.g. 90h or 90min"),
    ("#task 1h @ 32/12/2026 14h00", "«\u00a032/12/2026 14h00\u00a0»\u00a0: cette date n'existe pas",
     "'32/12/2026 14h00': no such date"),
    ("#assign jean", "«\u00a0jean\u00a0» n'est pas une adresse mail", "'jean' is not an email address"),
    ("#urgence urgent", "#urgency demande un chiffre de 1 à 5 (1 très basse … 5 très haute), pas «\u00a0urgent\u00a0»",
     "#urgency needs 1 to 5 (1 very low … 5 very high), not 'urgent'"),
    ("#kb", "#kb va avec un #solve dans le même message", "#kb needs a #solve in the same mail"),
    ("#help moi", "#help s'écrit seule sur sa ligne (écrivez le texte sur les lignes suivantes)",
     "#help takes no argument (write the text on the next lines)"),
])
def test_the_parser_gives_a_reason_said_in_either_language(line: str, french: str, english: str) -> None:
    assert errors(f"Bonjour\n{line}", "fr") == [french]
    assert errors(f"Bonjour\n{line}", "en") == [english]


def test_a_value_the_technician_wrote_is_shown_exactly_as_typed() -> None:
    (french,) = errors("#type panne : {x} ?", "fr")
    assert french == "#type demande incident ou demande (request), pas «\u00a0panne : {x} ?\u00a0»"


def test_a_new_reader_raising_a_plain_value_error_has_its_text_shown_as_is(monkeypatch: pytest.MonkeyPatch) -> None:
    """Commands added with `raise ValueError("…")` keep working: their text in every language."""

    def room(args: str, context: object) -> HelpCommand:
        raise ValueError(f"#help needs a room number, not '{args}'")

    monkeypatch.setitem(grammar._BY_WORD, "help", replace(SPECS["help"], read=room))
    result = parse_commands("#help 12b", tz=PARIS, now=NOW)
    (error,) = result.errors
    assert error.why == plain("#help needs a room number, not '12b'")
    assert error.why.text("fr") == error.why.text("en") == error.reason == "#help needs a room number, not '12b'"


def test_a_command_error_given_english_text_keeps_it() -> None:
    error = CommandError(3, "#room 12", "no such room")
    assert error.why.text("fr") == "no such room" and error.reason == "no such room"


def test_a_handler_refusal_with_a_code_or_with_plain_text() -> None:
    coded = Refused(because("not_a_technician", email="prof@lycee.example"))
    assert reason_of(coded).text("fr") == "prof@lycee.example ne fait pas partie de l'équipe technique"
    assert str(coded) == "prof@lycee.example is not a technician"
    assert reason_of(Refused("the room is closed")).text("fr") == "the room is closed"
    assert reason_of(ValueError("odd")).text("fr") == "odd"


def test_a_status_is_said_in_words_when_labels_are_given() -> None:
    reason = because("not_allowed_in_status", status="solved")
    assert reason.text("en") == "not allowed while the ticket is 'solved'"
    assert reason.text("fr", LABELS["fr"]) == "impossible tant que le ticket est «\u00a0résolu\u00a0»"


def test_the_trusted_server_refusal_is_said_in_french_inside_commands_refused() -> None:
    ok, why = vouched(("mx.lycee.example; dkim=pass header.d=attacker.example",), "mx.lycee.example",
                      "lycee.example")
    assert not ok and why is not None
    refused = because("commands_refused", why=why)
    assert refused.text("fr") == ("commandes refusées\u00a0: mx.lycee.example ne garantit pas que le message vient de"
                                  " lycee.example (dkim=pass header.d=attacker.example)")
    assert refused.text("en") == ("commands refused: mx.lycee.example did not vouch for lycee.example"
                                  " (dkim=pass header.d=attacker.example)")


def test_a_reason_goes_through_the_outbox_and_back() -> None:
    reason = because("commands_refused", why=because("auth_missing", server="mx.lycee.example"))
    assert Reason.from_json(reason.to_json()) == reason
    assert Reason.from_json(plain("as typed").to_json()).text("fr") == "as typed"


def test_a_reason_this_version_does_not_know_still_says_something() -> None:
    assert Reason("room_closed", (("room", "B12"),)).text("fr") == "room_closed room=B12"


def test_a_code_missing_from_the_table_is_a_mistake_found_at_once() -> None:
    with pytest.raises(KeyError, match="add it to mailbot/parsers/reasons.py"):
        because("no_such_code")


def test_a_reason_error_is_a_value_error_with_the_english_text() -> None:
    error = ReasonError(because("duration_zero", text="0h"))
    assert isinstance(error, ValueError) and str(error) == "'0h': a duration must be more than zero"
