"""Shared plumbing of the benchmarks: paths, the mailbot command with a clean environment,
timing helpers and the result rows every measure returns."""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "bench" / ".work"
VENV_BIN = ROOT / ".venv" / "bin"
MAILBOT = str(VENV_BIN / "mailbot")
PYTHON = str(VENV_BIN / "python")
PG_ADMIN_URL = "postgresql+psycopg://root@127.0.0.1:5432/test"
# BENCH_REDIS_URL: another database when db 14 is someone else's on a shared machine
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
RABBITMQ_URL = os.environ.get("BENCH_RABBITMQ_URL", "amqp://guest:guest@127.0.0.1:5672/")


@dataclass
class Row:
    """One line of the result table."""

    measure: str
    value: str
    target: str = ""
    ok: bool | None = None
    note: str = ""


@dataclass
class Context:
    quick: bool
    rows: list[Row] = field(default_factory=list)
    facts: dict[str, float] = field(default_factory=dict)  # numbers other measures reuse

    def add(self, *args, **kwargs) -> Row:  # type: ignore[no-untyped-def]
        row = Row(*args, **kwargs)
        self.rows.append(row)
        print(f"  -> {row.measure}: {row.value} {row.note}", flush=True)
        return row


def compile_sources() -> None:
    """Cache mailbot's bytecode as an installation would (the first command is not penalised)."""
    subprocess.run([PYTHON, "-m", "compileall", "-q", str(ROOT / "mailbot")], check=True,
                   stdout=subprocess.DEVNULL, env={k: v for k, v in os.environ.items()
                                                   if k != "PYTHONDONTWRITEBYTECODE"})


def fresh_dir(name: str) -> Path:
    path = WORK / name
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    return path


def mailbot_env(workdir: Path, **settings: str) -> dict[str, str]:
    """The environment of one mailbot command: only the settings given, nothing inherited
    from the developer's MAILBOT_* variables (the command runs in `workdir`, away from any .env)."""
    # PYTHONDONTWRITEBYTECODE left out: an installed mailbot has its bytecode cached, and
    # compiling every module again at each command would be measured as start-up.
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("MAILBOT_") and k != "PYTHONDONTWRITEBYTECODE"}
    env.update({"MAILBOT_OUTBOX_DIR": str(workdir / "outbox"), "MAILBOT_DOCUMENTS_DIR": str(workdir / "documents"),
                "MAILBOT_HELPDESK_ADDRESS": "helpdesk@school.example",
                # the mail measures without the web desk (bench/web.py measures it): comparable with
                # earlier runs, and no port shared with a desk running on the machine
                "MAILBOT_WEB_LISTEN": ""})
    env.update({f"MAILBOT_{k.upper()}": v for k, v in settings.items()})
    return env


def mailbot(args: list[str], env: dict[str, str], cwd: Path, *, check: bool = True) -> tuple[float, str]:
    """Run one mailbot command; returns (seconds, stdout)."""
    started = time.perf_counter()
    done = subprocess.run([MAILBOT, *args], env=env, cwd=cwd, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - started
    if check and done.returncode != 0:
        raise RuntimeError(f"mailbot {' '.join(args[:3])} failed ({done.returncode}):\n{done.stderr[-3000:]}")
    return elapsed, done.stdout


def add_technicians(env: dict[str, str], cwd: Path, technicians: tuple[str, ...]) -> None:
    for email in technicians:
        mailbot(["users", "add", email, "--name", "Technicien " + email.split("@")[0], "--technician"], env, cwd)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    return statistics.quantiles(ordered, n=100, method="inclusive")[int(q) - 1]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def wait_until(check, timeout: float, interval: float = 0.05) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(interval)
    return bool(check())
