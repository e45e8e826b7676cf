"""Installed from a wheel, without the source tree: mailbot still holds every module and template
and renders every notification of both languages exactly as the source tree does."""

from __future__ import annotations

import json
import os
import shutil
import site
import subprocess
import sys
import sysconfig
from datetime import UTC, datetime
from email import message_from_bytes
from email.policy import default
from pathlib import Path

import pytest
from test_render import ALL_EVENTS, PARIS, outbox_row

from mailbot.outbound.render import render

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
DATE = datetime(2026, 11, 30, 9, 15, tzinfo=UTC)
RENDER_KWARGS = {"helpdesk_address": "helpdesk@lycee.example", "subject_tag": "Ticket"}

# Run by the fresh virtualenv's python, in an empty folder: reads rows as JSON on stdin, prints
# where mailbot was imported from, the files it holds and the rendered mails.
RENDER_INSTALLED = f"""
import json, sys
from datetime import datetime
from pathlib import Path
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import mailbot
from mailbot.outbound.render import render

package = Path(mailbot.__file__).parent
rows = json.load(sys.stdin)
mails = [render(SimpleNamespace(**row), helpdesk_address="helpdesk@lycee.example", subject_tag="Ticket",
                timezone=ZoneInfo("Europe/Paris"), date=datetime.fromisoformat("{DATE.isoformat()}")).as_bytes().decode("utf-8",
                "surrogateescape") for row in rows]
files = sorted(str(p.relative_to(package)) for p in package.rglob("*") if p.is_file() and "__pycache__" not in p.parts)
json.dump({{"file": mailbot.__file__, "files": files, "mails": mails}}, sys.stdout)
"""


def source_files() -> list[str]:
    """What the package must hold: every module and migration, every template of templates/, and
    the web desk's templates and style sheet."""
    modules = [str(p.relative_to(ROOT / "mailbot")) for p in (ROOT / "mailbot").rglob("*.py")]
    modules += [str(p.relative_to(ROOT / "mailbot")) for folder in ("templates", "static")
                for p in (ROOT / "mailbot" / "web" / folder).iterdir() if p.is_file()]
    templates = [str(Path("templates") / p.relative_to(ROOT / "templates")) for p in (ROOT / "templates").rglob("*")
                 if p.is_file() and "__pycache__" not in p.parts]
    return sorted(modules + templates)


def events() -> list[str]:
    """Every event and answer: between them, they render every template (tests/unit/test_render.py)."""
    return sorted(ALL_EVENTS)


def parts(raw: bytes) -> tuple[str, str, str]:
    message = message_from_bytes(raw, policy=default)
    return (str(message["Subject"]), message.get_body(("plain",)).get_content(),  # type: ignore[union-attr]
            message.get_body(("html",)).get_content())  # type: ignore[union-attr]


def run(*args: str | Path, cwd: Path) -> None:
    done = subprocess.run([str(a) for a in args], cwd=cwd, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr


def test_a_wheel_installed_elsewhere_renders_every_template_of_both_languages(tmp_path: Path) -> None:
    # Built from a copy, so the source tree gets no build/ folder.
    source = tmp_path / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    for folder in ("mailbot", "templates"):
        shutil.copytree(ROOT / folder, source / folder, ignore=shutil.ignore_patterns("__pycache__"))
    # The build backend of the test environment: no download.
    run(sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index", "-w",
        tmp_path / "dist", source, cwd=tmp_path)
    (wheel,) = (tmp_path / "dist").glob("mailbot-*.whl")

    # A fresh virtualenv that gets mailbot from the wheel only; its dependencies are the test
    # environment's, seen through a .pth file (an editable install's finder is not run from there).
    venv = tmp_path / "venv"
    run(sys.executable, "-m", "venv", "--without-pip", venv, cwd=tmp_path)
    python = venv / "bin" / "python"
    run(sys.executable, "-m", "pip", "--python", python, "install", "--no-deps", "--no-index", wheel, cwd=tmp_path)
    venv_site = Path(sysconfig.get_path("purelib", vars={"base": str(venv), "platbase": str(venv)}))
    (venv_site / "test-dependencies.pth").write_text("\n".join(site.getsitepackages()) + "\n")

    rows = [vars(outbox_row(event, language)) for event in events() for language in ("fr", "en")]
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    # twice: the first command compiles the templates and keeps them in the user's cache folder,
    # the second renders from there (outbound/template_cache.py)
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache")}
    runs = []
    for _ in range(2):
        done = subprocess.run([python, "-c", RENDER_INSTALLED], cwd=elsewhere, input=json.dumps(rows),
                              capture_output=True, text=True, timeout=120, env=env)
        assert done.returncode == 0, done.stderr
        runs.append(json.loads(done.stdout))
    installed, from_cache = runs
    assert len(list((tmp_path / "cache" / "mailbot").glob("templates-*-*/*"))) >= 2 * len(events())
    assert [parts(raw.encode("utf-8", "surrogateescape")) for raw in from_cache["mails"]] == \
        [parts(raw.encode("utf-8", "surrogateescape")) for raw in installed["mails"]]

    assert Path(installed["file"]).is_relative_to(venv_site), installed["file"]
    assert installed["files"] == source_files()
    assert len(installed["mails"]) == 2 * len(events()) >= 2 * 15
    for row, raw in zip(rows, installed["mails"], strict=True):
        expected = render(outbox_row(row["event"], row["language"]), timezone=PARIS, date=DATE, **RENDER_KWARGS)
        assert parts(raw.encode("utf-8", "surrogateescape")) == parts(expected.as_bytes()), row["event"]
