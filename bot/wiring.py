"""The bot's use cases wired to the database: the factory the composition root calls.

:mod:`bot.cli` reads the settings, configures logging, loads the content and
opens the database, then calls :func:`build_services`; the Telegram layer
and the tests only receive its result.
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from bot.config import Settings
from bot.core.answering import Assistant
from bot.core.broadcasting import Broadcasting
from bot.core.conversation import Conversation
from bot.core.dates import local_now
from bot.core.inbox import Inbox
from bot.core.language import detect_language
from bot.core.privacy import Privacy
from bot.core.translation import Translator
from bot.services import Engine
from bot.storage.database import Database
from bot.storage.units import SqlTransactions


@dataclass(repr=False)
class Services:
    """The running bot's use cases, wired to the database (one per process)."""

    settings: Settings
    engine: Engine
    db: Database
    units: SqlTransactions
    inbox: Inbox
    conversation: Conversation
    broadcasting: Broadcasting
    privacy: Privacy
    #: this process, as it holds claims and leases in the database
    owner: str
    clock: Callable[[], datetime] | None = None

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


def confident_language(text: str) -> str | None:
    """The language a message is written in, when the detector is sure of it."""
    guess = detect_language(text)
    return guess.lang if guess.is_confident() else None


def process_name() -> str:
    """A name of this process for claims and leases: host, pid and a random part."""
    return f"{socket.gethostname()[:32]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def build_services(
    settings: Settings,
    engine: Engine,
    db: Database,
    *,
    clock: Callable[[], datetime] | None = None,
    owner: str | None = None,
) -> Services:
    """The use cases of the bot on ``db`` (the composition root of the bot)."""
    owner = owner or process_name()
    units = SqlTransactions(db, owner=owner, staff_chat_id=settings.staff_chat_id)
    inbox = Inbox(translator=engine.catalogs, staff_chat_id=settings.staff_chat_id)
    conversation = Conversation(
        assistant=engine.assistant,
        inbox=inbox,
        translator=engine.catalogs,
        # A message is answered in its own language when it is clear which.
        detect_language=confident_language,
    )
    services = Services(
        settings=settings,
        engine=engine,
        db=db,
        units=units,
        inbox=inbox,
        conversation=conversation,
        broadcasting=Broadcasting(
            knowledge=lambda: services.assistant.knowledge, translator=engine.catalogs
        ),
        privacy=Privacy(translator=engine.catalogs, retention=settings.retention),
        owner=owner,
        clock=clock,
    )
    return services
