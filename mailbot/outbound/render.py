"""Render an outbox row into a complete mail: headers, text and HTML parts from jinja2 templates."""

from __future__ import annotations

import binascii
import logging
import secrets
from datetime import UTC, datetime
from email.message import Message
from email.policy import Compat32
from email.utils import format_datetime, formataddr
from typing import Any, Protocol, cast
from urllib.parse import quote
from zoneinfo import ZoneInfo

from jinja2 import ChainableUndefined, Undefined, make_logging_undefined
from markupsafe import Markup

from mailbot.outbound import invitations
from mailbot.outbound.attaching import DocumentPlan, attachment_part
from mailbot.outbound.hints import hint_lines
from mailbot.outbound.notifications import NOTIFY
from mailbot.outbound.shared_parts import Kept, SharedPart
from mailbot.outbound.template_env import environments
from mailbot.parsers.approval import APPROVE, LINK_VERBS, REFUSE
from mailbot.parsers.quoting import REPLY_MARKER
from mailbot.parsers.ticket_ref import SUBJECT_WORDS
from mailbot.parsers.typography import NBSP

log = logging.getLogger("mailbot.render")

# The source tree's templates/ folder, installed as this package (pyproject.toml): found the same
# way by an editable install (`make venv`) and a wheel, whatever the working directory.
TEMPLATES_PACKAGE = "mailbot.templates"
LANGUAGES = ("fr", "en")
DEFAULT_LANGUAGE = "fr"

# Subjects of answers that are not about a ticket and have no subject to answer to.
ANSWER_SUBJECTS = {
    "fr": {"help": "Les commandes du helpdesk", "refused_sender": "Votre message n'a pas été pris en compte",
           "not_participant": "Votre message n'a pas été ajouté au ticket",
           "attachment_refused": "Pièces jointes refusées", "command_errors": "Commandes refusées",
           "tickets_view": "Vos tickets", "my_requests": "Vos demandes",
           "kb_search": "Base de connaissances", "kb_applied": "Base de connaissances",
           "sign_in_link": "Votre lien de connexion au helpdesk", "digest": "Vos tickets du jour"},
    "en": {"help": "Helpdesk commands", "refused_sender": "Your message was not accepted",
           "not_participant": "Your message was not added to the ticket",
           "attachment_refused": "Attachments refused", "command_errors": "Commands refused",
           "tickets_view": "Your tickets", "my_requests": "Your requests",
           "kb_search": "Knowledge base", "kb_applied": "Knowledge base",
           "sign_in_link": "Your sign-in link to the helpdesk", "digest": "Your tickets for today"},
}
# Answer kinds that share one template (the sections a reading command asked for: workflow/asked.py)
# and the morning digest, which is the `#tickets` answer's `tickets_view` (workflow/digest.py)
TEMPLATE_OF = {"ticket_history": "asked", "documents": "asked", "tickets_view": "asked", "my_requests": "asked",
               "kb_search": "asked", "digest": "asked"}
FALLBACK_SUBJECT = {"fr": "Message du helpdesk", "en": "Message from the helpdesk"}

# What a value missing from a template's context prints. Production keeps the mail going (a
# blank, and a warning in the log naming the value); the tests swap in StrictUndefined
# (tests/conftest.py), so a template asking for a value its context lacks fails there.
UNDEFINED: type[Undefined] = make_logging_undefined(log, ChainableUndefined)


class _Compat32Smtp(Compat32):
    """compat32 stores header values as given and only folds them (RFC 2047 for non-ASCII) when
    written: several times cheaper than the header registry's parse on every assignment and
    refold on output. A short printable ASCII value needs no folding: written as is."""

    def _as_is(self, name: str, value: object) -> bool:
        return (isinstance(value, str) and value.isascii() and value.isprintable()
                and len(name) + len(value) + 2 <= (self.max_line_length or 78))

    def fold(self, name: str, value: Any) -> str:
        return f"{name}: {value}{self.linesep}" if self._as_is(name, value) else super().fold(name, value)

    def fold_binary(self, name: str, value: Any) -> bytes:
        if self._as_is(name, value):
            return f"{name}: {value}{self.linesep}".encode("ascii")
        if not isinstance(value, str):
            return super().fold_binary(name, value)
        # RFC 2047 folding is the costly part of writing the headers, and the subject of an
        # event is the same for each of its recipients: folded once for them all
        key = (name, value, self.linesep, self.max_line_length, self.cte_type)
        folded = _FOLDED.get(key)
        if folded is None:
            folded = super().fold_binary(name, value)
            if len(_FOLDED) >= _FOLDED_KEPT:
                _FOLDED.clear()
            _FOLDED[key] = folded
        return folded


