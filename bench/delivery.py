"""Delivery at Telegram's limits: the real bot process, residents and handovers (issue 8 AC2).

``python -m bot run`` (the bot as the city runs it, its rate limiter on)
polls the fake Bot API of the tests on 127.0.0.1, which answers 429 above
30 messages a second overall and above 20 a minute in a group, as Telegram
does. 500 residents send 2,000 messages at a steady offered rate (27 a
second by default, a resident's next message ~18 s after their previous
one); the messages are questions of the labelled development sets of
``bench/data/`` that the shipped matcher answers, except 10% that lead to a
handover: questions the matcher hands over (three quarters) and "I want to
talk to a person" requests (``bot.human``) followed by a question (a
quarter). A handover is each such resident's last message, so it is one
post for staff with nothing added later.

Measured: residents' answers per second (first to last answer), the time
from the moment the fake handed an update out (getUpdates) to the moment
it accepted the answer (p50 / p95 / p99 / max), the largest number of
messages in any second and the 429s; in the staff group, posts and new
topics per minute (largest number in any 60 s window and the rate from the
first to the last) against the 20 a minute, and whether every handover
was posted (``--drain-minutes``: how long to wait for the staff group's
backlog; what is still queued then is counted in the bot's outbox).
Figures are reported, never asserted: the machine is shared.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sqlite3
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench import botproc
from bench.datasets import RESULTS_DIR
from bench.harness import pin_hash_seed, table

NAME = "delivery"
HANDOVER_KINDS = ("handover", "question_for_person")


def max_in_window(stamps: Sequence[float], window: float) -> int:
    """Largest number of stamps within any ``window`` seconds."""
    stamps = sorted(stamps)
    best, start = 0, 0
    for end, stamp in enumerate(stamps):
        while stamp - stamps[start] > window:
            start += 1
        best = max(best, end - start + 1)
    return best


def per_minute(stamps: Sequence[float]) -> float:
    """Rate from the first to the last stamp, per minute."""
    if len(stamps) < 2 or stamps[-1] <= stamps[0]:
        return 0.0
    return round((len(stamps) - 1) / (stamps[-1] - stamps[0]) * 60, 2)


def outbox_left(database: Path) -> dict[str, int]:
    """Outbox entries not yet sent, by lane, read from the bot's SQLite file."""
    with sqlite3.connect(database) as connection:
        rows = connection.execute(
            "SELECT lane, state, count(*) FROM outbox WHERE state != 'sent' GROUP BY lane, state"
        ).fetchall()
    return {f"{lane}/{state}": int(n) for lane, state, n in rows}


