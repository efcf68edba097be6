"""End-to-end harness: the real Application and HTTP client against a fake Bot API.

Fixtures are re-exported by ``conftest.py`` of this folder.

Every call the bot makes goes to ``fake_bot_api`` on 127.0.0.1, which checks it
against the Bot API spec and Telegram's limits; any violation fails the test.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from fake_bot_api import FakeBotApi, TgChat, TgUser
from fake_bot_api.fixtures import serve_fake_api
from fake_bot_api.server import _fast_httpx_request
from sqlalchemy import insert
from sqlmodel import select
from telegram import Update
from telegram.ext import Application

from bot.config import Secret, Settings
from bot.core.dates import WARSAW
from bot.services import PROJECT_ROOT, Engine, build_engine
from bot.storage.database import Database
from bot.storage.models import PersonRow, SubscriptionRow
from bot.telegram.app import build_application
from bot.telegram.runtime import Runtime
from bot.wiring import Services, build_services

STAFF_CHAT = TgChat.supergroup(-1001999888777, "Biuro Dialogu – pytania")
STAFF = TgUser(5001, "Joanna", last_name="Nowak", language_code="pl")
#: A member of the staff group who is not one of its administrators.
MEMBER = TgUser(5002, "Marek", last_name="Lis", language_code="pl")
ANNA = TgUser(7001, "Anna", language_code="pl")
OLENA = TgUser(7002, "Olena", language_code="uk")
#: A fixed moment for reproducible answers: after the last known Kongres.
NOW = datetime(2026, 11, 22, 12, 0, tzinfo=WARSAW)


@pytest.fixture(scope="session")
def engine() -> Engine:
    """The shipped content, loaded once for the whole session (a few seconds)."""
    return build_engine(PROJECT_ROOT, clock=lambda: NOW)


@dataclass(repr=False)
class BotHarness:
    """A running bot, its fake Telegram and its database."""

    api: FakeBotApi
    database_url: str
    engine: Engine
    #: the bot's current time; tests move it
    moment: datetime = NOW
    content_dir: Path = PROJECT_ROOT
    broadcast_rate: float = 25.0
    #: Telegram's own ceiling of ~30/s overall and ~20/min per group
    rate_limiter: bool = True
    #: the HTTP client's timeouts (short, so "answered too late" tests run fast)
    request_timeout: float = 5.0
    staff_admin_ids: frozenset[int] = frozenset()
    app: Application[Any, Any, Any, Any, Any, Any] | None = None
    db: Database | None = None
    runtime: Runtime | None = None
    #: errors raised in handlers (PTB only logs them); must stay empty
    errors: list[BaseException] = field(default_factory=list)

    @property
    def settings(self) -> Settings:
        return Settings(
            token=Secret(self.api.token),
            staff_chat_id=STAFF_CHAT.id,
            database_url=self.database_url,
            api_url=self.api.api_url,
            file_url=self.api.file_url,
            content_dir=self.content_dir,
            broadcast_rate=self.broadcast_rate,
            staff_admin_ids=self.staff_admin_ids,
        )

    def clock(self) -> datetime:
        """The bot's clock (read through this method, so moving ``moment`` moves it)."""
        return self.moment

    @property
    def services(self) -> Services:
        assert self.runtime is not None
        return self.runtime.services

    async def start(self) -> None:
        """Start (or restart) the bot process: a new Application on the same database."""
        self.db = Database.connect(self.database_url)
        services = build_services(self.settings, self.engine, self.db, clock=self.clock)
        self.app = build_application(
            self.settings,
            request=_fast_httpx_request(connection_pool_size=64, timeout=self.request_timeout),
            get_updates_request=_fast_httpx_request(),
            rate_limiter=self.rate_limiter,
        )

        async def collect(update: object, context: Any) -> None:
            self.errors.append(context.error)

        self.app.add_error_handler(collect)
        # Jobs run when a test calls them (tick of an hour): time is the test's.
        self.runtime = Runtime(services, self.app, poll_timeout=1, tick=3600)
        await self.runtime.start()

    async def stop(self) -> None:
        """Stop the bot as a process would stop: polling ends, the database closes."""
        if self.runtime is not None:
            await self.runtime.stop()
        if self.db is not None:
            self.db.close()
        self.app, self.db, self.runtime = None, None, None

    async def settle(self, timeout: float = 10.0) -> None:  # noqa: ASYNC109
        """Wait until everything queued in the outbox was delivered (or is waiting to retry)."""
        assert self.runtime is not None
        if not await self.runtime.sender.settle(timeout):
            raise AssertionError(
                f"the outbox did not drain within {timeout}s\n{self.api.describe()}"
            )

    async def send(self, update: dict[str, Any], *, timeout: float = 5.0) -> int:  # noqa: ASYNC109
        """Push an update, wait until the bot has handled it and sent what it queued."""
        assert self.app is not None
        update_id = await self.api.push_and_process(update, self.app, timeout=timeout)
        await self.settle(timeout)
        return update_id

    async def redeliver(self, update: dict[str, Any]) -> None:
        """Receive an already delivered update again (as a webhook retry would)."""
        assert self.runtime is not None and self.app is not None
        parsed = Update.de_json(update, self.app.bot)
        await self.runtime.intake.accept([(parsed, json.dumps(update))])
        await self.app.update_queue.join()
        await self.settle()

    async def jobs(self) -> None:
        """Run the periodic jobs now (reminders, the quiet-period closing...)."""
        assert self.runtime is not None
        await self.runtime.tickets()
        await self.runtime.reminders()
        await self.settle()

    def t(self, lang: str) -> Any:
        return self.engine.catalogs(lang)

    def sent_to(self, chat_id: int, method: str = "sendMessage") -> list[Any]:
        return [c for c in self.api.calls(method, ok=True) if c.params.get("chat_id") == chat_id]

    def staff_calls(self, method: str) -> list[Any]:
        return [
            c for c in self.api.calls(method, ok=True) if c.params.get("chat_id") == STAFF_CHAT.id
        ]


