"""Measure 4: peak resident memory of `mailbot ingest` handling one mail with a 14 MiB
attachment, and one whose text body is a single 30 MB line, against the same command on a
short mail."""

from __future__ import annotations

import json
import subprocess

from bench import corpus
from bench.common import (
    MAILBOT,
    PYTHON,
    Context,
    add_technicians,
    fresh_dir,
    mailbot,
    mailbot_env,
)

# The child's peak RSS as the kernel counts it: ru_maxrss of the waited-for children (KiB on Linux).
PEAK = ("import json, resource, subprocess, sys\n"
        "done = subprocess.run(sys.argv[1:], capture_output=True)\n"
        "print(json.dumps({'rc': done.returncode, 'kib': resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,"
        " 'err': done.stderr.decode(errors='replace')[-500:]}))\n")


def peak_mib(args: list[str], env: dict[str, str], cwd) -> tuple[float, dict]:  # type: ignore[no-untyped-def]
    done = subprocess.run([PYTHON, "-c", PEAK, MAILBOT, *args], env=env, cwd=cwd, capture_output=True, text=True,
                          check=True)
    result = json.loads(done.stdout)
    if result["rc"] != 0:
        raise RuntimeError(f"mailbot {' '.join(args)} failed: {result['err']}")
    return result["kib"] / 1024, result


def run(ctx: Context) -> None:
    work = fresh_dir("memory")
    env = mailbot_env(work, database_url=f"sqlite:///{work / 'mailbot.db'}")
    mailbot(["db", "upgrade"], env, work)
    add_technicians(env, work, corpus.TECHNICIANS)
    small = work / "small.eml"
    small.write_bytes(corpus.generate(1, seed=1)[0].raw)
    big = work / "big.eml"
    big.write_bytes(corpus.big_attachment_mail())
    baseline, _ = peak_mib(["ingest", str(small)], env, work)
    peak, _ = peak_mib(["ingest", str(big)], env, work)
    _, listing = mailbot(["tickets", "list", "--json"], env, work)
    stored = sum(1 for _ in (work / "documents").rglob("*") if _.is_file()) if (work / "documents").exists() else 0
    text = work / "big-text.eml"
    text.write_bytes(corpus.big_text_mail())
    text_peak, _ = peak_mib(["ingest", str(text)], env, work)
    ctx.add("peak RSS, 14 MiB attachment", f"{peak:.0f} MiB", "< 150 MiB", peak < 150,
            f"`mailbot ingest` of one mail of {big.stat().st_size / 2**20:.1f} MiB (14 MiB attachment, base64); "
            f"the same command on a short mail peaks at {baseline:.0f} MiB; {len(json.loads(listing))} tickets, "
            f"{stored} document file(s) stored")
    text_mib = text.stat().st_size / 2**20
    # the interpreter and its libraries are the baseline; the mail may cost a small multiple of its size
    limit = baseline + 6 * text_mib
    ctx.add("peak RSS, 30 MB one-line text body", f"{text_peak:.0f} MiB", f"< {limit:.0f} MiB", text_peak < limit,
            f"`mailbot ingest` of one mail of {text_mib:.1f} MiB whose plain-text body is one line "
            f"(baseline {baseline:.0f} MiB + 6 × the mail); the ticket keeps the start of the text, "
            "the whole body is stored as a document")
