"""The technician command lines of a mail, as the parser reads them (SPEC §4)."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mailbot.parsers.command_table import fold
from mailbot.parsers.commands import (
    COMMANDS,
    AssetCommand,
    AssignCommand,
    CloseCommand,
    HelpCommand,
    HoldCommand,
    KbCommand,
    ObserverCommand,
    PrivateCommand,
    RequesterCommand,
    ResumeCommand,
    SolveCommand,
    TaskCommand,
    TypeCommand,
    UrgencyCommand,
    help_text,
    parse_commands,
)
from mailbot.parsers.typography import french_spaces

PARIS = ZoneInfo("Europe/Paris")
NOW = datetime(2026, 11, 28, 10, 0, tzinfo=UTC)
DEC_1_14H_PARIS = datetime(2026, 12, 1, 13, 0, tzinfo=UTC)


def parse(text):
    return parse_commands(text, tz=PARIS, now=NOW)


def only_command(text):
    result = parse(text)
    assert result.errors == ()
    assert len(result.commands) == 1
    return result.commands[0]


def only_error(text):
    result = parse(text)
    assert len(result.errors) == 1, result.errors
    return result.errors[0].reason


@pytest.mark.parametrize("line, expected", [
    ("#private", PrivateCommand()),
    ("#prive", PrivateCommand()), ("#privé", PrivateCommand()),
    ("#hold", HoldCommand("")), ("#hold attente de la pièce", HoldCommand("attente de la pièce")),
    ("#attente pièce commandée", HoldCommand("pièce commandée")), ("#attendre", HoldCommand("")),
    ("#resume", ResumeCommand()), ("#reprendre", ResumeCommand()),
    ("#assign", AssignCommand(None)), ("#assign me", AssignCommand(None)),
    ("#assign moi", AssignCommand(None)), ("#assign ME", AssignCommand(None)),
    ("#assign tech@lycee.example", AssignCommand("tech@lycee.example")),
    ("#assigner Tech@Lycee.Example", AssignCommand("tech@lycee.example")),
    ("#attribuer Jean Martin <jean.martin@lycee.example>", AssignCommand("jean.martin@lycee.example")),
    ("#assign mailto:tech@lycee.example", AssignCommand("tech@lycee.example")),
    ("#take", AssignCommand(None)), ("#prendre", AssignCommand(None)),
    ("#observer prof@lycee.example", ObserverCommand("prof@lycee.example")),
    ("#observateur prof@lycee.example", ObserverCommand("prof@lycee.example")),
    ("#requester prof@lycee.example", RequesterCommand("prof@lycee.example")),
    ("#Demandeur Aïcha Prof <Aicha.Prof@lycee.example>", RequesterCommand("aicha.prof@lycee.example")),
    ("#solve", SolveCommand("")), ("#solve RAM remplacée", SolveCommand("RAM remplacée")),
    ("#resoudre RAM remplacée", SolveCommand("RAM remplacée")),
    ("#résoudre RAM remplacée", SolveCommand("RAM remplacée")),
    ("#solution RAM remplacée", SolveCommand("RAM remplacée")),
    ("#close", CloseCommand("")), ("#close doublon du #58", CloseCommand("doublon du #58")),
    ("#clore doublon", CloseCommand("doublon")), ("#fermer doublon", CloseCommand("doublon")),
    ("#type incident", TypeCommand("incident")), ("#type request", TypeCommand("request")),
    ("#type demande", TypeCommand("request")), ("#type Demande", TypeCommand("request")),
    ("#urgency 1", UrgencyCommand(1)), ("#urgency 5", UrgencyCommand(5)),
    ("#urgence 4", UrgencyCommand(4)), ("#urgence très haute", UrgencyCommand(5)),
    ("#urgence basse", UrgencyCommand(2)), ("#urgency very low", UrgencyCommand(1)),
    ("#urgency High", UrgencyCommand(4)),
    ("#asset Computer 203-02", AssetCommand("Computer 203-02")),
    ("#materiel Computer 203-02", AssetCommand("Computer 203-02")),
    ("#matériel Vidéoprojecteur B12", AssetCommand("Vidéoprojecteur B12")),
    ("#item Computer 203-02", AssetCommand("Computer 203-02")),
    ("#help", HelpCommand()), ("#aide", HelpCommand()),
])
def test_every_command_and_alias_gives_its_value(line, expected):
    command = only_command(f"{line}\nTexte.")
    assert command == replace(expected, line_number=1, line=line)


def test_kb_is_read_with_solve():
    result = parse("#solve Pilote réinstallé\n#kb\n#bc")
    assert result.errors == ()
    assert [type(c) for c in result.commands] == [SolveCommand, KbCommand, KbCommand]


@pytest.mark.parametrize("line", ["#TASK 1h", "#Tâche 1h", "#TACHE 1h", "#tache 1h", "  #task 1h",
                                  "\t#task 1h", "#task: 1h", "#task : 1h"])
def test_command_names_ignore_case_accents_indentation_and_a_colon(line):
    command = only_command(line)
    assert isinstance(command, TaskCommand) and command.duration_minutes == 60


@pytest.mark.parametrize("text", [
    "# blahblah", "#59", "#59 est un doublon", "##- Répondez au-dessus de cette ligne / Reply above this line -##",
    "voir #task plus haut", "> #task 1h", "#", "#1h30",
])
def test_lines_that_are_not_commands_stay_plain_text(text):
    result = parse(text)
    assert result.commands == () and result.errors == ()
    assert result.remaining_text == text.strip()


def test_remaining_text_is_the_mail_without_its_command_lines():
    result = parse("Bonjour,\n#task 0h15\n\nJ'ai changé la RAM.\n#private\n")
    assert result.remaining_text == "Bonjour,\n\nJ'ai changé la RAM."


def test_line_numbers_and_lines_are_those_of_the_mail():
    result = parse("Bonjour,\n\n   #hold pièce  \n")
    assert (result.commands[0].line_number, result.commands[0].line) == (3, "#hold pièce")


# --- #task ---------------------------------------------------------------------------------

@pytest.mark.parametrize("line, state, minutes, begin, description", [
    ("#task 0h15 Redémarrage du poste", "done", 15, None, "Redémarrage du poste"),
    ("#task 1h", "done", 60, None, ""),
    ("#task 2 h câblage", "done", 120, None, "câblage"),
    ("#task 45 min", "done", 45, None, ""),
    ("#task 1,5h", "done", 90, None, ""),
    ("#task todo 1h", "todo", 60, None, ""),
    ("#task afaire 1h", "todo", 60, None, ""),
    ("#task done 1h", "done", 60, None, ""),
    ("#task fait 1h", "done", 60, None, ""),
    ("#task info 0h15 appel", "information", 15, None, "appel"),
    ("#task information 0h15", "information", 15, None, ""),
    ("#task INFO 0h15", "information", 15, None, ""),
    ("#task 1h @ 01/12/2026 14h00 Réinstallation", "todo", 60, DEC_1_14H_PARIS, "Réinstallation"),
    ("#task 1h @01/12/2026 14:00", "todo", 60, DEC_1_14H_PARIS, ""),
    ("#task 1h @ 2026-12-01 14:00", "todo", 60, DEC_1_14H_PARIS, ""),
    ("#task 1h @ 2026-12-01T14:00 salle 203", "todo", 60, DEC_1_14H_PARIS, "salle 203"),
    ("#task 1h @ 01/12/2026 à 14h réunion", "todo", 60, DEC_1_14H_PARIS, "réunion"),
    ("#task done 1h @ 01/12/2026 14h00", "done", 60, DEC_1_14H_PARIS, ""),
    ("#task 1h @ 01/11/2026 09h00 fait hier", "done", 60,
     datetime(2026, 11, 1, 8, 0, tzinfo=UTC), "fait hier"),
])
def test_task_reads_state_duration_planning_and_description(line, state, minutes, begin, description):
    task = only_command(line)
    assert (task.state, task.duration_minutes, task.begin, task.description) == (state, minutes, begin, description)
    assert task.end == (begin + timedelta(minutes=minutes) if begin else None)


def test_task_planned_now_is_done_not_todo():
    task = parse_commands("#task 1h @ 28/11/2026 11h00", tz=PARIS, now=NOW).commands[0]
    assert task.begin == NOW and task.state == "done"


def test_several_task_lines_give_several_tasks():
    result = parse("#task 0h15 diagnostic\n#tâche 1h réparation\n#task 0h05")
    assert [c.duration_minutes for c in result.commands] == [15, 60, 5]


# --- errors --------------------------------------------------------------------------------

@pytest.mark.parametrize("line, reason", [
    ("#foo", "unknown command '#foo'"),
    ("#tsk 1h", "unknown command '#tsk' (did you mean #task?)"),
    ("#Approve", "unknown command '#Approve'"),
    ("#task", "#task needs a duration, e.g. #task 0h15"),
    ("#task todo", "#task needs a duration, e.g. #task 0h15"),
    ("#task 1h75 câblage", "'1h75': minutes must be below 60"),
    ("#task 0h", "'0h': a duration must be more than zero"),
    ("#task -1h", "'-1h': a duration must be positive"),
    ("#task Réparé l'imprimante", "'Réparé': not a duration (write e.g. 0h15, 1h30, 45min, 1:30, 1.5h)"),
    ("#task 90", "'90': add a unit, e.g. 90h or 90min"),
    ("#task 1h @", "a date and time are needed after @, e.g. @ 01/12/2026 14h00"),
    ("#task 1h @ 01/12/2026 réinstaller", "'01/12/2026': a time is needed, e.g. 01/12/2026 14h00"),
    ("#task 1h @ 32/12/2026 14h00", "'32/12/2026 14h00': no such date"),
    ("#task 1h @ demain 14h", "'demain 14h': not a date and time (write e.g. 2026-12-01 14:00 or 01/12/2026 14h00)"),
    ("#private oups", "#private takes no argument (write the text on the next lines)"),
    ("#resume maintenant", "#resume takes no argument (write the text on the next lines)"),
    ("#take jean@lycee.example", "#take takes no argument (write the text on the next lines)"),
    ("#help commandes", "#help takes no argument (write the text on the next lines)"),
    ("#assign jean", "'jean' is not an email address"),
    ("#assign jean@", "'jean@' is not an email address"),
    ("#observer", "#observer needs an email address"),
    ("#requester", "#requester needs an email address"),
    ("#demandeur Aïcha", "'Aïcha' is not an email address"),
    ("#observer prof@lycee.example collègue", "'prof@lycee.example collègue' is not an email address"),
    ("#type panne", "#type needs incident or request (demande), not 'panne'"),
    ("#type", "#type needs incident or request (demande), not ''"),
    ("#urgency 0", "#urgency needs 1 to 5 (1 very low … 5 very high), not '0'"),
    ("#urgency 6", "#urgency needs 1 to 5 (1 very low … 5 very high), not '6'"),
    ("#urgence urgent", "#urgency needs 1 to 5 (1 very low … 5 very high), not 'urgent'"),
    ("#asset", "#asset needs an item name, e.g. #asset Computer 203-02"),
    ("#kb", "#kb needs a #solve in the same mail"),
])
def test_a_wrong_command_line_is_an_error_with_its_reason(line, reason):
    result = parse(f"Texte.\n{line}")
    assert [(e.line_number, e.line, e.reason) for e in result.errors] == [(2, line, reason)]
    assert not result.ok


def test_an_empty_solution_is_an_error():
    assert only_error("#solve") == "a solution cannot be empty"
    assert only_error("#solve   \n\n#private") == "a solution cannot be empty"


def test_solve_without_text_takes_the_remaining_text_as_solution():
    result = parse("#solve\nLe pilote de l'imprimante a été réinstallé.")
    assert result.ok and result.commands[0].text == ""
    assert result.remaining_text == "Le pilote de l'imprimante a été réinstallé."
    assert result.uses_remaining_text


@pytest.mark.parametrize("name", ["solve", "close", "type", "urgency", "hold"])
def test_a_once_only_command_given_twice_is_an_error_on_the_second_line(name):
    argument = {"solve": " ok", "close": "", "type": " request", "urgency": " 2", "hold": ""}[name]
    result = parse(f"#{name}{argument}\n#{name}{argument}")
    assert [(e.line_number, e.line, e.reason) for e in result.errors] == [
        (2, f"#{name}{argument}", f"#{name} may be given only once per mail")]
    assert len(result.commands) == 1


def test_the_twenty_first_command_line_is_an_error():
    text = "\n".join(["#task 0h05"] * 22)
    result = parse(text)
    assert len(result.commands) == 20
    assert [(e.line_number, e.line, e.reason) for e in result.errors] == [
        (21, "#task 0h05", "too many command lines: at most 20")]
    assert result.remaining_text == ""


def test_every_wrong_line_is_reported_in_line_order():
    result = parse("#foo\n#task 1h\n#urgency 9\n#solve\ntexte")
    assert [e.line_number for e in result.errors] == [1, 3]
    assert [type(c) for c in result.commands] == [TaskCommand, SolveCommand]


# --- remaining text ------------------------------------------------------------------------

@pytest.mark.parametrize("text, used", [
    ("#task 0h15\nRedémarrage.", True),
    ("#task 0h15 Redémarrage\nDétails.", False),
    ("#solve\nSolution.", True),
    ("#solve Solution\nDétails.", False),
    ("#hold\nPièce commandée.", False),
    ("Juste du texte.", False),
])
def test_uses_remaining_text_when_a_task_or_solution_has_no_inline_text(text, used):
    assert parse(text).uses_remaining_text is used


# --- the table and #help -------------------------------------------------------------------

def test_every_command_of_the_table_has_a_reader_and_an_action_and_no_word_names_two_commands():
    from mailbot.workflow import registry

    words = [fold(w) for spec in COMMANDS for w in (spec.name, *spec.aliases)]
    assert len(words) == len(set(words))
    assert all(callable(spec.read) for spec in COMMANDS)
    assert [row.spec for row in registry.REGISTRY] == list(COMMANDS)  # one row each, in the table's order
    assert {spec.name for spec in COMMANDS} == {
        "task", "private", "hold", "resume", "assign", "take", "observer", "requester", "solve", "kb", "close",
        "type", "urgency", "asset", "help", "doc", "documents", "show", "tickets", "mesdemandes", "search"}


@pytest.mark.parametrize("language, sample", [
    ("fr", "#hold [raison]   (ou #attente, #attendre)"),
    ("en", "#hold [reason]   (also #attente, #attendre)"),
])
def test_help_lists_every_command_with_its_aliases_in_the_language(language, sample):
    text = help_text(language)
    assert sample in text
    for spec in COMMANDS:
        assert f"#{spec.name}" in text
        assert (spec.help_en if language == "en" else french_spaces(spec.help_fr)) in text


def test_help_in_an_unknown_language_is_french():
    assert help_text("de") == help_text("fr")


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(["#task", "#tâche", "#solve", "#kb", "#urgency", "#assign", "@", "1h",
                                 "1h75", "01/12/2026", "14h00", "me", "x@y", "#", "#59", "\n", " ", ":",
                                 "0001-01-01", "9999-12-31", "00h00", "29/03/2026", "02h30"])
                | st.text(max_size=5), max_size=30).map(lambda parts: "".join(parts)))
def test_any_text_gives_commands_or_errors_and_never_raises(text):
    result = parse(text)
    assert all(e.reason for e in result.errors)
