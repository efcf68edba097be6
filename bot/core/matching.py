"""Topic matching: a message in, a decision out (answer, clarify or handoff).

How a message is scored:

1. The message is normalised and every token mapped to a *term* through the
   :class:`~bot.core.morphology.Lexicon` (inflection, missing diacritics and
   typos are absorbed there). Tokens the lexicon does not know stay as
   *unknown* words: a content word the knowledge base has never seen is
   evidence that the question is about something else.
2. **Similarity.** Each term has a weight (an IDF over topics: "kongres"
   weighs more than "jak"); a word that can be several lemmas keeps every
   reading but weighs once, as its heaviest reading, shared among them (in
   the examples as in the message). The message is compared with every
   example and with each topic's profile (weighted cosine, computed sparsely
   with numpy).
   Unknown content words stay in the message's norm and pull every
   similarity down, so this score also says how well the message is covered
   by anything the assistant knows.
3. **Classifier.** A linear SVM over words, lemmas, lemma bigrams and
   character n-grams (:mod:`bot.core.classifier`), trained at build time on
   the examples, tells sibling topics apart ("kiedy" vs "gdzie" Kongres) and
   learns which words point away from every topic. Out-of-scope examples and
   each topic's negative examples train the "none" class. Its scores become
   probabilities through a temperature fitted on held-out examples.
4. The two are blended into a 0..1 confidence per topic.
5. Gates as in Rasa's fallback: the best topic must reach a threshold and
   beat the second-best by a margin, and its similarity must show that the
   message is in the knowledge base's vocabulary at all (a message made only
   of function words passes only as a topic's set phrase). Otherwise the two
   best topics are offered (clarify) when both are plausible, or the message
   is handed over. The answer gates are chosen at build time by
   cross-validation on the examples themselves (:mod:`bot.core.tuning`).
6. **Long messages.** A message of several sentences is also scored by its
   question part (:func:`bot.core.text.question_part`): a polite e-mail with
   context first gets the decision of its question sentence when that one is
   answered on its own, then of the question with the sentence before it,
   then of the whole message. A part's answer stands only when the whole
   message ranks the same topic first; otherwise the parts and the whole are
   judged together (their confidences averaged), so a vague question ("kiedy
   to będzie?") is not answered with a topic its context does not speak of.
"""

from __future__ import annotations

import logging
import math
import time
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from enum import StrEnum
from typing import Any

import numpy as np
import numpy.typing as npt

from bot.core import classifier as linear
from bot.core import tuning as cv
from bot.core.morphology import Analyzer, Lexicon, make_analyzer
from bot.core.text import message_parts, words

logger = logging.getLogger(__name__)

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


class Action(StrEnum):
    """What the assistant does with a message."""

    ANSWER = "answer"
    CLARIFY = "clarify"
    HANDOFF = "handoff"


@dataclass(frozen=True)
class Alternative:
    """A candidate topic with its confidence."""

    intent: str
    confidence: float


@dataclass(frozen=True)
class Decision:
    """The outcome of matching one message.

    ``intent`` is None unless the action is ``answer``: "no match" is a value,
    never the best of unrelated candidates.
    """

    action: Action
    intent: str | None
    confidence: float
    alternatives: tuple[Alternative, ...] = ()
    #: the message is in the topics' vocabulary (covered, with content words,
    #: not out of scope) although no single topic passed the gates
    in_vocabulary: bool = False


@dataclass(frozen=True)
class LabelledExample:
    """One training phrase: its text and topic (None = out of scope)."""

    text: str
    intent: str | None
    negative: bool = False


@dataclass(frozen=True)
class Thresholds:
    """The gates of the decision (all on the 0..1 confidence).

    The defaults are used as they are only where cross-validation is not
    possible (too few examples) or thresholds are given explicitly; otherwise
    ``answer`` and ``margin`` are chosen at build time on the training
    examples (:mod:`bot.core.tuning`).
    """

    #: gate 1: the best topic's confidence
    answer: float = 0.55
    #: gate 2: how far the best topic must be ahead of the second
    margin: float = 0.15
    #: the best topic's similarity: below it the message is not in our vocabulary
    similarity: float = 0.25
    #: share of the message's content words (by weight) that belong to the
    #: vocabulary of some topic; below it the message is about something else
    coverage: float = 0.6
    #: …unless the best topic is this sure, when this lower coverage suffices
    strong_answer: float = 0.7
    strong_coverage: float = 0.4
    #: clarify: the two best topics together, and each of them at least
    clarify_pair: float = 0.6
    clarify_each: float = 0.2
    #: …and the similarity of the weaker of the two, as a share of ``similarity``
    #: (the stronger must reach ``similarity`` itself)
    clarify_similarity: float = 0.8
    #: a message without a single content word ("o co", "dla") is in the
    #: vocabulary only when it is this close to one example of the topic as a
    #: whole: a set phrase such as "who are you?"
    set_phrase: float = 0.8
    #: a word many topics use is answered only when it is one of a topic's
    #: examples as it stands ("pomoc", "hej"), not merely close to one
    #: ("kongres" to "kongres gdzie")
    broad_set_phrase: float = 0.95


