"""Receiving and delivery settings: several mailboxes, their defaults, one-line errors."""

import json

import pytest

from mailbot.config import MailboxSettings, load_settings
from mailbot.errors import ConfigError


@pytest.fixture(autouse=True)
def clean_env(monkeypatch, tmp_path):
    for name in [n for n in __import__("os").environ if n.startswith("MAILBOT_")]:
        monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)


def test_the_simple_imap_url_and_the_mailboxes_list_are_all_read(monkeypatch):
    monkeypatch.setenv("MAILBOT_IMAP_URL", "imaps://helpdesk:pw@mail.lycee.example/INBOX")
    monkeypatch.setenv("MAILBOT_DEFAULT_GROUP", "Informatique")
    monkeypatch.setenv("MAILBOT_MAILBOXES", json.dumps(
        [{"url": "imaps://vie-scolaire:pw@mail.lycee.example/INBOX", "type": "request", "group": "Vie scolaire"}]))

    settings = load_settings()

    assert settings.imap_mailboxes == (
        MailboxSettings(url="imaps://helpdesk:pw@mail.lycee.example/INBOX", type="incident", group="Informatique"),
        MailboxSettings(url="imaps://vie-scolaire:pw@mail.lycee.example/INBOX", type="request", group="Vie scolaire"),
    )
    assert settings.listen_address == ""  # mail comes by IMAP: no listener unless asked


def test_mailboxes_can_be_tables_in_mailbot_toml(tmp_path):
    (tmp_path / "mailbot.toml").write_text(
        '[[mailboxes]]\nurl = "imap://a:b@127.0.0.1:10143/INBOX"\ngroup = "Réseau"\n\n'
        '[[mailboxes]]\nurl = "imap://c:d@127.0.0.1:10143/INBOX"\ntype = "request"\n')

    settings = load_settings()

    assert [(m.type, m.group) for m in settings.imap_mailboxes] == [("incident", "Réseau"), ("request", "")]


@pytest.mark.parametrize(("name", "value", "message"), [
    ("MAILBOT_MAILBOXES", '[{"url": "pop3://x@y"}]', "MAILBOT_MAILBOXES (mailbox 1, url): scheme must be one of"),
    ("MAILBOT_MAILBOXES", '[{"url": "imap://x@y", "type": "panne"}]', "(mailbox 1, type): expected incident or request"),
    ("MAILBOT_IMAP_MARK", "delete", "MAILBOT_IMAP_MARK:"),
    ("MAILBOT_LOG_FORMAT", "xml", "MAILBOT_LOG_FORMAT:"),
    ("MAILBOT_DEFAULT_TYPE", "panne", "MAILBOT_DEFAULT_TYPE: expected incident or request"),
    ("MAILBOT_LEASE_SECONDS", "1", "MAILBOT_LEASE_SECONDS:"),
    ("MAILBOT_MAX_TEXT_KB", "0", "MAILBOT_MAX_TEXT_KB: Input should be greater than or equal to 1"),
    ("MAILBOT_MAX_TEXT_KB", "lots", "MAILBOT_MAX_TEXT_KB:"),
    ("MAILBOT_HELPDESK_NAME", "Assistance\nBcc: x@evil.example", "MAILBOT_HELPDESK_NAME: one line of printable"),
    ("MAILBOT_NOTIFICATION_ATTACHMENTS_MB", "-1",
     "MAILBOT_NOTIFICATION_ATTACHMENTS_MB: Input should be greater than or equal to 0"),
    ("MAILBOT_NOTIFICATION_ATTACHMENTS_MB", "dix", "MAILBOT_NOTIFICATION_ATTACHMENTS_MB:"),
    ("MAILBOT_DIGEST_HOUR", "24", "MAILBOT_DIGEST_HOUR: an hour from 0 to 23, or off, expected"),
    ("MAILBOT_DIGEST_HOUR", "7h", "MAILBOT_DIGEST_HOUR: an hour from 0 to 23, or off, expected"),
])
def test_a_bad_value_is_one_line_naming_the_setting(monkeypatch, name, value, message):
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError) as caught:
        load_settings()
    assert message in str(caught.value) and "\n" not in str(caught.value)


def test_defaults_keep_certificate_checks_on_and_move_mail_to_processed():
    settings = load_settings()
    assert (settings.imap_tls_verify, settings.imap_mark, settings.imap_folder_processed) == (True, "move", "Processed")
    assert (settings.relay_seconds, settings.retry_first_seconds, settings.log_format) == (30, 30, "text")


def test_the_helpdesk_name_is_read_as_typed(monkeypatch):
    monkeypatch.setenv("MAILBOT_HELPDESK_NAME", " Assistance informatique – Lycée Jean Moulin ")
    assert load_settings().helpdesk_name == "Assistance informatique – Lycée Jean Moulin"
    monkeypatch.delenv("MAILBOT_HELPDESK_NAME")
    assert load_settings().helpdesk_name == ""


@pytest.mark.parametrize(("value", "hour"), [(None, 7), ("6", 6), ("0", 0), ("", None), ("off", None)])
def test_the_digest_hour_is_seven_by_default_and_may_be_off(monkeypatch, value, hour):
    if value is not None:
        monkeypatch.setenv("MAILBOT_DIGEST_HOUR", value)
    assert load_settings().digest_hour == hour
