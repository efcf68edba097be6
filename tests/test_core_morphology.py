"""Polish morphology: inflected forms, missing diacritics and typos meet their lemma."""

from __future__ import annotations

import pytest

from bot.core.morphology import Lexicon, MorfeuszAnalyzer, NullAnalyzer, light_stem
from bot.core.text import words

#: The vocabulary of a tiny set of examples (as the matcher builds it).
VOCABULARY = [
    "kiedy jest kongres dialogu",
    "mikrogranty dla młodzieży",
    "jak złożyć wniosek",
    "konto w witkac",
    "godziny otwarcia biura",
    "program współpracy z organizacjami",
]


@pytest.fixture(scope="module")
def lexicon() -> Lexicon:
    raw = [r for sentence in VOCABULARY for r, _folded in words(sentence)]
    return Lexicon.build(raw, MorfeuszAnalyzer())


def terms_of(lexicon: Lexicon, typed: str) -> frozenset[str]:
    """The terms of a one-word message, looked up the way the matcher does it."""
    [(raw, folded)] = words(typed)
    return lexicon.terms(folded, raw)


def assert_meets(lexicon: Lexicon, typed: str, target: str) -> None:
    got, want = terms_of(lexicon, typed), terms_of(lexicon, target)
    assert want, f"{target!r} should be in the vocabulary"
    assert got & want, (
        f"{typed!r} maps to {sorted(got)}, expected to meet {target!r} {sorted(want)}"
    )


@pytest.mark.parametrize("typed", ["Kongresie", "Kongresu", "kongresem", "kongresow", "KONGRESÓW"])
def test_inflected_forms_meet_the_lemma(lexicon: Lexicon, typed: str) -> None:
    assert_meets(lexicon, typed, "kongres")
    assert terms_of(lexicon, typed) == frozenset({"kongres"})


@pytest.mark.parametrize("typed", ["mikrograntów", "mikrograntow", "Mikrogrant", "mikrograncie"])
def test_forms_without_diacritics_meet_the_lemma(lexicon: Lexicon, typed: str) -> None:
    assert_meets(lexicon, typed, "mikrogrant")


@pytest.mark.parametrize("typed", ["zlozyc", "ZŁOŻYĆ", "złożę", "zlozylem"])
def test_verb_forms_with_and_without_diacritics(lexicon: Lexicon, typed: str) -> None:
    assert_meets(lexicon, typed, "złożyć")


@pytest.mark.parametrize("typed", ["witkacu", "witkacem", "Witkac", "witkaca"])
def test_unknown_names_fall_back_to_a_light_stem(lexicon: Lexicon, typed: str) -> None:
    # No dictionary knows "witkac": the suffix-stripping stem carries it.
    assert terms_of(lexicon, typed) == frozenset({"~witkac"})


@pytest.mark.parametrize(
    ("typo", "target"),
    [
        ("Kongers", "kongres"),  # transposition
        ("kngres", "kongres"),  # a letter missing
        ("mikrogranyt", "mikrogrant"),  # a letter added
        ("wiktac", "witkac"),  # transposition in an unknown name
        ("dialgou", "dialogu"),
    ],
)
def test_typos_are_corrected_to_the_right_term(lexicon: Lexicon, typo: str, target: str) -> None:
    assert_meets(lexicon, typo, target)


@pytest.mark.parametrize(
    ("typo", "target"),
    [
        ("kongrsie", "kongresie"),  # a letter missing from an inflected form
        ("mikrogarntów", "mikrograntów"),  # letters swapped in one
        ("wnioksu", "wniosku"),
        ("organizacjmi", "organizacjami"),
        ("godzinnach", "godzinach"),  # a letter doubled
        ("OTWRACIA", "otwarcia"),
    ],
)
def test_typos_in_inflected_forms_meet_the_lemma(lexicon: Lexicon, typo: str, target: str) -> None:
    assert_meets(lexicon, typo, target)


def test_a_typo_is_read_before_a_stem_that_happens_to_be_another_word() -> None:
    # "mieszkacami" is "mieszkańcami" without its "n"; cutting the ending off
    # instead leaves "mieszkac", a form of the verb "mieszkać".
    raw = [r for s in ["spotkanie z mieszkańcami", "gdzie mieszkać w Toruniu"] for r, _ in words(s)]
    lexicon = Lexicon.build(raw, MorfeuszAnalyzer())
    assert terms_of(lexicon, "mieszkacami") == frozenset({"mieszkaniec"})
    assert terms_of(lexicon, "mieszkac") == frozenset({"mieszkać"})