_FOLDED: dict[tuple[Any, ...], bytes] = {}
_FOLDED_KEPT = 1024


# SMTP line ends; no ">From " mangling of body lines.
POLICY = _Compat32Smtp(linesep="\r\n", mangle_from_=False)
# RFC 5322's hard limit on a line; longer lines go quoted-printable.
MAX_LINE_BYTES = 998

class Renderable(Protocol):
    event: str
    recipient: str
    language: str
    message_id: str
    is_answer: bool
    context: dict[str, Any]


def flatten(value: object) -> str:
    """One header-safe line: every line separator (CR, LF, U+2028, \\x1e …) becomes a space."""
    return " ".join(str(value or "").splitlines()).strip()


def subject_words(event: str, role: str | None, language: str) -> str:
    """What happened, for the subject (SUBJECT_WORDS): the row for this event and recipient role,
    else the event's row for anyone; "" for a mail whose subject is only the ticket."""
    words = SUBJECT_WORDS.get((event, role)) or SUBJECT_WORDS.get((event, None)) or {}
    return words.get(language, "")


def subject_for(notification: Renderable, subject_tag: str, language: str) -> str:
    context = notification.context or {}
    ticket = context.get("ticket")
    if ticket:
        # the tag first, so that a reply's subject still names the ticket wherever clients cut it
        words = subject_words(notification.event, context.get("recipient_role"), language)
        colon = f"{NBSP}: " if language == "fr" else ": "
        happened = f"{words}{colon}" if words else ""
        return flatten(f"[{subject_tag} #{ticket['id']}] {happened}{flatten(ticket.get('title'))}")
    original = flatten(context.get("original_subject"))
    if original:
        return original if original.lower().startswith("re:") else f"Re: {original}"
    return ANSWER_SUBJECTS[language].get(notification.event, FALLBACK_SUBJECT[language])


def event_parts(notification: Renderable) -> list[dict[str, Any]] | None:
    """The events a notification tells, in order (the outbox's `parts`); a row written before
    notifications were merged tells its own event; None for an answer, a mail of its own."""
    context = notification.context or {}
    if "parts" in context:
        return list(context["parts"])
    return [{**context, "kind": notification.event}] if notification.event in NOTIFY else None


def _name_of(person: dict[str, Any] | None) -> str:
    return flatten((person or {}).get("name") or (person or {}).get("email"))


def mailto(helpdesk_address: str, subject: str) -> str:
    return f"mailto:{helpdesk_address}?subject={quote(subject, safe='')}"


def _thread_headers(message: Message, thread: dict[str, Any] | None) -> None:
    thread = thread or {}
    in_reply_to = flatten(thread.get("in_reply_to")).strip("<>")
    references = [flatten(ref).strip("<>") for ref in thread.get("references") or []]
    references = [ref for ref in references if ref]
    if in_reply_to:
        message["In-Reply-To"] = f"<{in_reply_to}>"
        if in_reply_to not in references:
            references.append(in_reply_to)
    if references:
        message["References"] = " ".join(f"<{ref}>" for ref in references)


def _bodies(notification: Renderable, variables: dict[str, Any], templates_package: str) -> tuple[Message, Message]:
    """The text and HTML parts of a mail, rendered once for the recipients who read it alike
    (the same event, language, role and all the templates are given): shared parts, written
    once (outbound/shared_parts.py)."""
    # repr, not JSON: a row's context is JSON-loaded (dicts, lists, strings, numbers), repr tells
    # them apart and costs half; an object shown by its address says nothing of what it holds
    key = repr((templates_package, UNDEFINED, notification.event, variables))
    if " at 0x" in key:
        return _rendered(notification, dict(variables), templates_package)
    return _BODIES.get(key, lambda: _rendered(notification, dict(variables), templates_package))


