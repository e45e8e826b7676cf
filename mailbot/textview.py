"""A ticket as readable text for `mailbot tickets show` (the JSON view, laid out)."""

from __future__ import annotations

from typing import Any


def ticket_text(t: dict[str, Any]) -> str:
    lines = [f"Ticket #{t['id']} [{t['status']}] {t['title']}",
             f"  type {t['type']}, urgency {t['urgency']}, requester {t['requester']}",
             f"  observers: {', '.join(t['observers']) or '-'}; assignees: {', '.join(t['assignees']) or '-'}",
             f"  items: {', '.join(t['items']) or '-'}; created {t['created_at']}, updated {t['updated_at']}",
             "", t["content"], ""]
    entries: list[tuple[str, str]] = []
    for f in t["followups"]:
        tag = " (private)" if f["private"] else ""
        entries.append((f["created_at"], f"followup by {f['author'] or 'mailbot'}{tag}:\n{f['content']}"))
    for k in t["tasks"]:
        when = f" planned {k['begin']}" if k["begin"] else ""
        entries.append((k["created_at"], f"task [{k['state']}] {k['duration_minutes']} min{when} "
                                          f"by {k['author']}: {k['content']}"))
    for s in t["solutions"]:
        reason = f" — {s['reason']}" if s["reason"] else ""
        entries.append((s["created_at"], f"solution [{s['status']}] by {s['author']}{reason}:\n{s['content']}"))
    for h in t["history"]:
        entries.append((h["at"], f"status {h['from'] or '-'} -> {h['to']} by {h['by'] or 'mailbot'}: {h['why']}"))
    for d in t["documents"]:
        lines.append(f"  document {d['filename']} ({d['content_type']}, {d['size']} bytes)")
    for at, text in sorted(entries, key=lambda e: e[0] or ""):
        lines.append(f"[{at}] {text}")
    return "\n".join(lines)
