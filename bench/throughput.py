"""Throughput of the real bot process, beside a bare echo bot on the same fake (issue 12 AC2).

Both run as processes polling the fake Bot API of the tests on 127.0.0.1
(this process serves it): the bot as ``torun-bot run`` starts it, with the
rate limiter off (``bench/bot_unlimited.py``) and its SQLite database; the
anchor is ``bench/echo_bot.py``, python-telegram-bot's defaults answering
every text with itself. The same residents send the same messages to each:
questions of the labelled development sets that the shipped matcher answers
(``bench/botproc.py``), all queued at once, a resident's next message a
round later.

Measured, for each process: messages per second end to end (from the first
update the fake hands out to the last answer it receives), the CPU seconds
the process spent per message (``/proc/<pid>/stat``), its peak resident set
(``VmHWM``) at the end, and the start-up (launch to the first getUpdates)
with a warm model cache (``python -m bot run`` itself, several starts).
Figures are reported, never asserted; the machine is shared.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench import botproc
from bench.datasets import RESULTS_DIR
from bench.harness import pin_hash_seed, table

NAME = "throughput"
BOT = (sys.executable, "-m", "bench.bot_unlimited")
ECHO = (sys.executable, "-m", "bench.echo_bot")


async def one_run(
    label: str,
    command: Sequence[str],
    plans: list[list[botproc.Planned]],
    workdir: Path,
    profile: Path | None = None,
) -> dict[str, Any]:
    """Start ``command`` against a new fake, queue every message, wait for every answer."""
    async with botproc.fake_telegram() as api:
        users = botproc.add_residents(api, [p[0].resident for p in plans])
        delivered = botproc.stamp_deliveries(api)
        process = botproc.make_process(api, workdir, label, command)
        try:
            startup = await botproc.measure_start(process, api)
            await asyncio.sleep(1.0)  # let start-up jobs settle
            ordered = botproc.interleave(plans)
            updates = [api.updates.text_message(users[m.resident], m.text) for m in ordered]
            load_before = botproc.load_average()
            cpu_before = botproc.cpu_seconds(process.pid)
            spy = None
            if profile is not None:
                # py-spy (pip install py-spy) samples every thread of the process.
                spy = subprocess.Popen(  # noqa: ASYNC220
                    [
                        "py-spy",
                        "record",
                        "--pid",
                        str(process.pid),
                        "--format",
                        "raw",
                        "--output",
                        str(profile),
                        "--duration",
                        "30",
                        "--rate",
                        "250",
                    ],
                    stdout=subprocess.DEVNULL,
                )
                await asyncio.sleep(1.0)
            pushed = time.monotonic()
            ids = [api.push_update(u) for u in updates]
            push_seconds = time.monotonic() - pushed
            total = len(ids)

            def answers() -> list[Any]:
                return [r for r in api.sent_messages if r.chat_id >= botproc.FIRST_RESIDENT]

            done = await botproc.wait_for(
                lambda: len(api.sent_messages) >= total and len(answers()) >= total,
                timeout=max(120.0, total / 5),
                step=0.1,
            )
            cpu = botproc.cpu_seconds(process.pid) - cpu_before
            rss = botproc.peak_rss_mb(process.pid)
            load_after = botproc.load_average()
            sent = answers()
            if spy is not None:
                spy.send_signal(signal.SIGINT)
                await asyncio.to_thread(spy.wait)
            await process.stop()
        finally:
            await process.close()
        # The k-th answer in a chat answers the k-th message of that chat (one each).
        per_chat: dict[int, list[float]] = {}
        for record in sent:
            per_chat.setdefault(record.chat_id, []).append(record.timestamp)
        asked: dict[int, list[int]] = {}
        for message, update_id in zip(ordered, ids, strict=True):
            asked.setdefault(message.resident, []).append(update_id)
        latencies = []
        for chat, update_ids in asked.items():
            for update_id, answered in zip(update_ids, per_chat.get(chat, []), strict=False):
                if update_id in delivered:
                    latencies.append(answered - delivered[update_id])
        extra = Counter(len(per_chat.get(chat, [])) - len(u) for chat, u in asked.items())
        first = min(delivered.values()) if delivered else pushed
        last = max(r.timestamp for r in sent) if sent else first
        answered_n = min(len(sent), total)
        return {
            "process": " ".join(Path(c).name if i == 0 else c for i, c in enumerate(command)),
            "messages": total,
            "residents": len(plans),
            "all_answered": done,
            "answers_received": len(sent),
            "answers_minus_messages_per_chat": {str(k): v for k, v in sorted(extra.items())},
            "messages_per_second": round(answered_n / (last - first), 1) if last > first else 0,
            "seconds_first_delivery_to_last_answer": round(last - first, 2),
            "push_seconds": round(push_seconds, 2),
            "cpu_seconds": round(cpu, 2),
            "cpu_ms_per_message": round(cpu * 1000 / total, 2),
            "cpu_share_of_one_core": round(cpu / (last - first), 2) if last > first else 0,
            "peak_rss_mb": rss.get("VmHWM"),
            "rss_at_end_mb": rss.get("VmRSS"),
            "startup_seconds": round(startup, 3),
            "delivered_to_answer": botproc.percentiles_ms(latencies),
            "load_average_before": load_before,
            "load_average_after": load_after,
            "bot_api_violations": len(api.violations),
            "tracebacks_in_log": "Traceback" in process.output(),
        }


async def startups(command: Sequence[str] | None, workdir: Path, label: str, n: int) -> list[float]:
    """Start and stop a process ``n`` times on an idle fake: launch to first getUpdates."""
    seconds = []
    async with botproc.fake_telegram() as api:
        process = botproc.make_process(api, workdir, label, command)
        try:
            for _ in range(n):
                seconds.append(round(await botproc.measure_start(process, api), 3))
                await process.stop()
        finally:
            await process.close()
    return seconds


async def run_async(messages: int, residents: int, starts: int) -> dict[str, Any]:
    logging.getLogger("httpx").setLevel(logging.WARNING)
    built = time.perf_counter()
    # Deciding every message with the shipped content also warms the model cache.
    pools = await asyncio.to_thread(botproc.message_pools)
    pools_seconds = time.perf_counter() - built
    per_resident = max(1, messages // residents)
    plans = botproc.plan_messages(pools, residents, per_resident, handover_share=0.0)
    with tempfile.TemporaryDirectory(prefix="bench-throughput-") as folder:
        workdir = Path(folder)
        echo_first = await one_run("echo", ECHO, plans, workdir)
        bot = await one_run("bot", BOT, plans, workdir)
        echo_second = await one_run("echo2", ECHO, plans, workdir)
        bot_starts = await startups(None, workdir, "startup", starts)
        echo_starts = await startups(ECHO, workdir, "echo-startup", starts)
    echo_rate = statistics.median(
        [echo_first["messages_per_second"], echo_second["messages_per_second"]]
    )
    return {
        "message_sets": pools.sources,
        "answerable_messages_available": len(pools.answered),
        "pools_seconds": round(pools_seconds, 1),
        "echo": echo_first,
        "bot": bot,
        "echo_again": echo_second,
        "echo_messages_per_second_median": echo_rate,
        "bot_to_echo_ratio": round(bot["messages_per_second"] / echo_rate, 3) if echo_rate else 0,
        "startup_bot_run_seconds": bot_starts,
        "startup_bot_run_median": round(statistics.median(bot_starts), 3),
        "startup_echo_seconds": echo_starts,
        "startup_echo_median": round(statistics.median(echo_starts), 3),
    }


async def profile_only(messages: int, residents: int, output: Path) -> int:
    """One run of the bot with py-spy attached (its figures are those of a sampled run)."""
    pools = await asyncio.to_thread(botproc.message_pools)
    plans = botproc.plan_messages(pools, residents, max(1, messages // residents), 0.0)
    with tempfile.TemporaryDirectory(prefix="bench-throughput-") as folder:
        result = await one_run("bot", BOT, plans, Path(folder), profile=output.absolute())  # noqa: ASYNC240
    print({k: result[k] for k in ("messages_per_second", "cpu_ms_per_message", "peak_rss_mb")})
    print(f"profile written to {output}")
    return 0


def summary(result: dict[str, Any]) -> str:
    """The figures as a table."""
    rows = []
    for key in ("echo", "bot", "echo_again"):
        r = result[key]
        d = r["delivered_to_answer"]
        rows.append(
            [
                key,
                r["messages"],
                f"{r['messages_per_second']:.1f}",
                f"{r['cpu_ms_per_message']:.2f}",
                f"{r['cpu_share_of_one_core'] * 100:.0f}%",
                f"{r['peak_rss_mb']}",
                f"{d.get('p50_ms')} / {d.get('p99_ms')}",
                "yes" if r["all_answered"] else "NO",
                f"{r['load_average_before'][0]} -> {r['load_average_after'][0]}",
            ]
        )
    lines = [
        table(
            [
                "process",
                "messages",
                "msg/s",
                "CPU ms/msg",
                "CPU/wall",
                "peak RSS MB",
                "queued p50 / p99 ms",
                "all answered",
                "load 1 min",
            ],
            rows,
        ),
        f"bot / echo (median of the two echo runs, {result['echo_messages_per_second_median']}"
        f" msg/s): {result['bot_to_echo_ratio']:.2f}",
        f"start-up to first getUpdates, warm model cache: `python -m bot run` "
        f"{result['startup_bot_run_seconds']} s (median {result['startup_bot_run_median']}); "
        f"echo bot {result['startup_echo_seconds']} s",
        "answers per chat minus messages (bot): "
        f"{result['bot']['answers_minus_messages_per_chat']}",
    ]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    if argv is None:
        pin_hash_seed(f"bench.{NAME}")
    parser = argparse.ArgumentParser(prog=f"python -m bench.{NAME}", description=__doc__)
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--residents", type=int, default=500)
    parser.add_argument("--starts", type=int, default=3, help="start-ups measured per process")
    parser.add_argument("--quick", action="store_true", help="400 messages, 2 starts")
    parser.add_argument("--output", type=Path)
    parser.add_argument(
        "--profile", type=Path, help="only the bot, sampled by py-spy into this file (raw)"
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.messages, args.residents, args.starts = 400, 100, 2
    if args.profile is not None:
        return asyncio.run(profile_only(args.messages, args.residents, args.profile))
    started = time.perf_counter()
    result = asyncio.run(run_async(args.messages, args.residents, args.starts))
    output = args.output or RESULTS_DIR / f"{NAME}{'-quick' if args.quick else ''}.json"
    botproc.report(NAME, argv, started, result, output)
    print(summary(result))
    print(f"\nfigures written to {output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
