"""Run every benchmark in one process; print a summary and write latest.json.

``python -m bench.run_all`` (what ``make bench`` calls) runs (a) the decision
time with the shipped content, (b) the matcher at the scale of ~13,000
synthetic examples over ~190 topics, (c) the morphology comparison, (f) the
labelled answer set (fact in the reply, its length, time beyond matching) and (e)
announcements through the fake Bot API (``--skip-broadcast`` leaves that one
out: it waits on the production pace for most of its ~100 s), then prints
each benchmark's tables and one headline table, and writes every figure with
the date, Python version and CPU count to ``bench/results/latest.json``
(``latest-quick.json`` with ``--quick``). A benchmark that fails is reported
and the others still run.
"""

from __future__ import annotations

import argparse
import time
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from bench import answers, broadcast, matcher_speed, morphology_choice, scale, startup
from bench.datasets import RESULTS_DIR
from bench.harness import environment, percent, pin_hash_seed, table, write_json

Benchmark = tuple[str, Callable[[bool], dict[str, Any]], Callable[[dict[str, Any]], str]]

BENCHMARKS: tuple[Benchmark, ...] = (
    (matcher_speed.NAME, matcher_speed.run, matcher_speed.summary),
    (scale.NAME, scale.run, scale.summary),
    (morphology_choice.NAME, morphology_choice.run, morphology_choice.summary),
    (startup.NAME, startup.run, startup.summary),
    (broadcast.NAME, broadcast.run, broadcast.summary),
    (answers.NAME, answers.run, answers.summary),
)


def headline(results: dict[str, Any]) -> list[list[object]]:
    """The acceptance figures as (figure, value, target) rows."""
    rows: list[list[object]] = []
    a = results.get(matcher_speed.NAME)
    if a:
        rows += [
            [
                "(a) shipped content: matcher build (wall / CPU)",
                f"{a['build_seconds']:.2f} s / {a['build_cpu_seconds']:.2f} s",
                "<= 5 s",
            ],
            [
                "(a) decide() median, warm passes",
                f"{a['warm_passes']['median_ms']:.3f} ms",
                "< 1 ms",
            ],
            [
                "(a) decide() median, cold first pass",
                f"{a['cold_first_pass']['median_ms']:.3f} ms",
                "< 1 ms",
            ],
            [
                "(a) decide() p90 / p99, warm",
                f"{a['warm_passes']['p90_ms']:.3f} / {a['warm_passes']['p99_ms']:.3f} ms",
                "",
            ],
        ]
    f = results.get(startup.NAME)
    if f:
        rows.append(
            [
                "(f) `torun-bot ask` start-up, warm model cache (median)",
                f"{f['warm']['median_seconds']:.2f} s, peak RSS {f['warm']['peak_rss_mb']:.0f} MB",
                "<= 1.5 s",
            ]
        )
    b = results.get(scale.NAME)
    if b:
        acc = b["accuracy"]
        rows += [
            [
                f"(b) synthetic {b['dataset']['train']['messages']} examples / "
                f"{b['dataset']['topics']} topics: build",
                f"{b['build_seconds']:.2f} s",
                "",
            ],
            [
                "(b) decide() median, cold first pass",
                f"{b['cold_first_pass']['median_ms']:.3f} ms",
                "< 2 ms",
            ],
            [
                "(b) decide() median, warm passes",
                f"{b['warm_passes']['median_ms']:.3f} ms",
                "< 2 ms",
            ],
            [
                "(b) decide() p90 / p99, cold",
                f"{b['cold_first_pass']['p90_ms']:.3f} / {b['cold_first_pass']['p99_ms']:.3f} ms",
                "",
            ],
            ["(b) in-scope answered right", percent(acc["in_scope_answered_right"]), ""],
            ["(b) out-of-scope not answered", percent(acc["out_of_scope_not_answered"]), ""],
            ["(b) wrong answers", percent(acc["wrong_answers"]), ""],
        ]
    c = results.get(morphology_choice.NAME)
    if c:
        for name, r in c["analyzers"].items():
            right = " / ".join(
                percent(figures["all"]["in_scope_answered_right"]) for figures in r["sets"].values()
            )
            rows.append(
                [
                    f"(c) {name}: in-scope right ({' / '.join(r['sets'])})",
                    f"{right}; build {r['build_seconds']:.2f} s; "
                    f"warm median {r['warm_passes']['median_ms']:.3f} ms",
                    "",
                ]
            )
    e = results.get(broadcast.NAME)
    if e:
        p, c, r = e["production"], e["ceiling"], e["resume"]
        rows += [
            [
                f"(e) announcement, production pace ({p['subscribers']} subscribers)",
                f"{p['messages_per_second']:.1f} msg/s; max {p['max_in_1s_window_all_messages']} "
                f"in 1 s; 429s {p['too_many_requests_429']}",
                f"<= {p['fake_limit_per_second']}/s",
            ],
            [
                f"(e) sending pipeline ceiling ({c['subscribers']} subscribers, limiter off)",
                f"{c['messages_per_second']:.0f} msg/s; one copy each: "
                f"{'yes' if c['exactly_one_copy_each'] else 'NO'}",
                "",
            ],
            [
                "(e) stopped halfway, resumed: duplicates / missing",
                f"{r['duplicates']} / {r['missing']}",
                "0 / 0",
            ],
        ]
    f = results.get(answers.NAME)
    if f:
        rows += [
            [
                f"(f) answer set: fact in the first 200 characters ({f['cases']} questions)",
                f"{f['passed']}/{f['cases']} ({percent(f['pass_rate'])})",
                ">= 90%",
            ],
            ["(f) median reply length", f"{f['median_length']:.0f} characters", "<= 600"],
            [
                "(f) answering beyond matching, warm median / p90",
                f"{f['beyond_matching_warm']['median_ms']:.3f} / "
                f"{f['beyond_matching_warm']['p90_ms']:.3f} ms",
                "well under 1 ms",
            ],
        ]
    return rows


