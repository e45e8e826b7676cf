"""The web desk's jinja2 environment: HTML templates in mailbot/web/templates, autoescaped,
with the same date, duration and status words as the mails (in the viewer's language and
MAILBOT_TIMEZONE)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, pass_context, select_autoescape
from markupsafe import Markup, escape

from mailbot.outbound.template_env import DATE_FORMATS, MONTHS, TASK_STATES, WEEKDAYS, clock_time, day_number
from mailbot.workflow.machines import label
from mailbot.workflow.states import LABELS


def long_date(moment: datetime, language: str, tz: Any) -> str:
    """"lundi 30 novembre 2026 à 9 h 05", "Monday 30 November 2026 at 9:05"."""
    local = moment.astimezone(tz)
    return DATE_FORMATS[language].format(
        weekday=WEEKDAYS[language][local.weekday()], day=day_number(local.day, language),
        month=MONTHS[language][local.month - 1], year=local.year, time=clock_time(local.hour, local.minute, language))


def short_date(moment: datetime, language: str, tz: Any) -> str:
    """"30/11/2026 9 h 05" in French, "2026-11-30 9:05" in English: for the tables."""
    local = moment.astimezone(tz)
    day = f"{local:%d/%m/%Y}" if language == "fr" else f"{local:%Y-%m-%d}"
    return f"{day} {clock_time(local.hour, local.minute, language)}"


def day_title(moment: datetime, language: str, tz: Any) -> str:
    """"lundi 30 novembre", "Monday 30 November"."""
    local = moment.astimezone(tz)
    return f"{WEEKDAYS[language][local.weekday()]} {day_number(local.day, language)} {MONTHS[language][local.month - 1]}"


def clock(moment: datetime, language: str, tz: Any) -> str:
    local = moment.astimezone(tz)
    return clock_time(local.hour, local.minute, language)


def duration(minutes: int, language: str) -> str:
    hours, rest = divmod(int(minutes or 0), 60)
    if not hours:
        return f"{rest}\u00a0min" if language == "fr" else f"{rest} min"
    return clock_time(hours, rest, "fr") if language == "fr" else f"{hours}h{rest:02d}"


def file_size(size: int, language: str) -> str:
    """"820 o", "12,3 Ko", "1,5 Mo" in French; "820 B", "12.3 KB", "1.5 MB" in English."""
    units = ("o", "Ko", "Mo", "Go") if language == "fr" else ("B", "KB", "MB", "GB")
    value, unit = float(size), 0
    while value >= 1024 and unit < len(units) - 1:
        value, unit = value / 1024, unit + 1
    number = f"{int(value)}" if unit == 0 else f"{value:.1f}"
    return f"{number.replace('.', ',')}\u00a0{units[unit]}" if language == "fr" else f"{number} {units[unit]}"


def item_text(item: tuple[str | None, str], language: str) -> str:
    """An associated item of a desk row: `Ordinateur - 203-02` for a machine, else its name."""
    machine_type, name = item
    return label(machine_type, name, language) if machine_type else name


def nl2br(text: Any) -> Markup:
    return Markup("<br>\n").join(escape(line) for line in str(text or "").splitlines())


def _with_context(function: Any) -> Any:
    @pass_context
    def filter_(ctx: Any, value: Any, *args: Any) -> Any:
        if value is None or value == "":
            return ""
        return function(value, ctx["language"], ctx["timezone"], *args)

    return filter_


def environment(*, strict: bool = False) -> Environment:
    env = Environment(loader=PackageLoader("mailbot.web", "templates"), autoescape=select_autoescape(["html"]),
                      trim_blocks=True, lstrip_blocks=True, auto_reload=False,
                      undefined=StrictUndefined if strict else Environment().undefined)
    env.filters.update(
        long_date=_with_context(long_date), short_date=_with_context(short_date),
        day_title=_with_context(day_title), clock=_with_context(clock), nl2br=nl2br,
        duration=pass_context(lambda ctx, minutes: duration(minutes, ctx["language"])),
        file_size=pass_context(lambda ctx, size: file_size(size, ctx["language"])),
        item_text=pass_context(lambda ctx, item: item_text(item, ctx["language"])),
        status_label=pass_context(lambda ctx, status: LABELS[ctx["language"]].get(str(status), str(status))),
        task_state=pass_context(lambda ctx, state: TASK_STATES[ctx["language"]].get(str(state), str(state))),
    )
    return env
