"""Compiled templates kept on disk (outbound/template_cache.py): a later command renders the same
mails from them without compiling, and a cache that cannot be used never stops a mail."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from jinja2 import Environment
from test_render import ALL_EVENTS, PARIS, outbox_row

from mailbot.outbound import template_cache
from mailbot.outbound import template_env as environments_module
from mailbot.outbound.render import render

DATE = datetime(2026, 11, 30, 9, 15, tzinfo=UTC)


def _mails() -> list[tuple[str, str, str]]:
    """Every event and answer in both languages: subject, text and HTML as the reader gets them."""
    mails = []
    for event in sorted(ALL_EVENTS):
        for language in ("fr", "en"):
            message = render(outbox_row(event, language), helpdesk_address="helpdesk@lycee.example",
                             subject_tag="Ticket", timezone=PARIS, date=DATE)
            text, html = (part.get_payload(decode=True) for part in message.walk() if part.get_content_maintype() == "text")
            mails.append((str(message["Subject"]), text, html))
    return mails


@pytest.fixture
def fresh_process(monkeypatch: pytest.MonkeyPatch) -> None:
    """As a new command starts: no environment built yet."""
    monkeypatch.setattr(environments_module, "_ENVIRONMENTS", {})


def test_a_second_command_renders_the_same_mails_without_compiling(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fresh_process: None) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    first = _mails()
    kept = list((tmp_path / "mailbot").glob("templates-*-*/*"))
    assert {path.parent.name.rsplit("-", 1)[1] for path in kept} == {"text", "html"}

    monkeypatch.setattr(environments_module, "_ENVIRONMENTS", {})

    def no_compiling(*args: object, **kwargs: object) -> None:
        raise AssertionError("a template was compiled again")

    monkeypatch.setattr(Environment, "compile", no_compiling)
    assert _mails() == first


def test_no_cache_folder_renders_the_same_mails(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                fresh_process: None) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    cached = _mails()
    monkeypatch.setattr(environments_module, "_ENVIRONMENTS", {})
    (tmp_path / "a-file").write_text("not a folder")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "a-file"))
    assert template_cache.bytecode_cache("text") is None
    assert _mails() == cached


def test_damaged_cache_files_are_compiled_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                fresh_process: None) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    first = _mails()
    for path in (tmp_path / "mailbot").glob("templates-*-*/*"):
        path.write_bytes(path.read_bytes()[:40])  # cut short, as by a full disk
    monkeypatch.setattr(environments_module, "_ENVIRONMENTS", {})
    assert _mails() == first


def test_a_change_of_the_compiling_code_gets_a_folder_of_its_own(monkeypatch: pytest.MonkeyPatch) -> None:
    before = template_cache.cache_folder("text")
    template_cache.fingerprint.cache_clear()
    monkeypatch.setattr(template_cache.jinja2, "__version__", "0.0-other")
    try:
        assert template_cache.cache_folder("text") != before
    finally:
        template_cache.fingerprint.cache_clear()
