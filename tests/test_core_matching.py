"""The matcher on a tiny labelled set written here, so real content changes do not break it."""

from __future__ import annotations

import dataclasses
import json
import math

import numpy as np
import pytest

from bot.core.classifier import feature_counts
from bot.core.matching import (
    OUT_OF_SCOPE,
    Action,
    Decision,
    IntentMatcher,
    LabelledExample,
    Thresholds,
    Tuning,
)
from bot.core.morphology import MorfeuszAnalyzer, NullAnalyzer
from bot.core.text import MAX_MATCH_CHARS
from bot.core.tuning import stratified_folds

TOPICS: dict[str, list[str]] = {
    "kongres.when": [
        "kiedy jest kongres dialogu",
        "termin kongresu",
        "kiedy odbędzie się kongres",
        "data kongresu dialogu",
        "w jakie dni jest kongres",
        "kiedy następna edycja kongresu",
        "kongres dialogu kiedy",
        "ile dni trwa kongres",
        "when is the dialogue congress",
        "congress dates",
        "коли відбудеться конгрес діалогу",
        "дата конгресу",
    ],
    "kongres.where": [
        "gdzie jest kongres dialogu",
        "miejsce kongresu",
        "gdzie odbywa się kongres",
        "w jakiej sali jest kongres",
        "adres kongresu",
        "jak dojechać na kongres",
        "kongres dialogu gdzie",
        "w którym budynku jest kongres",
        "where is the dialogue congress",
        "congress venue",
        "де відбудеться конгрес",
        "місце проведення конгресу",
    ],
    "grants.microgrants": [
        "mikrogranty dla młodzieży",
        "jak dostać mikrogrant",
        "ile wynosi mikrogrant",
        "nabór na mikrogranty",
        "mikrogrant na projekt sąsiedzki",
        "kto może dostać mikrogrant",
        "dofinansowanie małego projektu mikrogrant",
        "mikrogranty 2025",
        "microgrants for young people",
        "how to get a microgrant",
        "мікрогранти для молоді",
        "як отримати мікрогрант",
    ],
    "office.hours": [
        "godziny otwarcia biura",
        "kiedy biuro jest otwarte",
        "do której pracuje biuro",
        "czy biuro jest dziś czynne",
        "godziny pracy biura dialogu",
        "o której otwieracie",
        "biuro otwarte w sobotę",
        "w jakich godzinach przyjmujecie",
        "office opening hours",
        "when is the office open",
        "години роботи бюро",
        "коли відкрите бюро",
    ],
    "grants.witkac": [
        "jak założyć konto w witkac",
        "generator wniosków witkac",
        "logowanie do witkac",
        "witkac nie działa",
        "wniosek w systemie witkac",
        "gdzie złożyć ofertę witkac",
        "witkac instrukcja",
        "problem z witkac",
        "witkac account",
        "how to use witkac",
        "як зареєструватися у witkac",
        "witkac інструкція",
    ],
}
OUT_OF_SCOPE_EXAMPLES = [
    "dziura w jezdni na mojej ulicy",
    "kiedy wywóz śmieci",
    "rozkład jazdy autobusów",
    "gdzie zaparkować w centrum",
    "podatek od nieruchomości",
    "wyrobienie dowodu osobistego",
    "jaka jest pogoda",
    "opowiedz dowcip",
    "bus timetable",
    "розклад автобусів",
]
NEGATIVES = {
    "kongres.when": [
        "kongres partii politycznej",
        "kongres kardiologiczny w toruniu",
        "kongres kobiet",
    ]
}


def labelled(
    *, negatives: bool = True, extra: tuple[LabelledExample, ...] = ()
) -> list[LabelledExample]:
    examples = [LabelledExample(text, topic) for topic, texts in TOPICS.items() for text in texts]
    examples += [LabelledExample(text, None) for text in OUT_OF_SCOPE_EXAMPLES]
    if negatives:
        examples += [
            LabelledExample(text, topic, negative=True)
            for topic, texts in NEGATIVES.items()
            for text in texts
        ]
    return examples + list(extra)


@pytest.fixture(scope="module")
def analyzer() -> MorfeuszAnalyzer:
    return MorfeuszAnalyzer()


