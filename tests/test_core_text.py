"""Normalisation: everything the matcher compares goes through bot.core.text."""

from __future__ import annotations

import pytest

from bot.core.text import (
    MAX_MATCH_CHARS,
    fold,
    has_cyrillic,
    is_question,
    message_parts,
    normalise,
    sentences,
    tokenize,
    words,
)


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        # Polish diacritics folded, case lowered
        ("Złożyć", "zlozyc"),
        ("ŁÓDŹ", "lodz"),
        ("ZAŻÓŁĆ GĘŚLĄ JAŹŃ", "zazolc gesla jazn"),
        ("Toruński Kongres Dialogu", "torunski kongres dialogu"),
        # NFKC: full-width letters and digits, ligatures, circled digits
        ("ＫＯＮＧＲＥＳ", "kongres"),
        ("ｋｏｎｇｒｅｓ ２０２５", "kongres 2025"),
        ("ﬁnał", "final"),
        ("①", "1"),
        # punctuation and emoji are separators, never part of a word
        ("Kongres!!! 🎉😀", "kongres"),
        ("kiedy...jest,kongres?", "kiedy jest kongres"),
        ("«kongres» — „dialogu”", "kongres dialogu"),
        ("kongres_dialogu", "kongres dialogu"),
        ("👍kongres👍", "kongres"),
        # digits split from letters
        ("2025r", "2025 r"),
        ("kongres2025", "kongres 2025"),
        ("r2025abc", "r 2025 abc"),
        # whitespace of any kind
        ("  KONGRES\tDIALOGU\n2025  ", "kongres dialogu 2025"),
    ],
)
def test_normalise_table(typed: str, expected: str) -> None:
    assert normalise(typed) == expected, f"normalise({typed!r})"


@pytest.mark.parametrize("text", ["", "   ", "\n\t", "🎉🎉🎉", "?!...", "\u200b", "👍🏽"])
def test_messages_without_words_normalise_to_nothing(text: str) -> None:
    assert normalise(text) == ""
    assert words(text) == []


def test_control_characters_never_reach_the_tokens() -> None:
    text = "kiedy\x00jest\x07kongres\x1b\x7f\x9fdialogu"
    tokens = tokenize(text)
    assert tokens == ["kiedy", "jest", "kongres", "dialogu"]
    for token in tokens:
        assert all(ch.isprintable() for ch in token), token


def test_ten_thousand_characters_are_cut_without_error() -> None:
    text = "kongres dialogu " * 625  # 10,000 characters
    assert len(text) == 10_000
    result = normalise(text)
    assert len(result) <= MAX_MATCH_CHARS
    tokens = result.split()
    # Most of the allowance is used, and cut between words: no half word at the end.
    assert len(result) > MAX_MATCH_CHARS - len("dialogu ")
    assert set(tokens) == {"kongres", "dialogu"}
    assert tokens[:3] == ["kongres", "dialogu", "kongres"]


@pytest.mark.parametrize(
    "text", ["a" * 10_000, "ą" * 10_000, "🎉" * 10_000, "\x00" * 10_000, "1" * 10_000]
)
def test_ten_thousand_characters_of_one_kind_do_not_raise(text: str) -> None:
    assert len(normalise(text)) <= MAX_MATCH_CHARS


def test_ukrainian_letters_stay_sensible() -> None:
    # й and ї are letters of their own in Ukrainian: not folded to и and і.
    assert normalise("Їжак йде") == "їжак йде"
    assert normalise("ЙОД") == "йод"
    assert normalise("Київ") == "київ"
    # ґ is commonly typed as г, ё (Russian layout) as е
    assert normalise("ґанок") == normalise("ганок")
    assert fold("ёлка") == "елка"
    assert has_cyrillic("коли конгрес")
    assert not has_cyrillic("kiedy kongres")


def test_ukrainian_apostrophe_does_not_split_the_word() -> None:
    typed = ["об'єднання", "об’єднання", "обʼєднання", "обєднання"]
    assert {normalise(t) for t in typed} == {"обєднання"}


@pytest.mark.parametrize("apostrophe", ["'", "’", "‘", "ʼ", "`"])
def test_every_apostrophe_of_a_ukrainian_word_keeps_it_whole(apostrophe: str) -> None:
    typed = f"п{apostrophe}ять сім{apostrophe}я, М{apostrophe}ЯСО"
    assert tokenize(typed) == ["пять", "сімя", "мясо"]
    # The raw form loses it too: no analyser reads Ukrainian, and the lexicon
    # must see the same word however it was typed.
    assert words(typed)[0] == ("пять", "пять")


def test_apostrophes_outside_cyrillic_words_still_separate() -> None:
    # Only between two Cyrillic letters is an apostrophe part of the word.
    assert tokenize("don't") == ["don", "t"]
    assert tokenize("'коли' конгрес’") == ["коли", "конгрес"]
    assert tokenize("kongres'коли") == ["kongres", "коли"]


