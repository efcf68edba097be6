"""The composition root of the Telegram bot: one place that wires everything.

``build_application`` registers every handler (the order matters where noted),
the reminder job and the command menus; tests pass their own ``request`` or a
base URL of a fake Bot API on 127.0.0.1.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from telegram import (
    BotCommandScopeAllPrivateChats,
    BotCommandScopeChat,
    Message,
    Update,
)
from telegram.error import TelegramError
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    TypeHandler,
    filters,
)
from telegram.request import BaseRequest

from bot.config import Settings
from bot.core.conversation import Conversation
from bot.core.inbox import Inbox
from bot.core.knowledge import LANGUAGES
from bot.core.menu import COMMAND_ALIASES, RESIDENT_COMMANDS, STAFF_COMMAND_NAMES
from bot.services import Engine
from bot.storage.database import Database
from bot.storage.repository import SqlInboxStore
from bot.telegram import render
from bot.telegram.context import SERVICES_KEY, BotServices, services_of
from bot.telegram.desk import TelegramPersonChannel, TelegramStaffDesk
from bot.telegram.features import DatedFeatures
from bot.telegram.handlers import common, notifications, residents, staff

logger = logging.getLogger(__name__)

#: Updates the bot asks Telegram for (explicit, so nothing new arrives unasked).
ALLOWED_UPDATES: list[str] = [Update.MESSAGE, Update.CALLBACK_QUERY, Update.MY_CHAT_MEMBER]


async def _route_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Send a button press to the staff or the resident handler by its chat."""
    query = update.callback_query
    if query is None:
        return
    chat_id = query.message.chat.id if isinstance(query.message, Message) else None
    if chat_id == services_of(context).settings.staff_chat_id:
        await staff.on_staff_button(update, context)
    else:
        await residents.on_button(update, context)


async def _remind(context: ContextTypes.DEFAULT_TYPE) -> None:
    """Post one reminder per question that has waited too long."""
    svc = services_of(context)
    await svc.inbox.remind(svc.now(), svc.settings.reminder_after)


async def on_start(application: Application) -> None:  # type: ignore[type-arg]
    """After initialize(): command menus, then resume broadcasts and plan reminders."""
    await publish_commands(application)
    svc: BotServices = application.bot_data[SERVICES_KEY]
    if isinstance(svc.extras, DatedFeatures):
        await svc.extras.start()


async def on_stop(application: Application) -> None:  # type: ignore[type-arg]
    """Before shutdown: stop sending (unfinished broadcasts resume next time)."""
    svc: BotServices = application.bot_data[SERVICES_KEY]
    if isinstance(svc.extras, DatedFeatures):
        await svc.extras.stop()


async def publish_commands(application: Application) -> None:  # type: ignore[type-arg]
    """Command menus per language (private chats) and for the staff group."""
    svc: BotServices = application.bot_data[SERVICES_KEY]
    bot = application.bot
    try:
        await bot.set_my_commands(
            render.resident_commands(svc.t("pl")), scope=BotCommandScopeAllPrivateChats()
        )
        for lang in LANGUAGES:
            await bot.set_my_commands(
                render.resident_commands(svc.t(lang)),
                scope=BotCommandScopeAllPrivateChats(),
                language_code=lang,
            )
        await bot.set_my_commands(
            render.staff_commands(svc.t("pl")),
            scope=BotCommandScopeChat(chat_id=svc.settings.staff_chat_id),
        )
    except TelegramError as exc:
        # A wrong STAFF_CHAT_ID shows up here; the bot still serves residents.
        logger.warning("could not publish the command menus: %s", exc)


def register_handlers(application: Application, staff_chat_id: int) -> None:  # type: ignore[type-arg]
    """All handlers, in one place."""
    private = filters.ChatType.PRIVATE
    staff_chat = filters.Chat(chat_id=staff_chat_id)

    # Group -10 runs first: a redelivered update stops here.
    application.add_handler(TypeHandler(Update, common.skip_redelivered), group=-10)
    # Then a staff reply with the text of an announcement, which must never be
    # relayed to a person even when written inside a person's topic.
    application.add_handler(
        MessageHandler(
            staff_chat & filters.REPLY & ~filters.COMMAND, notifications.announcement_text
        ),
        group=-5,
    )

    topic_commands = [c.name for c in RESIDENT_COMMANDS if c.shortcut] + [
        alias for alias, name in COMMAND_ALIASES.items() if name == "kontakt"
    ]
    application.add_handlers(
        [
            CommandHandler("start", residents.start, filters=private),
            CommandHandler(["pomoc", "help"], residents.help_command, filters=private),
            CommandHandler(topic_commands, residents.topic_command, filters=private),
            CommandHandler(["jezyk", "language"], residents.language_command, filters=private),
            CommandHandler("pytanie", residents.question_command, filters=private),
            CommandHandler("powiadomienia", notifications.notifications_command, filters=private),
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
                & filters.IS_TOPIC_MESSAGE
                & ~filters.COMMAND
                & ~filters.StatusUpdate.ALL,
                staff.on_staff_message,
            ),
            MessageHandler(
                private & ~filters.COMMAND & ~filters.StatusUpdate.ALL, residents.on_message
            ),
            MessageHandler(private & filters.COMMAND, residents.help_command),
            CallbackQueryHandler(_route_button),
        ]
    )
    application.add_error_handler(common.on_error)


def build_application(
    settings: Settings,
    engine: Engine,
    db: Database,
    *,
    request: BaseRequest | None = None,
    get_updates_request: BaseRequest | None = None,
    clock: Callable[[], datetime] | None = None,
    rate_limiter: bool = True,
) -> Application:  # type: ignore[type-arg]
    """Build the bot: services, handlers, jobs and command menus."""
    builder = (
        ApplicationBuilder()
        .token(settings.token.get())
        .base_url(settings.api_url)
        .base_file_url(settings.file_url)
        .post_init(on_start)
        .post_stop(on_stop)
    )
    if request is not None:
        builder = builder.request(request)
    if get_updates_request is not None:
        builder = builder.get_updates_request(get_updates_request)
    if rate_limiter:
        # Telegram's limits (about 30 messages/s overall, 20/min per group), with
        # retries on 429 so announcements never drop a message.
        builder = builder.rate_limiter(AIORateLimiter(max_retries=3))  # type: ignore[arg-type]
    application = builder.build()

    store = SqlInboxStore(db)
    inbox = Inbox(
        store=store,
        desk=TelegramStaffDesk(application.bot, settings.staff_chat_id),
        people=TelegramPersonChannel(application.bot),
        translator=engine.catalogs,
        staff_chat_id=settings.staff_chat_id,
    )
    conversation = Conversation(
        assistant=engine.assistant, inbox=inbox, store=store, translator=engine.catalogs
    )
    services = BotServices(
        settings=settings,
        engine=engine,
        db=db,
        store=store,
        inbox=inbox,
        conversation=conversation,
        clock=clock,
    )
    services.extras = DatedFeatures(services, application)
    application.bot_data[SERVICES_KEY] = services
    register_handlers(application, settings.staff_chat_id)
    if application.job_queue is not None:
        application.job_queue.run_repeating(
            _remind,
            interval=settings.reminder_check_every,
            first=settings.reminder_check_every,
            name="ticket-reminders",
        )
    return application