@pytest.fixture(scope="module")
def matcher(analyzer: MorfeuszAnalyzer) -> IntentMatcher:
    return IntentMatcher.build(labelled(), analyzer=analyzer)


@pytest.fixture(scope="module")
def matcher_without_negatives(analyzer: MorfeuszAnalyzer) -> IntentMatcher:
    return IntentMatcher.build(labelled(negatives=False), analyzer=analyzer)


@pytest.fixture(scope="module")
def plain_matcher() -> IntentMatcher:
    """No morphology at all: the fallback path must behave too."""
    return IntentMatcher.build(labelled(), analyzer=NullAnalyzer())


def with_thresholds(matcher: IntentMatcher, **gates: float) -> IntentMatcher:
    """The same trained matcher with other gates (gates apply at decide time)."""
    return dataclasses.replace(matcher, thresholds=Thresholds(**gates))


def ranked(matcher: IntentMatcher, text: str) -> list[tuple[str, float]]:
    """Topics by raw (unrounded) confidence, best first, out of scope left out."""
    scores = matcher.scores(text)
    return sorted(((t, c) for t, c in scores.items() if t != OUT_OF_SCOPE), key=lambda tc: -tc[1])


def assert_well_formed(decision: Decision, matcher: IntentMatcher) -> None:
    """Invariants every decision keeps, whatever the message."""
    assert isinstance(decision.action, Action)
    assert 0.0 <= decision.confidence <= 1.0, decision
    confidences = [a.confidence for a in decision.alternatives]
    assert confidences == sorted(confidences, reverse=True), f"alternatives not sorted: {decision}"
    assert len(decision.alternatives) <= 3
    for alt in decision.alternatives:
        assert alt.intent in matcher.topics, f"{alt.intent!r} is not a topic"
        assert 0.0 <= alt.confidence <= 1.0
    if decision.action is Action.ANSWER:
        assert decision.intent in matcher.topics
        assert decision.alternatives[0].intent == decision.intent
        assert decision.alternatives[0].confidence == decision.confidence
    else:
        # "No match" is a value: no topic is pretended.
        assert decision.intent is None, decision
    if decision.action is Action.CLARIFY:
        assert len(decision.alternatives) == 2, decision


# ---------------------------------------------------------------- answer
@pytest.mark.parametrize(
    ("message", "topic"),
    [
        ("Kiedy jest Kongres Dialogu?", "kongres.when"),
        ("kiedy jest kongres", "kongres.when"),
        ("termin kongresu dialogu w tym roku", "kongres.when"),
        ("gdzie jest kongres", "kongres.where"),
        ("GDZIE ODBYWA SIE KONGRES DIALOGU", "kongres.where"),
        ("mikrogranty", "grants.microgrants"),
        ("ile wynoszą mikrogranty dla młodzieży?", "grants.microgrants"),
        ("mikrograntow dla mlodziezy", "grants.microgrants"),
        ("godziny otwarcia biura", "office.hours"),
        ("w jakich godzinach pracuje biuro", "office.hours"),
        ("jak zalozyc konto w witkacu", "grants.witkac"),
        ("wiktac nie dziala", "grants.witkac"),
        ("kiedy jest kongers dialogu", "kongres.when"),
        # typos in inflected forms: letters swapped, missing, doubled
        ("w którym budynku kongrsie", "kongres.where"),
        ("przyjmujecie w jakich godizanch", "office.hours"),
        ("mkirograntów dla młodzieży", "grants.microgrants"),
        ("do której pracuje biurro", "office.hours"),
    ],
)
def test_polish_messages_are_answered_with_their_topic(
    matcher: IntentMatcher, message: str, topic: str
) -> None:
    decision = matcher.decide(message)
    assert decision.action is Action.ANSWER, f"{message!r}: {decision}"
    assert decision.intent == topic, f"{message!r}: {decision}"
    assert decision.confidence >= matcher.thresholds.answer
    assert_well_formed(decision, matcher)


