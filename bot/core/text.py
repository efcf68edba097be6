"""Text normalisation shared by the matcher and the content checks.

Everything the matcher compares goes through :func:`normalise` and
:func:`tokenize`, so "Złożyć", "ZLOZYC" and "złożyć!!" meet as "zlozyc".
"""

from __future__ import annotations

import re
import unicodedata

# Letters that NFKD does not decompose into base + combining mark.
_EXTRA_FOLDS = str.maketrans(
    {
        "ł": "l",
        "Ł": "l",
        "ß": "ss",
        "æ": "ae",
        "ø": "o",
        "đ": "d",
        "ı": "i",
    }
)

# Ukrainian and Russian letters folded so that a word typed on a Russian
# layout or without apostrophes still meets its Ukrainian spelling.
_CYRILLIC_FOLDS = str.maketrans(
    {
        "ё": "е",
        "ъ": "",
        "ʼ": "",
        "’": "",
        "'": "",
        "`": "",
        "ґ": "г",
    }
)

# An apostrophe inside a Ukrainian word is part of the spelling ("об'єднання"),
# typed as ', ’, ‘, ʼ or `; it must be dropped before punctuation becomes a
# separator, or the word falls apart. Elsewhere ("don't") it still separates.
_CYRILLIC_APOSTROPHE = re.compile(r"(?<=[\u0400-\u04ff])['’‘ʼ`](?=[\u0400-\u04ff])")

# Any run of characters that is not a letter or a digit separates tokens.
_SEPARATORS = re.compile(r"[^\w]+|_", re.UNICODE)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_DIGIT_LETTER = re.compile(r"(?<=\d)(?=[^\W\d_])|(?<=[^\W\d_])(?=\d)")

#: Longest message the matcher looks at. Longer input is cut here: nobody
#: asks a question in more than this, and it bounds the work per message.
MAX_MATCH_CHARS = 1000

_CYRILLIC = re.compile(r"[\u0400-\u04ff]")
# й = и + breve and ї = і + diaeresis are letters of their own in Ukrainian;
# on any other script the same marks are diacritics like the rest.
_CYRILLIC_COMBINING_KEEP = frozenset({"\u0306", "\u0308"})


# The common case, Polish letters, without a round trip through NFD.
_POLISH_FOLDS = str.maketrans("ąćęłńóśźż", "acelnoszz")


def fold(text: str) -> str:
    """Return ``text`` lower-cased with diacritics removed ("Złóż" -> "zloz")."""
    text = text.lower().translate(_POLISH_FOLDS)
    if text.isascii():
        return text
    text = text.translate(_EXTRA_FOLDS).translate(_CYRILLIC_FOLDS)
    decomposed = unicodedata.normalize("NFD", text)
    kept = []
    base_is_cyrillic = False
    for ch in decomposed:
        if unicodedata.combining(ch):
            if base_is_cyrillic and ch in _CYRILLIC_COMBINING_KEEP:
                kept.append(ch)
            continue
        base_is_cyrillic = "\u0400" <= ch <= "\u04ff"
        kept.append(ch)
    return unicodedata.normalize("NFC", "".join(kept))


def words(text: str) -> list[tuple[str, str]]:
    """Split a message into (as typed, folded) word pairs.

    NFKC (full-width letters, ligatures), control characters removed, case
    lowered, emoji and punctuation turned into separators, digits split from
    letters ("2025r" -> "2025 r"). The first element keeps the diacritics (the
    morphological analyser needs them), the second is folded for matching.
    """
    text = unicodedata.normalize("NFKC", text[: MAX_MATCH_CHARS * 2]).lower()
    text = _CONTROL.sub(" ", text)
    text = _CYRILLIC_APOSTROPHE.sub("", text)
    text = _SEPARATORS.sub(" ", text)
    text = _DIGIT_LETTER.sub(" ", text)
    pairs: list[tuple[str, str]] = []
    length = 0
    for raw in text.split():
        folded = fold(raw)
        if not folded:
            continue
        length += len(folded) + 1
        if length > MAX_MATCH_CHARS:
            break
        pairs.append((raw, folded))
    return pairs


def normalise(text: str) -> str:
    """Normalise a chat message for matching: folded words joined by spaces."""
    return " ".join(folded for _raw, folded in words(text))


def tokenize(text: str) -> list[str]:
    """Split a message into normalised (folded) tokens."""
    return [folded for _raw, folded in words(text)]


def has_cyrillic(text: str) -> bool:
    """Tell whether the text contains Cyrillic letters."""
    return _CYRILLIC.search(text) is not None


