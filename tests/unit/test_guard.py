"""Automatic mail is recognised before anything else, so that no robot ever gets an answer."""

import pytest

from mailbot.parsers.message import parse_message
from mailbot.parsers.types import AutoVerdict

HELPDESK = "helpdesk@lycee.example"


def verdict(headers: str, *, sender: str = "Jean <jean@lycee.example>", subject: str = "Imprimante",
            body: str = "Bonjour", content_type: str = "text/plain; charset=utf-8", **kwargs):
    raw = f"From: {sender}\nTo: {HELPDESK}\nSubject: {subject}\n{headers}Content-Type: {content_type}\n\n{body}\n"
    return parse_message(raw.encode(), helpdesk_address=HELPDESK, **kwargs).auto


def test_a_person_writing_is_not_automatic():
    assert verdict("Message-ID: <abc@lycee.example>\nReturn-Path: <jean@lycee.example>\n") is None


@pytest.mark.parametrize(
    "headers, reason",
    [
        ("Auto-Submitted: auto-replied\n", "Auto-Submitted: auto-replied"),
        ("Auto-Submitted: Auto-Replied (vacation)\n", "Auto-Submitted: auto-replied (vacation)"),
        ("X-Autoreply: yes\n", "X-Autoreply header"),
        ("X-Autorespond: Out of office\n", "X-Autorespond header"),
        ("X-Auto-Response-Suppress: All\n", "X-Auto-Response-Suppress: All"),
        ("X-Auto-Response-Suppress: DR, OOF, AutoReply\n", "X-Auto-Response-Suppress: DR, OOF, AutoReply"),
        ("Precedence: auto_reply\n", "Precedence: auto_reply"),
    ],
)
def test_auto_reply_headers_give_an_autoreply(headers, reason):
    assert verdict(headers) == AutoVerdict("autoreply", reason)


def test_exchange_suppress_values_without_autoreply_meaning_are_not_automatic():
    assert verdict("X-Auto-Response-Suppress: DR, RN, NRN\n") is None


def test_out_of_office_subject_on_a_machine_marked_mail_is_an_autoreply():
    auto = verdict("Auto-Submitted: auto-generated\n", subject="Réponse automatique : Imprimante")
    assert (auto.kind, auto.reason) == ("autoreply", "out-of-office subject with Auto-Submitted: auto-generated")


def test_out_of_office_subject_from_a_person_is_not_automatic():
    assert verdict("", subject="Absence de la salle 12 : vidéoprojecteur") is None


@pytest.mark.parametrize(
    "headers, sender, reason",
    [
        ("Auto-Submitted: auto-generated\n", None, "Auto-Submitted: auto-generated"),
        ("Auto-Submitted: auto-notified\n", None, "Auto-Submitted: auto-notified"),
        ("Precedence: bulk\n", None, "Precedence: bulk"),
        ("Precedence: junk\n", None, "Precedence: junk"),
        ("Precedence: list\n", None, "Precedence: list"),
        ("List-Id: <profs.lycee.example>\n", None, "List-Id header"),
        ("Return-Path: <>\n", None, "empty Return-Path"),
        ("", "noreply@pronote.example", "robot sender noreply@pronote.example"),
        ("", "No-Reply <no-reply@ent.example>", "robot sender no-reply@ent.example"),
        ("", "postmaster@lycee.example", "robot sender postmaster@lycee.example"),
        ("", "MAILER-DAEMON@lycee.example", "robot sender mailer-daemon@lycee.example"),
        ("", "Helpdesk <HELPDESK@lycee.example>", "sent by the helpdesk address itself"),
        ("", "helpdesk+59@lycee.example", "sent by the helpdesk address itself"),
        ("Message-ID: <mailbot.59.3.abcd@lycee.example>\n", None, "Message-ID is one of ours"),
    ],
)
def test_machine_mail_is_recognised_with_a_reason_naming_the_header(headers, sender, reason):
    auto = verdict(headers, sender=sender or "Jean <jean@lycee.example>")
    assert (auto.kind, auto.reason) == ("machine", reason)


def test_auto_submitted_no_is_a_person():
    assert verdict("Auto-Submitted: no\n") is None


