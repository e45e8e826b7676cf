"""Compiled mail templates kept on disk, so that a command does not compile them again: jinja2
compiling a mail's templates costs ~60 ms, a third of a short mail's whole handling.

The folder is the user's cache ($XDG_CACHE_HOME, else ~/.cache) under `mailbot/`, one per kind
of environment (text, HTML) and per version of what shapes the compiled code besides each
template's text: jinja2 and Python, the environment's set-up (outbound/template_env.py) and the French
spacing applied as templates compile (parsers/typography.py). jinja2 itself checks each
template's text against the copy it compiled. No folder that can be made: no cache, templates
are compiled as before; a file that cannot be read or written never stops a mail."""

from __future__ import annotations

import hashlib
import logging
import os
import pickle
import sys
from functools import cache
from pathlib import Path

import jinja2
from jinja2.bccache import Bucket, BytecodeCache, FileSystemBytecodeCache

from mailbot.parsers import typography

log = logging.getLogger("mailbot.render")


class _TemplateCache(FileSystemBytecodeCache):
    def load_bytecode(self, bucket: Bucket) -> None:
        try:
            super().load_bytecode(bucket)
        except (OSError, EOFError, ValueError, TypeError, pickle.UnpicklingError):  # unreadable, cut short: compiled again
            bucket.reset()

    def dump_bytecode(self, bucket: Bucket) -> None:
        try:
            super().dump_bytecode(bucket)
        except OSError as exc:
            log.debug("compiled template not kept in %s: %s", self.directory, exc)


@cache
def fingerprint() -> str:
    """What the compiled code depends on besides each template's own text."""
    digest = hashlib.sha256(f"{jinja2.__version__} {sys.version}".encode())
    for module in (Path(__file__).with_name("template_env.py"), Path(typography.__file__)):
        digest.update(module.read_bytes())
    return digest.hexdigest()[:16]


def cache_folder(kind: str) -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "mailbot" / f"templates-{fingerprint()}-{kind}"


def bytecode_cache(kind: str) -> BytecodeCache | None:
    """The cache of one kind of environment ("text", "html"); None when its folder cannot be made."""
    folder = cache_folder(kind)
    try:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    except OSError as exc:
        log.debug("compiled templates not kept: %s", exc)
        return None
    return _TemplateCache(str(folder))
