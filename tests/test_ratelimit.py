"""The limiter's overall window: never more than its limit of requests in any period."""

from __future__ import annotations

import asyncio

from bot.telegram.ratelimit import SlidingWindow


async def test_no_period_holds_more_starts_than_the_limit() -> None:
    window = SlidingWindow(5, 0.2)
    loop = asyncio.get_running_loop()
    starts: list[float] = []

    async def request() -> None:
        async with window:
            starts.append(loop.time())

    await asyncio.gather(*(request() for _ in range(17)))
    assert len(starts) == 17
    # A busy machine can only delay a start, never move it earlier: this holds under load.
    for i, start in enumerate(starts):
        within = [s for s in starts[i:] if s < start + 0.2 - 1e-6]
        assert len(within) <= 5, (i, within)
    # The first five go at once: the window does not space requests it has room for.
    assert starts[4] - starts[0] < 0.2
