"""pytest fixtures for the fake Bot API.

Until they are wired into ``tests/conftest.py``, import them explicitly in a test module::

    from fake_bot_api.fixtures import fake_api, fake_bot, fake_app_builder  # noqa: F401

All fixtures are function-scoped and run in the test's own event loop (pytest-asyncio), so
they work with ``asyncio_mode = "auto"`` as well as with ``@pytest.mark.asyncio`` in strict mode.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Sequence
from typing import Any

import pytest
import pytest_asyncio
from telegram import Bot
from telegram.ext import Application, ApplicationBuilder

from .server import FakeBotApi

__all__ = [
    "fake_api",
    "fake_app_builder",
    "fake_bot",
    "running_application",
    "serve_fake_api",
]


@contextlib.asynccontextmanager
async def serve_fake_api(**options: Any) -> AsyncIterator[FakeBotApi]:
    """Run a :class:`FakeBotApi` for the block; afterwards fail the test (``pytest.fail``) if
    the bot made a call that violates the Bot API.

    ``options`` go to :class:`FakeBotApi` (``rate_limits=...``, ``bot_username=...``).  If the
    block itself raises, that error propagates unchanged.
    """
    api = FakeBotApi(**options)
    await api.start()
    try:
        yield api
    finally:
        await api.stop()
    if api.violations:
        lines = "\n".join(f"  - {v}" for v in api.violations)
        pytest.fail(
            f"the bot made {len(api.violations)} invalid Bot API call(s):\n{lines}",
            pytrace=False,
        )


@pytest_asyncio.fixture
async def fake_api() -> AsyncIterator[FakeBotApi]:
    """A running :class:`FakeBotApi`; the test fails at teardown if the bot made any call that
    violates the Bot API (acknowledge deliberate ones with ``fake_api.expect_violation``)."""
    async with serve_fake_api() as api:
        yield api


@pytest_asyncio.fixture
async def fake_bot(fake_api: FakeBotApi) -> AsyncIterator[Bot]:
    """An initialized real ``telegram.Bot`` (``getMe`` already done) talking to ``fake_api``."""
    bot = fake_api.make_bot()
    async with bot:
        yield bot


@pytest.fixture
def fake_app_builder(fake_api: FakeBotApi) -> ApplicationBuilder[Any, Any, Any, Any, Any, Any]:
    """``ApplicationBuilder`` with token, ``base_url`` and ``base_file_url`` of ``fake_api``."""
    return fake_api.application_builder()


@contextlib.asynccontextmanager
async def running_application(
    application: Application[Any, Any, Any, Any, Any, Any],
    *,
    allowed_updates: Sequence[str] | None = None,
    poll_timeout: int = 1,
) -> AsyncIterator[Application[Any, Any, Any, Any, Any, Any]]:
    """Run ``application`` with long polling for the duration of the block.

    Equivalent to ``run_polling`` without signal handlers and without owning the event loop:
    ``initialize`` (getMe), ``start_polling`` (deleteWebhook, getUpdates loop), ``start``; and
    the reverse on exit.  A short poll timeout keeps shutdown quick.
    """
    async with application:
        assert application.updater is not None, "build the application with an Updater"
        await application.updater.start_polling(
            poll_interval=0.0, timeout=poll_timeout, allowed_updates=allowed_updates
        )
        await application.start()
        try:
            yield application
        finally:
            await application.updater.stop()
            await application.stop()
