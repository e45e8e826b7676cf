"""Rendering outbox rows into mails: headers, both parts, both languages, escaping, dates."""

from __future__ import annotations

import re
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from html import unescape
from types import SimpleNamespace
from typing import Any
from urllib.parse import unquote, urlsplit
from zoneinfo import ZoneInfo

import pytest

from mailbot.outbound.render import REPLY_MARKER, render
from mailbot.parsers.approval import read_reply
from mailbot.parsers.quoting import strip_reply

PARIS = ZoneInfo("Europe/Paris")
TICKET = {"id": 59, "title": "Ordinateur très lent", "status": "solved", "type": "incident",
          "urgency": 3, "requester": "loic.medori@lycee.example"}
THREAD = {"in_reply_to": "CAB123@mail.lycee.example", "references": ["CAB123@mail.lycee.example"]}
HELP = "#task [todo|done|info] DURÉE [@ DATE HEURE] [description]\n#hold [raison]"

EVENT_CONTEXTS: dict[str, dict[str, Any]] = {
    "ticket_created": {"text": "Mon ordinateur met 10 minutes à démarrer.",
                       "kb_articles": [{"id": 4, "title": "Nettoyer le disque dur"}], "follows_ticket_id": None},
    "followup_added": {"text": "J'ai redémarré, sans effet.", "private": False},
    "task_added": {"task": {"content": "Remplacement de la barrette mémoire", "state": "todo",
                            "duration_minutes": 90, "begin": "2026-12-01T13:00:00+00:00",
                            "end": "2026-12-01T14:30:00+00:00"}, "private": False},
    "status_waiting": {"text": "En attente de la pièce"},
    "solved": {"solution": {"content": "La mémoire a été remplacée."}, "autoclose_at": "2026-12-02T09:00:00+00:00"},
    "solution_approved": {},
    "solution_refused": {"reason": "Toujours aussi lent le matin."},
    "closed": {"text": "", "automatic": True},
}
ANSWER_CONTEXTS: dict[str, dict[str, Any]] = {
    "command_errors": {"errors": [{"line_number": 3, "line": "#tsk 1h", "reason": "unknown command"}],
                       "help": HELP},
    "help": {"help": HELP},
    "refused_sender": {"reason": "unknown sender", "original_subject": "Imprimante en panne"},
    "not_participant": {"original_subject": "Re: [Ticket #59] Ordinateur très lent"},
    "reason_please": {},
    "solved_reply": {"autoclose_at": "2026-12-02T09:00:00+00:00"},
    "attachment_refused": {"attachments": [{"filename": "setup.exe", "reason": "blocked extension"}]},
}
ALL_EVENTS = [*EVENT_CONTEXTS, *ANSWER_CONTEXTS]


def outbox_row(event: str, language: str = "fr", **context: Any) -> SimpleNamespace:
    is_answer = event in ANSWER_CONTEXTS
    base = {"ticket": dict(TICKET), "actor": None if is_answer else {"name": "Jean Tech", "email": "tech@lycee.example"},
            "thread": dict(THREAD), "recipient_role": "sender" if is_answer else "requester"}
    defaults = ANSWER_CONTEXTS.get(event) or EVENT_CONTEXTS.get(event, {})
    return SimpleNamespace(event=event, recipient="loic.medori@lycee.example", language=language,
                           message_id="mailbot.59.3f2a9c@lycee.example", is_answer=is_answer,
                           context={**base, **defaults, **context})


def rendered(row: SimpleNamespace, timezone: ZoneInfo = PARIS) -> EmailMessage:
    """The mail as a client would read it: rendered, serialised, parsed back."""
    message = render(row, helpdesk_address="helpdesk@lycee.example", subject_tag="Ticket", timezone=timezone)
    return message_from_bytes(message.as_bytes(), policy=default)  # type: ignore[return-value]


def parts(message: EmailMessage) -> tuple[str, str]:
    return message.get_body(("plain",)).get_content(), message.get_body(("html",)).get_content()


def visible_text(html: str) -> str:
    body = html.split("<body", 1)[1].split(">", 1)[1]
    return unescape(re.sub(r"<[^>]+>", "", body)).strip()


