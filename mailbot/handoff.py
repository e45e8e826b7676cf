"""`mailbot ingest -` handing its one mail to the running `mailbot run` (its built-in listener at
MAILBOT_LISTEN) by SMTP or LMTP, with the standard library only: no start-up of its own.

The listener answers 250 only once the mail is committed, records it in the same `direct`
mailbox as `mailbot ingest` (so a mail given both ways is one ticket and one duplicate), and says
what came of it after the code (`250 2.0.0 Message accepted: ticket #12`). The exit status is
then the one the full command gives for that outcome:

| the listener                                               | exit status                        |
|------------------------------------------------------------|------------------------------------|
| 250, recorded: ticket, follow-up, answered, refused, ignored, duplicate | 0                     |
| 250, recorded as `failed` (kept with its error)            | 1                                  |
| anything else: refused connection, no socket, a silent or  | none here: the full command        |
| closed connection, 4xx, 5xx, a greeting not mailbot's      | processes the mail in this process |

A mail goes this way only when its header block has a `Return-Path:` (an MTA's pipe or local
delivery writes one): the listener writes the envelope sender there when there is none, which
`mailbot ingest -` would not, so such a mail is processed in-process to stay the same. The
listener gets the very bytes read from stdin: a mail whose lines all end in CRLF goes as it is;
one whose lines all end in LF alone (an MTA's pipe writes them so) goes in CRLF, as SMTP wants,
to LF_RECIPIENT, and the listener makes them LF again. A mail that mixes the two, does not end
with a line break, or has a line longer than SMTP allows (998 bytes) is processed in-process.
"""

from __future__ import annotations

import logging
import re
import smtplib
import sys

from mailbot.inbound.listen_target import LF_RECIPIENT, LISTENER_IDENT, ListenTarget

log = logging.getLogger("mailbot.run")

STDIN_NAME = "<stdin>"  # how `mailbot ingest -` names the mail in its log line
RECIPIENT = "ingest@localhost"  # the listener takes any recipient; LF_RECIPIENT: see above
CONNECT_SECONDS = 5.0  # to connect and get each answer before DATA
# until the answer to DATA: the listener answers after the commit; a slower answer sends the
# mail through the full command too, and the mail's key then records it once
ANSWER_SECONDS = 120.0
_HEADER_BLOCK_END = re.compile(rb"\r?\n\r?\n")
_RETURN_PATH = re.compile(rb"(?im)^return-path[ \t]*:[ \t]*<?([^\s<>]*)>?")
_LOOK_FOR_HEADERS = 256 * 1024  # as far as the listener looks
_BARE_LF = re.compile(rb"(?<!\r)\n")
_BARE_CR = re.compile(rb"\r(?!\n)")
MAX_LINE = 998  # bytes of a line without its CRLF (RFC 5321 4.5.3.1.6)


def return_path(raw: bytes) -> str | None:
    """The Return-Path of the mail's header block ("" for `<>`); None when it has none."""
    head = raw[:_LOOK_FOR_HEADERS]
    end = _HEADER_BLOCK_END.search(head)
    match = _RETURN_PATH.search(head[:end.start()] if end else head)
    return match.group(1).decode("ascii", "replace") if match else None


def on_the_wire(raw: bytes) -> tuple[bytes, str]:
    """What DATA carries for `raw` and to which recipient, so that the listener gets `raw` back
    exactly; (b"", "") when SMTP cannot carry it so (see the module's docstring)."""
    if not raw.endswith(b"\n"):
        return b"", ""
    if b"\r" not in raw:
        wire, recipient = raw.replace(b"\n", b"\r\n"), LF_RECIPIENT
    elif _BARE_LF.search(raw) or _BARE_CR.search(raw):
        return b"", ""
    else:
        wire, recipient = raw, RECIPIENT
    if any(len(line) > MAX_LINE for line in wire.split(b"\r\n")):
        return b"", ""
    return wire, recipient


class _SmtpOverUnixSocket(smtplib.LMTP):
    """SMTP on a unix socket: smtplib's LMTP class connects there; it greets with EHLO."""

    ehlo_msg = "ehlo"


def _client(target: ListenTarget) -> tuple[smtplib.SMTP, str, int]:
    kind = (smtplib.LMTP if target.lmtp else _SmtpOverUnixSocket) if target.socket_path else \
        (smtplib.LMTP if target.lmtp else smtplib.SMTP)
    # local_hostname given: smtplib would otherwise ask the resolver for this machine's name
    client = kind(local_hostname="localhost", timeout=CONNECT_SECONDS)
    return client, target.socket_path or target.host, target.port


def hand_over(raw: bytes, target: ListenTarget) -> int | None:
    """Deliver `raw` to the listener at `target`; the exit status for its answer, or None when
    the mail was not taken there (see the table above) and the full command must process it."""
    sender = return_path(raw)
    if sender is None:
        log.debug("no Return-Path: the mail is processed in this process")
        return None
    wire, recipient = on_the_wire(raw)
    if not wire:
        log.debug("line ends SMTP cannot carry as they are: the mail is processed in this process")
        return None
    client, host, port = _client(target)
    try:
        code, greeting = client.connect(host, port)
        if code != 220 or greeting.split()[-1:] != [LISTENER_IDENT.encode()]:
            log.debug("%s is not mailbot's listener (%s %r)", target, code, greeting)
            return None
        if client.ehlo()[0] != 250 or client.mail(sender if sender.isascii() else "")[0] != 250 \
                or client.rcpt(recipient)[0] != 250:
            return None
        assert client.sock is not None
        client.sock.settimeout(ANSWER_SECONDS)
        code, answer = client.data(wire)
    except (OSError, smtplib.SMTPException, UnicodeError) as exc:
        log.debug("listener %s did not take the mail (%s: %s)", target, type(exc).__name__, exc)
        return None
    finally:
        _close(client)
    if code != 250:
        log.debug("listener %s answered %s %r", target, code, answer)
        return None
    return _outcome_status(answer.decode("ascii", "replace"))


def _outcome_status(answer: str) -> int:
    """The exit status for the listener's 250 answer, and the log line `ingest` writes."""
    said = answer.partition(": ")[2] or "recorded"
    if said.startswith("failed"):
        log.error("%s: %s", STDIN_NAME, said)
        return 1
    if not sys.stderr.isatty():  # on a terminal `ingest` shows a progress bar instead
        log.info("%s: %s", STDIN_NAME, said)
    return 0


def _close(client: smtplib.SMTP) -> None:
    try:
        client.quit()
    except (OSError, smtplib.SMTPException):
        client.close()