@pytest.mark.parametrize(
    ("message", "topic"),
    [
        ("when is the congress", "kongres.when"),
        ("Where is the Dialogue Congress?", "kongres.where"),
        ("office hours", "office.hours"),
        ("microgrants", "grants.microgrants"),
        ("коли конгрес", "kongres.when"),
        ("де проходить конгрес?", "kongres.where"),
        ("місце конгресу", "kongres.where"),
        ("мікрогранти", "grants.microgrants"),
        ("години роботи", "office.hours"),
    ],
)
def test_english_and_ukrainian_messages_are_matched(
    matcher: IntentMatcher, message: str, topic: str
) -> None:
    decision = matcher.decide(message)
    assert (decision.action, decision.intent) == (Action.ANSWER, topic), f"{message!r}: {decision}"


# ---------------------------------------------------------------- clarify
def test_an_ambiguous_message_asks_which_of_two_topics(matcher: IntentMatcher) -> None:
    decision = matcher.decide("kongres")
    assert decision.action is Action.CLARIFY, decision
    assert decision.intent is None
    assert {a.intent for a in decision.alternatives} == {"kongres.when", "kongres.where"}
    assert_well_formed(decision, matcher)
    # The confidence reported is the best candidate's, below the answer gate.
    assert decision.confidence == decision.alternatives[0].confidence
    assert decision.confidence < matcher.thresholds.answer


# ---------------------------------------------------------------- handoff
@pytest.mark.parametrize(
    "message",
    [
        "dziura w jezdni",
        "kiedy wywóz śmieci na Bielanach",
        "rozkład jazdy autobusu 27",
        "jaka będzie jutro pogoda",
        "ile kosztuje bilet do kina",
        "what is the weather today",
        "розклад автобусів у Торуні",
    ],
)
def test_unrelated_messages_are_handed_off(matcher: IntentMatcher, message: str) -> None:
    decision = matcher.decide(message)
    assert decision.action is Action.HANDOFF, f"{message!r}: {decision}"
    assert decision.intent is None
    assert_well_formed(decision, matcher)


def test_out_of_scope_examples_win_for_their_kind_of_message(matcher: IntentMatcher) -> None:
    for message in ["kiedy jest wywóz śmieci", "dziura w jezdni na ulicy", "rozkład jazdy"]:
        scores = matcher.scores(message)
        best = max(scores, key=scores.__getitem__)
        assert best == OUT_OF_SCOPE, f"{message!r}: {scores}"
        assert matcher.decide(message).action is Action.HANDOFF


def test_out_of_scope_examples_turn_an_answer_into_a_handoff(
    matcher: IntentMatcher, analyzer: MorfeuszAnalyzer
) -> None:
    message = "godziny otwarcia basenu"
    # Without examples of pools, "godziny otwarcia" alone carries it to office.hours…
    before = matcher.decide(message)
    assert (before.action, before.intent) == (Action.ANSWER, "office.hours"), before
    # …with them, the same message goes to the Biuro instead of a wrong answer.
    pools = (
        LabelledExample("godziny otwarcia basenu miejskiego", None),
        LabelledExample("kiedy jest otwarty basen", None),
    )
    taught = IntentMatcher.build(labelled(extra=pools), analyzer=analyzer)
    after = taught.decide(message)
    assert after.action is Action.HANDOFF, after
    assert taught.scores(message)[OUT_OF_SCOPE] > taught.scores(message)["office.hours"]
    # The office's own question is still answered.
    assert taught.decide("godziny otwarcia biura").intent == "office.hours"


# ---------------------------------------------------------------- negatives
@pytest.mark.parametrize(
    "message",
    ["kiedy jest kongres partii", "kiedy jest kongres kardiologiczny", "termin kongresu kobiet"],
)
def test_negative_examples_pull_their_topic_down(
    matcher: IntentMatcher, matcher_without_negatives: IntentMatcher, message: str
) -> None:
    without = matcher_without_negatives.decide(message)
    with_negatives = matcher.decide(message)
    assert (without.action, without.intent) == (Action.ANSWER, "kongres.when"), without
    assert with_negatives.action is not Action.ANSWER, with_negatives
    assert (
        matcher.scores(message)["kongres.when"]
        < matcher_without_negatives.scores(message)["kongres.when"] - 0.3
    )


