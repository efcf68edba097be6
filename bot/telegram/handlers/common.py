"""Handlers and helpers shared by both audiences: dedupe, errors, sending."""

from __future__ import annotations

import html
import logging
import traceback

from telegram import Message, Update
from telegram.constants import ChatType, ParseMode
from telegram.error import Forbidden, TelegramError
from telegram.ext import ApplicationHandlerStop, ContextTypes

from bot.storage import repository as repo
from bot.telegram.context import services_of
from bot.telegram.render import Rendered, split_message

logger = logging.getLogger(__name__)


async def skip_redelivered(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Stop an update that was already processed (Telegram may deliver twice)."""
    if not isinstance(update, Update):
        return
    svc = services_of(context)
    fresh = await svc.db.run(repo.claim_update, update.update_id, svc.now())
    if not fresh:
        logger.info("update %s was already processed; skipped", update.update_id)
        raise ApplicationHandlerStop


async def send(message: Message, rendered: Rendered) -> Message:
    """Reply in the message's chat (and topic); long texts are split, buttons go last."""
    parts = split_message(rendered.text)
    sent = message
    for index, part in enumerate(parts):
        last = index == len(parts) - 1
        sent = await message.get_bot().send_message(
            chat_id=message.chat_id,
            message_thread_id=message.message_thread_id if message.is_topic_message else None,
            text=part,
            parse_mode=ParseMode.HTML,
            reply_markup=rendered.keyboard if last else None,
        )
    return sent


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Log the error and tell the person in plain words; never fail silently."""
    error = context.error
    logger.error(
        "error while handling an update: %s",
        "".join(traceback.format_exception(error)) if error else "unknown",
    )
    if not isinstance(update, Update):
        return
    chat = update.effective_chat
    if chat is None or chat.type != ChatType.PRIVATE:
        return
    svc = services_of(context)
    lang = "pl"
    user = update.effective_user
    if user is not None:
        person = await svc.store.person_by_telegram_id(user.id)
        lang = person.language if person else lang
    t = svc.t(lang)
    try:
        await context.bot.send_message(
            chat_id=chat.id,
            text=html.escape(
                t.gettext(
                    "Sorry, something went wrong on my side. Your message has reached me; "
                    "please try again in a moment, or write /pytanie to ask a person."
                ),
                quote=False,
            ),
        )
    except (Forbidden, TelegramError):
        logger.warning("could not tell chat %s about the error", chat.id)
