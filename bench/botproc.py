"""Real bot processes against the fake Bot API, and the residents' messages they get.

Shared by ``bench/throughput.py`` and ``bench/delivery.py``. The processes
are started with the end-to-end process harness of the tests
(``tests/e2e/processes.py``: ``python -m bot run`` with the bot's settings
pointing at the fake, output in a log file, killed with the benchmark), the
fake is ``tests/fake_bot_api`` on 127.0.0.1 in this process. Nothing leaves
the machine and no real token is used (the harness's ``PROCESS_TOKEN`` is a
placeholder of the right shape).

The messages come from the labelled development sets of ``bench/data/``
(other authors' messages, see bench/README.md), sorted by what the shipped
matcher does with them (:func:`message_pools`): answered, or handed over.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import json
import os
import random
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np

from bench.harness import environment, write_json
from bot.core.matching import Action
from bot.services import PROJECT_ROOT

TESTS_DIR = PROJECT_ROOT / "tests"
BENCH_DATA = PROJECT_ROOT / "bench" / "data"
#: The labelled sets whose messages residents send (development sets of other authors).
MESSAGE_SETS = ("holdout", "blind", "blind2", "blind3", "fresh_2026-12-02", "fresh_2026-12-02b")
#: Residents get chat ids from here on.
FIRST_RESIDENT = 3_000_000
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def tests_support(module: str) -> tuple[ModuleType, ModuleType]:
    """The tests' fake Bot API and one end-to-end module of tests/e2e (imported, not copied)."""
    for folder in (TESTS_DIR, TESTS_DIR / "e2e"):
        if str(folder) not in sys.path:
            sys.path.append(str(folder))
    fake = importlib.import_module("fake_bot_api")
    loaded = importlib.import_module(module)
    if Path(loaded.__file__ or "").resolve().parent != (TESTS_DIR / "e2e").resolve():
        raise ImportError(f"{module!r} resolved to {loaded.__file__}, not tests/e2e/")
    return fake, loaded


def support() -> tuple[ModuleType, ModuleType]:
    """The tests' fake Bot API and process harness (``tests/e2e/processes.py``)."""
    return tests_support("processes")


def report(
    name: str, argv: Sequence[str] | None, started: float, result: Any, output: Path
) -> None:
    """Write one process benchmark's figures with the machine and the command."""
    payload = {
        **environment(),
        "command": " ".join([f"python -m bench.{name}", *(argv or sys.argv[1:])]),
        "run_seconds": round(time.perf_counter() - started, 1),
        "load_average_1m_end": load_average()[0],
        "results": {name: result},
    }
    write_json(output, payload)


# ---------------------------------------------------------------- messages
@dataclass(frozen=True)
class Pools:
    """Messages of the labelled sets by what the shipped matcher does with them."""

    answered: tuple[str, ...]
    handed_over: tuple[str, ...]
    #: "I want to talk to a person" (intent ``bot.human``, answered as such)
    ask_person: tuple[str, ...]
    sources: dict[str, int] = field(default_factory=dict)


def message_pools() -> Pools:
    """Read the sets and decide every message once with the shipped content."""
    from bot.services import build_engine

    engine = build_engine(PROJECT_ROOT)
    answered: list[str] = []
    handed: list[str] = []
    person: list[str] = []
    sources: dict[str, int] = {}
    seen: set[str] = set()
    for name in MESSAGE_SETS:
        path = BENCH_DATA / f"{name}.jsonl"
        if not path.exists():
            continue
        count = 0
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            text = str(json.loads(line)["text"]).strip()
            if not text or text in seen or len(text) > 1000 or text.startswith("/"):
                continue
            seen.add(text)
            count += 1
            decision = engine.assistant.decide(text)
            if decision.action is Action.ANSWER and decision.intent == "bot.human":
                person.append(text)
            elif decision.action is Action.ANSWER:
                answered.append(text)
            elif decision.action is Action.HANDOFF:
                handed.append(text)
        sources[name] = count
    return Pools(tuple(answered), tuple(handed), tuple(person), sources)


@dataclass(frozen=True)
class Planned:
    """One message a resident sends, and what the benchmark expects of it."""

    resident: int  # chat id
    text: str
    #: "answer", "handover" (a question the bot cannot answer), "ask_person"
    #: (asks for a person: the bot asks for the question), "question_for_person"
    #: (that question: handed over)
    kind: str


