"""Which facts of a topic answer a message.

The matcher has already chosen the topic; this picks, within it, the facts
whose ``questions`` the message matches best. Both sides go through the same
normalisation and the matcher's lexicon (inflection, missing diacritics,
typos), so "ile maksymalnie w małym grancie" meets the question "maksymalna
kwota małego grantu". Words are weighed by how few facts of the topic use
them (an IDF over the topic's facts): "grant" in every question says
nothing, "kwota" in one says a lot. Question words ("ile", "kto", "gdzie")
count too, as classes shared by the three languages, at a lower weight.
A message that asks "who" prefers the facts asked "who": a fact never asked
that way is unlikely to name the person wanted.

A fact *stands out* when the message covers most of one of its questions;
otherwise the caller answers with the topic's overview. Everything is
precomputed per topic on first use, so scoring a message is a few set
intersections.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from bot.core.knowledge import Fact, FactStatus, Topic
from bot.core.morphology import Lexicon, light_stem
from bot.core.text import words

#: Question words of pl/en/uk (folded), by what they ask for.
QUESTION_WORDS: dict[str, str] = {
    **dict.fromkeys(["ile", "ilu", "how much", "how many", "скільки"], "?amount"),
    **dict.fromkeys(
        [
            *["kto", "kogo", "kim", "komu", "czyj", "czyja", "czyje", "czyjej", "czyjego"],
            *["who", "whom", "whose", "хто", "кого", "кому", "чий", "чия", "чиє", "чиєї"],
        ],
        "?who",
    ),
    **dict.fromkeys(["gdzie", "dokad", "skad", "where", "де", "куди"], "?where"),
    **dict.fromkeys(
        ["kiedy", "when", "коли", "ktorego roku", "ktorym roku", "ktorej godzinie", "what time"],
        "?when",
    ),
    **dict.fromkeys(["jak", "how", "як"], "?how"),
    **dict.fromkeys(["co", "czym", "what", "що", "чим"], "?what"),
    **dict.fromkeys(["czy", "can", "may", "чи", "можна"], "?whether"),
}
#: Words (folded forms and lemmas) that carry nothing for choosing a fact:
#: auxiliary verbs, pronouns, and the city's name, which is in every question.
STOP_WORDS = frozenset(
    """
    być mieć móc musieć chcieć ten który jaki swój toruń toruński torun torunski
    jest sa byl bedzie beda ma maja moze moga musi trzeba prosze prosić
    torunsk торун торунськ
    """.split()  # noqa: SIM905 - a word list is easier to edit as text
)
#: Chat shorthand the dictionary does not know, as the lemma it stands for.
CHAT_WORDS: dict[str, str] = {
    "max": "maksymalny",
    "maks": "maksymalny",
    "min": "minimalny",
    "kasa": "pieniądz",
    "kasy": "pieniądz",
    "hajs": "pieniądz",
    "info": "informacja",
}
#: Entries kept in each of the caches of texts and words before they are emptied.
CACHE_SIZE = 50_000
#: Words of this many letters or more also match by their first letters.
PREFIX = 6
#: Question words say what kind of fact is asked for, but less than content
#: words (whose weights are about 1-3): a fixed weight.
QUESTION_WORD_WEIGHT = 0.5
#: Question words that ask for a kind of answer a fact is asked for by name:
#: a person. A "kto…?" message is not answered by a fact whose questions never
#: ask "who" ("kto prowadzi szkolenia" vs "kiedy są szkolenia"), however well
#: its other words fit, as long as some fact of the topic is asked "who".
#: "gdzie", "kiedy" and "ile" are not here (yet): facts that answer them (the
#: dated lists, an address, an amount) are often asked without the question
#: word ("adres cal", "pula konkursu"). Counting them too left the labelled
#: sets' figures unchanged on 2026-12-02 and moved the leading fact of about
#: 40 unlabelled messages, which needs a labelled check first.
ANSWER_KINDS = frozenset({"?who"})
#: The factor on the score of a fact that is not asked for the kind of answer
#: the message wants.
KIND_FACTOR = 0.7
#: A fact leads the reply from this score on (0..1).
LEAD = 0.5
#: Facts within this much of the best one lead with it (at most ``MAX_LEAD``).
TIE = 0.08
MAX_LEAD = 2
#: Weight factor of the words of the topic's title (see ``_index``).
TITLE_WEIGHT = 0.3
#: A question weighs at least this much, so that one made only of light words
#: (title words, common question words) cannot be covered "fully" by them.
MIN_QUESTION_WEIGHT = 1.5
#: A dated item of a list is singled out when the message names it this clearly
#: (the summed weight of its distinctive words, see ``best_items``).
ITEM_MIN_SCORE = 1.0


@dataclass(frozen=True)
class _Word:
    keys: frozenset[str]
    weight: float


@dataclass(frozen=True)
class _Question:
    words: tuple[_Word, ...]
    total: float


@dataclass(frozen=True)
class _TopicIndex:
    #: per fact id: its questions, and every key any of them uses
    questions: dict[str, tuple[_Question, ...]]
    keys: dict[str, frozenset[str]]
    idf: dict[str, float]
    #: per fact id: the kinds of answer (``ANSWER_KINDS``) its questions ask for
    kinds: dict[str, frozenset[str]]
    #: the kinds any fact of the topic is asked for
    asked_kinds: frozenset[str]


@dataclass(frozen=True)
class Ranked:
    """A fact with how well the message matches it."""

    fact: Fact
    score: float


@dataclass(repr=False)
class FactIndex:
    """Ranks the facts of a topic against a message (indexes built lazily per topic)."""

    lexicon: Lexicon
    _topics: dict[str, _TopicIndex] = field(default_factory=dict)
    _titles: dict[str, frozenset[str]] = field(default_factory=dict)
    _keys: dict[str, list[frozenset[str]]] = field(default_factory=dict)
    _words: dict[str, frozenset[str] | None] = field(default_factory=dict)

    def keys(self, text: str) -> list[frozenset[str]]:
        """The keys of each meaningful word of ``text`` (cached per text)."""
        cached = self._keys.get(text)
        if cached is not None:
            return cached
        out: list[frozenset[str]] = []
        tokens = words(text)
        for i, (raw, token) in enumerate(tokens):
            pair = f"{token} {tokens[i + 1][1]}" if i + 1 < len(tokens) else ""
            if pair in QUESTION_WORDS:
                out.append(frozenset({QUESTION_WORDS[pair]}))
                continue
            word = self._word(raw, token)
            if word is not None:
                out.append(word)
        if len(self._keys) > CACHE_SIZE:
            self._keys.clear()
        self._keys[text] = out
        return out

    def _word(self, raw: str, token: str) -> frozenset[str] | None:
        """The keys of one word, or None for a word that says nothing here.

        The same for the content and the message: the lemmas the matcher's
        lexicon or the dictionary give (no typo correction: a typo still meets
        its word through the stem or the first letters), the light stem, and
        for long words their first letters.
        """
        if token in QUESTION_WORDS:
            return frozenset({QUESTION_WORDS[token]})
        if token.isdigit():
            return frozenset({token})
        if token in CHAT_WORDS:
            return frozenset({CHAT_WORDS[token]})
        cached = self._words.get(raw)
        if cached is not None or raw in self._words:
            return cached
        stem = light_stem(token)
        result: frozenset[str] | None = None
        if not (
            len(token) < 2
            or token in STOP_WORDS
            or stem in STOP_WORDS
            or self.lexicon.is_function_word(token, raw)
        ):
            terms = self.lexicon.forms.get(token) or frozenset(self.lexicon.analyzer.lemmas(raw))
            if not terms & STOP_WORDS:
                keys = set(terms) | {"~" + stem}
                if len(token) >= PREFIX + 1:
                    # "koordynuje" and "koordynatorka": no shared lemma or stem.
                    keys.add("^" + token[:PREFIX])
                result = frozenset(keys)
        if len(self._words) > CACHE_SIZE:
            self._words.clear()
        self._words[raw] = result
        return result

    def _index(self, topic: Topic) -> _TopicIndex:
        cached = self._topics.get(topic.id)
        if cached is not None:
            return cached
        raw: dict[str, list[list[frozenset[str]]]] = {}
        vocab: dict[str, frozenset[str]] = {}
        for fact in topic.facts:
            raw[fact.id] = [k for q in fact.questions if (k := self.keys(q))]
            value = fact.text.texts.values() if fact.text is not None else ()
            # A question word in the text ("для кожного, хто…") does not make
            # the fact an answer to "who".
            value_keys = {
                key
                for text in value
                for word in self.keys(text)
                for key in word
                if not key.startswith("?")
            }
            vocab[fact.id] = frozenset(
                {key for q in raw[fact.id] for word in q for key in word} | value_keys
            )
        df: dict[str, int] = {}
        for keys in vocab.values():
            for key in keys:
                df[key] = df.get(key, 0) + 1
        n = max(1, len(raw))
        idf = {key: math.log(1.0 + n / count) for key, count in df.items()}
        # The words that name the topic ("Budżet Obywatelski") are in most
        # messages about it and say nothing about which of its facts is asked.
        title = {key for text in topic.title.texts.values() for w in self.keys(text) for key in w}
        for key in title & idf.keys():
            idf[key] *= TITLE_WEIGHT
        self._titles[topic.id] = frozenset(title)
        title_keys = self._titles[topic.id]
        built: dict[str, tuple[_Question, ...]] = {}
        for fact_id, questions in raw.items():
            qs = []
            for q in questions:
                ws = tuple(_Word(word, _weight(word, idf, title_keys)) for word in q)
                qs.append(_Question(ws, max(MIN_QUESTION_WEIGHT, sum(w.weight for w in ws))))
            built[fact_id] = tuple(qs)
        kinds = {
            fact_id: frozenset(k for q in questions for w in q for k in w if k in ANSWER_KINDS)
            for fact_id, questions in raw.items()
        }
        index = _TopicIndex(built, vocab, idf, kinds, frozenset().union(*kinds.values()))
        self._topics[topic.id] = index
        return index

    def rank(self, topic: Topic, message: str, facts: tuple[Fact, ...]) -> list[Ranked]:
        """``facts`` (of ``topic``) by how well ``message`` matches them, best first.

        A fact's score is the mean of how much of its best-matching question
        the message covers and how much of the message (its words the topic
        knows) the fact's questions and text cover; lowered for a fact that
        is not asked for the kind of answer the message wants (``ANSWER_KINDS``)
        when another fact of the topic is.
        """
        index = self._index(topic)
        message_words = self.keys(message)
        message_keys = frozenset(key for word in message_words for key in word)
        title = self._titles[topic.id]
        relevant = [
            (w, _weight(w, index.idf, title)) for w in message_words if w & index.idf.keys()
        ]
        relevant_total = sum(weight for _w, weight in relevant)
        asked = frozenset(k for w in message_words for k in w if k in ANSWER_KINDS)
        answerable = asked & index.asked_kinds
        ranked: list[Ranked] = []
        for fact in facts:
            questions = index.questions.get(fact.id, ())
            if not questions:
                continue
            best = 0.0
            for q in questions:
                covered = sum(w.weight for w in q.words if w.keys & message_keys)
                best = max(best, covered / q.total)
            fact_keys = index.keys[fact.id]
            coverage = (
                sum(weight for w, weight in relevant if w & fact_keys) / relevant_total
                if relevant_total
                else 0.0
            )
            score = (best + coverage) / 2
            if answerable - index.kinds[fact.id]:
                score *= KIND_FACTOR
            ranked.append(Ranked(fact, score))
        ranked.sort(key=lambda r: -r.score)
        return ranked

    def leading(self, topic: Topic, message: str, facts: tuple[Fact, ...]) -> list[Fact]:
        """The facts that answer ``message``: one or two that stand out, or none."""
        ranked = self.rank(topic, message, facts)
        if not ranked or ranked[0].score < LEAD:
            return []
        best = ranked[0].score
        close = [r for r in ranked if r.score >= best - TIE]
        known = [r for r in close if r.fact.status is not FactStatus.MISSING]
        if known and len(known) < len(close):
            # What we know answers the question; a gap that fits as well waits
            # for the full topic.
            close = known
        if len(close) > MAX_LEAD:
            return []  # several facts fit equally: none stands out
        return [r.fact for r in close]

    def best_items(self, key: str, items: list[tuple[str, list[str]]], message: str) -> list[str]:
        """The ids of ``items`` (id, texts) whose texts the message names, best first.

        Used to answer about one dated item of a list ("the call on
        addiction prevention") instead of the whole list.
        """
        message_words = self.keys(message)
        if not message_words or not items:
            return []
        vocab = {
            item_id: frozenset(k for text in texts for w in self.keys(text) for k in w)
            for item_id, texts in items
        }
        df: dict[str, int] = {}
        for keys in vocab.values():
            for k in keys:
                df[k] = df.get(k, 0) + 1
        n = len(items)
        # Words every item shares ("konkurs") tell none of them apart.
        idf = {k: math.log(1.0 + n / c) for k, c in df.items() if c < n}
        scores = []
        for item_id, keys in vocab.items():
            score = sum(max(idf.get(k, 0.0) for k in w) for w in message_words if w & keys)
            scores.append((score, item_id))
        scores.sort(reverse=True)
        if not scores or scores[0][0] < ITEM_MIN_SCORE:
            return []
        best = scores[0][0]
        return [i for s, i in scores if s >= best * 0.9][:MAX_LEAD]


def _weight(word: frozenset[str], idf: dict[str, float], title: frozenset[str]) -> float:
    if any(key.startswith("?") for key in word):
        return QUESTION_WORD_WEIGHT if any(key in idf for key in word) else 0.0
    weights = [idf[key] for key in word if key in idf]
    if not weights:
        return 0.0
    # A word of the topic's title stays light whatever else it may be; any
    # other word weighs as its most telling reading.
    return min(weights) if word & title else max(weights)
