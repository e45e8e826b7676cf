"""What the technician reads on the command line: times in MAILBOT_TIMEZONE to the minute (JSON
keeps UTC ISO 8601), empty lists that say so, `tickets list` with its count and `--limit`/`--all`,
`--help` with named values, `mailbot --version`."""

import json
import os
import subprocess
from email.message import EmailMessage
from importlib.metadata import version

import pytest

from tests.mailbot_run import MAILBOT
from tests.scenario.helpdesk import Helpdesk

TECH = "camille.tech@lycee.example"


@pytest.fixture
def montreal(tmp_path):
    desk = Helpdesk(tmp_path, timezone="America/Montreal")
    yield desk
    desk.close()


def test_times_are_shown_in_the_helpdesk_time_zone_without_seconds_and_json_keeps_utc(montreal):
    montreal.clock.advance(seconds=5.25)  # 09:00:05.25 UTC is 04:00 in Montréal
    montreal.send("prof@lycee.example", "Wifi en panne", "Plus de wifi en salle 12.")

    listed = montreal.cli("tickets", "list").splitlines()
    shown = montreal.cli("tickets", "show", "1")

    assert listed[1].split()[:4] == ["#1", "new", "2026-11-30", "04:00"]
    assert "created 2026-11-30 04:00, updated 2026-11-30 04:00" in shown
    assert "[2026-11-30 04:00] status - -> new" in shown
    assert "09:00" not in shown and ".25" not in shown and "+00:00" not in shown
    assert montreal.cli_json("tickets", "list")[0]["updated_at"] == "2026-11-30T09:00:05.250000+00:00"
    assert montreal.cli_json("tickets", "show", "1")["created_at"] == "2026-11-30T09:00:05.250000+00:00"


def test_a_failed_mail_and_a_kb_article_are_listed_with_local_times(helpdesk):
    helpdesk.cli("users", "add", TECH, "--technician")
    helpdesk.send("prof@lycee.example", "Ordinateur lent", "Le poste 203-02 est lent.")
    helpdesk.clock.advance(hours=2, minutes=30)
    helpdesk.send(TECH, "Re: [Ticket #1] Ordinateur lent", "#take\n#solve\n#kb\nBarrette remplacée.")
    documents = helpdesk.settings.documents_dir
    if documents.is_dir():
        documents.rmdir()  # empty: no mail so far had an attachment
    documents.write_text("not a folder")  # storing the next attachment fails
    mail = EmailMessage()
    mail["From"], mail["To"], mail["Subject"] = "prof@lycee.example", "helpdesk@lycee.example", "Tableau blanc"
    mail["Message-ID"] = "<tbi-1@lycee.example>"
    mail.set_content("Le TBI ne s'allume plus.")
    mail.add_attachment(b"%PDF-1.4", maintype="application", subtype="pdf", filename="photo.pdf")
    assert helpdesk.app.process(mail.as_bytes(), "direct").outcome == "failed"

    [article] = helpdesk.cli("kb", "list").splitlines()
    failed = helpdesk.cli("failed", "list").splitlines()
    shown = helpdesk.cli("failed", "show", failed[0].split()[0]).splitlines()

    assert article.split()[:3] == ["1", "2026-11-30", "12:30"]  # 11:30 UTC in Paris
    assert failed[0].split()[1:4] == ["2026-11-30", "12:30", "prof@lycee.example"]
    assert failed[1:] == ["no notification given up"]
    assert "received_at: 2026-11-30 12:30" in shown


def test_empty_lists_say_so(helpdesk):
    assert helpdesk.cli("tickets", "list") == "no open tickets\n"
    assert helpdesk.cli("tickets", "list", "--status", "closed") == "no closed tickets\n"
    assert helpdesk.cli("failed", "list") == "no failed mail\nno notification given up\n"
    assert helpdesk.cli("kb", "list").startswith("no knowledge-base articles")
    assert helpdesk.cli("users", "list").startswith("no users yet")
    helpdesk.cli("users", "add", TECH, "--technician")
    assert helpdesk.cli("tickets", "list", "--view", "personal", "--as", TECH) == \
        f"no open tickets assigned to {TECH}\n"
    assert helpdesk.cli_json("tickets", "list") == [] and helpdesk.cli_json("kb", "list") == []


