"""The Telegram application: every handler registered in one place.

``build_application`` builds PTB's ``Application`` without its own updater
(updates come in through :mod:`bot.telegram.ingest`, stored before they are
confirmed), with concurrent per-chat ordered processing and Telegram's rate
limits; :class:`bot.telegram.runtime.Runtime` runs it. Tests pass their own
``request`` objects to talk to a fake Bot API on 127.0.0.1.
"""

from __future__ import annotations

import logging

from telegram import BotCommandScopeAllPrivateChats, BotCommandScopeChat, Message, Update
from telegram.error import TelegramError
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)
from telegram.request import BaseRequest

from bot.config import Settings
from bot.core.inbox import STAFF_LANGUAGE
from bot.core.knowledge import DEFAULT_LANGUAGE, LANGUAGES
from bot.core.menu import COMMAND_ALIASES, RESIDENT_COMMANDS, STAFF_COMMAND_NAMES
from bot.core.translation import Translator
from bot.telegram import render
from bot.telegram.handlers import common, notifications, privacy, residents, staff
from bot.telegram.ingest import PerChatProcessor
from bot.telegram.ratelimit import TelegramLimits

logger = logging.getLogger(__name__)

#: Updates the bot asks Telegram for (explicit, so nothing new arrives unasked).
ALLOWED_UPDATES: list[str] = [
    Update.MESSAGE,
    Update.EDITED_MESSAGE,
    Update.CALLBACK_QUERY,
    Update.MY_CHAT_MEMBER,
]


async def _route_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Send a button press to the staff or the resident handler by its chat."""
    query = update.callback_query
    if query is None:
        return
    chat_id = query.message.chat.id if isinstance(query.message, Message) else None
    from bot.telegram.context import bot_context

    if chat_id == bot_context(context).services.settings.staff_chat_id:
        await staff.on_staff_button(update, context)
    else:
        await residents.on_button(update, context)


async def publish_commands(
    application: Application,  # type: ignore[type-arg]
    staff_chat_id: int,
    translators: dict[str, Translator],
) -> None:
    """Command menus per language (private chats) and for the staff group."""
    bot = application.bot
    try:
        await bot.set_my_commands(
            render.resident_commands(translators[DEFAULT_LANGUAGE]),
            scope=BotCommandScopeAllPrivateChats(),
        )
        for lang in LANGUAGES:
            await bot.set_my_commands(
                render.resident_commands(translators[lang]),
                scope=BotCommandScopeAllPrivateChats(),
                language_code=lang,
            )
        await bot.set_my_commands(
            render.staff_commands(translators[STAFF_LANGUAGE]),
            scope=BotCommandScopeChat(chat_id=staff_chat_id),
        )
    except TelegramError as exc:
        # A wrong STAFF_CHAT_ID shows up here; the bot still serves residents.
        logger.warning("could not publish the command menus: %s", exc)


def register_handlers(application: Application, staff_chat_id: int) -> None:  # type: ignore[type-arg]
    """All handlers, in one place."""
    private = filters.ChatType.PRIVATE
    staff_chat = filters.Chat(chat_id=staff_chat_id)

    # Group -5 first: a staff reply with the text of an announcement must never
    # be relayed to a person, even when written inside a person's topic.
    application.add_handler(
        MessageHandler(
            staff_chat & filters.REPLY & ~filters.COMMAND & filters.UpdateType.MESSAGE,
            notifications.announcement_text,
        ),
        group=-5,
    )

    topic_commands = [c.name for c in RESIDENT_COMMANDS if c.shortcut] + [
        alias for alias, name in COMMAND_ALIASES.items() if name == "kontakt"
    ]
    application.add_handlers(
        [
            ChatMemberHandler(common.on_my_chat_member, ChatMemberHandler.MY_CHAT_MEMBER),
            # Edits: a person's edited message reaches their open question.
            MessageHandler(private & filters.UpdateType.EDITED_MESSAGE, residents.on_edited),
            CommandHandler("start", residents.start, filters=private),
            CommandHandler(["pomoc", "help"], residents.help_command, filters=private),
            CommandHandler(topic_commands, residents.topic_command, filters=private),
            CommandHandler(["jezyk", "language"], residents.language_command, filters=private),
            CommandHandler("pytanie", residents.question_command, filters=private),
            CommandHandler("powiadomienia", notifications.notifications_command, filters=private),
            CommandHandler(["moje_dane", "mydata"], privacy.my_data_command, filters=private),
            CommandHandler(["usun_dane", "deletedata"], privacy.erase_command, filters=private),
            # Staff commands typed by a resident are refused, not treated as text.
            CommandHandler(sorted(STAFF_COMMAND_NAMES), residents.staff_only, filters=private),
            CommandHandler("zamknij", staff.close_command, filters=staff_chat),
            CommandHandler("inbox", staff.inbox_command, filters=staff_chat),
            CommandHandler("nierozpoznane", staff.unrecognised_command, filters=staff_chat),
            CommandHandler("ogloszenie", notifications.announce_command, filters=staff_chat),
            CommandHandler("przeladuj", notifications.reload_command, filters=staff_chat),
            MessageHandler(
                staff_chat & filters.StatusUpdate.FORUM_TOPIC_CLOSED, staff.on_topic_closed
            ),
            MessageHandler(
                staff_chat
                & filters.UpdateType.MESSAGE
                & filters.IS_TOPIC_MESSAGE
                & ~filters.COMMAND
                & ~filters.StatusUpdate.ALL,
                staff.on_staff_message,
            ),
            MessageHandler(
                private & filters.UpdateType.MESSAGE & ~filters.COMMAND & ~filters.StatusUpdate.ALL,
                residents.on_message,
            ),
            MessageHandler(
                private & filters.UpdateType.MESSAGE & filters.COMMAND, residents.help_command
            ),
            CallbackQueryHandler(_route_button),
        ]
    )
    application.add_error_handler(common.on_error)


def build_application(
    settings: Settings,
    *,
    request: BaseRequest | None = None,
    get_updates_request: BaseRequest | None = None,
    rate_limiter: bool = True,
) -> Application:  # type: ignore[type-arg]
    """The PTB application with every handler (no updater: see :mod:`bot.telegram.ingest`)."""
    builder = (
        ApplicationBuilder()
        .token(settings.token.get())
        .base_url(settings.api_url)
        .base_file_url(settings.file_url)
        .updater(None)
        .job_queue(None)
        .concurrent_updates(PerChatProcessor())
    )
    if request is not None:
        builder = builder.request(request)
    if get_updates_request is not None:
        builder = builder.get_updates_request(get_updates_request)
    if rate_limiter:
        limits = TelegramLimits(group_per_minute=settings.staff_group_per_minute)
        builder = builder.rate_limiter(limits)  # type: ignore[arg-type]
    application = builder.build()
    register_handlers(application, settings.staff_chat_id)
    return application
