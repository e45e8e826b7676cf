"""Throwaway PostgreSQL databases for the benchmarks: created at the start, dropped at the end."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg

ADMIN_DSN = "host=127.0.0.1 port=5432 user=root dbname=test"


def _admin(sql: str) -> None:
    with psycopg.connect(ADMIN_DSN, autocommit=True) as conn:
        conn.execute(sql)


@contextmanager
def database(label: str) -> Iterator[str]:
    """A fresh database; yields its SQLAlchemy URL."""
    name = f"mailbot_bench_{label}_{os.getpid()}"
    _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    _admin(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql+psycopg://root@127.0.0.1:5432/{name}"
    finally:
        _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def dsn(url: str) -> str:
    """The psycopg form of a SQLAlchemy URL made by `database`."""
    return url.replace("postgresql+psycopg://", "postgresql://")


def scalar(url: str, sql: str):  # type: ignore[no-untyped-def]
    with psycopg.connect(dsn(url)) as conn:
        return conn.execute(sql).fetchone()[0]
