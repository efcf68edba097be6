"""Telegram implementations of the inbox ports: the staff group and private chats."""

from __future__ import annotations

import logging

from telegram import Bot
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden

from bot.core.html import visible_length
from bot.core.inbox import MessageRef, PersonUnreachable, StaffMessage, TopicClosed, TopicGone

logger = logging.getLogger(__name__)

MESSAGE_LIMIT = 4096
CAPTION_LIMIT = 1024


def _topic_error(exc: BadRequest) -> Exception | None:
    text = exc.message.lower()
    if "thread not found" in text or "topic_deleted" in text or "topic not found" in text:
        return TopicGone(exc.message)
    if "topic_closed" in text:
        return TopicClosed(exc.message)
    return None


class TelegramStaffDesk:
    """:class:`bot.core.inbox.StaffDesk` on a forum supergroup."""

    def __init__(self, bot: Bot, staff_chat_id: int) -> None:
        self.bot = bot
        self.chat_id = staff_chat_id

    async def create_topic(self, name: str) -> int:
        topic = await self.bot.create_forum_topic(chat_id=self.chat_id, name=name)
        return topic.message_thread_id

    async def reopen_topic(self, thread_id: int) -> bool:
        try:
            await self.bot.reopen_forum_topic(chat_id=self.chat_id, message_thread_id=thread_id)
        except BadRequest as exc:
            if "not_modified" in exc.message.lower():
                return True  # it was open already
            logger.info("cannot reopen topic %s: %s", thread_id, exc.message)
            return False
        return True

    async def close_topic(self, thread_id: int) -> None:
        try:
            await self.bot.close_forum_topic(chat_id=self.chat_id, message_thread_id=thread_id)
        except BadRequest as exc:
            logger.info("cannot close topic %s: %s", thread_id, exc.message)

    async def post(self, thread_id: int, text_html: str) -> int:
        try:
            message = await self.bot.send_message(
                chat_id=self.chat_id,
                message_thread_id=thread_id,
                text=text_html,
                parse_mode=ParseMode.HTML,
            )
        except BadRequest as exc:
            raise _topic_error(exc) or exc from exc
        return message.message_id

    async def copy_in(self, thread_id: int, source: MessageRef) -> int:
        try:
            copied = await self.bot.copy_message(
                chat_id=self.chat_id,
                from_chat_id=source.chat_id,
                message_id=source.message_id,
                message_thread_id=thread_id,
            )
        except BadRequest as exc:
            raise _topic_error(exc) or exc from exc
        return copied.message_id


class TelegramPersonChannel:
    """:class:`bot.core.inbox.PersonChannel` on private chats."""

    def __init__(self, bot: Bot) -> None:
        self.bot = bot

    async def send_text(self, chat_id: int, text_html: str) -> int:
        try:
            message = await self.bot.send_message(
                chat_id=chat_id, text=text_html, parse_mode=ParseMode.HTML
            )
        except Forbidden as exc:
            raise PersonUnreachable(exc.message) from exc
        return message.message_id

    async def relay_from_staff(self, chat_id: int, message: StaffMessage, signature: str) -> int:
        head = f"<b>{signature}</b>"
        try:
            if not message.has_media and message.text_html is not None:
                text = f"{head}\n{message.text_html}"
                if visible_length(text) <= MESSAGE_LIMIT:
                    sent = await self.bot.send_message(
                        chat_id=chat_id, text=text, parse_mode=ParseMode.HTML
                    )
                    return sent.message_id
                # Too long with the signature: sign first, then copy it whole.
                await self.bot.send_message(chat_id=chat_id, text=head, parse_mode=ParseMode.HTML)
                copied = await self.bot.copy_message(
                    chat_id=chat_id, from_chat_id=message.chat_id, message_id=message.message_id
                )
                return copied.message_id
            caption = head + (f"\n{message.caption_html}" if message.caption_html else "")
            if message.can_caption and visible_length(caption) <= CAPTION_LIMIT:
                copied = await self.bot.copy_message(
                    chat_id=chat_id,
                    from_chat_id=message.chat_id,
                    message_id=message.message_id,
                    caption=caption,
                    parse_mode=ParseMode.HTML,
                )
            else:
                await self.bot.send_message(chat_id=chat_id, text=head, parse_mode=ParseMode.HTML)
                copied = await self.bot.copy_message(
                    chat_id=chat_id, from_chat_id=message.chat_id, message_id=message.message_id
                )
            return copied.message_id
        except Forbidden as exc:
            raise PersonUnreachable(exc.message) from exc
