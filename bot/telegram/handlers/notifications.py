"""Handlers of subscriptions and dated buttons (residents), announcements and reloads (staff).

Announcements and reloads are for the staff group's administrators (or the
configured staff ids); other members get a short refusal.
"""

from __future__ import annotations

import logging

from telegram import ForceReply, Message, Update
from telegram.ext import ApplicationHandlerStop, ContextTypes

from bot.core.calendar import edition_calendar, find_edition, session_calendar
from bot.core.callbacks import Callback, Kind
from bot.core.html import escape
from bot.core.inbox import STAFF_LANGUAGE
from bot.core.messages import Document, Keyboard, OutMessage, ToChat, Venue
from bot.core.units import Unit
from bot.telegram import render
from bot.telegram.context import BotContext, bot_context, person_info
from bot.telegram.handlers.common import edit_buttons

logger = logging.getLogger(__name__)


async def notifications_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/powiadomienia: switch reminders and news per theme."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    svc = bot_context(context).services

    def work(unit: Unit) -> None:
        person = svc.conversation.person(unit, person_info(user), svc.now())
        subscribed = svc.broadcasting.subscriptions(unit, person.id)
        unit.outbox.put(
            ToChat(
                message.chat_id,
                render.subscriptions_menu(
                    svc.broadcasting.themes(), subscribed, svc.t(person.language)
                ),
            )
        )

    await svc.units.run(work)


async def on_resident_button(
    update: Update, context: ContextTypes.DEFAULT_TYPE, callback: Callback
) -> None:
    """Calendar files, venues and subscription switches."""
    query, user = update.callback_query, update.effective_user
    if query is None or user is None or not isinstance(query.message, Message):
        return
    svc = bot_context(context).services
    chat_id = query.message.chat_id
    shown_text = query.message.text or ""
    info = person_info(user)
    kb = svc.assistant.knowledge
    now = svc.now()

    def work(unit: Unit) -> tuple[str | None, Keyboard | None]:
        """(toast, new buttons of the pressed message)."""
        person = svc.conversation.person(unit, info, now)
        t = svc.t(person.language)
        args = callback.args
        if callback.kind is Kind.CALENDAR and args and args[0].isdigit():
            edition = find_edition(kb, int(args[0]))
            if edition is None:
                return t.gettext("This button is no longer active."), None
            if len(args) == 3 and args[1].isdigit() and args[2].isdigit():
                day_index, session_index = int(args[1]), int(args[2])
                if day_index >= len(edition.days) or session_index >= len(
                    edition.days[day_index].sessions
                ):
                    return t.gettext("This button is no longer active."), None
                day = edition.days[day_index]
                file = session_calendar(kb, edition, day, day.sessions[session_index], t, now)
            else:
                file = edition_calendar(kb, edition, t, now)
            caption = t.gettext("Open the file to add the Kongres to your calendar.")
            unit.outbox.put(
                ToChat(
                    chat_id,
                    OutMessage(caption),
                    document=Document(file.filename, file.content.decode("utf-8"), caption),
                )
            )
            return None, None
        if callback.kind is Kind.VENUE and args:
            place = kb.places.get(args[0])
            if place is None or not place.coordinates.known:
                return t.gettext("This button is no longer active."), None
            coordinates = place.coordinates.value
            assert isinstance(coordinates, tuple)
            address = str(place.address.value) if place.address.known else place.name.get(t.lang)
            unit.outbox.put(
                ToChat(
                    chat_id,
                    OutMessage(escape(place.name.get(t.lang))),
                    venue=Venue(
                        float(coordinates[0]),
                        float(coordinates[1]),
                        place.name.get(t.lang),
                        address,
                    ),
                )
            )
            return None, None
        if callback.kind is Kind.SUBSCRIBE and len(args) == 2:
            on = args[1] == "1"
            subscribed = svc.broadcasting.switch(unit, person.id, args[0], on, now)
            if subscribed is None:
                return t.gettext("This button is no longer active."), None
            menu = render.subscriptions_menu(svc.broadcasting.themes(), subscribed, t)
            # Under the /powiadomienia menu itself, its switches follow the change.
            keyboard = menu.keyboard if shown_text.startswith(menu.text_html[:20]) else None
            toast = (
                t.gettext("Notifications switched on.")
                if on
                else t.gettext("Notifications switched off.")
            )
            return toast, keyboard
        if callback.kind is Kind.SUBSCRIBE:
            subscribed = svc.broadcasting.subscriptions(unit, person.id)
            themes = svc.broadcasting.themes()
            unit.outbox.put(ToChat(chat_id, render.subscriptions_menu(themes, subscribed, t)))
            return None, None
        return t.gettext("This button is no longer active."), None

    toast, keyboard = await svc.units.run(work)
    await query.answer(toast)
    if keyboard is not None:
        await edit_buttons(query, keyboard)


async def _refuse_non_admin(bot: BotContext, message: Message) -> bool:
    """True (and a short refusal queued) when the author is not an administrator."""
    user = message.from_user
    if user is not None and await bot.admins.allows(user.id):
        return False
    svc = bot.services
    t = svc.t(STAFF_LANGUAGE)
    thread = message.message_thread_id if message.is_topic_message else None
    note = svc.inbox.staff_note(
        thread, t.gettext("Only the administrators of this group can use this command.")
    )
    await svc.units.run(lambda unit: unit.outbox.put(note))
    return True