def test_a_close_negative_lowers_the_similarity_and_speaks_for_none(
    matcher: IntentMatcher, matcher_without_negatives: IntentMatcher
) -> None:
    message = "kiedy jest kongres partii"  # closer to "kongres partii politycznej" than to examples
    with_negatives = matcher.similarities(message)
    without = matcher_without_negatives.similarities(message)
    assert with_negatives["kongres.when"] < without["kongres.when"]
    assert with_negatives[OUT_OF_SCOPE] > without[OUT_OF_SCOPE] + 0.3


def test_negative_examples_do_not_hurt_the_real_question(matcher: IntentMatcher) -> None:
    decision = matcher.decide("kiedy jest kongres dialogu w Toruniu")
    assert (decision.action, decision.intent) == (Action.ANSWER, "kongres.when"), decision


# ---------------------------------------------------------------- thresholds
EDGE_MESSAGE = "kongres dialogu"  # answered, but with kongres.where not far behind


def test_edge_message_is_answered_with_the_default_gates(matcher: IntentMatcher) -> None:
    (top, c1), (_second, c2) = ranked(matcher, EDGE_MESSAGE)[:2]
    decision = matcher.decide(EDGE_MESSAGE)
    assert (decision.action, decision.intent) == (Action.ANSWER, top)
    # Close enough to both gates that moving them changes the outcome.
    assert c1 < 0.9
    assert c1 - c2 < 0.5


def test_answer_gate_edge(matcher: IntentMatcher) -> None:
    (top, c1), (_second, _c2) = ranked(matcher, EDGE_MESSAGE)[:2]
    at_gate = with_thresholds(matcher, answer=c1).decide(EDGE_MESSAGE)
    assert (at_gate.action, at_gate.intent) == (Action.ANSWER, top), "c1 == gate answers"
    above = with_thresholds(matcher, answer=math.nextafter(c1, 1.0)).decide(EDGE_MESSAGE)
    assert above.action is Action.CLARIFY, f"just above the gate it must clarify: {above}"
    assert above.intent is None


def test_margin_gate_edge(matcher: IntentMatcher) -> None:
    (top, c1), (second, c2) = ranked(matcher, EDGE_MESSAGE)[:2]
    margin = c1 - c2
    at_gate = with_thresholds(matcher, margin=margin).decide(EDGE_MESSAGE)
    assert (at_gate.action, at_gate.intent) == (Action.ANSWER, top)
    above = with_thresholds(matcher, margin=math.nextafter(margin, 1.0)).decide(EDGE_MESSAGE)
    assert above.action is Action.CLARIFY, above
    assert [a.intent for a in above.alternatives] == [top, second]


def test_clarify_gates_edge(matcher: IntentMatcher) -> None:
    (_top, c1), (_second, c2) = ranked(matcher, "kongres")[:2]
    assert matcher.decide("kongres").action is Action.CLARIFY
    pair = c1 + c2
    assert with_thresholds(matcher, clarify_pair=pair).decide("kongres").action is Action.CLARIFY
    too_high = with_thresholds(matcher, clarify_pair=math.nextafter(pair, 2.0))
    assert too_high.decide("kongres").action is Action.HANDOFF
    each_too_high = with_thresholds(matcher, clarify_each=math.nextafter(c2, 1.0))
    assert each_too_high.decide("kongres").action is Action.HANDOFF


def test_clarify_needs_either_of_the_two_topics_in_the_vocabulary(matcher: IntentMatcher) -> None:
    # "kongres": offering both topics must not depend on which of the two is
    # ahead on confidence and which is the more similar to the message.
    (top, _c1), (second, _c2) = ranked(matcher, "kongres")[:2]
    similarity = matcher.similarities("kongres")
    weaker, stronger = sorted((similarity[top], similarity[second]))
    assert weaker < stronger
    at_gate = with_thresholds(matcher, similarity=stronger).decide("kongres")
    assert at_gate.action is Action.CLARIFY, at_gate
    assert [a.intent for a in at_gate.alternatives] == [top, second]
    above = with_thresholds(matcher, similarity=math.nextafter(stronger, 2.0))
    assert above.decide("kongres").action is Action.HANDOFF
    # The weaker one must still be near the gate: here, not below it at all.
    both_at_gate = with_thresholds(matcher, similarity=stronger, clarify_similarity=1.0)
    assert both_at_gate.decide("kongres").action is Action.HANDOFF


