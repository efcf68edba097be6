"""The Biuro inbox end to end: topics per person, relays both ways, states, restarts."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

import pytest
from fake_bot_api import TgUser
from harness import ANNA, MEMBER, NOW, OLENA, STAFF, STAFF_CHAT, BotHarness
from sqlmodel import select

from bot.core.inbox import TicketState
from bot.storage.models import LearnedExampleRow, MessageLinkRow, TicketRow, UnansweredRow

#: A question the knowledge base does not hold (out of scope: handed over).
POTHOLE = "Na Szosie Lubickiej jest ogromna dziura w jezdni, kto to naprawi?"


def rows(bot: BotHarness, model: Any) -> list[Any]:
    assert bot.db is not None
    with bot.db.session() as session:
        return list(session.exec(select(model)).all())


def ticket(bot: BotHarness) -> TicketRow:
    [only] = rows(bot, TicketRow)
    return only


def posts(bot: BotHarness, thread: int | None = None) -> list[Any]:
    """The bot's texts in the staff group (in one topic)."""
    return [
        c
        for c in bot.staff_calls("sendMessage")
        if thread is None or c.params.get("message_thread_id") == thread
    ]


async def hand_over(bot: BotHarness, user: TgUser = ANNA, text: str = POTHOLE) -> int:
    """The person asks something the bot hands over; return the staff thread id."""
    await bot.send(bot.api.updates.text_message(user, text))
    topic = bot.staff_calls("createForumTopic")[-1]
    return int(topic.result["message_thread_id"])


async def test_handoff_topic_reply_close_and_reopen(harness: BotHarness) -> None:
    thread = await hand_over(harness)

    # One topic for the person, named "#<ticket> · <name> · <language>".
    [created] = harness.staff_calls("createForumTopic")
    assert created.params["name"] == f"#{ticket(harness).id} · Anna · pl"
    # One post: the context and the question's text (never a forward; no copy of a text).
    [post] = posts(harness)
    assert post.params["message_thread_id"] == thread
    assert "Anna" in post.params["text"]
    assert "Szosie Lubickiej" in post.params["text"]
    assert harness.staff_calls("copyMessage") == []
    assert harness.api.calls("forwardMessage") == []
    # The person is told clearly where the question went.
    [told] = harness.sent_to(ANNA.id)
    assert told.params["text"] == harness.t("pl").gettext(
        "I do not have a confident answer, so I have passed your question to the staff of "
        "the Biuro Dialogu i Innowacji Miejskich. Their reply will arrive in this chat."
    )
    assert ticket(harness).state == TicketState.OPEN
    assert rows(harness, UnansweredRow)[0].text == POTHOLE

    # A staff reply in the topic reaches the person, signed as the Biuro, not by name.
    await harness.send(
        harness.api.updates.topic_message(STAFF, STAFF_CHAT, thread, "Zgłoszę to do MZD <dziś>.")
    )
    reply = harness.sent_to(ANNA.id)[-1]
    assert reply.params["text"].startswith("<b>")
    assert "Biuro Dialogu" in reply.params["text"]
    assert "Joanna" not in reply.params["text"]
    assert "Zgłoszę to do MZD &lt;dziś&gt;." in reply.params["text"]
    assert ticket(harness).state == TicketState.ANSWERED
    assert ticket(harness).last_staff_name == "Joanna Nowak"
    # Staff are told "sent" once Telegram accepted the copy.
    confirmation = posts(harness)[-1]
    assert confirmation.params["message_thread_id"] == thread
    assert confirmation.params["text"] == harness.t("pl").gettext("Sent to {name}.").format(
        name="Anna"
    )
    learn = confirmation.params["reply_markup"]["inline_keyboard"][0][0]
    assert learn["text"] == harness.t("pl").gettext("Add to the knowledge base")

    # /zamknij closes the question and tells the person.
    await harness.send(harness.api.updates.topic_command(STAFF, STAFF_CHAT, thread, "zamknij"))
    assert ticket(harness).state == TicketState.CLOSED
    closed_note = harness.sent_to(ANNA.id)[-1]
    assert closed_note.params["text"] == harness.t("pl").gettext(
        "The Biuro Dialogu has closed your question. Thank you! "
        "If you write again, your message goes back to the staff."
    )
    assert harness.staff_calls("closeForumTopic")

    # The person's next question reopens the same ticket and topic.
    await harness.send(harness.api.updates.text_message(ANNA, "A co z chodnikiem obok?"))
    assert ticket(harness).state == TicketState.OPEN
    assert len(harness.staff_calls("createForumTopic")) == 1
    assert harness.staff_calls("reopenForumTopic")
    reopened = posts(harness)[-1]
    assert reopened.params["message_thread_id"] == thread
    assert "A co z chodnikiem obok?" in reopened.params["text"]