@dataclass(frozen=True)
class Tuning:
    """How the matcher is built (kept apart from the gates; see bench/)."""

    #: share of the topic profile in the similarity (the rest: best example)
    profile_share: float = 0.35
    #: share of the classifier in the blend (the rest: softmax of similarities);
    #: chosen by the cross-validation when it runs, this value otherwise
    classifier_share: float = 0.5
    #: sharpness of the softmax over similarities
    similarity_temperature: float = 20.0
    #: in that softmax, "none of the topics" scores at least this similarity, so
    #: a message that resembles nothing well goes to none rather than to the
    #: least bad topic
    similarity_floor: float = 0.3
    #: regularisation of the linear SVM (scikit-learn's C). Chosen by the same
    #: cross-validation on the shipped intents (2026-12-02): C 0.25 / 0.5 / 1 /
    #: 2 / 4 scored 1769 / 1840 / 1878 / 1907 / 1881 on the gates' objective
    #: (with the similarity gate still searched then)
    svm_c: float = 2.0
    #: the SVM's stopping tolerance (1e-2: 40% faster than scikit-learn's 1e-4
    #: on the shipped intents, weights within 0.003 of it)
    svm_tol: float = 1e-2
    #: folds of the cross-validation that chooses the gates
    folds: int = 4
    #: fewest examples per label (on average) for cross-validation to be worth
    #: it; with fewer, a held-out fold is a handful of messages per topic and the
    #: gates it picks are noise, so the defaults are used
    min_examples_per_label: int = 20
    #: the classifier's temperature when it cannot be fitted by cross-validation
    #: (near the values fitted on the shipped intents on 2026-12-02: 0.15-0.19)
    default_temperature: float = 0.15
    #: in the choice of the gates, one wrong answer costs as much as this many
    #: handovers
    wrong_cost: float = 5.0
    #: share of messages about none of the topics expected in real traffic (the
    #: cross-validation weighs the out-of-scope examples up to it)
    out_of_scope_share: float = 0.25
    #: a message whose only content word is spread over several topics, none
    #: of which has this share of the examples using it ("kongres", "ngo"),
    #: names an area, not a question: it is never answered, and its guesses go
    #: to the assistant, which offers the area's topics
    broad_word_focus: float = 0.5
    seed: int = 7


OUT_OF_SCOPE = "\x00none"


@dataclass(repr=False)
class _Postings:
    """Sparse rows by term: for each term, the rows using it and their weights."""

    terms: dict[int, tuple[IntArray, FloatArray]]

    @classmethod
    def of(cls, vectors: Sequence[dict[int, float]]) -> _Postings:
        lists: dict[int, tuple[list[int], list[float]]] = defaultdict(lambda: ([], []))
        for row, vec in enumerate(vectors):
            for t, w in vec.items():
                lists[t][0].append(row)
                lists[t][1].append(w)
        return cls(
            {
                t: (np.array(r, dtype=np.int64), np.array(w, dtype=np.float64))
                for t, (r, w) in lists.items()
            }
        )

    def arrays(self, prefix: str) -> dict[str, npt.NDArray[Any]]:
        """The postings as three flat arrays (for the model cache)."""
        keys = sorted(self.terms)
        lengths = [len(self.terms[t][0]) for t in keys]
        rows = [self.terms[t][0] for t in keys]
        values = [self.terms[t][1] for t in keys]
        return {
            f"{prefix}_terms": np.array(keys, dtype=np.int64),
            f"{prefix}_lengths": np.array(lengths, dtype=np.int64),
            f"{prefix}_rows": np.concatenate(rows) if rows else np.zeros(0, dtype=np.int64),
            f"{prefix}_values": np.concatenate(values) if values else np.zeros(0),
        }

    @classmethod
    def from_arrays(cls, arrays: Mapping[str, npt.NDArray[Any]], prefix: str) -> _Postings:
        terms = arrays[f"{prefix}_terms"].tolist()
        ends = np.cumsum(arrays[f"{prefix}_lengths"])
        starts = ends - arrays[f"{prefix}_lengths"]
        rows = arrays[f"{prefix}_rows"].astype(np.int64)
        values = arrays[f"{prefix}_values"].astype(np.float64)
        return cls(
            {
                t: (rows[s:e], values[s:e])
                for t, s, e in zip(terms, starts.tolist(), ends.tolist(), strict=True)
            }
        )


@dataclass(repr=False)
class _Index:
    labels: list[str]
    label_of_row: IntArray
    row_norm: FloatArray
    postings: _Postings
    profile_postings: _Postings
    profile_norm: FloatArray
    negative_postings: _Postings
    negative_label: IntArray
    negative_norm: FloatArray
    #: first row of each label's run in ``label_of_row`` (rows are sorted by label)
    label_starts: IntArray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))

    def __post_init__(self) -> None:
        if self.label_of_row.size:
            self.label_starts = np.flatnonzero(np.r_[True, np.diff(self.label_of_row) != 0])


