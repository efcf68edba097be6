"""The Assistant use case on the tiny knowledge base.

Fact-level answers (the fact asked for leads, else the topic's overview),
time-true knowledge (known-from dates, superseded facts, check dates never
after "now"), sources per claim, missing facts, group overviews, commands,
the Kongres-day view and the usual clarify / handoff behaviour.
"""

from __future__ import annotations

import re

import pytest
from tiny_knowledge import TOPICS, at, knowledge

from bot.core.answering import SHORT_ANSWER, Assistant
from bot.core.dated import kongres_when
from bot.core.html import html_problems, visible_length
from bot.core.knowledge import LANGUAGES
from bot.core.matching import Action, Alternative, Decision, IntentMatcher, LabelledExample
from bot.core.morphology import MorfeuszAnalyzer
from bot.core.translation import IdentityTranslator

KB = knowledge()
NOW = at(2026, 11, 22)


def examples(topic: str, *texts: str) -> list[LabelledExample]:
    return [LabelledExample(t, topic) for t in texts]


EXAMPLES = [
    *examples(
        "kongres.when", "kiedy jest kongres", "termin kongresu", "data kongresu", "kiedy kongres"
    ),
    *examples(
        "kongres.where", "gdzie jest kongres", "miejsce kongresu", "adres kongresu", "gdzie kongres"
    ),
    *examples(
        "kongres.program", "program kongresu", "harmonogram kongresu", "co jest na kongresie"
    ),
    *examples(
        "office.hours", "godziny otwarcia biura", "kiedy biuro jest otwarte", "godziny pracy biura"
    ),
    *examples(
        "grants.microgrants",
        "mały grant",
        "ile wynosi mały grant",
        "jak długo trwa mały grant",
        "mikrogranty",
        "limit małego grantu",
        "small grant",
        "granty",
    ),
    *examples("grants.open_calls", "konkurs ofert", "otwarte konkursy", "do kiedy składać oferty"),
    *examples("bot.greeting", "dzień dobry", "cześć", "witam"),
    *examples(None, "dziura w jezdni", "wywóz śmieci", "pogoda jutro"),  # type: ignore[arg-type]
]


@pytest.fixture(scope="module")
def assistant() -> Assistant:
    matcher = IntentMatcher.build(EXAMPLES, analyzer=MorfeuszAnalyzer())
    return Assistant(knowledge=KB, matcher=matcher, translator=IdentityTranslator)


def answered(decision_topic: str) -> Decision:
    return Decision(Action.ANSWER, decision_topic, 0.9, (Alternative(decision_topic, 0.9),))


# ---------------------------------------------------------------- fact-level answers
@pytest.mark.parametrize(
    ("message", "fact", "value"),
    [
        ("ile maksymalnie wynosi kwota małego grantu", "amount", "PLN 10,000 per task"),
        ("jak długo może trwać zadanie w małym grancie", "duration", "90 days"),
        ("jaki jest limit roczny małych grantów", "yearly", "PLN 20,000 a year"),
    ],
)
def test_the_fact_asked_for_leads_the_reply(
    assistant: Assistant, message: str, fact: str, value: str
) -> None:
    reply = assistant.reply_for(answered("grants.microgrants"), lang="en", now=NOW, message=message)
    assert reply.intent == "grants.microgrants"
    assert reply.facts[0] == fact
    assert value in reply.text.split("\n")[0]
    assert reply.more, "the full topic is one button away"


def test_a_general_question_gets_the_overview(assistant: Assistant) -> None:
    reply = assistant.reply_for(answered("grants.microgrants"), lang="en", now=NOW, message="x")
    assert reply.facts == ("summary", "yearly")
    assert reply.html.startswith("A small grant: up to PLN 10,000, up to 90 days.")
    assert visible_length(reply.html) <= SHORT_ANSWER


def test_menu_button_gives_the_overview_not_the_whole_topic(assistant: Assistant) -> None:
    short = assistant.topic_reply("grants.microgrants", lang="en", now=NOW)
    full = assistant.full_topic("grants.microgrants", lang="en", now=NOW)
    assert short.facts == ("summary", "yearly")
    assert visible_length(short.html) < visible_length(full.html)
    # The full topic states every visible fact but the summary, and lists what is missing.
    for value in ("PLN 10,000 per task", "90 days", "PLN 20,000 a year", "new offer form"):
        assert value in full.text
    assert "A small grant: up to" not in full.text
    assert "Not confirmed yet:" in full.text
    assert "whether the city runs a microgrant programme" in full.text


