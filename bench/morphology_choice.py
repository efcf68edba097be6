"""(c) Morphology choice: morfeusz2 vs simplemma vs none on the real task.

For each analyser of :func:`bot.core.morphology.make_analyzer`, builds the
matcher from the shipped intents and evaluates it on the dev questions and
the hold-out set with :func:`bot.evaluation.evaluate` (all messages, and the
Polish ones alone, since morphology only concerns Polish), and times it:
dictionary load, matcher build, decision time per message (cold first pass
and warm passes over both sets together; the analysers' warm passes take
turns so that machine noise spreads over all of them).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bench.datasets import MessageSet, evaluation_sets
from bench.harness import (
    Pass,
    loaded_analyzer,
    matcher_size,
    percent,
    run_module,
    summarise_passes,
    table,
    time_pass,
    timed,
)
from bot.content import load_content
from bot.core.matching import IntentMatcher, LabelledExample
from bot.core.text import normalise
from bot.evaluation import evaluate
from bot.services import PROJECT_ROOT

NAME = "morphology_choice"
ANALYZERS = ("morfeusz2", "simplemma", "none")
WARM_PASSES = 3
QUICK_WARM_PASSES = 1


def run(quick: bool = False) -> dict[str, Any]:
    """Build and evaluate one matcher per analyser; return the figures."""
    warm_passes = QUICK_WARM_PASSES if quick else WARM_PASSES
    examples = load_content(PROJECT_ROOT).labelled_examples()
    sets, notes = evaluation_sets()
    texts = [text for s in sets for text in s.texts()]
    matchers: dict[str, IntentMatcher] = {}
    results: dict[str, Any] = {}
    cold: dict[str, Pass] = {}
    for name in ANALYZERS:
        analyzer, load_seconds = timed(loaded_analyzer, name)
        matcher, build_wall = timed(IntentMatcher.build, examples, analyzer=analyzer)
        cold[name] = time_pass(matcher, texts)
        matchers[name] = matcher
        results[name] = {
            "analyser_load_seconds": round(load_seconds, 3),
            "build_seconds": round(matcher.build_seconds, 3),
            "build_wall_seconds": round(build_wall, 3),
            "matcher": matcher_size(matcher),
            "warm_pass_count": warm_passes,
        }
    # Warm passes take turns (in a rotating order), so that a busy spell of a
    # shared machine slows every analyser rather than one of them.
    warm: dict[str, list[Pass]] = {name: [] for name in ANALYZERS}
    for round_ in range(warm_passes):
        shift = round_ % len(ANALYZERS)
        for name in ANALYZERS[shift:] + ANALYZERS[:shift]:
            warm[name].append(time_pass(matchers[name], texts))
    for name, matcher in matchers.items():
        results[name] |= summarise_passes(cold[name], warm[name], texts).as_json()
        results[name]["sets"] = {s.name: _evaluate_set(matcher, s) for s in sets}
    return {
        "analyzers": results,
        "messages": {s.name: len(s.messages) for s in sets},
        "also_in_intents": _overlap(examples, sets),
        "notes": notes,
    }


def _evaluate_set(matcher: IntentMatcher, messages: MessageSet) -> dict[str, Any]:
    polish = [m.labelled() for m in messages.messages if m.lang == "pl"]
    return {
        "all": evaluate(matcher, messages.labelled(), matcher.build_seconds).as_json(),
        "polish": evaluate(matcher, polish, matcher.build_seconds).as_json(),
    }


def _overlap(examples: Sequence[LabelledExample], sets: Sequence[MessageSet]) -> dict[str, int]:
    """Per set, how many messages are (after normalisation) an intents example."""
    known = {normalise(e.text) for e in examples}
    return {s.name: sum(normalise(t) in known for t in s.texts()) for s in sets}


def summary(result: dict[str, Any]) -> str:
    """Readable tables of the figures."""
    speed: list[Sequence[object]] = []
    accuracy: list[Sequence[object]] = []
    for name, r in result["analyzers"].items():
        speed.append(
            [
                name,
                r["analyser_load_seconds"],
                r["build_seconds"],
                r["matcher"]["lexicon_forms"],
                r["cold_first_pass"]["median_ms"],
                r["warm_passes"]["median_ms"],
                r["warm_passes"]["p90_ms"],
                percent(r["warm_passes"]["cpu_share"]),
            ]
        )
        for set_name, figures in r["sets"].items():
            for part in ("all", "polish"):
                f = figures[part]
                accuracy.append(
                    [
                        f"{name} / {set_name} / {part}",
                        f["messages"],
                        percent(f["in_scope_answered_right"]),
                        percent(f["out_of_scope_not_answered"]),
                        percent(f["wrong_answers"]),
                    ]
                )
    lines = [
        "(c) morphology: matcher from the shipped intents, per analyser",
        table(
            [
                "analyser",
                "load s",
                "build s",
                "lexicon forms",
                "cold median ms",
                "warm median ms",
                "warm p90 ms",
                "warm CPU/wall",
            ],
            speed,
        ),
        "",
        table(
            ["analyser / set / messages", "n", "in-scope right", "out-of-scope ok", "wrong"],
            accuracy,
        ),
        "messages that are also intents examples (normalised): "
        + ", ".join(f"{k} {v}" for k, v in result["also_in_intents"].items()),
    ]
    lines += [f"note: {n}" for n in result["notes"]]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark from the command line."""
    return run_module(NAME, __doc__.split("\n\n")[0], run, summary, argv)


if __name__ == "__main__":
    raise SystemExit(main())