def _open_three(helpdesk: Helpdesk) -> None:
    for subject in ("Wifi", "Imprimante", "ENT"):
        helpdesk.send("prof@lycee.example", subject, "Ça ne marche pas.")
        helpdesk.clock.advance(minutes=1)


def test_tickets_list_says_how_many_there_are_and_how_many_it_shows(helpdesk):
    _open_three(helpdesk)

    everything = helpdesk.cli("tickets", "list").splitlines()
    cut = helpdesk.cli("tickets", "list", "--limit", "2").splitlines()
    all_of_them = helpdesk.cli("tickets", "list", "--limit", "1", "--all").splitlines()

    assert everything[0] == "3 open tickets" and [line.split()[0] for line in everything[1:]] == ["#3", "#2", "#1"]
    assert cut[0] == "3 open tickets, the 2 most recently updated shown (--limit N or --all for more)"
    assert [line.split()[0] for line in cut[1:]] == ["#3", "#2"]
    assert all_of_them == everything
    assert helpdesk.cli("tickets", "list", "--status", "new").splitlines()[0] == "3 new tickets"


def test_a_cut_json_list_stays_a_json_list_and_the_cut_is_said_on_stderr(helpdesk):
    _open_three(helpdesk)
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAILBOT_")}
    env["MAILBOT_DATABASE_URL"] = helpdesk.settings.database_url

    done = subprocess.run([MAILBOT, "tickets", "list", "--json", "--limit", "2"], cwd=helpdesk.tmp, env=env,
                          capture_output=True, text=True, timeout=60, check=True)

    assert [t["id"] for t in json.loads(done.stdout)] == [3, 2]
    assert done.stderr == "mailbot: 3 open tickets, the 2 most recently updated shown (--limit N or --all for more)\n"


COMMANDS = [("run",), ("poll",), ("ingest",), ("worker",), ("autoclose",), ("check",), ("db", "upgrade"),
            ("users", "add"), ("users", "list"), ("tickets", "list"), ("tickets", "show"), ("kb", "list"),
            ("kb", "show"), ("kb", "search"), ("failed", "list"), ("failed", "show"), ("failed", "retry")]


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_every_option_that_takes_a_value_names_it(helpdesk, command):
    text = helpdesk.cli(*command, "--help")
    # `--as EMAIL  The technician…`: the word after the option is its value's name, or its help
    after_options = [line.split()[1] for line in text.splitlines() if line.startswith("  --")]

    assert after_options
    assert [word for word in after_options if word.startswith("<") or word in ("TEXT", "INTEGER", "FLOAT")] == [], text


def test_tickets_list_and_users_add_help_show_their_values(helpdesk):
    listed = helpdesk.cli("tickets", "list", "--help")
    added = helpdesk.cli("users", "add", "--help")

    for option in ("--status STATUS", "--view VIEW", "--as EMAIL", "--limit N", "--all ", "--json "):
        assert f"  {option}" in listed
    for option in ("--name NAME", "--group GROUP", "--language fr|en", "--technician "):
        assert f"  {option}" in added
    assert "users add [OPTIONS] {EMAIL}" in added


def test_mailbot_version(helpdesk):
    assert helpdesk.cli("--version") == f"mailbot {version('mailbot')}\n"


def test_ingest_jobs_on_sqlite_is_refused_in_one_line_naming_the_option(helpdesk):
    mail = helpdesk.tmp / "one.eml"
    mail.write_bytes(b"From: prof@lycee.example\r\nTo: helpdesk@lycee.example\r\nSubject: Wifi\r\n\r\nPanne.\r\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAILBOT_")}
    env.update({"MAILBOT_DATABASE_URL": helpdesk.settings.database_url,
                "MAILBOT_OUTBOX_DIR": str(helpdesk.settings.outbox_dir)})

    done = subprocess.run([MAILBOT, "ingest", "--jobs", "2", str(mail)], cwd=helpdesk.tmp, env=env,
                          capture_output=True, text=True, timeout=60, check=False)

    assert done.returncode == 1
    assert done.stderr == ("mailbot: --jobs: more than 1 needs PostgreSQL (SQLite has a single writer); "
                           "leave it out or use --jobs 1\n")
    assert helpdesk.cli_json("tickets", "list") == []  # nothing was processed