def main(argv: Sequence[str] | None = None) -> int:
    """Run all benchmarks, print the summary and write the results file."""
    if argv is None:
        pin_hash_seed("bench.run_all")
    parser = argparse.ArgumentParser(prog="python -m bench.run_all", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="smaller, faster runs")
    parser.add_argument("--output", type=Path, help="results file (default bench/results/)")
    parser.add_argument(
        "--skip-broadcast", action="store_true", help="leave out the announcement benchmark"
    )
    args = parser.parse_args(argv)
    started = time.perf_counter()
    env = environment()
    results: dict[str, Any] = {}
    seconds: dict[str, float] = {}
    failures: dict[str, str] = {}
    for name, run, summary in BENCHMARKS:
        if args.skip_broadcast and name == broadcast.NAME:
            continue
        print(f"== {name} ...", flush=True)
        begun = time.perf_counter()
        try:
            results[name] = run(args.quick)
        except Exception:  # one broken benchmark must not hide the others
            failures[name] = traceback.format_exc()
            print(failures[name], flush=True)
            continue
        finally:
            seconds[name] = round(time.perf_counter() - begun, 1)
        print(summary(results[name]) + f"\n({name}: {seconds[name]:.1f} s)\n", flush=True)
    total = time.perf_counter() - started
    rows = headline(results)
    print(f"== summary ({env['date']}, Python {env['python']}, {env['cpu_count']} CPUs)")
    print(table(["figure", "measured", "target"], rows))
    print(f"\nall benchmarks took {total:.1f} s")
    payload = {
        **env,
        "command": "python -m bench.run_all"
        + (" --quick" if args.quick else "")
        + (" --skip-broadcast" if args.skip_broadcast else ""),
        "quick": args.quick,
        "run_seconds": round(total, 1),
        "benchmark_seconds": seconds,
        "load_average_1m_end": environment()["load_average_1m"],
        "headline": {str(r[0]): str(r[1]) for r in rows},
        "results": results,
        "failures": failures,
    }
    output = args.output or RESULTS_DIR / ("latest-quick.json" if args.quick else "latest.json")
    write_json(output, payload)
    print(f"figures written to {output}")
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
