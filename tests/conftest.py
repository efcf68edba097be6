"""Shared fixtures of the core, content and CLI tests."""

from __future__ import annotations

import io
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

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


# Telegram fixtures are added below by the bot tests.