def _rendered(notification: Renderable, variables: dict[str, Any], templates_package: str) -> tuple[Message, Message]:
    language, context = variables["language"], notification.context or {}
    text_env, html_env = environments(templates_package, UNDEFINED)
    # answers told inside a mail of its own (a confirmation), below its body: the outbox's `folded`
    folded = [({**variables, **part}, f"{language}/events/{part['kind']}") for part in context.get("folded", [])]
    variables["also_told"] = "\n\n".join(text_env.get_template(f"{event}.txt").render(values).strip("\n")
                                         for values, event in folded)
    variables["also_told_html"] = Markup("\n").join(Markup(html_env.get_template(f"{event}.html").render(values))
                                                     for values, event in folded)
    events = event_parts(notification)
    answer_template = TEMPLATE_OF.get(notification.event, notification.event)
    name = f"{language}/{answer_template}" if events is None else f"{language}/notification"
    if events is not None:
        # each event in its own words, in order, inside one mail (templates/*/events/)
        said = [({**variables, "own": False, **part, "actor_name": _name_of(part.get("actor"))},
                 f"{language}/events/{part['kind']}") for part in events]
        variables["told"] = "\n\n".join(text_env.get_template(f"{event}.txt").render(values).strip("\n")
                                        for values, event in said)
        variables["told_html"] = Markup("\n").join(Markup(html_env.get_template(f"{event}.html").render(values))
                                                    for values, event in said)
    text = text_env.get_template(f"{name}.txt").render(variables)
    html = html_env.get_template(f"{name}.html").render(variables)
    return _text_part(text, "plain"), _text_part(html, "html")


# the bodies of the last events rendered: their recipients' rows come one after another
_BODIES: Kept[tuple[Message, Message]] = Kept(
    64, 16 * 1024 * 1024, lambda parts: sum(cast(SharedPart, part).kept_bytes() for part in parts))


def _text_part(body: str, subtype: str) -> Message:
    """A UTF-8 text part, 7bit or 8bit as written (readable in the outbox folder), quoted-printable
    only when a line is too long for SMTP."""
    data = b"\n".join(body.encode("utf-8").splitlines()) + b"\n"
    part = SharedPart(POLICY)
    part["Content-Type"] = f'text/{subtype}; charset="utf-8"'
    if max(map(len, data.split(b"\n"))) > MAX_LINE_BYTES:
        encoding, payload = "quoted-printable", binascii.b2a_qp(data).decode("ascii")
    elif data.isascii():
        encoding, payload = "7bit", data.decode("ascii")
    else:
        # surrogateescape is how a compat32 message holds 8bit bytes; BytesGenerator writes them back
        encoding, payload = "8bit", data.decode("ascii", "surrogateescape")
    part["Content-Transfer-Encoding"] = encoding
    part.set_payload(payload)
    part.size = len(payload)
    return part


def _document_view(plan: DocumentPlan | None) -> dict[str, Any]:
    """What the templates show of the documents: attached ones, then the others with whether
    `#doc N` could mail each alone."""
    if plan is None:
        return {"attached_documents": [], "listed_documents": [], "documents_budget": 0}
    return {"attached_documents": [{"id": d.id, "filename": d.filename, "size": d.size} for d, _ in plan.attached],
            "listed_documents": [{"id": d.id, "filename": d.filename, "size": d.size, "mailable": plan.fits_alone(d)}
                                 for d in plan.listed],
            "documents_budget": plan.budget_bytes}


