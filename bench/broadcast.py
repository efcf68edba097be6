"""Announcements to many subscribers: pace, throughput ceiling and resumption.

Drives the real bot ``Application`` (``build_application``, its HTTP client,
the rate limiter of ``bot/telegram/ratelimit.py``) and the ``Runtime`` of
``bot/telegram/runtime.py`` with its ``Broadcaster`` (``bot/core/broadcasting.py``)
against the fake Bot API of the tests
(``tests/fake_bot_api``) on 127.0.0.1, through the end-to-end harness of
``tests/e2e/harness.py``, exactly as ``tests/e2e/test_broadcast.py`` does.
Subscribers are written to a throwaway SQLite database; the announcement is
started the way the staff's "send" button does it (``Broadcasting.confirm``
freezes the recipients, then the broadcast is queued; the broadcaster posts
and edits the progress message itself). Nothing leaves the machine.

Four runs, each with its own fake server and database:

* **production**: the production settings, the rate limiter on and the
  default ``broadcast_rate`` of :class:`bot.config.Settings`, the fake
  answering 429 above 30 messages/s as Telegram does: achieved rate, the
  largest number of messages in any one-second window, whether a limit was
  exceeded.
* **production with latency**: the same, with every ``sendMessage`` answered
  after a simulated network round trip, as from the real Telegram.
* **ceiling**: limiter off and a sender rate that never binds: the
  throughput of the sending pipeline itself (database bookkeeping, HTTP,
  the fake), the time to freeze the recipients, exactly one copy each; then
  the same PTB ``send_message`` calls without the broadcaster, for scale.
* **resume**: the bot is stopped halfway and started again on the same
  database; time to finish, duplicates and messages lost.

The figures are measured and reported, never asserted: the fake server runs
in the same process and event loop as the bot, so the ceiling is that of bot
and fake together on this machine, not of Telegram.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import logging
import tempfile
import time
from collections import Counter
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, fields
from importlib import metadata
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

import numpy as np
from sqlmodel import Session

from bench.harness import run_module, table
from bot.config import Settings
from bot.core.broadcasting import BroadcastKind, BroadcastState
from bot.services import PROJECT_ROOT, Engine, build_engine
from bot.storage.broadcasts import SqlBroadcastStore
from bot.storage.database import Database

if TYPE_CHECKING:
    from fake_bot_api import FakeBotApi
    from harness import BotHarness

NAME = "broadcast"
TESTS_DIR = PROJECT_ROOT / "tests"
TEXT = "Nowy konkurs ofert: termin 31 stycznia"
THEME = "grants"
FIRST_CHAT_ID = 900_000
#: Telegram's documented ceiling for a bot, messages per second overall.
TELEGRAM_PER_SECOND = 30
#: A sender rate that never binds: the pipeline's own speed is measured.
UNBOUND_RATE = 100_000.0
#: Simulated round trip of one sendMessage to Telegram (seconds).
LATENCY = 0.1


@dataclass(frozen=True)
class Sizes:
    """Subscribers per run."""

    production: int
    latency: int
    ceiling: int
    direct: int
    resume: int


FULL = Sizes(production=1_000, latency=150, ceiling=10_000, direct=2_000, resume=2_000)
QUICK = Sizes(production=250, latency=60, ceiling=2_000, direct=500, resume=1_000)


def default_broadcast_rate() -> float:
    """The production pace: the default of ``Settings.broadcast_rate``."""
    rate = next(f.default for f in fields(Settings) if f.name == "broadcast_rate")
    assert isinstance(rate, float)
    return rate


def package_versions() -> dict[str, str | None]:
    """Versions of what the sending path runs on (the matcher's are in the environment)."""
    versions: dict[str, str | None] = {}
    for package in ("python-telegram-bot", "aiolimiter", "httpx", "SQLAlchemy", "sqlmodel"):
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = None
    return versions


def support_modules() -> tuple[ModuleType, ModuleType]:
    """The tests' fake Bot API and end-to-end harness (``tests/e2e/harness.py``)."""
    from bench.botproc import tests_support

    return tests_support("harness")


# ---------------------------------------------------------------- set-up
def add_subscribers(db: Database, api: FakeBotApi, count: int) -> list[int]:
    """``count`` people subscribed to the theme, known to the fake Telegram too."""
    _fake, harness = support_modules()
    chats: list[int] = harness.add_subscribers(db, api, count, THEME, FIRST_CHAT_ID)
    return chats


@dataclass(frozen=True)
class Started:
    """An announcement queued for sending."""

    broadcast_id: int
    recipients: int
    #: Broadcasting.confirm on the database thread (the recipients are frozen)
    freeze_seconds: float
    #: from the staff's "send" to the broadcast in the sender's queue
    confirm_seconds: float
    #: time.monotonic() at the moment of enqueue (the fake stamps with it too)
    enqueued_at: float


async def confirm_announcement(bot: BotHarness) -> Started:
    """What the staff's "send" button does: freeze the recipients, queue the broadcast.

    ``Broadcasting.confirm`` is the use case the button calls; the progress
    message in the staff group is posted by the broadcaster itself.
    """
    _, harness = support_modules()
    db, runtime = bot.db, bot.runtime
    assert db is not None and runtime is not None
    svc = runtime.services

    def draft(session: Session) -> int:
        broadcast, _ = SqlBroadcastStore(session).create_broadcast(
            kind=BroadcastKind.ANNOUNCEMENT,
            now=harness.NOW,
            theme=THEME,
            text_html=TEXT,
            state=BroadcastState.READY,
            created_by="bench",
        )
        return broadcast.id

    broadcast_id = await db.run(draft)
    clicked = time.perf_counter()
    started = await svc.units.run(
        lambda unit: svc.broadcasting.confirm(unit, broadcast_id, harness.NOW)
    )
    frozen = time.perf_counter()
    assert started is not None, "the announcement was not ready"
    _, total = started
    runtime.broadcaster.enqueue(broadcast_id)
    return Started(
        broadcast_id=broadcast_id,
        recipients=total,
        freeze_seconds=frozen - clicked,
        confirm_seconds=time.perf_counter() - clicked,
        enqueued_at=time.monotonic(),
    )


def add_latency(api: FakeBotApi, seconds: float) -> None:
    """Answer every sendMessage after ``seconds``, like a far-away server.

    Replaces the fake's handler in this instance only; the rate check and the
    validation still run when the request arrives.
    """
    original = api._handlers["sendMessage"]

    async def delayed(params: dict[str, Any]) -> Any:
        await asyncio.sleep(seconds)
        return original(params)

    api._handlers["sendMessage"] = delayed


@contextlib.asynccontextmanager
async def fake_telegram(rate_limits: Any = None) -> AsyncIterator[FakeBotApi]:
    """A fake Bot API on 127.0.0.1 with the staff group; stopped afterwards."""
    fake, harness = support_modules()
    api = fake.FakeBotApi(rate_limits=rate_limits)
    await api.start()
    try:
        api.add_supergroup(harness.STAFF_CHAT.id, harness.STAFF_CHAT.title or "Staff")
        yield api
    finally:
        await api.stop()


@contextlib.asynccontextmanager
async def running_bot(
    api: FakeBotApi, engine: Engine, database_url: str, *, rate: float, rate_limiter: bool
) -> AsyncIterator[BotHarness]:
    """The bot running against ``api``; stopped afterwards whatever happens."""
    _, harness = support_modules()
    bot = harness.BotHarness(
        api=api,
        database_url=database_url,
        engine=engine,
        broadcast_rate=rate,
        rate_limiter=rate_limiter,
    )
    await bot.start()
    try:
        yield bot
    finally:
        if bot.app is not None:
            await bot.stop()


async def wait_idle(bot: BotHarness, timeout: float) -> float:  # noqa: ASYNC109
    """Wait until the broadcaster has nothing left to send; return time.monotonic()."""
    assert bot.runtime is not None
    await asyncio.wait_for(bot.runtime.broadcaster.idle.wait(), timeout)
    return time.monotonic()


# ---------------------------------------------------------------- figures
def subscriber_stamps(api: FakeBotApi, after: float = 0.0) -> list[float]:
    """When the fake accepted each message to a subscriber (time.monotonic)."""
    return [
        r.timestamp
        for r in api.sent_messages
        if r.chat_id >= FIRST_CHAT_ID and r.timestamp >= after
    ]


def copies(api: FakeBotApi) -> Counter[int]:
    """How many copies of the announcement each chat received."""
    return Counter(
        c.params["chat_id"]
        for c in api.calls("sendMessage", ok=True)
        if str(c.params.get("text", "")).startswith(TEXT)
    )


def max_in_window(stamps: Sequence[float], window: float = 1.0) -> int:
    """Largest number of stamps within any ``window`` seconds (the fake's own count)."""
    support_modules()
    count: int = importlib.import_module("fake_bot_api.server").max_in_window(stamps, window)
    return count


def rate_of(stamps: Sequence[float]) -> float:
    """Messages per second between the first and the last stamp."""
    if len(stamps) < 2 or stamps[-1] <= stamps[0]:
        return 0.0
    return (len(stamps) - 1) / (stamps[-1] - stamps[0])


def gaps_ms(stamps: Sequence[float]) -> dict[str, float]:
    """Distribution of the time between consecutive messages."""
    if len(stamps) < 2:
        return {}
    gaps = np.diff(np.asarray(stamps)) * 1000
    p50, p90, p99 = np.percentile(gaps, [50, 90, 99])
    return {
        "median_ms": round(float(p50), 2),
        "p90_ms": round(float(p90), 2),
        "p99_ms": round(float(p99), 2),
        "min_ms": round(float(gaps.min()), 2),
        "max_ms": round(float(gaps.max()), 2),
    }


def tenths(stamps: Sequence[float]) -> list[Sequence[float]]:
    """The stamps cut into ten equal runs of messages."""
    size = len(stamps) // 10
    if size < 2:
        return []
    return [stamps[k * size : (k + 1) * size] for k in range(10)]


class CpuSampler:
    """Samples the process CPU time while a run goes on.

    On a shared machine a run slows down when another process takes the CPU;
    the CPU share per stretch of the run tells that apart from a pipeline that
    gets slower as it goes.
    """

    def __init__(self, every: float = 0.25) -> None:
        self.every = every
        self.walls: list[float] = []
        self.cpus: list[float] = []
        self._task: asyncio.Task[None] | None = None

    def _sample(self) -> None:
        self.walls.append(time.monotonic())
        self.cpus.append(time.process_time())

    async def _loop(self) -> None:
        while True:
            self._sample()
            await asyncio.sleep(self.every)

    async def __aenter__(self) -> CpuSampler:
        self._task = asyncio.get_running_loop().create_task(self._loop())
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        self._sample()

    def share(self, start: float, end: float) -> float:
        """Process CPU seconds per wall second between two time.monotonic() moments."""
        if end <= start or len(self.walls) < 2:
            return 0.0
        cpu = np.interp([start, end], self.walls, self.cpus)
        return float(cpu[1] - cpu[0]) / (end - start)

    def by_tenth(self, stamps: Sequence[float]) -> list[float]:
        """CPU share over each tenth of the messages."""
        return [round(self.share(part[0], part[-1]), 3) for part in tenths(stamps)]


def delivery_states(database_url: str, broadcast_id: int) -> dict[str, int]:
    """Deliveries per state, read with a connection of our own."""
    db = Database.connect(database_url, run_migrations=False)
    try:
        return dict(db.call(lambda s: SqlBroadcastStore(s).delivery_counts(broadcast_id)))
    finally:
        db.close()


def exactly_once(api: FakeBotApi, chats: Sequence[int]) -> dict[str, Any]:
    """Who got the announcement, and how many times."""
    received = copies(api)
    return {
        "recipients": len(chats),
        "received": len(received),
        "missing": len(set(chats) - set(received)),
        "duplicates": sum(n - 1 for n in received.values() if n > 1),
        "exactly_one_copy_each": set(received) == set(chats)
        and max(received.values(), default=0) == 1,
    }


def api_health(api: FakeBotApi, bot: BotHarness) -> dict[str, Any]:
    """Refused calls by status, Bot API violations and handler errors."""
    refused = Counter(c.status for c in api.calls(ok=False))
    return {
        "refused_calls_by_status": {str(k): v for k, v in sorted(refused.items())},
        "too_many_requests_429": refused.get(429, 0),
        "bot_api_violations": len(api.violations),
        "violation_examples": [str(v) for v in api.violations[:3]],
        "handler_errors": len(bot.errors),
    }


def staff_messages(api: FakeBotApi) -> dict[str, int]:
    """Progress reporting in the staff group."""
    _, harness = support_modules()
    staff = harness.STAFF_CHAT.id
    return {
        "sendMessage": len(api.calls("sendMessage", ok=True, chat_id=staff)),
        "editMessageText": len(api.calls("editMessageText", ok=True, chat_id=staff)),
    }


# ---------------------------------------------------------------- runs
async def paced_run(
    engine: Engine, workdir: Path, count: int, *, latency: float = 0.0
) -> dict[str, Any]:
    """Production settings: the rate limiter on, the default rate, Telegram's 30/s enforced."""
    fake, _ = support_modules()
    rate = default_broadcast_rate()
    url = f"sqlite:///{workdir / f'paced-{count}-{latency}.sqlite3'}"
    async with fake_telegram(fake.RateLimits(per_second=TELEGRAM_PER_SECOND)) as api:
        if latency:
            add_latency(api, latency)
        async with running_bot(api, engine, url, rate=rate, rate_limiter=True) as bot:
            assert bot.db is not None
            chats = add_subscribers(bot.db, api, count)
            cpu_started = time.process_time()
            started = await confirm_announcement(bot)
            finished = await wait_idle(bot, timeout=count / rate * 4 + 60)
            cpu = time.process_time() - cpu_started
            stamps = subscriber_stamps(api)
            all_stamps = [r.timestamp for r in api.sent_messages]
            states = delivery_states(url, started.broadcast_id)
            health = api_health(api, bot)
            staff = staff_messages(api)
        once = exactly_once(api, chats)
    wall = finished - started.enqueued_at
    window_subscribers = max_in_window(stamps)
    window_all = max_in_window(all_stamps)
    return {
        "subscribers": count,
        "broadcast_rate": rate,
        "rate_limiter": True,
        "fake_limit_per_second": TELEGRAM_PER_SECOND,
        "simulated_latency_ms": round(latency * 1000),
        "messages_per_second": round(rate_of(stamps), 2),
        "messages_per_second_end_to_end": round(count / wall, 2) if wall > 0 else 0.0,
        "seconds_enqueue_to_done": round(wall, 2),
        "max_in_1s_window_subscribers": window_subscribers,
        "max_in_1s_window_all_messages": window_all,
        "gaps_between_messages": gaps_ms(stamps),
        "limit_exceeded": health["too_many_requests_429"] > 0 or window_all > TELEGRAM_PER_SECOND,
        "rate_exceeded": window_subscribers > rate + 1,
        "projected_seconds_for_10000": round(10_000 / rate_of(stamps)) if rate_of(stamps) else None,
        "freeze_seconds": round(started.freeze_seconds, 3),
        "cpu_share": round(cpu / wall, 3) if wall > 0 else 0.0,
        "delivery_states": states,
        "staff_group": staff,
        **health,
        **once,
    }


async def ceiling_run(engine: Engine, workdir: Path, count: int, direct: int) -> dict[str, Any]:
    """Limiter off, a sender rate that never binds: the pipeline's own throughput."""
    url = f"sqlite:///{workdir / 'ceiling.sqlite3'}"
    async with (
        fake_telegram() as api,
        running_bot(api, engine, url, rate=UNBOUND_RATE, rate_limiter=False) as bot,
    ):
        assert bot.db is not None and bot.app is not None
        setup_started = time.perf_counter()
        chats = add_subscribers(bot.db, api, count)
        setup_seconds = time.perf_counter() - setup_started
        cpu_started = time.process_time()
        async with CpuSampler() as sampler:
            started = await confirm_announcement(bot)
            finished = await wait_idle(bot, timeout=600)
        cpu = time.process_time() - cpu_started
        stamps = subscriber_stamps(api)
        states = delivery_states(url, started.broadcast_id)
        health = api_health(api, bot)
        once = exactly_once(api, chats)
        staff = staff_messages(api)
        baseline = await direct_sends(api, bot, chats[:direct])
    wall = finished - started.enqueued_at
    per_message_ms = 1000 / rate_of(stamps) if stamps else 0.0
    direct_ms = 1000 / baseline["messages_per_second"] if baseline["messages_per_second"] else 0.0
    return {
        "subscribers": count,
        "broadcast_rate": UNBOUND_RATE,
        "rate_limiter": False,
        "setup_seconds_add_subscribers": round(setup_seconds, 2),
        "freeze_seconds": round(started.freeze_seconds, 3),
        "confirm_seconds": round(started.confirm_seconds, 3),
        "first_message_after_enqueue_ms": round((stamps[0] - started.enqueued_at) * 1000, 1)
        if stamps
        else None,
        "messages_per_second": round(rate_of(stamps), 1),
        "messages_per_second_end_to_end": round(count / wall, 1) if wall > 0 else 0.0,
        "messages_per_second_by_tenth": [round(rate_of(part), 1) for part in tenths(stamps)],
        "cpu_share_by_tenth": sampler.by_tenth(stamps),
        "seconds_enqueue_to_done": round(wall, 2),
        "ms_per_message": round(per_message_ms, 3),
        "gaps_between_messages": gaps_ms(stamps),
        "cpu_share": round(cpu / wall, 3) if wall > 0 else 0.0,
        "delivery_states": states,
        "staff_group": staff,
        "direct_send_message": baseline,
        "bookkeeping_ms_per_message": round(per_message_ms - direct_ms, 3),
        **health,
        **once,
    }


async def direct_sends(api: FakeBotApi, bot: BotHarness, chats: Sequence[int]) -> dict[str, Any]:
    """The same message through the same PTB bot, one after another, no broadcaster.

    What is left of the time per message is HTTP, PTB and the fake itself;
    the difference to the broadcaster is its database bookkeeping.
    """
    from telegram import InlineKeyboardMarkup

    assert bot.app is not None
    sample = api.calls("sendMessage", ok=True, chat_id=chats[0])[0].params
    markup = InlineKeyboardMarkup.de_json(sample["reply_markup"], bot.app.bot)
    first = len(api.sent_messages)
    cpu_started, started = time.process_time(), time.monotonic()
    for chat_id in chats:
        await bot.app.bot.send_message(
            chat_id, sample["text"], parse_mode=sample["parse_mode"], reply_markup=markup
        )
    wall = time.monotonic() - started
    cpu = time.process_time() - cpu_started
    stamps = [r.timestamp for r in api.sent_messages[first:]]
    return {
        "messages": len(chats),
        "messages_per_second": round(rate_of(stamps), 1),
        "seconds": round(wall, 2),
        "cpu_share": round(cpu / wall, 3) if wall > 0 else 0.0,
    }


async def resume_run(engine: Engine, workdir: Path, count: int) -> dict[str, Any]:
    """Stop the bot halfway through, start it again on the same database."""
    url = f"sqlite:///{workdir / 'resume.sqlite3'}"
    half = count // 2
    async with (
        fake_telegram() as api,
        running_bot(api, engine, url, rate=UNBOUND_RATE, rate_limiter=False) as bot,
    ):
        assert bot.db is not None
        chats = add_subscribers(bot.db, api, count)
        started = await confirm_announcement(bot)
        await api.wait_until(lambda: len(subscriber_stamps(api)) >= half, 120, "half sent")
        stopping = time.monotonic()
        await bot.stop()  # the sender stops wherever it is, as the process would
        stopped = time.monotonic()
        before = copies(api)
        at_stop = delivery_states(url, started.broadcast_id)
        await bot.start()  # a new Application on the same database resumes
        restarted = time.monotonic()
        finished = await wait_idle(bot, timeout=600)
        # The resumed part, from the moment the new Application starts: the
        # sender runs from post_init on, before start() has returned.
        after = subscriber_stamps(api, after=stopped)
        states = delivery_states(url, started.broadcast_id)
        health = api_health(api, bot)
        once = exactly_once(api, chats)
    remaining = count - len(before)
    return {
        "subscribers": count,
        "broadcast_rate": UNBOUND_RATE,
        "rate_limiter": False,
        "received_before_stop": len(before),
        "delivery_states_at_stop": at_stop,
        "stop_seconds": round(stopped - stopping, 3),
        "restart_seconds": round(restarted - stopped, 3),
        "first_message_after_restart_ms": round((after[0] - stopped) * 1000, 1) if after else None,
        "remaining_after_restart": remaining,
        "seconds_restart_to_done": round(finished - stopped, 2),
        "messages_per_second_after_restart": round(rate_of(after), 1),
        "delivery_states": states,
        **health,
        **once,
    }


async def run_all_async(quick: bool) -> dict[str, Any]:
    """Every run, each on its own fake server and database."""
    _, harness = support_modules()
    sizes = QUICK if quick else FULL
    logging.getLogger("httpx").setLevel(logging.WARNING)  # URLs carry the token
    logging.getLogger("httpcore").setLevel(logging.WARNING)
    built = time.perf_counter()
    engine = await asyncio.to_thread(build_engine, PROJECT_ROOT, clock=lambda: harness.NOW)
    engine_seconds = time.perf_counter() - built
    with tempfile.TemporaryDirectory(prefix="bench-broadcast-") as folder:
        workdir = Path(folder)
        production = await paced_run(engine, workdir, sizes.production)
        latency = await paced_run(engine, workdir, sizes.latency, latency=LATENCY)
        ceiling = await ceiling_run(engine, workdir, sizes.ceiling, sizes.direct)
        resume = await resume_run(engine, workdir, sizes.resume)
    return {
        "packages": package_versions(),
        "engine_build_seconds": round(engine_seconds, 2),
        "sizes": sizes.__dict__,
        "production": production,
        "production_with_latency": latency,
        "ceiling": ceiling,
        "resume": resume,
    }


def run(quick: bool = False) -> dict[str, Any]:
    """Run the broadcast benchmark; return the figures."""
    return asyncio.run(run_all_async(quick))


def summary(result: dict[str, Any]) -> str:
    """Readable tables of the figures."""
    p, lat, c, r = (
        result["production"],
        result["production_with_latency"],
        result["ceiling"],
        result["resume"],
    )
    paced_rows = [
        [
            f"production, {x['subscribers']} subscribers"
            + (f", {x['simulated_latency_ms']} ms latency" if x["simulated_latency_ms"] else ""),
            f"{x['messages_per_second']:.2f}",
            x["max_in_1s_window_subscribers"],
            x["max_in_1s_window_all_messages"],
            x["too_many_requests_429"],
            "yes" if x["limit_exceeded"] else "no",
            "yes" if x["exactly_one_copy_each"] else "NO",
        ]
        for x in (p, lat)
    ]
    lines = [
        f"(a) rate limiter on, broadcast_rate {p['broadcast_rate']:g}/s (Settings default), "
        f"fake refuses above {p['fake_limit_per_second']}/s",
        table(
            ["run", "msg/s", "max 1 s", "max 1 s all", "429s", "limit exceeded", "one copy"],
            paced_rows,
        ),
        f"gaps between messages (no latency): median {p['gaps_between_messages']['median_ms']} ms, "
        f"max {p['gaps_between_messages']['max_ms']} ms; 10,000 subscribers would take "
        f"~{p['projected_seconds_for_10000']} s (with {lat['simulated_latency_ms']} ms latency "
        f"~{lat['projected_seconds_for_10000']} s)",
        "",
        f"(b) limiter off, sender rate unbounded: {c['subscribers']} subscribers",
        table(
            ["figure", "value"],
            [
                ["freeze recipients (start_sending)", f"{c['freeze_seconds']:.3f} s"],
                ["staff 'send' to queued (freeze + enqueue)", f"{c['confirm_seconds']:.3f} s"],
                ["queued to first message", f"{c['first_message_after_enqueue_ms']} ms"],
                ["throughput (first to last message)", f"{c['messages_per_second']:.1f} msg/s"],
                ["enqueue to done", f"{c['seconds_enqueue_to_done']:.2f} s"],
                ["per message", f"{c['ms_per_message']:.3f} ms"],
                [
                    "same sends without the broadcaster",
                    f"{c['direct_send_message']['messages_per_second']:.1f} msg/s "
                    f"({c['direct_send_message']['messages']} messages)",
                ],
                ["database bookkeeping per message", f"{c['bookkeeping_ms_per_message']:.3f} ms"],
                [
                    "msg/s by tenth of the run",
                    " ".join(f"{v:.0f}" for v in c["messages_per_second_by_tenth"]),
                ],
                [
                    "CPU/wall by tenth of the run",
                    " ".join(f"{v * 100:.0f}%" for v in c["cpu_share_by_tenth"]),
                ],
                ["CPU/wall", f"{c['cpu_share'] * 100:.0f}%"],
                [
                    "exactly one copy each",
                    f"{'yes' if c['exactly_one_copy_each'] else 'NO'} "
                    f"(missing {c['missing']}, duplicates {c['duplicates']})",
                ],
            ],
        ),
        "",
        f"(c) stopped at {r['received_before_stop']} of {r['subscribers']}, started again",
        table(
            ["figure", "value"],
            [
                ["stop", f"{r['stop_seconds']:.3f} s"],
                ["restart (new Application, resume)", f"{r['restart_seconds']:.3f} s"],
                ["restart to first message", f"{r['first_message_after_restart_ms']} ms"],
                [
                    f"stop to done ({r['remaining_after_restart']} left)",
                    f"{r['seconds_restart_to_done']:.2f} s",
                ],
                ["in flight at the stop", r["delivery_states_at_stop"].get("sending", 0)],
                [
                    "duplicates / missing",
                    f"{r['duplicates']} / {r['missing']} "
                    f"(uncertain: {r['delivery_states'].get('uncertain', 0)})",
                ],
            ],
        ),
        f"Bot API violations: {p['bot_api_violations']} / {lat['bot_api_violations']} / "
        f"{c['bot_api_violations']} / {r['bot_api_violations']}; content and matcher built in "
        f"{result['engine_build_seconds']:.1f} s",
    ]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark from the command line."""
    return run_module(NAME, (__doc__ or "").split("\n\n")[0], run, summary, argv)


if __name__ == "__main__":
    raise SystemExit(main())