def test_similarity_gate_keeps_unknown_vocabulary_out(matcher: IntentMatcher) -> None:
    strict = with_thresholds(matcher, similarity=1.01)
    for message in ["Kiedy jest Kongres Dialogu?", "mikrogranty", "kongres"]:
        decision = strict.decide(message)
        assert decision.action is Action.HANDOFF, f"{message!r}: {decision}"


def test_thresholds_given_at_build_time_are_used(analyzer: MorfeuszAnalyzer) -> None:
    demanding = IntentMatcher.build(
        labelled(), analyzer=analyzer, thresholds=Thresholds(answer=0.99, margin=0.9)
    )
    assert demanding.thresholds.answer == 0.99
    assert demanding.decide(EDGE_MESSAGE).action is not Action.ANSWER
    assert demanding.decide("mikrogranty").action is Action.ANSWER


# ---------------------------------------------------------------- robustness
BAD_INPUT = [
    "",
    " ",
    "\n\n\t",
    "🎉",
    "👍🏽👍🏽👍🏽",
    "???!!!",
    "a" * 10_000,
    "kongres " * 1_250,
    "x" * (MAX_MATCH_CHARS + 1) + " kongres",
    "kiedy\x00 jest\x07 kongres\x1b[31m",
    "\x00" * 100,
    "中文问题：大会什么时候举行？",
    "متى يعقد المؤتمر؟",
    "מתי הכנס",
    "कांग्रेस कब है",
    "12345",
    "2025 09 29",
    "\ud800 lone surrogate",
    "\u202ekongres\u202c",
    "ｋｏｎｇｒｅｓ",
]


@pytest.mark.parametrize("message", BAD_INPUT, ids=range(len(BAD_INPUT)))
def test_bad_input_never_raises(
    matcher: IntentMatcher, plain_matcher: IntentMatcher, message: str
) -> None:
    for m in (matcher, plain_matcher):
        decision = m.decide(message)
        assert_well_formed(decision, m)
        scores = m.scores(message)
        assert set(scores) == set(m.topics) | {OUT_OF_SCOPE}
        assert all(0.0 <= s <= 1.0 for s in scores.values())


@pytest.mark.parametrize("message", ["", "🎉🎉", "12345", "中文问题", "مرحبا", "\x00\x01"])
def test_messages_without_known_words_are_handed_off(matcher: IntentMatcher, message: str) -> None:
    decision = matcher.decide(message)
    assert decision.action is Action.HANDOFF
    assert decision.intent is None
    assert decision.confidence == 0.0
    assert decision.alternatives == ()


MIXED = [
    "Kiedy jest Kongres Dialogu?",
    "kongres",
    "dziura w jezdni",
    "godziny",
    "konto",
    "kiedy",
    "jak",
    "when",
    "kongres mikrogrant witkac biuro",
    "gdzie i kiedy jest kongres",
]


@pytest.mark.parametrize("message", MIXED)
def test_no_match_is_a_value(
    matcher: IntentMatcher, plain_matcher: IntentMatcher, message: str
) -> None:
    for m in (matcher, plain_matcher):
        assert_well_formed(m.decide(message), m)


def test_decisions_are_deterministic(analyzer: MorfeuszAnalyzer, matcher: IntentMatcher) -> None:
    again = IntentMatcher.build(labelled(), analyzer=analyzer)
    for message in MIXED:
        assert again.decide(message) == matcher.decide(message), message


def test_topics_exclude_out_of_scope(matcher: IntentMatcher) -> None:
    assert set(matcher.topics) == set(TOPICS)
    assert OUT_OF_SCOPE not in matcher.topics


def test_building_from_nothing_usable_is_an_error() -> None:
    with pytest.raises(ValueError, match="no usable examples"):
        IntentMatcher.build([LabelledExample("🎉", "x"), LabelledExample("", "y")])