def test_our_message_id_domain_can_differ_from_the_helpdesk_domain():
    headers = "Message-ID: <mailbot.59.3.abcd@mail.lycee.example>\n"
    assert verdict(headers) is None
    assert verdict(headers, own_message_id_domain="mail.lycee.example").kind == "machine"


def test_someone_elses_mailbot_prefix_is_not_ours():
    assert verdict("Message-ID: <mailbot.12@other.example>\n") is None


def test_delivery_status_report_is_a_bounce_and_names_the_bounced_notification():
    body = (
        "--b\nContent-Type: text/plain\n\nUser unknown\n"
        "--b\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx\n\nAction: failed\n\n"
        "--b\nContent-Type: message/rfc822\n\nMessage-ID: <mailbot.59.5.ff@lycee.example>\nSubject: x\n\nold\n"
        "--b--"
    )
    raw = (
        "From: MAILER-DAEMON@mx.lycee.example\nTo: helpdesk@lycee.example\nSubject: Undelivered\n"
        "Auto-Submitted: auto-replied\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="b"\n\n' + body
    )
    mail = parse_message(raw.encode(), helpdesk_address=HELPDESK)
    assert (mail.auto.kind, mail.auto.reason) == ("bounce", "multipart/report delivery status")
    assert mail.bounced_message_ids == ("mailbot.59.5.ff@lycee.example",)
    assert mail.text == "User unknown"


def test_postmaster_mail_with_the_original_attached_is_a_bounce():
    raw = (
        "From: postmaster@lycee.example\nTo: helpdesk@lycee.example\nSubject: Delivery failure\n"
        'Content-Type: multipart/mixed; boundary="b"\n\n'
        "--b\nContent-Type: text/plain\n\nCould not deliver.\n"
        "--b\nContent-Type: text/rfc822-headers\n\nMessage-ID: <mailbot.7.1.aa@lycee.example>\n\n--b--\n"
    )
    mail = parse_message(raw.encode(), helpdesk_address=HELPDESK)
    assert (mail.auto.kind, mail.auto.reason) == ("bounce", "delivery report from postmaster")
    assert mail.bounced_message_ids == ("mailbot.7.1.aa@lycee.example",)


def test_plain_text_bounce_quoting_the_original_headers_names_it():
    raw = (
        "From: MAILER-DAEMON@old.example\nTo: helpdesk@lycee.example\nSubject: failure\n"
        "X-Failed-Recipients: gone@old.example\n\n"
        "Delivery failed.\n\n------ This is a copy of the message\n\nMessage-ID: <mailbot.8.2.bb@lycee.example>\n"
    )
    mail = parse_message(raw.encode(), helpdesk_address=HELPDESK)
    assert mail.auto.kind == "bounce"
    assert mail.bounced_message_ids == ("mailbot.8.2.bb@lycee.example",)


def test_only_bounces_report_bounced_message_ids():
    raw = (
        "From: jean@lycee.example\nSubject: fwd\nContent-Type: multipart/mixed; boundary=b\n\n"
        "--b\nContent-Type: text/plain\n\nsee attached\n"
        "--b\nContent-Type: message/rfc822\n\nMessage-ID: <mailbot.9.1.cc@lycee.example>\n\nold\n--b--\n"
    )
    mail = parse_message(raw.encode(), helpdesk_address=HELPDESK)
    assert mail.auto is None and mail.bounced_message_ids == ()


def test_our_own_notification_coming_back_is_machine_mail_not_an_autoreply():
    headers = (
        "Message-ID: <mailbot.59.3.abcd@lycee.example>\nAuto-Submitted: auto-generated\n"
        "X-Auto-Response-Suppress: All\n"
    )
    auto = verdict(headers, sender=f"Helpdesk <{HELPDESK}>", subject="[Ticket #59] Réponse automatique")
    assert auto == AutoVerdict("machine", "Message-ID is one of ours")


def test_read_receipt_report_is_machine_mail():
    raw = (
        "From: jean@lycee.example\nSubject: Lu : Imprimante\n"
        "Content-Type: multipart/report; report-type=disposition-notification; boundary=b\n\n"
        "--b\nContent-Type: text/plain\n\nLu.\n--b--\n"
    )
    auto = parse_message(raw.encode(), helpdesk_address=HELPDESK).auto
    assert auto == AutoVerdict("machine", "multipart/report disposition-notification")
