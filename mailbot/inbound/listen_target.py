"""Where the built-in listener receives mail (MAILBOT_LISTEN) and the certificate it offers by
STARTTLS (MAILBOT_LISTEN_TLS_CERT and _KEY): read and checked here, before anything listens.

| MAILBOT_LISTEN       | protocol | where                                          |
|----------------------|----------|------------------------------------------------|
| `smtp://HOST:PORT`   | SMTP     | TCP                                            |
| `lmtp://HOST:PORT`   | LMTP     | TCP                                            |
| `lmtp:///PATH`       | LMTP     | a unix socket at the absolute PATH             |
| `smtp:///PATH`       | SMTP     | a unix socket at the absolute PATH             |
| `HOST:PORT`          | SMTP     | TCP (the first form, kept for older set-ups)   |

An IPv6 host is written in brackets: `smtp://[::1]:2525`.
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

PROTOCOLS = ("smtp", "lmtp")
# sockaddr_un holds 108 bytes on Linux, the final NUL included.
MAX_SOCKET_PATH = 107
# the last word of the listener's greeting (`220 HOST mailbot`): what `mailbot ingest -` looks
# for before it hands a mail over (mailbot/handoff.py)
LISTENER_IDENT = "mailbot"
# the envelope recipient by which `mailbot ingest -` says its mail's lines end in LF alone: they
# travel ending in CRLF, as SMTP wants, and the listener makes them LF again (the exact bytes)
LF_RECIPIENT = "ingest-lf@localhost"
EXPECTED = "expected smtp://HOST:PORT, lmtp://HOST:PORT, lmtp:///SOCKET/PATH or HOST:PORT"


@dataclass(frozen=True)
class ListenTarget:
    """One address of the built-in listener: TCP host and port, or a unix socket path."""

    protocol: str
    host: str = ""
    port: int = 0
    socket_path: str = ""

    @property
    def lmtp(self) -> bool:
        return self.protocol == "lmtp"

    @classmethod
    def parse(cls, value: str) -> ListenTarget:
        """Read one MAILBOT_LISTEN value; raises ValueError saying what is wrong with it."""
        url = value if "://" in value else f"smtp://{value}"
        parts = urlsplit(url)
        if parts.scheme not in PROTOCOLS:
            raise ValueError(f"protocol must be smtp or lmtp, got '{parts.scheme}' ({EXPECTED})")
        if parts.query or parts.fragment or parts.username is not None:
            raise ValueError(f"{EXPECTED}, got '{value}'")
        if not parts.netloc:
            return cls._socket(parts.scheme, parts.path, value)
        try:
            port = parts.port
        except ValueError:
            port = None
        if not parts.hostname or not port or parts.path not in ("", "/"):
            raise ValueError(f"{EXPECTED}, got '{value}'")
        return cls(parts.scheme, host=parts.hostname, port=port)

    @classmethod
    def _socket(cls, protocol: str, path: str, value: str) -> ListenTarget:
        if not path.startswith("/") or path.endswith("/"):
            raise ValueError(f"a unix socket needs an absolute file path ({EXPECTED}), got '{value}'")
        if len(path.encode()) > MAX_SOCKET_PATH:
            raise ValueError(f"a unix socket path has at most {MAX_SOCKET_PATH} bytes, got '{path}'")
        return cls(protocol, socket_path=path)

    def __str__(self) -> str:
        if self.socket_path:
            return f"{self.protocol}://{self.socket_path}"
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{self.protocol}://{host}:{self.port}"


def server_tls_context(cert: str | Path, key: str | Path) -> ssl.SSLContext:
    """The listener's STARTTLS context from PEM files (both may be one file holding the two);
    raises ValueError in one line when a file is missing, unreadable or does not fit."""
    cert_text, key_text = _read(cert), _read(key)
    if "-----BEGIN CERTIFICATE-----" not in cert_text:
        raise ValueError(f"'{cert}' holds no PEM certificate (-----BEGIN CERTIFICATE-----)")
    if "PRIVATE KEY-----" not in key_text:
        raise ValueError(f"'{key}' holds no PEM private key (-----BEGIN PRIVATE KEY-----)")
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    try:
        # Without a password callback OpenSSL would prompt on the terminal for a passphrase.
        context.load_cert_chain(cert, key, password=_no_passphrase)
    except ssl.SSLError as exc:
        raise ValueError(f"cannot use the certificate '{cert}' with the key '{key}': "
                         f"{exc.reason or exc.strerror}") from None
    return context


def _read(path: str | Path) -> str:
    try:
        return Path(path).read_text(encoding="ascii", errors="replace")
    except OSError as exc:
        raise ValueError(f"cannot read '{path}': {exc.strerror}") from None


def _no_passphrase() -> str:
    raise ValueError("the private key is protected by a passphrase; give mailbot an unencrypted key")
