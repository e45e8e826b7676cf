"""Reading `Authentication-Results` (RFC 8601) for SPEC §4: does a trusted server vouch
for this mail with a passing DKIM or DMARC result?"""

from __future__ import annotations

import re

_RESULT = re.compile(r"\b(dkim|dmarc)\s*=\s*([a-z]+)", re.IGNORECASE)
_COMMENT = re.compile(r"\([^()]*\)")


def vouched(headers: tuple[str, ...], authserv_id: str) -> tuple[bool, str]:
    """(True, "") when a header from `authserv_id` says dkim=pass or dmarc=pass; else
    (False, why). Headers from other servers are ignored: anyone can write one."""
    trusted = authserv_id.strip().lower()
    seen: list[str] = []
    for header in headers:
        text = _COMMENT.sub("", " ".join(header.split()))
        server = text.split(";", 1)[0].strip().split()[0].lower() if text.strip() else ""
        if server != trusted:
            continue
        results = {method.lower(): verdict.lower() for method, verdict in _RESULT.findall(text)}
        if results.get("dkim") == "pass" or results.get("dmarc") == "pass":
            return True, ""
        seen.append(", ".join(f"{m}={v}" for m, v in results.items()) or "no DKIM or DMARC result")
    if seen:
        return False, f"{trusted} did not vouch for this mail ({'; '.join(seen)})"
    return False, f"no Authentication-Results from the trusted server {trusted}"
