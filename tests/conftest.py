"""Fixtures shared by every test: scenario mails, the shared corpus, and Settings for a temp dir."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

EMAILS_DIR = Path(__file__).resolve().parent / "fixtures" / "emails"
# The shared corpus sits beside the project (../shared/corpus); MAILBOT_TEST_CORPUS points
# elsewhere, e.g. for a clone made in another folder.
CORPUS_DIR = Path(os.environ.get("MAILBOT_TEST_CORPUS")
                  or Path(__file__).resolve().parents[2] / "shared" / "corpus")


@pytest.fixture
def fixture_email() -> Callable[[str], bytes]:
    """`fixture_email("outlook_reply_fr.eml")` -> the raw bytes of tests/fixtures/emails/<name>."""

    def read(name: str) -> bytes:
        return (EMAILS_DIR / name).read_bytes()

    return read


@pytest.fixture
def corpus_dir() -> Path:
    """The shared corpus of real-world mails (../shared/corpus); the test skips without it."""
    if not CORPUS_DIR.is_dir():
        pytest.skip(f"shared mail corpus not found at {CORPUS_DIR}")
    return CORPUS_DIR


@pytest.fixture
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[..., Any]:
    """`settings(**overrides)` -> Settings writing to tmp_path, with a temporary SQLite database.

    The developer's own MAILBOT_* variables and `.env` are kept out of it (a `mailbot.toml` in
    the working directory still applies to fields not given here).
    """
    from mailbot.config import Settings

    for name in list(os.environ):
        if name.startswith("MAILBOT_") and not name.startswith("MAILBOT_TEST_"):
            monkeypatch.delenv(name)

    def build(**overrides: Any) -> Settings:
        values: dict[str, Any] = {
            "database_url": f"sqlite:///{tmp_path / 'mailbot.db'}",
            "outbox_dir": tmp_path / "outbox",
            "documents_dir": tmp_path / "documents",
        }
        values.update(overrides)
        return Settings(_env_file=None, **values)

    return build