@pytest_asyncio.fixture
async def fake_telegram() -> AsyncIterator[FakeBotApi]:
    """The fake Bot API with the staff forum group; fails the test on any invalid call."""
    async with serve_fake_api() as api:
        api.add_supergroup(STAFF_CHAT.id, STAFF_CHAT.title or "Staff")
        # Joanna administers the staff group (announcements, reloads, examples).
        api.add_user(STAFF, private_chat=False)
        api.set_chat_member(STAFF_CHAT.id, STAFF.id, "administrator")
        yield api


@pytest_asyncio.fixture
async def harness(
    fake_telegram: FakeBotApi, database_url: str, engine: Engine
) -> AsyncIterator[BotHarness]:
    """The bot running against the fake Telegram with a fresh database (SQLite or PostgreSQL)."""
    bot = BotHarness(
        api=fake_telegram,
        database_url=database_url,
        engine=engine,
    )
    await bot.start()
    try:
        yield bot
    finally:
        await bot.stop()
    assert not bot.errors, f"handlers raised: {bot.errors!r}"


def add_subscribers(
    db: Database, api: FakeBotApi, count: int, theme: str = "grants", first_id: int = 900_000
) -> list[int]:
    """``count`` people subscribed to ``theme`` (bulk inserts), known to the fake Telegram too."""
    chat_ids = list(range(first_id, first_id + count))
    with db.session() as session:
        session.execute(
            insert(PersonRow),
            [
                {
                    "telegram_id": chat_id,
                    "first_name": f"Osoba {chat_id}",
                    "language": "pl",
                    "language_chosen": False,
                    "first_contact_at": NOW,
                    "last_seen_at": NOW,
                    "awaiting_question": False,
                }
                for chat_id in chat_ids
            ],
        )
        ids = session.exec(select(PersonRow.id).where(PersonRow.telegram_id >= first_id)).all()
        session.execute(
            insert(SubscriptionRow),
            [{"person_id": pid, "theme": theme, "created_at": NOW} for pid in ids],
        )
    for chat_id in chat_ids:
        api.add_user(TgUser(chat_id, f"Osoba {chat_id}", language_code="pl"))
    return chat_ids