def test_sources_are_those_of_the_stated_facts_only(assistant: Assistant) -> None:
    amount = assistant.reply_for(
        answered("grants.microgrants"), lang="en", now=NOW, message="ile wynosi mały grant"
    )
    assert [s.id for s in amount.sources] == ["src-law"]
    assert "Gazeta testowa" not in amount.html
    overview = assistant.topic_reply("grants.microgrants", lang="en", now=NOW)
    assert [s.id for s in overview.sources] == ["src-law", "src-news", "src-later"]
    footer = overview.html.split("\n\n")[-1]
    assert footer.startswith("<i>Sources: ") and footer.endswith("</i>")
    assert '<a href="https://example.org/news">Gazeta testowa</a>' in footer


def test_a_source_published_after_now_is_not_cited(assistant: Assistant) -> None:
    # The yearly limit is known from March 2025 (src-news); src-later appeared in June 2026.
    before = assistant.topic_reply("grants.microgrants", lang="en", now=at(2026, 5, 31))
    assert [s.id for s in before.sources] == ["src-law", "src-news"]
    after = assistant.topic_reply("grants.microgrants", lang="en", now=at(2026, 6, 1))
    assert [s.id for s in after.sources] == ["src-law", "src-news", "src-later"]


def test_the_checked_date_is_the_newest_of_the_stated_facts(assistant: Assistant) -> None:
    overview = assistant.topic_reply("grants.microgrants", lang="en", now=NOW)
    assert "Information checked on 1 November 2026." in overview.html


def test_no_checked_date_later_than_now(assistant: Assistant) -> None:
    earlier = at(2025, 6, 1)
    reply = assistant.topic_reply("grants.microgrants", lang="en", now=earlier)
    assert "Information checked on" not in reply.html
    assert "Sources:" in reply.html, "the sources are still given"


def test_a_fact_is_not_known_before_its_known_from_date(assistant: Assistant) -> None:
    message = "jaki jest limit roczny małych grantów"
    before = assistant.reply_for(
        answered("grants.microgrants"), lang="en", now=at(2025, 2, 28), message=message
    )
    after = assistant.reply_for(
        answered("grants.microgrants"), lang="en", now=at(2025, 3, 1), message=message
    )
    assert "yearly" not in before.facts and "PLN 20,000" not in before.text
    assert after.facts[0] == "yearly"
    full_before = assistant.full_topic("grants.microgrants", lang="en", now=at(2025, 2, 28))
    assert "PLN 20,000" not in full_before.text


def test_a_newer_fact_replaces_the_one_it_supersedes(assistant: Assistant) -> None:
    old = assistant.full_topic("grants.microgrants", lang="en", now=at(2023, 6, 1))
    new = assistant.full_topic("grants.microgrants", lang="en", now=at(2024, 6, 1))
    assert "The old offer form applies." in old.text
    assert "new offer form" not in old.text
    assert "new offer form" in new.text
    assert "The old offer form applies." not in new.text


def test_a_missing_fact_says_so_gives_what_is_known_and_offers_a_person(
    assistant: Assistant,
) -> None:
    reply = assistant.reply_for(
        answered("grants.microgrants"), lang="en", now=NOW, message="czy są mikrogranty miejskie"
    )
    lines = reply.text.split("\n\n")
    assert lines[0] == (
        "I have no confirmed information on this: whether the city runs a microgrant programme."
    )
    assert "A small grant is at most PLN 10,000 per task." in reply.text  # what is known
    assert "I can pass your question on to the Biuro Dialogu staff" in reply.text
    assert reply.facts == ("amount", "microgrants")


def test_a_topic_with_nothing_known_yet_says_so(assistant: Assistant) -> None:
    reply = assistant.topic_reply("kongres.when", lang="en", now=at(2020, 1, 1))
    assert "I have no dates of the Kongres" in reply.html
    assert "Information checked" not in reply.html


# ---------------------------------------------------------------- dated blocks
def test_a_block_fact_is_filled_for_the_moment_asked(assistant: Assistant) -> None:
    t = IdentityTranslator("en")
    for now in [at(2025, 9, 20), at(2025, 9, 29, 10, 15), at(2026, 11, 22)]:
        reply = assistant.respond("kiedy jest kongres", lang="en", now=now)
        assert (reply.action, reply.intent) == (Action.ANSWER, "kongres.when")
        assert reply.html.startswith(kongres_when(KB, now, t)), now
        assert "{" not in reply.html
        # The sources of the block are those of the edition it speaks of.
        assert [s.id for s in reply.sources] == ["src-web"]


def test_the_clock_is_used_when_no_moment_is_given(assistant: Assistant) -> None:
    clocked = Assistant(
        knowledge=KB,
        matcher=assistant.matcher,
        translator=IdentityTranslator,
        clock=lambda: at(2025, 9, 29, 10, 15),
    )
    reply = clocked.topic_reply("kongres.when", lang="en")
    assert "<b>The Kongres is on now:</b>" in reply.html


