"""Shared fixtures of the core, content and CLI tests."""

from __future__ import annotations

import io
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from databases import PostgresDatabases, server_url, sqlite_url

from bot.cli import main
from bot.services import PROJECT_ROOT, Engine, build_engine

FIXTURES = Path(__file__).resolve().parent / "fixtures"
#: A small, complete and valid content tree (every required topic, two Kongres
#: editions, a place with confirmed hours). Tests copy it and break one thing.
MINIMAL_CONTENT = FIXTURES / "minimal_content"


@pytest.fixture(scope="session")
def shipped_engine() -> Engine:
    """The shipped intents/ and knowledge/, built once per session (a few seconds)."""
    return build_engine(PROJECT_ROOT)


@pytest.fixture
def content_dir(tmp_path: Path) -> Path:
    """A private copy of the minimal content tree, with the shipped catalogs."""
    root = tmp_path / "content"
    shutil.copytree(MINIMAL_CONTENT, root)
    shutil.copytree(PROJECT_ROOT / "locales", root / "locales")
    return root


@dataclass(frozen=True)
class CliResult:
    """What one ``torun-bot`` invocation returned and printed."""

    code: int
    out: str
    err: str


@pytest.fixture
def run_cli(capsys: pytest.CaptureFixture[str]) -> Callable[..., CliResult]:
    """Run ``bot.cli.main`` in-process and collect its exit code and output."""

    def run(*argv: str) -> CliResult:
        capsys.readouterr()  # drop anything printed before
        out = io.StringIO()
        code = main(list(argv), out)
        captured = capsys.readouterr()
        return CliResult(code, out.getvalue() + captured.out, captured.err)

    return run


def pytest_configure(config: pytest.Config) -> None:
    try:
        server_url()
    except ValueError as exc:
        raise pytest.UsageError(str(exc)) from None


def pytest_report_header() -> str:
    server = server_url()
    return "databases: " + ("PostgreSQL (TEST_DATABASE_URL)" if server else "SQLite files")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # `make test-postgres` runs exactly the tests that use a database (-m database).
    for item in items:
        if "database_url" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.database)


@pytest.fixture(scope="session")
def postgres_databases() -> Iterator[PostgresDatabases | None]:
    """The PostgreSQL server of TEST_DATABASE_URL, or None when the tests use SQLite."""
    server = server_url()
    if server is None:
        yield None
        return
    databases = PostgresDatabases(server)
    yield databases
    databases.close()


@pytest.fixture
def database_url(tmp_path: Path, postgres_databases: PostgresDatabases | None) -> Iterator[str]:
    """An empty database of the test's own: a SQLite file, or a PostgreSQL database."""
    if postgres_databases is None:
        yield sqlite_url(tmp_path)
        return
    url = postgres_databases.create()
    yield url
    postgres_databases.drop(url)


# Telegram fixtures are added below by the bot tests.
