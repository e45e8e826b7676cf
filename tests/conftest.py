"""Fixtures shared by every test: scenario mails, the shared corpus, and Settings for a temp dir."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn

import pytest
from jinja2 import StrictUndefined
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from mailbot.config import Settings

EMAILS_DIR = Path(__file__).resolve().parent / "fixtures" / "emails"
# The shared corpus sits beside the project (../shared/corpus); MAILBOT_TEST_CORPUS points
# elsewhere, e.g. for a clone made in another folder.
CORPUS_DIR = Path(os.environ.get("MAILBOT_TEST_CORPUS")
                  or Path(__file__).resolve().parents[2] / "shared" / "corpus")


class _GivenSettings(Settings):
    """Settings made of the values a test gives and the defaults, nothing else."""

    model_config = SettingsConfigDict(**{**Settings.model_config, "env_file": None, "toml_file": None})

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings,)


def clean_settings(**values: Any) -> Settings:
    """Settings from `values` and the defaults only: the developer's MAILBOT_* variables, a
    `.env` and a `mailbot.toml` in the working folder never reach a test. Every test that
    builds Settings itself goes through here."""
    return _GivenSettings(**values)


def missing_for_tests(reason: str) -> NoReturn:
    """Skip the test for something absent on this machine; under CI that is a failure instead
    (the same rule as a missing service, tests/integration/services.py `require`)."""
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI is set, so a missing corpus fails the run)", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(autouse=True)
def strict_templates(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every mail a test renders fails on a value missing from its template's context, instead
    of printing blank text as production does (mailbot.outbound.render.UNDEFINED)."""
    monkeypatch.setattr("mailbot.outbound.render.UNDEFINED", StrictUndefined)


@pytest.fixture
def fixture_email() -> Callable[[str], bytes]:
    """`fixture_email("outlook_reply_fr.eml")` -> the raw bytes of tests/fixtures/emails/<name>."""

    def read(name: str) -> bytes:
        return (EMAILS_DIR / name).read_bytes()

    return read


@pytest.fixture(scope="session")
def corpus_dir() -> Path:
    """The shared corpus of real-world mails (../shared/corpus): skips without it, fails under CI."""
    if not CORPUS_DIR.is_dir():
        missing_for_tests(f"shared mail corpus not found at {CORPUS_DIR} (set MAILBOT_TEST_CORPUS)")
    return CORPUS_DIR


@pytest.fixture
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[..., Any]:
    """`settings(**overrides)` -> Settings writing to tmp_path, with a temporary SQLite database.

    Only the values given here and the defaults count (clean_settings); the developer's own
    MAILBOT_* variables are also taken out of the environment for code that reads it itself.
    """
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
        return clean_settings(**values)

    return build


def known_bug(reason: str) -> pytest.MarkDecorator:
    """Marks a right expectation that fails today because of the bug named: a strict xfail, for
    a wrong result only (an error or a missing corpus still fails). Remove it once fixed."""
    return pytest.mark.xfail(strict=True, raises=AssertionError, reason=reason)
