"""The database: engine, Alembic migrations, and async access.

Repository functions are synchronous SQLModel code; :meth:`Database.run`
executes them in a dedicated thread so that a database call never blocks the
event loop that serves every resident. SQLite gets a single worker thread
(writes are serialised anyway); other databases get a small pool.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Concatenate, ParamSpec, TypeVar

from sqlalchemy import Engine, event, make_url, text
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session, create_engine

if TYPE_CHECKING:
    from alembic.config import Config

logger = logging.getLogger(__name__)

#: The newest migration (tests/test_storage.py checks it is Alembic's head). A database
#: already at it is opened without loading Alembic, a third of a second of every start.
SCHEMA_REVISION = "0004"

MIGRATIONS = Path(__file__).resolve().parent / "migrations"

P = ParamSpec("P")
T = TypeVar("T")


def make_engine(url: str) -> Engine:
    """Create the SQLAlchemy engine; SQLite gets WAL and foreign keys, PostgreSQL psycopg."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            if ":memory:" not in url:
                # WAL with synchronous=NORMAL: a crash of the bot loses nothing
                # committed; only a power cut may lose the last transactions.
                cursor.execute("PRAGMA journal_mode=WAL")
                cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        return engine
    parsed = make_url(url)
    if parsed.drivername in ("postgres", "postgresql"):
        # Hosting platforms hand out postgres:// (which SQLAlchemy does not know) or
        # postgresql:// (whose default driver depends on the SQLAlchemy version):
        # both mean the psycopg driver installed with the bot.
        parsed = parsed.set(drivername="postgresql+psycopg")
    return create_engine(parsed, pool_pre_ping=True)


#: ``Session.info`` key: the session has written something (see :func:`wrote`).
_WROTE = "torun_bot_wrote"


@event.listens_for(Session, "after_flush")
def _flushed(session: Session, _context: Any) -> None:
    session.info[_WROTE] = True


@event.listens_for(Session, "do_orm_execute")
def _executed(state: Any) -> None:
    if state.is_insert or state.is_update or state.is_delete:
        state.session.info[_WROTE] = True


def wrote(session: Session) -> bool:
    """Whether the session changed anything so far (flushed, pending, or a bulk statement)."""
    return bool(session.info.get(_WROTE) or session.new or session.dirty or session.deleted)


def alembic_config(url: str) -> Config:
    """An Alembic configuration pointing at the project's migrations."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def schema_revision(engine: Engine) -> str | None:
    """The migration the database is at (None: a new database, or not migrated by Alembic)."""
    try:
        with engine.connect() as connection:
            rows = connection.execute(text("SELECT version_num FROM alembic_version")).all()
    except SQLAlchemyError:
        return None
    return rows[0][0] if len(rows) == 1 else None


def migrate(engine: Engine, revision: str = "head") -> None:
    """Bring the schema up to ``revision`` (creates every table on a new database)."""
    from alembic import command

    config = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


class Database:
    """Runs repository functions off the event loop, one session per call."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        workers = 1 if engine.url.get_backend_name() == "sqlite" else 4
        self._executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="db")

    @classmethod
    def connect(cls, url: str, *, run_migrations: bool = True) -> Database:
        """Open the database at ``url`` and migrate it."""
        engine = make_engine(url)
        if run_migrations and schema_revision(engine) != SCHEMA_REVISION:
            migrate(engine)
        return cls(engine)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session committed on success and rolled back on error."""
        with Session(self.engine, expire_on_commit=False) as session:
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise

    def call(
        self, fn: Callable[Concatenate[Session, P], T], *args: P.args, **kwargs: P.kwargs
    ) -> T:
        """Run ``fn(session, ...)`` in a transaction, synchronously."""
        with self.session() as session:
            return fn(session, *args, **kwargs)

    async def run(
        self, fn: Callable[Concatenate[Session, P], T], *args: P.args, **kwargs: P.kwargs
    ) -> T:
        """Run ``fn(session, ...)`` in a transaction on the database thread."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(
            self._executor, functools.partial(self.call, fn, *args, **kwargs)
        )

    def close(self) -> None:
        """Stop the worker thread and release connections."""
        self._executor.shutdown(wait=True)
        self.engine.dispose()
