"""The Assistant use case on the tiny knowledge base: blocks, footers, languages, actions."""

from __future__ import annotations

import pytest
from tiny_knowledge import TOPICS, at, knowledge

from bot.core.answering import Assistant
from bot.core.dated import kongres_when
from bot.core.html import html_problems, visible_length
from bot.core.knowledge import LANGUAGES
from bot.core.matching import Action, Alternative, Decision, IntentMatcher, LabelledExample
from bot.core.morphology import MorfeuszAnalyzer
from bot.core.translation import IdentityTranslator

KB = knowledge()
EXAMPLES = [
    *(
        LabelledExample(t, "kongres.when")
        for t in ["kiedy jest kongres", "termin kongresu", "data kongresu", "kiedy kongres dialogu"]
    ),
    *(
        LabelledExample(t, "kongres.where")
        for t in ["gdzie jest kongres", "miejsce kongresu", "adres kongresu", "gdzie kongres"]
    ),
    *(
        LabelledExample(t, "office.hours")
        for t in ["godziny otwarcia biura", "kiedy biuro jest otwarte", "godziny pracy biura"]
    ),
    *(LabelledExample(t, "bot.greeting") for t in ["dzień dobry", "cześć", "witam"]),
    *(LabelledExample(t, None) for t in ["dziura w jezdni", "wywóz śmieci", "pogoda jutro"]),
]


@pytest.fixture(scope="module")
def assistant() -> Assistant:
    matcher = IntentMatcher.build(EXAMPLES, analyzer=MorfeuszAnalyzer())
    return Assistant(knowledge=KB, matcher=matcher, translator=IdentityTranslator)


def test_an_answer_fills_its_block_for_the_moment_asked(assistant: Assistant) -> None:
    t = IdentityTranslator("en")
    for now in [at(2025, 9, 20), at(2025, 9, 29, 10, 15), at(2026, 11, 22)]:
        reply = assistant.respond("kiedy jest kongres", lang="en", now=now)
        assert (reply.action, reply.intent) == (Action.ANSWER, "kongres.when")
        assert reply.html.startswith(kongres_when(KB, now, t)), now
        assert "The Kongres is open to everyone." in reply.html
        assert "{" not in reply.html


def test_the_clock_is_used_when_no_moment_is_given(assistant: Assistant) -> None:
    clocked = Assistant(
        knowledge=KB,
        matcher=assistant.matcher,
        translator=IdentityTranslator,
        clock=lambda: at(2025, 9, 29, 10, 15),
    )
    reply = clocked.topic_reply("kongres.when", lang="en")
    assert "<b>The Kongres is on now:</b>" in reply.html


def test_literal_braces_survive(assistant: Assistant) -> None:
    reply = assistant.topic_reply("ngo.forum", lang="pl", now=at(2026, 11, 22))
    assert "Napisz {do nas}." in reply.html
    assert "{{" not in reply.html


def test_footer_lists_links_sources_and_the_latest_check(assistant: Assistant) -> None:
    reply = assistant.topic_reply("kongres.when", lang="en", now=at(2026, 11, 22))
    footer = reply.html.split("\n\n")[-1]
    assert footer.startswith("<i>") and footer.endswith("</i>")
    assert 'More: <a href="https://example.org/program">Programme</a>' in footer
    # Sources that can be opened come first.
    assert (
        'Sources: <a href="https://example.org/kongres">Strona testowa</a>; Dokument testowy'
        in footer
    )
    # The newest check of a non-missing fact (the missing one is newer but does not count).
    assert "Information checked on 1 November 2026." in footer
    assert [s.id for s in reply.sources] == ["src-web", "src-seed"]


def test_related_topics_skip_unknown_ids(assistant: Assistant) -> None:
    reply = assistant.topic_reply("kongres.when", lang="pl", now=at(2026, 11, 22))
    assert [r.topic for r in reply.related] == ["kongres.program"]


def test_conversation_topics_have_no_footer(assistant: Assistant) -> None:
    reply = assistant.respond("dzień dobry", lang="en", now=at(2026, 11, 22))
    assert (reply.action, reply.intent) == (Action.ANSWER, "bot.greeting")
    assert reply.html == "Hello!"


def test_missing_translation_falls_back_to_polish_with_a_note(assistant: Assistant) -> None:
    reply = assistant.topic_reply("kongres.where", lang="uk", now=at(2026, 11, 22))
    assert not reply.translated
    assert reply.html.startswith("<i>This answer is available in Polish only.</i>")
    translated = assistant.topic_reply("kongres.when", lang="en", now=at(2026, 11, 22))
    assert translated.translated
    assert "Polish only" not in translated.html


def test_unknown_language_is_answered_in_polish(assistant: Assistant) -> None:
    reply = assistant.respond("kiedy jest kongres", lang="xx", now=at(2026, 11, 22))
    assert reply.lang == "pl"
    assert "Kongres jest otwarty dla wszystkich." in reply.html


