"""Polish morphology for matching: every inflected form meets its lemma.

The matcher works on *term ids*. :class:`Lexicon` is built once from the
vocabulary of the examples: each word is analysed (lemmas), every form of
each lemma is generated, and all forms are indexed *folded* (no diacritics,
lower case). At query time "kongresie", "Kongresu" and "kongresem" all map to
the term of "kongres", also when typed without Polish letters ("mikrograntow").

Words no dictionary knows (names such as "witkac", English and Ukrainian
words) fall back to a light suffix-stripping stem, so "witkacu" still meets
"witkac". Unknown words close to a known form are corrected with rapidfuzz
(optimal string alignment: one transposition counts as one typo), in the
messages and in the examples alike: a typo in an example ("kongersu") joins
its word's lemma instead of becoming a lemma of its own.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Protocol

from rapidfuzz import process
from rapidfuzz.distance import OSA

from bot.core.text import fold

logger = logging.getLogger(__name__)


class Analyzer(Protocol):
    """A morphological analyser: lemmas of a word and forms of a lemma."""

    name: str

    def lemmas(self, word: str) -> set[str]:
        """Return the lemmas of a lower-cased word (with its diacritics)."""
        ...

    def forms(self, lemma: str) -> set[str]:
        """Return all inflected forms of a lemma (empty if it cannot generate)."""
        ...

    def is_function_word(self, word: str) -> bool:
        """Tell whether the dictionary reads the word only as a grammatical word."""
        ...


class NullAnalyzer:
    """No morphology: every word is its own lemma (for comparison only)."""

    name = "none"

    def lemmas(self, word: str) -> set[str]:
        return set()

    def forms(self, lemma: str) -> set[str]:
        return set()

    def is_function_word(self, word: str) -> bool:
        return False


# Morfeusz tags of words that carry no topic: prepositions, conjunctions,
# particles, pronouns, interjections, punctuation.
_FUNCTION_TAGS = frozenset(
    {"prep", "conj", "comp", "qub", "part", "ppron12", "ppron3", "siebie", "interj", "interp"}
)
# The grammatical ones among them. Interjections are left out: "hej" and
# "siema" carry no lemma, but a greeting is made of nothing else.
_GRAMMATICAL_TAGS = _FUNCTION_TAGS - {"interj"}


class MorfeuszAnalyzer:
    """Morfeusz 2 with the SGJP dictionary shipped in its wheel."""

    name = "morfeusz2"

    def __init__(self) -> None:
        import morfeusz2

        # One instance per thread: Morfeusz objects are not thread-safe.
        self._local = threading.local()
        self._factory = morfeusz2.Morfeusz
        self._lock = threading.Lock()

    def _morf(self) -> object:
        morf = getattr(self._local, "morf", None)
        if morf is None:
            with self._lock:
                morf = self._factory(expand_tags=False)
            self._local.morf = morf
        return morf

    def analyse(self, word: str) -> list[tuple[str, str]]:
        """Return (lemma, tag) pairs for a word; empty when unknown."""
        out: list[tuple[str, str]] = []
        for _start, _end, (_orth, lemma, tag, *_rest) in self._morf().analyse(word):  # type: ignore[attr-defined]
            if tag == "ign":
                continue
            out.append((lemma.split(":", 1)[0].lower(), tag.split(":", 1)[0]))
        return out

    def lemmas(self, word: str) -> set[str]:
        return {lemma for lemma, tag in self.analyse(word) if tag not in _FUNCTION_TAGS}

    def is_function_word(self, word: str) -> bool:
        """Tell whether every reading of the word is a grammatical word ("dla", "niech")."""
        readings = self.analyse(word)
        return bool(readings) and all(tag in _GRAMMATICAL_TAGS for _lemma, tag in readings)

    def forms(self, lemma: str) -> set[str]:
        return set(self._forms(lemma))

    @lru_cache(maxsize=200_000)  # noqa: B019 - one analyser per process, forms never change
    def _forms(self, lemma: str) -> frozenset[str]:
        try:
            generated = self._morf().generate(lemma)  # type: ignore[attr-defined]
        except RuntimeError:
            return frozenset()
        return frozenset(g[0].lower() for g in generated)


class SimplemmaAnalyzer:
    """simplemma's Polish lemmatiser (lemmas only, no generation)."""

    name = "simplemma"

    def __init__(self) -> None:
        import simplemma

        self._lemmatize = simplemma.lemmatize

    def lemmas(self, word: str) -> set[str]:
        lemma = self._lemmatize(word, lang="pl")
        return {lemma.lower()} if lemma and lemma.lower() != word else set()

    def forms(self, lemma: str) -> set[str]:
        return set()

    def is_function_word(self, word: str) -> bool:
        return False


