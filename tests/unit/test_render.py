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
from jinja2 import StrictUndefined, UndefinedError

from mailbot.outbound.notifications import FOLDED_ANSWERS, leading_kind
from mailbot.outbound.render import REPLY_MARKER, TEMPLATE_OF, UNDEFINED, render
from mailbot.parsers.approval import read_reply
from mailbot.parsers.quoting import strip_reply

PARIS = ZoneInfo("Europe/Paris")
# the value production renders with, read before tests/conftest.py swaps in StrictUndefined
PRODUCTION_UNDEFINED = UNDEFINED
TICKET = {"id": 59, "title": "Ordinateur très lent", "status": "solved", "type": "incident",
          "urgency": 3, "requester": "loic.medori@lycee.example", "requester_name": "Loïc Medori",
          "assignees": ["Jean Tech"]}
THREAD = {"in_reply_to": "CAB123@mail.lycee.example", "references": ["CAB123@mail.lycee.example"]}
HELP = "#task [todo|done|info] DURÉE [@ DATE HEURE] [description]\n#hold [raison]"

EVENT_CONTEXTS: dict[str, dict[str, Any]] = {
    "ticket_created": {"text": "Mon ordinateur met 10 minutes à démarrer.",
                       "kb_articles": [{"id": 4, "title": "Nettoyer le disque dur", "status": "published",
                                        "extract": "Le \x02disque\x03 est plein", "category": None, "score": 1.0}],
                       "kb_suggestions": [{"id": 5, "title": "Démarrage lent", "status": "draft",
                                           "extract": "<b>\x02lent\x03", "category": None, "score": 1.0}],
                       "follows_ticket_id": None},
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
# What the reading commands asked for (mailbot/workflow/asked.py): each section, as the workflow writes it
HISTORY = {"id": 59, "title": "Ordinateur très lent", "status": "solved", "type": "incident", "urgency": 3,
           "requester": "Loïc Medori", "assignees": ["Jean Tech"], "observers": ["Aïcha Prof"],
           "items": [{"type": "computer", "name": "203-02"}], "created_at": "2026-11-30T09:00:00+00:00", "total_minutes": 45,
           "entries": [
               {"kind": "opened", "at": "2026-11-30T09:00:00+00:00", "by": "Loïc Medori", "text": "Très lent."},
               {"kind": "document", "at": "2026-11-30T09:00:00+00:00", "id": 3, "filename": "capture.png",
                "size": 12345},
               {"kind": "status", "at": "2026-11-30T09:30:00+00:00", "by": "Jean Tech", "from": "new",
                "to": "assigned"},
               {"kind": "followup", "at": "2026-11-30T09:30:00+00:00", "by": "Jean Tech", "text": "Vu.",
                "private": True, "unprocessed": False},
               {"kind": "task", "at": "2026-11-30T09:30:00+00:00", "by": "Jean Tech", "text": "Barrette",
                "state": "todo", "duration_minutes": 45, "begin": "2026-12-01T13:00:00+00:00",
                "end": "2026-12-01T13:45:00+00:00", "private": False},
               {"kind": "solution", "at": "2026-12-01T14:00:00+00:00", "by": "Jean Tech", "text": "Remplacée."},
               {"kind": "refused", "at": "2026-12-01T15:00:00+00:00", "reason": "Toujours lent."},
               {"kind": "approved", "at": "2026-12-02T08:00:00+00:00", "reason": ""}]}
DESK_ROW = {"id": 59, "status": "assigned", "title": "Ordinateur très lent", "requester": "Loïc Medori",
            "requester_email": "loic.medori@lycee.example", "items": [{"type": "computer", "name": "203-02"}], "followups": 2,
            "tasks": 1, "updated_at": "2026-11-30T09:30:00+00:00"}
DESK = {"in_progress": {"count": 3, "tickets": [DESK_ROW]}, "to_handle": {"count": 0, "tickets": []},
        "planning": [{"ticket_id": 59, "title": "Ordinateur très lent", "begin": "2026-12-01T13:00:00+00:00",
                      "end": "2026-12-01T13:45:00+00:00", "content": "Barrette"}], "limit": 50}
REQUESTS = {"count": 1, "limit": 50, "tickets": [{"id": 59, "title": "Ordinateur très lent", "status": "waiting",
                                                  "created_at": "2026-11-30T09:00:00+00:00",
                                                  "updated_at": "2026-11-30T09:30:00+00:00"}]}
KB_SEARCH = [{"words": "imprimante", "hits": [
    {"id": 12, "title": "Imprimante bloquée", "status": "draft", "category": None, "score": 1.0, "relevance": 0.9,
     "extract": "Retirer la feuille coincée dans l'\x02imprimante\x03"}]}, {"words": "zzz", "hits": []}]
NOTHING_ASKED = {"history": None, "tickets_view": None, "my_requests": None, "kb_search": None, "help": "",
                 "document_ids": [], "documents_asked": False}

ANSWER_CONTEXTS: dict[str, dict[str, Any]] = {
    "command_errors": {"errors": [{"line_number": 3, "line": "#tsk 1h", "reason": "unknown command '#tsk' (did you mean #task?)",
                                   "why": {"code": "unknown_command_hint", "params": {"word": "tsk", "suggestion": "task"}}}],
                       "help": HELP},
    "help": {"help": HELP},
    "commands_applied": {"applied": [{"kind": "taken"},
                                     {"kind": "task", "duration_minutes": 15, "state": "done", "begin": None},
                                     {"kind": "followup"}],
                         "status": "assigned", "total_minutes": 45, "planned_minutes": 0, **NOTHING_ASKED,
                         "history": HISTORY},
    "refused_sender": {"reason": "unknown sender", "original_subject": "Imprimante en panne"},
    "not_participant": {"original_subject": "Re: [Ticket #59] Ordinateur très lent"},
    "reason_please": {},
    "solved_reply": {"autoclose_at": "2026-12-02T09:00:00+00:00"},
    "attachment_refused": {"attachments": [{"filename": "setup.exe", "code": "blocked_type", "detail": ".exe",
                                            "reason": "files of type .exe are not accepted"}]},
    "ticket_history": {**NOTHING_ASKED, "history": HISTORY},
    "documents": {**NOTHING_ASKED, "document_ids": [3], "documents_asked": True},
    "tickets_view": {**NOTHING_ASKED, "tickets_view": DESK, "help": HELP},
    "my_requests": {**NOTHING_ASKED, "my_requests": REQUESTS},
    "kb_search": {**NOTHING_ASKED, "kb_search": KB_SEARCH},
    "kb_applied": {**NOTHING_ASKED, "kb_search": KB_SEARCH,
                   "applied": [{"kind": "kb_publish", "category": None, "article_id": 12,
                                "title": "Imprimante bloquée", "changed": True}]},
    "sign_in_link": {"link": "https://desk.lycee.example/signin/abc", "minutes": 15},
}
ALL_EVENTS = [*EVENT_CONTEXTS, *ANSWER_CONTEXTS]
# What the subject says happened, between the tag and the title, for the rows of `outbox_row`
# (events to the requester, answers to their sender); other mails carry the title alone.
HAPPENED = {("solved", "fr"): "Résolu – merci de confirmer\u00a0: ", ("solved", "en"): "Solved – please confirm: ",
            ("closed", "fr"): "Clos\u00a0: ", ("closed", "en"): "Closed: ",
            ("command_errors", "fr"): "Commandes refusées\u00a0: ", ("command_errors", "en"): "Commands refused: ",
            ("ticket_history", "fr"): "Historique\u00a0: ", ("ticket_history", "en"): "History: ",
            ("documents", "fr"): "Documents\u00a0: ", ("documents", "en"): "Documents: ",
            ("solution_refused", "fr"): "Solution refusée – demande rouverte\u00a0: ",
            ("solution_refused", "en"): "Solution refused – request reopened: "}


# The keys of a notification row itself; an event's other keys are in its part.
ROW_KEYS = {"ticket", "thread", "recipient_role"}


def outbox_row(event: str, language: str = "fr", **context: Any) -> SimpleNamespace:
    """A row as the outbox writes it (mailbot/outbound/outbox.py): an answer with its context, or
    a notification of one event, told as its one part (`event_row` for several)."""
    if event not in ANSWER_CONTEXTS:
        return event_row([(event, context)], language, **{k: v for k, v in context.items() if k in ROW_KEYS})
    base = {"ticket": dict(TICKET), "actor": None, "thread": dict(THREAD), "recipient_role": "sender"}
    return SimpleNamespace(event=event, recipient="loic.medori@lycee.example", language=language,
                           message_id="mailbot.59.3f2a9c@lycee.example", is_answer=True,
                           context={**base, **ANSWER_CONTEXTS[event], **context})


def event_row(events: list[tuple[str, dict[str, Any]]], language: str = "fr", **row: Any) -> SimpleNamespace:
    """A notification telling these events in order, each with its default context and changes."""
    role = row.get("recipient_role", "requester")
    told = [{"kind": kind, "actor": {"name": "Jean Tech", "email": "tech@lycee.example"}, "private": False,
             "own": False, "recipient_role": role, **{**EVENT_CONTEXTS, **ANSWER_CONTEXTS}[kind],
             **{k: v for k, v in changes.items() if k not in ROW_KEYS}} for kind, changes in events]
    return SimpleNamespace(event=leading_kind(kind for kind, _ in events), recipient="loic.medori@lycee.example",
                           language=language, message_id="mailbot.59.3f2a9c@lycee.example", is_answer=False,
                           context={"ticket": dict(TICKET), "thread": dict(THREAD), "recipient_role": role,
                                    **row, "parts": told})


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

    # without MAILBOT_HELPDESK_NAME: the address alone
    assert message["From"].addresses[0].display_name == ""
    assert message["From"].addresses[0].addr_spec == "helpdesk@lycee.example"
    assert message["To"] == "loic.medori@lycee.example"
    assert message["Subject"] == f"[Ticket #59] {HAPPENED.get((event, language), '')}Ordinateur très lent"
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


@pytest.mark.parametrize(("language", "approve", "refuse", "verbs"), [
    ("fr", "répondez «\u00a0OK\u00a0»", "«\u00a0Je refuse\u00a0»", ("APPROUVER", "REFUSER")),
    ("en", 'reply "OK"', '"Refuse"', ("APPROVE", "REFUSE"))])
def test_solved_mail_explains_approval_and_links_both_answers(language: str, approve: str, refuse: str,
                                                              verbs: tuple[str, str]) -> None:
    text, html = parts(rendered(outbox_row("solved", language)))
    for part in (text, html):
        links = re.findall(r"mailto:[^\s\"<]+", part)
        subjects = [unquote(urlsplit(link).query.removeprefix("subject=")) for link in links]
        # the link subjects are in the requester's language, and the helpdesk reads them back
        assert subjects == [f"[Ticket #59] {verbs[0]}", f"[Ticket #59] {verbs[1]}"]
        assert [read_reply(subject, "").kind for subject in subjects] == ["approve", "refuse"]
        assert read_reply(f"RE: {subjects[1]}", "Toujours aussi lent").reason == "Toujours aussi lent"
        assert all(link.startswith("mailto:helpdesk@lycee.example?subject=%5BTicket%20%2359%5D%20") for link in links)
        assert approve in part and refuse in part
    assert f'href="mailto:helpdesk@lycee.example?subject=%5BTicket%20%2359%5D%20{verbs[0]}"' in html
    link_texts = {"fr": ("cliquez ici pour approuver la solution", "cliquez ici pour refuser la solution"),
                  "en": ("click here to approve the solution", "click here to refuse the solution")}[language]
    assert all(words in html for words in link_texts)


def test_solved_mail_gives_the_closing_date_in_the_configured_time_zone() -> None:
    paris, _ = parts(rendered(outbox_row("solved", "fr")))
    montreal, _ = parts(rendered(outbox_row("solved", "en"), timezone=ZoneInfo("America/Montreal")))
    assert "clos automatiquement le mercredi 2 décembre 2026 à 10\u00a0h." in paris
    assert "closed automatically on Wednesday 2 December 2026 at 4:00" in montreal


def test_solved_mail_without_automatic_closing_says_it_stays_solved() -> None:
    text, _ = parts(rendered(outbox_row("solved", "fr", autoclose_at=None)))
    assert "restera résolu jusqu'à votre réponse" in text
    assert "clos automatiquement" not in text


def test_technicians_are_not_asked_to_approve_the_solution() -> None:
    text, _ = parts(rendered(outbox_row("solved", "fr", recipient_role="technician")))
    assert "mailto:" not in text
    assert "Le ticket #59 a été résolu par Jean Tech" in text


@pytest.mark.parametrize(("language", "example", "reason"), [
    ("fr", "Je refuse, le problème est toujours là", "le problème est toujours là"),
    ("en", "Refuse, the problem is still there", "the problem is still there")])
@pytest.mark.parametrize("event", ["solved", "reason_please"])
def test_the_replies_the_mails_suggest_are_understood(event: str, language: str, example: str, reason: str) -> None:
    text, html = parts(rendered(outbox_row(event, language)))
    assert example in text and example in visible_text(html)
    refusal = read_reply("RE: [Ticket #59] Ordinateur très lent", example)
    assert (refusal.kind, refusal.reason) == ("refuse", reason)
    assert read_reply("RE: [Ticket #59] Ordinateur très lent", "OK").kind == "approve"
    assert read_reply("[Ticket #59] REFUSE", "Toujours lent").kind == "refuse"


def test_a_reply_typed_above_the_marker_keeps_only_the_new_text() -> None:
    text, _ = parts(rendered(outbox_row("followup_added")))
    reply = "Merci, c'est réparé.\n\n" + "\n".join("> " + line for line in text.splitlines())
    assert strip_reply(reply) == "Merci, c'est réparé."


def test_task_dates_are_shown_in_the_time_zone() -> None:
    text, html = parts(rendered(outbox_row("task_added", "fr")))
    assert "Prévue le mardi 1er décembre 2026 à 14\u00a0h, jusqu'à 15\u00a0h\u00a030." in text
    assert "Durée\u00a0: 1\u00a0h\u00a030" in text and "État\u00a0: à faire" in text
    assert "mardi 1er décembre 2026 à 14\u00a0h" in html


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
    assert "Ligne 2\u00a0: #tsk 1h" in text and "Ligne 4\u00a0: #task 99x" in text
    assert text.index("bad duration") < text.index("#hold [raison]")
    assert "<code>#task 99x</code>" in html


def test_commands_applied_says_what_was_done_the_status_and_the_time_spent() -> None:
    text, html = parts(rendered(outbox_row("commands_applied")))
    text = text.replace("\r\n", "\n")
    assert "Vos commandes ont été appliquées au ticket #59\u00a0:" in text
    assert "  - pris en charge\n  - tâche de 15\u00a0min ajoutée (fait)\n  - votre texte ajouté comme suivi\n" in text
    assert "État\u00a0: en cours (attribué)" in text
    assert "Temps passé au total\u00a0: 45\u00a0min" in text
    assert "<li>tâche de 15\u00a0min ajoutée (fait)</li>" in html
    assert "Les commandes disponibles" not in text  # the help only when #help was asked


def test_commands_applied_in_english_with_a_planned_task_and_the_help() -> None:
    row = outbox_row("commands_applied", "en", help=HELP, total_minutes=0, planned_minutes=90, status="planned", applied=[
        {"kind": "task", "duration_minutes": 90, "state": "todo", "begin": "2026-12-01T13:00:00+00:00"},
        {"kind": "observer", "email": "cpe@lycee.example"}])
    text, html = parts(rendered(row))
    text = text.replace("\r\n", "\n")
    assert "  - 1h30 task added (to do), planned for Tuesday 1 December 2026 at 14:00\n" in text
    assert "  - cpe@lycee.example now follows the ticket\n" in text
    assert "Status: in progress (planned)" in text and "Total time spent: 0 min" in text
    assert "Time planned (tasks to do): 1h30" in text
    assert text.index("Time planned") < text.index("#hold [raison]")
    assert "<li>cpe@lycee.example now follows the ticket</li>" in html


@pytest.mark.parametrize("language, opened, own", [
    ("fr", "  - ticket #59 ouvert avec votre message\n",
     "  - ticket clos aussitôt\u00a0: la demande est la vôtre, personne d'autre n'a à approuver la solution\n"),
    ("en", "  - ticket #59 opened with your message\n",
     "  - ticket closed at once: you are its requester, so nobody else has to approve the solution\n")])
def test_commands_applied_on_a_ticket_the_mail_opened_and_closed(language, opened, own) -> None:
    row = outbox_row("commands_applied", language, status="closed", applied=[
        {"kind": "opened"}, {"kind": "solved"}, {"kind": "closed_own"}])
    text, html = parts(rendered(row))
    text = text.replace("\r\n", "\n")
    assert opened in text and own in text
    assert text.index(opened) < text.index(own)
    assert "<li>" + opened.strip().removeprefix("- ") in html


@pytest.mark.parametrize("language, said, again", [
    ("fr", "Le ticket #59 a été ouvert avec votre message, mais aucune de vos commandes n'y a été appliquée, car",
     "renvoyez toutes les commandes en réponse à ce message."),
    ("en", "Ticket #59 was opened with your message, but none of your commands was applied to it, because",
     "send all the commands again in a reply to this message.")])
def test_command_errors_on_a_ticket_the_mail_opened_say_it_was_opened(language, said, again) -> None:
    text, html = parts(rendered(outbox_row("command_errors", language, opened=True)))
    text = " ".join(text.split())
    assert said in text and again in text
    assert "<strong>#59</strong>" in html


def test_an_answer_folded_into_a_confirmation_is_told_below_it_in_both_parts() -> None:
    refused = {**ANSWER_CONTEXTS["attachment_refused"], "kind": "attachment_refused"}
    text, html = parts(rendered(outbox_row("commands_applied", "en", folded=[refused])))
    assert text.index("Your commands were applied") < text.index("This attachment was not saved in ticket #59:")
    assert "setup.exe: files of type .exe are not accepted" in text
    assert "<li>setup.exe: files of type .exe are not accepted</li>" in html


def test_private_followup_says_it_is_private() -> None:
    text, _ = parts(rendered(outbox_row("followup_added", "en", private=True, recipient_role="technician")))
    assert "Jean Tech added a private message to ticket #59" in text


def test_accents_survive_the_trip_through_the_wire() -> None:
    text, html = parts(rendered(outbox_row("ticket_created", "fr")))
    assert "«\u00a0Ordinateur très lent\u00a0»" in text
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
    assert parsed["Subject"] == f"[Ticket #59] {HAPPENED.get((event, language), '')}{one_line_title}"
    assert (parsed["From"].addresses[0].display_name, parsed["From"].addresses[0].addr_spec) == (
        "", "helpdesk@lycee.example")
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


def footer_of(text: str) -> str:
    return text.replace("\r\n", "\n").split("\n-- \n", 1)[1]


# --- every template, strictly --------------------------------------------------------------

# answers that can be about no ticket (an unknown sender, a stranger, commands in a new mail)
WITHOUT_TICKET = {"refused_sender", "not_participant", "help", "command_errors", "tickets_view", "my_requests",
                  "sign_in_link"}
ROLES = {event: ["requester", "observer", "technician"] for event in EVENT_CONTEXTS} | {
    event: ["sender"] for event in ANSWER_CONTEXTS}


def test_every_template_has_a_context_here() -> None:
    """A new template without a realistic context below would escape the strict rendering."""
    from importlib.resources import files

    def names(folder: Any) -> set[str]:
        return {entry.name.rsplit(".", 1)[0] for entry in folder.iterdir() if entry.name.endswith((".txt", ".html"))}

    for language in ("fr", "en"):
        folder = files("mailbot.templates").joinpath(language)
        # base, the parts it includes (`_hints`) and the frame of every notification (`notification`)
        # are rendered by every mail; each event is told by its template under events/; answer kinds
        # that share a template (TEMPLATE_OF) count once
        assert {name for name in names(folder) if name not in ("base", "notification") and not name.startswith("_")} \
            == {TEMPLATE_OF.get(kind, kind) for kind in ANSWER_CONTEXTS}
        assert names(folder.joinpath("events")) == set(EVENT_CONTEXTS) | FOLDED_ANSWERS


@pytest.mark.parametrize("language", ["fr", "en"])
@pytest.mark.parametrize(("event", "role"), [(event, role) for event, roles in ROLES.items() for role in roles])
def test_every_template_renders_with_strict_undefined(event: str, language: str, role: str) -> None:
    import mailbot.outbound.render as render_module

    assert render_module.UNDEFINED is StrictUndefined  # tests/conftest.py: a missing value raises
    for ticket in [TICKET, {**TICKET, "status": "closed"}] + ([None] if event in WITHOUT_TICKET else []):
        text, html = parts(rendered(outbox_row(event, language, recipient_role=role, ticket=ticket)))
        assert text.splitlines()[0] == REPLY_MARKER
        assert visible_text(html).splitlines()[0] == REPLY_MARKER


def test_a_value_missing_from_the_context_fails_under_strict_undefined() -> None:
    row = outbox_row("followup_added")
    del row.context["parts"][0]["text"]
    with pytest.raises(UndefinedError, match="'text' is undefined"):
        rendered(row)


def test_in_production_a_missing_value_prints_blank_and_is_logged(monkeypatch: pytest.MonkeyPatch,
                                                                 caplog: pytest.LogCaptureFixture) -> None:
    import mailbot.outbound.render as render_module

    monkeypatch.setattr(render_module, "UNDEFINED", PRODUCTION_UNDEFINED)
    row = outbox_row("followup_added")
    del row.context["parts"][0]["text"]
    text, _ = parts(rendered(row))
    assert "Jean Tech a ajouté un message au ticket #59\u00a0:" in text
    assert "'text' is undefined" in caplog.text


# --- French ------------------------------------------------------------------------------

def test_the_first_of_the_month_is_1er_and_times_are_14_h_30_in_french() -> None:
    task = {**EVENT_CONTEXTS["task_added"]["task"], "begin": "2026-12-01T13:30:00+00:00",
            "end": "2026-12-01T15:00:00+00:00", "duration_minutes": 45}
    french, french_html = parts(rendered(outbox_row("task_added", "fr", task=task)))
    assert "Prévue le mardi 1er décembre 2026 à 14\u00a0h\u00a030, jusqu'à 16\u00a0h." in french
    assert "Durée\u00a0: 45\u00a0min" in french
    assert "mardi 1er décembre 2026 à 14\u00a0h\u00a030" in french_html
    english, _ = parts(rendered(outbox_row("task_added", "en", task=task)))
    assert "Planned on Tuesday 1 December 2026 at 14:30, until 16:00." in english
    assert "Duration: 45 min" in english


def test_other_days_keep_their_number() -> None:
    text, _ = parts(rendered(outbox_row("solved", "fr", autoclose_at="2026-12-11T08:05:00+00:00")))
    assert "clos automatiquement le vendredi 11 décembre 2026 à 9\u00a0h\u00a005." in text


@pytest.mark.parametrize(("role", "sentence"), [
    ("requester", "Votre demande #59 a été mise en attente par Jean Tech."),
    ("observer", "Le ticket #59 a été mis en attente par Jean Tech.")])
def test_on_hold_agrees_with_the_noun(role: str, sentence: str) -> None:
    text, html = parts(rendered(outbox_row("status_waiting", "fr", recipient_role=role)))
    assert sentence in text
    assert sentence.replace("#59", "<strong>#59</strong>") in html


@pytest.mark.parametrize(("role", "sentence"), [
    ("requester", "Elle fait suite au ticket #41, qui était clos."),
    ("technician", "Il fait suite au ticket #41, qui était clos.")])
def test_a_follow_up_ticket_agrees_with_the_noun(role: str, sentence: str) -> None:
    text, html = parts(rendered(outbox_row("ticket_created", "fr", recipient_role=role, follows_ticket_id=41)))
    assert sentence in text and sentence in visible_text(html)


@pytest.mark.parametrize("language", ["fr", "en"])
@pytest.mark.parametrize("event", ["closed", "solution_approved"])
def test_a_closed_ticket_does_not_ask_for_more(event: str, language: str) -> None:
    text, html = parts(rendered(outbox_row(event, language, ticket={**TICKET, "status": "closed"})))
    footer = footer_of(text)
    expected = {"fr": "Ce ticket est clos\u00a0: une réponse à ce message ouvrira un nouveau ticket.",
                "en": "This ticket is closed: a reply to this message will open a new ticket."}[language]
    assert expected in footer and expected in html
    for part in (text, html):
        assert "Pour compléter" not in part and "To add to this ticket" not in part


def test_an_open_ticket_still_invites_a_reply() -> None:
    text, _ = parts(rendered(outbox_row("followup_added", ticket={**TICKET, "status": "assigned"})))
    assert "Pour compléter ce ticket, répondez à ce message" in footer_of(text)


def _every_french_mail() -> list[str]:
    mails = []
    for event, roles in ROLES.items():
        for role in roles:
            text, html = parts(rendered(outbox_row(event, "fr", recipient_role=role, follows_ticket_id=41)))
            mails += [text, visible_text(html)]
    return mails


def test_french_mails_use_gender_neutral_wording() -> None:
    for mail in _every_french_mail():
        for word in ("technicien", "demandeur", "observateur", "tenu informé"):
            assert word not in mail.lower()


@pytest.mark.parametrize("language", ["fr", "en"])
@pytest.mark.parametrize("event", ["solved", "reason_please"])
def test_examples_speak_of_no_device_the_ticket_is_not_about(event: str, language: str) -> None:
    text, html = parts(rendered(outbox_row(event, language)))
    for word in ("imprim", "printer"):
        assert word not in text.lower() and word not in html.lower()


@pytest.mark.parametrize("event", ["ticket_created", "solution_approved", "solution_refused"])
def test_the_requester_is_named_by_name(event: str) -> None:
    row = outbox_row(event, "fr", recipient_role="technician", actor=None)
    text, html = parts(rendered(row))
    assert "Loïc Medori" in text and "Loïc Medori" in html
    body = text.replace("\r\n", "\n").split("\n-- \n", 1)[0]
    assert "loic.medori@lycee.example" not in body


def test_without_a_name_the_requester_is_named_by_address() -> None:
    text, _ = parts(rendered(outbox_row("ticket_created", "en", recipient_role="technician",
                                        ticket={**TICKET, "requester_name": ""})))
    assert "A new ticket #59 was opened by loic.medori@lycee.example:" in text


def test_french_punctuation_has_no_break_spaces_but_values_are_kept_as_typed() -> None:
    for mail in _every_french_mail():
        assert not re.search(r" [:;!?»]|« ", mail.replace(REPLY_MARKER, "")), mail
    title = "Wi-Fi : coupé ; salle 204 ! Pourquoi ? « urgent »"
    text, html = parts(rendered(outbox_row("ticket_created", "fr", ticket={**TICKET, "title": title})))
    assert text.splitlines()[0] == REPLY_MARKER == "##- Répondez au-dessus de cette ligne / Reply above this line -##"
    assert f"«\u00a0{title}\u00a0»" in text
    assert "Bonjour," in text and "Ticket #59\u00a0: " + title + " (état\u00a0: résolu)" in text
    assert "Nous avons bien reçu votre demande. Elle est enregistrée sous le numéro #59\u00a0:" in text


def test_french_question_and_exclamation_marks_take_a_narrow_no_break_space() -> None:
    text, html = parts(rendered(outbox_row("solved", "fr")))
    assert "Le problème est-il réglé\u202f?" in text and "Le problème est-il réglé\u202f?" in html


@pytest.mark.parametrize(("language", "line"), [
    ("fr", "  - setup.exe\u00a0: les fichiers de type .exe ne sont pas acceptés"),
    ("en", "  - setup.exe: files of type .exe are not accepted")])
def test_attachment_refusals_are_in_the_recipients_language(language: str, line: str) -> None:
    big = {"filename": "video.mp4", "code": "too_large", "detail": "25", "reason": "larger than 25 MiB"}
    row = outbox_row("attachment_refused", language,
                     attachments=[*ANSWER_CONTEXTS["attachment_refused"]["attachments"], big])
    text, html = parts(rendered(row))
    assert line in text.splitlines()
    assert {"fr": "plus de 25 Mio", "en": "larger than 25 MiB"}[language] in html


HELPDESK_NAME = "Assistance informatique – Lycée Jean Moulin"
FOOTER_LINES = {"fr": "Message envoyé automatiquement par {} (helpdesk@lycee.example).",
                "en": "Sent automatically by {} (helpdesk@lycee.example)."}
NO_NAME = {"fr": "le helpdesk", "en": "the helpdesk"}


@pytest.mark.parametrize("name", [HELPDESK_NAME, 'Support "IT", Lycée (bât. B)', "Helpdesk"])
@pytest.mark.parametrize("event", ["ticket_created", "help"])
def test_the_helpdesk_name_is_the_sender_name_and_parses_back(event: str, name: str) -> None:
    message = render(outbox_row(event), helpdesk_address="helpdesk@lycee.example", subject_tag="Ticket",
                     timezone=PARIS, helpdesk_name=name)
    from mailbot.outbound.senders import as_wire_bytes

    wire = as_wire_bytes(message)
    headers = wire.split(b"\r\n\r\n", 1)[0]
    assert headers.isascii()  # the name as RFC 2047 encoded words, never raw UTF-8 in a header
    parsed = message_from_bytes(wire, policy=default)
    sender = parsed["From"].addresses[0]  # type: ignore[union-attr]
    assert (sender.display_name, sender.addr_spec) == (name, "helpdesk@lycee.example")


@pytest.mark.parametrize("language", ["fr", "en"])
def test_the_footer_is_signed_with_the_helpdesk_name(language: str) -> None:
    message = render(outbox_row("ticket_created", language), helpdesk_address="helpdesk@lycee.example",
                     subject_tag="Ticket", timezone=PARIS, helpdesk_name=HELPDESK_NAME)
    text, html = parts(message_from_bytes(message.as_bytes(), policy=default))  # type: ignore[arg-type]
    line = FOOTER_LINES[language].format(HELPDESK_NAME)
    assert text.rstrip().splitlines()[-1] == line
    assert visible_text(html).splitlines()[-1] == line


@pytest.mark.parametrize("language", ["fr", "en"])
def test_without_a_name_the_footer_names_the_helpdesk_by_its_address(language: str) -> None:
    text, html = parts(rendered(outbox_row("ticket_created", language)))
    line = FOOTER_LINES[language].format(NO_NAME[language])
    assert text.rstrip().splitlines()[-1] == line
    assert visible_text(html).splitlines()[-1] == line


# --- command hints and what the subject says happened -----------------------------------------

@pytest.mark.parametrize("language", ["fr", "en"])
def test_a_technician_notification_carries_the_hints_of_the_status_and_the_requester_none(language: str) -> None:
    ticket = {**TICKET, "status": "new"}
    text, html = parts(rendered(outbox_row("ticket_created", language, recipient_role="technician", ticket=ticket)))
    head = text.split("\n-- \n")[0]  # above the footer separator
    assert "#take – " in head and "#task 0h15 … – " in head and "#solve … – " in head
    assert "#help" in head
    assert "#take – " in visible_text(html) and "#solve … – " in visible_text(html)
    for role in ("requester", "observer"):
        text, html = parts(rendered(outbox_row("ticket_created", language, recipient_role=role, ticket=ticket)))
        assert "#take" not in text and "#take" not in html and "#help" not in text


def test_hints_follow_the_status_and_a_closed_ticket_has_none() -> None:
    text, _ = parts(rendered(outbox_row("solved", "fr", recipient_role="technician")))
    assert "#close … – clôt le ticket" in text and "#take" not in text
    text, html = parts(rendered(outbox_row("closed", "fr", recipient_role="technician",
                                           ticket={**TICKET, "status": "closed"})))
    assert "#close" not in text and "#help" not in text and "#help" not in html


@pytest.mark.parametrize(("event", "role", "language", "subject"), [
    ("solved", "requester", "fr", "[Ticket #59] Résolu – merci de confirmer\u00a0: Ordinateur très lent"),
    ("solved", "requester", "en", "[Ticket #59] Solved – please confirm: Ordinateur très lent"),
    ("solved", "technician", "fr", "[Ticket #59] Résolu\u00a0: Ordinateur très lent"),
    ("solved", "observer", "en", "[Ticket #59] Solved: Ordinateur très lent"),
    ("closed", "requester", "fr", "[Ticket #59] Clos\u00a0: Ordinateur très lent"),
    ("closed", "technician", "en", "[Ticket #59] Closed: Ordinateur très lent"),
    ("command_errors", "sender", "fr", "[Ticket #59] Commandes refusées\u00a0: Ordinateur très lent"),
    ("command_errors", "sender", "en", "[Ticket #59] Commands refused: Ordinateur très lent"),
    ("ticket_created", "requester", "fr", "[Ticket #59] Ordinateur très lent"),
    ("followup_added", "technician", "en", "[Ticket #59] Ordinateur très lent"),
])
def test_the_subject_says_what_happened_after_the_ticket_tag(event: str, role: str, language: str,
                                                             subject: str) -> None:
    assert rendered(outbox_row(event, language, recipient_role=role))["Subject"] == subject


@pytest.mark.parametrize(("event", "role", "language"), [
    ("solved", "requester", "fr"), ("solved", "requester", "en"), ("solved", "technician", "fr"),
    ("closed", "requester", "fr"), ("closed", "requester", "en"),
    ("command_errors", "sender", "fr"), ("command_errors", "sender", "en")])
def test_a_reply_to_such_a_subject_names_the_ticket_and_keeps_its_title(event: str, role: str, language: str) -> None:
    from mailbot.parsers.ticket_ref import make_title, subject_ticket_id

    subject = rendered(outbox_row(event, language, recipient_role=role))["Subject"]
    for reply in (f"Re: {subject}", f"RE : {subject}", f"TR: Re: {subject}", subject):
        assert subject_ticket_id(reply) == 59
        assert make_title(reply, "ok") == "Ordinateur très lent"


# --- reasons, links, the status block and the help in HTML ------------------------------------

@pytest.mark.parametrize(("language", "line", "reason"), [
    ("fr", "  Ligne 3\u00a0: #tsk 1h", "    -> commande inconnue «\u00a0#tsk\u00a0» (vouliez-vous écrire #task\u202f?)"),
    ("en", "  Line 3: #tsk 1h", "    -> unknown command '#tsk' (did you mean #task?)")])
def test_command_errors_give_each_reason_in_the_technicians_language_under_its_line(language: str, line: str,
                                                                                    reason: str) -> None:
    text, html = parts(rendered(outbox_row("command_errors", language)))
    lines = text.splitlines()
    assert lines[lines.index(line) + 1] == reason
    assert reason.removeprefix("    -> ") in visible_text(html)


def test_a_status_in_a_reason_is_said_in_words() -> None:
    error = {"line_number": 1, "line": "#resume", "reason": "the ticket is not waiting (it is 'assigned')",
             "why": {"code": "not_waiting", "params": {"status": "assigned"}}}
    text, _ = parts(rendered(outbox_row("command_errors", "fr", errors=[error])))
    assert "le ticket n'est pas en attente (il est «\u00a0en cours (attribué)\u00a0»)" in text


def test_an_error_row_written_before_reasons_had_codes_keeps_its_english_text() -> None:
    error = {"line_number": 2, "line": "#foo", "reason": "unknown command '#foo'"}
    text, _ = parts(rendered(outbox_row("command_errors", "fr", errors=[error])))
    assert "    -> unknown command '#foo'" in text.splitlines()


def status_block(html: str) -> str:
    body = html.split("<body", 1)[1]
    return visible_text("<body" + body.split("</table>", 1)[0])


@pytest.mark.parametrize(("language", "role", "expected"), [
    ("fr", "requester", ["Ticket #59 · Ordinateur très lent", "État\u00a0: résolu",
                         "Prise en charge\u00a0: Camille Tech, Sami Tech",
                         "Et ensuite\u00a0: à vous de confirmer la solution («\u00a0OK\u00a0»)"]),
    ("en", "technician", ["Ticket #59 · Ordinateur très lent", "Status: solved", "Handled by: Camille Tech, Sami Tech",
                          "Next: the requester's confirmation, or the automatic closing."]),
])
def test_the_html_mail_starts_with_a_status_block(language: str, role: str, expected: list[str]) -> None:
    ticket = {**TICKET, "assignees": ["Camille Tech", "Sami Tech"]}
    _, html = parts(rendered(outbox_row("solved", language, recipient_role=role, ticket=ticket)))
    block = status_block(html)
    for words in expected:
        assert words in block
    assert block.index("Ticket #59") < visible_text(html).index({"fr": "Bonjour", "en": "Hello"}[language])
    assert "<pre" not in html


def test_the_status_block_says_who_has_the_ticket_and_nobody_when_nobody_has() -> None:
    _, html = parts(rendered(outbox_row("ticket_created", "fr", ticket={**TICKET, "status": "new", "assignees": []},
                                        recipient_role="technician")))
    assert "Prise en charge\u00a0: personne pour l'instant" in status_block(html)
    assert "Et ensuite\u00a0: à prendre en charge (répondez #take)." in status_block(html)
    before = {key: value for key, value in TICKET.items() if key != "assignees"}
    _, old = parts(rendered(outbox_row("ticket_created", "fr", ticket=before)))  # a row from before assignees were kept
    assert "Prise en charge\u00a0: personne pour l'instant" in status_block(old)


def test_a_stranger_sees_no_status_block() -> None:
    _, html = parts(rendered(outbox_row("not_participant", "fr")))
    assert "<table" not in html and "État" not in visible_text(html)


@pytest.mark.parametrize("event", ["help", "command_errors", "commands_applied"])
def test_the_help_in_html_wraps_on_a_phone(event: str) -> None:
    from mailbot.parsers.commands import help_text

    for language in ("fr", "en"):
        _, html = parts(rendered(outbox_row(event, language, help=help_text(language))))
        assert "<pre" not in html
        body = html.split("<body", 1)[1]
        assert "overflow-wrap: break-word" in body.split(">", 1)[0]
        # each command is its own paragraph, its description under it, nothing held on one long line
        assert '<code style="white-space: normal; overflow-wrap: anywhere; font-size: 13px;">#task' in html
        assert {"fr": "ajoute une tâche\u202f; durée", "en": "adds a task; duration"}[language] in html
        assert 'name="viewport" content="width=device-width' in html


def test_the_french_help_has_french_spacing_and_no_gendered_words() -> None:
    from mailbot.parsers.commands import help_text

    french = help_text("fr")
    assert french.startswith("Commandes\u00a0: une par ligne")
    assert not re.search(r" [:;!?»]|« ", french)
    prose = re.sub(r"#\w+", "", french)  # the command words (`#demandeur`, as in GLPI) are no wording
    assert "technicien" not in prose and "demandeur" not in prose


@pytest.mark.parametrize(("language", "assigned", "observer"), [
    ("fr", "  - attribué à Sami Tech", "  - cpe@lycee.example suit désormais le ticket"),
    ("en", "  - assigned to Sami Tech", "  - cpe@lycee.example now follows the ticket")])
def test_the_confirmation_names_people_by_name_when_known(language: str, assigned: str, observer: str) -> None:
    applied = [{"kind": "assigned", "email": "sami.tech@lycee.example", "who": "Sami Tech"},
               {"kind": "observer", "email": "cpe@lycee.example", "who": "cpe@lycee.example"}]
    text, html = parts(rendered(outbox_row("commands_applied", language, applied=applied)))
    assert assigned in text.splitlines() and observer in text.splitlines()
    assert "sami.tech@" not in text and "Sami Tech" in html


@pytest.mark.parametrize("language", ["fr", "en"])
def test_one_notification_tells_each_event_in_order_and_its_subject_says_the_leading_one(language: str) -> None:
    row = event_row([("task_added", {}), ("solved", {})], language)
    message = rendered(row)
    text, html = parts(message)
    assert message["Subject"] == f"[Ticket #59] {HAPPENED[('solved', language)]}Ordinateur très lent"
    for part in (text, visible_text(html)):
        assert part.index("Remplacement de la barrette mémoire") < part.index("La mémoire a été remplacée.")
    assert text.count({"fr": "Bonjour,", "en": "Hello,"}[language]) == 1 and text.count(REPLY_MARKER) == 1


@pytest.mark.parametrize("language", ["fr", "en"])
def test_a_solution_closed_at_once_asks_nothing(language: str) -> None:
    row = event_row([("solved", {}), ("closed", {"automatic": False})], language,
                    ticket={**TICKET, "status": "closed"})
    text, html = parts(rendered(row))
    for part in (text, html):
        assert "APPROVE" not in part and "REFUSE" not in part


@pytest.mark.parametrize(("language", "approved", "closed", "refused"), [
    ("fr", "Vous avez approuvé la solution proposée pour votre demande #59.",
     "Votre demande #59 est maintenant close.", "Votre refus de la solution a bien été enregistré."),
    ("en", "You approved the solution proposed for your request #59.", "Your request #59 is now closed.",
     "Your refusal of the solution was recorded.")])
def test_the_requester_reads_their_own_answer_to_a_solution_as_theirs(language: str, approved: str, closed: str,
                                                                    refused: str) -> None:
    own = {"own": True, "actor": {"name": "Loïc Medori", "email": "loic.medori@lycee.example"}}
    text, html = parts(rendered(event_row([("solution_approved", own), ("closed", {**own, "automatic": False})],
                                          language, ticket={**TICKET, "status": "closed"})))
    assert approved in text and closed in text and approved in visible_text(html)
    text, html = parts(rendered(event_row([("solution_refused", own)], language, ticket={**TICKET, "status": "new"})))
    assert refused in text and refused in visible_text(html) and "Toujours aussi lent le matin." in text


def test_a_row_written_before_notifications_were_merged_still_renders() -> None:
    row = SimpleNamespace(event="followup_added", recipient="loic.medori@lycee.example", language="fr",
                          message_id="mailbot.59.3f2a9c@lycee.example", is_answer=False,
                          context={"ticket": dict(TICKET), "thread": dict(THREAD), "recipient_role": "requester",
                                   "actor": {"name": "Jean Tech", "email": "tech@lycee.example"}, "private": False,
                                   "text": "J'ai redémarré, sans effet."})
    text, _ = parts(rendered(row))
    assert "Jean Tech a ajouté un message au ticket #59\u00a0:" in text and "J'ai redémarré, sans effet." in text


@pytest.mark.parametrize(("language", "refused"), [("fr", "Cette pièce jointe n'a pas été enregistrée"),
                                                   ("en", "This attachment was not saved")])
def test_the_acknowledgement_lists_the_attachments_refused_after_the_ticket(language: str, refused: str) -> None:
    message = rendered(event_row([("ticket_created", {"own": True}), ("attachment_refused", {"own": True})], language))
    text, html = parts(message)
    assert message["Subject"] == "[Ticket #59] Ordinateur très lent"
    assert text.index("Mon ordinateur met 10 minutes") < text.index(refused) < text.index("setup.exe")
    assert refused in visible_text(html)