#: Examples are typed by people too: typos, words used often, near misses.
TYPED_EXAMPLES = [
    "nabór wniosków",
    "termin składania wnioksów",  # a typo in the examples themselves
    "złożenie wniosku",
    "konto w witkac",  # a name no dictionary knows, used more often…
    "pomoc z witkac",
    "logowanie do witkac",
    "witamy nowych członków",  # …than "witać", one letter away
    "stare miasto",
    "stary rynek",
    "share the link",  # one letter typed for another: a word of its own
    "niech ktoś oddzwoni",  # a particle in the examples stays a function word
]


@pytest.fixture(scope="module")
def typed_lexicon() -> Lexicon:
    raw = [r for sentence in TYPED_EXAMPLES for r, _folded in words(sentence)]
    return Lexicon.build(raw, MorfeuszAnalyzer())


def test_a_typo_in_the_examples_is_its_word_not_a_lemma_of_its_own(
    typed_lexicon: Lexicon,
) -> None:
    assert terms_of(typed_lexicon, "wnioksów") == frozenset({"wniosek"})
    assert not any(lemma.startswith("~wnioks") for lemma in typed_lexicon.lemmas)
    # Other forms with the same typo meet the word as well.
    for typed in ["wnioksu", "wnioksami", "WNIOKSACH"]:
        assert_meets(typed_lexicon, typed, "wniosek")


@pytest.mark.parametrize(("word", "near"), [("witkac", "witać"), ("share", "stary")])
def test_example_words_close_to_another_word_are_not_read_as_typos(
    typed_lexicon: Lexicon, word: str, near: str
) -> None:
    assert near in typed_lexicon.lemmas
    assert terms_of(typed_lexicon, word) == frozenset({"~" + light_stem(word)})


@pytest.mark.parametrize(
    ("word", "function_word"),
    [
        # on the list of the three languages
        ("dla", True),
        ("o", True),
        ("the", True),
        ("що", True),
        # read by the dictionary as a preposition, particle or pronoun only
        ("według", True),
        ("niech", True),
        ("spoza", True),
        # content words, names and greetings (an interjection is a greeting's content)
        ("kongres", False),
        ("którym", False),
        ("witkac", False),
        ("hej", False),
        ("siema", False),
    ],
)
def test_function_words_are_told_apart_from_content_words(
    lexicon: Lexicon, word: str, function_word: bool
) -> None:
    [(raw, folded)] = words(word)
    assert lexicon.is_function_word(folded, raw) is function_word


@pytest.mark.parametrize("word", ["według", "niech", "spoza", "jakoż"])
def test_function_words_are_never_corrected_into_content_words(lexicon: Lexicon, word: str) -> None:
    # The conjunction "jakoż" is one letter away from "jaka", a form of "jaki".
    assert terms_of(lexicon, word) == frozenset()


def test_function_words_of_the_examples_keep_their_term_but_stay_function_words(
    typed_lexicon: Lexicon,
) -> None:
    assert terms_of(typed_lexicon, "niech") == frozenset({"~niech"})
    assert typed_lexicon.is_function_word("niech", "niech")
    assert not typed_lexicon.is_function_word("oddzwoni", "oddzwoni")


def test_without_a_dictionary_only_the_listed_function_words_are_known() -> None:
    plain = Lexicon.build(["kongres"], NullAnalyzer())
    assert plain.is_function_word("dla")
    assert not plain.is_function_word("wedlug", "według")


@pytest.mark.parametrize("token", ["xqzw", "qwer", "zzz", "abcd", "bzdrx", "1234567"])
def test_random_short_tokens_are_not_corrected_into_anything(lexicon: Lexicon, token: str) -> None:
    assert terms_of(lexicon, token) == frozenset(), f"{token!r} must stay unknown"


def test_ambiguous_forms_keep_every_lemma_but_never_merge_lemmas(lexicon: Lexicon) -> None:
    # Every lemma key stays distinct: "kongres" does not swallow "dialog".
    assert terms_of(lexicon, "kongres") != terms_of(lexicon, "dialogu")
    assert "kongres" in lexicon.lemmas
    assert "dialog" in lexicon.lemmas


def test_null_analyzer_still_meets_exact_and_stemmed_forms() -> None:
    raw = [r for sentence in VOCABULARY for r, _folded in words(sentence)]
    plain = Lexicon.build(raw, NullAnalyzer())
    assert terms_of(plain, "kongres") == terms_of(plain, "Kongres!") != frozenset()
    assert terms_of(plain, "witkacu") == terms_of(plain, "witkac")


@pytest.mark.parametrize(
    ("token", "stem"),
    [
        ("witkacu", "witkac"),
        ("witkacem", "witkac"),
        ("kongresy", "kongres"),
        ("meetings", "meeting"),
        ("конгресу", "конгрес"),
        ("abc", "abc"),  # too short to strip
        ("2025", "2025"),
    ],
)
def test_light_stem(token: str, stem: str) -> None:
    assert light_stem(token) == stem
    assert len(light_stem(token)) >= min(4, len(token))
