"""Choosing the matcher's gates by cross-validation on its own training examples.

The examples of ``intents/`` are split into folds (stratified by topic, with a
fixed seed); a matcher is trained on all folds but one and scores the one held
out, so every example gets the scores of a matcher that never saw it. From
those *out-of-fold* scores the matcher fits the classifier's temperature
(:func:`bot.core.classifier.fit_temperature`) and this module picks the
blend of classifier and similarity and the answer gates that maximise

    right answers - wrong_cost * wrong answers

over a fixed grid (a wrong confident answer costs ``wrong_cost`` handovers;
out-of-scope examples answered with any topic count as wrong, weighted up to
the share of such messages expected in real traffic). No labelled
measurement set is involved: the same examples in, the same gates out.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from bot.core.classifier import softmax

if TYPE_CHECKING:
    from bot.core.matching import Thresholds

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

#: The grid searched, gate by gate (every combination is tried, for each share
#: of the classifier in the blended confidence).
CLASSIFIER_SHARE_GRID = (0.5, 0.7, 0.85)
#: The grids start at the default gates: the folds see only the kinds of
#: out-of-scope message that the examples hold, so they would open the gates
#: wider than is safe wherever those are few (on the synthetic set of bench/,
#: answer 0.3 and margin 0.4 answered 24% of out-of-scope messages made of
#: new words).
ANSWER_GRID = (0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9)
MARGIN_GRID = (0.15, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)
# The similarity and coverage gates are not searched: they are what holds
# back questions about things no example mentions (their unknown words pull
# both down), and held-out examples, drawn from the same files as the
# training ones, cannot judge that. Searched, the folds always asked for them
# lower (similarity 0.05, coverage 0.3), and on the synthetic set of bench/
# 24% of out-of-scope messages made of new words were then answered.


def stratified_folds(labels: Sequence[int], k: int, seed: int) -> list[IntArray]:
    """Indices of ``k`` folds, each label's rows dealt round-robin after a seeded shuffle."""
    rng = np.random.default_rng(seed)
    folds: list[list[int]] = [[] for _ in range(k)]
    by_label: dict[int, list[int]] = {}
    for i, label in enumerate(labels):
        by_label.setdefault(label, []).append(i)
    offset = 0
    for label in sorted(by_label):
        rows = np.array(by_label[label], dtype=np.int64)
        rng.shuffle(rows)
        for j, row in enumerate(rows.tolist()):
            folds[(offset + j) % k].append(row)
        offset += len(rows)
    return [np.array(sorted(f), dtype=np.int64) for f in folds]


@dataclass
class OutOfFold:
    """Per held-out example: what the matcher saw, as arrays (rows = examples)."""

    #: the expected label of each row
    label: IntArray
    #: the classifier's raw scores (rows x labels)
    scores: FloatArray
    #: the softmax over similarities (rows x labels)
    similarity_soft: FloatArray
    #: the similarity of each label (rows x labels)
    similarity: FloatArray
    #: the best example's similarity of each label (rows x labels)
    best_example: FloatArray
    coverage: FloatArray
    content_words: IntArray
    #: the message had no term at all (never answered)
    no_terms: npt.NDArray[np.bool_]
    #: its only content word is spread over several topics (answered only as a set phrase)
    broad: npt.NDArray[np.bool_]


@dataclass(frozen=True)
class TuningResult:
    """The gates, blend and temperature chosen, with their out-of-fold figures."""

    thresholds: Thresholds
    classifier_share: float
    temperature: float
    right: int
    wrong: int
    in_scope: int
    out_of_scope: int
    out_of_scope_answered: int

    def as_json(self) -> dict[str, object]:
        """The figures for reports and the model cache."""
        t = self.thresholds
        total = self.in_scope + self.out_of_scope
        return {
            "temperature": round(self.temperature, 6),
            "classifier_share": self.classifier_share,
            "answer": t.answer,
            "margin": t.margin,
            "similarity": t.similarity,
            "cv_in_scope_right": round(self.right / self.in_scope, 4) if self.in_scope else 0.0,
            "cv_out_of_scope_not_answered": round(
                1.0 - self.out_of_scope_answered / self.out_of_scope, 4
            )
            if self.out_of_scope
            else 1.0,
            "cv_wrong": round(self.wrong / total, 4) if total else 0.0,
            "cv_in_scope": self.in_scope,
            "cv_out_of_scope": self.out_of_scope,
        }


