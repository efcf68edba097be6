"""Announcements at scale: rate limit, a crash halfway, exactly one copy per person."""

from __future__ import annotations

import asyncio
import signal
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

from fake_bot_api import FakeBotApi
from fake_bot_api.fixtures import serve_fake_api
from harness import STAFF_CHAT, BotHarness, add_subscribers
from processes import BotProcesses
from sqlmodel import Session, select

from bot.core.broadcasting import BroadcastKind, BroadcastState, DeliveryState
from bot.services import Engine
from bot.storage.broadcasts import SqlBroadcastStore
from bot.storage.database import Database
from bot.storage.models import DeliveryRow

TEXT = "Nowy konkurs ofert: termin 31 stycznia"
NOW = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)


def announce(db: Database) -> int:
    """A confirmed staff announcement to grants subscribers, recipients frozen."""

    def make(session: Session) -> int:
        store = SqlBroadcastStore(session)
        broadcast, _ = store.create_broadcast(
            kind=BroadcastKind.ANNOUNCEMENT,
            now=NOW,
            theme="grants",
            text_html=TEXT,
            state=BroadcastState.READY,
            created_by="Joanna",
        )
        store.start_sending(broadcast.id, NOW)
        return broadcast.id

    return db.call(make)


def sent_count(api: FakeBotApi) -> int:
    """Messages the fake has accepted so far (cheap enough to poll)."""
    return len(api.sent_messages)


def copies(api: FakeBotApi) -> Counter[int]:
    """How many copies of the announcement each chat received."""
    return Counter(
        c.params["chat_id"]
        for c in api.calls("sendMessage", ok=True)
        if c.params["text"].startswith(TEXT)
    )


async def test_ten_thousand_subscribers_crash_halfway_exactly_once(
    fake_telegram: FakeBotApi, database_url: str, engine: Engine
) -> None:
    rate = 1000.0  # a test setting; production stays under Telegram's ~30/s
    bot = BotHarness(
        api=fake_telegram,
        database_url=database_url,
        engine=engine,
        broadcast_rate=rate,
        # Without Telegram's 30/s ceiling, so that 10,000 messages take seconds;
        # the production pace is tested below with the limiter on.
        rate_limiter=False,
    )
    await bot.start()
    assert bot.db is not None and bot.app is not None
    chats = add_subscribers(bot.db, fake_telegram, 10_000)
    broadcast_id = announce(bot.db)
    assert bot.runtime is not None
    bot.runtime.broadcaster.enqueue(broadcast_id)

    await fake_telegram.wait_until(lambda: sent_count(fake_telegram) >= 5_000, 120, "half sent")
    # The process stops (as on SIGTERM): the delivery in progress finishes, the rest waits.
    await bot.stop()
    halfway = len(copies(fake_telegram))
    assert 4_900 <= halfway < 10_000

    await bot.start()  # a new process resumes the broadcast from the database
    assert bot.runtime is not None
    resumed = bot.runtime.broadcaster
    await asyncio.wait_for(resumed.idle.wait(), 180)
    received = copies(fake_telegram)
    assert set(received) == set(chats)
    assert max(received.values()) == 1, "somebody received the announcement twice"
    with bot.db.session() as session:  # type: ignore[union-attr]
        states = Counter(
            session.exec(select(DeliveryRow.state).where(DeliveryRow.broadcast_id == broadcast_id))
        )
    # A graceful stop lets the delivery in flight finish: nothing is left uncertain.
    assert states[DeliveryState.SENT] == 10_000
    # The sender's pace never exceeded its rate (one-second windows).
    assert fake_telegram.max_messages_in_window(1.0) <= rate + 1
    await bot.stop()


