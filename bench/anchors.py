"""Anchors for the matcher's figures: two plain classifiers on the same data, same run.

* **rapidfuzz ratio**: the label of the training example with the highest
  ``fuzz.ratio`` to the normalised message (nearest neighbour, no gates).
* **TF-IDF + LinearSVC**: scikit-learn's ``TfidfVectorizer`` (word 1-2-grams
  plus character 2-5-grams inside words) and ``LinearSVC``, default settings,
  no gates.

Neither ever hands a message over, so their "wrong" share is everything they
do not get right among answered messages; they are a floor for speed and an
anchor for accuracy, not an alternative design (a wrong confident answer is
worse than a handover, which they cannot do).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from bench.harness import TimingSummary
from bot.core.matching import LabelledExample
from bot.core.text import normalise

NONE = "(none)"


def _figures(
    predicted: Sequence[str | None], test: Sequence[LabelledExample]
) -> dict[str, float | int]:
    in_scope = [i for i, ex in enumerate(test) if ex.intent is not None]
    out_scope = [i for i, ex in enumerate(test) if ex.intent is None]
    right = sum(predicted[i] == test[i].intent for i in in_scope)
    held = sum(predicted[i] is None for i in out_scope)
    wrong = sum(p is not None and p != ex.intent for p, ex in zip(predicted, test, strict=True))
    accuracy = sum(p == ex.intent for p, ex in zip(predicted, test, strict=True))
    return {
        "messages": len(test),
        "accuracy": round(accuracy / len(test), 4) if test else 0.0,
        "in_scope_answered_right": round(right / len(in_scope), 4) if in_scope else 0.0,
        "out_of_scope_not_answered": round(held / len(out_scope), 4) if out_scope else 1.0,
        "wrong_answers": round(wrong / len(test), 4) if test else 0.0,
    }


def rapidfuzz_ratio(
    train: Sequence[LabelledExample], test: Sequence[LabelledExample]
) -> dict[str, Any]:
    """Nearest training example by ``fuzz.ratio``; figures and time per message."""
    from rapidfuzz import fuzz, process

    rows = [(normalise(ex.text), ex.intent) for ex in train if not ex.negative]
    texts = [text for text, _label in rows]
    predicted: list[str | None] = []
    timings: list[float] = []
    for ex in test:
        started = time.perf_counter()
        hit = process.extractOne(normalise(ex.text), texts, scorer=fuzz.ratio)
        timings.append((time.perf_counter() - started) * 1000.0)
        predicted.append(rows[hit[2]][1] if hit is not None else None)
    return {**_figures(predicted, test), "time": TimingSummary.of(timings).as_json()}


def tfidf_linear_svc(
    train: Sequence[LabelledExample], test: Sequence[LabelledExample]
) -> dict[str, Any]:
    """TF-IDF (words + character n-grams) and LinearSVC; figures, fit time, time per message."""
    from scipy.sparse import hstack
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.svm import LinearSVC

    rows = [(normalise(ex.text), ex.intent or NONE) for ex in train if not ex.negative]
    started = time.perf_counter()
    words = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True)
    chars = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True)
    texts = [text for text, _label in rows]
    matrix = hstack([words.fit_transform(texts), chars.fit_transform(texts)]).tocsr()
    svm = LinearSVC(random_state=0).fit(matrix, [label for _text, label in rows])
    fit_seconds = time.perf_counter() - started
    predicted: list[str | None] = []
    timings: list[float] = []
    for ex in test:
        begun = time.perf_counter()
        text = [normalise(ex.text)]
        label = str(svm.predict(hstack([words.transform(text), chars.transform(text)]))[0])
        timings.append((time.perf_counter() - begun) * 1000.0)
        predicted.append(None if label == NONE else label)
    return {
        **_figures(predicted, test),
        "fit_seconds": round(fit_seconds, 3),
        "time": TimingSummary.of(timings).as_json(),
    }


def both(train: Sequence[LabelledExample], test: Sequence[LabelledExample]) -> dict[str, Any]:
    """Both anchors on the same split."""
    return {
        "rapidfuzz_ratio": rapidfuzz_ratio(train, test),
        "tfidf_linear_svc": tfidf_linear_svc(train, test),
    }
