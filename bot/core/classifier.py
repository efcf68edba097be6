"""A linear classifier over words, lemmas and character n-grams.

Trained with scikit-learn (a linear SVM) when the matcher is built, run with
numpy alone afterwards: the weights are plain arrays, so a matcher loaded
from the model cache never imports scikit-learn or scipy (they would add
~60 MB and ~1 s to every start).

A message is described by

* its folded words (``w:``) and the lemmas Morfeusz gives them (``l:``; a
  word with several readings shares one unit of weight among them),
* lemma bigrams (``b:``), so "mały grant" is more than "mały" and "grant",
* character n-grams of 3 to 5 letters inside each word (``c:``), which carry
  inflection, typos and words no dictionary knows ("witkacu", Ukrainian).

Each block is TF-IDF weighted and scaled to unit length on its own, so the
many character n-grams do not drown the few word features. Probabilities are
a softmax of the SVM's scores divided by a temperature fitted on held-out
examples (see :mod:`bot.core.tuning`).
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]

#: Lengths of the character n-grams taken inside each word.
CHAR_NGRAMS = (3, 4, 5)


@dataclass(frozen=True)
class Token:
    """A word of a message as the classifier sees it."""

    folded: str
    #: the lemma keys of the word (empty when no dictionary knows it)
    lemmas: tuple[str, ...] = ()


def feature_counts(tokens: Sequence[Token]) -> dict[str, float]:
    """The raw feature counts of a message."""
    keys: list[str] = []
    shares: dict[str, float] = {}
    heads: list[str] = []
    for token in tokens:
        folded = token.folded
        keys.append("w:" + folded)
        if token.lemmas:
            share = 1.0 / len(token.lemmas)
            for lemma in token.lemmas:
                key = "l:" + lemma
                shares[key] = shares.get(key, 0.0) + share
            heads.append(min(token.lemmas))
        else:
            heads.append(folded)
        keys.extend(_char_keys(folded))
    keys.extend([f"b:{first} {second}" for first, second in itertools.pairwise(heads)])
    counts: dict[str, float] = dict(Counter(keys))
    counts.update(shares)
    return counts


def _char_keys(folded: str) -> list[str]:
    """The character n-gram keys of a word (none for a number)."""
    if folded.isdigit():
        return []
    padded = f"<{folded}>"
    size = len(padded)
    return ["c:" + padded[i : i + n] for n in CHAR_NGRAMS for i in range(size - n + 1)]


def _is_char(key: str) -> bool:
    return key.startswith("c:")


def _tf(counts: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """Sublinear term frequency (a reading's share of one stays as it is)."""
    return np.where(counts >= 1.0, 1.0 + np.log(np.maximum(counts, 1.0)), counts)


def _normalise_blocks(
    values: FloatArray, row: npt.NDArray[np.int64], char: npt.NDArray[np.bool_], n_rows: int
) -> FloatArray:
    """Scale the character block and the word block of every row to unit length."""
    group = row * 2 + char.astype(np.int64)
    norms = np.sqrt(np.bincount(group, weights=values**2, minlength=2 * n_rows))
    norms[norms == 0.0] = 1.0
    return np.asarray(values / norms[group], dtype=np.float64)


@dataclass(repr=False)
class LinearModel:
    """A linear classifier's weights, ready for numpy inference."""

    #: feature key -> row of ``weights``
    vocabulary: dict[str, int]
    #: per feature: its inverse document frequency
    idf: npt.NDArray[np.float32]
    #: (features, labels)
    weights: npt.NDArray[np.float32]
    bias: npt.NDArray[np.float32]
    #: scores are divided by it before the softmax (fitted on held-out data)
    temperature: float = 1.0
    #: per feature: a character n-gram (True) or a word feature
    char_block: npt.NDArray[np.bool_] = field(default_factory=lambda: np.zeros(0, dtype=np.bool_))
    #: per feature: its column in the :class:`FeatureTable` it was trained on
    #: (only while building; not stored in the model cache)
    table_columns: npt.NDArray[np.int64] = field(
        default_factory=lambda: np.zeros(0, dtype=np.int64)
    )

    #: per folded word: the ids of its word and character n-gram features
    _word_ids: dict[str, list[int]] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        if self.char_block.size != len(self.vocabulary):
            block = np.zeros(len(self.vocabulary), dtype=np.bool_)
            for key, index in self.vocabulary.items():
                block[index] = _is_char(key)
            self.char_block = block

    @property
    def n_labels(self) -> int:
        """How many labels the model scores."""
        return int(self.bias.shape[0])

    def encode(self, counts: Mapping[str, float]) -> tuple[npt.NDArray[np.int64], FloatArray]:
        """Feature ids and TF-IDF values, each block scaled to unit length."""
        get = self.vocabulary.get
        every = np.fromiter((get(k, -1) for k in counts), dtype=np.int64, count=len(counts))
        known = every >= 0
        if not known.any():
            return np.zeros(0, dtype=np.int64), np.zeros(0)
        ids = every[known]
        raw = np.fromiter(counts.values(), dtype=np.float64, count=len(counts))[known]
        values = _tf(raw) * self.idf[ids]
        rows = np.zeros(ids.size, dtype=np.int64)
        return ids, _normalise_blocks(values, rows, self.char_block[ids], 1)

    def encode_tokens(self, tokens: Sequence[Token]) -> tuple[npt.NDArray[np.int64], FloatArray]:
        """:meth:`encode` of :func:`feature_counts`, without building the counts.

        The features of each word are looked up once and kept (a message's
        words are mostly words seen before), so a decision costs a few list
        operations per word instead of a dictionary lookup per n-gram.
        """
        get = self.vocabulary.get
        ids: list[int] = []
        shares: list[float] = []
        heads: list[str] = []
        for token in tokens:
            word_ids = self._word_ids.get(token.folded)
            if word_ids is None:
                keys = ["w:" + token.folded, *_char_keys(token.folded)]
                word_ids = [i for k in keys if (i := get(k)) is not None]
                if len(self._word_ids) < 100_000:
                    self._word_ids[token.folded] = word_ids
            ids.extend(word_ids)
            shares.extend([1.0] * len(word_ids))
            if token.lemmas:
                share = 1.0 / len(token.lemmas)
                for lemma in token.lemmas:
                    if (i := get("l:" + lemma)) is not None:
                        ids.append(i)
                        shares.append(share)
                heads.append(min(token.lemmas))
            else:
                heads.append(token.folded)
        for first, second in itertools.pairwise(heads):
            if (i := get(f"b:{first} {second}")) is not None:
                ids.append(i)
                shares.append(1.0)
        if not ids:
            return np.zeros(0, dtype=np.int64), np.zeros(0)
        unique, inverse = np.unique(np.asarray(ids, dtype=np.int64), return_inverse=True)
        raw = np.bincount(inverse, weights=np.asarray(shares, dtype=np.float64)).astype(np.float64)
        values = _tf(raw) * self.idf[unique]
        rows = np.zeros(unique.size, dtype=np.int64)
        return unique, _normalise_blocks(values, rows, self.char_block[unique], 1)

    def decision_tokens(self, tokens: Sequence[Token]) -> FloatArray:
        """The SVM's score of every label for a message's words."""
        ids, values = self.encode_tokens(tokens)
        if not ids.size:
            return np.asarray(self.bias, dtype=np.float64).copy()
        return np.asarray(values @ self.weights[ids] + self.bias, dtype=np.float64)

    def decision(self, counts: Mapping[str, float]) -> FloatArray:
        """The SVM's score of every label."""
        ids, values = self.encode(counts)
        if not ids.size:
            return np.asarray(self.bias, dtype=np.float64).copy()
        scores = values @ self.weights[ids] + self.bias
        return np.asarray(scores, dtype=np.float64)

    def probabilities(self, tokens: Sequence[Token]) -> FloatArray:
        """Calibrated probabilities of every label for a message's words."""
        return softmax(self.decision_tokens(tokens), self.temperature)


def softmax(scores: FloatArray, temperature: float) -> FloatArray:
    """``exp(scores / temperature)``, normalised (works on 1-D and 2-D arrays)."""
    z = scores / max(temperature, 1e-6)
    z = z - z.max(axis=-1, keepdims=True)
    p = np.exp(z)
    return np.asarray(p / p.sum(axis=-1, keepdims=True), dtype=np.float64)


@dataclass(repr=False)
class FeatureTable:
    """The feature counts of many texts at once, for training (CSR-like arrays)."""

    keys: list[str]
    #: start of each row's entries in ``ids`` / ``counts`` (length rows + 1)
    indptr: npt.NDArray[np.int64]
    ids: npt.NDArray[np.int64]
    counts: FloatArray
    char_block: npt.NDArray[np.bool_]

    @classmethod
    def of(cls, rows: Sequence[Mapping[str, float]]) -> FeatureTable:
        """Index the features of ``rows`` (keys numbered in sorted order)."""
        keys = sorted({k for row in rows for k in row})
        key_id = {k: i for i, k in enumerate(keys)}
        indptr = np.zeros(len(rows) + 1, dtype=np.int64)
        indptr[1:] = np.cumsum([len(row) for row in rows])
        ids = np.fromiter(
            (key_id[k] for row in rows for k in row), dtype=np.int64, count=int(indptr[-1])
        )
        counts = np.fromiter(
            (c for row in rows for c in row.values()), dtype=np.float64, count=int(indptr[-1])
        )
        char_block = np.array([_is_char(k) for k in keys], dtype=np.bool_)
        return cls(keys, indptr, ids, counts, char_block)

    def decision(self, model: LinearModel, rows: npt.NDArray[np.int64]) -> FloatArray:
        """The scores of ``model`` (trained by :func:`train` on this table) for some rows.

        The same as :meth:`LinearModel.decision` row by row, in one sparse product.
        """
        from scipy.sparse import csr_matrix

        lookup = np.full(len(self.keys), -1, dtype=np.int64)
        lookup[model.table_columns] = np.arange(model.table_columns.size)
        new_row, feature, entry = self.select(rows)
        column = lookup[feature]
        known = column >= 0
        new_row, column, entry = new_row[known], column[known], entry[known]
        values = _tf(self.counts[entry]) * model.idf[column]
        values = _normalise_blocks(values, new_row, model.char_block[column], int(rows.size))
        shape = (int(rows.size), len(model.vocabulary))
        matrix = csr_matrix((values, (new_row, column)), shape=shape)
        return np.asarray(matrix @ model.weights + model.bias, dtype=np.float64)

    def select(self, rows: npt.NDArray[np.int64]) -> tuple[npt.NDArray[np.int64], ...]:
        """Entries of some rows: (their new row number, feature id, entry index)."""
        lengths = self.indptr[rows + 1] - self.indptr[rows]
        new_row = np.repeat(np.arange(rows.size, dtype=np.int64), lengths)
        starts = np.repeat(self.indptr[rows], lengths)
        offsets = np.arange(int(lengths.sum()), dtype=np.int64) - np.repeat(
            np.cumsum(lengths) - lengths, lengths
        )
        entry = starts + offsets
        return new_row, self.ids[entry], entry


def train(
    table: FeatureTable,
    rows: npt.NDArray[np.int64],
    labels: Sequence[int],
    n_labels: int,
    *,
    c: float = 0.5,
    tol: float = 1e-4,
    seed: int = 7,
) -> LinearModel:
    """Fit a linear SVM (one-vs-rest, scikit-learn's liblinear) on some rows of a table.

    The vocabulary is the features of these rows; scikit-learn and scipy are
    imported here only: training happens when the model is built, never when
    a cached model is loaded.
    """
    new_row, feature, entry = table.select(rows)
    n_docs = int(rows.size)
    # A feature occurs once per row (the rows are dicts): its count of rows is its df.
    df = np.bincount(feature, minlength=len(table.keys))
    present = df > 0
    local = np.cumsum(present) - 1
    kept = np.flatnonzero(present)
    idf = (np.log((1.0 + n_docs) / (1.0 + df[kept])) + 1.0).astype(np.float32)
    model = LinearModel(
        vocabulary={table.keys[g]: i for i, g in enumerate(kept.tolist())},
        idf=idf,
        weights=np.zeros((kept.size, n_labels), dtype=np.float32),
        bias=np.zeros(n_labels, dtype=np.float32),
        char_block=table.char_block[kept],
        table_columns=kept,
    )
    present_labels = sorted(set(labels))
    if len(present_labels) < 2 or not kept.size:
        # Nothing to tell apart: every label scores the same (plus a nudge
        # towards the one label there is).
        for label in present_labels:
            model.bias[label] = 1.0
        return model

    from scipy.sparse import csr_matrix
    from sklearn.svm import LinearSVC

    columns = local[feature]
    values = _tf(table.counts[entry]) * idf[columns]
    values = _normalise_blocks(values, new_row, table.char_block[feature], n_docs)
    indptr = np.zeros(n_docs + 1, dtype=np.int64)
    indptr[1:] = np.cumsum(np.bincount(new_row, minlength=n_docs))
    matrix = csr_matrix((values, columns, indptr), shape=(n_docs, kept.size))
    svm = LinearSVC(C=c, tol=tol, random_state=seed, max_iter=5000)
    svm.fit(matrix, np.asarray(labels))
    coef = np.asarray(svm.coef_, dtype=np.float32)
    intercept = np.asarray(svm.intercept_, dtype=np.float32)
    classes = [int(x) for x in svm.classes_]
    if len(classes) == 2:
        # liblinear returns one row for two classes: +w for the second.
        coef = np.vstack([-coef[0], coef[0]])
        intercept = np.array([-intercept[0], intercept[0]], dtype=np.float32)
    # Labels never seen in training keep a score far below the others.
    model.bias[:] = -10.0
    for row_index, label in enumerate(classes):
        model.weights[:, label] = coef[row_index]
        model.bias[label] = intercept[row_index]
    return model


def fit_temperature(scores: FloatArray, labels: Iterable[int]) -> float:
    """The temperature that makes softmax(scores / T) best predict ``labels`` (log loss).

    A one-dimensional search over a fixed grid, then a finer one around the
    best point: deterministic and fast enough for a few thousand rows.
    """
    y = np.fromiter(labels, dtype=np.int64)
    if scores.size == 0 or y.size == 0:
        return 1.0

    def loss(t: float) -> float:
        p = softmax(scores, t)
        return float(-np.mean(np.log(np.clip(p[np.arange(y.size), y], 1e-12, None))))

    grid = [0.02 * 1.25**i for i in range(30)]
    best = min(grid, key=loss)
    fine = [best * f for f in np.linspace(0.8, 1.25, 19)]
    return float(min(fine, key=loss))
