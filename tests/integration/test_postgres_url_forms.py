"""A PostgreSQL URL copied from a hosting provider (`postgres://user:password@…`, no driver) works
as it is, and `mailbot run` names that database without its password."""

from __future__ import annotations

import json
import os
import subprocess
from urllib.parse import urlsplit, urlunsplit

import pytest

from tests.integration.services import free_port
from tests.mailbot_run import MAILBOT, start_log

pytestmark = pytest.mark.integration


def _as_copied(postgres_url: str, scheme: str) -> str:
    """The test database's URL with `scheme` and a password (ignored by the trust login)."""
    parts = urlsplit(postgres_url)
    return urlunsplit(parts._replace(scheme=scheme, netloc=f"{parts.username}:s3cret@{parts.netloc.split('@')[1]}"))


@pytest.mark.parametrize("scheme", ["postgres", "postgresql"])
def test_a_url_without_a_driver_reaches_postgresql_and_the_banner_hides_the_password(tmp_path, postgres_url, scheme):
    url = _as_copied(postgres_url, scheme)
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("MAILBOT_")}, "MAILBOT_DATABASE_URL": url}

    subprocess.run([MAILBOT, "users", "add", "camille@lycee.example", "--technician"], cwd=tmp_path, env=env,
                   check=True, capture_output=True, timeout=60)
    listed = subprocess.run([MAILBOT, "users", "list", "--json"], cwd=tmp_path, env=env, check=True,
                            capture_output=True, text=True, timeout=60)
    records = start_log(tmp_path, MAILBOT_DATABASE_URL=url, MAILBOT_LISTEN=f"127.0.0.1:{free_port()}")

    assert [u["email"] for u in json.loads(listed.stdout)] == ["camille@lycee.example"]
    expected = url.replace(f"{scheme}://", "postgresql+psycopg://", 1).replace(":s3cret@", "@")
    assert [r["message"] for r in records if r["message"].startswith("database: ")] == [f"database: {expected}"]
    assert ("INFO", "technicians: 1") in [(r["level"], r["message"]) for r in records]
    assert not any("s3cret" in r["message"] for r in records)