@pytest.mark.parametrize("language", ["fr", "en"])
@pytest.mark.parametrize("event", ALL_EVENTS)
def test_every_mail_has_the_helpdesk_headers_and_both_parts(event: str, language: str) -> None:
    message = rendered(outbox_row(event, language))

    assert message["From"].addresses[0].display_name == "Helpdesk"
    assert message["From"].addresses[0].addr_spec == "helpdesk@lycee.example"
    assert message["To"] == "loic.medori@lycee.example"
    assert message["Subject"] == "[Ticket #59] Ordinateur très lent"
    assert message["Message-ID"] == "<mailbot.59.3f2a9c@lycee.example>"
    assert message["In-Reply-To"] == "<CAB123@mail.lycee.example>"
    assert message["References"] == "<CAB123@mail.lycee.example>"
    assert message["Date"].datetime is not None
    assert message["X-Auto-Response-Suppress"] == "All"
    assert message["Precedence"] is None
    assert message.get_content_type() == "multipart/alternative"
    text, html = parts(message)
    assert text.splitlines()[0] == REPLY_MARKER
    assert visible_text(html).splitlines()[0] == REPLY_MARKER
    greeting = {"fr": "Bonjour,", "en": "Hello,"}[language]
    assert greeting in text and greeting in html
    assert "#59" in text and "#59" in html


@pytest.mark.parametrize("event", EVENT_CONTEXTS)
def test_notifications_are_auto_generated(event: str) -> None:
    assert rendered(outbox_row(event))["Auto-Submitted"] == "auto-generated"


@pytest.mark.parametrize("event", ANSWER_CONTEXTS)
def test_answers_to_a_mail_are_auto_replied(event: str) -> None:
    assert rendered(outbox_row(event))["Auto-Submitted"] == "auto-replied"


def test_unknown_language_falls_back_to_french() -> None:
    text, _ = parts(rendered(outbox_row("followup_added", "de")))
    assert "Jean Tech a ajouté un message au ticket #59" in text


def test_french_and_english_say_the_same_thing_in_their_language() -> None:
    french, _ = parts(rendered(outbox_row("ticket_created", "fr")))
    english, _ = parts(rendered(outbox_row("ticket_created", "en")))
    assert "Nous avons bien reçu votre demande" in french
    assert "We have received your request" in english
    assert "Nettoyer le disque dur" in french and "Nettoyer le disque dur" in english


def test_script_in_a_followup_is_escaped_in_html_and_kept_as_typed_in_text() -> None:
    row = outbox_row("followup_added", text='<script>alert("x")</script> & <b>voilà</b>')
    text, html = parts(rendered(row))
    assert "<script>" not in html
    assert "&lt;script&gt;" in html
    assert '<script>alert("x")</script> & <b>voilà</b>' in text


def test_line_breaks_in_a_title_cannot_add_headers() -> None:
    ticket = {**TICKET, "title": "Panne\r\nBcc: victim@elsewhere.example\u2028X-Evil: 1"}
    message = rendered(outbox_row("followup_added", ticket=ticket))
    assert message["Bcc"] is None and message["X-Evil"] is None
    assert message["Subject"] == "[Ticket #59] Panne Bcc: victim@elsewhere.example X-Evil: 1"


def test_line_breaks_in_a_recipient_cannot_add_headers() -> None:
    row = outbox_row("followup_added")
    row.recipient = "loic.medori@lycee.example\r\nBcc: victim@elsewhere.example"
    message = rendered(row)
    assert message["Bcc"] is None


@pytest.mark.parametrize(("language", "approve", "refuse"), [("fr", "répondez « OK »", "« Je refuse »"),
                                                             ("en", 'reply "OK"', '"Refuse"')])
def test_solved_mail_explains_approval_and_links_both_answers(language: str, approve: str, refuse: str) -> None:
    text, html = parts(rendered(outbox_row("solved", language)))
    for part in (text, html):
        links = re.findall(r"mailto:[^\s\"<]+", part)
        subjects = sorted(unquote(urlsplit(link).query.removeprefix("subject=")) for link in links)
        assert subjects == ["[Ticket #59] APPROVE", "[Ticket #59] REFUSE"]
        assert all(link.startswith("mailto:helpdesk@lycee.example?subject=%5BTicket%20%2359%5D%20") for link in links)
        assert approve in part and refuse in part
    assert 'href="mailto:helpdesk@lycee.example?subject=%5BTicket%20%2359%5D%20APPROVE"' in html


