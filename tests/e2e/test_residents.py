"""Residents' side, end to end: answers, clarification, feedback, language, deep links."""

from __future__ import annotations

from typing import Any

import pytest
from harness import ANNA, NOW, OLENA, STAFF_CHAT, BotHarness
from sqlmodel import select

from bot.core.matching import Action
from bot.core.menu import RESIDENT_COMMANDS, STAFF_COMMAND_NAMES
from bot.storage.models import FeedbackRow, PersonRow, TicketRow


def buttons(call: Any) -> list[tuple[str, str]]:
    """(label, callback_data) of every inline button of a recorded send."""
    markup = call.params.get("reply_markup") or {}
    return [
        (b["text"], b.get("callback_data", ""))
        for row in markup.get("inline_keyboard", [])
        for b in row
    ]


def rows(bot: BotHarness, model: Any) -> list[Any]:
    assert bot.db is not None
    with bot.db.session() as session:
        return list(session.exec(select(model)).all())


async def test_question_is_answered_with_sources_and_buttons(harness: BotHarness) -> None:
    await harness.send(harness.api.updates.text_message(ANNA, "kiedy jest kongres?"))

    expected = harness.engine.assistant.respond("kiedy jest kongres?", lang="pl", now=NOW)
    assert expected.action is Action.ANSWER and expected.intent == "kongres.when"
    [reply] = harness.sent_to(ANNA.id)
    assert reply.params["parse_mode"] == "HTML"
    assert reply.params["text"] == expected.html
    assert "2025" in reply.params["text"]  # the last edition, told as past
    t = harness.t("pl")
    labels = [label for label, _ in buttons(reply)]
    assert t.gettext("Helpful") in labels
    assert t.gettext("Not helpful") in labels
    assert t.gettext("Ask an official") in labels
    # Answered automatically: nothing went to the staff group.
    assert harness.staff_calls("createForumTopic") == []


async def test_clarify_then_pick_a_topic(harness: BotHarness) -> None:
    candidates = [
        "formularz zgloszeniowy na kongres dialogu gdzie",
        "kongres dialogu wrzesien zapisy",
        "Czy w tym roku odbędzie się Toruński Kongres Dialogu? Byłam na poprzedniej edycji.",
        "program i miejsce kongresu",
        "kongres data i rejestracja",
    ]
    text = next(
        (
            c
            for c in candidates
            if harness.engine.assistant.respond(c, lang="pl", now=NOW).action is Action.CLARIFY
        ),
        None,
    )
    assert text is not None, "no candidate message leads to a clarification any more"
    await harness.send(harness.api.updates.text_message(ANNA, text))

    [question] = harness.sent_to(ANNA.id)
    choices = buttons(question)
    assert len(choices) == 3, choices  # two topics and "other – pass it to the Biuro"
    _topic_label, topic_data = choices[0]
    assert topic_data.startswith("t:")
    assert choices[2] == (harness.t("pl").gettext("Other – pass it to the Biuro"), "a")

    await harness.send(harness.api.updates.callback_query(ANNA, question.result, topic_data))
    answer = harness.sent_to(ANNA.id)[-1]
    topic = topic_data.removeprefix("t:")
    assert (
        answer.params["text"]
        == harness.engine.assistant.topic_reply(topic, lang="pl", now=NOW).html
    )
    assert harness.api.calls("answerCallbackQuery", ok=True)


async def test_a_bare_keyword_offers_its_menu_group_and_opens_no_ticket(
    harness: BotHarness,
) -> None:
    await harness.send(harness.api.updates.text_message(ANNA, "kongres"))
    [question] = harness.sent_to(ANNA.id)
    choices = buttons(question)
    topics = [data.removeprefix("t:") for _label, data in choices if data.startswith("t:")]
    assert len(topics) >= 3 and all(t.startswith("kongres.") for t in topics), choices
    assert choices[-1] == (harness.t("pl").gettext("Other – pass it to the Biuro"), "a")
    assert harness.staff_calls("createForumTopic") == []
    assert rows(harness, TicketRow) == []


async def test_feedback_buttons_are_stored(harness: BotHarness) -> None:
    await harness.send(harness.api.updates.text_message(ANNA, "godziny otwarcia biura dialogu"))
    answer = harness.sent_to(ANNA.id)[-1]
    data = dict((label, d) for label, d in buttons(answer))
    helpful = data[harness.t("pl").gettext("Helpful")]

    await harness.send(harness.api.updates.callback_query(ANNA, answer.result, helpful))
    # A second tap on "not helpful" changes the vote instead of adding one.
    not_helpful = data[harness.t("pl").gettext("Not helpful")]
    await harness.send(harness.api.updates.callback_query(ANNA, answer.result, not_helpful))

    [vote] = rows(harness, FeedbackRow)
    assert vote.topic == "office.hours"
    assert vote.helpful is False
    assert vote.message_id == answer.result["message_id"]


async def test_language_switch_to_ukrainian_and_the_menu_follows(harness: BotHarness) -> None:
    await harness.send(harness.api.updates.command(ANNA, "jezyk"))
    choice = harness.sent_to(ANNA.id)[-1]
    assert ("Українська", "l:uk") in buttons(choice)

    await harness.send(harness.api.updates.callback_query(ANNA, choice.result, "l:uk"))

    uk = harness.t("uk")
    menu = harness.sent_to(ANNA.id)[-1]
    labels = [label for label, _ in buttons(menu)]
    kongres = harness.engine.content.knowledge.navigation.group("kongres")
    assert kongres is not None and kongres.label.get("uk") in labels
    assert uk.gettext("Ask an official") in labels
    commands = [
        c
        for c in harness.api.calls("setMyCommands", ok=True)
        if (c.params.get("scope") or {}).get("chat_id") == ANNA.id
    ]
    assert commands, "the chat's command menu was not switched"
    described = {c["command"]: c["description"] for c in commands[-1].params["commands"]}
    assert described == {c.name: uk.gettext(c.description) for c in RESIDENT_COMMANDS}
    [person] = rows(harness, PersonRow)
    assert person.language == "uk" and person.language_chosen

    # The language is remembered: the next answer comes in Ukrainian.
    await harness.send(harness.api.updates.text_message(ANNA, "kiedy jest kongres"))
    answer = harness.sent_to(ANNA.id)[-1]
    expected = harness.engine.assistant.topic_reply("kongres.when", lang="uk", now=NOW)
    assert answer.params["text"] == expected.html