async def announce_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/ogloszenie in the staff group: start an announcement."""
    message = update.effective_message
    if message is None or message.from_user is None:
        return
    bot = bot_context(context)
    if await _refuse_non_admin(bot, message):
        return
    svc = bot.services
    thread = message.message_thread_id if message.is_topic_message else None
    author = message.from_user.full_name

    def work(unit: Unit) -> None:
        broadcast, counts = svc.broadcasting.new_announcement(unit, author, thread, svc.now())
        rendered = render.announcement_themes(
            svc.broadcasting.themes(), broadcast.id, counts, svc.t(STAFF_LANGUAGE)
        )
        unit.outbox.put(ToChat(message.chat_id, rendered, thread_id=thread))

    await svc.units.run(work)


async def announcement_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A staff reply to the "write the announcement" prompt (never relayed to a person)."""
    message = update.effective_message
    if message is None:
        return
    reply_to = message.reply_to_message
    if (
        reply_to is None
        or reply_to.from_user is None
        or reply_to.from_user.id != context.bot.id
        or reply_to.forum_topic_created is not None  # what every topic message "answers"
    ):
        return  # an ordinary message: the next handler group relays it
    bot = bot_context(context)
    svc = bot.services
    t = svc.t(STAFF_LANGUAGE)
    text_html = message.text_html if message.text else None
    thread = message.message_thread_id if message.is_topic_message else None

    def work(unit: Unit) -> bool:
        draft = svc.broadcasting.write_text(unit, reply_to.message_id, text_html)
        if draft.broadcast is None:
            return False
        if draft.problem is not None:
            unit.outbox.put(svc.inbox.staff_note(thread, escape(draft.problem)))
        else:
            preview = render.announcement_preview(
                draft.broadcast.id, draft.preview_html, draft.recipients, t
            )
            unit.outbox.put(ToChat(message.chat_id, preview, thread_id=thread))
        return True

    if await svc.units.run(work):
        raise ApplicationHandlerStop


async def on_announce_button(
    update: Update, context: ContextTypes.DEFAULT_TYPE, callback: Callback
) -> None:
    """Theme choice, confirmation and cancelling of announcements."""
    query = update.callback_query
    if query is None or query.from_user is None or not isinstance(query.message, Message):
        return
    bot = bot_context(context)
    svc = bot.services
    t = svc.t(STAFF_LANGUAGE)
    message = query.message
    args = callback.args
    if not args or not args[0].isdigit():
        await query.answer(t.gettext("This button is no longer active."))
        return
    if not await bot.admins.allows(query.from_user.id):
        await query.answer(
            t.gettext("Only the administrators of this group can send announcements.")
        )
        return
    broadcast_id = int(args[0])
    action = args[1] if len(args) > 1 else ""
    thread = message.message_thread_id if message.is_topic_message else None
    if action == "no":
        cancelled = await svc.units.run(lambda unit: svc.broadcasting.cancel(unit, broadcast_id))
        await query.answer(
            t.gettext("Announcement cancelled.")
            if cancelled
            else t.gettext("This announcement can no longer be cancelled.")
        )
        if cancelled:
            await edit_buttons(query, ())
        return
    if action == "t" and len(args) == 3:
        theme = args[2]
        chosen = await svc.units.run(
            lambda unit: svc.broadcasting.choose_theme(unit, broadcast_id, theme)
        )
        if chosen is None:
            await query.answer(t.gettext("This button is no longer active."))
            return
        await query.answer()
        await edit_buttons(query, ())
        # Sent at once, not queued: its message id is what the staff reply answers.
        prompt = await context.bot.send_message(
            message.chat_id,
            t.gettext("Write the text of the announcement as a reply to this message."),
            message_thread_id=thread,
            reply_markup=ForceReply(selective=True),
        )
        await svc.units.run(
            lambda unit: svc.broadcasting.remember_prompt(unit, broadcast_id, prompt.message_id)
        )
        return
    if action == "ok":
        started = await svc.units.run(
            lambda unit: svc.broadcasting.confirm(unit, broadcast_id, svc.now())
        )
        if started is None:
            await query.answer(
                t.gettext("This announcement is already being sent or was cancelled.")
            )
            return
        await query.answer(t.gettext("Sending started."))
        await edit_buttons(query, ())
        # The recipients are frozen: it goes out now whatever happens to the progress message.
        bot.broadcaster.enqueue(broadcast_id)
        return
    await query.answer(t.gettext("This button is no longer active."))


async def reload_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/przeladuj: check and load the knowledge base again; keep the old one on errors."""
    message = update.effective_message
    if message is None:
        return
    bot = bot_context(context)
    if await _refuse_non_admin(bot, message):
        return
    svc = bot.services
    t = svc.t(STAFF_LANGUAGE)
    result = await bot.reload()
    if result.engine is None:
        text = (
            "<b>"
            + t.ngettext(
                "Not reloaded: {n} problem found. The previous content stays in use.",
                "Not reloaded: {n} problems found. The previous content stays in use.",
                len(result.problems),
            ).format(n=len(result.problems))
            + "</b>\n"
            + escape_problems(result.problems)
        )
    else:
        topics = len(result.engine.content.knowledge.topics)
        text = t.gettext("Knowledge base reloaded: {n} topics.").format(n=topics)
    thread = message.message_thread_id if message.is_topic_message else None
    note = svc.inbox.staff_note(thread, text)
    await svc.units.run(lambda unit: unit.outbox.put(note))


def escape_problems(problems: tuple[str, ...], limit: int = 15) -> str:
    """Content problems for the staff group (escaped, the first few)."""
    shown = [f"• {escape(p)}" for p in problems[:limit]]
    if len(problems) > limit:
        shown.append(f"… (+{len(problems) - limit})")
    return "\n".join(shown)