def choose(
    oof: OutOfFold,
    base: Thresholds,
    *,
    temperature: float,
    oos_label: int,
    wrong_cost: float,
    out_of_scope_share: float,
) -> TuningResult:
    """The blend and gates that score best on the out-of-fold rows.

    Out-of-scope rows are weighted so that they make ``out_of_scope_share`` of
    the total, as in real traffic (the examples hold far fewer of them).
    """
    probabilities = softmax(oof.scores, temperature)
    n = oof.label.size
    rows = np.arange(n)
    in_scope = oof.label != oos_label
    n_in, n_out = int(np.count_nonzero(in_scope)), int(np.count_nonzero(~in_scope))
    oos_weight = (out_of_scope_share / (1.0 - out_of_scope_share)) * n_in / n_out if n_out else 0.0
    shape = (len(CLASSIFIER_SHARE_GRID), len(ANSWER_GRID), len(MARGIN_GRID))
    scores = np.zeros(shape)
    results: dict[tuple[int, ...], TuningResult] = {}
    for i, share in enumerate(CLASSIFIER_SHARE_GRID):
        confidence = share * probabilities + (1.0 - share) * oof.similarity_soft
        confidence[oof.no_terms] = 0.0
        confidence[oof.no_terms, oos_label] = 1.0
        topics = confidence.copy()
        topics[:, oos_label] = -1.0
        order = np.argsort(-topics, axis=1, kind="stable")
        top = order[:, 0]
        c1 = topics[rows, top]
        c2 = np.maximum(topics[rows, order[:, 1]], 0.0) if topics.shape[1] > 2 else np.zeros(n)
        similarity = oof.similarity[rows, top]
        best_example = oof.best_example[rows, top]
        meaningful = (oof.content_words > 0) | (best_example >= base.set_phrase)
        blocked = oof.no_terms | (oof.broad & (best_example < base.broad_set_phrase))
        covered = (oof.coverage >= base.coverage) | (
            (c1 >= base.strong_answer) & (oof.coverage >= base.strong_coverage)
        )
        possible = (confidence[rows, oos_label] < c1) & meaningful & ~blocked & covered
        possible &= similarity >= base.similarity
        good = (top == oof.label) & in_scope
        bad_in = in_scope & ~good
        for (j, answer), (k, margin) in itertools.product(
            enumerate(ANSWER_GRID), enumerate(MARGIN_GRID)
        ):
            answered = possible & (c1 >= answer) & (c1 - c2 >= margin)
            right = int(np.count_nonzero(answered & good))
            wrong_in = int(np.count_nonzero(answered & bad_in))
            wrong_out = int(np.count_nonzero(answered & ~in_scope))
            scores[i, j, k] = right - wrong_cost * (wrong_in + oos_weight * wrong_out)
            results[(i, j, k)] = TuningResult(
                thresholds=replace(base, answer=answer, margin=margin),
                classifier_share=share,
                temperature=temperature,
                right=right,
                wrong=wrong_in + wrong_out,
                in_scope=n_in,
                out_of_scope=n_out,
                out_of_scope_answered=wrong_out,
            )
    # The best point of the grid after averaging each point with its neighbours
    # (one step along every gate): a plateau, not a spike that one example more
    # or less would move. Ties go to the later, stricter point.
    smoothed = _neighbourhood_mean(scores)
    flat = np.flatnonzero(smoothed == smoothed.max())[-1]
    best = tuple(int(x) for x in np.unravel_index(flat, shape))
    return results[best]


def _neighbourhood_mean(scores: FloatArray) -> FloatArray:
    """The mean of each point and its neighbours one step away along the gate axes.

    The first axis (the classifier's share) is not smoothed: each share is a
    different confidence, not a neighbouring gate.
    """
    total = np.zeros_like(scores)
    count = np.zeros_like(scores)
    for shift in itertools.product((-1, 0, 1), repeat=scores.ndim - 1):
        moved = scores
        valid = np.ones_like(scores, dtype=np.bool_)
        for axis, step in enumerate(shift, start=1):
            if step:
                moved = np.roll(moved, step, axis=axis)
                edge = [slice(None)] * scores.ndim
                edge[axis] = slice(0, 1) if step > 0 else slice(-1, None)
                mask = np.ones_like(scores, dtype=np.bool_)
                mask[tuple(edge)] = False
                valid &= mask
        total += np.where(valid, moved, 0.0)
        count += valid
    return total / count
