"""Which product language a message is written in, from its text alone.

People write to the assistant in Polish (often without diacritics), Ukrainian
(often with Polish proper names: "коли буде Kongres Dialogu?") and English
(also with Polish names: "when is the Kongres in Jordanki"). The interface
language a person chose (or Telegram's language_code) says what they read;
the message says what they wrote *now*. :func:`detect_language` tells the
second, and says "unknown" rather than guess: "ok", "kongres", "CKK
Jordanki", "BO 2026", an emoji or a number must not flip a person's language.

The model is small and explicit, measured in ``bench/language_detection.py``:

* **Script.** Cyrillic words are Ukrainian or Russian; letters only Ukrainian
  has (і ї є ґ, the apostrophe inside a word) or only Russian has (ы э ъ ё)
  and two short word lists decide between them. Russian is not a product
  language: a Russian message is reported as unknown.
* **Latin words** are Polish or English: a Polish letter (ą ć ę ł ń ó ś ź ż) is
  strong evidence, function and chat words of each language (Polish in its
  folded spelling too: "gdzie", "mozna", "dzieki") are medium evidence,
  common Polish words of the domain ("termin", "konsultacje") and any other
  word get a weak vote, the latter from character trigrams trained on the
  project's own Polish and English texts (:mod:`bot.core.language_ngrams`).
* **Names are not evidence.** Proper names of the domain (Kongres, Dialogu,
  Jordanki, CKK, Toruń, witkac, BO, NGO, ...) count for no language, a
  capitalised word inside a sentence counts for little, and in a message
  with Cyrillic words the Latin ones are taken for names.

The evidence of each language is summed; the confidence is
``1 - exp(-margin)`` of the margin between the best and the second language,
so one clear word gives ~0.8 and a sentence ~1.0.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache

from bot.core import language_ngrams

#: Recommended confidence for answering in the detected language instead of
#: the person's setting (and offering to switch it). Chosen on the
#: development half of bench/data/language_detection.jsonl; see bench/README.md.
SWITCH_THRESHOLD = 0.8

#: Below this the result is reported as unknown (``lang`` is None).
MIN_CONFIDENCE = 0.5

#: Longest part of a message looked at: the first sentences decide.
MAX_CHARS = 400

_POLISH_LETTERS = frozenset("ąćęłńóśźż")
_POLISH_FOLD = str.maketrans("ąćęłńóśźż", "acelnoszz")
_UKRAINIAN_LETTERS = frozenset("іїєґ")
_RUSSIAN_LETTERS = frozenset("ыэъё")

_URL_OR_ADDRESS = re.compile(
    r"\S+@\S+|https?://\S+|www\.\S+|\S+\.(?:pl|com|org|eu|net|ua|gov|info)\b\S*|/\w+",
    re.IGNORECASE,
)
# A word: letters, with an apostrophe inside ("don't", "зв'язатися").
_WORD = re.compile(r"[^\W\d_]+(?:['’ʼ`][^\W\d_]+)*")
_SENTENCE_END = re.compile(r"[.!?…]\s*$")


def wordlist(text: str) -> frozenset[str]:
    """The whitespace-separated words of ``text`` (word lists stay readable)."""
    return frozenset(text.split())


# Proper names and domain terms written the same in all three languages.
# They are what people ask about, not what language they ask in.
NAMES: frozenset[str] = wordlist(
    """
    kongres kongresu dialogu dialog torun torunski torunskiego torunia jordanki ckk
    witkac witkaca witkacu urban lab cafe rdpp ngo ngos bo krs biuro biura dialogu
    dwor artusa mokre mokrem bydgoszcz metropolia rada okregu erasmus facebook
    telegram online ok okay okej
    """
)

# Weights: how strongly a word says "this language". Ambiguous short words
# carry a little for each language they belong to.
_PL = 1.8
_EN = 1.8
_WEAK = 0.5
_TOPIC = 1.0

POLISH_WORDS: frozenset[str] = wordlist(
    """
    co jak jaki jaka jakie jakich jakim jakiej jaka jakis jakies gdzie kiedy kto czy ile
    czym czego komu kogo ktory ktora ktore ktorej ktorym ktorych dlaczego czemu skad
    dokad jest sa sie byc bedzie beda byl byla bylo byli jestem jestesmy jestes mam
    mamy macie masz ma moge mozemy mozna moze mozesz musze musimy trzeba chce chcemy
    chcialbym chcialabym chcielibysmy wolalbym wolalabym potrzebuje potrzebujemy
    prosze prosimy prosic poprosze dziekuje dziekujemy dzieki dziek czesc witam
    witaj dzien dobry dobra dobre dobrze wieczor hej siema czesc nie we ze na od po
    dla przez przy pod nad bez oraz albo lub ale ani jesli jezeli zeby aby gdy ten
    tej tego tym ta te tych temu moj moja moje mojej mojego nasz nasza nasze naszego
    naszej naszych wasz swoj swoja swoje juz jeszcze tez takze tylko bardzo wiecej
    mniej teraz dzisiaj dzis jutro wczoraj pojutrze rano wieczorem godzina godzinie
    godziny godzin roku rok dni dniu tydzien miesiac sobota sobote niedziela
    niedziele poniedzialek wtorek sroda srode czwartek piatek gdzies ktos kims kogos
    cos czegos nic nikt nikogo wszystko wszyscy kazdy inny inne dokladnie spoko
    pytanie pytania pytaniem odpowiedz odpowiedzi pomoc pomocy informacje informacji
    sprawie panstwo pan pani panie wielkie serdecznie pozdrawiam przepraszam halo
    otwarte czynne zamkniete jezyk jezyka polsku ukrainsku angielsku polski wlasny
    wlasnym wlasnego trwa trwaja koncza zaczyna zacznie odbywa odbedzie zobaczenia
    chodzi chodzilo rozumiem wiem wiecie mozecie moglibyscie zrobic wziac dostac
    napisac zlozyc zapisac zglosic wyslac dolaczyc przyjsc dojechac miec
    """
)

# Polish words of the domain: weaker, because people writing in another
# language quote them too ("konsultacje", "termin").
POLISH_TOPIC_WORDS: frozenset[str] = wordlist(
    """
    termin terminy terminie wniosek wnioski wnioskow wniosku oferta oferty ofert
    ofercie dotacja dotacje dotacji konkurs konkursu konkursie konkursy konkursow
    stowarzyszenie stowarzyszenia fundacja fundacji organizacja organizacji
    organizacje szkolenie szkolenia warsztaty wolontariusz wolontariat konsultacje
    budzet budzetu obywatelski obywatelskiego zgloszenie rejestracja sala sali
    lokal godziny otwarcia miasto miasta miescie urzad urzedu urzednik urzednikiem
    """
)

ENGLISH_WORDS: frozenset[str] = wordlist(
    """
    the an is are was were be been being am does did doing can could would should
    will shall may might must have has had having you your yours my mine me we our
    ours us they them their it its this that these those there here what when where
    who whom why how which whose of for at from with about by into onto and or but
    if not yes please thanks thank hi hello hey good morning evening afternoon bye
    sorry want wanna need like get know tell find help apply speak talk opening open
    closed today tomorrow tonight now time next any some all much many more there's
    what's where's who's how's when's i'm i'd i've i'll don't can't won't it's
    that's let's doesn't isn't aren't didn't couldn't you're we're they're cheers
    english polish ukrainian office city council question person someone anyone
    human free register join start schedule programme congress volunteer
    volunteering forward pass switch answer stop notifications quick exactly
    thing happening work works there could tell give read vote say said see
    """
)

# Words both Latin languages use: a little evidence for each.
_SHARED: Mapping[str, Mapping[str, float]] = {
    "i": {"pl": 0.6, "en": 0.3},
    "a": {"pl": 0.5, "en": 0.6},
    "o": {"pl": 0.6},
    "w": {"pl": 1.0},
    "z": {"pl": 1.0},
    "u": {"pl": 0.4},
    "to": {"pl": 0.6, "en": 0.8},
    "do": {"pl": 0.8, "en": 0.8},
    "on": {"pl": 0.3, "en": 0.8},
    "no": {"pl": _WEAK, "en": _WEAK},
    "tak": {"pl": _WEAK},
    "super": {"pl": 0.3, "en": 0.3},
    "program": {"pl": 0.3, "en": 0.3},
    "grant": {},
    "deadline": {"en": 0.3},
}

UKRAINIAN_WORDS: frozenset[str] = wordlist(
    """
    і й та що як де коли чи це є не ні дякую дякуємо привіт добрий доброго добре
    день вечір вечора будь ласка мені мене можна можу можемо хочу хочемо потрібно
    потрібна потрібен треба скільки який яка які яку якій якого хто чому для від
    із про після щоб або але також теж ще вже зараз сьогодні завтра буде був була
    були ви вас вам ваш ваша ми нас нам наш наша він вона вони воно дуже все усе
    зрозуміло вітаю підкажіть скажіть допоможіть питання відповідь мова мову
    українською польською англійською працює відчинено зачинено відбудеться
    проходить знаходиться поговорити зв'язатися там тут цього цей ця ці свій своя
    таке такий така такі
    """
)

RUSSIAN_WORDS: frozenset[str] = wordlist(
    """
    что как где когда это есть нет да спасибо привет здравствуйте пожалуйста
    можно нужно сколько какой какая какие кто почему от меня мне мы он она они
    очень вопрос получить находится будет человеком человек поговорить сегодня
    завтра работает помогите скажите подскажите хорошо ещё уже или тоже также
    """
)

_SHARED_CYRILLIC: Mapping[str, Mapping[str, float]] = {
    "так": {"uk": _WEAK, "ru": _WEAK},
    "в": {"uk": 0.4, "ru": 0.4},
    "у": {"uk": 0.5, "ru": 0.3},
    "з": {"uk": 1.0},
    "с": {"ru": 1.0},
    "и": {"ru": 1.0},
    "до": {"uk": 0.5, "ru": 0.3},
    "на": {"uk": 0.4, "ru": 0.4},
    "про": {"uk": 0.5, "ru": 0.3},
    "о": {"uk": 0.3, "ru": 0.5},
    "супер": {"uk": 0.3, "ru": 0.3},
    "хочу": {"uk": 0.5, "ru": 0.5},
    "для": {"uk": 0.5, "ru": 0.5},
}

# Any other Cyrillic word: most likely Ukrainian (the product language).
_CYRILLIC_DEFAULT = {"uk": 1.0, "ru": 0.2}

_LANGS = ("pl", "uk", "en", "ru")


@dataclass(frozen=True)
class LanguageGuess:
    """The language a message is written in, as far as its text tells.

    ``lang`` is "pl", "uk" or "en", or None when the text does not tell (too
    short, only names, numbers or emoji, or a language the product does not
    have). ``confidence`` is in [0, 1]; ``scores`` is the evidence per language.
    """

    lang: str | None
    confidence: float
    scores: Mapping[str, float]

    def is_confident(self, threshold: float = SWITCH_THRESHOLD) -> bool:
        """Whether to answer in :attr:`lang` rather than the person's setting."""
        return self.lang is not None and self.confidence >= threshold


