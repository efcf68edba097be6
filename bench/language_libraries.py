"""One-off comparison: two PyPI language detectors on the same sets as ours.

Not part of the project's environment (neither library is a dependency), so
it runs in a throwaway virtualenv and imports nothing from the project:

    python3 -m venv /tmp/langlibs
    /tmp/langlibs/bin/pip install py3langid==0.4.0 lingua-language-detector==2.1.1
    /tmp/langlibs/bin/python bench/language_libraries.py py3langid
    /tmp/langlibs/bin/python bench/language_libraries.py lingua

Each library is restricted to Polish, Ukrainian, English and Russian (Russian
reported as unknown, as ``bot.core.language`` does) and read like ours: a
language counts only at or above the threshold. Reported: right per language
and wrong flips on ``bench/data/language_detection.jsonl``, right / wrong /
held on the sets of other authors, the median time per call next to a
Cyrillic-regex anchor, the time to import and build the detector, and the
process's peak RSS (VmHWM) before and after.
"""

from __future__ import annotations

import json
import os
import re
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

DATA = Path(__file__).resolve().parent / "data"
DEV_QUESTIONS = Path(os.environ.get("BENCH_DEV_QUESTIONS", "/work/shared/data/dev_questions.jsonl"))
Detector = Callable[[str], tuple[str | None, float]]


def peak_rss_kib() -> int:
    status = Path("/proc/self/status").read_text(encoding="utf-8")
    match = re.search(r"VmHWM:\s+(\d+)", status)
    return int(match.group(1)) if match else 0


def build(which: str) -> Detector:
    if which == "lingua":
        from lingua import Language, LanguageDetectorBuilder

        codes = {
            Language.POLISH: "pl",
            Language.UKRAINIAN: "uk",
            Language.ENGLISH: "en",
            Language.RUSSIAN: "ru",
        }
        detector = (
            LanguageDetectorBuilder.from_languages(*codes).with_preloaded_language_models().build()
        )

        def lingua_detect(text: str) -> tuple[str | None, float]:
            values = detector.compute_language_confidence_values(text)
            if not values:
                return None, 0.0
            lang = codes[values[0].language]
            return (None if lang == "ru" else lang), values[0].value

        return lingua_detect
    if which == "py3langid":
        from py3langid.langid import MODEL_FILE, LanguageIdentifier

        identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
        identifier.set_languages(["pl", "uk", "en", "ru"])

        def langid_detect(text: str) -> tuple[str | None, float]:
            lang, probability = identifier.classify(text)
            return (None if lang == "ru" else lang), float(probability)

        return langid_detect
    raise SystemExit(f"unknown library {which!r}: lingua or py3langid")


def main(which: str) -> None:
    before = peak_rss_kib()
    started = time.perf_counter()
    detect = build(which)
    detect("dzień dobry")
    build_seconds = time.perf_counter() - started
    rows = [
        json.loads(line)
        for line in (DATA / "language_detection.jsonl").read_text(encoding="utf-8").splitlines()
    ]
    others = [DATA / f"{n}.jsonl" for n in ("holdout", "blind", "blind2", "blind3")]
    others += [DEV_QUESTIONS] if DEV_QUESTIONS.is_file() else []
    for threshold in (0.8, 0.95, 0.99):
        counts: dict[str | None, list[int]] = {
            "pl": [0, 0],
            "uk": [0, 0],
            "en": [0, 0],
            None: [0, 0],
        }
        wrong = 0
        for row in rows:
            lang, confidence = detect(row["text"])
            said = lang if confidence >= threshold else None
            counts[row["lang"]][1] += 1
            if said == row["lang"]:
                counts[row["lang"]][0] += 1
            elif said is not None:
                wrong += 1
        shares = {str(k): f"{right}/{n}" for k, (right, n) in counts.items()}
        print(f"{which} threshold {threshold}: right {shares}; wrong flips {wrong}/{len(rows)}")
        other: dict[str, list[int]] = {"pl": [0, 0, 0], "uk": [0, 0, 0], "en": [0, 0, 0]}
        for path in others:
            for line in path.read_text(encoding="utf-8").splitlines():
                row = json.loads(line)
                label = row.get("lang")
                if label not in other:
                    continue
                lang, confidence = detect(row["text"])
                said = lang if confidence >= threshold else None
                other[label][0 if said == label else 1 if said else 2] += 1
        print(f"  other authors' sets, right / wrong / held: {other}")
    texts = [row["text"] for row in rows]
    anchor = re.compile("[\u0400-\u04ff]")
    timings: dict[str, list[float]] = {"detect": [], "anchor": []}
    for _ in range(5):
        for name, action in (("detect", detect), ("anchor", anchor.search)):
            for text in texts:
                start = time.perf_counter_ns()
                action(text)
                timings[name].append((time.perf_counter_ns() - start) / 1e6)
    print(
        f"{which}: median {statistics.median(timings['detect']):.4f} ms per call "
        f"(anchor {statistics.median(timings['anchor']):.4f} ms); import and build "
        f"{build_seconds:.2f} s; peak RSS {before} -> {peak_rss_kib()} KiB"
    )


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "py3langid")
