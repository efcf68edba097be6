"""Telegram's side of broadcasting: one delivery, and the progress message in the staff group.

The sending loop itself is :class:`bot.core.broadcasting.Broadcaster`.
"""

from __future__ import annotations

import logging

from telegram import Bot
from telegram.constants import ParseMode
from telegram.error import BadRequest

from bot.core.broadcasting import Broadcast, Result, Sent
from bot.core.messages import OutMessage
from bot.telegram.errors import Verdict, classify
from bot.telegram.render import markup

logger = logging.getLogger(__name__)


class TelegramDeliverySender:
    """:class:`bot.core.broadcasting.DeliverySender` on the Bot API."""

    def __init__(self, bot: Bot, staff_chat_id: int) -> None:
        self.bot = bot
        self.staff_chat_id = staff_chat_id

    async def deliver(self, chat_id: int, message: OutMessage) -> Sent:
        try:
            sent = await self.bot.send_message(
                chat_id=chat_id,
                text=message.text_html,
                parse_mode=ParseMode.HTML,
                reply_markup=markup(message.keyboard),
            )
        except Exception as exc:
            failure = classify(exc)
            if failure.verdict is Verdict.BLOCKED:
                logger.warning("subscriber %s blocked the bot", chat_id)
                return Sent(Result.BLOCKED)
            if failure.verdict is Verdict.WAIT:
                return Sent(Result.RETRY, retry_after=failure.wait + 0.1)
            if failure.verdict is Verdict.RETRY:
                return Sent(Result.RETRY)
            logger.info("delivery to %s failed: %s", chat_id, failure.detail)
            return Sent(Result.FAILED)
        return Sent(Result.SENT, sent.message_id)

    async def report(self, broadcast: Broadcast, text_html: str, final: bool) -> int | None:
        if broadcast.progress_message_id is not None and not final:
            try:
                await self.bot.edit_message_text(
                    text_html,
                    chat_id=self.staff_chat_id,
                    message_id=broadcast.progress_message_id,
                    parse_mode=ParseMode.HTML,
                )
                return None
            except BadRequest as exc:
                if "not modified" in exc.message.lower():
                    return None
        sent = await self.bot.send_message(
            self.staff_chat_id,
            text_html,
            parse_mode=ParseMode.HTML,
            message_thread_id=broadcast.staff_thread_id,
        )
        return None if final else sent.message_id