async def run_async(
    residents: int, per_resident: int, handover_share: float, rate: float, drain_minutes: float
) -> dict[str, Any]:
    fake, _ = botproc.support()
    logging.getLogger("httpx").setLevel(logging.WARNING)
    pools = await asyncio.to_thread(botproc.message_pools)  # also warms the model cache
    plans = botproc.plan_messages(pools, residents, per_resident, handover_share)
    ordered = botproc.interleave(plans)
    expected = Counter(m.kind for m in ordered)
    handover_chats = {m.resident for m in ordered if m.kind in HANDOVER_KINDS}
    staff = botproc.staff_chat_id()
    limits = fake.RateLimits(per_second=30, per_group_per_minute=20)
    with tempfile.TemporaryDirectory(prefix="bench-delivery-") as folder:
        workdir = Path(folder)
        async with botproc.fake_telegram(limits) as api:
            users = botproc.add_residents(api, [p[0].resident for p in plans])
            delivered = botproc.stamp_deliveries(api)
            process = botproc.make_process(api, workdir, "bot")
            try:
                startup = await botproc.measure_start(process, api)
                await asyncio.sleep(1.0)
                load_before = botproc.load_average()
                cpu_before = botproc.cpu_seconds(process.pid)
                ids: list[int] = []
                began = time.monotonic()
                for index, message in enumerate(ordered):
                    due = began + index / rate
                    delay = due - time.monotonic()
                    if delay > 0:
                        await asyncio.sleep(delay)
                    update = api.updates.text_message(users[message.resident], message.text)
                    ids.append(api.push_update(update))
                offered_seconds = time.monotonic() - began
                total = len(ids)

                def answers() -> list[Any]:
                    return [r for r in api.sent_messages if r.chat_id >= botproc.FIRST_RESIDENT]

                all_answered = await botproc.wait_for(
                    lambda: len(answers()) >= total, timeout=120, step=0.2
                )
                residents_done = time.monotonic()
                load_residents = botproc.load_average()
                cpu_residents = botproc.cpu_seconds(process.pid) - cpu_before
                rss = botproc.peak_rss_mb(process.pid)

                def staff_posts() -> list[Any]:
                    return [
                        c
                        for c in api.calls("sendMessage", ok=True, chat_id=staff)
                        if c.params.get("message_thread_id") is not None
                    ]

                def posted_handovers() -> int:
                    return len({c.params["message_thread_id"] for c in staff_posts()})

                drained = await botproc.wait_for(
                    lambda: posted_handovers() >= len(handover_chats),
                    timeout=drain_minutes * 60,
                    step=1.0,
                )
                drain_seconds = time.monotonic() - residents_done
                load_end = botproc.load_average()
                rss_end = botproc.peak_rss_mb(process.pid)
                await process.stop()
                left = outbox_left(workdir / "bot.sqlite3")
            finally:
                await process.close()
            sent = answers()
            # The k-th answer in a chat answers the k-th message of that chat.
            per_chat: dict[int, list[float]] = {}
            for record in sent:
                per_chat.setdefault(record.chat_id, []).append(record.timestamp)
            asked: dict[int, list[int]] = {}
            for message, update_id in zip(ordered, ids, strict=True):
                asked.setdefault(message.resident, []).append(update_id)
            latencies = [
                answered - delivered[update_id]
                for chat, update_ids in asked.items()
                for update_id, answered in zip(update_ids, per_chat.get(chat, []), strict=False)
                if update_id in delivered
            ]
            extra = Counter(len(per_chat.get(c, [])) - len(u) for c, u in asked.items())
            answer_stamps = sorted(r.timestamp for r in sent)
            all_stamps = sorted(r.timestamp for r in api.sent_messages)
            posts = staff_posts()
            post_stamps = sorted(c.timestamp for c in posts)
            topics = sorted(
                c.timestamp for c in api.calls("createForumTopic", ok=True, chat_id=staff)
            )
            group_stamps = sorted(post_stamps + topics)
            posts_per_topic = Counter(
                Counter(c.params["message_thread_id"] for c in posts).values()
            )
            refused = Counter(c.status for c in api.calls(ok=False))
            staff_429 = len([c for c in api.calls(ok=False, chat_id=staff) if c.status == 429])
            output = process.output()
    answer_seconds = answer_stamps[-1] - answer_stamps[0] if len(answer_stamps) > 1 else 0
    return {
        "message_sets": pools.sources,
        "resident_count": residents,
        "messages": total,
        "planned": dict(expected),
        "handovers_planned": len(handover_chats),
        "offered_rate_per_second": rate,
        "offered_seconds": round(offered_seconds, 1),
        "startup_seconds": round(startup, 2),
        "residents": {
            "all_answered": all_answered,
            "answers": len(sent),
            "answers_minus_messages_per_chat": {str(k): v for k, v in sorted(extra.items())},
            "answers_per_second": round((len(answer_stamps) - 1) / answer_seconds, 2)
            if answer_seconds
            else 0.0,
            "delivered_to_answer": botproc.percentiles_ms(latencies),
            "max_in_1s_all_messages": max_in_window(all_stamps, 1.0),
            "cpu_ms_per_message": round(cpu_residents * 1000 / total, 2),
            "peak_rss_mb": rss.get("VmHWM"),
            "load_average_before": load_before,
            "load_average_after": load_residents,
        },
        "staff": {
            "drain_minutes_allowed": drain_minutes,
            "all_handovers_posted": drained,
            "handover_posts_seen": len({c.params["message_thread_id"] for c in posts}),
            "posts": len(posts),
            "topics_created": len(topics),
            "posts_per_topic": {str(k): v for k, v in sorted(posts_per_topic.items())},
            "posts_per_minute": per_minute(post_stamps),
            "group_requests_per_minute": per_minute(group_stamps),
            "max_posts_in_60s": max_in_window(post_stamps, 60.0),
            "max_group_requests_in_60s": max_in_window(group_stamps, 60.0),
            "seconds_residents_done_to_drained": round(drain_seconds, 1),
            "too_many_requests_429": staff_429,
            "outbox_not_sent_at_stop": left,
            "peak_rss_mb_end": rss_end.get("VmHWM"),
            "load_average_end": load_end,
        },
        "refused_calls_by_status": {str(k): v for k, v in sorted(refused.items())},
        "bot_api_violations": len(api.violations),
        "tracebacks_in_log": "Traceback" in output,
    }


