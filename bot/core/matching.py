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
3. **Classifier.** A softmax regression over terms and word prefixes, trained
   at build time on the examples (with word dropout, so that no single word
   decides), tells sibling topics apart ("kiedy" vs "gdzie" Kongres) and
   learns which words point away from every topic. Out-of-scope examples and
   each topic's negative examples train the "none" class.
4. The two are blended into a 0..1 confidence per topic.
5. Two gates as in Rasa's fallback: the best topic must reach a threshold and
   beat the second-best by a margin, and its similarity must show that the
   message is in the knowledge base's vocabulary at all (a message made only
   of function words passes only as a topic's set phrase). Otherwise the two
   best topics are offered (clarify) when both are plausible, or the message
   is handed over.
"""

from __future__ import annotations

import logging
import math
import time
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

import numpy as np
import numpy.typing as npt

from bot.core.morphology import FUNCTION_WORDS, Analyzer, Lexicon, make_analyzer
from bot.core.text import normalise, words

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

    @property
    def best_guesses(self) -> tuple[Alternative, ...]:
        """The top candidates whatever the action (for staff context)."""
        return self.alternatives


@dataclass(frozen=True)
class LabelledExample:
    """One training phrase: its text and topic (None = out of scope)."""

    text: str
    intent: str | None
    negative: bool = False


@dataclass(frozen=True)
class Thresholds:
    """The gates of the decision (all on the 0..1 confidence)."""

    #: gate 1: the best topic's confidence (0.55: on four labelled sets, 1,361
    #: messages, 0.6 -> 0.55 answered 1-4 more in-scope messages per set right
    #: and no more wrong or out-of-scope ones; 0.5 did too, kept in reserve)
    answer: float = 0.55
    #: gate 2: how far the best topic must be ahead of the second
    margin: float = 0.15
    #: the best topic's similarity: below it the message is not in our vocabulary
    similarity: float = 0.25
    #: share of the message's content words (by weight) that belong to the
    #: vocabulary of some topic; below it the message is about something else
    coverage: float = 0.6
    #: …unless the best topic is this sure, when this lower coverage suffices
    #: (0.7: measured on three labelled sets, the lowest value that answered no
    #: out-of-scope message on any of them; 0.65 answered one)
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


@dataclass(frozen=True)
class Tuning:
    """How the matcher is built (kept apart from the gates; see bench/)."""

    #: share of the topic profile in the similarity (the rest: best example)
    profile_share: float = 0.35
    #: share of the classifier in the blend (the rest: softmax of similarities)
    classifier_share: float = 0.5
    #: sharpness of the softmax over similarities
    similarity_temperature: float = 20.0
    #: in that softmax, "none of the topics" scores at least this similarity, so
    #: a message that resembles nothing well goes to none rather than to the
    #: least bad topic
    similarity_floor: float = 0.3
    #: words are also represented by their first letters (a cheap stemmer for
    #: words and languages the dictionary does not know)
    prefix_length: int = 6
    #: training copies of each example with words dropped at random
    dropout_copies: int = 2
    dropout_rate: float = 0.25
    epochs: int = 15
    #: the classifier's training stops after about this many updates
    max_updates: int = 400_000
    learning_rate: float = 0.5
    l2: float = 1e-4
    seed: int = 7


OUT_OF_SCOPE = "\x00none"


@dataclass(repr=False)
class _Index:
    labels: list[str]
    label_of_row: IntArray
    row_norm: FloatArray
    postings: dict[int, tuple[IntArray, FloatArray]]
    profile_postings: dict[int, tuple[IntArray, FloatArray]]
    profile_norm: FloatArray
    negative_postings: dict[int, tuple[IntArray, FloatArray]]
    negative_label: IntArray
    negative_norm: FloatArray


@dataclass(repr=False)
class _Classifier:
    """Softmax regression over sparse binary features."""

    features: dict[str, int]
    weights: npt.NDArray[np.float32]
    bias: npt.NDArray[np.float32]

    def probabilities(self, keys: Iterable[str]) -> FloatArray:
        ids = [self.features[k] for k in keys if k in self.features]
        z = self.weights[ids].sum(axis=0) + self.bias if ids else self.bias.copy()
        z = z.astype(np.float64)
        z -= z.max()
        p = np.exp(z)
        return np.asarray(p / p.sum(), dtype=np.float64)

    @classmethod
    def train(
        cls, rows: Sequence[tuple[int, list[str]]], n_labels: int, tuning: Tuning
    ) -> _Classifier:
        features: dict[str, int] = {}
        encoded: list[tuple[int, IntArray]] = []
        for row_label, keys in rows:
            row_ids = sorted({features.setdefault(k, len(features)) for k in keys})
            encoded.append((row_label, np.array(row_ids, dtype=np.int64)))
        rng = np.random.default_rng(tuning.seed)
        augmented = list(encoded)
        for label, ids in encoded:
            if len(ids) < 3:
                continue
            for _ in range(tuning.dropout_copies):
                kept = ids[rng.random(len(ids)) >= tuning.dropout_rate]
                if kept.size:
                    augmented.append((label, kept))
        weights = np.zeros((len(features), n_labels), dtype=np.float32)
        bias = np.zeros(n_labels, dtype=np.float32)
        epochs = max(3, min(tuning.epochs, tuning.max_updates // max(1, len(augmented))))
        order = np.arange(len(augmented))
        lr = np.float32(tuning.learning_rate)
        decay = np.float32(1.0 - tuning.learning_rate * tuning.l2)
        for _ in range(epochs):
            rng.shuffle(order)
            for i in order:
                label, ids = augmented[i]
                z = weights[ids].sum(axis=0) + bias
                z -= z.max()
                p = np.exp(z)
                p /= p.sum()
                p[label] -= 1.0
                weights[ids] -= lr * p
                bias -= lr * np.float32(0.1) * p
            weights *= decay
        return cls(features=features, weights=weights, bias=bias)


@dataclass
class _Query:
    """A message turned into terms, unknown-word mass and classifier keys."""

    terms: list[int]
    unknown_mass: float
    keys: list[str]
    #: share of the content words' weight that is topic vocabulary (0..1)
    coverage: float = 0.0
    #: known words that are not function words ("kongres", "hej"; not "o", "dla")
    content_words: int = 0
    #: the weight of each of ``terms`` in this message (see :func:`_word_vector`)
    term_weights: FloatArray = field(default_factory=lambda: np.zeros(0))


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
    classifier: _Classifier
    #: per term: used by the examples of at least one topic (not only out of scope)
    topic_terms: npt.NDArray[np.bool_]
    build_seconds: float = 0.0
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
        """Build a matcher from labelled examples (from intents/ or any dataset)."""
        started = time.perf_counter()
        tuning = tuning or Tuning()
        examples = list(examples)
        analyzer = analyzer if analyzer is not None else make_analyzer()
        raw_words = [raw for ex in examples for raw, _folded in words(ex.text)]
        lexicon = Lexicon.build(raw_words, analyzer)

        labels = sorted({ex.intent or OUT_OF_SCOPE for ex in examples if not ex.negative})
        if OUT_OF_SCOPE not in labels:
            labels.append(OUT_OF_SCOPE)  # negatives train it even without out-of-scope examples
        label_id = {label: i for i, label in enumerate(labels)}
        term_ids: dict[str, int] = {}

        positive_rows: list[tuple[int, list[int]]] = []
        negative_rows: list[tuple[int, list[int]]] = []
        #: per row: the term ids of each of its words (a word may have several readings)
        positive_words: list[list[list[int]]] = []
        negative_words: list[list[list[int]]] = []
        classifier_rows: list[tuple[int, list[str]]] = []
        for ex in examples:
            terms: set[int] = set()
            keys: set[str] = set()
            readings: list[list[int]] = []
            for raw, token in words(ex.text):
                word_terms = []
                for term in lexicon.terms(token, raw):
                    term_id = term_ids.setdefault(term, len(term_ids))
                    terms.add(term_id)
                    word_terms.append(term_id)
                    keys.add(f"t{term_id}")
                if word_terms:
                    readings.append(word_terms)
                keys.update(_prefix_keys(token, tuning.prefix_length))
            if not keys:
                continue
            label = label_id.get(ex.intent or OUT_OF_SCOPE)
            if ex.negative:
                if label is not None and terms:
                    negative_rows.append((label, sorted(terms)))
                    negative_words.append(readings)
                classifier_rows.append((label_id[OUT_OF_SCOPE], sorted(keys)))
                continue
            assert label is not None
            if terms:
                positive_rows.append((label, sorted(terms)))
                positive_words.append(readings)
            classifier_rows.append((label, sorted(keys)))
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
        postings = _weighted_postings(row_vectors)

        # Topic profiles: every term of the topic, weighted by how many of its
        # examples use it (dampened), so common phrasings count more: the root
        # mean square of its weight over the topic's examples (the term's
        # weight times sqrt(share of examples using it), when no word using it
        # has other readings).
        profile_squares: list[defaultdict[int, float]] = [defaultdict(float) for _ in labels]
        for (label, _terms), vector in zip(positive_rows, row_vectors, strict=True):
            for t, value in vector.items():
                profile_squares[label][t] += value * value
        rows_per_label = Counter(label for label, _ in positive_rows)
        profile_vectors = [
            {t: math.sqrt(sq / max(1, rows_per_label[label])) for t, sq in squares.items()}
            for label, squares in enumerate(profile_squares)
        ]
        profile_postings = _weighted_postings(profile_vectors)
        profile_norm = np.array(
            [math.sqrt(sum(v * v for v in vec.values())) or 1.0 for vec in profile_vectors]
        )

        negative_label = np.array([label for label, _ in negative_rows], dtype=np.int64)
        negative_vectors = [_word_vector(w, weights) for w in negative_words]
        negative_norm = np.array(
            [math.sqrt(sum(v * v for v in vec.values())) for vec in negative_vectors]
        )
        negative_postings = _weighted_postings(negative_vectors)

        index = _Index(
            labels=labels,
            label_of_row=label_of_row,
            row_norm=row_norm,
            postings=postings,
            profile_postings=profile_postings,
            profile_norm=profile_norm,
            negative_postings=negative_postings,
            negative_label=negative_label,
            negative_norm=negative_norm,
        )
        classifier = _Classifier.train(classifier_rows, n_labels, tuning)
        oos_label = label_id[OUT_OF_SCOPE]
        topic_terms = np.zeros(len(term_ids), dtype=np.bool_)
        for label, terms_ in positive_rows:
            if label != oos_label:
                topic_terms[terms_] = True
        matcher = cls(
            lexicon=lexicon,
            thresholds=thresholds or Thresholds(),
            tuning=tuning,
            term_ids=term_ids,
            weights=weights,
            unknown_weight=unknown_weight,
            index=index,
            classifier=classifier,
            topic_terms=topic_terms,
            _topics=tuple(label for label in labels if label != OUT_OF_SCOPE),
        )
        matcher.build_seconds = time.perf_counter() - started
        logger.info(
            "matcher built: %d examples, %d topics, %d terms in %.2fs",
            len(classifier_rows),
            len(matcher._topics),
            len(term_ids),
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
        readings: list[list[int]] = []
        unknown: set[str] = set()
        keys: set[str] = set()
        topic_mass = content_mass = 0.0
        content_words = 0
        for raw, token in words(text):
            ids = [
                term_id
                for term in self.lexicon.terms(token, raw)
                if (term_id := self.term_ids.get(term)) is not None
            ]
            function_word = self.lexicon.is_function_word(token, raw)
            if ids:
                content_words += not function_word
                readings.append(ids)
                keys.update(f"t{term_id}" for term_id in ids)
                # One weight per word, however many lemmas it may be.
                weight = float(self.weights[ids].max()) ** 2
                content_mass += weight
                if self.topic_terms[ids].any():
                    topic_mass += weight
            elif not function_word and len(token) > 1:
                unknown.add(token)
                scale = 0.35 if token.isdigit() or len(token) <= 2 else 1.0
                content_mass += (self.unknown_weight * scale) ** 2
            keys.update(_prefix_keys(token, self.tuning.prefix_length))
        unknown_mass = 0.0
        for token in unknown:
            # Numbers and very short tokens say little about the topic.
            scale = 0.35 if token.isdigit() or len(token) <= 2 else 1.0
            unknown_mass += (self.unknown_weight * scale) ** 2
        coverage = topic_mass / content_mass if content_mass else 0.0
        vector = _word_vector(readings, self.weights)
        terms = sorted(vector)
        weights = np.array([vector[t] for t in terms], dtype=np.float64)
        return _Query(terms, unknown_mass, sorted(keys), coverage, content_words, weights)

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
            starts = np.flatnonzero(np.r_[True, np.diff(idx.label_of_row) != 0])
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

    def scores(self, text: str) -> dict[str, float]:
        """The blended 0..1 confidence of every label (out of scope under OUT_OF_SCOPE)."""
        confidence, _similarity, _best_example = self._scores(self._query(text))
        return dict(zip(self.index.labels, confidence.tolist(), strict=True))

    def _scores(self, query: _Query) -> tuple[FloatArray, FloatArray, FloatArray]:
        """Per label: the confidence, the similarity and the best example's similarity."""
        similarity, best_example = self._similarities(query)
        oos = self.index.labels.index(OUT_OF_SCOPE)
        if not query.terms:
            # Nothing we know: certainly none of the topics.
            confidence = np.zeros(len(self.index.labels))
            confidence[oos] = 1.0
            return confidence, similarity, best_example
        floored = similarity.copy()
        floored[oos] = max(floored[oos], self.tuning.similarity_floor)
        z = floored * self.tuning.similarity_temperature
        z -= z.max()
        soft = np.exp(z)
        soft /= soft.sum()
        probabilities = self.classifier.probabilities(query.keys)
        share = self.tuning.classifier_share
        return share * probabilities + (1.0 - share) * soft, similarity, best_example

    def decide(self, text: str) -> Decision:
        """Match a message and apply the two gates."""
        query = self._query(text)
        confidence, similarity, best_example = self._scores(query)
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
        top = order[0]
        second = order[1] if len(order) > 1 else None
        c1 = float(confidence[top])
        c2 = float(confidence[second]) if second is not None else 0.0
        t = self.thresholds
        rounded = round(c1, 4)
        if confidence[oos] >= c1:
            return Decision(Action.HANDOFF, None, rounded, alternatives)
        covered = query.coverage >= t.coverage or (
            c1 >= t.strong_answer and query.coverage >= t.strong_coverage
        )
        # Function words alone ("o co", "dla") say nothing about a topic, however
        # rare they are in the examples, unless they are one of its set phrases.
        meaningful = query.content_words > 0 or best_example[top] >= t.set_phrase
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


def _prefix_keys(token: str, length: int) -> list[str]:
    """A word's first letters as a classifier feature (a crude stem)."""
    if length <= 0 or len(token) < 5 or token.isdigit() or token in FUNCTION_WORDS:
        return []
    return ["p" + token[:length]]


def _weighted_postings(
    vectors: Sequence[dict[int, float]],
) -> dict[int, tuple[IntArray, FloatArray]]:
    lists: dict[int, tuple[list[int], list[float]]] = defaultdict(lambda: ([], []))
    for row, vec in enumerate(vectors):
        for t, w in vec.items():
            lists[t][0].append(row)
            lists[t][1].append(w)
    return {
        t: (np.array(r, dtype=np.int64), np.array(w, dtype=np.float64))
        for t, (r, w) in lists.items()
    }


def _cosine(
    terms: Sequence[int],
    q_weights: FloatArray,
    postings: dict[int, tuple[IntArray, FloatArray]],
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
        hit = postings.get(t)
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


def normalised_text(text: str) -> str:
    """Expose the matcher's normalisation (for diagnostics and tests)."""
    return normalise(text)
