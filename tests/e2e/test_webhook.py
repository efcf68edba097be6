"""Webhook mode: requests without the secret token are rejected; valid ones are served."""

from __future__ import annotations

import json
import socket

import httpx
from fake_bot_api import FakeBotApi
from fake_bot_api.server import _fast_httpx_request
from harness import ANNA, NOW, STAFF_CHAT

from bot.config import Secret, Settings
from bot.services import Engine
from bot.storage.database import Database
from bot.telegram.app import build_application
from bot.telegram.runtime import Runtime, Webhook
from bot.wiring import build_services

SECRET = "webhook-secret-for-tests-0123456789"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_webhook_rejects_requests_without_the_secret(
    fake_telegram: FakeBotApi, database_url: str, engine: Engine
) -> None:
    settings = Settings(
        token=Secret(fake_telegram.token),
        staff_chat_id=STAFF_CHAT.id,
        database_url=database_url,
        api_url=fake_telegram.api_url,
        file_url=fake_telegram.file_url,
        webhook_url="https://bot.test/telegram",
        webhook_secret=Secret(SECRET),
    )
    db = Database.connect(settings.database_url)
    port = free_port()
    runtime = Runtime(
        build_services(settings, engine, db, clock=lambda: NOW),
        build_application(settings, request=_fast_httpx_request()),
        webhook=Webhook(
            url="https://bot.test/telegram", secret=SECRET, listen="127.0.0.1", port=port
        ),
        tick=3600,
    )
    update = fake_telegram.updates.text_message(ANNA, "kiedy jest kongres?")
    fake_telegram.add_user(ANNA)
    url = f"http://127.0.0.1:{port}/telegram"
    try:
        await runtime.start()
        async with httpx.AsyncClient(timeout=5) as client:
            body = json.dumps(update)
            headers = {"Content-Type": "application/json"}
            missing = await client.post(url, content=body, headers=headers)
            wrong = await client.post(
                url,
                content=body,
                headers={**headers, "X-Telegram-Bot-Api-Secret-Token": "not-the-secret-1234"},
            )
            assert missing.status_code == 403
            assert wrong.status_code == 403
            assert fake_telegram.calls("sendMessage") == []
            good_headers = {**headers, "X-Telegram-Bot-Api-Secret-Token": SECRET}
            broken = await client.post(url, content="{not json", headers=good_headers)
            assert broken.status_code == 400

            good = await client.post(url, content=body, headers=good_headers)
            assert good.status_code == 200
            answer = await fake_telegram.wait_for_call("sendMessage", timeout=5)
            assert answer.params["chat_id"] == ANNA.id
            # Telegram delivering the same update again (a retry) changes nothing.
            again = await client.post(url, content=body, headers=good_headers)
            assert again.status_code == 200
            await runtime.application.update_queue.join()
            await runtime.sender.settle()
            assert len(fake_telegram.calls("sendMessage", ok=True)) == 1
        [hook] = fake_telegram.calls("setWebhook", ok=True)
        assert hook.params["secret_token"] == SECRET
        assert hook.params["url"] == "https://bot.test/telegram"
    finally:
        await runtime.stop()
        db.close()
