"""The morning digest: from MAILBOT_DIGEST_HOUR each technician with something to read gets one
mail a day with the two tables and the day's planning of the `#tickets` answer; a second run
the same day, or a second process, sends nothing more; the next day it comes again."""

from datetime import UTC, datetime

from mailbot.app import App

LOIC = "loic.medori@lycee.example"
TECH = "camille.tech@lycee.example"
SAM = "sami.tech@lycee.example"
DOMINIQUE = "dominique.tech@lycee.example"


def text(mail) -> str:  # type: ignore[no-untyped-def]
    return mail.text.replace("\r\n", "\n")


def school(helpdesk) -> None:  # type: ignore[no-untyped-def]
    """Camille has ticket #1 with a task this afternoon and one tomorrow; #2 is nobody's yet.
    Sami is in a group with no ticket, and nothing planned: nothing to read."""
    helpdesk.cli("users", "add", TECH, "--name", "Camille Tech", "--technician")
    helpdesk.cli("users", "add", SAM, "--name", "Sami Tech", "--technician", "--group", "Réseau")
    helpdesk.send(f"Loïc Medori <{LOIC}>", "Ordinateur très lent", "L'ordinateur 203-02 est très lent.")
    helpdesk.send(TECH, "Re: [Ticket #1] Ordinateur très lent",
                  "#take\n#task 1h @ 30/11/2026 14h00 Pose de la barrette\n#task 0h30 @ 01/12/2026 09h00 Contrôle")
    helpdesk.send(LOIC, "Imprimante en panne", "Bourrage en salle 12.")
    helpdesk.new_mails()


def at(helpdesk, year: int, month: int, day: int, hour: int, minute: int = 0) -> None:  # type: ignore[no-untyped-def]
    helpdesk.clock.now = datetime(year, month, day, hour, minute, tzinfo=UTC)


def test_before_the_hour_nothing_at_the_hour_one_mail_each_then_nothing_the_same_day(helpdesk):
    helpdesk.clock.now = datetime(2026, 11, 30, 4, 0, tzinfo=UTC)  # 5 h in Paris
    school(helpdesk)
    at(helpdesk, 2026, 11, 30, 5, 59)  # 6 h 59 in Paris
    assert helpdesk.app.digest() == []
    assert helpdesk.new_mails() == []

    at(helpdesk, 2026, 11, 30, 6, 0)  # 7 h in Paris: MAILBOT_DIGEST_HOUR's default
    assert helpdesk.app.digest() == [TECH]  # Sami has nothing to read: no mail
    helpdesk.app.wait_for_delivery()
    (digest,) = helpdesk.new_mails()
    assert (digest.to, digest.subject) == (TECH, "Vos tickets du jour")
    assert digest.message["Auto-Submitted"] == "auto-generated"
    body = text(digest)
    expected = ["Voici le point du jour\u00a0: vos tickets et votre planning de la journée.",
                "Vos tickets en cours (1)",
                "  #1 – Loïc Medori – Ordinateur très lent (0 suivi, 2 tâches\u202f; en cours (planifié))",
                "Tickets à traiter (1)",
                "  #2 – Loïc Medori – Imprimante en panne (0 suivi, 0 tâche\u202f; nouveau)",
                "Votre planning",
                "  lundi 30 novembre 2026 à 14\u00a0h – #1 Ordinateur très lent\u00a0: Pose de la barrette"]
    positions = [body.find(line + "\n") for line in expected]
    assert -1 not in positions, [line for line, where in zip(expected, positions, strict=True) if where == -1]
    assert positions == sorted(positions)
    assert "Contrôle" not in body  # tomorrow's task is not today's planning

    at(helpdesk, 2026, 11, 30, 9, 0)
    helpdesk.send(LOIC, "Vidéoprojecteur", "Plus d'image en salle 203.")
    helpdesk.new_mails()
    assert helpdesk.app.digest() == []  # once a day, even with something new
    helpdesk.app.wait_for_delivery()
    assert helpdesk.new_mails() == []


