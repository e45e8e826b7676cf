"""The `mailbot` console script. An MTA pipes each mail to `mailbot ingest -`: that command is
recognised here before typer, SQLAlchemy and pydantic are imported (0.4–0.5 s of CPU), and its
mail handed to the running `mailbot run` when MAILBOT_LISTEN names its listener
(mailbot/handoff.py), which answers once the mail is committed. Every other command, and every
mail the listener does not take, goes to the full command line (mailbot/cli/), which then
processes the mail in this process exactly as before: no mail is lost by the short way.

Only MAILBOT_LISTEN set explicitly is used: the listener's default address (127.0.0.1:2525
without IMAP) may be another program, or another mailbot, on a machine where no `mailbot run` is
meant to take the mail.
"""

from __future__ import annotations

import io
import logging
import sys

# the argument lists handled here, each exactly as the full command does: one mail from stdin
PIPE_FORMS: tuple[list[str], ...] = (["ingest", "-"], ["ingest"])

log = logging.getLogger("mailbot.run")


def is_pipe(args: list[str]) -> bool:
    """Whether these arguments are `mailbot ingest -` (or `mailbot ingest`, which reads stdin too)."""
    return args in PIPE_FORMS


def main() -> None:
    if is_pipe(sys.argv[1:]) and sys.stdin is not None:
        status = _hand_over_stdin()
        if status is not None:
            sys.exit(status)
    from mailbot.cli import main as full_command

    full_command()


def _hand_over_stdin() -> int | None:
    """The exit status when the running `mailbot run` took the mail on stdin; otherwise None,
    with stdin made to give the same bytes again to the full command."""
    from mailbot.pipe_settings import read_pipe_settings

    settings = read_pipe_settings()
    target = settings.listen_target if settings is not None else None
    if settings is None or target is None:
        return None  # the full command reads stdin itself (and says what is wrong, if anything)
    from mailbot.handoff import hand_over
    from mailbot.logs import setup_logging

    setup_logging(settings.log_format)
    raw = sys.stdin.buffer.read()
    try:
        status = hand_over(raw, target)
    except Exception:  # whatever went wrong, the full command still has the mail
        log.debug("handing the mail over failed", exc_info=True)
        status = None
    if status is None:
        log.debug("processing the mail in this process")
        sys.stdin = io.TextIOWrapper(io.BytesIO(raw))
    return status
