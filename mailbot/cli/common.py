"""What every `mailbot` command shares: the settings read once a command, the app built from them,
read-only queries, and printing as text or JSON."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from datetime import tzinfo
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer

from mailbot.config import load_settings
from mailbot.errors import ConfigError

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from mailbot.config import Settings

T = TypeVar("T")

# Plain click help (no rich boxes): the metavars show as `--as EMAIL`, flags without one.
PLAIN: dict[str, Any] = {"no_args_is_help": True, "rich_markup_mode": None}

JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON (times in UTC, ISO 8601).")]

# The settings `main` read for the log format, kept for the command it runs: read once a command.
_READ: list[Settings] = []


def log_format() -> str:
    """Read the settings for the command about to run; their log format, or text when they are invalid."""
    _READ.clear()
    try:
        _READ.append(load_settings())
    except ConfigError:
        return "text"  # the configuration error itself is reported by the command
    return _READ[0].log_format


def forget_settings() -> None:
    _READ.clear()


def command_settings() -> Settings:
    return _READ[0] if _READ else load_settings()


def make_app(*, upgrade: bool = True):
    from mailbot.app import App

    app = App(command_settings())
    if upgrade:
        app.ensure_schema()
    return app


def print_json(value: object) -> None:
    typer.echo(json.dumps(value, ensure_ascii=False, indent=2))


def display_tz() -> tzinfo:
    """MAILBOT_TIMEZONE: the text output shows every time in it."""
    return command_settings().tz


def read_only(query: Callable[[Session], T]) -> T:
    """Run a read-only query in one transaction of the configured database."""
    app = make_app()
    with app.db.transaction() as session:
        return query(session)


def emit(value: object, as_json: bool, lines: Callable[[], Iterable[str]], *, empty: str = "") -> None:
    """Print `value` as JSON, or its text lines; `empty` says so when there is none."""
    if as_json:
        print_json(value)
        return
    if empty and not value:
        typer.echo(empty)
        return
    for line in lines():
        typer.echo(line)