def summary(result: dict[str, Any]) -> str:
    """The figures as tables."""
    r, s = result["residents"], result["staff"]
    d = r["delivered_to_answer"]
    lines = [
        f"{result['messages']} messages from {result['resident_count']} residents "
        f"offered at {result['offered_rate_per_second']}/s for {result['offered_seconds']} s; "
        f"planned {result['planned']}; start-up {result['startup_seconds']} s",
        table(
            ["residents", "value"],
            [
                ["all answered", "yes" if r["all_answered"] else "NO"],
                ["answers per second (first to last)", r["answers_per_second"]],
                [
                    "update delivered -> answer accepted: p50 / p95 / p99 / max",
                    f"{d.get('p50_ms')} / {d.get('p95_ms')} / {d.get('p99_ms')} / "
                    f"{d.get('max_ms')} ms",
                ],
                ["most messages in any 1 s (all chats)", r["max_in_1s_all_messages"]],
                ["answers per chat minus messages", r["answers_minus_messages_per_chat"]],
                ["bot CPU per message", f"{r['cpu_ms_per_message']} ms"],
                [
                    "load average 1 min before / after",
                    f"{r['load_average_before'][0]} / {r['load_average_after'][0]}",
                ],
            ],
        ),
        table(
            ["staff group", "value"],
            [
                [
                    "handovers posted / planned",
                    f"{s['handover_posts_seen']} / {result['handovers_planned']}"
                    f" ({'all' if s['all_handovers_posted'] else 'NOT all'} within "
                    f"{s['drain_minutes_allowed']} min)",
                ],
                ["posts per topic (count of topics)", s["posts_per_topic"]],
                ["posts per minute (first to last)", s["posts_per_minute"]],
                ["posts + new topics per minute", s["group_requests_per_minute"]],
                [
                    "most posts / posts + topics in any 60 s",
                    f"{s['max_posts_in_60s']} / {s['max_group_requests_in_60s']}",
                ],
                ["429 answers in the staff group", s["too_many_requests_429"]],
                ["outbox not sent at the stop", s["outbox_not_sent_at_stop"]],
                ["residents done -> drained", f"{s['seconds_residents_done_to_drained']} s"],
            ],
        ),
        f"refused calls by status: {result['refused_calls_by_status']}; Bot API violations "
        f"{result['bot_api_violations']}; tracebacks in the log: {result['tracebacks_in_log']}",
    ]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    if argv is None:
        pin_hash_seed(f"bench.{NAME}")
    parser = argparse.ArgumentParser(prog=f"python -m bench.{NAME}", description=__doc__)
    parser.add_argument("--residents", type=int, default=500)
    parser.add_argument("--per-resident", type=int, default=4)
    parser.add_argument("--handovers", type=float, default=0.10, help="share of the messages")
    parser.add_argument("--rate", type=float, default=27.0, help="offered messages per second")
    parser.add_argument(
        "--drain-minutes", type=float, default=30.0, help="wait for the staff backlog this long"
    )
    parser.add_argument("--quick", action="store_true", help="50 residents, 200 messages")
    parser.add_argument("--output", type=Path)
    args = parser.parse_args(argv)
    if args.quick:
        args.residents = 50
    started = time.perf_counter()
    result = asyncio.run(
        run_async(args.residents, args.per_resident, args.handovers, args.rate, args.drain_minutes)
    )
    output = args.output or RESULTS_DIR / f"{NAME}{'-quick' if args.quick else ''}.json"
    botproc.report(NAME, argv, started, result, output)
    print(summary(result))
    print(f"\nfigures written to {output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
