"""The command hints of technicians' notifications: the commands the status allows, in words."""

from __future__ import annotations

import pytest

from mailbot.outbound.hints import hint_lines

EXPECTED = {
    ("new", "fr"): ("#take – vous attribue le ticket", "#task 0h15 … – ajoute une tâche",
                    "#solve … – propose une solution"),
    ("new", "en"): ("#take – assigns the ticket to you", "#task 0h15 … – adds a task",
                    "#solve … – proposes a solution"),
    ("assigned", "fr"): ("#task 0h15 … – ajoute une tâche", "#solve … – propose une solution",
                         "#hold … – met le ticket en attente"),
    ("assigned", "en"): ("#task 0h15 … – adds a task", "#solve … – proposes a solution",
                         "#hold … – puts the ticket on hold"),
    ("planned", "fr"): ("#task 0h15 … – ajoute une tâche", "#solve … – propose une solution",
                        "#hold … – met le ticket en attente"),
    ("planned", "en"): ("#task 0h15 … – adds a task", "#solve … – proposes a solution",
                        "#hold … – puts the ticket on hold"),
    ("waiting", "fr"): ("#resume – sort le ticket de l'attente", "#task 0h15 … – ajoute une tâche",
                        "#solve … – propose une solution"),
    ("waiting", "en"): ("#resume – takes the ticket out of waiting", "#task 0h15 … – adds a task",
                        "#solve … – proposes a solution"),
    ("solved", "fr"): ("#solve … – propose une solution", "#close … – clôt le ticket"),
    ("solved", "en"): ("#solve … – proposes a solution", "#close … – closes the ticket"),
    ("closed", "fr"): (),
    ("closed", "en"): (),
}


@pytest.mark.parametrize(("status", "language"), list(EXPECTED))
def test_hints_name_the_commands_the_status_allows(status: str, language: str) -> None:
    assert hint_lines(status, language) == EXPECTED[(status, language)]


def test_a_new_ticket_is_taken_not_resumed_and_a_waiting_one_resumed_not_taken() -> None:
    assert not any(line.startswith("#resume") for line in hint_lines("new", "fr"))
    assert not any(line.startswith("#take") for line in hint_lines("waiting", "en"))


def test_an_open_ticket_gets_two_or_three_lines() -> None:
    for status in ("new", "assigned", "planned", "waiting", "solved"):
        assert 2 <= len(hint_lines(status, "fr")) <= 3


def test_a_technician_who_has_the_ticket_is_not_told_to_take_it() -> None:
    assert hint_lines("new", "fr")[0].startswith("#take")
    assert not any(line.startswith("#take") for line in hint_lines("new", "fr", has_it=True))
    assert hint_lines("new", "en", has_it=True)[0].startswith("#task")
