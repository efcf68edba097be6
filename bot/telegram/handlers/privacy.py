"""Handlers of a person's rights over their data: ``/moje_dane`` and ``/usun_dane``.

Neither command stores anyone: a person the bot does not know is told there
is nothing to show or delete.
"""

from __future__ import annotations

import logging

from telegram import BotCommandScopeChat, Message, Update, User
from telegram.error import TelegramError
from telegram.ext import ContextTypes

from bot.core.callbacks import Callback
from bot.core.conversation import negotiate_language
from bot.core.messages import OutMessage, ToChat
from bot.core.units import Unit
from bot.telegram import render
from bot.telegram.context import bot_context
from bot.telegram.handlers.common import edit_buttons

logger = logging.getLogger(__name__)


def _language(stored: str | None, user: User) -> str:
    return stored or negotiate_language(user.language_code)


async def my_data_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Send the person a summary and a JSON file of everything stored about them."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    svc = bot_context(context).services

    def work(unit: Unit) -> None:
        export = svc.privacy.export(unit, user.id, svc.now(), request=update.update_id)
        if export is None:
            t = svc.t(_language(None, user))
            unit.outbox.put(ToChat(message.chat_id, render.nothing_stored(t)))
            return
        t = svc.t(export.person.language)
        unit.outbox.put(
            ToChat(
                message.chat_id,
                render.personal_data(
                    export, t, svc.privacy.retention, svc.assistant.knowledge.navigation
                ),
            ),
            ToChat(message.chat_id, OutMessage(""), document=render.personal_data_file(export, t)),
        )

    await svc.units.run(work)


async def erase_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Ask the person to confirm the deletion of their data."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    svc = bot_context(context).services

    def work(unit: Unit) -> None:
        person = svc.privacy.known(unit, user.id)
        if person is None:
            unit.outbox.put(
                ToChat(message.chat_id, render.nothing_stored(svc.t(_language(None, user))))
            )
            return
        open_question = svc.inbox.active_ticket(unit, person) is not None
        unit.outbox.put(
            ToChat(
                message.chat_id,
                render.erase_prompt(svc.t(person.language), open_question=open_question),
            )
        )

    await svc.units.run(work)


async def on_erase_button(
    update: Update, context: ContextTypes.DEFAULT_TYPE, callback: Callback
) -> None:
    """Yes: erase the person's data; no: keep them. The question's buttons go either way."""
    query, user = update.callback_query, update.effective_user
    if query is None or user is None or not isinstance(query.message, Message):
        return
    svc = bot_context(context).services
    chat_id = query.message.chat_id
    confirmed = callback.args == ("1",)

    def work(unit: Unit) -> tuple[str, bool]:
        """(the toast, whether anything was erased)."""
        person = svc.privacy.known(unit, user.id)
        t = svc.t(_language(person.language if person else None, user))
        if not confirmed:
            return t.gettext("Nothing has been deleted."), False
        if svc.privacy.erase(unit, user.id, svc.now()) is None:
            unit.outbox.put(ToChat(chat_id, render.nothing_stored(t)))
            return t.gettext("There was nothing to delete."), False
        unit.outbox.put(ToChat(chat_id, render.erased(t)))
        return t.gettext("Your data have been deleted."), True

    toast, erased = await svc.units.run(work)
    await query.answer(toast)
    await edit_buttons(query, ())
    if erased:
        # The command menu set for this chat's language is data about the person too.
        try:
            await context.bot.delete_my_commands(scope=BotCommandScopeChat(chat_id=chat_id))
        except TelegramError as exc:
            logger.info("could not reset the commands of chat %s: %s", chat_id, exc)
