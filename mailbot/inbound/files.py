"""Raw mail from files, directories, Maildirs or stdin, for `mailbot ingest FILE…|-`;
an Outlook .msg file among them is given as the mail it holds (see outlook)."""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from pathlib import Path

from mailbot.inbound import outlook

log = logging.getLogger(__name__)

STDIN = "-"
STDIN_NAME = "<stdin>"


def iter_sources(paths: list[str]) -> Iterator[tuple[str, bytes]]:
    """Yield `(name, raw bytes)` for each message, in the order given.

    `-` is stdin read as one message; a directory gives its files sorted by name (hidden files
    and sub-directories skipped); a Maildir (a directory with `cur/` and `new/`) gives the
    messages of both, sorted by file name, which is their delivery order.
    An Outlook .msg file gives the RFC 822 bytes of its mail; one that cannot be read is
    given as it is (the parser then refuses it) and the reason is logged.
    A path that does not exist raises FileNotFoundError before anything is read, so a typo
    never leaves a half-ingested batch.
    """
    missing = [path for path in paths if path != STDIN and not Path(path).exists()]
    if missing:
        raise FileNotFoundError(f"no such file or directory: {', '.join(missing)}")
    return _iterate(paths)


def _iterate(paths: list[str]) -> Iterator[tuple[str, bytes]]:
    for path in paths:
        if path == STDIN:
            yield STDIN_NAME, _as_mail(STDIN_NAME, sys.stdin.buffer.read())
            continue
        for file in _files(Path(path)):
            yield str(file), _as_mail(str(file), file.read_bytes())


def mail_files(paths: list[str]) -> list[Path]:
    """The files `iter_sources` would read, in the same order (no stdin); a path that does not
    exist raises FileNotFoundError, as there."""
    missing = [path for path in paths if not Path(path).exists()]
    if missing:
        raise FileNotFoundError(f"no such file or directory: {', '.join(missing)}")
    return [file for path in paths for file in _files(Path(path))]


HEAD_CHUNK = 65536


def read_head(file: Path, limit: int = 16 * HEAD_CHUNK) -> bytes:
    """The start of a mail file up to its first empty line (at most `limit` bytes); an Outlook
    .msg file is read whole and given as its mail."""
    with file.open("rb") as handle:
        data = handle.read(HEAD_CHUNK)
        if outlook.is_outlook_msg(data):
            return _as_mail(str(file), data + handle.read())
        while b"\n\n" not in data and b"\r\n\r\n" not in data and len(data) < limit:
            more = handle.read(HEAD_CHUNK)
            if not more:
                break
            data += more
    return data


def read_mail(file: Path) -> bytes:
    """One mail file's bytes, as `iter_sources` gives them."""
    return _as_mail(str(file), file.read_bytes())


def _as_mail(name: str, raw: bytes) -> bytes:
    if not outlook.is_outlook_msg(raw):
        return raw
    try:
        return outlook.to_rfc822(raw)
    except outlook.OutlookError as exc:
        log.warning("%s: %s", name, exc)
        return raw


def _files(path: Path) -> list[Path]:
    if not path.is_dir():
        return [path]
    if (path / "cur").is_dir() and (path / "new").is_dir():
        messages = _plain_files(path / "cur") + _plain_files(path / "new")
        return sorted(messages, key=lambda file: file.name)
    return _plain_files(path)


def _plain_files(directory: Path) -> list[Path]:
    return sorted(
        file for file in directory.iterdir() if file.is_file() and not file.name.startswith(".")
    )