def make_analyzer(name: str = "morfeusz2") -> Analyzer:
    """Build an analyser by name: ``morfeusz2``, ``simplemma`` or ``none``."""
    if name == "morfeusz2":
        return MorfeuszAnalyzer()
    if name == "simplemma":
        return SimplemmaAnalyzer()
    if name == "none":
        return NullAnalyzer()
    raise ValueError(f"unknown analyser {name!r}")


# Endings stripped from words no dictionary knows. Longest first.
_LATIN_ENDINGS = tuple(
    sorted(
        {
            # Polish nominal and adjectival endings
            "ami",
            "ach",
            "om",
            "ow",
            "owi",
            "em",
            "ie",
            "iu",
            "u",
            "a",
            "y",
            "i",
            "e",
            "o",
            "ego",
            "emu",
            "ej",
            "ym",
            "ymi",
            "ych",
            "ich",
            "imi",
            # English
            "s",
            "es",
            "ies",
            "ing",
            "ed",
        },
        key=len,
        reverse=True,
    )
)
_CYRILLIC_ENDINGS = tuple(
    sorted(
        {
            "ами",
            "ями",
            "ах",
            "ях",
            "ом",
            "ем",
            "ою",
            "ею",
            "ів",
            "їв",
            "ей",
            "ам",
            "ям",
            "ого",
            "ому",
            "ими",
            "ій",
            "ий",
            "ої",
            "их",
            "им",
            "ім",
            "ую",
            "юю",
            "ться",
            "тися",
            "ти",
            "ть",
            "ся",
            "у",
            "ю",
            "а",
            "я",
            "і",
            "и",
            "е",
            "о",
            "ь",
            "ї",
        },
        key=len,
        reverse=True,
    )
)


def light_stem(token: str) -> str:
    """Strip one common ending from a folded token, keeping at least 4 letters."""
    if len(token) <= 4 or token.isdigit():
        return token
    endings = _CYRILLIC_ENDINGS if "\u0400" <= token[0] <= "\u04ff" else _LATIN_ENDINGS
    for ending in endings:
        if token.endswith(ending) and len(token) - len(ending) >= 4:
            return token[: -len(ending)]
    return token


# Folded function words of Polish, English and Ukrainian. An unknown token on
# this list carries no meaning for topic choice (it neither helps nor hurts).
FUNCTION_WORDS = frozenset(
    """
    a aby abym aj ale albo ani az bo by byc bylo byla bylem bylam byly co czy czyli dla do
    gdy go ich ile im ja jak jaka jaki jakie jakis jakies jako je jego jej jest jestem
    jestesmy jesli jeszcze ja juz ktora ktore ktory ktorzy kto ktos lub ma mam mamy mi mie
    mnie moge mozna moj moja moje my na nad nam nas nasz nasza nasze nie niz no o od oraz po
    pod przed przez przy sa sie sobie ta tak tam te tego tej ten to tu ty tylko u w we wam
    was z za ze zeby czyz ok okej oki plz pls prosze the a an of to in on at for with and or
    is are was be been do does did can could i you we my our your me it this that there what
    when where who how which please hi hey would should will shall am if about from by as
    any some і й в у на з із до від для що як де коли чи це та але або я ми ви мене мені нам
    вас ваш наш моя мій є бути буде був була будь ласка про по за при щоб так ні
    """.split()  # noqa: SIM905 - a word list is easier to edit as text
)