async def test_an_answerable_question_is_answered_while_a_ticket_is_open(
    harness: BotHarness,
) -> None:
    thread = await hand_over(harness)
    await harness.send(harness.api.updates.text_message(ANNA, "kiedy jest kongres?"))

    # Answered as usual...
    answer = harness.sent_to(ANNA.id)[-1]
    expected = harness.engine.assistant.respond("kiedy jest kongres?", lang="pl", now=NOW)
    assert answer.params["text"] == expected.html
    # ...and noted in the person's topic, so staff see what the assistant said.
    note = posts(harness, thread)[-1]
    assert "kiedy jest kongres?" in note.params["text"]
    assert harness.engine.assistant.title("kongres.when", "pl") in note.params["text"]
    assert ticket(harness).state == TicketState.OPEN

    # What the assistant cannot answer joins the ticket.
    await harness.send(harness.api.updates.text_message(ANNA, "A kto naprawi latarnię obok?"))
    added = harness.sent_to(ANNA.id)[-1]
    assert added.params["text"] == harness.t("pl").gettext(
        "I have added this message to your question for the Biuro staff; "
        "their reply will come here."
    )
    assert "A kto naprawi latarnię obok?" in posts(harness, thread)[-1].params["text"]
    links = rows(harness, MessageLinkRow)
    assert [link.to_staff for link in links] == [True, True]


async def test_an_answered_ticket_closes_after_the_quiet_period(harness: BotHarness) -> None:
    thread = await hand_over(harness)
    await harness.send(harness.api.updates.topic_message(STAFF, STAFF_CHAT, thread, "Zgłoszone."))
    assert ticket(harness).state == TicketState.ANSWERED

    harness.moment = NOW + timedelta(hours=71)
    await harness.jobs()
    assert ticket(harness).state == TicketState.ANSWERED

    harness.moment = NOW + timedelta(hours=73)
    await harness.jobs()
    assert ticket(harness).state == TicketState.CLOSED
    pl = harness.t("pl")
    assert harness.sent_to(ANNA.id)[-1].params["text"] == pl.gettext(
        "Your question has been closed because nobody wrote for a while. "
        "If you need more help, just write again and it goes back to the staff."
    )
    assert harness.staff_calls("closeForumTopic")
    # Writing again reopens it.
    await harness.send(harness.api.updates.text_message(ANNA, "Dziura nadal jest!"))
    assert ticket(harness).state == TicketState.OPEN


async def test_an_open_ticket_does_not_close_by_itself(harness: BotHarness) -> None:
    await hand_over(harness)
    harness.moment = NOW + timedelta(days=10)
    await harness.jobs()
    assert ticket(harness).state == TicketState.OPEN


async def test_an_edited_message_reaches_the_topic(harness: BotHarness) -> None:
    thread = await hand_over(harness)
    [question] = harness.api.messages_from(ANNA.id)
    [post] = posts(harness, thread)
    edit = harness.api.updates.edited_message(question, "Na Szosie Lubickiej 12 jest dziura!")
    await harness.send(edit)

    note = posts(harness, thread)[-1]
    assert "Na Szosie Lubickiej 12 jest dziura!" in note.params["text"]
    # Shown as a reply to the post that carried the original question.
    assert note.params["reply_parameters"]["message_id"] == post.result["message_id"]


async def test_reply_arrives_after_a_restart(harness: BotHarness) -> None:
    thread = await hand_over(harness)
    await harness.stop()
    await harness.start()  # a new process: new Application, same database

    await harness.send(
        harness.api.updates.topic_message(STAFF, STAFF_CHAT, thread, "Odpowiedź po restarcie.")
    )
    reply = harness.sent_to(ANNA.id)[-1]
    assert "Odpowiedź po restarcie." in reply.params["text"]
    assert ticket(harness).state == TicketState.ANSWERED


