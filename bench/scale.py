"""(b) The matcher at scale: ~13,000 examples over ~190 topics.

Generates the synthetic Polish set of :mod:`bench.synthetic` (fixed seed),
writes it to bench/results/synthetic/, builds the matcher from the training
part as ``torun-bot eval --train`` does, and on the ~2,000 held-out messages
reports the build time, the time per message (cold first pass and warm
passes; target: a median under 2 ms) and the accuracy figures of
:func:`bot.evaluation.evaluate`, also per kind of message (folded, typo, …).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from bench.harness import (
    loaded_analyzer,
    matcher_size,
    measure_passes,
    pass_table,
    percent,
    run_module,
    table,
    timed,
)
from bench.synthetic import (
    QUICK_CONFIG,
    SyntheticConfig,
    SyntheticExample,
    generate,
    output_dir,
    write_set,
)
from bot.core.matching import Action, Decision, IntentMatcher
from bot.evaluation import evaluate

NAME = "scale"
TARGET_MEDIAN_MS = 2.0
WARM_PASSES = 3
QUICK_WARM_PASSES = 1

#: Kinds of test message reported apart: (name, which examples).
KINDS: tuple[tuple[str, Callable[[SyntheticExample], bool]], ...] = (
    ("in scope, as typed", lambda e: e.intent is not None and not (e.folded or e.typo)),
    ("in scope, folded", lambda e: e.intent is not None and e.folded),
    ("in scope, with a typo", lambda e: e.intent is not None and e.typo),
    ("in scope, with a context word", lambda e: e.intent is not None and e.context),
    ("out of scope, trained words", lambda e: e.intent is None and not e.novel),
    ("out of scope, new words", lambda e: e.intent is None and e.novel),
)


def run(quick: bool = False) -> dict[str, Any]:
    """Generate the set, build, time and evaluate; return the figures."""
    config = QUICK_CONFIG if quick else SyntheticConfig()
    warm_passes = QUICK_WARM_PASSES if quick else WARM_PASSES
    dataset, generate_seconds = timed(generate, config)
    train_path, test_path = write_set(dataset, output_dir(quick))
    train = [e.labelled() for e in dataset.train]
    test = [e.labelled() for e in dataset.test]

    analyzer, analyser_seconds = timed(loaded_analyzer, "morfeusz2")
    matcher, build_wall = timed(IntentMatcher.build, train, analyzer=analyzer)
    passes = measure_passes(matcher, [e.text for e in test], warm_passes)
    report = evaluate(matcher, test, build_seconds=matcher.build_seconds)

    return {
        "target_median_ms": TARGET_MEDIAN_MS,
        "dataset": dataset.stats(),
        "files": {"train": str(train_path), "test": str(test_path)},
        "generate_seconds": round(generate_seconds, 3),
        "analyser_load_seconds": round(analyser_seconds, 3),
        "build_seconds": round(matcher.build_seconds, 3),
        "calibration": matcher.calibration,
        "build_wall_seconds": round(build_wall, 3),
        "matcher": matcher_size(matcher),
        "warm_pass_count": warm_passes,
        **passes.as_json(),
        "accuracy": report.as_json(),
        "by_kind": _by_kind(dataset.test, passes.decisions),
    }


def _by_kind(
    examples: Sequence[SyntheticExample], decisions: Sequence[Decision]
) -> dict[str, dict[str, float | int]]:
    """Right share per kind: the right topic in scope, no answer out of scope."""
    out: dict[str, dict[str, float | int]] = {}
    for name, belongs in KINDS:
        pairs = [(e, d) for e, d in zip(examples, decisions, strict=True) if belongs(e)]
        right = sum(
            (d.action is not Action.ANSWER)
            if e.intent is None
            else (d.action is Action.ANSWER and d.intent == e.intent)
            for e, d in pairs
        )
        wrong = sum(d.action is Action.ANSWER and d.intent != e.intent for e, d in pairs)
        out[name] = {
            "messages": len(pairs),
            "right": round(right / len(pairs), 4) if pairs else 0.0,
            "wrong_answer": round(wrong / len(pairs), 4) if pairs else 0.0,
        }
    return out


def summary(result: dict[str, Any]) -> str:
    """A readable table of the figures."""
    data, acc = result["dataset"], result["accuracy"]
    kinds = [
        [name, v["messages"], percent(v["right"]), percent(v["wrong_answer"])]
        for name, v in result["by_kind"].items()
    ]
    return "\n".join(
        [
            f"(b) synthetic set: {data['topics']} topics, train {data['train']['messages']}, "
            f"test {data['test']['messages']} (seed {data['seed']}, "
            f"fingerprint {data['fingerprint']})",
            f"matcher build {result['build_seconds']:.2f} s "
            f"({result['matcher']['terms']} terms, {result['matcher']['lexicon_forms']} "
            f"lexicon forms, {result['matcher']['classifier_features']} classifier features); "
            f"set generated in {result['generate_seconds']:.1f} s",
            pass_table(result),
            f"target: median under {result['target_median_ms']} ms",
            f"in-scope answered right {percent(acc['in_scope_answered_right'])}, "
            f"out-of-scope not answered {percent(acc['out_of_scope_not_answered'])}, "
            f"wrong answers {percent(acc['wrong_answers'])}, "
            f"clarify {percent(acc['clarify_share'])}",
            table(["kind of test message", "n", "right", "wrong answer"], kinds),
        ]
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark from the command line."""
    return run_module(NAME, __doc__.split("\n\n")[0], run, summary, argv)


if __name__ == "__main__":
    raise SystemExit(main())