#: Shortest word of the examples that may be read as a typo of another word.
_MIN_EXAMPLE_TYPO = 5


def _buckets(forms: Iterable[str]) -> dict[tuple[str, int], list[str]]:
    """Forms that can be typo targets, by first letter and length."""
    buckets: dict[tuple[str, int], list[str]] = {}
    for form in forms:
        if len(form) >= 4 and not form.isdigit():
            buckets.setdefault((form[0], len(form)), []).append(form)
    return buckets


def _seen_forms(frequency: Mapping[str, int], forms: Mapping[str, object]) -> list[str]:
    """Forms of the examples that can be typo targets whatever their first letter."""
    return sorted(f for f in frequency if len(f) >= 4 and not f.isdigit() and f in forms)


def _nearest(
    token: str,
    buckets: dict[tuple[str, int], list[str]],
    everywhere: Sequence[str],
    frequency: dict[str, int],
    *,
    substitutions: bool = True,
) -> str | None:
    """The known form a token is most likely a typo of, if close enough.

    Candidates are the forms of ``buckets`` that start with the same letter
    and have a length within the allowed number of typos, plus ``everywhere``
    whatever their first letter. One typo is allowed up to 7 letters, two
    from 8; the closest form wins, then the one most used in the examples.
    Without ``substitutions`` a typo is a letter missing, added or swapped
    with its neighbour, never one letter typed for another.
    """
    if len(token) < 4 or token.isdigit() or token in FUNCTION_WORDS:
        return None
    max_typos = 1 if len(token) < 8 else 2
    candidates: list[str] = []
    for length in range(len(token) - max_typos, len(token) + max_typos + 1):
        candidates.extend(buckets.get((token[0], length), ()))
    hits = process.extract(token, candidates, scorer=OSA.distance, score_cutoff=max_typos, limit=8)
    if everywhere:
        hits += process.extract(
            token, everywhere, scorer=OSA.distance, score_cutoff=max_typos, limit=8
        )
    if not substitutions:
        hits = [hit for hit in hits if _same_letters(token, hit[0])]
    if not hits:
        return None
    hits.sort(key=lambda hit: (hit[1], -frequency.get(hit[0], 0), hit[0]))
    return str(hits[0][0])


def _same_letters(a: str, b: str) -> bool:
    """Tell whether the letters of two words differ only by the ones added or dropped.

    True when one word's letters are the other's plus or minus some (a
    transposition keeps them all); a letter typed for another breaks it.
    """
    more, fewer = (Counter(a), Counter(b)) if len(a) >= len(b) else (Counter(b), Counter(a))
    return not (fewer - more) and (more - fewer).total() == abs(len(a) - len(b))


