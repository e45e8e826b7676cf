"""`mailbot run` as a separate process: for the tests of what it says when it starts, and for
those that keep it running while they send it mail (`RunsMailbot`)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

MAILBOT = str(Path(sys.executable).with_name("mailbot"))
READY = "Ctrl-C stops it"
# The web desk is off unless a test asks for it: two `mailbot run` at once would want the same port.
NO_WEB = {"MAILBOT_WEB_LISTEN": ""}


def start_log(folder: Path, timeout: float = 60, **env: str) -> list[dict[str, str]]:
    """Start `mailbot run` in `folder` with only these MAILBOT_* variables (JSON logs), collect
    its log records until it says it is running, stop it with SIGTERM; the records, in order."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("MAILBOT_")}
    process = subprocess.Popen([MAILBOT, "run"], cwd=folder, env={**clean, **NO_WEB, **env, "MAILBOT_LOG_FORMAT": "json"},
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    assert process.stderr is not None
    killer = threading.Timer(timeout, process.kill)  # a mailbot that never gets ready fails the test
    killer.start()
    records: list[dict[str, str]] = []
    try:
        for line in process.stderr:
            records.append(json.loads(line))
            if READY in records[-1]["message"]:
                break
    finally:
        process.send_signal(signal.SIGTERM)
        process.communicate(timeout=30)
        killer.cancel()
    assert records and READY in records[-1]["message"], records
    return records


class RunsMailbot:
    """`start` and `stop` of a `mailbot run` kept running in `folder`, with `env`, its output in
    `log`, for a test's helper class that sets those three attributes and `proc = None`."""

    folder: Path
    env: dict[str, str]
    log: Path
    proc: subprocess.Popen | None

    def start(self) -> None:
        with self.log.open("wb") as out:
            self.proc = subprocess.Popen([MAILBOT, "run"], env=self.env, cwd=self.folder, stdout=out, stderr=out)
        deadline = time.monotonic() + 60
        while "mailbot is running" not in self.log.read_text(errors="replace"):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"mailbot run did not start:\n{self.log.read_text(errors='replace')[-3000:]}")
            time.sleep(0.1)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
