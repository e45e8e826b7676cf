"""Reading `#kb` (save, category, edit, publish, unpublish) and `#search` lines."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from mailbot.parsers.command_values import KbCommand, SearchCommand
from mailbot.parsers.commands import parse_commands


def parse(text):
    return parse_commands(text, tz=ZoneInfo("Europe/Paris"), now=datetime(2026, 11, 30, 9, 0, tzinfo=UTC))


def only(text):
    result = parse(text)
    assert result.errors == ()
    return [c for c in result.commands if isinstance(c, (KbCommand, SearchCommand))]


@pytest.mark.parametrize("line, action, article, category", [
    ("#kb", "save", None, None),
    ("#kb Imprimantes réseau", "save", None, "Imprimantes réseau"),
    ("#bc: imprimantes", "save", None, "imprimantes"),
    ("#kb publish 12", "publish", 12, None),
    ("#kb Publier #12", "publish", 12, None),
    ("#kb unpublish 3", "unpublish", 3, None),
    ("#kb dépublier 3", "unpublish", 3, None),
])
def test_kb_lines_give_the_action_the_article_and_the_category(line, action, article, category):
    extra = "#solve\n" if action == "save" else ""
    [kb] = only(f"{extra}{line}\nLe texte.")
    assert (kb.action, kb.article_id, kb.category) == (action, article, category)


def test_kb_edit_takes_the_mail_text_as_title_and_text():
    result = parse("#kb edit 4\nNouveau titre\nLa nouvelle procédure.\nSur deux lignes.")
    assert result.errors == ()
    assert result.uses_remaining_text  # the text goes to the article, not into a followup
    assert result.remaining_text == "Nouveau titre\nLa nouvelle procédure.\nSur deux lignes."


def test_below_the_title_of_a_kb_edit_lines_starting_with_a_hash_are_the_articles_text():
    """Commands may stand between `#kb edit N` and the title; from the title on, it is the article."""
    result = parse("#kb edit 4\n#kb publish 4\n\nCups\n#Listen localhost:631\n#hold\n  #tache 1h\nFin.")
    assert result.errors == ()
    assert [(c.action, c.article_id) for c in only("#kb edit 4\n#kb publish 4\nCups\n#hold\nFin.")] == [
        ("edit", 4), ("publish", 4)]
    assert result.remaining_text == "Cups\n#Listen localhost:631\n#hold\n  #tache 1h\nFin."
    # without `#kb edit`, the same lines are commands as ever
    assert [e.line for e in parse("Cups\n#Listen localhost:631").errors] == ["#Listen localhost:631"]


@pytest.mark.parametrize("text, reason", [
    ("#kb edit 4\nUn titre seul", "#kb edit needs the new title on the first line of the mail and the new text below it"),
    ("#kb edit\nTitre\nTexte", "#kb edit needs an article number, e.g. #kb edit 12"),
    ("#kb publish douze", "#kb publish needs an article number, e.g. #kb publish 12"),
    ("#kb publish 3 4", "#kb publish takes only the article number"),
    ("#kb imprimantes", "#kb needs a #solve in the same mail"),
    ("#solve ok\n#kb " + "x" * 101, "a knowledge-base category has at most 100 characters"),
    ("#search", "#search needs the words to look for, e.g. #search printer jam"),
])
def test_wrong_kb_and_search_lines_are_refused_with_the_reason(text, reason):
    assert [e.reason for e in parse(text).errors] == [reason]


@pytest.mark.parametrize("word", ["search", "chercher", "recherche", "Recherche"])
def test_search_and_its_french_aliases(word):
    [search] = only(f"#{word} mot de passe Pronote")
    assert search.words == "mot de passe Pronote"
    assert not search.touches_ticket


@pytest.mark.parametrize("text, french", [
    ("#kb edit 4\nUn titre seul",
     "#kb edit demande le nouveau titre sur la première ligne du message et le nouveau texte en dessous"),
    ("#kb publish douze", "#kb publish demande le numéro d'une fiche, par exemple #kb publish 12"),
    ("#kb publish 3 4", "#kb publish ne prend que le numéro de la fiche"),
    ("#solve ok\n#kb " + "x" * 101, "une catégorie de la base de connaissances a au plus 100 caractères"),
    ("#search", "#search demande les mots à chercher, par exemple #search imprimante bourrage"),
])
def test_wrong_kb_and_search_lines_are_explained_in_french_too(text, french):
    assert [e.why.text("fr") for e in parse(text).errors] == [french]


@pytest.mark.parametrize("line, needs", [
    ("#kb publish 3", False), ("#kb Publier douze", False), ("#kb edit", False),
    ("#kb", True), ("#kb imprimantes", True), ("#take", True), ("#tikets", False), ("#search", False),
])
def test_which_command_lines_need_a_ticket(line, needs):
    from mailbot.parsers.commands import line_needs_ticket

    assert line_needs_ticket(line) is needs
