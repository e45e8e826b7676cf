"""The new text of a reply: our marker, quoted history and signatures go, the writer's words stay."""

from pathlib import Path

import pytest

from mailbot.parsers.message import parse_message
from mailbot.parsers.quoting import REPLY_MARKER, strip_reply

FIXTURES = Path(__file__).parents[1] / "fixtures" / "emails"


def new_text_of(name: str) -> str:
    raw = (FIXTURES / name).read_bytes()
    return parse_message(raw, helpdesk_address="helpdesk@lycee.example").new_text


# Our single marker line, in the situations GLPI's header/footer tests (29.1–29.7) cover.
@pytest.mark.parametrize(
    "fixture, expected",
    [
        ("reply_above_marker.eml", "My followup is located above the marker line."),
        ("reply_above_and_below_marker.eml", "My followup starts above the marker line..."),
        (
            "reply_under_marker.eml",
            (
                "My followup starts under the marker line...\n\n"
                "Un technicien a ajouté un suivi au ticket #101.\n\n"
                "HERE IS THE INITIAL NOTIFICATION CONTENT\n\n"
                "...and there is nothing above it."
            ),
        ),
        (
            "reply_under_marker_no_final_newline.eml",
            (
                "Un technicien a ajouté un suivi au ticket #101.\n\n"
                "HERE IS THE INITIAL NOTIFICATION CONTENT\n\n"
                "My followup is located at the very bottom."
            ),
        ),
        ("reply_above_quoted_marker.eml", "My followup is above a quoted marker."),
        (
            "reply_without_marker.eml",
            "The whole mail is my followup, there is no marker line.\n\nIt has two paragraphs.",
        ),
        ("reply_above_marker_html.eml", "My followup is written in HTML."),
    ],
)
def test_marker_line_cases_keep_what_the_writer_wrote(fixture, expected):
    assert new_text_of(fixture) == expected


def test_marker_constant_is_the_bilingual_line_of_the_notifications():
    assert REPLY_MARKER == "##- Répondez au-dessus de cette ligne / Reply above this line -##"


def test_marker_wrapped_by_a_narrow_client_still_cuts():
    text = "Oui, c'est réparé.\n\n> ##- Répondez au-dessus de cette ligne /\n> Reply above this line -##\n> old"
    assert strip_reply(text) == "Oui, c'est réparé."


def test_outlook_french_header_with_non_breaking_spaces_is_recognised():
    text = (
        "C'est bon pour moi.\n\nDe\u00a0: Helpdesk <helpdesk@lycee.example>\n"
        "Envoyé\u00a0: lundi 30 novembre 2026 09:40\nÀ\u00a0: Jean\nObjet\u00a0: [Ticket #59] x\n\nold text"
    )
    assert strip_reply(text) == "C'est bon pour moi."


def test_outlook_english_original_message_separator_is_cut():
    text = "Done, thanks.\n\n-----Original Message-----\nFrom: Helpdesk\nSent: Monday\n\nold"
    assert strip_reply(text) == "Done, thanks."


def test_french_message_original_separator_is_cut():
    text = "Merci beaucoup.\n\n-------- Message original --------\nSujet: x\nDate: y\n\nancien"
    assert strip_reply(text) == "Merci beaucoup."


def test_gmail_french_header_is_cut():
    text = "Toujours en panne.\n\nLe lun. 30 nov. 2026 à 09:40, Helpdesk <helpdesk@lycee.example> a écrit\u202f:\n\n> ancien"
    assert strip_reply(text) == "Toujours en panne."


def test_english_wrote_line_wrapped_on_two_lines_is_cut():
    text = "Works now.\n\nOn Mon, Nov 30, 2026 at 9:40 AM Helpdesk <helpdesk@lycee.example>\nwrote:\n\n> old"
    assert strip_reply(text) == "Works now."


def test_iphone_french_sent_from_line_and_quote_are_cut():
    text = "Oui\n\nEnvoyé de mon iPhone\n\n> Le 30 nov. 2026 à 09:40, Helpdesk a écrit :\n> ancien"
    assert strip_reply(text) == "Oui"


def test_signature_after_dash_dash_line_is_removed():
    text = "#task 0h15 câble changé\n\n-- \nTech Nicien\nService informatique"
    assert strip_reply(text) == "#task 0h15 câble changé"


def test_interleaved_quoted_lines_are_dropped():
    text = "> Avez-vous redémarré ?\nOui, deux fois.\n> Le voyant est-il vert ?\nNon, orange."
    assert strip_reply(text) == "Oui, deux fois.\nNon, orange."


def test_indentation_and_hyphen_lists_of_the_new_text_are_kept():
    text = "Liste :\n- écran\n- clavier\n    code indenté\n"
    assert strip_reply(text) == "Liste :\n- écran\n- clavier\n    code indenté"


def test_trailing_whitespace_and_blank_edges_are_removed():
    assert strip_reply("\n\n  Bonjour   \r\n\r\n\r\n") == "  Bonjour"


def test_a_reply_that_is_only_quoted_text_is_kept_rather_than_lost():
    text = "> ##- Répondez au-dessus de cette ligne / Reply above this line -##\n> seulement une citation"
    assert strip_reply(text) == "> seulement une citation"
