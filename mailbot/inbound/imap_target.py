"""Where and how to reach an IMAP mailbox: the URL, TLS with certificate checking, and the
XOAUTH2 access token read from a configured command (Microsoft 365, Google)."""

from __future__ import annotations

import ssl
import subprocess
from dataclasses import dataclass, field
from ssl import SSLContext
from urllib.parse import unquote, urlsplit

from mailbot.errors import ConfigError, MailbotError

# scheme -> (TLS from the first byte, STARTTLS, default port)
SCHEMES = {"imap": (False, False, 143), "imaps": (True, False, 993), "imap+starttls": (False, True, 143)}


class ImapLoginError(MailbotError):
    """The mailbox refused the login, or no access token could be obtained."""


@dataclass(frozen=True)
class ImapTarget:
    """Where to read mail, parsed from an IMAP URL, with how to log in."""

    host: str
    port: int
    user: str
    password: str = field(repr=False)
    folder: str = "INBOX"
    ssl: bool = False
    starttls: bool = False
    tls_verify: bool = True
    oauth2_command: str = field(default="", repr=False)

    @classmethod
    def from_url(cls, url: str, *, tls_verify: bool = True, oauth2_command: str = "") -> ImapTarget:
        """`imap://user:pass@host:port/FOLDER`, `imaps://…` or `imap+starttls://…`."""
        parts = urlsplit(url)
        if parts.scheme not in SCHEMES or not parts.hostname:
            raise ConfigError(f"MAILBOT_IMAP_URL: expected imap://user:pass@host:port/FOLDER, got '{url}'")
        use_ssl, starttls, default_port = SCHEMES[parts.scheme]
        return cls(
            host=parts.hostname,
            port=parts.port or default_port,
            user=unquote(parts.username or ""),
            password=unquote(parts.password or ""),
            folder=unquote(parts.path.lstrip("/")) or "INBOX",
            ssl=use_ssl,
            starttls=starttls,
            tls_verify=tls_verify,
            oauth2_command=oauth2_command,
        )

    @property
    def mailbox(self) -> str:
        """The name the app records mail under: the account and folder, never the password."""
        return f"imap://{self.user}@{self.host}:{self.port}/{self.folder}"

    def ssl_context(self) -> SSLContext:  # `ssl` here is the field, not the module
        """Certificates and host names are checked unless MAILBOT_IMAP_TLS_VERIFY=false."""
        context = ssl.create_default_context()
        if not self.tls_verify:
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        return context

    def access_token(self) -> str:
        """Run MAILBOT_IMAP_OAUTH2_COMMAND (through /bin/sh); its standard output is the token.

        It runs at every login, so a command that refreshes tokens keeps them fresh."""
        try:
            done = subprocess.run(self.oauth2_command, shell=True, capture_output=True, text=True,
                                  timeout=60, check=False)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise ImapLoginError(f"MAILBOT_IMAP_OAUTH2_COMMAND could not run: {exc}") from exc
        token = done.stdout.strip()
        if done.returncode != 0 or not token:
            why = (done.stderr.strip().splitlines() or [f"exit status {done.returncode}, no token printed"])[-1]
            raise ImapLoginError(f"MAILBOT_IMAP_OAUTH2_COMMAND failed: {why}")
        return token
