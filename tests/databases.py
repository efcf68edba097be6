"""The tests' databases: a new SQLite file per test, or a new PostgreSQL database per test.

``TEST_DATABASE_URL`` (set by ``make test-postgres``) names a PostgreSQL database
whose role may CREATE DATABASE. Each test that asks for the ``database_url``
fixture then gets an empty database of its own on that server, dropped after
the test; unset, it gets an empty SQLite file in its ``tmp_path``. Either way
the bot migrates the empty database itself when it connects, as in production.

A test about SQLite itself (a PRAGMA, the database file) is marked
``@sqlite_only`` and skipped on PostgreSQL.
"""

from __future__ import annotations

import itertools
import os
import uuid
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, make_url, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.pool import NullPool

ENV = "TEST_DATABASE_URL"
#: Databases the tests create are named with this prefix, the run's id and a counter.
PREFIX = "torun_t_"

sqlite_only = pytest.mark.skipif(
    bool(os.environ.get(ENV, "").strip()),
    reason="about SQLite itself; this run uses PostgreSQL (TEST_DATABASE_URL)",
)


def server_url() -> str | None:
    """The PostgreSQL server the tests run on, or None for SQLite."""
    url = os.environ.get(ENV, "").strip()
    if not url:
        return None
    if make_url(url).get_backend_name() != "postgresql":
        raise ValueError(f"{ENV} must be a postgresql+psycopg:// URL, not {url.split(':')[0]}:")
    return url


def sqlite_url(folder: Path, name: str = "bot") -> str:
    """A new SQLite database file in ``folder``."""
    return f"sqlite:///{folder / f'{name}.sqlite3'}"


class PostgresDatabases:
    """Creates and drops one database per test on the server of ``TEST_DATABASE_URL``."""

    def __init__(self, url: str) -> None:
        self._url = make_url(url)
        # CREATE/DROP DATABASE cannot run inside a transaction.
        self._admin: Engine = create_engine(url, isolation_level="AUTOCOMMIT", poolclass=NullPool)
        self._run = uuid.uuid4().hex[:8]
        self._counter = itertools.count(1)
        try:
            with self._admin.connect() as connection:
                connection.execute(text("SELECT 1"))
        except OperationalError as exc:
            where = f"{self._url.host}:{self._url.port}/{self._url.database}"
            reason = str(exc.orig or exc).strip().splitlines()[0]
            pytest.exit(f"{ENV}: cannot connect to {where}: {reason}", returncode=3)

    def create(self) -> str:
        """A new, empty database; returns its URL (with the password, for the bot)."""
        name = f"{PREFIX}{self._run}_{next(self._counter)}"
        with self._admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}" TEMPLATE template0'))
        return self._url.set(database=name).render_as_string(hide_password=False)

    def drop(self, url: str) -> None:
        """Drop a database made by :meth:`create`, closing connections a test left open."""
        name = make_url(url).database
        assert name is not None and name.startswith(PREFIX)
        with self._admin.connect() as connection:
            # Not DROP ... WITH (FORCE): it must also be allowed to end an autovacuum
            # worker in the database, which needs pg_signal_backend, and fails without.
            # Plain DROP DATABASE ends autovacuum itself and waits (5 s) for the
            # test's own connections, ended here.
            connection.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                    " WHERE datname = :name AND usename = current_user"
                    " AND pid <> pg_backend_pid()"
                ),
                {"name": name},
            )
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))

    def close(self) -> None:
        self._admin.dispose()