@dataclass(repr=False)
class Lexicon:
    """Folded surface forms mapped to the lemmas they can be, plus typo correction.

    A form maps to a *set* of lemma keys ("plac" can be "plac" or a form of
    "płacić"); the matcher uses all of them. Lemmas are never merged with
    each other, so an ambiguous form cannot chain unrelated words together.
    """

    analyzer: Analyzer
    #: folded form -> the lemma keys it can be a form of
    forms: dict[str, frozenset[str]] = field(default_factory=dict)
    #: every lemma key of the vocabulary
    lemmas: frozenset[str] = field(default_factory=frozenset)
    #: how often each folded form occurred in the examples (for typo ties)
    frequency: dict[str, int] = field(default_factory=dict)
    #: forms that can be typo targets, bucketed by first letter and length
    _fuzzy_buckets: dict[tuple[str, int], list[str]] = field(default_factory=dict)
    #: forms seen in the examples (a small set searched whole, for first-letter typos)
    _seen_forms: list[str] = field(default_factory=list)
    #: forms of the examples the analyser reads only as grammatical words
    _grammatical_forms: frozenset[str] = field(default_factory=frozenset)

    @classmethod
    def build(cls, words: Iterable[str], analyzer: Analyzer) -> Lexicon:
        """Index every form of every lemma of ``words`` (lower-cased, not folded)."""
        lexicon = cls(analyzer=analyzer)
        counts: dict[str, int] = {}
        for word in words:
            counts[word] = counts.get(word, 0) + 1
        forms: dict[str, set[str]] = {}
        #: forms generated by the dictionary from a lemma (the typo targets below)
        generated_forms: set[str] = set()
        #: how often each lemma occurs in the examples, in any of its forms
        lemma_count: dict[str, int] = {}
        unknown: list[tuple[str, str]] = []
        # Words with Polish letters first: their analysis is reliable, and the
        # folded forms they generate then cover the same words typed without them.
        for word in sorted(counts, key=lambda w: (fold(w) == w, w)):
            folded = fold(word)
            lexicon.frequency[folded] = lexicon.frequency.get(folded, 0) + counts[word]
            lemmas = analyzer.lemmas(word)
            if not lemmas:
                unknown.append((word, folded))
                continue
            forms.setdefault(folded, set()).update(lemmas)
            for lemma in lemmas:
                lemma_count[lemma] = lemma_count.get(lemma, 0) + counts[word]
                forms.setdefault(fold(lemma), set()).add(lemma)
                for form in analyzer.forms(lemma):
                    generated = fold(form)
                    # Generated one- and two-letter forms are abbreviations
                    # ("b." for "bardzo") that would collide with everything.
                    if len(generated) > 2:
                        forms.setdefault(generated, set()).add(lemma)
                        generated_forms.add(generated)
        # Words no dictionary knows, once every known word is indexed. The
        # examples have typos too ("kongersu"): one close to a form the
        # dictionary generated is that word, not a new lemma of its own, which
        # would tie the typo to the one topic whose example has it. Only
        # typos of the kinds that seldom make another word are read so here (a
        # letter missing, added or swapped; "smart" is no typo of "start"). A
        # typo is rarer than its word, so a word the examples use more often
        # than the lemma it is close to is a word in its own right ("witkac" is
        # no typo of "witać"), and so are function words and short words,
        # whose neighbours one letter away are mostly other words ("help").
        targets = _buckets(generated_forms)
        grammatical = {folded for word, folded in unknown if analyzer.is_function_word(word)}
        for _word, folded in unknown:
            if folded in forms:
                continue  # a known form typed without diacritics, or seen before
            meant = None
            if len(folded) >= _MIN_EXAMPLE_TYPO and folded not in grammatical:
                meant = _nearest(folded, targets, (), lexicon.frequency, substitutions=False)
            meant_lemmas = forms[meant] if meant is not None else set()
            if any(lemma_count.get(lemma, 0) > lexicon.frequency[folded] for lemma in meant_lemmas):
                forms[folded] = set(meant_lemmas)
            else:
                forms[folded] = {"~" + light_stem(folded)}
        interned: dict[frozenset[str], frozenset[str]] = {}
        for form, lemma_set in forms.items():
            key = frozenset(lemma_set)
            lexicon.forms[form] = interned.setdefault(key, key)
        lexicon.lemmas = frozenset(lemma for key in interned for lemma in key)
        lexicon._fuzzy_buckets = _buckets(lexicon.forms)
        lexicon._grammatical_forms = frozenset(grammatical)
        lexicon._seen_forms = _seen_forms(lexicon.frequency, lexicon.forms)
        logger.debug("lexicon: %d words, %d forms", len(counts), len(lexicon.forms))
        return lexicon

    def to_state(self) -> dict[str, object]:
        """The lexicon as JSON-able data (for the model cache); see :meth:`from_state`."""
        sets = sorted({tuple(sorted(lemmas)) for lemmas in self.forms.values()})
        set_id = {lemmas: i for i, lemmas in enumerate(sets)}
        return {
            "sets": [list(lemmas) for lemmas in sets],
            "forms": {form: set_id[tuple(sorted(lemmas))] for form, lemmas in self.forms.items()},
            "frequency": self.frequency,
            "grammatical": sorted(self._grammatical_forms),
        }

    @classmethod
    def from_state(cls, state: Mapping[str, Any], analyzer: Analyzer) -> Lexicon:
        """A lexicon from :meth:`to_state`'s data, with the analyser for unseen words."""
        sets = [frozenset(lemmas) for lemmas in state["sets"]]
        lexicon = cls(analyzer=analyzer)
        lexicon.forms = {form: sets[i] for form, i in state["forms"].items()}
        lexicon.frequency = {form: int(n) for form, n in state["frequency"].items()}
        lexicon.lemmas = frozenset(lemma for key in sets for lemma in key)
        lexicon._fuzzy_buckets = _buckets(lexicon.forms)
        lexicon._grammatical_forms = frozenset(state["grammatical"])
        lexicon._seen_forms = _seen_forms(lexicon.frequency, lexicon.forms)
        return lexicon

    def terms(self, token: str, raw: str | None = None) -> frozenset[str]:
        """The lemma keys of a folded token; empty when it is unknown.

        ``raw`` is the token as typed (lower case, with diacritics), which lets
        the analyser recognise forms that were not generated.
        """
        found = self.forms.get(token)
        if found is not None:
            return found
        return self._resolve(token, raw or token)

    def is_function_word(self, token: str, raw: str | None = None) -> bool:
        """Tell whether a folded token is a grammatical word, not a content word.

        True for the :data:`FUNCTION_WORDS` of the three languages and for
        words the analyser reads only as prepositions, conjunctions, particles
        or pronouns ("dla", "niech", "według").
        """
        if token in FUNCTION_WORDS or token in self._grammatical_forms:
            return True
        if token in self.forms:
            return False  # read when the lexicon was built
        return self._grammatical(raw or token)

    @lru_cache(maxsize=65536)  # noqa: B019 - the lexicon lives as long as the matcher
    def _grammatical(self, raw: str) -> bool:
        return self.analyzer.is_function_word(raw)

    @lru_cache(maxsize=65536)  # noqa: B019 - the lexicon lives as long as the matcher
    def _resolve(self, token: str, raw: str) -> frozenset[str]:
        if self._grammatical(raw):
            return frozenset()  # a preposition or particle is no typo of a content word
        known = frozenset(lemma for lemma in self.analyzer.lemmas(raw) if lemma in self.lemmas)
        if known:
            return known
        stem = light_stem(token)
        found = self.forms.get(stem)
        if found is not None and all(lemma[0] == "~" for lemma in found):
            return found  # a name no dictionary knows, inflected: "witkacu"
        if "~" + stem in self.lemmas:
            return frozenset({"~" + stem})
        # Every form of a dictionary word is indexed, so a token that is none of
        # them and only its stem is one is more likely a typo of an inflected
        # form ("mieszkacami": "mieszkańcami", not "mieszkać") than another ending.
        return self._correct(token) or found or frozenset()

    def _correct(self, token: str) -> frozenset[str]:
        """Map a token with a typo to the closest known form, if close enough.

        Candidates are forms that start with the same letter and have a length
        within the allowed number of typos, plus every form seen in the
        examples (which catches a typo in the first letter of common words).
        """
        nearest = _nearest(token, self._fuzzy_buckets, self._seen_forms, self.frequency)
        return frozenset() if nearest is None else self.forms[nearest]

    def __repr__(self) -> str:
        return f"Lexicon({len(self.forms)} forms, analyser {self.analyzer.name})"

    def __hash__(self) -> int:  # lru_cache on a method needs a hashable self
        return id(self)

    def __eq__(self, other: object) -> bool:
        return self is other
