"""Render an outbox row into a complete mail: headers, text and HTML parts from jinja2 templates."""

from __future__ import annotations

import binascii
import logging
import secrets
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from email.message import Message
from email.policy import Compat32
from email.utils import format_datetime, formataddr
from typing import Any, Protocol
from urllib.parse import quote
from zoneinfo import ZoneInfo

from jinja2 import ChainableUndefined, Environment, PackageLoader, Undefined, make_logging_undefined, pass_context
from jinja2.ext import Extension
from jinja2.lexer import Token, TokenStream
from markupsafe import Markup, escape

from mailbot.outbound import invitations, machine_labels
from mailbot.outbound.attaching import DocumentPlan, attachment_part
from mailbot.outbound.hints import hint_lines
from mailbot.outbound.notifications import NOTIFY
from mailbot.outbound.template_cache import bytecode_cache
from mailbot.parsers.approval import APPROVE, LINK_VERBS, REFUSE
from mailbot.parsers.quoting import REPLY_MARKER
from mailbot.parsers.reasons import Reason
from mailbot.parsers.ticket_ref import SUBJECT_WORDS
from mailbot.parsers.typography import NBSP, french_spaces
from mailbot.workflow.kb_search import START, STOP, marked
from mailbot.workflow.states import LABELS

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

MONTHS = {
    "fr": ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre",
           "octobre", "novembre", "décembre"),
    "en": ("January", "February", "March", "April", "May", "June", "July", "August", "September",
           "October", "November", "December"),
}
WEEKDAYS = {
    "fr": ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"),
    "en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
}
DATE_FORMATS = {"fr": "{weekday} {day} {month} {year} à {time}", "en": "{weekday} {day} {month} {year} at {time}"}

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
        return super().fold_binary(name, value)


# SMTP line ends; no ">From " mangling of body lines.
POLICY = _Compat32Smtp(linesep="\r\n", mangle_from_=False)
# RFC 5322's hard limit on a line; longer lines go quoted-printable.
MAX_LINE_BYTES = 998

TASK_STATES = {"fr": {"information": "information", "todo": "à faire", "done": "fait"},
               "en": {"information": "information", "todo": "to do", "done": "done"}}


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


def day_number(day: int, language: str) -> str:
    """French writes the first of the month "1er" (1er décembre); English and other days as digits."""
    return "1er" if language == "fr" and day == 1 else str(day)


def clock_time(hour: int, minute: int, language: str) -> str:
    """French "14 h 30" and "14 h" (no-break spaces, so it never splits), English "14:30"."""
    if language == "fr":
        return f"{hour}{NBSP}h{NBSP}{minute:02d}" if minute else f"{hour}{NBSP}h"
    return f"{hour}:{minute:02d}"


def _to_datetime(value: Any) -> datetime | None:
    if not value:
        return None
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@pass_context
def _local_date(ctx: Any, value: Any, since: Any = None) -> str:
    """The date in the configured time zone, in words; only the time when it is `since`'s day."""
    moment = _to_datetime(value)
    if moment is None:
        return ""
    language = ctx["language"]
    local = moment.astimezone(ctx["timezone"])
    start = _to_datetime(since)
    if start is not None and start.astimezone(ctx["timezone"]).date() == local.date():
        return clock_time(local.hour, local.minute, language)
    return DATE_FORMATS[language].format(
        weekday=WEEKDAYS[language][local.weekday()], day=day_number(local.day, language),
        month=MONTHS[language][local.month - 1], year=local.year, time=clock_time(local.hour, local.minute, language))


@pass_context
def _duration(ctx: Any, minutes: Any) -> str:
    """French "1 h 30", "2 h", "15 min" (no-break spaces); English "1h30", "2h00", "15 min"."""
    hours, rest = divmod(int(minutes or 0), 60)
    if not hours:
        return f"{rest}{NBSP}min" if ctx["language"] == "fr" else f"{rest} min"
    return clock_time(hours, rest, "fr") if ctx["language"] == "fr" else f"{hours}h{rest:02d}"


def _kb_extract_text(extract: Any) -> str:
    """A knowledge-base extract with the words found between asterisks."""
    return marked(str(extract or ""))


def _kb_extract_html(extract: Any) -> Markup:
    """A knowledge-base extract, escaped, with the words found in <mark>."""
    parts = str(extract or "").split(START)
    html = escape(parts[0])
    for part in parts[1:]:
        found, _, rest = part.partition(STOP)
        html += Markup("<mark>") + escape(found) + Markup("</mark>") + escape(rest)
    return Markup(html)


@pass_context
def _filesize(ctx: Any, size: Any) -> str:
    """French "820 o", "12 Ko", "1,5 Mo"; English "820 B", "12 KB", "1.5 MB" (1 Ko = 1,024 bytes)."""
    fr = ctx["language"] == "fr"
    value, units = float(size or 0), ("o", "Ko", "Mo", "Go") if fr else ("B", "KB", "MB", "GB")
    unit = 0
    while value >= 1024 and unit < len(units) - 1:
        value, unit = value / 1024, unit + 1
    number = f"{value:.0f}" if unit == 0 or value >= 10 else f"{value:.1f}".removesuffix(".0")
    return f"{number.replace('.', ',') if fr else number}{NBSP if fr else ' '}{units[unit]}"


