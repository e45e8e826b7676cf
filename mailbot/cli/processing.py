"""`mailbot run`, `poll`, `ingest`, `worker`: receiving and processing mail, sending notifications;
`autoclose` and `digest`: the timed jobs of `mailbot run`, once."""

from __future__ import annotations

from typing import Annotated

import typer

from mailbot.cli.common import make_app
from mailbot.errors import ConfigError


def run() -> None:
    """Receive mail (IMAP or the built-in listener), process it and send notifications."""
    from mailbot.runner import run_forever

    run_forever(make_app())


def poll(once: Annotated[bool, typer.Option("--once", help="One pass, then exit.")] = False) -> None:
    """Process the mails waiting in the IMAP mailbox."""
    from mailbot.runner import poll_forever, poll_once

    app = make_app()
    if not app.settings.imap_mailboxes:
        raise ConfigError("MAILBOT_IMAP_URL: not set (nor MAILBOT_MAILBOXES); `mailbot poll` needs an IMAP mailbox")
    if once:
        for mailbox, stats in poll_once(app).items():
            outcomes = ", ".join(f"{n} {outcome}" for outcome, n in sorted(stats.outcomes.items())) or "nothing"
            typer.echo(f"{mailbox}: {stats.fetched} mail(s): {outcomes}"
                       + (f"; {stats.errors} left in place by an error" if stats.errors else ""))
    else:
        poll_forever(app)


def ingest(files: Annotated[list[str] | None, typer.Argument(metavar="FILE",
                                                             help="Files, folders or - for stdin.")] = None,
           jobs: Annotated[int, typer.Option("--jobs", metavar="N", min=1,
                                             help="Processes in parallel (PostgreSQL only): the mails are "
                                                  "split by thread, each thread in order.")] = 1,
           ) -> None:
    """Process raw RFC 822 mails from files or stdin, in order."""
    from mailbot.runner import ingest_sources

    failures = ingest_sources(make_app(), files or ["-"], jobs=jobs)
    raise typer.Exit(1 if failures else 0)


def worker(threads: Annotated[int, typer.Option(metavar="N", min=1, help="Worker threads.")] = 4) -> None:
    """Run dramatiq workers for the configured broker (MAILBOT_BROKER_URL)."""
    from mailbot.runner import run_workers

    app = make_app()
    if app.uses_stub_broker:
        raise ConfigError("MAILBOT_BROKER_URL: not set; `mailbot worker` needs a shared broker "
                          "(without one, `mailbot run` sends notifications itself)")
    run_workers(app, threads)


def autoclose() -> None:
    """Close the solved tickets whose automatic closing is due, once."""
    app = make_app()
    if app.uses_stub_broker:
        app.start_worker()
    closed = app.autoclose()
    app.wait_for_delivery()
    app.close()
    typer.echo(f"closed {len(closed)} ticket(s)" + (": " + ", ".join(f"#{i}" for i in closed) if closed else ""))


def digest(now: Annotated[bool, typer.Option("--now", help=(
        "Send today's digest at once, whatever the hour, even with MAILBOT_DIGEST_HOUR off."))] = False) -> None:
    """Send the morning digest to each technician who has not had today's (once a day each)."""
    app = make_app()
    if not now and app.settings.digest_hour is None:
        app.close()
        typer.echo("the morning digest is off (MAILBOT_DIGEST_HOUR); --now sends it all the same")
        return
    if app.uses_stub_broker:
        app.start_worker()
    sent = app.digest(force=now)
    app.wait_for_delivery()
    app.close()
    typer.echo(f"digest sent to {len(sent)} technician(s)" + (": " + ", ".join(sent) if sent else ""))
