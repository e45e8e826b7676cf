"""The command line's text output: a ticket laid out for `mailbot tickets show` (from its JSON
view), times in MAILBOT_TIMEZONE to the minute, and what a list says when it is empty or cut.

| shown as             | from                                        |
|----------------------|---------------------------------------------|
| `2026-11-30 10:00`   | `2026-11-30T09:00:00.123456+00:00` (JSON)   |
| `-`                  | no time (`null` in JSON)                    |
"""

from __future__ import annotations

from datetime import datetime, tzinfo
from typing import Any

TIME_FORMAT = "%Y-%m-%d %H:%M"


def local_time(iso: str | None, tz: tzinfo) -> str:
    """An ISO 8601 timestamp of the JSON views, as the people of `tz` read it."""
    if not iso:
        return "-"
    return datetime.fromisoformat(iso).astimezone(tz).strftime(TIME_FORMAT)


def count_line(shown: int, total: int, what: str) -> str:
    """The first line of a list: how many there are, and how many are shown when it is cut."""
    if total == 0:
        return f"no {what}"
    if shown < total:
        return f"{total} {what}, the {shown} most recently updated shown (--limit N or --all for more)"
    return f"{total} {what}"


def ticket_text(t: dict[str, Any], tz: tzinfo) -> str:
    def when(iso: str | None) -> str:
        return local_time(iso, tz)

    lines = [f"Ticket #{t['id']} [{t['status']}] {t['title']}",
             f"  type {t['type']}, urgency {t['urgency']}, requester {t['requester']}",
             f"  observers: {', '.join(t['observers']) or '-'}; assignees: {', '.join(t['assignees']) or '-'}",
             f"  items: {', '.join(t['items']) or '-'}; created {when(t['created_at'])}, "
             f"updated {when(t['updated_at'])}",
             "", t["content"], ""]
    entries: list[tuple[str, str]] = []
    for f in t["followups"]:
        tag = " (private)" if f["private"] else ""
        entries.append((f["created_at"], f"followup by {f['author'] or 'mailbot'}{tag}:\n{f['content']}"))
    for k in t["tasks"]:
        planned = f" planned {when(k['begin'])}" if k["begin"] else ""
        entries.append((k["created_at"], f"task [{k['state']}] {k['duration_minutes']} min{planned} "
                                          f"by {k['author']}: {k['content']}"))
    for s in t["solutions"]:
        reason = f" — {s['reason']}" if s["reason"] else ""
        entries.append((s["created_at"], f"solution [{s['status']}] by {s['author']}{reason}:\n{s['content']}"))
    for h in t["history"]:
        entries.append((h["at"], f"status {h['from'] or '-'} -> {h['to']} by {h['by'] or 'mailbot'}: {h['why']}"))
    for d in t["documents"]:
        lines.append(f"  document {d['id']} {d['filename']} ({d['content_type']}, {d['size']} bytes)")
    for at, text in sorted(entries, key=lambda e: e[0] or ""):
        lines.append(f"[{when(at)}] {text}")
    return "\n".join(lines)
