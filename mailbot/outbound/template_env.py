"""The jinja2 environments of the mail templates: the filters they use (dates and durations in
words, sizes, statuses, reasons, `#help`), French typography applied as they compile, and the
environments themselves, built once per templates package."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from typing import Any

from jinja2 import Environment, PackageLoader, Undefined, pass_context
from jinja2.ext import Extension
from jinja2.lexer import Token, TokenStream
from markupsafe import Markup, escape

from mailbot.outbound import machine_labels
from mailbot.outbound.template_cache import bytecode_cache
from mailbot.parsers.reasons import Reason
from mailbot.parsers.typography import NBSP, french_spaces
from mailbot.workflow.kb_search import START, STOP, marked
from mailbot.workflow.states import LABELS

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

TASK_STATES = {"fr": {"information": "information", "todo": "à faire", "done": "fait"},
               "en": {"information": "information", "todo": "to do", "done": "done"}}



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


def environments(templates_package: str, undefined: type[Undefined]) -> tuple[Environment, Environment]:
    """The text and HTML environments, built once for each templates package and UNDEFINED."""
    key = (templates_package, undefined)
    if key not in _ENVIRONMENTS:
        _ENVIRONMENTS[key] = (_environment(templates_package, html=False, undefined=undefined),
                              _environment(templates_package, html=True, undefined=undefined))
    return _ENVIRONMENTS[key]
