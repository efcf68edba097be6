"""What handlers reach through ``context.bot_data``: the bot's services."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from telegram import Message, User
from telegram.ext import ContextTypes

from bot.config import Settings
from bot.core.answering import Assistant
from bot.core.conversation import Conversation
from bot.core.dates import local_now
from bot.core.inbox import Inbox, MessageRef, PersonInfo
from bot.core.translation import Translator
from bot.services import Engine
from bot.storage.database import Database
from bot.storage.repository import SqlInboxStore

if TYPE_CHECKING:
    from bot.telegram.extras import Extras

SERVICES_KEY = "services"


@dataclass(repr=False)
class BotServices:
    """Long-lived services of a running bot (one instance per Application)."""

    settings: Settings
    engine: Engine
    db: Database
    store: SqlInboxStore
    inbox: Inbox
    conversation: Conversation
    clock: Callable[[], datetime] | None = None
    #: features of the dated-knowledge issue (calendar, venues, subscriptions…)
    extras: Extras | None = None
    state: dict[str, Any] = field(default_factory=dict)

    @property
    def assistant(self) -> Assistant:
        """The assistant on the current content."""
        return self.engine.assistant

    def now(self) -> datetime:
        """The current time in Europe/Warsaw (fixed in tests)."""
        return local_now(self.clock() if self.clock else None)

    def t(self, lang: str) -> Translator:
        """The translator of a language."""
        return self.engine.catalogs(lang)

    def use_engine(self, engine: Engine) -> None:
        """Switch to newly loaded content (``/przeladuj``, SIGHUP)."""
        self.engine = engine
        self.conversation.assistant = engine.assistant


def services_of(context: ContextTypes.DEFAULT_TYPE) -> BotServices:
    """The services stored in the application's bot_data."""
    services = context.bot_data[SERVICES_KEY]
    assert isinstance(services, BotServices)
    return services


def person_info(user: User) -> PersonInfo:
    """What the core needs to know about a Telegram user."""
    return PersonInfo(
        telegram_id=user.id,
        first_name=user.first_name or user.username or str(user.id),
        username=user.username,
        language_code=user.language_code,
    )


def message_ref(message: Message, text: str | None) -> MessageRef:
    """A reference to a Telegram message for the core (text or caption)."""
    return MessageRef(chat_id=message.chat_id, message_id=message.message_id, text=text)