def test_the_next_day_it_comes_again(helpdesk):
    school(helpdesk)
    assert helpdesk.app.digest() == [TECH]
    helpdesk.app.wait_for_delivery()  # written before the clock moves: the outbox files are named by it
    helpdesk.new_mails()
    at(helpdesk, 2026, 12, 1, 5, 0)  # 6 h in Paris the next day: not yet
    assert helpdesk.app.digest() == []
    at(helpdesk, 2026, 12, 1, 6, 30)
    assert helpdesk.app.digest() == [TECH]
    helpdesk.app.wait_for_delivery()
    (digest,) = helpdesk.new_mails()
    assert "mardi 1er décembre 2026 à 9\u00a0h – #1 Ordinateur très lent\u00a0: Contrôle" in text(digest)


def test_a_technician_with_nothing_gets_nothing_that_day_even_when_something_comes_later(helpdesk):
    school(helpdesk)
    assert helpdesk.app.digest() == [TECH]
    helpdesk.send(TECH, "Re: [Ticket #2] Imprimante en panne", f"#assign {SAM}")  # now Sami has a ticket
    helpdesk.new_mails()
    assert helpdesk.app.digest() == []  # Sami's day was decided at the first run; he was told of #2 by mail
    at(helpdesk, 2026, 12, 1, 6, 0)
    assert helpdesk.app.digest() == [TECH, SAM]


def test_two_processes_send_one_digest_each(helpdesk):
    school(helpdesk)
    other = App(helpdesk.settings, clock=helpdesk.clock)  # a second `mailbot run` on the same database
    try:
        assert other.digest() + helpdesk.app.digest() == [TECH]
    finally:
        other.close()


def test_the_command_sends_it_now_once(helpdesk):
    school(helpdesk)
    assert helpdesk.cli("digest", "--now") == f"digest sent to 1 technician(s): {TECH}\n"
    (digest,) = helpdesk.new_mails()
    assert (digest.to, digest.subject) == (TECH, "Vos tickets du jour")
    assert helpdesk.cli("digest", "--now") == "digest sent to 0 technician(s)\n"
    assert helpdesk.new_mails() == []


def test_the_english_digest_and_the_hour_off(tmp_path):
    from tests.scenario.helpdesk import Helpdesk

    desk = Helpdesk(tmp_path, digest_hour=None)
    try:
        desk.cli("users", "add", DOMINIQUE, "--name", "Dominique", "--technician", "--language", "en")
        desk.send(LOIC, "Printer", "Paper jam.")
        desk.new_mails()
        assert desk.app.digest() == []  # off
        assert desk.app.digest(force=True) == [DOMINIQUE]
        desk.app.wait_for_delivery()
        (digest,) = desk.new_mails()
        assert (digest.to, digest.subject) == (DOMINIQUE, "Your tickets for today")
        assert "Here is your day: your tickets and your planning for today." in text(digest)
        assert "Tickets to handle (1)" in text(digest)
    finally:
        desk.close()


def test_the_command_says_when_the_digest_is_off(helpdesk, monkeypatch):
    import os

    from typer.testing import CliRunner

    from mailbot.cli import cli

    school(helpdesk)
    env: dict[str, str | None] = {name: None for name in os.environ if name.startswith("MAILBOT_")}
    env.update({"MAILBOT_DATABASE_URL": helpdesk.settings.database_url, "MAILBOT_DIGEST_HOUR": "off",
                "MAILBOT_OUTBOX_DIR": str(helpdesk.settings.outbox_dir)})
    monkeypatch.chdir(helpdesk.tmp)
    result = CliRunner().invoke(cli, ["digest"], env=env, catch_exceptions=False)
    assert (result.exit_code, result.output) == (
        0, "the morning digest is off (MAILBOT_DIGEST_HOUR); --now sends it all the same\n")
    assert helpdesk.new_mails() == []
