"""`mailbot planning --as EMAIL [--ics]`: a technician's planned tasks of the coming days on the
command line, as text, JSON or an iCalendar file that an independent parser reads back."""

from datetime import UTC, datetime, timedelta

from icalendar import Calendar

from tests.scenario.web import TECH, TECH2

PROF = "loic.prof@lycee.example"


def _plan(helpdesk, days_ahead: int = 2):
    """Two planned tasks `days_ahead` days from today (the command counts from the real now)."""
    day = (datetime.now(UTC) + timedelta(days=days_ahead)).strftime("%d/%m/%Y")
    helpdesk.cli("users", "add", TECH, "--technician", "--group", "Réseau", "--name", "Camille Tech")
    helpdesk.cli("users", "add", TECH2, "--technician", "--group", "Réseau")
    helpdesk.send(PROF, "Imprimante en panne", "Elle affiche une erreur.")
    helpdesk.send(PROF, "Wifi lent", "Le wifi est lent.")
    helpdesk.send(TECH, "Re: [Ticket #1] Imprimante en panne", f"#task todo 1h30 @ {day} 14h00 Changer le toner")
    helpdesk.send(TECH2, "Re: [Ticket #2] Wifi lent", f"#task todo 0h30 @ {day} 09h00 Borne")
    return day


def test_the_planning_as_text_json_and_icalendar(helpdesk):
    day = _plan(helpdesk)
    text = helpdesk.cli("planning", "--as", TECH)
    (line,) = text.splitlines()
    iso_day = datetime.strptime(day, "%d/%m/%Y").strftime("%Y-%m-%d")
    assert line.startswith(f"{iso_day} 14:00–15:30  #1 ") and "Imprimante en panne" in line and "Changer le toner" in line

    (task,) = helpdesk.cli_json("planning", "--as", TECH)
    assert (task["ticket"], task["state"], task["duration_minutes"], task["technician"]) == (1, "todo", 90, TECH)

    calendar = Calendar.from_ical(helpdesk.cli("planning", "--as", TECH, "--ics"))
    (event,) = calendar.walk("VEVENT")
    assert str(event["SUMMARY"]) == "#1 Imprimante en panne"
    assert event.decoded("DTEND") - event.decoded("DTSTART") == timedelta(minutes=90)
    assert str(calendar["METHOD"]) == "PUBLISH"


def test_the_group_planning_adds_the_groups_tasks_in_time_order(helpdesk):
    _plan(helpdesk)
    lines = helpdesk.cli("planning", "--as", TECH, "--group").splitlines()
    assert [line.split("  ")[1].split()[0] for line in lines] == ["#2", "#1"]  # 9h before 14h
    assert lines[0].endswith(f"({TECH2})")


def test_nothing_planned_says_so(helpdesk):
    _plan(helpdesk, days_ahead=20)
    assert helpdesk.cli("planning", "--as", TECH) == f"no planned task in the next 7 day(s) for {TECH}\n"
    assert "Changer le toner" in helpdesk.cli("planning", "--as", TECH, "--days", "30")
