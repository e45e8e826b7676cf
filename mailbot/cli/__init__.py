"""The `mailbot` command line (mailbot/entry.py hands it every command but the piped mail):
`root` builds the typer app from the command modules beside it and runs it in `main`."""

from mailbot.cli.root import cli, main

__all__ = ["cli", "main"]