@dataclass(frozen=True)
class _Parsed:
    """A text read through the lexicon: its words, their readings, the classifier's view."""

    words: tuple[tuple[str, str], ...]
    readings: tuple[frozenset[str], ...]
    tokens: tuple[linear.Token, ...]

    @property
    def features(self) -> dict[str, float]:
        """The classifier's feature counts (for training)."""
        return linear.feature_counts(self.tokens)


def _parse(lexicon: Lexicon, text: str) -> _Parsed:
    pairs = tuple(words(text))
    readings = tuple(lexicon.terms(token, raw) for raw, token in pairs)
    tokens = tuple(
        linear.Token(token, tuple(sorted(lemmas)))
        for (_raw, token), lemmas in zip(pairs, readings, strict=True)
    )
    return _Parsed(pairs, readings, tokens)


@dataclass
class _Query:
    """A message turned into terms, unknown-word mass and the classifier's words."""

    terms: list[int]
    unknown_mass: float
    tokens: tuple[linear.Token, ...]
    #: share of the content words' weight that is topic vocabulary (0..1)
    coverage: float = 0.0
    #: known words that are not function words ("kongres", "hej"; not "o", "dla")
    content_words: int = 0
    #: the weight of each of ``terms`` in this message (see :func:`_word_vector`)
    term_weights: FloatArray = field(default_factory=lambda: np.zeros(0))
    #: the message's only content word is one that many topics use
    broad: bool = False


@dataclass
class _Signals:
    """Everything the gates look at for one message."""

    confidence: FloatArray
    similarity: FloatArray
    best_example: FloatArray
    coverage: float
    content_words: int
    no_terms: bool
    broad: bool = False


