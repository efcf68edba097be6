"""Telegram's limits on the bot's requests, without hidden retries.

About 30 messages a second overall and about 20 a minute in one group.
Overall, at most 30 requests start in any one second (a sliding window, as
Telegram counts them; a leaky bucket of capacity 30 lets 30 through at once
and 30 more within the same second, which drew 429s at a steady 27 a
second). A request that posts to a group (send*, copy*, forward*, a new topic) waits
for the group's limit first, so the staff group's queue never holds up
residents' answers; edits and other calls count towards the overall limit
only. A 429 (``RetryAfter``) pauses the chat it concerns (or everything,
for requests without a chat) for the time Telegram asks and is then raised
to the caller: the outbox decides when to try again, so nothing is retried
twice and nothing is lost.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Callable, Coroutine
from typing import Any

from aiolimiter import AsyncLimiter
from telegram._utils.types import JSONDict
from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter

from bot.telegram.errors import retry_seconds

logger = logging.getLogger(__name__)

#: Telegram's documented limits for bots.
OVERALL_PER_SECOND = 30
GROUP_PER_MINUTE = 20
#: Methods that post a message (a new topic posts its first service message).
POSTING = ("send", "copy", "forward", "createForumTopic")


class SlidingWindow:
    """At most ``limit`` requests start in any ``period`` seconds; first come, first served."""

    def __init__(self, limit: int, period: float) -> None:
        self.limit = limit
        self.period = period
        self._starts: deque[float] = deque()
        self._lock = asyncio.Lock()

    async def __aenter__(self) -> None:
        async with self._lock:
            loop = asyncio.get_running_loop()
            while len(self._starts) >= self.limit:
                wait = self._starts[0] + self.period - loop.time()
                if wait <= 0:
                    self._starts.popleft()
                else:
                    await asyncio.sleep(wait)
            self._starts.append(loop.time())

    async def __aexit__(self, *exc_info: object) -> None:
        return None


class TelegramLimits(BaseRateLimiter[int]):
    """Paces requests to Telegram's overall and per-group limits."""

    def __init__(
        self,
        overall_per_second: float = OVERALL_PER_SECOND,
        group_per_minute: float = GROUP_PER_MINUTE,
    ) -> None:
        self._overall = SlidingWindow(max(1, int(overall_per_second)), 1.0)
        self._group_rate = group_per_minute
        self._groups: dict[int | str, AsyncLimiter] = {}
        self._paused_until: dict[int | str | None, float] = {}

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to release."""

    def _group(self, chat_id: int | str) -> AsyncLimiter:
        limiter = self._groups.get(chat_id)
        if limiter is None:
            limiter = self._groups[chat_id] = AsyncLimiter(self._group_rate, 60)
        return limiter

    async def _wait_pause(self, chat_id: int | str | None) -> None:
        loop = asyncio.get_running_loop()
        for key in (None, chat_id):
            until = self._paused_until.get(key, 0.0)
            if until > loop.time():
                await asyncio.sleep(until - loop.time())

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | JSONDict | list[JSONDict]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> bool | JSONDict | list[JSONDict]:
        chat_id: int | str | None = data.get("chat_id")
        if isinstance(chat_id, str) and chat_id.lstrip("-").isdigit():
            chat_id = int(chat_id)
        is_group = (isinstance(chat_id, int) and chat_id < 0) or isinstance(chat_id, str)
        posts = endpoint.startswith(POSTING)
        await self._wait_pause(chat_id)
        try:
            if chat_id is None:
                return await callback(*args, **kwargs)
            if is_group and posts:
                async with self._group(chat_id), self._overall:
                    return await callback(*args, **kwargs)
            async with self._overall:
                return await callback(*args, **kwargs)
        except RetryAfter as exc:
            seconds = retry_seconds(exc)
            key = chat_id if chat_id is not None else None
            self._paused_until[key] = asyncio.get_running_loop().time() + seconds
            logger.warning(
                "Telegram asked to wait %.0f s (%s, chat %s)", seconds, endpoint, chat_id
            )
            raise
