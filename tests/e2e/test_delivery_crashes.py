"""A real bot process killed (SIGKILL) again and again while residents and staff write.

100 residents hand over a question each and staff answer each one in the
person's topic, while the process is killed a dozen times at random moments
and restarted. Every question must reach the staff group once and every
reply its person once, and the SQLite file must pass its integrity check.
"""

from __future__ import annotations

import asyncio
import random
import sqlite3
from pathlib import Path

from fake_bot_api import FakeBotApi, TgUser
from harness import STAFF, STAFF_CHAT
from processes import BotProcesses
from sqlmodel import select

from bot.storage.database import Database
from bot.storage.models import PersonRow

PEOPLE = [TgUser(8200 + i, f"Osoba{i}", language_code="pl") for i in range(100)]
KILLS = 12


def question(i: int) -> str:
    return f"Q-{i:03d} przed moim domem jest dziura w jezdni, kto ją załata?"


def reply(i: int) -> str:
    return f"R-{i:03d} Przekazaliśmy zgłoszenie do MZD."


async def test_killed_again_and_again_nothing_lost_nothing_twice(
    process_api: FakeBotApi, bot_processes: BotProcesses, content_dir: Path
) -> None:
    api = process_api
    api.add_user(STAFF, private_chat=False)
    for person in PEOPLE:
        api.add_user(person)
    # Telegram's 20 staff posts a minute would make the 300 posts of this test take
    # 15 minutes; the pace under that limit is measured in bench/delivery.py.
    env = {"LOG_LEVEL": "INFO", "STAFF_GROUP_POSTS_PER_MINUTE": "1200"}
    bot = bot_processes.polling(content_dir=content_dir, env=env)
    await bot.start()
    watcher = Database.connect(bot_processes.database_url, run_migrations=False)
    answered: set[int] = set()

    def topics() -> dict[int, int]:
        with watcher.session() as session:
            rows = session.exec(select(PersonRow.telegram_id, PersonRow.staff_thread_id)).all()
        return {person: thread for person, thread in rows if thread is not None}

    async def residents_and_staff() -> None:
        for i, person in enumerate(PEOPLE):
            api.push_update(api.updates.text_message(person, question(i)))
            await asyncio.sleep(0.02)
        while len(answered) < len(PEOPLE):
            known = topics()
            for i, person in enumerate(PEOPLE):
                if i not in answered and person.id in known:
                    api.push_update(
                        api.updates.topic_message(STAFF, STAFF_CHAT, known[person.id], reply(i))
                    )
                    answered.add(i)
                    await asyncio.sleep(0.02)
            await asyncio.sleep(0.1)

    async def killer() -> None:
        rng = random.Random(2026)
        for _ in range(KILLS):
            await asyncio.sleep(rng.uniform(0.3, 1.2))
            await bot.kill()
            await bot.start()

    markers = [f"Q-{i:03d}" for i in range(len(PEOPLE))]
    replies = {f"R-{i:03d}": person.id for i, person in enumerate(PEOPLE)}

    def delivered() -> bool:
        questions = api.marker_counts(markers, chat_id=STAFF_CHAT.id)
        return all(questions.values()) and all(
            api.count_messages_with(marker, chat_id=chat) for marker, chat in replies.items()
        )

    try:
        await asyncio.wait_for(asyncio.gather(residents_and_staff(), killer()), 300)
        try:
            await bot_processes.wait_until(delivered, 120, "every question and reply delivered")
        except AssertionError as timeout:
            questions = api.marker_counts(markers, chat_id=STAFF_CHAT.id)
            missing = [m for m, n in questions.items() if n == 0] + [
                m for m, chat in replies.items() if not api.count_messages_with(m, chat_id=chat)
            ]
            raise AssertionError(f"not delivered: {missing}") from timeout
        assert await bot.stop() == 0
    finally:
        watcher.close()

    assert bot.exit_codes.count(-9) == KILLS
    questions = api.marker_counts(markers, chat_id=STAFF_CHAT.id)
    answers = {m: api.count_messages_with(m, chat_id=chat) for m, chat in replies.items()}
    counts = {**questions, **answers}
    assert sorted(m for m, n in counts.items() if n == 0) == [], "lost"
    assert sorted(m for m, n in counts.items() if n > 1) == [], "sent twice"
    path = bot_processes.database_url.removeprefix("sqlite:///")
    with sqlite3.connect(path) as connection:
        assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)
