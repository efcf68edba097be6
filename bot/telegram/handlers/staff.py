"""Handlers of the staff supergroup: replies in topics, /zamknij, /inbox, learning.

Every member of the staff group may answer and close questions; adding a
question to the knowledge base is for the group's administrators (or the
configured staff ids).
"""

from __future__ import annotations

import logging

from telegram import Message, Update
from telegram.ext import ContextTypes

from bot.core.callbacks import Kind, decode
from bot.core.inbox import STAFF_LANGUAGE, Learned
from bot.core.messages import StaffMessage
from bot.core.units import Unit
from bot.telegram import render
from bot.telegram.context import bot_context, has_media
from bot.telegram.handlers.common import edit_buttons

logger = logging.getLogger(__name__)

#: Messages starting with this stay in the staff group (internal notes).
INTERNAL_PREFIX = "//"


def _staff_message(message: Message) -> StaffMessage | None:
    if message.message_thread_id is None or not message.is_topic_message:
        return None
    user = message.from_user
    return StaffMessage(
        chat_id=message.chat_id,
        message_id=message.message_id,
        thread_id=message.message_thread_id,
        author_name=user.full_name if user else "?",
        author_id=user.id if user else 0,
        text_html=message.text_html if message.text else None,
        caption_html=message.caption_html if message.caption else None,
        has_media=message.text is None,
        can_caption=has_media(message),
    )


def _thread(message: Message) -> int | None:
    return message.message_thread_id if message.is_topic_message else None


async def on_staff_message(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Copy a staff member's message in a person's topic to that person."""
    message = update.effective_message
    if message is None or message.from_user is None or message.from_user.is_bot:
        return
    if (message.text or message.caption or "").lstrip().startswith(INTERNAL_PREFIX):
        return
    staff_message = _staff_message(message)
    if staff_message is None:
        return  # the General topic: staff talk among themselves
    svc = bot_context(context).services
    t = svc.t(STAFF_LANGUAGE)

    def work(unit: Unit) -> None:
        if svc.inbox.staff_reply(unit, staff_message, svc.now()) is None:
            unit.outbox.put(
                svc.inbox.staff_note(
                    staff_message.thread_id, t.gettext("This topic is not linked to any question.")
                )
            )

    await svc.units.run(work)


async def close_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/zamknij in a topic: close the question and tell the person."""
    message = update.effective_message
    if message is None:
        return
    svc = bot_context(context).services
    t = svc.t(STAFF_LANGUAGE)
    thread = _thread(message)

    def work(unit: Unit) -> None:
        if thread is None:
            unit.outbox.put(
                svc.inbox.staff_note(
                    None, t.gettext("Use /zamknij inside the topic of a question.")
                )
            )
        elif svc.inbox.close(unit, thread, svc.now()) is None:
            unit.outbox.put(
                svc.inbox.staff_note(thread, t.gettext("This topic is not linked to any question."))
            )

    await svc.units.run(work)


async def on_topic_closed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Staff closed a topic in Telegram: close its question too (and tell the person)."""
    message = update.effective_message
    if message is None or message.message_thread_id is None:
        return
    if message.from_user is not None and message.from_user.id == context.bot.id:
        return  # our own closing after /zamknij
    svc = bot_context(context).services
    thread = message.message_thread_id
    await svc.units.run(lambda unit: svc.inbox.close(unit, thread, svc.now()))


async def inbox_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/inbox: open questions with their age and who answered last."""
    message = update.effective_message
    if message is None:
        return
    svc = bot_context(context).services
    t = svc.t(STAFF_LANGUAGE)
    thread = _thread(message)

    def work(unit: Unit) -> None:
        listing = render.inbox(svc.inbox.listing(unit), svc.now(), t)
        unit.outbox.put(svc.inbox.staff_note(thread, listing.text_html))

    await svc.units.run(work)


async def unrecognised_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/nierozpoznane: questions the assistant could not answer, most frequent first."""
    message = update.effective_message
    if message is None:
        return
    svc = bot_context(context).services
    t = svc.t(STAFF_LANGUAGE)
    thread = _thread(message)

    def work(unit: Unit) -> None:
        rows = svc.inbox.unrecognised(unit, 20)
        listing = render.unrecognised(
            rows, t, lambda topic: svc.assistant.title(topic, STAFF_LANGUAGE)
        )
        unit.outbox.put(svc.inbox.staff_note(thread, listing.text_html))

    await svc.units.run(work)


async def on_staff_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Buttons in the staff group: attach a question to the knowledge base, announcements."""
    query = update.callback_query
    if query is None or query.from_user is None:
        return
    bot = bot_context(context)
    svc = bot.services
    t = svc.t(STAFF_LANGUAGE)
    callback = decode(query.data)
    if callback is None:
        await query.answer(t.gettext("This button is no longer active."))
        return
    if callback.kind is Kind.ANNOUNCE:
        from bot.telegram.handlers.notifications import on_announce_button

        await on_announce_button(update, context, callback)
        return
    if callback.kind not in (Kind.LEARN, Kind.LEARN_TOPIC):
        await query.answer(t.gettext("This button is no longer active."))
        return
    if not await bot.admins.allows(query.from_user.id):
        await query.answer(
            t.gettext("Only the administrators of this group can add to the knowledge base.")
        )
        return
    args = callback.args
    if callback.kind is Kind.LEARN and args and args[0].isdigit():
        await query.answer()
        topics = sorted(svc.assistant.knowledge.topics)
        keyboard = render.learn_topics(
            int(args[0]), topics, lambda topic: svc.assistant.title(topic, STAFF_LANGUAGE)
        )
        await edit_buttons(query, keyboard)
        return
    if callback.kind is Kind.LEARN_TOPIC and len(args) == 2 and args[0].isdigit():
        ticket_id, topic = int(args[0]), args[1]
        if topic not in svc.assistant.knowledge.topics:
            await query.answer(t.gettext("This button is no longer active."))
            return
        author = query.from_user.full_name
        learned = await svc.units.run(
            lambda unit: svc.inbox.learn_example(unit, ticket_id, topic, author, svc.now())
        )
        texts = {
            Learned.ADDED: t.gettext("Added as an example of “{topic}”.").format(
                topic=svc.assistant.title(topic, STAFF_LANGUAGE)
            ),
            Learned.KNOWN: t.gettext("This example is already stored."),
            Learned.NO_TEXT: t.gettext("There is no text question to add."),
            Learned.GONE: t.gettext("This button is no longer active."),
        }
        await query.answer(texts[learned])
        if learned in (Learned.ADDED, Learned.KNOWN):
            await edit_buttons(query, ())
        return
    await query.answer(t.gettext("This button is no longer active."))
