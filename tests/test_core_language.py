"""Language of a message from its text: Polish, Ukrainian, English or unknown."""

from __future__ import annotations

import dataclasses

import pytest

from bot.core.language import (
    MIN_CONFIDENCE,
    SWITCH_THRESHOLD,
    UNKNOWN,
    LanguageGuess,
    detect_language,
)
from bot.core.language_ngrams import weights


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        # Polish, with and without diacritics, with names and typos.
        ("dzięki", "pl"),
        ("Dzień dobry", "pl"),
        ("czy mozna przyjsc bez rejestracji", "pl"),
        ("gdzie sie skladia wniosek", "pl"),
        ("KIEDY JEST KONGRES", "pl"),
        ("no nie wiem", "pl"),
        ("ok dzięki 🙏", "pl"),
        ("I co dalej?", "pl"),
        ("czy Biuro Dialogu pracuje w piatek po 15", "pl"),
        ("Szanowni Państwo, uprzejmie proszę o przesłanie regulaminu.", "pl"),
        # Ukrainian, also with Polish proper names and apostrophes.
        ("привіт", "uk"),
        ("коли буде Kongres Dialogu?", "uk"),
        ("де знаходиться CKK Jordanki", "uk"),
        ("що означає za zgodność z oryginałem", "uk"),
        ("як з’явитися на конгрес", "uk"),
        ("як зв'язатися з Biuro Dialogu i Innowacji Miejskich", "uk"),
        ("мені потрібна довідка", "uk"),
        # English, also with Polish proper names.
        ("hi", "en"),
        ("when is the Kongres in Jordanki", "en"),
        ("is Biuro Dialogu open on Mondays?", "en"),
        ("I need help with witkac", "en"),
        ("what's the deadline for mikrogranty", "en"),
        ("good morning", "en"),
        ("ok thanks", "en"),
        # Unknown: too short, only names, numbers, emoji, addresses.
        ("ok", None),
        ("OK", None),
        ("tak", None),
        ("no", None),
        ("?", None),
        ("...", None),
        ("kongres", None),
        ("Kongres Dialogu?", None),
        ("CKK Jordanki", None),
        ("BO 2026", None),
        ("Toruń", None),
        ("Dwór Artusa", None),
        ("witkac.pl", None),
        ("https://torun.pl/kongres", None),
        ("biuro@example.org", None),
        ("/start", None),
        ("👍", None),
        ("😊😊", None),
        ("2026", None),
        ("14:00", None),
        ("+48 600 100 200", None),
        ("", None),
        ("   ", None),
        ("konsultacje", None),
        ("grant", None),
        # Russian is not a product language.
        ("где находится офис?", None),
        ("спасибо", None),
        ("здравствуйте, можно вопрос", None),
    ],
)
def test_detect_language(text: str, lang: str | None) -> None:
    guess = detect_language(text)
    if lang is None:
        assert not guess.is_confident(), guess
    else:
        assert guess.lang == lang, guess
        assert guess.is_confident(), guess


def test_short_ambiguous_messages_keep_the_persons_language() -> None:
    for text in ("ok", "kongres", "CKK Jordanki", "BO 2026", "tak", "👍", "123"):
        guess = detect_language(text)
        assert guess.confidence < SWITCH_THRESHOLD, (text, guess)


def test_more_words_give_more_confidence() -> None:
    one = detect_language("kiedy")
    three = detect_language("kiedy jest kongres")
    many = detect_language("kiedy jest kongres i gdzie mozna sie zapisac")
    assert one.lang == three.lang == many.lang == "pl"
    assert one.confidence < three.confidence < many.confidence <= 1.0


def test_nothing_to_read_is_unknown_with_no_evidence() -> None:
    assert detect_language("") == UNKNOWN
    assert detect_language("12:00 👍 !!!") == UNKNOWN
    assert UNKNOWN.lang is None and UNKNOWN.confidence == 0.0
    assert not UNKNOWN.is_confident(0.0)


def test_russian_is_recognised_but_not_reported_as_a_language() -> None:
    guess = detect_language("здравствуйте, когда будет конгресс?")
    assert guess.lang is None
    assert max(guess.scores, key=lambda lang: guess.scores[lang]) == "ru"


def test_latin_words_in_a_cyrillic_message_are_taken_for_names() -> None:
    guess = detect_language("де Rada Działalności Pożytku Publicznego")
    assert guess.lang == "uk"
    assert guess.scores["pl"] < guess.scores["uk"]


def test_a_confidence_below_the_minimum_reports_no_language() -> None:
    guess = detect_language("tak")
    assert guess.lang is None
    assert 0.0 < guess.confidence < MIN_CONFIDENCE


def test_the_threshold_is_a_parameter() -> None:
    guess = detect_language("mikrogranty")  # one Polish-looking word: weak
    assert guess.lang == "pl"
    assert not guess.is_confident()
    assert guess.is_confident(threshold=0.5)


def test_long_input_is_cut_and_still_detected() -> None:
    guess = detect_language("kiedy jest kongres? " * 5000)
    assert guess.lang == "pl" and guess.confidence > 0.99


def test_the_guess_is_a_frozen_value() -> None:
    guess = detect_language("dzięki")
    assert isinstance(guess, LanguageGuess)
    with pytest.raises(dataclasses.FrozenInstanceError):
        guess.lang = "en"  # type: ignore[misc]


def test_trigram_table_separates_polish_from_english() -> None:
    table = weights()
    assert len(table) > 1000
    assert all(len(gram) == 3 for gram in table)
    assert table["prz"] > 0 and table["szc"] > 0  # Polish clusters
    assert table["th "] < 0 and table["ing"] < 0  # English endings