def test_an_edition_is_not_known_before_it_was_announced(assistant: Assistant) -> None:
    # Edition 2 (2025) was announced on 1 October 2024: on 15 September 2024
    # the last known edition is the first one, and no next date is known.
    reply = assistant.topic_reply("kongres.when", lang="en", now=at(2024, 9, 15))
    assert "2025" not in reply.text
    assert "has not been announced yet" in reply.text


def test_a_question_about_one_call_gets_that_call(assistant: Assistant) -> None:
    reply = assistant.reply_for(
        answered("grants.open_calls"),
        lang="en",
        now=at(2026, 5, 10),
        message="do kiedy oferty w konkursie na kulturę",
    )
    first = reply.text.split("\n")[0]
    assert first.startswith("• Call A – culture")
    assert "Call B" not in reply.text and "Call C" not in reply.text


def test_a_call_without_a_known_opening_is_never_said_to_be_open(assistant: Assistant) -> None:
    t = IdentityTranslator("en")
    for now in [at(2026, 8, 15), at(2026, 9, 30, 11)]:
        reply = assistant.topic_reply("grants.open_calls", lang="en", now=now)
        [line] = [ln for ln in reply.text.splitlines() if "Call C" in ln]
        assert "opening date not confirmed" in line
        assert re.search(r"\(open[,)]", line) is None
    before = assistant.topic_reply("grants.open_calls", lang="en", now=at(2026, 7, 1))
    assert "Call C" not in before.text, "not announced yet"
    after = assistant.topic_reply("grants.open_calls", lang="en", now=at(2026, 10, 1))
    [line] = [ln for ln in after.text.splitlines() if "Call C" in ln]
    assert line.endswith(t.gettext("closed"))


# ---------------------------------------------------------------- the Kongres day
@pytest.mark.parametrize(
    ("message", "first_line"),
    [
        ("co jest teraz na kongresie", "Now, today 10:00–10:30 Opening, Sala A"),
        ("co o 14?", "At 14:00, today:"),
        ("co dzisiaj na kongresie", "Now, today 10:00–10:30 Opening, Sala A"),
    ],
)
def test_on_a_kongres_day_what_is_on_is_answered(
    assistant: Assistant, message: str, first_line: str
) -> None:
    reply = assistant.respond(message, lang="en", now=at(2025, 9, 29, 10, 15))
    assert reply.intent == "kongres.program"
    assert reply.text.split("\n")[0] == first_line
    assert "Day 1, Monday, 29 September 2025" in reply.text
    if "14" in message:
        assert "14:00–15:00 Urban lab panel, Sala B" in reply.text.split("\n")[1]


def test_at_a_time_with_nothing_on_the_next_session_is_given(assistant: Assistant) -> None:
    reply = assistant.respond("co o 13:00?", lang="en", now=at(2025, 9, 29, 9))
    assert reply.text.startswith("Nothing is on at 13:00; next, today 14:00–15:00 Urban lab panel")


def test_outside_a_kongres_day_there_is_no_day_view(assistant: Assistant) -> None:
    reply = assistant.respond("co o 14?", lang="en", now=at(2025, 10, 5))
    assert reply.intent != "kongres.program" or "At 14:00" not in reply.text


# ---------------------------------------------------------------- groups and commands
def test_a_generic_word_gets_the_group_overview_with_its_topics(assistant: Assistant) -> None:
    reply = assistant.respond("granty", lang="en", now=NOW)
    assert reply.action is Action.CLARIFY
    assert reply.group == "grants"
    assert [o.topic for o in reply.options] == ["grants.open_calls", "grants.microgrants"]
    assert reply.text.startswith("Money for NGOs:\n• A small grant: up to PLN 10,000")
    assert [s.id for s in reply.sources] == ["src-law"]


def test_a_specific_question_is_not_taken_for_the_group(assistant: Assistant) -> None:
    reply = assistant.respond("ile wynosi mały grant", lang="en", now=NOW)
    assert reply.action is Action.ANSWER
    assert reply.facts[0] == "amount"


@pytest.mark.parametrize(
    ("command", "group", "topic"),
    [("granty", "grants", None), ("kongres", "kongres", None), ("godziny", None, "office.hours")],
)
def test_shortcut_commands_open_what_the_content_says(
    assistant: Assistant, command: str, group: str | None, topic: str | None
) -> None:
    reply = assistant.command_reply(command, lang="pl", now=NOW)
    assert reply is not None
    assert (reply.group, reply.intent if group is None else None) == (group, topic)
    assert assistant.command_reply("pomoc", lang="pl", now=NOW) is None


def test_the_kongres_group_overview_is_time_true(assistant: Assistant) -> None:
    before = assistant.group_reply("kongres", lang="en", now=at(2024, 7, 1))
    assert "every year" not in before.text, "not known before 1 August 2024"
    after = assistant.group_reply("kongres", lang="en", now=at(2024, 9, 1))
    assert after.text.startswith(
        "The Kongres in brief:\n• The Kongres is to take place every year."
    )