def test_function_words_alone_are_not_answered(matcher: IntentMatcher) -> None:
    answered = {
        message: decision.intent
        for message in ["o", "dla", "o co", "a", "w", "do", "jak", "czy"]
        if (decision := matcher.decide(message)).action is Action.ANSWER
    }
    assert answered == {}, f"answered without a single content word: {answered}"


def test_set_phrases_of_function_words_are_still_answered(analyzer: MorfeuszAnalyzer) -> None:
    phrases = ("who are you", "what is this", "are you there")
    help_topic = tuple(LabelledExample(text, "bot.help") for text in phrases)
    m = IntentMatcher.build(labelled(extra=help_topic), analyzer=analyzer)
    for message in ["Who are you?", "what is this"]:
        decision = m.decide(message)
        assert (decision.action, decision.intent) == (Action.ANSWER, "bot.help"), message
    for message in ["what", "you", "can you", "o co"]:
        decision = m.decide(message)
        assert decision.action is Action.HANDOFF, f"{message!r}: {decision}"


# ---------------------------------------------------------------- typos in the examples
#: Examples are typed by people: a typo in one topic's example must not make
#: the misspelt word evidence for that topic alone.
TYPO_EXAMPLES = (
    LabelledExample("mapa dojazdu na konrgesie", "kongres.where"),
    LabelledExample("ile wynosi mkirogrant", "grants.witkac"),
)


@pytest.fixture(scope="module")
def matcher_with_typos(analyzer: MorfeuszAnalyzer) -> IntentMatcher:
    return IntentMatcher.build(labelled(extra=TYPO_EXAMPLES), analyzer=analyzer)


def test_a_typo_in_an_example_meets_its_lemma(matcher_with_typos: IntentMatcher) -> None:
    assert matcher_with_typos.lexicon.terms("konrgesie") == frozenset({"kongres"})


@pytest.mark.parametrize(
    ("message", "topic"),
    [
        ("kiedy konrgesie", "kongres.when"),
        ("data konrgesu", "kongres.when"),
        ("termin konrgesu dialogu", "kongres.when"),
        ("gdzie konrges", "kongres.where"),
        ("mkirogranty dla młodzieży", "grants.microgrants"),
    ],
)
def test_a_misspelt_word_of_one_topic_does_not_pull_others_to_it(
    matcher_with_typos: IntentMatcher, message: str, topic: str
) -> None:
    decision = matcher_with_typos.decide(message)
    assert (decision.action, decision.intent) == (Action.ANSWER, topic), f"{message!r}: {decision}"


# ---------------------------------------------------------------- words with several readings
#: A topic whose examples use "musze" typed without Polish letters: Morfeusz
#: reads it as three lemmas ("mucha", "musza", "muszy"), none of them "musieć".
AMBIGUOUS_EXAMPLES = tuple(
    LabelledExample(text, "kongres.join")
    for text in [
        "czy musze sie zapisac na kongres",
        "musze sie zarejestrowac?",
        "jak się zapisać na kongres",
        "zapisy na kongres",
        "rejestracja na kongres dialogu",
        "czy trzeba się zarejestrować na kongres",
        "formularz zgłoszeniowy na kongres",
    ]
)


@pytest.fixture(scope="module")
def matcher_with_ambiguous_word(analyzer: MorfeuszAnalyzer) -> IntentMatcher:
    return IntentMatcher.build(labelled(extra=AMBIGUOUS_EXAMPLES), analyzer=analyzer)


def test_a_word_with_several_readings_weighs_as_one_word(
    matcher_with_ambiguous_word: IntentMatcher,
) -> None:
    m = matcher_with_ambiguous_word
    assert len(m.lexicon.terms("musze", "musze")) > 1, "the test needs an ambiguous word"
    query = m._query("musze")
    heaviest = float(m.weights[query.terms].max())
    assert len(query.terms) > 1  # every reading is kept...
    # ...but together they weigh what the heaviest reading alone would.
    assert float(sum(query.term_weights**2)) == pytest.approx(heaviest**2)
    # A word with one reading keeps its own weight.
    single = m._query("kongres")
    assert list(single.term_weights) == pytest.approx([m.weights[single.terms[0]]])