async def test_a_reply_whose_relay_died_is_relayed_after_the_restart(
    harness: BotHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The process dies while relaying a staff reply (after the handler that checks for an
    announcement prompt has looked at it): the stored update is handled again at the next
    start, so the reply still reaches the person."""
    thread = await hand_over(harness)

    def dies(*_args: Any, **_kwargs: Any) -> None:
        raise RuntimeError("the process died here")

    monkeypatch.setattr(harness.services.inbox, "staff_reply", dies)
    # Staff answer with Telegram's "reply" to the bot's post of the question.
    [question] = posts(harness, thread)
    await harness.send(
        harness.api.updates.topic_message(
            STAFF, STAFF_CHAT, thread, "Już jest.", reply_to=question.result
        )
    )
    assert not any("Już jest." in c.params["text"] for c in harness.sent_to(ANNA.id))
    assert [str(e) for e in harness.errors] == ["the process died here"]
    harness.errors.clear()
    await harness.stop()
    await harness.start()

    await harness.api.wait_until(
        lambda: any("Już jest." in c.params["text"] for c in harness.sent_to(ANNA.id)),
        10,
        "the reply relayed after the restart",
    )
    assert ticket(harness).state == TicketState.ANSWERED


async def test_deleted_topic_is_recreated_on_the_next_message(harness: BotHarness) -> None:
    thread = await hand_over(harness)
    # Staff delete the topic in Telegram (an action of a human admin).
    async with harness.api.make_bot() as admin:
        await admin.delete_forum_topic(chat_id=STAFF_CHAT.id, message_thread_id=thread)

    await harness.send(harness.api.updates.text_message(ANNA, "Czy ktoś to przeczytał?"))

    topics = harness.staff_calls("createForumTopic")
    assert len(topics) == 2
    new_thread = topics[-1].result["message_thread_id"]
    assert new_thread != thread
    assert "Czy ktoś to przeczytał?" in posts(harness, new_thread)[-1].params["text"]
    # Staff can answer in the new topic.
    await harness.send(harness.api.updates.topic_message(STAFF, STAFF_CHAT, new_thread, "Tak!"))
    assert "Tak!" in harness.sent_to(ANNA.id)[-1].params["text"]


async def test_topic_closed_in_telegram_closes_the_question(harness: BotHarness) -> None:
    thread = await hand_over(harness)
    await harness.send(harness.api.updates.forum_topic_closed(STAFF_CHAT, thread, STAFF))
    assert ticket(harness).state == TicketState.CLOSED
    assert "closed" in harness.t("en").gettext(
        "The Biuro Dialogu has closed your question. Thank you! "
        "If you write again, your message goes back to the staff."
    )
    # The closed topic is reopened when the person writes again.
    await harness.send(harness.api.updates.text_message(ANNA, "Jeszcze jedno pytanie o dziurę"))
    assert harness.staff_calls("reopenForumTopic")
    assert ticket(harness).state == TicketState.OPEN


async def test_person_with_forward_privacy(harness: BotHarness) -> None:
    harness.api.hide_forward_sender(OLENA.id)
    thread = await hand_over(harness, OLENA, "Де можна викинути старий диван?")
    assert harness.api.calls("forwardMessage") == []
    assert "Де можна викинути старий диван?" in posts(harness, thread)[0].params["text"]

    await harness.send(harness.api.updates.topic_message(STAFF, STAFF_CHAT, thread, "Відповідь."))
    reply = harness.sent_to(OLENA.id)[-1]
    assert "Відповідь." in reply.params["text"]
    assert harness.t("uk").gettext("Biuro Dialogu i Innowacji Miejskich") in reply.params["text"]


async def test_photos_and_documents_both_ways(harness: BotHarness) -> None:
    await harness.send(harness.api.updates.photo_message(ANNA, caption=None))
    [topic] = harness.staff_calls("createForumTopic")
    thread = topic.result["message_thread_id"]
    [copy_in] = harness.staff_calls("copyMessage")
    assert copy_in.params["from_chat_id"] == ANNA.id

    document = harness.api.updates.document_message(
        STAFF, chat=STAFF_CHAT, caption="Regulamin w załączniku"
    )
    message = document["message"]
    message.update(
        message_thread_id=thread,
        is_topic_message=True,
        reply_to_message=harness.api.updates.topic_created_message(STAFF_CHAT, thread),
    )
    await harness.send(document)
    [copy_out] = [
        c for c in harness.api.calls("copyMessage", ok=True) if c.params["chat_id"] == ANNA.id
    ]
    assert copy_out.params["from_chat_id"] == STAFF_CHAT.id
    assert "Biuro Dialogu" in copy_out.params["caption"]
    assert "Regulamin w załączniku" in copy_out.params["caption"]


async def test_internal_notes_stay_in_the_group(harness: BotHarness) -> None:
    thread = await hand_over(harness)
    before = len(harness.sent_to(ANNA.id))
    await harness.send(
        harness.api.updates.topic_message(STAFF, STAFF_CHAT, thread, "// sprawdzę w MZD")
    )
    assert len(harness.sent_to(ANNA.id)) == before
    assert ticket(harness).state == TicketState.OPEN


async def test_blocked_person_is_reported_to_staff(
    harness: BotHarness, caplog: pytest.LogCaptureFixture
) -> None:
    thread = await hand_over(harness)
    harness.api.block_user(ANNA.id)
    with caplog.at_level(logging.INFO):
        await harness.send(harness.api.updates.topic_message(STAFF, STAFF_CHAT, thread, "Halo?"))
    # A warning, not a traceback.
    blocked = [r for r in caplog.records if "blocked the bot" in r.getMessage()]
    assert blocked and all(r.levelno == logging.WARNING and not r.exc_info for r in blocked)
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    note = posts(harness, thread)[-1]
    assert note.params["text"] == harness.t("pl").gettext(
        "Not delivered: the person has blocked the bot or deleted the chat."
    )
    # Staff were not told it was sent.
    sent = harness.t("pl").gettext("Sent to {name}.").format(name="Anna")
    assert all(c.params["text"] != sent for c in posts(harness, thread))


async def test_ask_an_official_after_an_answer(harness: BotHarness) -> None:
    await harness.send(harness.api.updates.text_message(ANNA, "kiedy jest kongres?"))
    answer = harness.sent_to(ANNA.id)[-1]
    await harness.send(harness.api.updates.callback_query(ANNA, answer.result, "a"))

    [post] = posts(harness)
    assert "kiedy jest kongres?" in post.params["text"]
    assert ticket(harness).state == TicketState.OPEN


async def test_question_command_passes_the_next_message(harness: BotHarness) -> None:
    await harness.send(harness.api.updates.command(ANNA, "pytanie"))
    assert harness.staff_calls("createForumTopic") == []
    # Even a question the bot could answer goes to a person now.
    await harness.send(harness.api.updates.text_message(ANNA, "kiedy jest kongres?"))
    [post] = posts(harness)
    assert "kiedy jest kongres?" in post.params["text"]


async def test_inbox_lists_open_questions_with_age_and_last_answer(harness: BotHarness) -> None:
    thread = await hand_over(harness)
    await hand_over(harness, OLENA, "Як зареєструвати автомобіль?")
    await harness.send(
        harness.api.updates.topic_message(STAFF, STAFF_CHAT, thread, "Już sprawdzam.")
    )

    await harness.send(harness.api.updates.command(STAFF, "inbox", chat=STAFF_CHAT))
    listing = harness.staff_calls("sendMessage")[-1].params["text"]
    assert "Anna" in listing and "Olena" in listing
    pl = harness.t("pl")
    assert pl.gettext("last answer: {name}").format(name="Joanna Nowak") in listing
    assert pl.gettext("no answer yet") in listing


async def test_unrecognised_questions_most_frequent_first(harness: BotHarness) -> None:
    await hand_over(harness, ANNA, "gdzie wyrzucić stare baterie")
    await harness.send(harness.api.updates.topic_command(STAFF, STAFF_CHAT, 0, "nierozpoznane"))
    listing = harness.staff_calls("sendMessage")[-1].params["text"]
    assert "gdzie wyrzucić stare baterie" in listing
    assert listing.splitlines()[1].startswith("1×")


async def test_one_reminder_for_an_unanswered_question(harness: BotHarness) -> None:
    thread = await hand_over(harness)
    # Five hours later nobody has answered.
    harness.moment = NOW + timedelta(hours=5)
    await harness.jobs()
    await harness.jobs()

    pl = harness.t("pl")
    expected = pl.gettext("Reminder: question #{n} has been waiting for {age}.").format(
        n=ticket(harness).id, age=pl.ngettext("{n} hour", "{n} hours", 5).format(n=5)
    )
    reminders = [
        c
        for c in harness.staff_calls("sendMessage")
        if c.params.get("message_thread_id") == thread and c.params["text"] == expected
    ]
    assert len(reminders) == 1


async def test_staff_add_a_question_to_the_knowledge_base(harness: BotHarness) -> None:
    await harness.send(harness.api.updates.command(ANNA, "pytanie"))
    thread = await hand_over(harness, ANNA, "Czy Biuro Dialogu pożycza rzutnik na spotkanie?")
    await harness.send(harness.api.updates.topic_message(STAFF, STAFF_CHAT, thread, "Tak, w CAL."))
    confirmation = harness.staff_calls("sendMessage")[-1]
    learn = confirmation.params["reply_markup"]["inline_keyboard"][0][0]["callback_data"]

    await harness.send(harness.api.updates.callback_query(STAFF, confirmation.result, learn))
    markup = harness.api.calls("editMessageReplyMarkup", ok=True)[-1].params["reply_markup"]
    choices = {b["callback_data"] for row in markup["inline_keyboard"] for b in row}
    premises = next(c for c in choices if c.endswith(":ngo.premises"))

    await harness.send(harness.api.updates.callback_query(STAFF, confirmation.result, premises))
    [learned] = rows(harness, LearnedExampleRow)
    assert learned.topic == "ngo.premises"
    assert learned.text == "Czy Biuro Dialogu pożycza rzutnik na spotkanie?"
    assert learned.added_by == "Joanna Nowak"


async def test_only_administrators_add_to_the_knowledge_base(harness: BotHarness) -> None:
    thread = await hand_over(harness)
    # Any member may answer...
    await harness.send(harness.api.updates.topic_message(MEMBER, STAFF_CHAT, thread, "Tak, w CAL."))
    assert "Tak, w CAL." in harness.sent_to(ANNA.id)[-1].params["text"]
    confirmation = posts(harness)[-1]
    learn = confirmation.params["reply_markup"]["inline_keyboard"][0][0]["callback_data"]

    # ...but only administrators add to the knowledge base.
    await harness.send(harness.api.updates.callback_query(MEMBER, confirmation.result, learn))
    [refused] = harness.api.calls("answerCallbackQuery", ok=True)
    assert refused.params["text"] == harness.t("pl").gettext(
        "Only the administrators of this group can add to the knowledge base."
    )
    assert harness.api.calls("editMessageReplyMarkup") == []


async def test_user_text_is_escaped_in_the_staff_group(harness: BotHarness) -> None:
    tricky = TgUser(7009, "<b>Ala</b> & Co", language_code="pl")
    await hand_over(harness, tricky, "Pytanie o <script> & inne rzeczy")
    context = harness.staff_calls("sendMessage")[0].params["text"]
    assert "&lt;b&gt;Ala&lt;/b&gt; &amp; Co" in context


async def test_the_bot_leaves_a_group_it_is_added_to(harness: BotHarness) -> None:
    from fake_bot_api import TgChat

    other = TgChat.supergroup(-1005550001, "Jakaś grupa")
    harness.api.add_supergroup(other.id, other.title or "x", is_forum=False, bot_status="member")
    bot_user = harness.api.bot_user
    await harness.send(harness.api.updates.my_chat_member(other, STAFF, bot_user))
    [left] = harness.api.calls("leaveChat", ok=True)
    assert left.params["chat_id"] == other.id
    # The staff group itself is not left.
    await harness.send(harness.api.updates.my_chat_member(STAFF_CHAT, STAFF, bot_user))
    assert len(harness.api.calls("leaveChat")) == 1


async def test_only_administrators_send_announcements_and_reload(harness: BotHarness) -> None:
    harness.api.add_user(MEMBER, private_chat=False)
    refusal = harness.t("pl").gettext("Only the administrators of this group can use this command.")
    for command in ("ogloszenie", "przeladuj"):
        await harness.send(harness.api.updates.command(MEMBER, command, chat=STAFF_CHAT))
        assert posts(harness)[-1].params["text"] == refusal
    # The administrator may.
    await harness.send(harness.api.updates.command(STAFF, "ogloszenie", chat=STAFF_CHAT))
    themes = posts(harness)[-1]
    assert themes.params["reply_markup"]["inline_keyboard"], "the announcement's themes"
