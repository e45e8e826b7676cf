"""parse_message over the project's scenario mails: what a helpdesk user would check."""

from datetime import UTC, datetime
from pathlib import Path

import pytest

from mailbot.errors import ParseError
from mailbot.parsers.message import parse_message, parse_message_file
from mailbot.parsers.types import Address

FIXTURES = Path(__file__).parents[1] / "fixtures" / "emails"
HELPDESK = "helpdesk@lycee.example"


def parse(name: str, **kwargs):
    return parse_message((FIXTURES / name).read_bytes(), helpdesk_address=HELPDESK, **kwargs)


def test_outlook_french_reply_keeps_only_the_new_text():
    mail = parse("outlook_reply_fr.eml")
    assert mail.new_text == (
        "Bonjour,\n\nLe voyant orange clignote toujours, j'ai essayé de l'éteindre.\n\n"
        "Cordialement,\nJean Dupont"
    )
    assert "Un technicien a ajouté" in mail.text


def test_outlook_french_reply_names_its_ticket_and_thread():
    mail = parse("outlook_reply_fr.eml")
    assert mail.subject == "RE: [Ticket #59] Imprimante en panne salle 203"
    assert mail.title == "Imprimante en panne salle 203"
    assert mail.subject_ticket_id == 59
    assert mail.message_id == "AM0PR01MB1234@EURPRD01.prod.outlook.com"
    assert mail.in_reply_to == ("mailbot.59.4.a1b2c3@lycee.example",)
    assert mail.references == ("mailbot.59.1.0f0f0f@lycee.example", "mailbot.59.4.a1b2c3@lycee.example")
    assert mail.sender == Address("Jean Dupont", "jean.dupont@lycee.example")
    assert mail.date == datetime(2026, 11, 30, 9, 15, tzinfo=UTC)
    assert mail.auto is None


def test_gmail_english_reply_prefers_the_plain_part_and_drops_the_quote():
    mail = parse("gmail_reply_en.eml")
    assert mail.is_html_only is False
    assert mail.new_text == "I replaced the batteries of the remote, it works now.\nThanks!"
    assert mail.references == ("mailbot.60.1.aabb@lycee.example", "mailbot.60.2.ffee@lycee.example")
    assert mail.cc == (Address("Bob Stone", "bob.stone@lycee.example"),)


def test_thunderbird_french_reply_unwraps_flowed_text_and_drops_signature_and_quote():
    mail = parse("thunderbird_reply_fr.eml")
    assert mail.new_text == (
        "Bonjour,\n\nLe mot de passe a bien été réinitialisé, je peux de nouveau me connecter "
        "à l'ENT depuis la salle des professeurs."
    )
    assert mail.sender == Address("Chloé Leroy", "chloe.leroy@lycee.example")
    assert mail.title == "Accès ENT impossible"


def test_apple_mail_reply_from_an_iphone_keeps_only_the_sentence_typed():
    mail = parse("apple_mail_reply_en.eml")
    assert mail.new_text == "Still no connection on the second floor this morning."
    assert mail.subject_ticket_id is None
    assert mail.plus_ticket_id == 62
    assert mail.title == "Wi-Fi in the library"


def test_html_only_mail_becomes_readable_text_without_styles_or_scripts():
    mail = parse("html_only_fr.eml")
    assert mail.is_html_only is True
    assert mail.text == (
        "Bonjour,\n\nLe vidéoprojecteur de la salle 105 affiche « No signal ».\n\nMerci d'avance"
    )
    assert "alert" not in mail.text and "color" not in mail.text
    assert mail.subject == "Vidéoprojecteur salle 105"


def test_latin1_body_and_headers_are_stored_as_utf8_text():
    mail = parse("latin1_body.eml")
    assert mail.text == (
        "L'imprimante de la bibliothèque n'imprime plus en couleur depuis ce matin ; coût élevé !"
    )
    assert mail.subject == "Problème d'impression à la bibliothèque"
    assert mail.sender.name == "Renée Façon"


def test_unknown_charset_in_body_and_subject_falls_back_without_losing_accents():
    mail = parse("unknown_charset.eml")
    assert mail.text == "J'ai perdu ma clé USB en salle 12, quelqu'un l'a-t-il trouvée ?"
    assert mail.subject == "Clé USB perdue"


def test_new_ticket_lists_every_to_and_cc_address_for_observers():
    mail = parse("new_ticket_with_cc.eml")
    assert mail.sender == Address("Agnès Roux", "agnes.roux@lycee.example")
    assert mail.reply_to == Address("Agnes Roux", "agnes.roux@ac-exemple.fr")
    assert mail.to == (
        Address("Helpdesk", "helpdesk@lycee.example"),
        Address("Martin, Luc", "luc.martin@lycee.example"),
    )
    assert mail.cc == (
        Address("Proviseur adjoint", "proviseur.adjoint@lycee.example"),
        Address("", "secretariat@lycee.example"),
    )
    assert mail.title == "Ordinateur 203-02 très lent"
    assert mail.subject_ticket_id is None and mail.plus_ticket_id is None


