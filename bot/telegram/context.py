"""What handlers reach through ``context.bot_data``: the services and the running parts."""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from telegram import Bot, Message, User
from telegram.constants import ChatMemberStatus
from telegram.error import TelegramError
from telegram.ext import ContextTypes

from bot.core.broadcasting import Broadcaster
from bot.core.inbox import PersonInfo
from bot.core.messages import MessageRef
from bot.services import ReloadResult
from bot.wiring import Services

logger = logging.getLogger(__name__)

CONTEXT_KEY = "bot"
#: How long the list of the staff group's administrators is trusted.
ADMINS_FOR = 300.0


@dataclass(repr=False)
class StaffAdmins:
    """Who may send announcements, reload content and add examples.

    The staff group's administrators (asked from Telegram, cached for a few
    minutes), or, when configured, a fixed list of staff user ids.
    """

    bot: Bot
    chat_id: int
    configured: frozenset[int] = frozenset()
    _cache: tuple[float, frozenset[int]] | None = field(default=None)

    async def allows(self, user_id: int) -> bool:
        """Whether this user may use the administrators' commands."""
        if self.configured:
            return user_id in self.configured
        now = time.monotonic()
        if self._cache is None or now - self._cache[0] > ADMINS_FOR:
            try:
                members = await self.bot.get_chat_administrators(self.chat_id)
            except TelegramError as exc:
                logger.warning("could not read the staff group's administrators: %s", exc)
                return False
            ids = frozenset(
                m.user.id
                for m in members
                if m.status in (ChatMemberStatus.OWNER, ChatMemberStatus.ADMINISTRATOR)
                and not m.user.is_bot
            )
            self._cache = (now, ids)
        return user_id in self._cache[1]


@dataclass(repr=False)
class BotContext:
    """The services of a running bot and the parts handlers need besides them."""

    services: Services
    broadcaster: Broadcaster
    admins: StaffAdmins
    reload: Callable[[], Awaitable[ReloadResult]]


def bot_context(context: ContextTypes.DEFAULT_TYPE) -> BotContext:
    """The bot context stored in the application's bot_data."""
    found = context.bot_data[CONTEXT_KEY]
    assert isinstance(found, BotContext)
    return found


def person_info(user: User) -> PersonInfo:
    """What the core needs to know about a Telegram user."""
    return PersonInfo(
        telegram_id=user.id,
        first_name=user.first_name or user.username or str(user.id),
        username=user.username,
        language_code=user.language_code,
    )


def has_media(message: Message) -> bool:
    """Whether a message carries something only a copy can pass on."""
    return bool(
        message.photo
        or message.document
        or message.video
        or message.voice
        or message.audio
        or message.animation
        or message.video_note
    )


def message_ref(message: Message, text: str | None = None) -> MessageRef:
    """A reference to a Telegram message for the core (its text or caption)."""
    if text is None:
        text = message.text if message.text is not None else message.caption
    return MessageRef(
        chat_id=message.chat_id, message_id=message.message_id, text=text, media=has_media(message)
    )
