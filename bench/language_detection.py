"""Language of a message: accuracy, wrong flips and speed of ``detect_language``.

    .venv/bin/python -m bench.language_detection [--quick] [--output PATH] [--misses]

``--misses`` lists the development split's misses (never the test split's).

Input: ``bench/data/language_detection.jsonl``, one ``{"text", "lang",
"split", "kind"}`` object per line: ``lang`` is "pl", "uk", "en" or null
(the text does not tell: "ok", "kongres", "CKK Jordanki", emoji, numbers,
and Russian, which is not a product language); ``split`` is "dev" (looked at
while the detector was built) or "test" (measured, its misses not read while
tuning); ``kind`` is the language or "unknown" / "ru".

Figures per split, at the recommended threshold
(:data:`bot.core.language.SWITCH_THRESHOLD`) and at a few others:

* **right**: messages of a language detected as it, confidently;
* **held back**: unknown messages reported as unknown (or below threshold);
* **wrong flips**: messages for which the detector would switch the answer
  language wrongly: a confident language other than the label, or any
  confident language for an unknown message (the pessimistic reading: the
  person's setting may be any other language);
* **per length**: right and wrong shares for one-word, two-to-three-word and
  longer messages.

Speed: the median time per call over several passes of every message, timed
call by call with ``perf_counter_ns``, next to an anchor in the same run (one
``re.search`` for a Cyrillic letter, the cheapest script check), plus the
import time of the module and the first call (which parses the trigram table).
"""

from __future__ import annotations

import gc
import importlib
import json
import re
import subprocess
import sys
import time
import tracemalloc
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from bench.datasets import evaluation_sets
from bench.harness import TimingSummary, percent, run_module, table

NAME = "language_detection"
DATA = Path(__file__).resolve().parent / "data" / "language_detection.jsonl"
LANGUAGES = ("pl", "uk", "en")
THRESHOLDS = (0.5, 0.6, 0.7, 0.8, 0.9)

_CYRILLIC = re.compile("[\u0400-\u04ff]")


def read_set(path: Path = DATA) -> list[dict[str, Any]]:
    rows = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if line.strip():
            row = json.loads(line)
            row["line"] = number
            rows.append(row)
    return rows


def _length(text: str) -> str:
    words = len(re.findall(r"[^\W\d_]+", text))
    return "1 word or none" if words <= 1 else "2-3 words" if words <= 3 else "4+ words"


def score(
    rows: Sequence[dict[str, Any]], guesses: Sequence[Any], threshold: float
) -> dict[str, Any]:
    """Right / held back / wrong flip shares of one split at one threshold."""
    per_lang: dict[str, Counter[str]] = {lang: Counter() for lang in (*LANGUAGES, "unknown")}
    per_length: dict[str, Counter[str]] = {}
    misses = []
    for row, guess in zip(rows, guesses, strict=True):
        said = guess.lang if guess.is_confident(threshold) else None
        label = row["lang"]
        key = label or "unknown"
        outcome = "right" if said == label else "wrong" if said is not None else "held"
        per_lang[key][outcome] += 1
        length = per_length.setdefault(_length(row["text"]), Counter())
        length[outcome] += 1
        if outcome != "right":
            misses.append(
                {
                    "line": row["line"],
                    "text": row["text"],
                    "label": label,
                    "said": said,
                    "guess": guess.lang,
                    "confidence": guess.confidence,
                }
            )
    total = sum(sum(c.values()) for c in per_lang.values())
    wrong = sum(c["wrong"] for c in per_lang.values())
    figures: dict[str, Any] = {"messages": total, "wrong_flips": wrong / total if total else 0.0}
    for key, counts in per_lang.items():
        n = sum(counts.values())
        figures[key] = {
            "messages": n,
            "right": counts["right"] / n if n else 0.0,
            "wrong": counts["wrong"] / n if n else 0.0,
        }
    figures["by_length"] = {
        key: {
            "messages": sum(c.values()),
            "right": c["right"] / sum(c.values()),
            "wrong": c["wrong"] / sum(c.values()),
        }
        for key, c in sorted(per_length.items())
    }
    figures["misses"] = misses
    return figures


