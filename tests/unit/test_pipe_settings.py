"""`mailbot ingest -` reads MAILBOT_LISTEN and MAILBOT_LOG_FORMAT without pydantic: on the same
environment, `.env` and `mailbot.toml` it must find what `Settings` finds, or give up (None)
where Settings refuses the configuration."""

from __future__ import annotations

import os

import pytest

from mailbot.config import load_settings
from mailbot.errors import ConfigError
from mailbot.pipe_settings import read_pipe_settings


@pytest.fixture(autouse=True)
def clean_env(monkeypatch, tmp_path):
    for name in [n for n in os.environ if n.lower().startswith("mailbot_")]:
        monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)


LMTP_SOCKET = "lmtp:///run/mailbot/lmtp.sock"

# (what the test sets up, environment, `.env` text, `mailbot.toml` text)
CASES = {
    "nothing set": ({}, None, None),
    "environment": ({"MAILBOT_LISTEN": "lmtp://127.0.0.1:2424"}, None, None),
    "environment, lower case": ({"mailbot_listen": "smtp://127.0.0.1:2525", "Mailbot_Log_Format": "json"}, None, None),
    "environment, empty": ({"MAILBOT_LISTEN": ""}, "MAILBOT_LISTEN=lmtp://127.0.0.1:1\n", None),
    "bare HOST:PORT": ({"MAILBOT_LISTEN": "127.0.0.1:2525"}, None, None),
    "IPv6": ({"MAILBOT_LISTEN": "lmtp://[::1]:2424"}, None, None),
    ".env": ({}, f"# the listener\nexport MAILBOT_LISTEN='{LMTP_SOCKET}'\nMAILBOT_LOG_FORMAT=json # logs\n", None),
    ".env, double quotes and lower case": ({}, f'mailbot_listen="{LMTP_SOCKET}"\n', None),
    ".env, interpolated": ({"SOCKETS": "/run/mailbot"}, "MAILBOT_LISTEN=lmtp://${SOCKETS}/lmtp.sock\n", None),
    "mailbot.toml": ({}, None, f'listen = "{LMTP_SOCKET}"\nlog_format = "json"\n[[mailboxes]]\nurl = "imap://a@b"\n'),
    "the environment over .env over mailbot.toml": (
        {"MAILBOT_LOG_FORMAT": "text"}, "MAILBOT_LISTEN=lmtp://127.0.0.1:7\nMAILBOT_LOG_FORMAT=json\n",
        'listen = "smtp://127.0.0.1:9"\nlog_format = "json"\n'),
    ".env over mailbot.toml": ({}, "MAILBOT_LISTEN=lmtp://127.0.0.1:7\n", 'listen = "smtp://127.0.0.1:9"\n'),
    "mailbot.toml, upper case": ({}, None, 'LISTEN = "lmtp://127.0.0.1:1"\nLog_Format = "json"\n'),
    "other variables only": ({"MAILBOT_SUBJECT_TAG": "Demande", "LISTEN": "lmtp://127.0.0.1:1"}, "LISTEN=x\n",
                             'subject_tag = "Demande"\n'),
}

# the same, where Settings refuses the configuration: the reader gives up too
INVALID = {
    "not a listener address": ({"MAILBOT_LISTEN": "pop3://127.0.0.1:110"}, None, None),
    "no port": ({"MAILBOT_LISTEN": "lmtp://127.0.0.1"}, None, None),
    "a relative socket path": ({}, "MAILBOT_LISTEN=lmtp://run/lmtp.sock\n", None),
    "unknown log format": ({"MAILBOT_LISTEN": "lmtp://127.0.0.1:2424", "MAILBOT_LOG_FORMAT": "xml"}, None, None),
    "listen in mailbot.toml not text": ({}, None, "listen = 2424\n"),
    "bad listen in mailbot.toml": ({}, None, 'listen = "lmtp://"\n'),
}


def _set_up(monkeypatch, tmp_path, env, dotenv, toml) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    if dotenv is not None:
        (tmp_path / ".env").write_text(dotenv, encoding="utf-8")
    if toml is not None:
        (tmp_path / "mailbot.toml").write_text(toml, encoding="utf-8")


@pytest.mark.parametrize("case", CASES)
def test_the_pipe_reads_the_listener_and_the_log_format_as_settings_do(monkeypatch, tmp_path, case):
    _set_up(monkeypatch, tmp_path, *CASES[case])

    settings, read = load_settings(), read_pipe_settings()

    assert read is not None
    assert (read.listen, read.log_format) == (settings.listen, settings.log_format)
    expected = str(settings.listen_target) if settings.listen else None
    assert (str(read.listen_target) if read.listen_target else None) == expected


@pytest.mark.parametrize("case", INVALID)
def test_where_settings_refuse_the_configuration_the_pipe_leaves_it_to_the_full_command(monkeypatch, tmp_path, case):
    _set_up(monkeypatch, tmp_path, *INVALID[case])

    with pytest.raises(ConfigError):
        load_settings()
    assert read_pipe_settings() is None


def test_a_listener_set_nowhere_is_no_listener_for_the_pipe_even_where_mailbot_run_listens_by_default():
    # without IMAP, `mailbot run` listens on 127.0.0.1:2525; the pipe hands mail only to a
    # listener it was told of, never to whatever answers on that default port
    assert load_settings().listen_target is not None
    read = read_pipe_settings()
    assert read is not None and read.listen_target is None
