"""The URLs `mailbot run` shows when it starts keep everything but the password."""

import pytest

from mailbot.runner import without_password


@pytest.mark.parametrize(("url", "shown"), [
    ("postgresql+psycopg://mailbot:s%40cret@db.lycee.example:5433/mailbot?sslmode=require",
     "postgresql+psycopg://mailbot@db.lycee.example:5433/mailbot?sslmode=require"),
    ("redis://:s3cret@redis.lycee.example:6379/0", "redis://redis.lycee.example:6379/0"),
    ("imaps://helpdesk%40lycee.example:p%3Aw@mail.lycee.example/INBOX",
     "imaps://helpdesk%40lycee.example@mail.lycee.example/INBOX"),
    ("smtp://mail.lycee.example:25", "smtp://mail.lycee.example:25"),
    ("amqp://guest@127.0.0.1:5672/mailbot", "amqp://guest@127.0.0.1:5672/mailbot"),
    ("sqlite:////var/lib/mailbot/mailbot.db", "sqlite:////var/lib/mailbot/mailbot.db"),
])
def test_a_url_is_shown_without_its_password(url, shown):
    assert without_password(url) == shown