def test_empty_in_reply_to_header_names_no_message():
    mail = parse("new_ticket_with_cc.eml")
    assert mail.in_reply_to == ()
    assert mail.thread_ids == ()


def test_authentication_results_are_kept_raw_and_unfolded():
    mail = parse("new_ticket_with_cc.eml")
    assert mail.authentication_results == (
        "mx.lycee.example; dkim=pass header.d=lycee.example; spf=pass smtp.mailfrom=lycee.example",
        "other.example; dmarc=none",
    )


def test_attachments_are_decoded_named_safely_and_inline_images_marked():
    mail = parse("attachment_pdf.eml")
    assert mail.text == "Voici la facture, et une capture de l'erreur."
    image, pdf, unnamed, attached_mail = mail.attachments
    assert (image.filename, image.inline, image.content_id) == ("attachment-1.png", True, "capture01@lycee.example")
    assert image.data == b"\x89PNG\r\n\x1a\n"
    assert pdf.filename == "relevé toner.pdf"
    assert pdf.content_type == "application/pdf"
    assert pdf.data.startswith(b"%PDF-1.4") and pdf.inline is False
    assert len(pdf.sha256) == 64
    assert unnamed.filename == "attachment-3.bin" and unnamed.data == b"\x00\x01\x02"
    assert attached_mail.filename == "Votre commande de toner.eml"
    assert b"Message-ID: <order-42@fournisseur.example>" in attached_mail.data


def test_bounce_reports_the_notification_it_bounces():
    mail = parse("bounce_dsn.eml")
    assert mail.auto is not None and mail.auto.kind == "bounce"
    assert mail.bounced_message_ids == ("mailbot.59.5.deadbeef@lycee.example",)


def test_out_of_office_reply_is_an_autoreply():
    mail = parse("ooo_autoreply.eml")
    assert mail.auto is not None and mail.auto.kind == "autoreply"
    assert mail.bounced_message_ids == ()


def test_parsing_a_file_gives_the_same_result_as_parsing_its_bytes():
    for path in sorted(FIXTURES.glob("*.eml")):
        from_file = parse_message_file(path, helpdesk_address=HELPDESK)
        assert from_file == parse_message(path.read_bytes(), helpdesk_address=HELPDESK), path.name


def test_a_subject_tag_word_can_be_configured():
    raw = b"From: a@b.example\nSubject: Re: [Demande #12] Souris\n\nx\n"
    mail = parse_message(raw, helpdesk_address=HELPDESK, subject_tag="Demande")
    assert (mail.subject_ticket_id, mail.title) == (12, "Souris")


def test_a_mail_without_subject_takes_its_title_from_the_first_line():
    raw = ("From: a@b.example\n\n\n  " + "Le poste du CDI ne démarre plus " * 4 + "\nsuite\n").encode()
    mail = parse_message(raw, helpdesk_address=HELPDESK)
    assert mail.subject == ""
    assert mail.title == ("Le poste du CDI ne démarre plus " * 3)[:80].rstrip()


def test_a_multi_line_subject_becomes_one_line():
    raw = b"From: a@b.example\nSubject: =?utf-8?Q?ligne_un=0Aligne=09deux?=\n\nx\n"
    assert parse_message(raw, helpdesk_address=HELPDESK).subject == "ligne un ligne deux"


def test_missing_from_gives_an_empty_sender_and_bad_date_gives_none():
    raw = b"Subject: hello\nDate: yesterday at noon\n\nbody\n"
    mail = parse_message(raw, helpdesk_address=HELPDESK)
    assert mail.sender == Address("", "")
    assert mail.date is None
    assert mail.reply_to is None


def test_first_valid_message_id_wins_when_there_are_several():
    raw = b"From: a@b.example\nMessage-ID:\nMessage-ID: <first@x.example>\nMessage-ID: <second@x.example>\n\nx\n"
    assert parse_message(raw, helpdesk_address=HELPDESK).message_id == "first@x.example"


def test_a_mail_without_message_id_is_keyed_by_its_content_without_transport_headers():
    mail = parse_message(b"From: a@b.example\n\nx\n", helpdesk_address=HELPDESK)
    relayed = parse_message(b"Received: from relay.example\nFrom: a@b.example\n\nx\n", helpdesk_address=HELPDESK)
    other = parse_message(b"From: a@b.example\n\ny\n", helpdesk_address=HELPDESK)
    assert mail.message_id == ""
    assert mail.mail_key == f"content:{mail.content_digest}" == relayed.mail_key
    assert other.mail_key != mail.mail_key


@pytest.mark.parametrize(
    "raw, words",
    [
        (b"", "empty"),
        (b"  \r\n\r\n", "empty"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "Outlook"),
        (b"just some words without any header\nand more\n", "no header"),
    ],
)
def test_input_that_is_not_a_mail_raises_parse_error(raw, words):
    with pytest.raises(ParseError, match=words):
        parse_message(raw, helpdesk_address=HELPDESK)


def test_an_outlook_msg_file_on_disk_raises_parse_error(tmp_path):
    path = tmp_path / "message.msg"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600)
    with pytest.raises(ParseError, match="Outlook"):
        parse_message_file(path, helpdesk_address=HELPDESK)
