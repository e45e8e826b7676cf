"""Durations and planning dates as technicians write them in `#task`."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from mailbot.parsers.durations import parse_duration, parse_planning

PARIS = ZoneInfo("Europe/Paris")


@pytest.mark.parametrize("text, minutes", [
    ("0h15", 15), ("1h", 60), ("1h30", 90), ("45m", 45), ("45min", 45), ("45mn", 45),
    ("1:30", 90), ("1.5h", 90), ("1,5h", 90), ("0.25h", 15), ("1.33h", 80),
    ("2 h", 120), ("45 min", 45), ("1H30", 90), ("1h30min", 90), ("1h5", 65),
    ("2 heures", 120), ("90 minutes", 90), (" 0h15 ", 15), ("1000h", 60000),
])
def test_every_written_duration_form_is_read_in_minutes(text, minutes):
    assert parse_duration(text) == minutes


@pytest.mark.parametrize("text, reason", [
    ("1h75", "'1h75': minutes must be below 60"),
    ("1:75", "'1:75': minutes must be below 60"),
    ("0h", "'0h': a duration must be more than zero"),
    ("0:00", "'0:00': a duration must be more than zero"),
    ("0min", "'0min': a duration must be more than zero"),
    ("-1h", "'-1h': a duration must be positive"),
    ("90", "'90': add a unit, e.g. 90h or 90min"),
    ("1.5", "'1.5': add a unit, e.g. 1.5h or 1.5min"),
    ("1.5min", "'1.5min': minutes must be a whole number"),
    ("1001h", "'1001h': a duration must be at most 1000 hours"),
    ("", "a duration is needed, e.g. 0h15, 1h30, 45min, 1:30, 1.5h"),
    ("demain", "'demain': not a duration (write e.g. 0h15, 1h30, 45min, 1:30, 1.5h)"),
    ("1h30h", "'1h30h': not a duration (write e.g. 0h15, 1h30, 45min, 1:30, 1.5h)"),
])
def test_a_bad_duration_is_refused_with_a_reason_quoting_it(text, reason):
    with pytest.raises(ValueError) as caught:
        parse_duration(text)
    assert str(caught.value) == reason


@pytest.mark.parametrize("text", [
    "2026-12-01 14:00", "2026-12-01T14:00", "01/12/2026 14h00", "01/12/2026 14:00",
    "01/12/2026 14h", "1/12/2026 14h00", "01/12/2026 à 14h00", "01.12.2026 14h00",
    "01-12-2026 14:00", "  01/12/2026   14h00 ",
])
def test_planning_forms_are_read_in_the_configured_zone_and_returned_in_utc(text):
    assert parse_planning(text, PARIS) == datetime(2026, 12, 1, 13, 0, tzinfo=UTC)


def test_planning_in_summer_uses_summer_time():
    assert parse_planning("01/07/2026 14h00", PARIS) == datetime(2026, 7, 1, 12, 0, tzinfo=UTC)


def test_planning_date_is_read_day_first_in_the_french_form():
    assert parse_planning("02/03/2026 10:00", ZoneInfo("UTC")) == datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


def test_planning_at_an_hour_that_happens_twice_is_the_first_one():
    assert parse_planning("25/10/2026 02h30", PARIS) == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)


@pytest.mark.parametrize("text, reason", [
    ("01/12/2026", "'01/12/2026': a time is needed, e.g. 01/12/2026 14h00"),
    ("2026-12-01", "'2026-12-01': a time is needed, e.g. 2026-12-01 14h00"),
    ("32/12/2026 14h00", "'32/12/2026 14h00': no such date"),
    ("29/02/2026 14h00", "'29/02/2026 14h00': no such date"),
    ("01/12/2026 25h00", "'01/12/2026 25h00': no such time of day"),
    ("01/12/2026 14h75", "'01/12/2026 14h75': no such time of day"),
    ("29/03/2026 02h30", "'29/03/2026 02h30': this time does not exist in Europe/Paris (clock change)"),
    ("demain 14h", "'demain 14h': not a date and time (write e.g. 2026-12-01 14:00 or 01/12/2026 14h00)"),
    ("01/01/0001 00h00", "'01/01/0001 00h00': the year must be between 2000 and 2099"),
    ("2100-01-01 10:00", "'2100-01-01 10:00': the year must be between 2000 and 2099"),
    ("01/12/26 14h", "'01/12/26 14h': not a date and time (write e.g. 2026-12-01 14:00 or 01/12/2026 14h00)"),
])
def test_a_bad_planning_is_refused_with_a_reason_quoting_it(text, reason):
    with pytest.raises(ValueError) as caught:
        parse_planning(text, PARIS)
    assert str(caught.value) == reason