# ---------------------------------------------------------------- sentences
# A sentence ends at . ! ? … (one or more) followed by a space, or at a line
# break. A full stop after a common abbreviation ("ul.", "np.", "godz.") or a
# number ("29.09. 2025") ends nothing.
_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+|\s*[\r\n]+\s*")
_ABBREVIATIONS = frozenset(
    """
    al art dr godz im itd itp j m in mgr nr np ok os pl prof r s tel tj tys tzw ul ust ww zl zł
    pkt poz wg ds e mr mrs st etc vs gen ks sw pon wt sr czw pt sob niedz
    """.split()  # noqa: SIM905 - a word list is easier to edit as text
)

# Words that make a sentence a question or a request wherever they stand…
_ASKING_WORDS = frozenset(
    """
    czy ile gdzie dlaczego prosze prosimy prosilbym prosilabym uprzejmie chcialbym chcialabym
    chcielibysmy chcialybysmy szukam szukamy potrzebuje potrzebujemy poszukuje poszukujemy
    interesuje interesuja pytanie pytam pytamy zapytac dowiedziec
    please wondering
    чи скільки підкажіть скажіть прошу цікавить питання
    """.split()  # noqa: SIM905 - a word list is easier to edit as text
)
# …and these only at its start ("jak" in "tak jak", "kiedy" in "kiedy byłam" are no question).
_OPENING_WORDS = frozenset(
    """
    kiedy jak jaki jaka jakie jakich jakim jakiej ktory ktora ktore ktorych kto kogo komu co
    czym skad dokad chce chcemy mozna moge mozemy mozecie jest sa bedzie macie ma
    when where what how who which why whom can could is are do does would will should
    need want looking
    коли де як що хто який яка яке які чому куди звідки хочу хочемо потрібно можна є
    """.split()  # noqa: SIM905
)


# Greetings and forms of address that may open a question ("Dzień dobry, czy…").
_GREETING_WORDS = frozenset(
    """
    dzien dobry witam witajcie hej czesc siema szanowni szanowny szanowna panstwo pani panie
    hello hi hey dear добрий день привіт вітаю
    """.split()  # noqa: SIM905
)


def sentences(text: str) -> list[str]:
    """Split a message into sentences (as typed, stripped; empty ones dropped)."""
    pieces: list[str] = []
    start = 0
    cut = text[: MAX_MATCH_CHARS * 2]
    for match in _SENTENCE_END.finditer(cut):
        before = cut[start : match.start()]
        tail = words(before[-40:])
        word = tail[-1][1] if tail and before.rstrip(".").lower().endswith(tail[-1][0][-1:]) else ""
        line_break = "\n" in match.group() or "\r" in match.group()
        abbreviation = bool(word) and (word in _ABBREVIATIONS or word.isdigit() or len(word) == 1)
        if not line_break and before.endswith(".") and abbreviation:
            continue  # "ul. Wały", "29.09. 2025", "A. Nowak"
        pieces.append(before)
        start = match.end()
    pieces.append(cut[start:])
    return [p.strip() for p in pieces if words(p)]


def is_question(sentence: str) -> bool:
    """Tell whether a sentence asks or requests something (rather than giving context)."""
    if "?" in sentence:
        return True
    tokens = [folded for _raw, folded in words(sentence)]
    if any(t in _ASKING_WORDS for t in tokens):
        return True
    start = 0
    while start < len(tokens) and tokens[start] in _GREETING_WORDS:
        start += 1
    return any(t in _OPENING_WORDS for t in tokens[start : start + 2])


def message_parts(text: str) -> list[str]:
    """The parts of a long message worth matching on their own, most specific first.

    Empty for a message of one sentence. Otherwise the question sentences
    together (those with a question mark, when only some have one), then the
    same with the sentence before the first of them
    (context that often names the topic: "…na Kongres Dialogu. Czy wiadomo
    już, w jakim terminie?"); parts equal to the whole message are left out.
    """
    parts = sentences(text)
    if len(parts) < 2:
        return []
    # A question mark says it most plainly; asking words ("czy", "proszę o")
    # count when no sentence, or every sentence, has one.
    asks = [i for i, part in enumerate(parts) if "?" in part]
    if not asks or len(asks) == len(parts):
        asks = [i for i, part in enumerate(parts) if is_question(part)]
    if not asks or len(asks) == len(parts):
        return []
    out = [" ".join(parts[i] for i in asks)]
    if asks[0] > 0:
        out.append(" ".join([parts[asks[0] - 1], *(parts[i] for i in asks)]))
    whole = normalise(text)
    unique: list[str] = []
    for part in out:
        if normalise(part) != whole and part not in unique:
            unique.append(part)
    return unique