@pytest.mark.parametrize(
    "message",
    ["kiedy kongres? musze wziac urlop", "kiedy kongres, musze wiedziec", "data kongresu? musze"],
)
def test_an_ambiguous_context_word_does_not_outweigh_the_topic_words(
    matcher_with_ambiguous_word: IntentMatcher, message: str
) -> None:
    # Counted once per reading, "musze" weighed as much as three topic words
    # and ranked the topic of the examples using it first.
    assert ranked(matcher_with_ambiguous_word, message)[0][0] == "kongres.when", message


def test_examples_share_the_weight_of_their_ambiguous_words_as_messages_do(
    matcher_with_ambiguous_word: IntentMatcher,
) -> None:
    # The example's own text is still as close to it as can be, and answered.
    m = matcher_with_ambiguous_word
    example = AMBIGUOUS_EXAMPLES[0].text
    _similarity, best_example = m._similarities(m._query(example))
    assert best_example[m.index.labels.index("kongres.join")] == pytest.approx(1.0)
    decision = m.decide(example)
    assert (decision.action, decision.intent) == (Action.ANSWER, "kongres.join"), decision


# ---------------------------------------------------------------- long messages
#: Context written around a question, the way people write e-mails: a greeting,
#: who they are, why they ask, then the question, then thanks and a name.
LONG_MESSAGES = [
    (
        "Dzień dobry, nazywam się Anna Kowalska, od dwudziestu lat mieszkam na "
        "Rubinkowie i prowadzę z sąsiadkami koło miłośników ogrodów działkowych. "
        "Gdzie odbywa się kongres dialogu? Z góry serdecznie dziękuję.",
        "Gdzie odbywa się kongres dialogu?",
    ),
    (
        "Szanowni Państwo, jestem emerytowaną nauczycielką matematyki i chętnie "
        "pomagam wnukom w lekcjach. Ile wynoszą mikrogranty dla młodzieży? "
        "Pozdrawiam serdecznie, Barbara",
        "Ile wynoszą mikrogranty dla młodzieży?",
    ),
    (
        "Witam. Nasze stowarzyszenie wędkarskie działa od 1998 roku, mamy "
        "czterdziestu członków i własną łódź. Jak założyć konto w witkac? Dziękuję!",
        "Jak założyć konto w witkac?",
    ),
    (
        "Hello, I moved here from Porto last spring with my husband and two dogs. "
        "When is the dialogue congress? Thanks a lot",
        "When is the dialogue congress?",
    ),
]


@pytest.mark.parametrize(("message", "question"), LONG_MESSAGES)
def test_a_long_message_gets_the_decision_of_its_question_sentence(
    matcher: IntentMatcher, message: str, question: str
) -> None:
    alone = matcher.decide(question)
    assert alone.action is Action.ANSWER, f"the question alone must be answered: {alone}"
    decision = matcher.decide(message)
    assert (decision.action, decision.intent) == (alone.action, alone.intent), decision
    assert_well_formed(decision, matcher)


def test_without_the_question_part_the_context_would_drown_the_question(
    matcher: IntentMatcher,
) -> None:
    # The same messages scored as one text: the context's words (unknown to
    # the examples) pull the similarity and coverage down, and none is answered.
    whole = [
        matcher._gate(matcher._signals(matcher._query(message))) for message, _q in LONG_MESSAGES
    ]
    assert [d.action for d in whole].count(Action.ANSWER) < len(whole), whole


def test_context_that_names_the_topic_joins_a_question_without_it(matcher: IntentMatcher) -> None:
    message = (
        "Dzień dobry, mój syn bardzo chciałby pojechać na kongres dialogu. "
        "W jakie dni to będzie? Dziękuję."
    )
    decision = matcher.decide(message)
    assert (decision.action, decision.intent) == (Action.ANSWER, "kongres.when"), decision


def test_a_long_message_about_something_else_is_still_handed_over(matcher: IntentMatcher) -> None:
    message = (
        "Dzień dobry, mieszkam przy ulicy Szosa Chełmińska od wielu lat. "
        "Kiedy wreszcie ktoś naprawi dziurę w jezdni przed moim domem? Pozdrawiam."
    )
    assert matcher.decide(message).action is Action.HANDOFF