def test_solved_mail_gives_the_closing_date_in_the_configured_time_zone() -> None:
    paris, _ = parts(rendered(outbox_row("solved", "fr")))
    montreal, _ = parts(rendered(outbox_row("solved", "en"), timezone=ZoneInfo("America/Montreal")))
    assert "clos automatiquement le mercredi 2 décembre 2026 à 10h00" in paris
    assert "closed automatically on Wednesday 2 December 2026 at 4:00" in montreal


def test_solved_mail_without_automatic_closing_says_it_stays_solved() -> None:
    text, _ = parts(rendered(outbox_row("solved", "fr", autoclose_at=None)))
    assert "restera résolu jusqu'à votre réponse" in text
    assert "clos automatiquement" not in text


def test_technicians_are_not_asked_to_approve_the_solution() -> None:
    text, _ = parts(rendered(outbox_row("solved", "fr", recipient_role="technician")))
    assert "mailto:" not in text
    assert "Le ticket #59 a été résolu par Jean Tech" in text


def test_the_replies_the_solved_mail_suggests_are_understood() -> None:
    assert read_reply("RE: [Ticket #59] Ordinateur très lent", "OK").kind == "approve"
    refusal = read_reply("RE: [Ticket #59] Ordinateur très lent", "Je refuse, l'imprimante n'imprime toujours pas")
    assert (refusal.kind, refusal.reason) == ("refuse", "l'imprimante n'imprime toujours pas")
    assert read_reply("[Ticket #59] REFUSE", "Toujours lent").kind == "refuse"


def test_a_reply_typed_above_the_marker_keeps_only_the_new_text() -> None:
    text, _ = parts(rendered(outbox_row("followup_added")))
    reply = "Merci, c'est réparé.\n\n" + "\n".join("> " + line for line in text.splitlines())
    assert strip_reply(reply) == "Merci, c'est réparé."


def test_task_dates_are_shown_in_the_time_zone() -> None:
    text, html = parts(rendered(outbox_row("task_added", "fr")))
    assert "Prévue le mardi 1 décembre 2026 à 14h00, jusqu'à 15h30." in text
    assert "Durée : 1h30" in text and "État : à faire" in text
    assert "mardi 1 décembre 2026 à 14h00" in html


def test_answer_without_ticket_answers_the_original_subject() -> None:
    row = outbox_row("refused_sender", ticket=None, thread={"in_reply_to": "", "references": []})
    message = rendered(row)
    assert message["Subject"] == "Re: Imprimante en panne"
    assert message["In-Reply-To"] is None and message["References"] is None
    text, _ = parts(message)
    assert "votre adresse n'est pas connue du helpdesk" in text


def test_help_without_ticket_or_subject_gets_a_plain_subject() -> None:
    message = rendered(outbox_row("help", "en", ticket=None))
    assert message["Subject"] == "Helpdesk commands"
    text, html = parts(message)
    assert "#hold [raison]" in text and "#hold [raison]" in html


def test_command_errors_list_each_rejected_line_then_the_help() -> None:
    row = outbox_row("command_errors", errors=[
        {"line_number": 2, "line": "#tsk 1h", "reason": "unknown command"},
        {"line_number": 4, "line": "#task 99x", "reason": "bad duration"}])
    text, html = parts(rendered(row))
    assert "Ligne 2 : #tsk 1h" in text and "Ligne 4 : #task 99x" in text
    assert text.index("bad duration") < text.index("#hold [raison]")
    assert "<code>#task 99x</code>" in html


def test_private_followup_says_it_is_private() -> None:
    text, _ = parts(rendered(outbox_row("followup_added", "en", private=True, recipient_role="technician")))
    assert "Jean Tech added a private message to ticket #59" in text


def test_accents_survive_the_trip_through_the_wire() -> None:
    text, html = parts(rendered(outbox_row("ticket_created", "fr")))
    assert "« Ordinateur très lent »" in text
    assert "à démarrer" in html


