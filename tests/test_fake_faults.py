"""Fault injection, webhook delivery and the counting helpers of the fake Bot API.

The PTB exception each fault mode produces is asserted here, because the bot's retry logic
relies on it (the table in ``tests/fake_bot_api/README.md``).
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from typing import Any

import pytest
from fake_bot_api import FakeBotApi, FaultMode, TgChat, TgUser
from fake_bot_api import fixtures as fake_bot_api_fixtures
from fake_bot_api.fixtures import serve_fake_api
from fake_bot_api.httpserver import HttpRequest, HttpResponse, HttpServer
from fake_bot_api.server import _fast_httpx_request
from telegram import Bot
from telegram.error import BadRequest, Conflict, Forbidden, NetworkError, RetryAfter, TimedOut
from telegram.ext import AIORateLimiter, ExtBot
from telegram.request import HTTPXRequest

# PTB warns about its own RetryAfter.retry_after each time it builds the exception.
pytestmark = pytest.mark.filterwarnings("ignore:.*attribute `retry_after`:DeprecationWarning")

fake_api = fake_bot_api_fixtures.fake_api
fake_bot = fake_bot_api_fixtures.fake_bot

USER = TgUser(1001, "Anna", language_code="pl")
OTHER = TgUser(1002, "Olena", language_code="uk")
STAFF = TgUser(2001, "Piotr", language_code="pl")
GROUP = TgChat.supergroup(-1001234567890, "Biuro Dialogu — zgłoszenia")
SECRET = "webhook-secret-for-tests-0123456789"


def quick_bot(api: FakeBotApi, read_timeout: float = 5.0) -> Bot:
    """A Bot whose HTTP client gives up after ``read_timeout`` seconds."""
    return api.make_bot(request=HTTPXRequest(read_timeout=read_timeout))


async def attempt(coroutine: Any) -> BaseException | None:
    try:
        await coroutine
    except Exception as error:
        return error
    return None


# =============================================================================================
# Each fault mode, and what PTB's HTTPXRequest makes of it
# =============================================================================================


async def test_http_500_is_a_network_error_and_changes_nothing(
    fake_api: FakeBotApi, fake_bot: Bot
) -> None:
    fake_api.add_user(USER)
    rule = fake_api.inject_faults("sendMessage", 1.0, "http_500")
    with pytest.raises(NetworkError, match=r"^Internal Server Error$") as caught:
        await fake_bot.send_message(USER.id, "Q-0001")
    assert type(caught.value) is NetworkError  # not TimedOut, not BadRequest
    [call] = fake_api.calls("sendMessage")
    assert (call.status, call.fault, call.ok) == (500, "http_500", False)
    assert call.response == {"ok": False, "error_code": 500, "description": "Internal Server Error"}
    assert fake_api.bot_messages(USER.id) == [] and fake_api.sent_messages == []
    assert rule.counts == {FaultMode.HTTP_500: 1}
    rule.stop()
    await fake_bot.send_message(USER.id, "Q-0001")
    assert fake_api.count_messages_with("Q-0001", chat_id=USER.id) == 1
    assert fake_api.violations == []


async def test_drop_closes_the_connection_and_changes_nothing(
    fake_api: FakeBotApi, fake_bot: Bot
) -> None:
    fake_api.add_user(USER)
    fake_api.inject_faults("sendMessage", 1.0, "drop", max_faults=2)
    for _ in range(2):  # the second one on a fresh connection of the pool
        with pytest.raises(NetworkError, match="RemoteProtocolError") as caught:
            await fake_bot.send_message(USER.id, "hej")
        assert type(caught.value) is NetworkError
    await fake_bot.send_message(USER.id, "hej")  # max_faults reached: through
    assert [c.fault for c in fake_api.calls("sendMessage")] == ["drop", "drop", None]
    assert [c.status for c in fake_api.calls("sendMessage")] == [444, 444, 200]
    assert len(fake_api.bot_messages(USER.id)) == 1


async def test_retry_after_is_a_429_with_the_chosen_seconds(
    fake_api: FakeBotApi, fake_bot: Bot
) -> None:
    fake_api.add_user(USER)
    fake_api.inject_faults("sendMessage", 1.0, "retry_after", retry_after=7)
    with pytest.raises(RetryAfter) as caught:
        await fake_bot.send_message(USER.id, "hej")
    assert caught.value.retry_after == 7
    assert str(caught.value) == "Flood control exceeded. Retry in 7 seconds"
    [call] = fake_api.calls("sendMessage")
    assert call.status == 429
    assert call.response == {
        "ok": False,
        "error_code": 429,
        "description": "Too Many Requests: retry after 7",
        "parameters": {"retry_after": 7},
    }
    assert fake_api.bot_messages(USER.id) == []


async def test_late_is_carried_out_but_the_client_times_out(fake_api: FakeBotApi) -> None:
    fake_api.add_user(USER)
    fake_api.inject_faults("sendMessage", 1.0, "late", late_delay=0.6)
    bot = quick_bot(fake_api, read_timeout=0.2)
    async with bot:
        started = time.monotonic()
        with pytest.raises(TimedOut):
            await bot.send_message(USER.id, "Q-0007")
        assert time.monotonic() - started < 0.55  # the client gave up before the answer
    [call] = fake_api.calls("sendMessage")
    assert (call.fault, call.ok, call.status) == ("late", True, 200)
    assert fake_api.calls("sendMessage", ok=True) == [call]  # it took effect
    assert fake_api.count_messages_with("Q-0007", chat_id=USER.id) == 1
    assert len(fake_api.sent_messages) == 1


async def test_a_client_that_retries_after_late_creates_a_duplicate(fake_api: FakeBotApi) -> None:
    """What an outbox must expect: the timeout hid a success, the retry sends again."""
    fake_api.add_user(USER)
    fake_api.inject_faults("sendMessage", 1.0, "late", late_delay=0.5, max_faults=1)
    bot = quick_bot(fake_api, read_timeout=0.1)
    async with bot:
        for _ in range(2):
            try:
                await bot.send_message(USER.id, "R-0042 odpowiedź")
                break
            except TimedOut:
                continue
    assert len(fake_api.calls("sendMessage")) == 2
    assert fake_api.count_messages_with("R-0042") == 2
    assert fake_api.marker_counts(["R-0042", "R-0043"]) == {"R-0042": 2, "R-0043": 0}


async def test_ptb_rate_limiter_retries_a_429_but_nothing_else(fake_api: FakeBotApi) -> None:
    fake_api.add_user(USER)
    bot = ExtBot(
        fake_api.token,
        base_url=fake_api.api_url,
        request=_fast_httpx_request(),
        rate_limiter=AIORateLimiter(max_retries=3),
    )
    async with bot:
        fake_api.inject_faults("sendMessage", 1.0, "retry_after", retry_after=1, max_faults=1)
        started = time.monotonic()
        await bot.send_message(USER.id, "limited")
        assert time.monotonic() - started >= 1.0  # it slept retry_after, then retried
        assert [c.fault for c in fake_api.calls("sendMessage", text="limited")] == [
            "retry_after",
            None,
        ]
        fake_api.inject_faults("sendMessage", 1.0, "http_500", max_faults=1)
        with pytest.raises(NetworkError):
            await bot.send_message(USER.id, "server error")
        assert len(fake_api.calls("sendMessage", text="server error")) == 1


# =============================================================================================
# Shares, seeds, method selection, outages
# =============================================================================================


async def send_many(api: FakeBotApi, count: int, seed: int) -> list[str | None]:
    api.add_user(USER)
    api.inject_faults(["sendMessage"], 0.3, {"http_500": 2, "retry_after": 1, "drop": 1}, seed=seed)
    bot = api.make_bot()
    async with bot:
        for number in range(count):
            await attempt(bot.send_message(USER.id, f"Q-{number:04}"))
    return [call.fault for call in api.calls("sendMessage")]


async def test_a_share_of_calls_fails_and_the_seed_reproduces_it() -> None:
    async with serve_fake_api() as first:
        faults = await send_many(first, 200, seed=11)
        counts = first.fault_counts()
        effective = first.calls("sendMessage", ok=True)
        marker_counts = first.marker_counts(f"Q-{n:04}" for n in range(200))
    async with serve_fake_api() as again:
        assert await send_many(again, 200, seed=11) == faults
    async with serve_fake_api() as other:
        assert await send_many(other, 200, seed=12) != faults

    failed = sum(f is not None for f in faults)
    assert 40 <= failed <= 80  # 30% of 200 = 60
    assert sum(counts.values()) == failed
    assert set(counts) == {"http_500", "retry_after", "drop"}
    assert counts["http_500"] > counts["drop"]  # weight 2 against 1
    assert len(effective) == 200 - failed
    assert sum(n == 0 for n in marker_counts.values()) == failed  # nothing else was lost
    assert max(marker_counts.values()) == 1


async def test_methods_all_and_exclude(fake_api: FakeBotApi, fake_bot: Bot) -> None:
    fake_api.add_user(USER)
    fake_api.add_supergroup(GROUP.id, GROUP.title or "")
    with fake_api.inject_faults("all", 1.0, "http_500", exclude=["sendChatAction"]) as rule:
        assert await attempt(fake_bot.send_message(USER.id, "a")) is not None
        assert await attempt(fake_bot.create_forum_topic(GROUP.id, "T")) is not None
        assert await attempt(fake_bot.send_chat_action(USER.id, "typing")) is None
        assert await fake_bot.get_updates(timeout=0) == ()  # never part of "all"
    assert rule.counts_by_method == {
        ("sendMessage", FaultMode.HTTP_500): 1,
        ("createForumTopic", FaultMode.HTTP_500): 1,
    }
    fake_api.inject_faults(["COPYMESSAGE"], 1.0, "http_500")  # names are case-insensitive
    sent = await fake_bot.send_message(USER.id, "b")
    assert await attempt(fake_bot.copy_message(USER.id, USER.id, sent.message_id)) is not None
    assert fake_api.fault_counts("copyMessage") == {"http_500": 1}
    assert fake_api.fault_counts() == {"http_500": 3}
    assert [c.method for c in fake_api.faulted_calls(mode="http_500")] == [
        "sendMessage",
        "createForumTopic",
        "copyMessage",
    ]
    assert len(fake_api.calls(faulted=False)) == len(fake_api.calls()) - 3


async def test_get_updates_fails_only_when_named(fake_api: FakeBotApi, fake_bot: Bot) -> None:
    fake_api.inject_faults("getUpdates", 1.0, "http_500", max_faults=1)
    with pytest.raises(NetworkError):
        await fake_bot.get_updates(timeout=0)
    assert await fake_bot.get_updates(timeout=0) == ()


async def test_an_outage_window_then_recovery(fake_api: FakeBotApi, fake_bot: Bot) -> None:
    fake_api.add_user(USER)
    outage = fake_api.outage(["sendMessage", "editMessageText"], "drop", duration=0.3)
    errors = [await attempt(fake_bot.send_message(USER.id, "x")) for _ in range(3)]
    assert all(isinstance(e, NetworkError) for e in errors)
    await asyncio.sleep(0.35)
    assert not outage.active
    await fake_bot.send_message(USER.id, "x")
    assert outage.counts == {FaultMode.DROP: 3}

    with fake_api.outage("sendMessage", "retry_after", retry_after=5):
        assert isinstance(await attempt(fake_bot.send_message(USER.id, "y")), RetryAfter)
    await fake_bot.send_message(USER.id, "y")  # the block ended, so did the outage
    fake_api.outage("sendMessage")
    fake_api.clear_faults()
    await fake_bot.send_message(USER.id, "z")
    assert len(fake_api.bot_messages(USER.id)) == 3


async def test_the_first_matching_rule_decides(fake_api: FakeBotApi, fake_bot: Bot) -> None:
    fake_api.add_user(USER)
    first = fake_api.inject_faults("sendMessage", 1.0, "retry_after", max_faults=1)
    second = fake_api.inject_faults("all", 1.0, "http_500", max_faults=1)
    assert isinstance(await attempt(fake_bot.send_message(USER.id, "a")), RetryAfter)
    assert isinstance(await attempt(fake_bot.send_message(USER.id, "b")), NetworkError)
    await fake_bot.send_message(USER.id, "c")
    assert (first.total, second.total) == (1, 1)


async def test_an_invalid_call_is_a_violation_not_a_fault(
    fake_api: FakeBotApi, fake_bot: Bot
) -> None:
    fake_api.add_user(USER)
    rule = fake_api.outage("sendMessage", "http_500")
    with fake_api.expect_violation("sendMessage", "text", "4096"), pytest.raises(BadRequest):
        await fake_bot.send_message(USER.id, "a" * 5000)
    assert rule.total == 0 and fake_api.faulted_calls() == []


def test_rules_check_their_arguments() -> None:
    api = FakeBotApi()
    with pytest.raises(ValueError, match="rate"):
        api.inject_faults("sendMessage", 1.5)
    with pytest.raises(ValueError, match="mode"):
        api.inject_faults("sendMessage", 0.5, "teapot")
    with pytest.raises(ValueError, match="methods"):
        api.inject_faults([], 0.5)
    with pytest.raises(ValueError, match="positive weight"):
        api.inject_faults("sendMessage", 0.5, {"drop": 0})


async def test_permanent_errors_in_ptb(fake_api: FakeBotApi, fake_bot: Bot) -> None:
    """A trap for retry logic: ``except NetworkError`` also catches a permanent 400."""
    with pytest.raises(BadRequest, match=r"^Chat not found$") as caught:
        await fake_bot.send_message(424242, "nobody")
    assert isinstance(caught.value, NetworkError)
    fake_api.add_user(USER)
    fake_api.block_user(USER.id)
    with pytest.raises(Forbidden) as blocked:
        await fake_bot.send_message(USER.id, "hej")
    assert not isinstance(blocked.value, NetworkError)
    assert str(blocked.value) == "Forbidden: bot was blocked by the user"


# =============================================================================================
# Webhook delivery
# =============================================================================================


class Receiver:
    """A tiny webhook endpoint: records deliveries, answers with ``status()``."""

    def __init__(
        self, status: Callable[[HttpRequest], int] = lambda _request: 200, delay: float = 0.0
    ) -> None:
        self.status = status
        self.delay = delay
        self.requests: list[HttpRequest] = []
        self.server = HttpServer(self._handle)
        self.port = 0
        self.in_flight = self.max_in_flight = 0

    async def _handle(self, request: HttpRequest) -> HttpResponse:
        self.requests.append(request)
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            await asyncio.sleep(self.delay)
        finally:
            self.in_flight -= 1
        return HttpResponse(self.status(request), b"", "text/plain")

    async def start(self) -> Receiver:
        self.port = await self.server.start()
        return self

    async def crash(self) -> None:
        await self.server.stop()

    async def restart(self) -> None:
        self.server = HttpServer(self._handle, port=self.port)
        await self.server.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/telegram"

    @property
    def update_ids(self) -> list[int]:
        return [json.loads(r.body)["update_id"] for r in self.requests]


async def webhook_fake(bot: Bot, **set_webhook: Any) -> None:
    await bot.set_webhook("https://bot.example.org/telegram", secret_token=SECRET, **set_webhook)


def push_texts(api: FakeBotApi, count: int, user: TgUser = USER) -> list[int]:
    return [api.push_update(api.updates.text_message(user, f"m{n}")) for n in range(count)]


async def test_updates_are_posted_with_the_secret_in_order(
    fake_api: FakeBotApi, fake_bot: Bot
) -> None:
    receiver = await Receiver().start()
    fake_api.set_webhook_targets([receiver.url])
    await webhook_fake(fake_bot)
    ids = push_texts(fake_api, 5)
    await fake_api.wait_update_confirmed(ids[-1])
    assert receiver.update_ids == ids
    first = receiver.requests[0]
    assert first.method == "POST" and first.path == "/telegram"
    assert first.headers["x-telegram-bot-api-secret-token"] == SECRET
    assert first.headers["content-type"] == "application/json"
    assert json.loads(first.body)["message"]["text"] == "m0"
    assert fake_api.webhook_received(receiver.url) == ids
    with pytest.raises(Conflict, match="webhook is active"):
        await fake_bot.get_updates(timeout=0)
    info = await fake_bot.get_webhook_info()
    assert info.pending_update_count == 0 and info.last_error_message is None
    await receiver.crash()


async def test_a_failing_target_gets_the_update_later(fake_api: FakeBotApi, fake_bot: Bot) -> None:
    answers = iter([500, 502, 200, 200])
    receiver = await Receiver(lambda _request: next(answers)).start()
    fake_api.set_webhook_targets([receiver.url], retry_initial=0.01, retry_max=0.02)
    await webhook_fake(fake_bot)
    [first, second] = push_texts(fake_api, 2)
    await fake_api.wait_webhook_delivered(second)
    assert receiver.update_ids == [first, first, first, second]
    attempts = fake_api.webhook_attempts(first)
    assert [(a.attempt, a.status, a.ok) for a in attempts] == [
        (1, 500, False),
        (2, 502, False),
        (3, 200, True),
    ]
    assert "500" in (attempts[0].error or "")
    await receiver.crash()


async def test_a_crashed_replica_gets_its_updates_after_the_restart(
    fake_api: FakeBotApi, fake_bot: Bot
) -> None:
    receiver = await Receiver().start()
    fake_api.set_webhook_targets([receiver.url], retry_initial=0.02, retry_max=0.05)
    await webhook_fake(fake_bot)
    [before] = push_texts(fake_api, 1)
    await fake_api.wait_webhook_delivered(before)
    await receiver.crash()
    during = push_texts(fake_api, 3)
    await fake_api.wait_until(
        lambda: len(fake_api.webhook_attempts(during[0])) >= 3, 5, "failed attempts"
    )
    failed = fake_api.webhook_attempts(during[0])
    assert all(a.status is None and a.error for a in failed)
    assert len(fake_api.webhook_attempts(during[1])) == 0  # in order: it waits its turn
    info = await fake_bot.get_webhook_info()
    assert info.pending_update_count == 3 and info.last_error_message
    await receiver.restart()
    await fake_api.wait_update_confirmed(during[-1])
    assert receiver.update_ids == [before, *during]
    await receiver.crash()


async def test_fan_out_delivers_every_update_to_every_target(
    fake_api: FakeBotApi, fake_bot: Bot
) -> None:
    one, two = await Receiver().start(), await Receiver().start()
    fake_api.set_webhook_targets([one.url, two.url], mode="all", retry_initial=0.02)
    await webhook_fake(fake_bot)
    await two.crash()  # one replica down holds back only its own queue
    ids = push_texts(fake_api, 4)
    await fake_api.wait_until(lambda: one.update_ids == ids, 5, "the first replica")
    assert fake_api.webhook_acknowledged == set()  # not complete before both have them
    assert len(fake_api.pending_updates) == 4
    await two.restart()
    await fake_api.wait_update_confirmed(ids[-1])
    assert two.update_ids == ids
    assert fake_api.pending_updates == []
    await one.crash()
    await two.crash()


async def test_round_robin_alternates_and_retries_on_the_other_target(
    fake_api: FakeBotApi, fake_bot: Bot
) -> None:
    one, two = await Receiver().start(), await Receiver().start()
    fake_api.set_webhook_targets([one.url, two.url], mode="round_robin", retry_initial=0.01)
    await webhook_fake(fake_bot)
    ids = push_texts(fake_api, 4)
    await fake_api.wait_update_confirmed(ids[-1])
    assert one.update_ids == ids[0::2] and two.update_ids == ids[1::2]

    await one.crash()
    more = push_texts(fake_api, 3)
    await fake_api.wait_update_confirmed(more[-1])
    assert two.update_ids == [*ids[1::2], *more]  # each update exactly once overall
    assert any(not a.ok for a in fake_api.webhook_attempts())
    await two.crash()


async def random_choices(seed: int, *, concurrency: int = 1, count: int = 30) -> list[int]:
    """Deliver ``count`` updates at random over three receivers; the receiver of each one."""
    async with serve_fake_api() as api:
        receivers = [await Receiver().start() for _ in range(3)]
        urls = [r.url for r in receivers]
        api.set_webhook_targets(urls, mode="random", seed=seed, concurrency=concurrency)
        bot = api.make_bot()
        async with bot:
            await webhook_fake(bot)
            ids = push_texts(api, count)
            await api.wait_until(lambda: api.webhook_acknowledged >= set(ids), 5, "deliveries")
        for receiver in receivers:
            await receiver.crash()
        # Each update exactly once overall, and nothing failed.
        assert sorted(i for r in receivers for i in r.update_ids) == ids
        assert all(a.ok for a in api.webhook_attempts())
        by_update = {a.update_id: urls.index(a.target) for a in api.webhook_attempts()}
        return [by_update[i] for i in ids]


async def test_random_balancing_is_seeded() -> None:
    chosen = await random_choices(5)
    assert set(chosen) == {0, 1, 2}
    assert await random_choices(5) == chosen
    assert await random_choices(6) != chosen


async def test_a_balancer_keeps_up_to_concurrency_updates_in_flight(
    fake_api: FakeBotApi, fake_bot: Bot
) -> None:
    slow = await Receiver(delay=0.1).start()
    fake_api.set_webhook_targets([slow.url], mode="round_robin", concurrency=4)
    await webhook_fake(fake_bot)
    ids = push_texts(fake_api, 8)
    await fake_api.wait_until(lambda: fake_api.webhook_acknowledged >= set(ids), 5, "deliveries")
    assert slow.max_in_flight == 4
    assert sorted(slow.update_ids) == ids
    await slow.crash()


async def test_no_delivery_without_a_webhook_and_polling_again_after_delete(
    fake_api: FakeBotApi, fake_bot: Bot
) -> None:
    receiver = await Receiver().start()
    fake_api.set_webhook_targets([receiver.url])
    [early] = push_texts(fake_api, 1)
    await asyncio.sleep(0.1)
    assert receiver.requests == []  # targets alone deliver nothing: the bot sets the webhook
    await webhook_fake(fake_bot, allowed_updates=["message"])
    click = fake_api.push_update(
        fake_api.updates.callback_query(
            USER, fake_api.updates.text_message(USER, "x")["message"], "a"
        )
    )
    [late] = push_texts(fake_api, 1)
    await fake_api.wait_update_confirmed(late)
    assert receiver.update_ids == [early, late]  # the callback query was not allowed
    assert click in [u["update_id"] for u in fake_api.dropped_updates]

    await fake_bot.delete_webhook()
    [polled] = push_texts(fake_api, 1)
    await asyncio.sleep(0.1)
    assert receiver.update_ids == [early, late]
    updates = await fake_bot.get_updates(timeout=0)
    assert [u.update_id for u in updates] == [polled]
    await receiver.crash()


async def test_without_targets_the_webhook_url_itself_is_the_target(
    fake_api: FakeBotApi, fake_bot: Bot
) -> None:
    url = "https://127.0.0.1:9/telegram"  # nothing listens there (discard port)
    await fake_bot.set_webhook(url)
    [update_id] = push_texts(fake_api, 1)
    await fake_api.wait_until(lambda: fake_api.webhook_attempts(update_id), 5, "an attempt")
    assert fake_api.webhook_attempts(update_id)[0].target == url
    await fake_bot.delete_webhook(drop_pending_updates=True)


# =============================================================================================
# Counting helpers
# =============================================================================================


async def test_marker_counts_and_thread_messages(fake_api: FakeBotApi, fake_bot: Bot) -> None:
    fake_api.add_user(USER)
    fake_api.add_supergroup(GROUP.id, GROUP.title or "")
    topic = await fake_bot.create_forum_topic(GROUP.id, "Anna · Q-0042")
    thread = topic.message_thread_id
    other = await fake_bot.create_forum_topic(GROUP.id, "Olena")
    await fake_bot.send_message(GROUP.id, "Pytanie Q-0042: kiedy?", message_thread_id=thread)
    await fake_bot.send_message(GROUP.id, "Q-0042 Q-0042 powtórzone", message_thread_id=thread)
    await fake_bot.send_message(GROUP.id, "Q-00421 i Q-004 to inne znaczniki")
    await fake_bot.send_message(GROUP.id, "Q-0043", message_thread_id=other.message_thread_id)
    staff_reply = fake_api.updates.topic_message(STAFF, GROUP, thread, "Odpowiedź na Q-0042")
    fake_api.push_update(staff_reply)
    to_delete = await fake_bot.send_message(USER.id, "Q-0042 wysłane")
    await fake_bot.delete_message(USER.id, to_delete.message_id)
    edited = await fake_bot.send_message(USER.id, "jeszcze bez znacznika")
    await fake_bot.edit_message_text("teraz z Q-0044", USER.id, edited.message_id)

    assert fake_api.count_messages_with("Q-0042", chat_id=GROUP.id) == 2  # the bot's, once each
    assert fake_api.count_messages_with("Q-0042", chat_id=GROUP.id, from_bot=False) == 1
    assert fake_api.count_messages_with("Q-0042", chat_id=GROUP.id, from_bot=None) == 3
    assert fake_api.count_messages_with("Q-0042", thread_id=thread) == 2
    assert fake_api.count_messages_with("Q-0042", chat_id=USER.id) == 0  # deleted
    assert fake_api.count_messages_with("Q-004") == 1  # whole tokens only
    counts = fake_api.marker_counts(["Q-0042", "Q-0043", "Q-0044", "Q-0045", "Q-00421"])
    assert counts == {"Q-0042": 2, "Q-0043": 1, "Q-0044": 1, "Q-0045": 0, "Q-00421": 1}

    in_thread = fake_api.thread_messages(GROUP.id, thread)
    assert [m.get("text") for m in in_thread] == [
        "Pytanie Q-0042: kiedy?",
        "Q-0042 Q-0042 powtórzone",
        "Odpowiedź na Q-0042",
    ]
    with_service = fake_api.thread_messages(GROUP.id, thread, include_service=True)
    assert "forum_topic_created" in with_service[0] and with_service[1:] == in_thread
    assert [m["message_id"] for m in in_thread] == sorted(m["message_id"] for m in in_thread)
