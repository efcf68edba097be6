"""The process harness: real bot processes, killed, stopped and restarted.

The processes load the minimal content tree (``content_dir`` fixture) to start in about two
seconds; what they answer does not matter here, only that they do.
"""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest
from fake_bot_api import FakeBotApi
from harness import ANNA, OLENA
from processes import WEBHOOK_PUBLIC_URL, WEBHOOK_SECRET, BotProcesses


def answers_to(api: FakeBotApi, chat_id: int, after: int = 0) -> list[object]:
    return [c for c in api.calls("sendMessage", ok=True, chat_id=chat_id) if c.index >= after]


async def test_a_polling_process_answers_again_after_kill_9(
    process_api: FakeBotApi, bot_processes: BotProcesses, content_dir: Path
) -> None:
    bot = bot_processes.polling(content_dir=content_dir)
    await bot.start()  # returns once the process polls
    process_api.add_user(ANNA)

    first = process_api.push_update(process_api.updates.text_message(ANNA, "kiedy jest kongres?"))
    await bot_processes.wait_until(lambda: answers_to(process_api, ANNA.id), 30, "an answer")
    await process_api.wait_update_confirmed(first, timeout=10)
    assert await bot.kill() == -signal.SIGKILL
    assert not bot.running

    await bot.start()  # the same database and log file
    mark = process_api.mark()
    process_api.push_update(process_api.updates.text_message(ANNA, "godziny otwarcia urzędu"))
    await bot_processes.wait_until(
        lambda: answers_to(process_api, ANNA.id, after=mark), 30, "an answer after the restart"
    )
    assert await bot.stop() == 0  # SIGTERM: a graceful stop
    assert bot.exit_codes == [-signal.SIGKILL, 0]
    assert bot.output().count("=== start #") == 2
    bot.assert_no_tracebacks()


async def test_a_webhook_replica_gets_updates_from_the_fake(
    process_api: FakeBotApi, bot_processes: BotProcesses, content_dir: Path
) -> None:
    replica = bot_processes.webhook(content_dir=content_dir)
    [target] = bot_processes.route_webhooks()
    await replica.start()  # returns once it called setWebhook and listens
    [hook] = process_api.calls("setWebhook", ok=True)
    assert hook.params["url"] == WEBHOOK_PUBLIC_URL
    assert process_api.webhook_secret == WEBHOOK_SECRET

    process_api.add_user(OLENA)
    update_id = process_api.push_update(process_api.updates.text_message(OLENA, "привіт"))
    await process_api.wait_webhook_delivered(update_id, target, timeout=10)
    await bot_processes.wait_until(lambda: answers_to(process_api, OLENA.id), 30, "an answer")
    assert process_api.webhook_received(target) == [update_id]
    assert await replica.stop() == 0
    replica.assert_no_tracebacks()


async def test_a_process_that_cannot_start_fails_with_its_output(
    process_api: FakeBotApi, bot_processes: BotProcesses
) -> None:
    bot = bot_processes.polling(env={"STAFF_CHAT_ID": "12345"})
    with pytest.raises(AssertionError, match=r"(?s)exit code 2.*STAFF_CHAT_ID: must be a group id"):
        await bot.start(timeout=30)
    assert bot.exit_codes == [2]


async def test_close_leaves_no_process_behind(
    process_api: FakeBotApi, bot_processes: BotProcesses
) -> None:
    bot = bot_processes.polling()
    await bot.start(wait_ready=False)
    pid = bot.pid
    await bot_processes.close()  # what the fixture does at teardown, even after a failure
    assert not bot.running
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
