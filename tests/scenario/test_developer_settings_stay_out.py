"""The scenario helpdesk runs on the values its test gives and the defaults only: whatever the
developer's shell, `.env` or `mailbot.toml` say, a scenario behaves the same on every machine."""

import pytest

from tests.scenario.helpdesk import Helpdesk

# Values that would each change a scenario: another database and broker, unknown senders
# refused, another subject tag. None of them may reach the helpdesk or its command line.
HOSTILE = {
    "MAILBOT_DATABASE_URL": "postgresql://hostile@127.0.0.1:1/elsewhere",
    "MAILBOT_BROKER_URL": "redis://127.0.0.1:1/0",
    "MAILBOT_UNKNOWN_SENDERS": "reject",
    "MAILBOT_SUBJECT_TAG": "Hostile",
}


def in_the_environment(folder, monkeypatch):
    for name, value in HOSTILE.items():
        monkeypatch.setenv(name, value)


def in_a_dotenv_file(folder, monkeypatch):
    (folder / ".env").write_text("".join(f"{name}={value}\n" for name, value in HOSTILE.items()))


def in_mailbot_toml(folder, monkeypatch):
    lines = [f'{name.removeprefix("MAILBOT_").lower()} = "{value}"\n' for name, value in HOSTILE.items()]
    (folder / "mailbot.toml").write_text("".join(lines))


@pytest.mark.parametrize("put_them", [in_the_environment, in_a_dotenv_file, in_mailbot_toml])
def test_the_developers_settings_never_reach_the_scenario_helpdesk(tmp_path, monkeypatch, put_them):
    project = tmp_path / "project"  # the developer's working folder
    project.mkdir()
    monkeypatch.chdir(project)
    put_them(project, monkeypatch)
    (tmp_path / "desk").mkdir()

    desk = Helpdesk(tmp_path / "desk")
    try:
        result = desk.send("inconnu@lycee.example", "Wifi en panne", "Plus de réseau en salle 12.")
        assert result.outcome == "ticket", result.reason  # unknown senders are welcome by default
        (ack,) = desk.new_mails()  # sent through the embedded worker, not a broker elsewhere
        assert ack.subject == "[Ticket #1] Wifi en panne"
        assert [t["title"] for t in desk.cli_json("tickets", "list")] == ["Wifi en panne"]
        desk.cli("check")  # exits 0: no broker to reach, the database is the helpdesk's
    finally:
        desk.close()