@dataclass(repr=False)
class IntentMatcher:
    """Scores messages against labelled examples and decides what to do."""

    lexicon: Lexicon
    thresholds: Thresholds
    tuning: Tuning
    term_ids: dict[str, int]
    weights: FloatArray
    unknown_weight: float
    index: _Index
    classifier: linear.LinearModel
    #: per term: used by the examples of at least one topic (not only out of scope)
    topic_terms: npt.NDArray[np.bool_]
    #: per term: the share of the topic examples using it that belong to the
    #: topic using it most (1.0: one topic's word)
    term_focus: FloatArray
    build_seconds: float = 0.0
    #: how the gates were chosen: the cross-validation's figures, or why not
    calibration: dict[str, object] = field(default_factory=dict)
    _topics: tuple[str, ...] = field(default_factory=tuple)

    # ------------------------------------------------------------------ build
    @classmethod
    def build(
        cls,
        examples: Iterable[LabelledExample],
        *,
        analyzer: Analyzer | None = None,
        thresholds: Thresholds | None = None,
        tuning: Tuning | None = None,
    ) -> IntentMatcher:
        """Build a matcher from labelled examples (from intents/ or any dataset).

        Without ``thresholds`` the answer gates are chosen by cross-validation
        on ``examples`` (when there are enough of them).
        """
        started = time.perf_counter()
        tuning = tuning or Tuning()
        examples = list(examples)
        analyzer = analyzer if analyzer is not None else make_analyzer()
        raw_words = [raw for ex in examples for raw, _folded in words(ex.text)]
        lexicon = Lexicon.build(raw_words, analyzer)
        parsed = [(ex, _parse(lexicon, ex.text)) for ex in examples]
        parsed = [(ex, p) for ex, p in parsed if p.words]
        table = linear.FeatureTable.of([p.features for _ex, p in parsed])
        labels = sorted({ex.intent or OUT_OF_SCOPE for ex, _p in parsed if not ex.negative})
        if OUT_OF_SCOPE not in labels:
            labels.append(OUT_OF_SCOPE)  # negatives train it even without out-of-scope examples
        if not any(not ex.negative for ex, _p in parsed):
            raise ValueError("no usable examples to build a matcher from")

        oof = _out_of_fold(parsed, table, lexicon, labels, tuning)
        temperature = tuning.default_temperature
        calibration: dict[str, object] = {}
        if oof is not None:
            temperature = linear.fit_temperature(oof.scores, oof.label.tolist())
            calibration["temperature"] = round(temperature, 6)
        if thresholds is not None:
            calibration["thresholds"] = "given"
        elif oof is None or oof.label.size < tuning.min_examples_per_label * len(labels):
            thresholds = Thresholds()
            calibration["thresholds"] = "defaults (too few examples to cross-validate the gates)"
        else:
            result = cv.choose(
                oof,
                Thresholds(),
                temperature=temperature,
                oos_label=labels.index(OUT_OF_SCOPE),
                wrong_cost=tuning.wrong_cost,
                out_of_scope_share=tuning.out_of_scope_share,
            )
            thresholds = result.thresholds
            tuning = replace(tuning, classifier_share=result.classifier_share)
            calibration.update({"thresholds": "cross-validated", **result.as_json()})
        everything = list(range(len(parsed)))
        matcher = _fit(parsed, everything, table, lexicon, labels, tuning, thresholds, temperature)
        matcher.calibration = calibration
        matcher.build_seconds = time.perf_counter() - started
        logger.info(
            "matcher built: %d examples, %d topics, %d terms in %.2fs",
            len(parsed),
            len(matcher._topics),
            len(matcher.term_ids),
            matcher.build_seconds,
        )
        return matcher

    @property
    def topics(self) -> tuple[str, ...]:
        """The topic ids this matcher can answer with."""
        return self._topics

    def __repr__(self) -> str:
        return (
            f"IntentMatcher({len(self._topics)} topics, {len(self.term_ids)} terms, "
            f"built in {self.build_seconds:.2f}s)"
        )

    # ------------------------------------------------------------------ query
    def _query(self, text: str) -> _Query:
        return self._query_parsed(_parse(self.lexicon, text))

    def _query_parsed(self, parsed: _Parsed) -> _Query:
        readings: list[list[int]] = []
        unknown: set[str] = set()
        topic_mass = content_mass = 0.0
        content_words = 0
        focus = 1.0
        for (raw, token), lemmas in zip(parsed.words, parsed.readings, strict=True):
            ids = [term_id for term in lemmas if (term_id := self.term_ids.get(term)) is not None]
            function_word = self.lexicon.is_function_word(token, raw)
            if ids:
                if not function_word:
                    content_words += 1
                    focus = min(focus, float(self.term_focus[ids].max()))
                readings.append(ids)
                # One weight per word, however many lemmas it may be.
                weight = float(self.weights[ids].max()) ** 2
                content_mass += weight
                if self.topic_terms[ids].any():
                    topic_mass += weight
            elif not function_word and len(token) > 1:
                unknown.add(token)
                scale = 0.35 if token.isdigit() or len(token) <= 2 else 1.0
                content_mass += (self.unknown_weight * scale) ** 2
        unknown_mass = 0.0
        for token in unknown:
            # Numbers and very short tokens say little about the topic.
            scale = 0.35 if token.isdigit() or len(token) <= 2 else 1.0
            unknown_mass += (self.unknown_weight * scale) ** 2
        coverage = topic_mass / content_mass if content_mass else 0.0
        vector = _word_vector(readings, self.weights)
        terms = sorted(vector)
        weights = np.array([vector[t] for t in terms], dtype=np.float64)
        broad = content_words == 1 and not unknown and focus < self.tuning.broad_word_focus
        return _Query(terms, unknown_mass, parsed.tokens, coverage, content_words, weights, broad)

    def similarities(self, text: str) -> dict[str, float]:
        """The 0..1 similarity of the message to every label's examples."""
        combined, _best_example = self._similarities(self._query(text))
        return dict(zip(self.index.labels, combined, strict=True))

    def _similarities(self, query: _Query) -> tuple[FloatArray, FloatArray]:
        """Per label: the blended similarity, and the similarity of its best example."""
        idx = self.index
        n_labels = len(idx.labels)
        terms = query.terms
        if not terms:
            return np.zeros(n_labels), np.zeros(n_labels)
        q_weights = query.term_weights
        q_norm = math.sqrt(float(np.sum(q_weights**2)) + query.unknown_mass)

        example_sim = _cosine(terms, q_weights, idx.postings, idx.row_norm, q_norm)
        best_example = np.zeros(n_labels)
        if example_sim.size:
            starts = idx.label_starts
            best_example[idx.label_of_row[starts]] = np.maximum.reduceat(example_sim, starts)

        profile_sim = _cosine(terms, q_weights, idx.profile_postings, idx.profile_norm, q_norm)
        share = self.tuning.profile_share
        combined = (1.0 - share) * best_example + share * profile_sim

        if idx.negative_label.size:
            neg_sim = _cosine(terms, q_weights, idx.negative_postings, idx.negative_norm, q_norm)
            worst = np.zeros(n_labels)
            np.maximum.at(worst, idx.negative_label, neg_sim)
            # A topic whose negative example fits better than its positives is
            # pushed down by the difference; the negative example also speaks
            # for "none of the topics".
            combined = combined - 1.5 * np.clip(worst - best_example, 0.0, None)
            oos = idx.labels.index(OUT_OF_SCOPE)
            combined[oos] = max(combined[oos], float(worst.max()))
        return np.asarray(np.clip(combined, 0.0, 1.0), dtype=np.float64), best_example

    def _similarity_softmax(self, similarity: FloatArray) -> FloatArray:
        floored = similarity.copy()
        oos = self.index.labels.index(OUT_OF_SCOPE)
        floored[oos] = max(floored[oos], self.tuning.similarity_floor)
        z = floored * self.tuning.similarity_temperature
        z -= z.max()
        soft = np.exp(z)
        return np.asarray(soft / soft.sum(), dtype=np.float64)

    def scores(self, text: str) -> dict[str, float]:
        """The blended 0..1 confidence of every label (out of scope under OUT_OF_SCOPE)."""
        signals = self._signals(self._query(text))
        return dict(zip(self.index.labels, signals.confidence.tolist(), strict=True))

    def _signals(self, query: _Query) -> _Signals:
        similarity, best_example = self._similarities(query)
        oos = self.index.labels.index(OUT_OF_SCOPE)
        no_terms = not query.terms
        if no_terms:
            # Nothing we know: certainly none of the topics.
            confidence = np.zeros(len(self.index.labels))
            confidence[oos] = 1.0
        else:
            share = self.tuning.classifier_share
            probabilities = self.classifier.probabilities(query.tokens)
            soft = self._similarity_softmax(similarity)
            confidence = share * probabilities + (1.0 - share) * soft
        return _Signals(
            confidence,
            similarity,
            best_example,
            query.coverage,
            query.content_words,
            no_terms,
            query.broad,
        )

    def decide(self, text: str) -> Decision:
        """Match a message and apply the gates; a long message by its question part first."""
        parts = message_parts(text)
        whole_signals = self._signals(self._query(text))
        whole = self._gate(whole_signals)
        if not parts:
            return whole
        signals = [self._signals(self._query(part)) for part in parts]
        decisions = [self._gate(s) for s in signals]
        decisions.append(whole)
        for action in (Action.ANSWER, Action.CLARIFY):
            for decision in decisions:
                if decision.action is action:
                    if action is Action.ANSWER and not self._agrees(decision, whole_signals):
                        return self._gate(_fused([*signals, whole_signals]))
                    return decision
        return next((d for d in decisions if d.in_vocabulary), whole)

    def _agrees(self, answer: Decision, whole: _Signals) -> bool:
        """Whether the whole message ranks first the topic one of its parts answered.

        A vague question sentence ("W jakie dni to jest?") can be answered on
        its own with a topic the context before it does not speak of (the
        context named microgrants; the question alone reads as the Kongres).
        The whole message holds the context and the question's asking words,
        so the part's answer stands only when the whole leans the same way.
        """
        labels = self.index.labels
        oos = labels.index(OUT_OF_SCOPE)
        ranked = [int(i) for i in np.argsort(-whole.confidence, kind="stable") if int(i) != oos]
        return bool(ranked) and labels[ranked[0]] == answer.intent

    def _gate(self, signals: _Signals) -> Decision:
        confidence, similarity = signals.confidence, signals.similarity
        labels = self.index.labels
        oos = labels.index(OUT_OF_SCOPE)
        order = [int(i) for i in np.argsort(-confidence, kind="stable") if int(i) != oos]
        alternatives = tuple(
            Alternative(labels[i], round(float(confidence[i]), 4))
            for i in order[:3]
            if confidence[i] > 0.005
        )
        if not order:
            return Decision(Action.HANDOFF, None, 0.0, ())
        if signals.no_terms:
            return Decision(Action.HANDOFF, None, 0.0, ())
        top = order[0]
        second = order[1] if len(order) > 1 else None
        c1 = float(confidence[top])
        c2 = float(confidence[second]) if second is not None else 0.0
        t = self.thresholds
        rounded = round(c1, 4)
        if confidence[oos] >= c1:
            return Decision(Action.HANDOFF, None, rounded, alternatives)
        covered = signals.coverage >= t.coverage or (
            c1 >= t.strong_answer and signals.coverage >= t.strong_coverage
        )
        # Function words alone ("o co", "dla") say nothing about a topic, however
        # rare they are in the examples, unless they are one of its set phrases.
        meaningful = signals.content_words > 0 or signals.best_example[top] >= t.set_phrase
        # A broad word is answered only as one of the topic's own set phrases
        # ("pomoc", "hej"), not as a word the topic happens to use most.
        if signals.broad and signals.best_example[top] < t.broad_set_phrase and covered:
            return Decision(Action.HANDOFF, None, rounded, alternatives, in_vocabulary=True)
        if (
            c1 >= t.answer
            and c1 - c2 >= t.margin
            and similarity[top] >= t.similarity
            and covered
            and meaningful
        ):
            return Decision(Action.ANSWER, labels[top], rounded, alternatives)
        if second is None or not (covered and meaningful):
            return Decision(Action.HANDOFF, None, rounded, alternatives)
        # Offering two topics needs the message in our vocabulary through either
        # of them, and the other near it: the topic ahead on confidence can be
        # the one less similar to the message, and the right one the second.
        pair = sorted((float(similarity[top]), float(similarity[second])))
        if (
            pair[1] >= t.similarity
            and pair[0] >= t.similarity * t.clarify_similarity
            and c1 + c2 >= t.clarify_pair
            and c2 >= t.clarify_each
        ):
            return Decision(Action.CLARIFY, None, rounded, alternatives[:2])
        return Decision(Action.HANDOFF, None, rounded, alternatives, in_vocabulary=True)

    # ------------------------------------------------------------------ cache
    def to_state(self) -> tuple[dict[str, Any], dict[str, npt.NDArray[Any]]]:
        """The built model as JSON-able metadata and numpy arrays (see bot.model_cache)."""
        idx = self.index
        clf = self.classifier
        meta: dict[str, Any] = {
            "lexicon": self.lexicon.to_state(),
            "thresholds": {f.name: getattr(self.thresholds, f.name) for f in fields(Thresholds)},
            "tuning": {f.name: getattr(self.tuning, f.name) for f in fields(Tuning)},
            "terms": sorted(self.term_ids, key=self.term_ids.__getitem__),
            "unknown_weight": self.unknown_weight,
            "labels": idx.labels,
            "topics": list(self._topics),
            "features": sorted(clf.vocabulary, key=clf.vocabulary.__getitem__),
            "temperature": clf.temperature,
            "calibration": self.calibration,
            "build_seconds": self.build_seconds,
        }
        arrays: dict[str, npt.NDArray[Any]] = {
            "weights": self.weights,
            "topic_terms": self.topic_terms,
            "term_focus": self.term_focus,
            "label_of_row": idx.label_of_row,
            "row_norm": idx.row_norm,
            "profile_norm": idx.profile_norm,
            "negative_label": idx.negative_label,
            "negative_norm": idx.negative_norm,
            "idf": clf.idf,
            "classifier_weights": clf.weights,
            "classifier_bias": clf.bias,
            **idx.postings.arrays("postings"),
            **idx.profile_postings.arrays("profile"),
            **idx.negative_postings.arrays("negative"),
        }
        return meta, arrays

    @classmethod
    def from_state(
        cls, meta: Mapping[str, Any], arrays: Mapping[str, npt.NDArray[Any]], analyzer: Analyzer
    ) -> IntentMatcher:
        """A matcher from :meth:`to_state`'s output (raises KeyError/ValueError if malformed)."""
        terms: list[str] = list(meta["terms"])
        features: list[str] = list(meta["features"])
        index = _Index(
            labels=list(meta["labels"]),
            label_of_row=arrays["label_of_row"].astype(np.int64),
            row_norm=arrays["row_norm"].astype(np.float64),
            postings=_Postings.from_arrays(arrays, "postings"),
            profile_postings=_Postings.from_arrays(arrays, "profile"),
            profile_norm=arrays["profile_norm"].astype(np.float64),
            negative_postings=_Postings.from_arrays(arrays, "negative"),
            negative_label=arrays["negative_label"].astype(np.int64),
            negative_norm=arrays["negative_norm"].astype(np.float64),
        )
        weights = arrays["classifier_weights"].astype(np.float32)
        if weights.shape != (len(features), len(index.labels)):
            raise ValueError("classifier weights do not match the features and labels")
        classifier = linear.LinearModel(
            vocabulary={k: i for i, k in enumerate(features)},
            idf=arrays["idf"].astype(np.float32),
            weights=weights,
            bias=arrays["classifier_bias"].astype(np.float32),
            temperature=float(meta["temperature"]),
        )
        term_weights = arrays["weights"].astype(np.float64)
        if term_weights.shape != (len(terms),) or OUT_OF_SCOPE not in index.labels:
            raise ValueError("term weights do not match the terms")
        return cls(
            lexicon=Lexicon.from_state(meta["lexicon"], analyzer),
            thresholds=Thresholds(**meta["thresholds"]),
            tuning=Tuning(**meta["tuning"]),
            term_ids={t: i for i, t in enumerate(terms)},
            weights=term_weights,
            unknown_weight=float(meta["unknown_weight"]),
            index=index,
            classifier=classifier,
            topic_terms=arrays["topic_terms"].astype(np.bool_),
            term_focus=arrays["term_focus"].astype(np.float64),
            build_seconds=float(meta["build_seconds"]),
            calibration=dict(meta["calibration"]),
            _topics=tuple(meta["topics"]),
        )


