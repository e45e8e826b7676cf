"""A technician's sign-off under their commands is a signature, not a message (docs/BEHAVIOUR.md,
"Technician commands"): the rule of mailbot.parsers.signoff, on real sign-offs in French and English."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from mailbot.parsers.commands import parse_commands
from mailbot.parsers.signoff import name_parts, strip_signoff

CAMILLE = name_parts("Camille Tech", "camille.tech@lycee.example")


@pytest.mark.parametrize("text", [
    # French
    "Camille",
    "Cordialement",
    "Cordialement,\nCamille",
    "Bien cordialement,\n\nCamille Tech",
    "Bonne journée, Camille",
    "Bonne fin de journée !\nCamille",
    "Merci",
    "Merci à vous,\nCamille",
    "Merci d'avance.\nC. Tech",
    "Bien à vous\nCamille TECH",
    "Cdlt,\nCamille",
    "À bientôt,\nCamille",
    "Camille T.",
    "Merci, bonne journée",
    "Merci et bonne fin de journée à tous,\nCamille",
    # English
    "Best regards",
    "Kind regards,\nCamille",
    "Thanks,\nCamille Tech",
    "Thank you all!",
    "Cheers, Camille",
    "Many thanks\n\nCamille",
    "Thanks and regards,\nCamille",
    # signature blocks and phones
    "-- \nCamille Tech\nTechnicienne informatique\nLycée Jean Moulin",
    "Envoyé de mon iPhone",
    "Sent from my iPhone",
    "Cordialement,\n\nCamille Tech\nTechnicienne informatique\nLycée Jean Moulin\nTél. 01 23 45 67 89",
    "Cordialement,\nCamille\n\nEnvoyé depuis mon smartphone Samsung Galaxy",
    # a greeting with nothing but a sign-off under it says nothing
    "Bonjour,\n\nCordialement,\nCamille",
    "Bonjour Loïc,\nCamille",
    "Hello,\nThanks,\nCamille",
])
def test_a_sign_off_alone_leaves_no_message(text):
    assert strip_signoff(text, CAMILLE) == ""


@pytest.mark.parametrize("text, message", [
    ("Je passe cet après-midi.\nCamille", "Je passe cet après-midi."),
    ("Je passe cet après-midi.\n\nCordialement,\nCamille", "Je passe cet après-midi."),
    ("Bonjour,\nLe poste redémarre normalement.\nBonne journée, Camille",
     "Bonjour,\nLe poste redémarre normalement."),
    ("I'll come by at 2 pm.\n\nBest regards,\nCamille Tech", "I'll come by at 2 pm."),
    ("Le câble était débranché.\n-- \nCamille Tech\nLycée Jean Moulin", "Le câble était débranché."),
    ("Le câble était débranché.\n\nEnvoyé de mon iPhone", "Le câble était débranché."),
    # someone the mail does not name signs under a sign-off phrase: still a signature
    ("Je passe demain.\nCordialement,\nDominique Martin", "Je passe demain."),
    # a capitalised closing line that thanks the reader
    ("Le poste est réparé.\nMerci Loïc", "Le poste est réparé."),
])
def test_a_message_keeps_its_sentences_and_loses_its_sign_off(text, message):
    assert strip_signoff(text, CAMILLE) == message


@pytest.mark.parametrize("text", [
    "Merci pour votre patience.",
    "Merci de redémarrer le poste avant mon passage.",
    "Thanks for the quick reply, the printer works again.",
    "Best practice: reboot first.",
    "Merci\nJe repasse demain",  # a short line under a sign-off word, no name: a message
    "Bonjour, je passe demain.",
    "OK",
    "Bonne nouvelle : le disque est sain.",
    "Merci, bonne journée pour les tests de demain",
    "Thanks and sorry for the delay",
])
def test_real_sentences_stay(text):
    assert strip_signoff(text, CAMILLE) == text


def test_a_name_is_only_a_signature_when_it_is_the_senders():
    assert strip_signoff("Je passe cet après-midi.\nDominique", CAMILLE) == "Je passe cet après-midi.\nDominique"
    assert strip_signoff("Je passe cet après-midi.\nCamille", frozenset()) == "Je passe cet après-midi.\nCamille"


def test_name_parts_come_from_names_and_addresses():
    assert name_parts("Jean-Pierre Lefèvre", "jp.lefevre@lycee.example") == {
        "jean-pierre", "jean", "pierre", "lefevre", "jp"}


PARIS = ZoneInfo("Europe/Paris")
NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


def test_the_command_parser_drops_the_sign_off_after_commands_only():
    parse = parse_commands("#take\n#task 0h15 Redémarrage\n\nCordialement,\nCamille", tz=PARIS, now=NOW, names=CAMILLE)
    assert parse.errors == () and parse.remaining_text == ""
    # a task without its own description takes the text, never the signature
    task = parse_commands("#task 0h15\nRedémarrage du poste.\nCamille", tz=PARIS, now=NOW, names=CAMILLE)
    assert task.remaining_text == "Redémarrage du poste."
    # a solution that is only a sign-off is an empty solution
    solve = parse_commands("#solve\nCordialement,\nCamille", tz=PARIS, now=NOW, names=CAMILLE)
    assert [e.reason for e in solve.errors] == ["a solution cannot be empty"]
    # without commands the text is whole: a plain followup keeps its sign-off
    plain = parse_commands("Je passe.\nCamille", tz=PARIS, now=NOW, names=CAMILLE)
    assert plain.remaining_text == "Je passe.\nCamille"
