"""`python -m bench [--quick] [--only ingest,startup,drain,latency,memory,scale,kb,inventory,web]`:
run the measures, print the table."""

from __future__ import annotations

import argparse
import importlib
import sys
import time
import traceback

from bench import machine
from bench.common import WORK, Context, Row

MEASURES = ("ingest", "startup", "drain", "latency", "memory", "scale", "kb", "inventory", "web")


def table(ctx: Context) -> str:
    info = machine.describe()
    lines = ["", "mailbot benchmarks" + (" (--quick)" if ctx.quick else ""),
             "  " + " · ".join(f"{k}: {v}" for k, v in info.items()), ""]
    header = ("measure", "result", "target", "met")
    cells = [header] + [(r.measure, r.value, r.target, {True: "yes", False: "NO", None: ""}[r.ok]) for r in ctx.rows]
    widths = [max(len(c[i]) for c in cells) for i in range(4)]
    for i, cell in enumerate(cells):
        lines.append("  ".join(c.ljust(w) for c, w in zip(cell, widths, strict=True)).rstrip())
        if i == 0:
            lines.append("  ".join("-" * w for w in widths))
    lines.append("")
    lines += [f"- {r.measure}: {r.note}" for r in ctx.rows if r.note]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench/run", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="smaller data sets: about 5 minutes instead of about 11")
    parser.add_argument("--only", default=",".join(MEASURES), help=f"comma-separated subset of {','.join(MEASURES)}")
    args = parser.parse_args(argv)
    chosen = [m.strip() for m in args.only.split(",") if m.strip()]
    unknown = [m for m in chosen if m not in MEASURES]
    if unknown:
        parser.error(f"unknown measure(s) {', '.join(unknown)}; choose from {', '.join(MEASURES)}")
    WORK.mkdir(parents=True, exist_ok=True)
    ctx = Context(quick=args.quick)
    failed = False
    for name in chosen:
        print(f"== {name}", flush=True)
        started = time.perf_counter()
        try:
            importlib.import_module(f"bench.{name}").run(ctx)
        except Exception as exc:  # noqa: BLE001 - one broken measure must not hide the others
            failed = True
            traceback.print_exc()
            ctx.rows.append(Row(name, "error", note=f"{type(exc).__name__}: {exc}"[:400]))
        print(f"   ({time.perf_counter() - started:.0f} s)", flush=True)
    report = table(ctx)
    print(report)
    (WORK / "last-results.txt").write_text(report + "\n", encoding="utf-8")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
