"""MAILBOT_INVENTORY_AUTOLINK: on by default, read as a yes/no, a wrong value stops mailbot
with one line naming it."""

import pytest

from mailbot.config import load_settings
from mailbot.errors import ConfigError


@pytest.fixture(autouse=True)
def clean_env(monkeypatch, tmp_path):
    for name in [n for n in __import__("os").environ if n.startswith("MAILBOT_")]:
        monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)


def test_autolink_is_on_by_default_and_can_be_turned_off(monkeypatch):
    assert load_settings().inventory_autolink is True
    monkeypatch.setenv("MAILBOT_INVENTORY_AUTOLINK", "false")
    assert load_settings().inventory_autolink is False


def test_a_wrong_autolink_value_names_the_setting(monkeypatch):
    monkeypatch.setenv("MAILBOT_INVENTORY_AUTOLINK", "sometimes")
    with pytest.raises(ConfigError, match="MAILBOT_INVENTORY_AUTOLINK") as caught:
        load_settings()
    assert "\n" not in str(caught.value)