def _fused(signals: Sequence[_Signals]) -> _Signals:
    """The evidence of several readings of one message: confidences averaged.

    Similarity, coverage and content words are those of the best-covered
    reading, so the gates still see that the message is in the vocabulary.
    """
    confidence = np.mean([s.confidence for s in signals], axis=0)
    return _Signals(
        np.asarray(confidence, dtype=np.float64),
        np.max([s.similarity for s in signals], axis=0),
        np.max([s.best_example for s in signals], axis=0),
        max(s.coverage for s in signals),
        max(s.content_words for s in signals),
        all(s.no_terms for s in signals),
        all(s.broad for s in signals),
    )


def _fit(
    parsed: Sequence[tuple[LabelledExample, _Parsed]],
    use: Sequence[int],
    table: linear.FeatureTable,
    lexicon: Lexicon,
    labels: list[str],
    tuning: Tuning,
    thresholds: Thresholds,
    temperature: float,
) -> IntentMatcher:
    """Train the similarity index and the classifier on the examples ``use`` points at."""
    label_id = {label: i for i, label in enumerate(labels)}
    oos_label = label_id[OUT_OF_SCOPE]
    term_ids: dict[str, int] = {}
    positive_rows: list[tuple[int, list[int]]] = []
    #: per row: the term ids of each of its words (a word may have several readings)
    positive_words: list[list[list[int]]] = []
    negative_rows: list[int] = []
    negative_words: list[list[list[int]]] = []
    classifier_rows: list[int] = []
    classifier_labels: list[int] = []
    for row in use:
        ex, p = parsed[row]
        terms: set[int] = set()
        readings: list[list[int]] = []
        for lemmas in p.readings:
            word_terms = [term_ids.setdefault(term, len(term_ids)) for term in sorted(lemmas)]
            terms.update(word_terms)
            if word_terms:
                readings.append(word_terms)
        label = label_id.get(ex.intent or OUT_OF_SCOPE)
        if ex.negative:
            if label is not None and terms:
                negative_rows.append(label)
                negative_words.append(readings)
            classifier_rows.append(row)
            classifier_labels.append(oos_label)
            continue
        assert label is not None
        if terms:
            positive_rows.append((label, sorted(terms)))
            positive_words.append(readings)
        classifier_rows.append(row)
        classifier_labels.append(label)
    if not positive_rows:
        raise ValueError("no usable examples to build a matcher from")

    # IDF over labels: a term used by few topics tells them apart.
    labels_with_term: dict[int, set[int]] = defaultdict(set)
    for label, terms_ in positive_rows:
        for t in terms_:
            labels_with_term[t].add(label)
    n_labels = len(labels)
    weights = np.zeros(len(term_ids), dtype=np.float64)
    for t in range(len(term_ids)):
        df = len(labels_with_term.get(t, ())) or 1
        weights[t] = math.log(1.0 + n_labels / df)
    unknown_weight = math.log(1.0 + n_labels / 1.0)

    # Rows sorted by label so per-label maxima are one reduceat.
    by_label = sorted(range(len(positive_rows)), key=lambda i: positive_rows[i][0])
    positive_rows = [positive_rows[i] for i in by_label]
    row_vectors = [_word_vector(positive_words[i], weights) for i in by_label]
    label_of_row = np.array([label for label, _ in positive_rows], dtype=np.int64)
    row_norm = np.array([math.sqrt(sum(v * v for v in vec.values())) for vec in row_vectors])

    # Topic profiles: every term of the topic, weighted by how many of its
    # examples use it (dampened), so common phrasings count more: the root
    # mean square of its weight over the topic's examples.
    profile_squares: list[defaultdict[int, float]] = [defaultdict(float) for _ in labels]
    for (label, _terms), vector in zip(positive_rows, row_vectors, strict=True):
        for t, value in vector.items():
            profile_squares[label][t] += value * value
    rows_per_label = Counter(label for label, _ in positive_rows)
    profile_vectors = [
        {t: math.sqrt(sq / max(1, rows_per_label[label])) for t, sq in squares.items()}
        for label, squares in enumerate(profile_squares)
    ]
    profile_norm = np.array(
        [math.sqrt(sum(v * v for v in vec.values())) or 1.0 for vec in profile_vectors]
    )
    negative_vectors = [_word_vector(w, weights) for w in negative_words]
    negative_norm = np.array(
        [math.sqrt(sum(v * v for v in vec.values())) for vec in negative_vectors]
    )
    index = _Index(
        labels=labels,
        label_of_row=label_of_row,
        row_norm=row_norm,
        postings=_Postings.of(row_vectors),
        profile_postings=_Postings.of(profile_vectors),
        profile_norm=profile_norm,
        negative_postings=_Postings.of(negative_vectors),
        negative_label=np.array(negative_rows, dtype=np.int64),
        negative_norm=negative_norm,
    )
    classifier = linear.train(
        table,
        np.array(classifier_rows, dtype=np.int64),
        classifier_labels,
        n_labels,
        c=tuning.svm_c,
        tol=tuning.svm_tol,
        seed=tuning.seed,
    )
    classifier.temperature = temperature
    topic_terms = np.zeros(len(term_ids), dtype=np.bool_)
    for label, terms_ in positive_rows:
        if label != oos_label:
            topic_terms[terms_] = True
    uses: defaultdict[int, Counter[int]] = defaultdict(Counter)
    for label, terms_ in positive_rows:
        if label != oos_label:
            for t in terms_:
                uses[t][label] += 1
    term_focus = np.ones(len(term_ids), dtype=np.float64)
    for t, per_label in uses.items():
        term_focus[t] = max(per_label.values()) / sum(per_label.values())
    return IntentMatcher(
        lexicon=lexicon,
        thresholds=thresholds,
        tuning=tuning,
        term_ids=term_ids,
        weights=weights,
        unknown_weight=unknown_weight,
        index=index,
        classifier=classifier,
        topic_terms=topic_terms,
        term_focus=term_focus,
        _topics=tuple(label for label in labels if label != OUT_OF_SCOPE),
    )