async def test_telegram_language_is_used_on_first_contact(harness: BotHarness) -> None:
    await harness.send(harness.api.updates.command(OLENA, "start"))
    welcome = harness.sent_to(OLENA.id)[-1]
    uk = harness.t("uk")
    assert uk.gettext("Choose a topic, or simply write your question.") in welcome.params["text"]
    assert ("Polski", "l:pl") in buttons(welcome)


async def test_deep_link_opens_its_topic(harness: BotHarness) -> None:
    await harness.send(harness.api.updates.command(ANNA, "start", "kongres-where"))
    [answer] = harness.sent_to(ANNA.id)
    expected = harness.engine.assistant.topic_reply("kongres.where", lang="pl", now=NOW)
    assert answer.params["text"] == expected.html


async def test_unknown_deep_link_shows_the_welcome(harness: BotHarness) -> None:
    await harness.send(harness.api.updates.command(ANNA, "start", "nie-ma-takiego"))
    [welcome] = harness.sent_to(ANNA.id)
    assert (
        harness.t("pl").gettext("Choose a topic, or simply write your question.")
        in (welcome.params["text"])
    )


async def test_redelivered_update_creates_nothing_twice(harness: BotHarness) -> None:
    update = harness.api.updates.text_message(
        ANNA, "Jak zgłosić dziurę w jezdni na Szosie Lubickiej?"
    )
    await harness.send(update)
    await harness.redeliver(update)
    await harness.redeliver(update)

    assert len(rows(harness, TicketRow)) == 1
    assert len(harness.staff_calls("createForumTopic")) == 1
    assert len(harness.staff_calls("sendMessage")) == 1
    assert len(harness.sent_to(ANNA.id)) == 1


async def test_resident_trying_a_staff_command_is_refused(harness: BotHarness) -> None:
    for command in sorted(STAFF_COMMAND_NAMES):
        await harness.send(harness.api.updates.command(ANNA, command))
    refusals = harness.sent_to(ANNA.id)
    assert len(refusals) == len(STAFF_COMMAND_NAMES)
    refusal = harness.t("pl").gettext("This command is only for the Biuro staff in their group.")
    assert all(r.params["text"] == refusal for r in refusals)
    assert harness.api.calls(chat_id=STAFF_CHAT.id) == []


async def test_shortcut_commands_answer_their_topics(harness: BotHarness) -> None:
    # knowledge/menu.yaml: /kongres opens the Kongres group, /godziny the hours topic.
    for command in ["kongres", "godziny"]:
        await harness.send(harness.api.updates.command(ANNA, command))
        answer = harness.sent_to(ANNA.id)[-1]
        expected = harness.engine.assistant.command_reply(command, lang="pl", now=NOW)
        assert expected is not None
        assert answer.params["text"] == expected.html
        if command == "kongres":
            assert [o.topic for o in expected.options] == list(
                harness.engine.content.knowledge.navigation.group("kongres").topics  # type: ignore[union-attr]
            )
            assert len(buttons(answer)) == len(expected.options) + 1


async def test_message_without_words_asks_for_words_and_creates_no_ticket(
    harness: BotHarness,
) -> None:
    await harness.send(harness.api.updates.text_message(ANNA, "🙂🙂 ???"))
    [reply] = harness.sent_to(ANNA.id)
    assert reply.params["text"] == harness.t("pl").gettext(
        "I cannot find a question in this message. Please write it in words, "
        "or pick a topic from the menu."
    )
    assert rows(harness, TicketRow) == []


async def test_command_menus_are_published_per_language_and_scope(harness: BotHarness) -> None:
    published = harness.api.calls("setMyCommands", ok=True)
    scopes = {
        ((c.params.get("scope") or {}).get("type"), c.params.get("language_code", ""))
        for c in published
    }
    assert ("all_private_chats", "") in scopes
    for lang in ("pl", "uk", "en"):
        assert ("all_private_chats", lang) in scopes
    staff = [c for c in published if (c.params.get("scope") or {}).get("chat_id") == STAFF_CHAT.id]
    assert {c["command"] for c in staff[-1].params["commands"]} == STAFF_COMMAND_NAMES


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("коли відбудеться Конгрес діалогу в Торуні?", "uk"),
        ("When is the Dialogue Congress?", "en"),
    ],
)
async def test_a_message_in_another_language_is_answered_in_it(
    harness: BotHarness, text: str, lang: str
) -> None:
    # Anna's Telegram and setting are Polish.
    await harness.send(harness.api.updates.text_message(ANNA, text))
    [reply] = harness.sent_to(ANNA.id)
    expected = harness.engine.assistant.respond(text, lang=lang, now=NOW)
    assert reply.params["text"] == expected.html
    # Offered as the setting, not switched by one message.
    offer = harness.t(lang).gettext("Continue in this language")
    assert (offer, f"l:{lang}") in buttons(reply)
    [person] = rows(harness, PersonRow)
    assert person.language == "pl"