UNKNOWN = LanguageGuess(None, 0.0, {})


@cache
def _trigram_weights() -> Mapping[str, float]:
    return language_ngrams.weights()


def _fold_polish(word: str) -> str:
    return word.translate(_POLISH_FOLD)


def _is_cyrillic(word: str) -> bool:
    return "\u0400" <= word[0] <= "\u04ff"


def _trigram_vote(folded: str) -> float:
    """Positive for Polish, negative for English: mean trigram log-ratio."""
    weights = _trigram_weights()
    padded = f" {folded} "
    total = 0.0
    seen = 0
    for i in range(len(padded) - 2):
        w = weights.get(padded[i : i + 3])
        if w is not None:
            total += w
            seen += 1
    if seen == 0:
        return 0.0
    # Mean per trigram, growing with the word's length: long words say more.
    vote = total / seen * min(1.0, seen / 4)
    return max(-1.0, min(1.0, vote))


def _latin_evidence(word: str, lowered: str, starts_sentence: bool) -> dict[str, float]:
    has_polish_letter = any(c in _POLISH_LETTERS for c in lowered)
    folded = _fold_polish(lowered)
    if folded in NAMES:
        return {}
    shared = _SHARED.get(folded)
    if shared is not None and not has_polish_letter:
        if word == "I":
            # English "I"; Polish "i" ("and") is capitalised only at a sentence start.
            return {"en": 0.9, "pl": 0.3} if starts_sentence else {"en": _EN}
        return dict(shared)
    evidence: dict[str, float] = {}
    if has_polish_letter:
        evidence["pl"] = 2.5
    elif folded in POLISH_WORDS:
        evidence["pl"] = _PL
    elif folded in POLISH_TOPIC_WORDS:
        evidence["pl"] = _TOPIC
    if lowered in ENGLISH_WORDS or lowered.replace("’", "'") in ENGLISH_WORDS:
        evidence["en"] = evidence.get("en", 0.0) + _EN
    if not evidence and len(folded) >= 3:
        vote = _trigram_vote(folded)
        if vote > 0:
            evidence["pl"] = vote
        elif vote < 0:
            evidence["en"] = -vote
    return evidence