def render(notification: Renderable, *, helpdesk_address: str, subject_tag: str, timezone: ZoneInfo,
           helpdesk_name: str = "", date: datetime | None = None,
           templates_package: str = TEMPLATES_PACKAGE, documents: DocumentPlan | None = None) -> Message:
    """The mail for one outbox row; `date` (default now) is the Date header; `helpdesk_name`
    (MAILBOT_HELPDESK_NAME) is the From's display name and signs the footer, none: the address alone;
    `documents` (outbound/attaching.py) are attached, or listed when over the budget."""
    language = notification.language if notification.language in LANGUAGES else DEFAULT_LANGUAGE
    context = dict(notification.context or {})
    subject = subject_for(notification, subject_tag, language)
    ticket = context.get("ticket")
    ticket_subject = f"[{subject_tag} #{ticket['id']}]" if ticket else ""
    variables = {
        **context,
        "event": notification.event,
        "language": language,
        "timezone": timezone,
        "marker": REPLY_MARKER,
        "subject": subject,
        "helpdesk": helpdesk_address,
        "helpdesk_name": flatten(helpdesk_name),
        "actor_name": _name_of(context.get("actor")),
        # the requester's name when known, else the address (rows written before names were kept)
        "requester_name": flatten((ticket or {}).get("requester_name") or (ticket or {}).get("requester")),
        # the link's subject in the recipient's language; parsers/approval.py reads both languages
        "approve_url": mailto(helpdesk_address, f"{ticket_subject} {LINK_VERBS[language][APPROVE]}") if ticket else "",
        "refuse_url": mailto(helpdesk_address, f"{ticket_subject} {LINK_VERBS[language][REFUSE]}") if ticket else "",
        # who has the ticket, for the status block (rows written before it was kept: nobody known)
        "holders": [flatten(name) for name in (ticket or {}).get("assignees") or []],
        # the commands that make sense now, for technicians only (mailbot/outbound/hints.py)
        "hints": (hint_lines(str(ticket.get("status")), language,
                             has_it=notification.recipient in (ticket.get("assignee_emails") or ()))
                  if ticket and context.get("recipient_role") == "technician" else ()),
        **_document_view(documents),
        # the calendar invitations this mail carries (outbound/invitations.py), said above the footer
        "calendar_invitations": invitations.wanted(context, flatten(notification.recipient)),
    }
    text_part, html_part = _bodies(notification, variables, templates_package)

    message = Message(POLICY)
    # formataddr quotes a name with specials and RFC 2047-encodes a non-ASCII one
    message["From"] = formataddr((flatten(helpdesk_name), flatten(helpdesk_address)))
    recipient = flatten(notification.recipient)
    # compat32 would RFC 2047-encode a non-ASCII address, which no client reads as an address:
    # written raw (UTF-8, surrogate-escaped here), as SMTPUTF8 wants it.
    message["To"] = recipient if recipient.isascii() else recipient.encode().decode("ascii", "surrogateescape")
    message["Subject"] = subject
    message["Date"] = format_datetime((date or datetime.now(UTC)).astimezone(timezone))
    message["Message-ID"] = f"<{flatten(notification.message_id).strip('<>')}>"
    _thread_headers(message, context.get("thread"))
    message["Auto-Submitted"] = "auto-replied" if notification.is_answer else "auto-generated"
    message["X-Auto-Response-Suppress"] = "All"
    message["MIME-Version"] = "1.0"
    # 128 random bits: no body can contain the boundary by chance, and the generator
    # need not search both parts for it.
    alternative = message
    invites = variables["calendar_invitations"]
    if (documents is not None and documents.attached) or len(invites) > 1:
        message["Content-Type"] = f'multipart/mixed; boundary="=_mailbot_{secrets.token_hex(16)}"'
        alternative = Message(POLICY)
    alternative["Content-Type"] = f'multipart/alternative; boundary="=_mailbot_{secrets.token_hex(16)}"'
    message["Content-Language"] = language
    alternative.attach(text_part)
    alternative.attach(html_part)
    if alternative is not message:
        message.attach(alternative)
        for document, data in documents.attached if documents is not None else ():
            message.attach(attachment_part(document, data, POLICY))
    # a task planned or cancelled: its calendar invitation, for the technician who planned it
    invitations.attach(message, alternative, invites, organizer=flatten(helpdesk_address), policy=POLICY,
                       organizer_name=flatten(helpdesk_name))
    return message
