"""The two settings `mailbot ingest -` needs before it decides where a mail goes, read without
pydantic from the same places as `mailbot.config.Settings`, first found wins:

| source                                   | names                            | read with          |
|------------------------------------------|----------------------------------|--------------------|
| the environment                          | `MAILBOT_LISTEN`, any letter case | `os.environ`       |
| `.env` in the working folder             | the same                         | python-dotenv, as pydantic-settings |
| `mailbot.toml` in the working folder     | `listen`, `log_format` (top level, any case) | `tomllib` |

Anything this reader cannot take exactly as Settings would (a file it cannot read or parse, a
value that is not text, an unknown log format, a MAILBOT_LISTEN that `ListenTarget` refuses) is
answered with None: the full command then reads the settings itself and says what is wrong.
tests/unit/test_pipe_settings.py compares the two on the same environments and files.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from mailbot.inbound.listen_target import ListenTarget

PREFIX = "mailbot_"
ENV_FILE = ".env"
TOML_FILE = "mailbot.toml"
# field -> (default, the values Settings accepts; None: any text)
FIELDS: dict[str, tuple[str, tuple[str, ...] | None]] = {
    "listen": ("", None),
    "log_format": ("text", ("text", "json")),
}


@dataclass(frozen=True)
class PipeSettings:
    listen: str
    log_format: str

    @property
    def listen_target(self) -> ListenTarget | None:
        """The listener a running `mailbot run` has at MAILBOT_LISTEN; None when it is not set."""
        return ListenTarget.parse(self.listen) if self.listen else None


def read_pipe_settings(folder: Path | None = None) -> PipeSettings | None:
    """The settings as `Settings` would read them in `folder` (the working folder); None when
    they cannot be read here exactly as Settings would, or are not valid."""
    folder = folder or Path()
    values: dict[str, str] = {}
    for source in (_from_toml, _from_env_file, _from_environment):  # the last one read wins
        found = source(folder)
        if found is None:
            return None
        values.update(found)
    for name, (_default, allowed) in FIELDS.items():
        if allowed is not None and name in values and values[name] not in allowed:
            return None
    settings = PipeSettings(**{name: values.get(name, default) for name, (default, _) in FIELDS.items()})
    try:
        settings.listen_target  # noqa: B018 - raises ValueError as Settings' check does
    except ValueError:
        return None
    return settings


def _prefixed(variables: dict[str, str | None]) -> dict[str, str] | None:
    """The fields among variables named MAILBOT_<FIELD> in any letter case (lower-cased in
    order: of two names that differ by case only, the later one counts, as in pydantic-settings)."""
    lowered = {name.lower(): value for name, value in variables.items()}
    found: dict[str, str] = {}
    for field in FIELDS:
        if PREFIX + field in lowered:
            value = lowered[PREFIX + field]
            if value is None:  # a `.env` line without `=`: pydantic-settings' handling is its own
                return None
            found[field] = value
    return found


def _from_environment(_folder: Path) -> dict[str, str] | None:
    return _prefixed(dict(os.environ))


def _from_env_file(folder: Path) -> dict[str, str] | None:
    path = folder / ENV_FILE
    if not path.exists():
        return {}
    if not path.is_file():
        return None
    try:
        from dotenv import dotenv_values  # what pydantic-settings reads `.env` with
    except ImportError:
        return None
    try:
        return _prefixed(dict(dotenv_values(path, encoding="utf-8")))
    except (OSError, UnicodeDecodeError):
        return None


def _from_toml(folder: Path) -> dict[str, str] | None:
    path = folder / TOML_FILE
    if not path.exists():
        return {}
    import tomllib

    try:
        with path.open("rb") as file:
            data = tomllib.load(file)
    except (OSError, tomllib.TOMLDecodeError):
        return None
    found: dict[str, str] = {}
    for key, value in data.items():  # Settings takes the keys in any letter case
        name = key.lower()
        if name in FIELDS:
            if name in found or not isinstance(value, str):  # which one Settings takes is its own
                return None
            found[name] = value
    return found