def _cyrillic_evidence(lowered: str) -> dict[str, float]:
    word = lowered.replace("’", "'").replace("ʼ", "'").replace("`", "'")
    if any(c in _UKRAINIAN_LETTERS for c in word) or "'" in word:
        return {"uk": 2.5}
    if any(c in _RUSSIAN_LETTERS for c in word):
        return {"ru": 2.5}
    shared = _SHARED_CYRILLIC.get(word)
    if shared is not None:
        return dict(shared)
    if word in UKRAINIAN_WORDS:
        return {"uk": 2.0}
    if word in RUSSIAN_WORDS:
        return {"ru": 2.0}
    return dict(_CYRILLIC_DEFAULT)


def detect_language(text: str) -> LanguageGuess:
    """Tell Polish, Ukrainian or English from the message, or unknown.

    Pure and fast (a few microseconds for a chat message); the result depends
    on the text alone.
    """
    text = unicodedata.normalize("NFC", text[:MAX_CHARS])
    text = _URL_OR_ADDRESS.sub(" ", text)
    matches = list(_WORD.finditer(text))
    if not matches:
        return UNKNOWN
    cyrillic = any(_is_cyrillic(m.group()) for m in matches)
    shouting = text.isupper()
    scores = dict.fromkeys(_LANGS, 0.0)
    for index, match in enumerate(matches):
        word = match.group()
        lowered = word.lower()
        if _is_cyrillic(word):
            evidence = _cyrillic_evidence(lowered)
            scale = 1.0
        else:
            starts_sentence = index == 0 or bool(
                _SENTENCE_END.search(text[matches[index - 1].end() : match.start()])
            )
            evidence = _latin_evidence(word, lowered, starts_sentence)
            # A capitalised word inside a sentence is most likely a name; in a
            # message with Cyrillic words, any Latin word is.
            if cyrillic:
                scale = 0.1
            elif word[0].isupper() and not starts_sentence and not shouting and word != "I":
                scale = 0.3
            else:
                scale = 1.0
        for lang, weight in evidence.items():
            scores[lang] += weight * scale
    return _decide(scores)


def _decide(scores: dict[str, float]) -> LanguageGuess:
    ranked = sorted(scores.items(), key=lambda item: item[1], reverse=True)
    (best, top), (_, second) = ranked[0], ranked[1]
    rounded = {lang: round(score, 3) for lang, score in scores.items() if score}
    if top <= 0:
        return LanguageGuess(None, 0.0, rounded)
    confidence = 1.0 - math.exp(-(top - second))
    if best == "ru" or confidence < MIN_CONFIDENCE:
        return LanguageGuess(None, round(confidence, 3), rounded)
    return LanguageGuess(best, round(confidence, 3), rounded)


__all__ = [
    "MIN_CONFIDENCE",
    "SWITCH_THRESHOLD",
    "UNKNOWN",
    "LanguageGuess",
    "detect_language",
]
