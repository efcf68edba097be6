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
