"""Handlers of the staff supergroup: replies in topics, /zamknij, /inbox, learning."""

from __future__ import annotations

import logging

from telegram import Message, Update
from telegram.ext import ContextTypes

from bot.core.html import escape
from bot.core.inbox import StaffMessage
from bot.storage import repository as repo
from bot.telegram import render
from bot.telegram.callbacks import Kind, decode
from bot.telegram.context import services_of
from bot.telegram.handlers.common import send

logger = logging.getLogger(__name__)

#: Messages starting with this stay in the staff group (internal notes).
INTERNAL_PREFIX = "//"

STAFF_LANGUAGE = "pl"


def _staff_message(message: Message) -> StaffMessage | None:
    if message.message_thread_id is None or not message.is_topic_message:
        return None
    author = message.from_user.full_name if message.from_user else "?"
    can_caption = bool(
        message.photo
        or message.document
        or message.video
        or message.audio
        or message.voice
        or message.animation
    )
    return StaffMessage(
        chat_id=message.chat_id,
        message_id=message.message_id,
        thread_id=message.message_thread_id,
        author_name=author,
        text_html=message.text_html if message.text else None,
        caption_html=message.caption_html if message.caption else None,
        has_media=message.text is None,
        can_caption=can_caption,
    )


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
    svc = services_of(context)
    t = svc.t(STAFF_LANGUAGE)
    relayed = await svc.inbox.staff_reply(staff_message, svc.now())
    if relayed is None:
        await send(message, render.Rendered(t.gettext("This topic is not linked to any question.")))
        return
    if relayed.delivered:
        await message.reply_html(
            t.gettext("Sent to {name}.").format(name=escape(relayed.person.first_name)),
            reply_markup=render.learn_button(relayed.ticket.id, t),
            do_quote=False,
        )


async def close_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/zamknij in a topic: close the question and tell the person."""
    message = update.effective_message
    if message is None:
        return
    svc = services_of(context)
    t = svc.t(STAFF_LANGUAGE)
    if message.message_thread_id is None or not message.is_topic_message:
        await send(
            message, render.Rendered(t.gettext("Use /zamknij inside the topic of a question."))
        )
        return
    result = await svc.inbox.close(message.message_thread_id, svc.now())
    if result is None:
        await send(message, render.Rendered(t.gettext("This topic is not linked to any question.")))


async def on_topic_closed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Staff closed a topic in Telegram: close its question too (and tell the person)."""
    message = update.effective_message
    if message is None or message.message_thread_id is None:
        return
    if message.from_user is not None and message.from_user.id == context.bot.id:
        return  # our own closing after /zamknij
    svc = services_of(context)
    await svc.inbox.close(message.message_thread_id, svc.now())


async def inbox_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/inbox: open questions with their age and who answered last."""
    message = update.effective_message
    if message is None:
        return
    svc = services_of(context)
    t = svc.t(STAFF_LANGUAGE)
    tickets = await svc.store.active_tickets()
    await send(message, render.inbox(tickets, svc.now(), t))


async def unrecognised_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/nierozpoznane: questions the assistant could not answer, most frequent first."""
    message = update.effective_message
    if message is None:
        return
    svc = services_of(context)
    t = svc.t(STAFF_LANGUAGE)
    rows = await svc.db.run(repo.unanswered_summary, 20)
    await send(
        message, render.unrecognised(rows, t, lambda topic: svc.assistant.title(topic, "pl"))
    )


async def on_staff_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Buttons in the staff group: attach a question to the knowledge base."""
    query = update.callback_query
    if query is None or query.from_user is None:
        return
    svc = services_of(context)
    t = svc.t(STAFF_LANGUAGE)
    callback = decode(query.data)
    if callback is None:
        await query.answer(t.gettext("This button is no longer active."))
        return
    if callback.kind is Kind.LEARN and callback.args and callback.args[0].isdigit():
        await query.answer()
        topics = sorted(svc.assistant.knowledge.topics)
        await query.edit_message_reply_markup(
            render.learn_topics(
                int(callback.args[0]), topics, lambda topic: svc.assistant.title(topic, "pl")
            )
        )
        return
    if callback.kind is Kind.LEARN_TOPIC and len(callback.args) == 2 and callback.args[0].isdigit():
        ticket_id, topic = int(callback.args[0]), callback.args[1]
        found = await svc.db.run(repo.ticket_by_id, ticket_id)
        if topic not in svc.assistant.knowledge.topics or found is None:
            await query.answer(t.gettext("This button is no longer active."))
            return
        _ticket, person = found
        text = person.last_question_text
        if not text:
            await query.answer(t.gettext("There is no text question to add."))
            return
        added = await svc.db.run(
            repo.add_learned_example,
            topic,
            text,
            person.language,
            ticket_id,
            query.from_user.full_name,
            svc.now(),
        )
        await query.answer(
            t.gettext("Added as an example of “{topic}”.").format(
                topic=svc.assistant.title(topic, "pl")
            )
            if added
            else t.gettext("This example is already stored.")
        )
        await query.edit_message_reply_markup(None)
        return
    if svc.extras is not None and await svc.extras.on_staff_button(query, callback, t):
        return
    await query.answer(t.gettext("This button is no longer active."))
