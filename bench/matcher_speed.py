"""(a) Decision time per message with the shipped content.

Builds the matcher the way the assistant does (``load_content`` +
``IntentMatcher.build`` with morfeusz2) and times ``IntentMatcher.decide`` on a
realistic message mix: the dev questions plus every set in bench/data, in file
order. Anchors on the same examples and messages: rapidfuzz ratio and
TF-IDF + LinearSVC (:mod:`bench.anchors`).
The first pass over the fresh matcher is reported apart (cold: the lexicon's
caches for unknown words and typos fill up), then several warm passes. Target:
a median under 1 ms per message.
"""

from __future__ import annotations

import statistics
import time
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from bench import anchors
from bench.datasets import evaluation_sets
from bench.harness import (
    loaded_analyzer,
    matcher_size,
    measure_passes,
    pass_table,
    run_module,
    timed,
)
from bot.content import load_content
from bot.core.matching import IntentMatcher
from bot.evaluation import evaluate
from bot.services import PROJECT_ROOT

NAME = "matcher_speed"
TARGET_MEDIAN_MS = 1.0
WARM_PASSES = 5
QUICK_WARM_PASSES = 2


def run(quick: bool = False) -> dict[str, Any]:
    """Build the shipped matcher and time its decisions; return the figures."""
    warm_passes = QUICK_WARM_PASSES if quick else WARM_PASSES
    content, load_seconds = timed(load_content, PROJECT_ROOT)
    examples = content.labelled_examples()
    analyzer, analyser_seconds = timed(loaded_analyzer, "morfeusz2")
    # A cold start imports scikit-learn for the build; timed apart here.
    _modules, sklearn_seconds = timed(_import_training_libraries)
    cpu_started = time.process_time()
    matcher, build_wall = timed(IntentMatcher.build, examples, analyzer=analyzer)
    build_cpu = time.process_time() - cpu_started

    sets, notes = evaluation_sets()
    messages = [m for s in sets for m in s.messages]
    texts = [m.text for m in messages]
    passes = measure_passes(matcher, texts, warm_passes)

    # Accuracy per set (all of them development sets now, see bench/README.md)
    # and the two anchors on the same training examples and messages.
    accuracy = {s.name: evaluate(matcher, s.labelled()).as_json() for s in sets}
    anchor_figures = anchors.both(examples, [m.labelled() for m in messages])

    by_language: dict[str, list[float]] = defaultdict(list)
    by_action: dict[str, list[float]] = defaultdict(list)
    for message, decision, ms in zip(
        messages, passes.decisions, passes.warm_ms_per_message, strict=True
    ):
        by_language[message.lang].append(ms)
        by_action[decision.action.value].append(ms)

    return {
        "target_median_ms": TARGET_MEDIAN_MS,
        "content": {
            "examples": sum(not e.negative for e in examples),
            "negative_examples": sum(e.negative for e in examples),
            "intent_files": len(content.intents),
        },
        "matcher": matcher_size(matcher),
        "content_load_seconds": round(load_seconds, 3),
        "analyser_load_seconds": round(analyser_seconds, 3),
        "build_seconds": round(matcher.build_seconds, 3),
        "build_wall_seconds": round(build_wall, 3),
        "build_cpu_seconds": round(build_cpu, 3),
        "sklearn_import_seconds": round(sklearn_seconds, 3),
        "calibration": matcher.calibration,
        "accuracy_by_set": accuracy,
        "anchors": anchor_figures,
        "messages": {
            "total": len(texts),
            "distinct": len(set(texts)),
            "per_set": {s.name: len(s.messages) for s in sets},
        },
        "warm_pass_count": warm_passes,
        **passes.as_json(),
        "warm_median_ms_by_language": _medians(by_language),
        "warm_median_ms_by_action": _medians(by_action),
        "notes": notes,
    }


def _import_training_libraries() -> tuple[object, ...]:
    import scipy.sparse
    import sklearn.svm

    return scipy.sparse, sklearn.svm


def _medians(groups: dict[str, list[float]]) -> dict[str, dict[str, float | int]]:
    return {
        key: {"messages": len(values), "median_ms": round(statistics.median(values), 4)}
        for key, values in sorted(groups.items())
    }


def summary(result: dict[str, Any]) -> str:
    """A readable table of the figures."""
    m = result["messages"]
    lines = [
        f"(a) decide() with the shipped content: {m['total']} messages "
        f"({', '.join(f'{k} {v}' for k, v in m['per_set'].items())}), "
        f"{result['warm_pass_count']} warm passes",
        pass_table(result),
        f"target: median under {result['target_median_ms']} ms; "
        f"warm median {result['warm_passes']['median_ms']:.3f} ms, "
        f"cold median {result['cold_first_pass']['median_ms']:.3f} ms",
        f"matcher build {result['build_seconds']:.2f} s wall, "
        f"{result['build_cpu_seconds']:.2f} s CPU (scikit-learn imported before it in "
        f"{result['sklearn_import_seconds']:.2f} s) "
        f"({result['content']['examples']} examples, {result['matcher']['topics']} topics, "
        f"{result['matcher']['lexicon_forms']} lexicon forms); content load "
        f"{result['content_load_seconds']:.2f} s, morfeusz2 load "
        f"{result['analyser_load_seconds']:.2f} s",
        "warm median by language: "
        + ", ".join(
            f"{k} {v['median_ms']:.3f} ms" for k, v in result["warm_median_ms_by_language"].items()
        ),
        "gates: " + ", ".join(f"{k} {v}" for k, v in result["calibration"].items()),
        *(
            f"  {name:14} in-scope right {r['in_scope_answered_right']:.1%}, out-of-scope held "
            f"{r['out_of_scope_not_answered']:.1%}, wrong {r['wrong_answers']:.1%}"
            for name, r in result["accuracy_by_set"].items()
        ),
        *(
            f"anchor {name}: median {a['time']['median_ms']:.3f} ms, p99 {a['time']['p99_ms']:.3f} "
            f"ms; in-scope right {a['in_scope_answered_right']:.1%}, out-of-scope held "
            f"{a['out_of_scope_not_answered']:.1%}, wrong {a['wrong_answers']:.1%}"
            for name, a in result["anchors"].items()
        ),
        "slowest cold: "
        + "; ".join(f"{s['ms']:.1f} ms {s['text'][:40]!r}" for s in result["slowest_cold"][:3]),
    ]
    lines += [f"note: {n}" for n in result["notes"]]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark from the command line."""
    return run_module(NAME, __doc__.split("\n\n")[0], run, summary, argv)


if __name__ == "__main__":
    raise SystemExit(main())
