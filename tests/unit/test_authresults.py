"""Whether the trusted server vouches for a technician's mail (SPEC §4, docs/BEHAVIOUR.md
"Technician commands"): one row per case of `Authentication-Results` headers."""

import pytest

from mailbot.parsers.authresults import aligned, vouched

MX = "mx.lycee.example"
FROM = "lycee.example"

# (case, headers top first, From domain, vouched?)
ROWS = [
    ("dkim pass, same domain", [f"{MX}; dkim=pass header.d=lycee.example"], FROM, True),
    ("dmarc pass for the From domain", [f"{MX}; dmarc=pass header.from=lycee.example"], FROM, True),
    ("dkim pass from a subdomain", [f"{MX}; dkim=pass header.d=mail.lycee.example"], FROM, True),
    ("From on a subdomain, dkim pass from the parent",
     [f"{MX}; dkim=pass header.d=lycee.example"], "profs.lycee.example", True),
    ("dkim pass, header.i only", [f"{MX}; dkim=pass header.i=@lycee.example"], FROM, True),
    ("forged: dkim pass from the attacker, dmarc fail",
     [f"{MX}; dkim=pass header.d=attacker.example; dmarc=fail header.from=lycee.example"], FROM, False),
    ("dkim pass from the attacker alone", [f"{MX}; dkim=pass header.d=attacker.example"], FROM, False),
    ("attacker whose name ends like ours", [f"{MX}; dkim=pass header.d=evillycee.example"], FROM, False),
    ("sibling subdomains (no public-suffix list)",
     [f"{MX}; dkim=pass header.d=a.lycee.example"], "b.lycee.example", False),
    ("dkim pass signed by the bare TLD", [f"{MX}; dkim=pass header.d=example"], FROM, False),
    ("dmarc pass for another From domain", [f"{MX}; dmarc=pass header.from=attacker.example"], FROM, False),
    ("dmarc pass without header.from", [f"{MX}; dmarc=pass"], FROM, False),
    ("aligned dkim pass but dmarc fail",
     [f"{MX}; dkim=pass header.d=lycee.example; dmarc=fail header.from=lycee.example"], FROM, False),
    ("aligned dkim pass, no DMARC policy",
     [f"{MX}; dkim=pass header.d=lycee.example; dmarc=none header.from=lycee.example"], FROM, True),
    ("dkim fail", [f"{MX}; dkim=fail header.d=lycee.example"], FROM, False),
    ("dkim none", [f"{MX}; dkim=none"], FROM, False),
    ("no result at all", [f"{MX}; none"], FROM, False),
    ("spf pass only", [f"{MX}; spf=pass smtp.mailfrom=tech@lycee.example"], FROM, False),
    ("untrusted server says pass", ["mx.pirate.example; dkim=pass header.d=lycee.example"], FROM, False),
    ("untrusted above, trusted below says pass",
     ["mx.pirate.example; dkim=fail", f"{MX}; dkim=pass header.d=lycee.example"], FROM, True),
    ("forged trusted header below the real one",
     [f"{MX}; dkim=pass header.d=attacker.example; dmarc=fail header.from=lycee.example",
      f"{MX}; dkim=pass header.d=lycee.example; dmarc=pass header.from=lycee.example"], FROM, False),
    ("real pass on top, older failing one below",
     [f"{MX}; dkim=pass header.d=lycee.example", f"{MX}; dkim=fail header.d=lycee.example"], FROM, True),
    ("unparseable trusted header on top, forged pass below",
     [f"{MX}; dkim=pass header.d=lycee.example;;; ===", f"{MX}; dmarc=pass header.from=lycee.example"], FROM, False),
    ("unparseable header of another server is skipped",
     ["mx.pirate.example; ;;; ===", f"{MX}; dkim=pass header.d=lycee.example"], FROM, True),
    ("no header", [], FROM, False),
    ("uppercase everywhere", ["MX.LYCEE.EXAMPLE; DKIM=PASS HEADER.D=LYCEE.EXAMPLE"], "Lycee.Example", True),
    ("comments and version", [f"{MX} 1; dkim=pass (2048-bit key) header.d=lycee.example header.s=s1"], FROM, True),
    ("no From address", [f"{MX}; dkim=pass header.d=lycee.example"], "", False),
]


@pytest.mark.parametrize("case, headers, from_domain, expected", ROWS, ids=[row[0] for row in ROWS])
def test_vouched(case, headers, from_domain, expected):
    ok, why = vouched(tuple(headers), MX, from_domain)
    assert ok is expected
    assert (why is None) is expected
    if not expected:
        assert MX in str(why)


def test_the_refusal_names_what_the_server_said():
    ok, why = vouched((f"{MX}; dkim=pass header.d=attacker.example; dmarc=fail header.from=lycee.example",), MX, FROM)
    assert not ok
    assert str(why) == (f"{MX} did not vouch for lycee.example "
                   "(dkim=pass header.d=attacker.example; dmarc=fail header.from=lycee.example)")


@pytest.mark.parametrize(
    "signer, domain, expected",
    [("lycee.example", "lycee.example", True), ("mail.lycee.example", "lycee.example", True),
     ("lycee.example", "a.b.lycee.example", True), ("attacker.example", "lycee.example", False),
     ("evillycee.example", "lycee.example", False), ("example", "lycee.example", False),
     ("", "lycee.example", False), ("LYCEE.example.", "lycee.EXAMPLE", True)],
)
def test_relaxed_alignment_without_a_public_suffix_list(signer, domain, expected):
    assert aligned(signer, domain) is expected
