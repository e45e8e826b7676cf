"""Reading `Authentication-Results` (RFC 8601) for SPEC §4: does the trusted server vouch that
this mail really comes from the domain of its `From:` address?

Which header counts: only the topmost one whose authserv-id is the trusted server. The receiving
server adds its header on top of those already in the mail, so a header a forger wrote with the
trusted authserv-id always lies below the real one and is never read. Headers of other servers
are ignored (anyone can write one). A header that `authres` cannot parse gives no result: if it
starts with the trusted authserv-id it is still the one that counts, and it vouches for nothing.

What that header must say, for the domain D of the `From:` address:

| result in the header                        | vouches?                               |
|---------------------------------------------|----------------------------------------|
| `dmarc=pass header.from=D`                  | yes                                    |
| `dkim=pass header.d=S` with S aligned with D | yes (`header.i` is read when `header.d` is missing) |
| `dmarc=fail header.from=D`                  | no, whatever DKIM says                 |
| `dkim=pass` from a domain not aligned with D | no (anyone can sign for their own domain) |
| `dmarc=pass` for another domain, `fail`, `none`, nothing | no                        |
| no `From:` address                          | no (nothing to align with)             |

Aligned (DMARC relaxed alignment, RFC 7489 §3.1.1) is read without a public-suffix list: the
same domain, or one a subdomain of the other, the shorter one having at least two labels.
Without the list, `a.lycee.example` and `b.lycee.example` are not aligned (stricter than
DMARC); no pair the list would refuse is accepted, except a domain signed for by its parent
public suffix (`co.uk` for `lycee.co.uk`), which only the registry of that suffix can sign.
"""

from __future__ import annotations

from typing import Any

import authres

from mailbot.parsers.reasons import Reason, because


def vouched(headers: tuple[str, ...], authserv_id: str, from_domain: str) -> tuple[bool, Reason | None]:
    """(True, None) when the trusted header vouches for `from_domain` (module table); else
    (False, why), `why` naming the trusted server (`reasons.py`)."""
    trusted = authserv_id.strip().lower()
    domain = from_domain.strip().strip(".").lower()
    for header in headers:
        try:
            parsed = authres.AuthenticationResultsHeader.parse_value(header)
        except authres.AuthResError:
            if _leading_id(header) == trusted:
                return False, because("auth_unreadable", server=trusted)
            continue
        if str(parsed.authserv_id).strip().lower() != trusted:
            continue
        if not domain:
            return False, because("auth_no_from", server=trusted)
        return _verdict(parsed.results, trusted, domain)
    return False, because("auth_missing", server=trusted)


def _verdict(results: list[Any], trusted: str, domain: str) -> tuple[bool, Reason | None]:
    seen: list[str] = []
    dkim_aligned = dmarc_pass = dmarc_fail = False
    for result in results:
        method, verdict = str(result.method).lower(), str(result.result).lower()
        props = {f"{p.type}.{p.name}".lower(): str(p.value).strip().lower() for p in result.properties}
        if method == "dmarc":
            own = props.get("header.from", "").strip(".") == domain
            dmarc_pass |= own and verdict == "pass"
            dmarc_fail |= own and verdict == "fail"
            seen.append(f"dmarc={verdict} header.from={props.get('header.from', '?')}")
        elif method == "dkim":
            signer = props.get("header.d") or props.get("header.i", "").rpartition("@")[2]
            dkim_aligned |= verdict == "pass" and aligned(signer, domain)
            seen.append(f"dkim={verdict} header.d={signer or '?'}")
    if not dmarc_fail and (dmarc_pass or dkim_aligned):
        return True, None
    if not seen:
        return False, because("auth_no_result", server=trusted, domain=domain)
    return False, because("auth_not_vouched", server=trusted, domain=domain, seen="; ".join(seen))


def aligned(signer: str, domain: str) -> bool:
    """Relaxed alignment without a public-suffix list (module docstring)."""
    signer, domain = signer.strip(".").lower(), domain.strip(".").lower()
    if not signer or not domain:
        return False
    if signer == domain:
        return True
    shorter, longer = sorted((signer, domain), key=len)
    return longer.endswith("." + shorter) and shorter.count(".") >= 1


def _leading_id(header: str) -> str:
    """The authserv-id a header seems to start with, for a header authres cannot parse."""
    head = header.split(";", 1)[0].strip().split()
    return head[0].lower() if head else ""