# ---------------------------------------------------------------- cross-validated gates
def test_cross_validated_gates_are_the_same_twice(analyzer: MorfeuszAnalyzer) -> None:
    # The tiny set has 12 examples per topic; let it cross-validate anyway.
    tuning = Tuning(min_examples_per_label=5)
    first = IntentMatcher.build(labelled(), analyzer=analyzer, tuning=tuning)
    second = IntentMatcher.build(labelled(), analyzer=analyzer, tuning=tuning)
    assert first.calibration["thresholds"] == "cross-validated", first.calibration
    assert first.thresholds == second.thresholds
    assert first.tuning == second.tuning
    assert first.calibration == second.calibration
    assert first.classifier.temperature == second.classifier.temperature
    for message in MIXED:
        assert first.decide(message) == second.decide(message), message


def test_too_few_examples_keep_the_default_gates(matcher: IntentMatcher) -> None:
    assert matcher.thresholds == Thresholds()
    assert matcher.calibration["thresholds"].startswith("defaults")
    # The temperature is still fitted on held-out examples.
    assert "temperature" in matcher.calibration


def test_folds_partition_the_examples_by_label_and_seed() -> None:
    labels = [i % 3 for i in range(30)] + [3] * 4
    folds = stratified_folds(labels, 4, seed=7)
    rows = np.concatenate(folds)
    assert sorted(rows.tolist()) == list(range(len(labels)))
    for label in range(3):  # ten each: dealt 3/3/2/2 over the four folds
        per_fold = [sum(labels[i] == label for i in fold.tolist()) for fold in folds]
        assert max(per_fold) - min(per_fold) <= 1, per_fold
    assert [f.tolist() for f in stratified_folds(labels, 4, seed=7)] == [f.tolist() for f in folds]
    assert [f.tolist() for f in stratified_folds(labels, 4, seed=8)] != [f.tolist() for f in folds]


# ---------------------------------------------------------------- the stored model
def test_a_stored_matcher_decides_like_the_built_one(
    matcher: IntentMatcher, analyzer: MorfeuszAnalyzer
) -> None:
    meta, arrays = matcher.to_state()
    meta = json.loads(json.dumps(meta))  # what the cache file holds
    loaded = IntentMatcher.from_state(meta, arrays, analyzer)
    for message in [*MIXED, *BAD_INPUT, *(m for m, _q in LONG_MESSAGES)]:
        assert loaded.decide(message) == matcher.decide(message), message


@pytest.mark.parametrize("message", [*MIXED, "kiedy kiedy kongres kongres", "musze 2025 r", ""])
def test_the_classifier_reads_a_message_as_it_was_trained(
    matcher_with_ambiguous_word: IntentMatcher, message: str
) -> None:
    # Inference looks each word's features up once (encode_tokens); training
    # counts them (feature_counts + encode). Both must give the same vector.
    m = matcher_with_ambiguous_word
    tokens = m._query(message).tokens
    ids, values = m.classifier.encode_tokens(tokens)
    expected_ids, expected = m.classifier.encode(feature_counts(tokens))
    order = np.argsort(expected_ids)
    assert ids.tolist() == expected_ids[order].tolist()
    assert values == pytest.approx(expected[order])


def test_a_vague_question_is_not_answered_with_a_topic_its_context_contradicts(
    matcher: IntentMatcher,
) -> None:
    # Alone, "W jakie dni to jest?" reads as the Kongres; the sentence before it
    # is about microgrants, so answering kongres.when would be a wrong answer.
    question = "W jakie dni to jest?"
    alone = matcher.decide(question)
    assert (alone.action, alone.intent) == (Action.ANSWER, "kongres.when"), alone
    message = (
        "Dzień dobry, nasze koło sąsiedzkie chce dostać mikrogrant na projekt sąsiedzki. "
        + question
    )
    decision = matcher.decide(message)
    assert decision.intent != "kongres.when", decision
    assert decision.action is not Action.ANSWER or decision.intent == "grants.microgrants"
    assert_well_formed(decision, matcher)