def plan_messages(
    pools: Pools, residents: int, per_resident: int, handover_share: float, seed: int = 2026
) -> list[list[Planned]]:
    """Every resident's messages in order.

    Handovers are the last message of a resident, so that nothing they send
    later adds to their question (each handover is one post for staff): a
    quarter of them are "I want to talk to a person" followed by a question
    (which the bot then hands over whatever it is), the rest questions the
    matcher hands over by itself.
    """
    rng = random.Random(seed)
    total = residents * per_resident
    handovers = round(total * handover_share)
    asking = handovers // 4 if pools.ask_person and per_resident >= 2 else 0
    plans: list[list[Planned]] = []
    answered = list(pools.answered)
    rng.shuffle(answered)
    take = iter(answered * (total // max(len(answered), 1) + 1))
    for index in range(residents):
        chat = FIRST_RESIDENT + index
        messages = [Planned(chat, next(take), "answer") for _ in range(per_resident)]
        if index < asking:
            messages[-2] = Planned(chat, rng.choice(pools.ask_person), "ask_person")
            messages[-1] = Planned(chat, messages[-1].text, "question_for_person")
        elif index < handovers:
            messages[-1] = Planned(chat, rng.choice(pools.handed_over), "handover")
        plans.append(messages)
    rng.shuffle(plans)
    return plans


def interleave(plans: Sequence[Sequence[Planned]]) -> list[Planned]:
    """Round robin over the residents: a resident's next message comes a round later."""
    out: list[Planned] = []
    for round_ in range(max(len(p) for p in plans)):
        out.extend(p[round_] for p in plans if round_ < len(p))
    return out


def add_residents(api: Any, chat_ids: Iterable[int]) -> dict[int, Any]:
    """The residents as users of the fake Telegram (Polish-speaking by default)."""
    fake, _ = support()
    users = {}
    for chat in chat_ids:
        user = fake.TgUser(chat, f"Mieszkaniec {chat - FIRST_RESIDENT}", language_code="pl")
        api.add_user(user)
        users[chat] = user
    return users


# ---------------------------------------------------------------- the fake
@contextlib.asynccontextmanager
async def fake_telegram(rate_limits: Any = None) -> AsyncIterator[Any]:
    """The fake Bot API with a token the bot accepts and the staff forum group."""
    fake, processes = support()
    harness = importlib.import_module("harness")
    api = fake.FakeBotApi(token=processes.PROCESS_TOKEN, rate_limits=rate_limits)
    await api.start()
    try:
        api.add_supergroup(harness.STAFF_CHAT.id, harness.STAFF_CHAT.title or "Staff")
        yield api
    finally:
        await api.stop()


def stamp_deliveries(api: Any) -> dict[int, float]:
    """Record when each update left the fake in a getUpdates answer (time.monotonic)."""
    delivered: dict[int, float] = {}
    original = api._handlers["getUpdates"]

    async def stamped(params: dict[str, Any]) -> Any:
        batch = await original(params)
        now = time.monotonic()
        for update in batch:
            delivered.setdefault(update["update_id"], now)
        return batch

    api._handlers["getUpdates"] = stamped
    return delivered


def staff_chat_id() -> int:
    support()
    chat_id: int = importlib.import_module("harness").STAFF_CHAT.id
    return chat_id


# ---------------------------------------------------------------- processes
def make_process(
    api: Any,
    workdir: Path,
    name: str,
    command: Sequence[str] | None = None,
    *,
    env: dict[str, str] | None = None,
) -> Any:
    """A restartable process of the harness running ``command`` (default ``python -m bot
    run``) with the bot's environment pointing at ``api`` and a SQLite file in ``workdir``."""
    _, processes = support()

    class Process(processes.BotProcess):  # type: ignore[misc, name-defined]
        def _launch(self) -> subprocess.Popen[bytes]:
            if command is None:
                launched: subprocess.Popen[bytes] = super()._launch()
                return launched
            return subprocess.Popen(
                list(command),
                cwd=self.workdir,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=self._log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=processes._die_with_parent if processes._LIBC is not None else None,
            )

    environment = processes.bot_environment(
        api,
        database_url=f"sqlite:///{workdir / (name + '.sqlite3')}",
        extra={"PYTHONHASHSEED": os.environ.get("PYTHONHASHSEED", "0"), **(env or {})},
    )
    return Process(api, name=name, workdir=workdir, env=environment)


def peak_rss_mb(pid: int) -> dict[str, float]:
    """VmHWM (peak resident set) and VmRSS of a running process, MB."""
    figures: dict[str, float] = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmHWM", "VmRSS"):
            figures[key] = round(int(value.split()[0]) / 1024, 1)
    return figures


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a running process so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def first_get_updates(api: Any, after: int) -> float | None:
    """When the first getUpdates at or after call index ``after`` arrived."""
    for call in api.recorded[after:]:
        if call.method == "getUpdates":
            stamp: float = call.timestamp
            return stamp
    return None


async def measure_start(process: Any, api: Any, timeout: float = 90.0) -> float:  # noqa: ASYNC109
    """Start ``process``; seconds from launch to its first getUpdates."""
    mark = api.mark()
    launched = time.monotonic()
    await process.start(timeout=timeout)
    stamp = first_get_updates(api, mark)
    assert stamp is not None
    return stamp - launched


def percentiles_ms(values: Sequence[float]) -> dict[str, float]:
    """Median, p95, p99 and max of durations given in seconds, in ms."""
    if not values:
        return {}
    array = np.asarray(values) * 1000
    p50, p95, p99 = np.percentile(array, [50, 95, 99])
    return {
        "n": len(values),
        "p50_ms": round(float(p50), 1),
        "p95_ms": round(float(p95), 1),
        "p99_ms": round(float(p99), 1),
        "max_ms": round(float(array.max()), 1),
    }


def load_average() -> list[float]:
    """The 1-, 5- and 15-minute load averages now."""
    return [round(x, 2) for x in os.getloadavg()]


async def wait_for(condition: Any, timeout: float, step: float = 0.05) -> bool:  # noqa: ASYNC109
    """Poll ``condition`` until true or ``timeout``; whether it became true."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        await asyncio.sleep(step)
    return bool(condition())