NASTY_TITLES = ["Écran noir après la mise à jour — salle 204 « urgent » 😱",
                "Panne\r\nBcc: victim@elsewhere.example",
                "Imprimante\u2028X-Evil: 1\u2029fin\x1e\x85",
                "Réseau " * 30 + "coupé"]


def _wire_round_trip(row: SimpleNamespace) -> tuple[EmailMessage, bytes]:
    from email.parser import BytesParser

    from mailbot.outbound.senders import as_wire_bytes

    message = render(row, helpdesk_address="helpdesk@lycee.example", subject_tag="Ticket", timezone=PARIS)
    wire = as_wire_bytes(message)
    return BytesParser(policy=default).parsebytes(wire), wire  # type: ignore[return-value]


@pytest.mark.parametrize("title", NASTY_TITLES)
@pytest.mark.parametrize("language", ["fr", "en"])
@pytest.mark.parametrize("event", ALL_EVENTS)
def test_every_mail_parses_back_exactly_with_non_ascii_and_line_breaks(event: str, language: str, title: str) -> None:
    actor = {"name": "Zoé\r\nBcc: x@evil.example L’Hôpital", "email": "zoe@lycee.example"}
    thread = {"in_reply_to": "<CAB-é\r\nX-Evil: 1@mail.lycee.example>",
              "references": ["first@mail.lycee.example", "<second@mail.lycee.example>"]}
    row = outbox_row(event, language, ticket={**TICKET, "title": title}, thread=thread,
                     **({} if event in ANSWER_CONTEXTS else {"actor": actor}))
    parsed, wire = _wire_round_trip(row)

    one_line_title = " ".join(title.splitlines()).strip()
    assert parsed["Subject"] == f"[Ticket #59] {one_line_title}"
    assert (parsed["From"].addresses[0].display_name, parsed["From"].addresses[0].addr_spec) == (
        "Helpdesk", "helpdesk@lycee.example")
    assert parsed["To"] == "loic.medori@lycee.example"
    assert parsed["Message-ID"] == "<mailbot.59.3f2a9c@lycee.example>"
    assert parsed["In-Reply-To"] == "<CAB-é X-Evil: 1@mail.lycee.example>"
    assert parsed["References"].split() == ["<first@mail.lycee.example>", "<second@mail.lycee.example>",
                                            "<CAB-é", "X-Evil:", "1@mail.lycee.example>"]
    assert parsed["Auto-Submitted"] == ("auto-replied" if event in ANSWER_CONTEXTS else "auto-generated")
    assert parsed["Content-Language"] == language
    assert parsed["Bcc"] is None and parsed["X-Evil"] is None
    assert not parsed.defects
    assert all(len(line) <= 998 for line in wire.split(b"\r\n"))
    assert b"\n" not in wire.replace(b"\r\n", b"")
    text, html = parts(parsed)
    assert text.splitlines()[0] == REPLY_MARKER
    assert parsed.get_body(("plain",)).get_content_charset() == "utf-8"
    assert parsed.get_body(("html",)).get_content_charset() == "utf-8"


def test_bodies_come_back_exactly_as_the_templates_wrote_them() -> None:
    row = outbox_row("followup_added", text="Ligne très longue " * 100 + "\nFrom the start\n.\n<b>gras</b> & é")
    parsed, wire = _wire_round_trip(row)
    text, html = parts(parsed)
    assert ("Ligne très longue " * 100).strip() in text
    assert "From the start" in text.splitlines() and ">From the start" not in text
    assert "&lt;b&gt;gras&lt;/b&gt; &amp; é" in html
    assert parsed.get_body(("plain",))["Content-Transfer-Encoding"] == "quoted-printable"
    assert all(len(line) <= 998 for line in wire.split(b"\r\n"))


def test_a_non_ascii_recipient_address_is_written_as_utf8_not_encoded_words() -> None:
    row = outbox_row("followup_added")
    row.recipient = "élève@lycée.example"
    _, wire = _wire_round_trip(row)
    assert "To: élève@lycée.example\r\n".encode() in wire