def _nl2br(text: Any) -> Markup:
    return Markup("<br>\n").join(escape(line) for line in str(text or "").splitlines())


@pass_context
def _status_label(ctx: Any, status: Any) -> str:
    return LABELS[ctx["language"]].get(str(status), str(status or ""))


@pass_context
def _task_state(ctx: Any, state: Any) -> str:
    return TASK_STATES[ctx["language"]].get(str(state), str(state or ""))


@pass_context
def _reason(ctx: Any, error: Any) -> str:
    """A refused command line's reason in the recipient's language (`parsers/reasons.py`); a row
    written before reasons had codes keeps its English text."""
    why = error.get("why") if isinstance(error, Mapping) else None
    if isinstance(why, Mapping):
        return Reason.from_json(why).text(ctx["language"], LABELS[ctx["language"]])
    return str(error.get("reason") or "") if isinstance(error, Mapping) else str(error or "")


_HELP_ENTRY = Markup(
    '<p style="margin: 0 0 8px;"><code style="white-space: normal; overflow-wrap: anywhere; font-size: 13px;">{usage}</code>'
    '{description}</p>\n')


def _help_html(text: Any) -> Markup:
    """The `#help` text as wrapping paragraphs (no <pre>: no sideways scrolling on a phone): a
    command line in <code>, the indented lines under it as its description."""
    entries: list[list[str]] = []
    for line in str(text or "").splitlines():
        if line.startswith((" ", "\t")) and entries:
            entries[-1].append(line.strip())
        elif line.strip():
            entries.append([line.strip()])
    html = Markup()
    for first, *rest in entries:
        if not first.startswith("#"):
            html += Markup('<p style="margin: 0 0 8px;">{}</p>\n').format(first)
            continue
        description = Markup("<br>").join(escape(line) for line in rest)
        html += _HELP_ENTRY.format(usage=first, description=Markup("<br>") + description if rest else "")
    return html


class FrenchTypography(Extension):
    """Applies `french_spaces` to the literal text of the templates under fr/ as they compile: the
    text between tags and the string literals in them (the words of a `{% set %}` table)."""

    def filter_stream(self, stream: TokenStream) -> TokenStream | Iterator[Token]:
        if not (stream.name or "").startswith("fr/"):
            return stream
        return (Token(token.lineno, token.type, french_spaces(token.value)) if token.type in ("data", "string")
                else token for token in stream)


def _environment(templates_package: str, *, html: bool, undefined: type[Undefined]) -> Environment:
    env = Environment(
        loader=PackageLoader(templates_package, "."),
        # compiled once per installation and user, not at every command (outbound/template_cache.py)
        bytecode_cache=bytecode_cache("html" if html else "text"),
        # HTML parts escape every value; text parts must show `<` and `&` as typed.
        autoescape=html,
        undefined=undefined,
        extensions=[FrenchTypography],
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        # Templates ship with mailbot: no stat of both files for every mail.
        auto_reload=False,
    )
    env.filters.update(local_date=_local_date, duration=_duration, nl2br=_nl2br,
                       status_label=_status_label, task_state=_task_state, reason=_reason, help_html=_help_html,
                       filesize=_filesize, kb_extract=_kb_extract_html if html else _kb_extract_text)
    env.filters.update(machine_labels.FILTERS)
    return env


_ENVIRONMENTS: dict[tuple[str, type[Undefined]], tuple[Environment, Environment]] = {}


def _environments(templates_package: str, undefined: type[Undefined]) -> tuple[Environment, Environment]:
    """The text and HTML environments, built once for each templates package and UNDEFINED."""
    key = (templates_package, undefined)
    if key not in _ENVIRONMENTS:
        _ENVIRONMENTS[key] = (_environment(templates_package, html=False, undefined=undefined),
                              _environment(templates_package, html=True, undefined=undefined))
    return _ENVIRONMENTS[key]


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


def _text_part(body: str, subtype: str) -> Message:
    """A UTF-8 text part, 7bit or 8bit as written (readable in the outbox folder), quoted-printable
    only when a line is too long for SMTP."""
    data = b"\n".join(body.encode("utf-8").splitlines()) + b"\n"
    part = Message(POLICY)
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
    text_env, html_env = _environments(templates_package, UNDEFINED)
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
    alternative.attach(_text_part(text, "plain"))
    alternative.attach(_text_part(html, "html"))
    if alternative is not message:
        message.attach(alternative)
        for document, data in documents.attached if documents is not None else ():
            message.attach(attachment_part(document, data, POLICY))
    # a task planned or cancelled: its calendar invitation, for the technician who planned it
    invitations.attach(message, alternative, invites, organizer=flatten(helpdesk_address), policy=POLICY,
                       organizer_name=flatten(helpdesk_name))
    return message
