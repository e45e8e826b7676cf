"""`python -m bench.pyspy_top FILE [N]`: the functions taking most samples in a py-spy raw
(collapsed stacks) profile, inclusive, as the excerpts quoted in docs/BENCHMARKS.md."""

from __future__ import annotations

import sys
from collections import Counter

SITE = "site-packages/"


def _name(frame: str) -> str:
    function, _, where = frame.partition(" (")
    path = where.split(":")[0]
    return f"{function} ({path.split(SITE)[-1] if SITE in path else path.split('/mailbot/', 1)[-1]})"


def top(path: str, count: int = 40) -> list[tuple[float, str]]:
    total, inclusive = 0, Counter()
    with open(path, encoding="utf-8", errors="replace") as profile:
        lines = profile.readlines()
    for line in lines:
        stack, _, n = line.rstrip().rpartition(" ")
        if not n.isdigit():
            continue
        total += int(n)
        for name in {_name(frame) for frame in stack.split(";") if "importlib._bootstrap" not in frame}:
            inclusive[name] += int(n)
    return [(100 * n / max(total, 1), name) for name, n in inclusive.most_common(count)]


if __name__ == "__main__":
    for share, name in top(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 40):
        print(f"{share:5.1f}%  {name}")
