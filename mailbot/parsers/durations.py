"""Durations (`1h30`) and planning dates (`01/12/2026 14h00`) written in technician commands."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from fractions import Fraction
from zoneinfo import ZoneInfo

from mailbot.parsers.reasons import ReasonError, because

# A task longer than this is surely a typo (and would not fit the task's minutes column).
MAX_DURATION_MINUTES = 1000 * 60

HOUR_UNITS = ("h", "hr", "hrs", "hour", "hours", "heure", "heures")
MINUTE_UNITS = ("m", "mn", "min", "mins", "minute", "minutes")

_H = "|".join(HOUR_UNITS)
_M = "|".join(MINUTE_UNITS)
_HOURS_MINUTES = re.compile(rf"(\d+)(?:{_H})(?:(\d{{1,2}})(?:{_M})?)?")  # 1h, 1h30, 0h15, 1h30min
_MINUTES = re.compile(rf"(\d+)(?:{_M})")  # 45m, 45min
_CLOCK = re.compile(r"(\d+):(\d{2})")  # 1:30
_DECIMAL_HOURS = re.compile(rf"(\d+)[.,](\d+)(?:{_H})")  # 1.5h, 1,5h
_DECIMAL_MINUTES = re.compile(rf"\d+[.,]\d+(?:{_M})")
_BARE_NUMBER = re.compile(r"\d+(?:[.,]\d+)?")


def parse_duration(text: str) -> int:
    """Read a task duration and return it in minutes.

    Accepted: `0h15`, `1h`, `1h30`, `1h30min`, `45m`, `45mn`, `45min`, `1:30`, `1.5h`, `1,5h`,
    and the long units (`2 heures`, `45 minutes`). Case and spaces inside are ignored, so
    `2 h`, `1H30` and `45 min` are accepted too. Decimal hours are rounded to the nearest
    minute (`1.33h` is 80 minutes). A bare number (`90`) is refused: hours or minutes?

    Raises ReasonError (a ValueError; `reasons.py`) quoting what they wrote:
    `'1h75': minutes must be below 60`. Zero, negative and more than 1000 hours are errors.
    """
    shown = text.strip()
    compact = re.sub(r"\s+", "", shown).casefold()
    if not compact:
        raise ReasonError(because("duration_needed"))
    if compact.startswith("-"):
        raise ReasonError(because("duration_negative", text=shown))
    minutes = _minutes(compact, shown)
    if minutes <= 0:
        raise ReasonError(because("duration_zero", text=shown))
    if minutes > MAX_DURATION_MINUTES:
        raise ReasonError(because("duration_too_long", text=shown, hours=MAX_DURATION_MINUTES // 60))
    return minutes


def _minutes(compact: str, shown: str) -> int:
    if m := _HOURS_MINUTES.fullmatch(compact) or _CLOCK.fullmatch(compact):
        hours, minutes = int(m[1]), int(m[2] or 0)
        if minutes >= 60:
            raise ReasonError(because("minutes_below_60", text=shown))
        return hours * 60 + minutes
    if m := _MINUTES.fullmatch(compact):
        return int(m[1])
    if m := _DECIMAL_HOURS.fullmatch(compact):
        exact = Fraction(f"{m[1]}.{m[2]}") * 60
        return int(exact + Fraction(1, 2))  # round half up, never to even
    if _DECIMAL_MINUTES.fullmatch(compact):
        raise ReasonError(because("minutes_whole", text=shown))
    if _BARE_NUMBER.fullmatch(compact):
        raise ReasonError(because("duration_unit", text=shown, number=compact))
    raise ReasonError(because("not_a_duration", text=shown))


_ISO_DATE = r"(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})"
_FRENCH_DATE = r"(?P<d>\d{1,2})[/.-](?P<m>\d{1,2})[/.-](?P<y>\d{4})"
_TIME = r"(?P<hh>\d{1,2})(?:h(?P<mm>\d{2})?|:(?P<mm2>\d{2}))"
_SEPARATOR = r"(?:\s+(?:à|a|at)\s+|\s+|t)"  # `2026-12-01T14:00`, `01/12/2026 à 14h`
_PLANNINGS = tuple(re.compile(date + _SEPARATOR + _TIME) for date in (_ISO_DATE, _FRENCH_DATE))
_DATE_ONLY = tuple(re.compile(date) for date in (_ISO_DATE, _FRENCH_DATE))

MIN_YEAR, MAX_YEAR = 2000, 2099


def parse_planning(text: str, tz: ZoneInfo) -> datetime:
    """Read a planning date and time, written in the zone `tz`, and return it as aware UTC.

    Accepted: `2026-12-01 14:00`, `2026-12-01T14:00`, `01/12/2026 14h00`, `01/12/2026 14h`,
    `01/12/2026 14:00`, `1/12/2026 à 14h00` (French order: day/month/year; `.` or `-`
    also separate the French date). A date without a time is refused, so is a time that
    the clock skips in `tz` (the spring change); a time that happens twice (autumn) is the
    first one.

    Raises ReasonError (a ValueError; `reasons.py`) quoting what was written.
    """
    shown = " ".join(text.split())
    folded = shown.casefold()
    for pattern in _PLANNINGS:
        if m := pattern.fullmatch(folded):
            return _to_utc(m, shown, tz)
    if any(p.fullmatch(folded) for p in _DATE_ONLY):
        raise ReasonError(because("time_needed", text=shown))
    raise ReasonError(because("not_a_planning", text=shown))


def _to_utc(m: re.Match, shown: str, tz: ZoneInfo) -> datetime:
    hour, minute = int(m["hh"]), int(m["mm"] or m["mm2"] or 0)
    if not MIN_YEAR <= int(m["y"]) <= MAX_YEAR:  # a typo; also keeps UTC and `end` in range
        raise ReasonError(because("year_range", text=shown, min=MIN_YEAR, max=MAX_YEAR))
    if hour > 23 or minute > 59:
        raise ReasonError(because("no_such_time", text=shown))
    try:
        local = datetime(int(m["y"]), int(m["m"]), int(m["d"]), hour, minute, tzinfo=tz)
    except ValueError:
        raise ReasonError(because("no_such_date", text=shown)) from None
    utc = local.astimezone(UTC)
    if utc.astimezone(tz).replace(tzinfo=None) != local.replace(tzinfo=None):
        raise ReasonError(because("clock_change", text=shown, zone=tz.key))
    return utc
