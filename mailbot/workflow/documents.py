"""The attachment store: each file kept once on disk under its sha256 (SPEC §3.5)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def safe_filename(name: str, fallback: str) -> str:
    """The original name as a file name of the current folder: its last path part (no `../`, no
    folder of the sender's machine), no control characters; `fallback` when nothing is left."""
    last = name.replace("\\", "/").rsplit("/", 1)[-1]
    cleaned = "".join(c for c in last if c.isprintable()).strip()
    return cleaned if cleaned not in ("", ".", "..") else fallback


class DocumentStore:
    """Content-addressed files: `<root>/<ab>/<cd>/<sha256>`; storing twice writes once."""

    def __init__(self, root: Path):
        self.root = Path(root)

    def path_for(self, sha256: str) -> Path:
        return self.root / sha256[:2] / sha256[2:4] / sha256

    def store(self, sha256: str, data: bytes) -> Path:
        path = self.path_for(sha256)
        if path.exists():
            return path
        path.parent.mkdir(parents=True, exist_ok=True)
        # write then rename, so that a crash never leaves a half file under the final name
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return path
