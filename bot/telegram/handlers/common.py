"""Handlers shared by both audiences: errors, and groups the bot is added to."""

from __future__ import annotations

import logging
import traceback

from telegram import CallbackQuery, Update
from telegram.constants import ChatMemberStatus, ChatType
from telegram.error import Forbidden, TelegramError
from telegram.ext import ContextTypes

from bot.core.knowledge import DEFAULT_LANGUAGE
from bot.core.messages import Keyboard, OutMessage, ToChat
from bot.core.units import CURRENT_UPDATE, Unit
from bot.telegram import render
from bot.telegram.context import bot_context

logger = logging.getLogger(__name__)


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Log the error; the update is tried again, and set aside after a few failures.

    Nothing is said to the person here: they are told only when the update
    is given up (:func:`tell_given_up`), and never that it reached anyone.
    """
    error = context.error
    current = CURRENT_UPDATE.get()
    if current is not None and error is not None:
        current.error = error
    if isinstance(error, Forbidden):
        logger.warning("the bot was blocked or removed while handling an update: %s", error)
        return
    logger.error(
        "error while handling an update: %s",
        "".join(traceback.format_exception(error)) if error else "unknown",
    )


async def tell_given_up(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """An update failed several times and is set aside: say so plainly to its person."""
    chat = update.effective_chat
    if chat is None or chat.type != ChatType.PRIVATE:
        return
    svc = bot_context(context).services
    user = update.effective_user

    def work(unit: Unit) -> None:
        person = unit.inbox.person_by_telegram_id(user.id) if user is not None else None
        t = svc.t(person.language if person else DEFAULT_LANGUAGE)
        text = t.gettext(
            "Sorry, something went wrong on my side and I could not handle your "
            "last message. Please send it again in a moment, or write /pytanie "
            "to ask a person."
        )
        unit.outbox.put(ToChat(chat.id, OutMessage(text)))

    try:
        await svc.units.run(work)
    except TelegramError as exc:
        logger.warning("could not tell chat %s about the error: %s", chat.id, exc)


async def on_my_chat_member(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The bot was added to a group other than the staff group: leave it."""
    change = update.my_chat_member
    if change is None:
        return
    chat = change.chat
    svc = bot_context(context).services
    if chat.type == ChatType.PRIVATE or chat.id == svc.settings.staff_chat_id:
        return
    if change.new_chat_member.status not in (
        ChatMemberStatus.MEMBER,
        ChatMemberStatus.ADMINISTRATOR,
    ):
        return
    logger.warning(
        "added to chat %s (%s), which is not the staff group: leaving", chat.id, chat.title
    )
    try:
        await context.bot.leave_chat(chat.id)
    except TelegramError as exc:
        logger.warning("could not leave chat %s: %s", chat.id, exc)


async def edit_buttons(query: CallbackQuery, keyboard: Keyboard) -> None:
    """Change the buttons under the pressed message (a convenience: never fails the update)."""
    try:
        await query.edit_message_reply_markup(render.markup(keyboard))
    except TelegramError as exc:
        logger.info("could not change the buttons: %s", exc)