# ---------------------------------------------------------------- the rest
def test_related_topics_skip_unknown_ids(assistant: Assistant) -> None:
    reply = assistant.topic_reply("kongres.when", lang="pl", now=NOW)
    assert [r.topic for r in reply.related] == ["kongres.program"]


def test_links_are_shown_in_the_full_topic(assistant: Assistant) -> None:
    full = assistant.full_topic("kongres.when", lang="en", now=NOW)
    assert 'Links: <a href="https://example.org/program">Programme</a>' in full.html
    short = assistant.topic_reply("kongres.when", lang="en", now=NOW)
    assert "Links:" not in short.html
    assert short.more


def test_conversation_topics_have_their_fixed_text(assistant: Assistant) -> None:
    reply = assistant.respond("dzień dobry", lang="en", now=NOW)
    assert (reply.action, reply.intent) == (Action.ANSWER, "bot.greeting")
    assert reply.html == "Hello!"
    polish = assistant.respond("dzień dobry", lang="pl", now=NOW)
    assert polish.html == "Dzień dobry! Napisz {pytanie}."


def test_missing_translation_falls_back_to_polish_with_a_note(assistant: Assistant) -> None:
    reply = assistant.topic_reply("bot.greeting", lang="uk", now=NOW)
    assert not reply.translated
    assert reply.html.startswith("<i>This answer is available in Polish only.</i>")
    translated = assistant.topic_reply("grants.microgrants", lang="uk", now=NOW)
    assert translated.translated
    assert translated.html.startswith("uk: A small grant")


def test_unknown_language_is_answered_in_polish(assistant: Assistant) -> None:
    reply = assistant.respond("ile wynosi mały grant", lang="xx", now=NOW)
    assert reply.lang == "pl"
    assert "Mały grant to najwyżej 10 000 zł na jedno zadanie." in reply.html


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
    reply = assistant.respond("dziura w jezdni", lang="en", now=NOW)
    assert reply.action is Action.HANDOFF
    assert reply.intent is None
    assert reply.is_handoff
    assert "passing your question" in reply.html


MOMENTS = [
    at(2020, 1, 1),
    at(2024, 9, 1),
    at(2024, 9, 10, 11),
    at(2025, 6, 5, 9),
    at(2025, 9, 29, 10, 15),
    at(2025, 9, 30, 18),
    at(2026, 6, 15, 15, 30),
    at(2026, 9, 30, 11),
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
            for reply in (
                assistant.topic_reply(topic_id, lang=lang, now=now),
                assistant.full_topic(topic_id, lang=lang, now=now),
            ):
                assert html_problems(reply.html) == [], (topic_id, lang, now, reply.html)
                assert 0 < visible_length(reply.html) <= 4096
                assert "{" not in reply.text.replace("{pytanie}", "")


def _unplaced(*guesses: tuple[str, float], in_vocabulary: bool = True) -> Decision:
    alternatives = tuple(Alternative(topic, c) for topic, c in guesses)
    return Decision(Action.HANDOFF, None, guesses[0][1], alternatives, in_vocabulary)


def test_unplaced_keyword_within_one_menu_group_offers_the_group(assistant: Assistant) -> None:
    # "kongres" alone: every guess is a Kongres topic, none sure enough on its own.
    reply = assistant.reply_for(
        _unplaced(("kongres.where", 0.33), ("kongres.when", 0.2), ("kongres.program", 0.19)),
        lang="en",
        now=NOW,
    )
    assert reply.action is Action.CLARIFY
    assert not reply.is_handoff
    # The whole group in menu order, not just the guesses, under its overview.
    assert [o.topic for o in reply.options] == ["kongres.when", "kongres.where", "kongres.program"]
    assert reply.text.startswith("The Kongres in brief:")


@pytest.mark.parametrize(
    ("decision", "why"),
    [
        (
            _unplaced(("kongres.where", 0.33), ("kongres.when", 0.2), in_vocabulary=False),
            "words outside the topics' vocabulary (e.g. another organisation's congress)",
        ),
        (_unplaced(("kongres.where", 0.25), ("kongres.when", 0.2)), "too unsure together"),
        (_unplaced(("kongres.where", 0.33), ("office.hours", 0.3)), "guesses in two groups"),
        (_unplaced(("kongres.where", 0.6)), "a single guess"),
    ],
)
def test_unplaced_message_is_handed_off_unless_one_group_holds_it(
    assistant: Assistant, decision: Decision, why: str
) -> None:
    reply = assistant.reply_for(decision, lang="pl")
    assert reply.action is Action.HANDOFF, why
    assert reply.is_handoff