def test_latin_diaeresis_is_folded() -> None:
    assert normalise("Müller naïve") == "muller naive"


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        # On Latin letters the breve and the diaeresis are diacritics like any other…
        ("Ăla Ëlo Ÿ ŭ", "ala elo y u"),
        # …on Cyrillic ones they make the letters й and ї (and ё folds to е).
        ("йї ЙЇ", "йї йї"),
        ("ӓ", "ӓ"),
        ("їжак müller", "їжак muller"),
    ],
)
def test_breve_and_diaeresis_are_kept_on_cyrillic_letters_only(typed: str, expected: str) -> None:
    assert normalise(typed) == expected


def test_other_scripts_are_kept_as_words() -> None:
    assert normalise("中文 问题") == "中文 问题"
    assert normalise("مرحبا بكم") == "مرحبا بكم"
    assert tokenize("Γειά σου") == ["γεια", "σου"]


def test_words_pairs_keep_diacritics_in_the_raw_form() -> None:
    assert words("Złożyć WNIOSEK o mikrogrant!") == [
        ("złożyć", "zlozyc"),
        ("wniosek", "wniosek"),
        ("o", "o"),
        ("mikrogrant", "mikrogrant"),
    ]
    # The raw form is lower case and NFKC, the folded one is what matching sees.
    assert words("ＺＡŻÓŁĆ") == [("zażółć", "zazolc")]
    for raw, folded in words("Kongres w Toruniu 2025r. – ŁÓDŹ, Київ"):
        assert raw == raw.lower()
        assert folded == fold(raw)


def test_normalise_and_tokenize_agree() -> None:
    text = "Kiedy jest 2. Kongres Dialogu (29–30.09.2025)?"
    assert normalise(text) == " ".join(tokenize(text))
    assert tokenize(text) == ["kiedy", "jest", "2", "kongres", "dialogu", "29", "30", "09", "2025"]


# ---------------------------------------------------------------- sentences
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Kiedy jest kongres?", ["Kiedy jest kongres?"]),
        (
            "Dzień dobry. Kiedy jest kongres? Dziękuję",
            ["Dzień dobry.", "Kiedy jest kongres?", "Dziękuję"],
        ),
        ("Witam!!! Gdzie to jest?!", ["Witam!!!", "Gdzie to jest?!"]),
        ("pierwsza linia\ndruga linia", ["pierwsza linia", "druga linia"]),
        # abbreviations, initials and numbers end no sentence
        (
            "Biuro na ul. Wały gen. Sikorskiego, np. w pon. Czy jest otwarte?",
            ["Biuro na ul. Wały gen. Sikorskiego, np. w pon. Czy jest otwarte?"],
        ),
        ("Pisze A. Nowak. Kiedy?", ["Pisze A. Nowak.", "Kiedy?"]),
        ("🎉. Kiedy?", ["Kiedy?"]),
        ("", []),
    ],
)
def test_sentences(text: str, expected: list[str]) -> None:
    assert sentences(text) == expected


@pytest.mark.parametrize(
    "sentence",
    [
        "Kiedy jest kongres?",
        "kiedy jest kongres",
        "Dzień dobry, czy można przyjść z dzieckiem",
        "Uprzejmie proszę o informację o naborze",
        "Chciałabym się dowiedzieć, ile trwa nabór",
        "Szukamy sali na spotkania",
        "When is the congress",
        "Hello, where is the office",
        "коли конгрес",
        "Підкажіть, будь ласка, адресу",
    ],
)
def test_questions_and_requests_are_recognised(sentence: str) -> None:
    assert is_question(sentence)


@pytest.mark.parametrize(
    "sentence",
    [
        "Dzień dobry",
        "Jestem emerytowaną nauczycielką z Torunia",
        "Nasze stowarzyszenie działa od 1998 roku, tak jak inne koła",
        "Byłam na kongresie, kiedy jeszcze studiowałam",
        "I moved here from Porto last spring",
        "Z góry dziękuję",
    ],
)
def test_context_sentences_are_not_questions(sentence: str) -> None:
    assert not is_question(sentence)


def test_message_parts_put_the_question_first_then_the_sentence_before_it() -> None:
    text = "Dzień dobry. Mój syn chce iść na kongres. W jakie dni będzie? Dziękuję"
    assert message_parts(text) == [
        "W jakie dni będzie?",
        "Mój syn chce iść na kongres. W jakie dni będzie?",
    ]


@pytest.mark.parametrize(
    "text",
    [
        "Kiedy jest kongres?",  # one sentence: the whole is the question
        "Kiedy jest kongres? Gdzie jest kongres?",  # every sentence asks
        "Dzień dobry. Pozdrawiam.",  # nothing asks
    ],
)
def test_message_parts_are_empty_when_the_whole_message_is_the_part(text: str) -> None:
    assert message_parts(text) == []