@pytest.mark.parametrize("message", ["", "   ", "🎉🎉", "?!", "\x00\x07"])
def test_messages_without_words_ask_for_words(assistant: Assistant, message: str) -> None:
    reply = assistant.respond(message, lang="en")
    assert reply.no_words
    assert (reply.action, reply.intent, reply.confidence) == (Action.HANDOFF, None, 0.0)
    assert "write it in words" in reply.html


def test_clarify_reply_offers_two_topic_titles(assistant: Assistant) -> None:
    decision = Decision(
        Action.CLARIFY,
        None,
        0.45,
        (Alternative("kongres.when", 0.45), Alternative("kongres.where", 0.4)),
    )
    reply = assistant.reply_for(decision, lang="pl")
    assert reply.action is Action.CLARIFY
    assert reply.intent is None
    assert [(o.topic, o.title) for o in reply.options] == [
        ("kongres.when", TOPICS["kongres.when"].title.get("pl")),
        ("kongres.where", TOPICS["kongres.where"].title.get("pl")),
    ]
    assert "I am not sure what you mean" in reply.html


def test_clarify_with_an_unknown_topic_becomes_a_handoff(assistant: Assistant) -> None:
    decision = Decision(
        Action.CLARIFY, None, 0.45, (Alternative("kongres.when", 0.45), Alternative("gone", 0.4))
    )
    reply = assistant.reply_for(decision, lang="pl")
    assert reply.action is Action.HANDOFF
    assert reply.is_handoff


def test_unrelated_message_is_handed_off(assistant: Assistant) -> None:
    reply = assistant.respond("dziura w jezdni", lang="en", now=at(2026, 11, 22))
    assert reply.action is Action.HANDOFF
    assert reply.intent is None
    assert reply.is_handoff
    assert "passing your question" in reply.html


MOMENTS = [
    at(2024, 9, 1),
    at(2024, 9, 10, 11),
    at(2025, 6, 5, 9),
    at(2025, 9, 29, 10, 15),
    at(2025, 9, 30, 18),
    at(2026, 6, 15, 15, 30),
    at(2026, 11, 11, 10),
    at(2026, 12, 3, 9),
    at(2026, 12, 24, 9),
]


@pytest.mark.parametrize("topic_id", sorted(TOPICS))
def test_every_answer_is_valid_telegram_html_at_every_moment(
    assistant: Assistant, topic_id: str
) -> None:
    for lang in LANGUAGES:
        for now in MOMENTS:
            reply = assistant.topic_reply(topic_id, lang=lang, now=now)
            assert html_problems(reply.html) == [], (topic_id, lang, now, reply.html)
            assert 0 < visible_length(reply.html) <= 4096
            assert "{" not in reply.text.replace("{do nas}", "")


def _unplaced(*guesses: tuple[str, float], in_vocabulary: bool = True) -> Decision:
    alternatives = tuple(Alternative(topic, c) for topic, c in guesses)
    return Decision(Action.HANDOFF, None, guesses[0][1], alternatives, in_vocabulary)


def test_unplaced_keyword_within_one_menu_group_offers_the_group(assistant: Assistant) -> None:
    # "kongres" alone: every guess is a Kongres topic, none sure enough on its own.
    reply = assistant.reply_for(
        _unplaced(("kongres.where", 0.33), ("kongres.when", 0.2), ("kongres.program", 0.19)),
        lang="pl",
    )
    assert reply.action is Action.CLARIFY
    assert not reply.is_handoff
    kongres_topics = [t for t in TOPICS if t.startswith("kongres.")]
    assert len(kongres_topics) >= 2
    # The whole group in menu order, not just the guesses.
    assert sorted(o.topic for o in reply.options) == sorted(kongres_topics)
    assert "I am not sure what you mean" in reply.html


@pytest.mark.parametrize(
    ("decision", "why"),
    [
        (
            _unplaced(("kongres.where", 0.33), ("kongres.when", 0.2), in_vocabulary=False),
            "words outside the topics' vocabulary (e.g. another organisation's congress)",
        ),
        (_unplaced(("kongres.where", 0.25), ("kongres.when", 0.2)), "too unsure together"),
        (_unplaced(("kongres.where", 0.33), ("office.hours", 0.3)), "guesses in two groups"),
        (
            _unplaced(
                ("kongres.where", 0.6),
            ),
            "a single guess",
        ),
    ],
)
def test_unplaced_message_is_handed_off_unless_one_group_holds_it(
    assistant: Assistant, decision: Decision, why: str
) -> None:
    reply = assistant.reply_for(decision, lang="pl")
    assert reply.action is Action.HANDOFF, why
    assert reply.is_handoff
