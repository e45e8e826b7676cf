"""MAILBOT_DATABASE_URL as hosting providers and tutorials write it: a PostgreSQL URL without a
driver is read as psycopg 3 (the driver mailbot installs); a driver that is not installed stops
mailbot with one line saying what to write instead."""

import pytest

from mailbot.config import load_settings
from mailbot.errors import ConfigError


@pytest.mark.parametrize("given", [
    "postgresql://helpdesk:s%40cret@db.lycee.example:5433/mailbot?sslmode=require",
    "postgres://helpdesk:s%40cret@db.lycee.example:5433/mailbot?sslmode=require",
])
def test_a_postgresql_url_without_a_driver_uses_psycopg_3_and_keeps_the_rest(given):
    settings = load_settings(database_url=given)

    assert settings.database_url == \
        "postgresql+psycopg://helpdesk:s%40cret@db.lycee.example:5433/mailbot?sslmode=require"


@pytest.mark.parametrize("given", ["postgresql+psycopg://root@127.0.0.1/mailbot", "sqlite:///mailbot.db",
                                   "sqlite+pysqlite:////var/lib/mailbot/mailbot.db"])
def test_urls_with_an_installed_driver_are_kept_as_written(given):
    assert load_settings(database_url=given).database_url == given


@pytest.mark.parametrize("given", ["postgresql+psycopg2://root@127.0.0.1/mailbot", "mysql://root@127.0.0.1/mailbot"])
def test_a_driver_that_is_not_installed_is_one_line_saying_what_to_write(given):
    with pytest.raises(ConfigError) as raised:
        load_settings(database_url=given)

    message = str(raised.value)
    assert message.startswith(f"MAILBOT_DATABASE_URL: the driver of '{given.split('://')[0]}://…' is not installed")
    assert "write 'postgresql+psycopg://…' (or 'postgresql://…')" in message and "\n" not in message