def other_authors(detect: Callable[[str], Any], threshold: float) -> dict[str, Any]:
    """The topic sets of bench/data and the shared dev questions, by their ``lang`` label.

    Written by other people for the matcher, each message labelled with the
    language it is written in; none of them was read while the detector was
    built. They have no "unknown" label, so a short message such as
    "Kongres dialogu termin" held back counts as held, not wrong.
    """
    sets, notes = evaluation_sets()
    figures: dict[str, Any] = {"notes": notes, "sets": {}}
    total: dict[str, Counter[str]] = {lang: Counter() for lang in LANGUAGES}
    for message_set in sets:
        counts: dict[str, Counter[str]] = {lang: Counter() for lang in LANGUAGES}
        for message in message_set.messages:
            if message.lang not in counts:
                continue
            guess = detect(message.text)
            said = guess.lang if guess.is_confident(threshold) else None
            outcome = "right" if said == message.lang else "wrong" if said else "held"
            counts[message.lang][outcome] += 1
            total[message.lang][outcome] += 1
        figures["sets"][message_set.name] = {lang: dict(c) for lang, c in counts.items()}
    figures["all"] = {lang: dict(c) for lang, c in total.items()}
    return figures


def _time_calls(action: Callable[[str], object], texts: Sequence[str], passes: int) -> list[float]:
    timings: list[float] = []
    clock = time.perf_counter_ns
    for _ in range(passes):
        gc.collect()
        for text in texts:
            started = clock()
            action(text)
            timings.append((clock() - started) / 1e6)
    return timings


# Peak RSS from VmHWM: getrusage's ru_maxrss survives exec, so a child of a
# big parent would report the parent's peak.
_FRESH_PROCESS = """
import re, time
def peak_kib():
    with open("/proc/self/status") as status:
        return int(re.search(r"VmHWM:\\s+(\\d+)", status.read()).group(1))
import bot.core
before = peak_kib()
started = time.perf_counter()
from bot.core.language import detect_language
detect_language("dzień dobry")
seconds = time.perf_counter() - started
print(seconds, before, peak_kib())
"""


def fresh_process_cost() -> dict[str, float]:
    """Import and first call in a new interpreter: seconds and peak RSS growth."""
    done = subprocess.run(
        [sys.executable, "-c", _FRESH_PROCESS],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
        cwd=DATA.parent.parent.parent,
    )
    seconds, before, after = done.stdout.split()
    return {
        "import_and_first_call_seconds": round(float(seconds), 4),
        "peak_rss_before_kib": int(before),
        "peak_rss_growth_kib": int(after) - int(before),
    }


def run(quick: bool) -> dict[str, Any]:
    for module in ("bot.core.language", "bot.core.language_ngrams"):
        sys.modules.pop(module, None)
    tracemalloc.start()
    started = time.perf_counter()
    language = importlib.import_module("bot.core.language")
    import_seconds = time.perf_counter() - started
    started = time.perf_counter()
    language.detect_language("dzień dobry")
    first_call_seconds = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    rows = read_set()
    detect = language.detect_language
    guesses = [detect(row["text"]) for row in rows]
    splits: dict[str, Any] = {}
    for split in ("dev", "test", "all"):
        chosen = [i for i, row in enumerate(rows) if split in {"all", row["split"]}]
        part_rows = [rows[i] for i in chosen]
        part_guesses = [guesses[i] for i in chosen]
        splits[split] = {
            f"{threshold:g}": score(part_rows, part_guesses, threshold) for threshold in THRESHOLDS
        }

    others = other_authors(detect, language.SWITCH_THRESHOLD)
    texts = [row["text"] for row in rows]
    passes = 5 if quick else 20
    detect_ms = TimingSummary.of(_time_calls(detect, texts, passes))
    anchor_ms = TimingSummary.of(_time_calls(_CYRILLIC.search, texts, passes))
    return {
        "data": str(DATA.relative_to(DATA.parent.parent.parent)),
        "threshold": language.SWITCH_THRESHOLD,
        "messages": Counter(f"{row['split']}:{row['kind']}" for row in rows),
        "splits": splits,
        "other_authors": others,
        "speed": {
            "passes": passes,
            "detect_language": detect_ms.as_json(),
            "anchor_cyrillic_regex": anchor_ms.as_json(),
            "ratio_median": round(detect_ms.median_ms / anchor_ms.median_ms, 1),
            "import_seconds": round(import_seconds, 4),
            "first_call_seconds": round(first_call_seconds, 4),
            "import_and_first_call_peak_python_kib": round(peak / 1024, 1),
            "fresh_process": fresh_process_cost(),
        },
    }


