"""The Biuro inbox end to end: topics per person, relays both ways, states, restarts."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fake_bot_api import TgUser
from harness import ANNA, NOW, OLENA, STAFF, STAFF_CHAT, BotHarness
from sqlmodel import select

from bot.core.inbox import TicketState
from bot.storage.models import LearnedExampleRow, MessageLinkRow, TicketRow, UnansweredRow
from bot.telegram.context import SERVICES_KEY, BotServices

#: A question the knowledge base does not hold (out of scope: handed over).
POTHOLE = "Na Szosie Lubickiej jest ogromna dziura w jezdni, kto to naprawi?"


def rows(bot: BotHarness, model: Any) -> list[Any]:
    assert bot.db is not None
    with bot.db.session() as session:
        return list(session.exec(select(model)).all())


def ticket(bot: BotHarness) -> TicketRow:
    [only] = rows(bot, TicketRow)
    return only


def services(bot: BotHarness) -> BotServices:
    assert bot.app is not None
    services = bot.app.bot_data[SERVICES_KEY]
    assert isinstance(services, BotServices)
    return services


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
    # The question is copied (never forwarded) with its context first.
    [context] = harness.staff_calls("sendMessage")
    assert context.params["message_thread_id"] == thread
    assert "Anna" in context.params["text"]
    [copy] = harness.staff_calls("copyMessage")
    assert copy.params["from_chat_id"] == ANNA.id
    assert copy.params["message_thread_id"] == thread
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
    confirmation = harness.staff_calls("sendMessage")[-1]
    assert confirmation.params["message_thread_id"] == thread
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
    assert harness.staff_calls("copyMessage")[-1].params["message_thread_id"] == thread


async def test_open_question_is_not_answered_automatically(harness: BotHarness) -> None:
    await hand_over(harness)
    await harness.send(harness.api.updates.text_message(ANNA, "kiedy jest kongres?"))

    added = harness.sent_to(ANNA.id)[-1]
    assert added.params["text"] == harness.t("pl").gettext(
        "Your question is waiting for the Biuro staff, so I am not answering "
        "automatically. I have added this message to it; the reply will come here."
    )
    assert len(harness.staff_calls("copyMessage")) == 2
    links = rows(harness, MessageLinkRow)
    assert [link.to_staff for link in links] == [True, True]


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
    assert harness.staff_calls("copyMessage")[-1].params["message_thread_id"] == new_thread
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
    assert harness.staff_calls("copyMessage")[0].params["from_chat_id"] == OLENA.id

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


async def test_blocked_person_is_reported_to_staff(harness: BotHarness) -> None:
    thread = await hand_over(harness)
    harness.api.block_user(ANNA.id)
    await harness.send(harness.api.updates.topic_message(STAFF, STAFF_CHAT, thread, "Halo?"))
    note = harness.staff_calls("sendMessage")[-1]
    assert note.params["text"] == harness.t("pl").gettext(
        "Not delivered: the person has blocked the bot or deleted the chat."
    )


async def test_ask_an_official_after_an_answer(harness: BotHarness) -> None:
    await harness.send(harness.api.updates.text_message(ANNA, "kiedy jest kongres?"))
    answer = harness.sent_to(ANNA.id)[-1]
    await harness.send(harness.api.updates.callback_query(ANNA, answer.result, "a"))

    [copy] = harness.staff_calls("copyMessage")
    question = harness.api.messages_from(ANNA.id)[0]
    assert copy.params["message_id"] == question["message_id"]
    assert ticket(harness).state == TicketState.OPEN


async def test_question_command_passes_the_next_message(harness: BotHarness) -> None:
    await harness.send(harness.api.updates.command(ANNA, "pytanie"))
    assert harness.staff_calls("createForumTopic") == []
    # Even a question the bot could answer goes to a person now.
    await harness.send(harness.api.updates.text_message(ANNA, "kiedy jest kongres?"))
    assert len(harness.staff_calls("copyMessage")) == 1


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
    assert harness.app is not None and harness.app.job_queue is not None
    [job] = harness.app.job_queue.get_jobs_by_name("ticket-reminders")
    await job.run(harness.app)
    await job.run(harness.app)

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


async def test_user_text_is_escaped_in_the_staff_group(harness: BotHarness) -> None:
    tricky = TgUser(7009, "<b>Ala</b> & Co", language_code="pl")
    await hand_over(harness, tricky, "Pytanie o <script> & inne rzeczy")
    context = harness.staff_calls("sendMessage")[0].params["text"]
    assert "&lt;b&gt;Ala&lt;/b&gt; &amp; Co" in context