async def test_production_rate_stays_under_telegram_limits(
    database_url: str, engine: Engine
) -> None:
    from fake_bot_api import RateLimits

    async with serve_fake_api(rate_limits=RateLimits(per_second=30)) as api:
        api.add_supergroup(STAFF_CHAT.id, "Biuro")
        bot = BotHarness(api=api, database_url=database_url, engine=engine)
        await bot.start()
        assert bot.db is not None and bot.app is not None
        add_subscribers(bot.db, api, 120)
        broadcast_id = announce(bot.db)
        assert bot.runtime is not None
        broadcaster = bot.runtime.broadcaster
        started = time.monotonic()
        broadcaster.enqueue(broadcast_id)
        await asyncio.wait_for(broadcaster.idle.wait(), 60)
        elapsed = time.monotonic() - started
        await bot.stop()
        assert sum(copies(api).values()) == 120
        assert api.calls("sendMessage", ok=False) == []  # no 429 from Telegram
        # Starts are spaced 40 ms apart (25/s); with up to 4 requests in flight
        # arrivals jitter by a few ms, so a one-second window may hold a couple
        # more, still well under Telegram's 30.
        assert api.max_messages_in_window(1.0) <= 28
        assert elapsed >= 120 / 25 - 1  # paced, not a burst


async def test_a_killed_process_resumes_the_announcement(
    process_api: FakeBotApi, bot_processes: BotProcesses, content_dir: Path, database_url: str
) -> None:
    """A real `torun-bot run` process is killed (SIGKILL) mid-announcement and restarted."""
    api = process_api
    db = Database.connect(database_url)
    chats = add_subscribers(db, api, 90)
    broadcast_id = announce(db)
    db.close()
    # The announcement does not depend on the content: the minimal tree starts faster.
    bot = bot_processes.polling(
        content_dir=content_dir, database_url=database_url, env={"BROADCAST_RATE": "30"}
    )
    watcher = Database.connect(database_url, run_migrations=False)

    def settled() -> bool:
        # Between two deliveries: the last one sent is recorded, none in flight.
        with watcher.session() as s:
            states = Counter(
                s.exec(select(DeliveryRow.state).where(DeliveryRow.broadcast_id == broadcast_id))
            )
        return states[DeliveryState.SENT] >= 40 and states[DeliveryState.SENDING] == 0

    try:
        await bot.start()
        await bot_processes.wait_until(lambda: sent_count(api) >= 40, 120, "40 copies")
        await bot_processes.wait_until(settled, 30, "a moment between two deliveries")
        assert await bot.kill() == -signal.SIGKILL
        sent_before = len(copies(api))
        assert sent_before < 90

        await bot.start()
        await bot_processes.wait_until(lambda: sent_count(api) >= 90, 120, "all copies")
        assert await bot.stop() == 0
        bot.assert_no_tracebacks()
    finally:
        watcher.close()
    received = copies(api)
    assert set(received) == set(chats)
    assert max(received.values()) == 1


async def test_progress_is_one_message_edited_in_place(
    fake_telegram: FakeBotApi, database_url: str, engine: Engine, monkeypatch
) -> None:
    """An announcement started without a progress message gets one, then edits it."""
    from bot.core import broadcasting as broadcast_module

    monkeypatch.setattr(broadcast_module, "PROGRESS_EVERY", 0.05)
    bot = BotHarness(
        api=fake_telegram,
        database_url=database_url,
        engine=engine,
        broadcast_rate=400.0,
        rate_limiter=False,
    )
    await bot.start()
    assert bot.db is not None and bot.app is not None
    add_subscribers(bot.db, fake_telegram, 150)
    broadcast_id = announce(bot.db)  # no progress message id, as after a resume
    assert bot.runtime is not None
    broadcaster = bot.runtime.broadcaster
    broadcaster.enqueue(broadcast_id)
    await asyncio.wait_for(broadcaster.idle.wait(), 60)
    to_staff = [
        c
        for c in fake_telegram.calls("sendMessage", ok=True)
        if c.params["chat_id"] == STAFF_CHAT.id
    ]
    edits = fake_telegram.calls("editMessageText", ok=True)
    assert len(edits) >= 2, "progress was reported several times"
    # One progress message, edited in place, and one final report.
    assert len(to_staff) == 2
    assert {e.params["message_id"] for e in edits} == {to_staff[0].result["message_id"]}
    await bot.stop()