def _out_of_fold(
    parsed: Sequence[tuple[LabelledExample, _Parsed]],
    table: linear.FeatureTable,
    lexicon: Lexicon,
    labels: list[str],
    tuning: Tuning,
) -> cv.OutOfFold | None:
    """What a matcher that never saw it makes of every example (None: too few examples).

    Negative examples always stay in training (they are not questions to
    answer). The lexicon is shared by the folds: it only maps forms to lemmas;
    a word seen in held-out examples alone still has no term in the fold's
    matcher and counts as unknown there.
    """
    label_id = {label: i for i, label in enumerate(labels)}
    scored = [i for i, (ex, _p) in enumerate(parsed) if not ex.negative]
    y = [label_id[parsed[i][0].intent or OUT_OF_SCOPE] for i in scored]
    k = tuning.folds
    if k < 2 or len(scored) < k * len(labels) or len(set(y)) < 2:
        return None
    negatives = [i for i, (ex, _p) in enumerate(parsed) if ex.negative]
    rows: dict[int, _Signals] = {}
    scores: dict[int, FloatArray] = {}
    soft: dict[int, FloatArray] = {}
    for fold in cv.stratified_folds(y, k, tuning.seed):
        held = {scored[j] for j in fold.tolist()}
        train = [i for i in scored if i not in held] + negatives
        matcher = _fit(parsed, train, table, lexicon, labels, tuning, Thresholds(), 1.0)
        for i in sorted(held):
            query = matcher._query_parsed(parsed[i][1])
            similarity, best_example = matcher._similarities(query)
            rows[i] = _Signals(
                np.zeros(0),
                similarity,
                best_example,
                query.coverage,
                query.content_words,
                not query.terms,
                query.broad,
            )
            soft[i] = matcher._similarity_softmax(similarity)
        held_rows = np.array(sorted(held), dtype=np.int64)
        held_scores = table.decision(matcher.classifier, held_rows)
        for i, row_scores in zip(held_rows.tolist(), held_scores, strict=True):
            scores[i] = row_scores
    return cv.OutOfFold(
        label=np.array(y, dtype=np.int64),
        scores=np.array([scores[i] for i in scored]),
        similarity_soft=np.array([soft[i] for i in scored]),
        similarity=np.array([rows[i].similarity for i in scored]),
        best_example=np.array([rows[i].best_example for i in scored]),
        coverage=np.array([rows[i].coverage for i in scored]),
        content_words=np.array([rows[i].content_words for i in scored], dtype=np.int64),
        no_terms=np.array([rows[i].no_terms for i in scored], dtype=np.bool_),
        broad=np.array([rows[i].broad for i in scored], dtype=np.bool_),
    )


