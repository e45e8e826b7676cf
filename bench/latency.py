"""Measure 3: while `mailbot run` idles on the mailbox, one new request at a time is appended;
the time until its acknowledgement reaches the SMTP sink, over many mails."""

from __future__ import annotations

import random
import time

from bench import corpus
from bench.common import Context, percentile, wait_until
from bench.stack import Stack


def _acknowledged(stack: Stack, address: str) -> bool:
    return any(address in item.rcpt_tos for item in list(stack.sink.messages))


def run(ctx: Context) -> None:
    count = 20 if ctx.quick else 100
    rng = random.Random(3)
    with Stack("latency") as stack:
        stack.spawn(["run"], "run")
        warm = corpus.build(("Warm Up", "warmup@school.example"), "Premier message", "Bonjour", "<warm@school.example>",
                            corpus.START)
        stack.dovecot.append(warm)
        if not wait_until(lambda: _acknowledged(stack, "warmup@school.example"), 60):
            ctx.add("acknowledgement latency", "no acknowledgement", "p95 < 1.5 s", False,
                    "the first mail got no acknowledgement within 60 s; run log: " + stack.log_tail("run", 600))
            return
        client = stack.dovecot.client()
        delays, missing = [], 0
        try:
            for i in range(count):
                time.sleep(rng.uniform(0.2, 1.5))  # arrivals not in step with any polling period
                address = f"latency{i:03d}@school.example"
                title, body = rng.choice(corpus.REQUESTS["fr"])
                raw = corpus.build((f"Prof {i}", address), title.format(room="203"), body.format(room="203", name="Prof"),
                                   f"<latency-{i}@school.example>", corpus.START)
                started = time.perf_counter()
                client.append("INBOX", raw)
                if wait_until(lambda address=address: _acknowledged(stack, address), 30, interval=0.005):
                    delays.append(time.perf_counter() - started)
                else:
                    missing += 1
        finally:
            client.logout()
    if not delays:
        ctx.add("acknowledgement latency", "no acknowledgement", "p95 < 1.5 s", False, f"{missing} mails unanswered")
        return
    p50, p95 = percentile(delays, 50), percentile(delays, 95)
    ctx.add("acknowledgement latency p50 / p95 / max", f"{p50:.2f} / {p95:.2f} / {max(delays):.2f} s",
            "p95 < 1.5 s", p95 < 1.5 and not missing,
            f"{len(delays)} mails one at a time into INBOX while `mailbot run` idles (PostgreSQL, Redis, "
            f"2 workers), from APPEND to the acknowledgement at the sink; {missing} without acknowledgement in 30 s")