def summary(result: dict[str, Any], *, show_misses: bool = False) -> str:
    threshold = f"{result['threshold']:g}"
    lines = [f"Language detection on {result['data']} (threshold {threshold})", ""]
    rows = []
    for split, by_threshold in result["splits"].items():
        f = by_threshold[threshold]
        rows.append(
            [
                f"{split} ({f['messages']})",
                *(f"{percent(f[lang]['right'])} of {f[lang]['messages']}" for lang in LANGUAGES),
                f"{percent(f['unknown']['right'])} of {f['unknown']['messages']}",
                percent(f["wrong_flips"]),
            ]
        )
    lines.append(
        table(["split", "pl right", "uk right", "en right", "unknown held", "wrong flips"], rows)
    )
    lines += ["", "By threshold (test split): pl / uk / en right, unknown held, wrong flips"]
    rows = []
    for value, f in result["splits"]["test"].items():
        rows.append(
            [
                value,
                *(percent(f[lang]["right"]) for lang in LANGUAGES),
                percent(f["unknown"]["right"]),
                percent(f["wrong_flips"]),
            ]
        )
    lines.append(table(["threshold", "pl", "uk", "en", "unknown", "wrong flips"], rows))
    lines += ["", "By length (all messages, at the threshold): right / wrong"]
    by_length = result["splits"]["all"][threshold]["by_length"]
    lines.append(
        table(
            ["length", "messages", "right", "wrong"],
            [
                [key, v["messages"], percent(v["right"]), percent(v["wrong"])]
                for key, v in by_length.items()
            ],
        )
    )
    o = result["other_authors"]
    lines += ["", "Sets of other authors (bench/data topic sets and the shared dev questions):"]
    rows = []
    for name, counts in [*o["sets"].items(), ("all", o["all"])]:
        cells = []
        for lang in LANGUAGES:
            c = counts[lang]
            n = sum(c.values())
            cells.append(f"{c.get('right', 0)}/{n} right, {c.get('wrong', 0)} wrong" if n else "-")
        rows.append([name, *cells])
    lines.append(table(["set", "pl", "uk", "en"], rows))
    lines += [f"  note: {n}" for n in o["notes"]]
    s = result["speed"]
    d, a = s["detect_language"], s["anchor_cyrillic_regex"]
    lines += [
        "",
        f"Speed ({s['passes']} passes, {d['calls']} calls each):",
        table(
            ["", "median", "p90", "p99", "mean"],
            [
                [
                    "detect_language",
                    *(f"{d[k]:.4f} ms" for k in ("median_ms", "p90_ms", "p99_ms", "mean_ms")),
                ],
                [
                    "anchor: Cyrillic regex",
                    *(f"{a[k]:.4f} ms" for k in ("median_ms", "p90_ms", "p99_ms", "mean_ms")),
                ],
            ],
        ),
        f"median ratio {s['ratio_median']}x the anchor; "
        f"import {s['import_seconds'] * 1000:.1f} ms, "
        f"first call {s['first_call_seconds'] * 1000:.1f} ms, "
        f"peak Python allocations {s['import_and_first_call_peak_python_kib']} KiB",
        f"in a new interpreter (after `import bot.core`): import and first call "
        f"{s['fresh_process']['import_and_first_call_seconds'] * 1000:.1f} ms, peak RSS "
        f"+{s['fresh_process']['peak_rss_growth_kib']} KiB "
        f"(from {s['fresh_process']['peak_rss_before_kib']} KiB)",
    ]
    if show_misses:
        # Only the development split: the test split's misses stay unread.
        for split in ("dev",):
            misses = result["splits"][split][threshold]["misses"]
            lines += ["", f"Misses of the {split} split ({len(misses)}):"]
            lines += [
                f"  line {m['line']}: {m['text']!r} label={m['label']} said={m['said']} "
                f"(guess {m['guess']}, {m['confidence']})"
                for m in misses
            ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    show = "--misses" in args
    rest = [a for a in args if a != "--misses"]
    return run_module(
        NAME,
        __doc__.split("\n")[0],
        run,
        lambda result: summary(result, show_misses=show),
        rest,  # the detector does not depend on the hash seed: no re-exec
    )


if __name__ == "__main__":
    sys.exit(main())