def _word_vector(readings: Iterable[Sequence[int]], weights: FloatArray) -> dict[int, float]:
    """The weighted terms of a text, given the term ids each of its words can be.

    A word with several readings (Morfeusz reads the folded "musze" as five
    lemmas, "macie" as three) weighs as much as its heaviest reading, shared
    among them: its terms are scaled so that their squares add up to that
    reading's square. Counted once per reading, such a word would outweigh
    the topic words of the message and pull it towards whichever topic's
    examples use the same ambiguous word. A term reached by two words keeps
    its larger weight.
    """
    vector: dict[int, float] = {}
    for terms in readings:
        if len(terms) == 1:
            scale = 1.0
        else:
            term_weights = [float(weights[t]) for t in terms]
            scale = max(term_weights) / math.sqrt(sum(w * w for w in term_weights))
        for t in terms:
            value = float(weights[t]) * scale
            if value > vector.get(t, 0.0):
                vector[t] = value
    return vector


def _cosine(
    terms: Sequence[int],
    q_weights: FloatArray,
    postings: _Postings,
    norms: FloatArray,
    q_norm: float,
) -> FloatArray:
    """Cosine of the query with every row, touching only rows that share a term."""
    n_rows = norms.shape[0]
    if n_rows == 0:
        return np.zeros(0)
    idx_parts: list[IntArray] = []
    val_parts: list[FloatArray] = []
    for t, qw in zip(terms, q_weights, strict=True):
        hit = postings.terms.get(t)
        if hit is None:
            continue
        idx_parts.append(hit[0])
        val_parts.append(hit[1] * qw)
    if not idx_parts:
        return np.zeros(n_rows)
    dots = np.bincount(
        np.concatenate(idx_parts), weights=np.concatenate(val_parts), minlength=n_rows
    )
    denom = norms * q_norm
    denom[denom == 0] = 1.0
    return np.asarray(dots / denom, dtype=np.float64)
