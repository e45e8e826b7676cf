"""Self-signed certificates made by the tests themselves (openssl), for the listener's STARTTLS."""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest


@dataclass(frozen=True)
class Certificate:
    cert: Path  # PEM certificate, also the CA file a client trusts
    key: Path  # PEM private key, unencrypted


def self_signed(folder: Path, name: str = "listener") -> Certificate:
    """A one-day certificate for 127.0.0.1 and localhost; skips the test without openssl
    (fails it when CI is set)."""
    openssl = shutil.which("openssl")
    if openssl is None:
        reason = "openssl not installed: no certificate for the STARTTLS tests"
        if os.environ.get("CI"):
            pytest.fail(f"{reason} (CI is set)", pytrace=False)
        pytest.skip(reason)
    cert, key = folder / f"{name}.crt", folder / f"{name}.key"
    subprocess.run([openssl, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1",
                    "-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
                    "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True, timeout=60)
    return Certificate(cert, key)
