"""Fixtures starting the real servers integration tests talk to; each cleans up after itself.

A missing service skips the tests needing it with the reason, or fails them when CI is set.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
from services import Dovecot, SmtpSink, dovecot_binary, require

POSTGRES_URL = os.environ.get(
    "MAILBOT_TEST_POSTGRES_URL", "postgresql+psycopg://root@127.0.0.1:5432/mailbot_test"
)
REDIS_URL = os.environ.get("MAILBOT_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def _where(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.hostname}:{parts.port}"


# --- Dovecot -----------------------------------------------------------------------------------

@pytest.fixture(scope="session")
def dovecot() -> Iterator[Dovecot]:
    """A private Dovecot for the session (users helpdesk and alice); see `imap_mailbox`."""
    binary = ""

    def check() -> None:
        nonlocal binary
        binary = dovecot_binary()

    require("Dovecot not available", check)
    server = Dovecot(binary)
    try:
        server.start()
        yield server
    finally:
        server.remove()


@pytest.fixture
def imap_mailbox(dovecot: Dovecot) -> Dovecot:
    """The session's Dovecot, running (restarted if a test stopped it), every mailbox empty."""
    if not dovecot.is_running():
        dovecot.start()
    dovecot.clear()
    return dovecot


# --- PostgreSQL ----------------------------------------------------------------------------------

@pytest.fixture(scope="session")
def _postgres_schema() -> Iterator[str]:
    """A schema of its own for this test session, so concurrent runs never drop each other's tables."""
    import sqlalchemy as sa

    engine = sa.create_engine(POSTGRES_URL, connect_args={"connect_timeout": 3})

    def check() -> None:
        with engine.connect() as connection:
            connection.execute(sa.text("SELECT 1"))

    require(f"PostgreSQL not reachable at {_where(POSTGRES_URL)}", check)
    schema = f"mailbot_test_{uuid.uuid4().hex[:12]}"
    yield schema
    with engine.begin() as connection:
        connection.execute(sa.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    engine.dispose()


@pytest.fixture
def postgres_url(_postgres_schema: str) -> str:
    """A PostgreSQL URL whose tables (and alembic_version) are gone: migrations run fresh."""
    import sqlalchemy as sa

    engine = sa.create_engine(POSTGRES_URL)
    with engine.begin() as connection:
        connection.execute(sa.text(f'DROP SCHEMA IF EXISTS "{_postgres_schema}" CASCADE'))
        connection.execute(sa.text(f'CREATE SCHEMA "{_postgres_schema}"'))
    engine.dispose()
    separator = "&" if "?" in POSTGRES_URL else "?"
    return f"{POSTGRES_URL}{separator}options=-csearch_path%3D{_postgres_schema}"


# --- Redis ------------------------------------------------------------------------------------------

@pytest.fixture
def redis_url() -> Iterator[str]:
    """A Redis database emptied before and after the test."""
    import redis

    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3)
    require(f"Redis not reachable at {_where(REDIS_URL)}", client.ping)
    client.flushdb()
    yield REDIS_URL
    client.flushdb()
    client.close()


# --- SMTP sink ------------------------------------------------------------------------------------

@pytest.fixture(scope="session")
def _smtp_server() -> Iterator[SmtpSink]:
    sink = SmtpSink()
    sink.start()
    yield sink
    sink.stop()


@pytest.fixture
def smtp_sink(_smtp_server: SmtpSink) -> SmtpSink:
    """An SMTP server on loopback that keeps what it receives; empty at the start of the test."""
    _smtp_server.clear()
    return _smtp_server


# --- RabbitMQ ---------------------------------------------------------------------------------------

RABBITMQ_URL = os.environ.get("MAILBOT_TEST_RABBITMQ_URL", "amqp://guest:guest@127.0.0.1:5672/")


def _rabbitmqctl(*args: str) -> None:
    import shutil
    import subprocess

    found = shutil.which("rabbitmqctl") or shutil.which("rabbitmqctl", path="/usr/sbin:/sbin")
    if not found:
        raise FileNotFoundError("rabbitmqctl is not installed (a virtual host of the tests' own needs it)")
    done = subprocess.run([found, *args], capture_output=True, text=True, timeout=120)
    if done.returncode != 0:
        raise RuntimeError(f"rabbitmqctl {args[0]}: {(done.stderr or done.stdout).strip()}")


@pytest.fixture(scope="session")
def _rabbitmq_vhost() -> Iterator[str]:
    """A virtual host of this test session's own: dramatiq's queue names are fixed by mailbot's
    actors, so concurrent runs on one server would otherwise take each other's messages."""
    import pika

    parameters = pika.URLParameters(RABBITMQ_URL)
    parameters.socket_timeout = parameters.stack_timeout = 3

    def check() -> None:
        pika.BlockingConnection(parameters).close()

    require(f"RabbitMQ not reachable at {_where(RABBITMQ_URL)}", check)
    vhost = f"mailbot_test_{uuid.uuid4().hex[:12]}"
    require("RabbitMQ virtual host", lambda: _rabbitmqctl("add_vhost", vhost))
    try:
        _rabbitmqctl("set_permissions", "-p", vhost, parameters.credentials.username, ".*", ".*", ".*")
        yield vhost
    finally:
        _rabbitmqctl("delete_vhost", vhost)


@pytest.fixture
def rabbitmq_url(_rabbitmq_vhost: str) -> Iterator[str]:
    """An amqp:// URL on the session's virtual host, whose queues are deleted before and after the test."""
    import pika

    parts = urlsplit(RABBITMQ_URL)
    url = parts._replace(path=f"/{_rabbitmq_vhost}").geturl()

    def delete_queues() -> None:
        connection = pika.BlockingConnection(pika.URLParameters(url))
        try:
            channel = connection.channel()
            for name in ("mailbot", "mailbot.DQ", "mailbot.XQ"):
                channel.queue_delete(name)
        finally:
            connection.close()

    delete_queues()
    yield url
    delete_queues()
