"""Handlers of private chats with residents: unpack, call the core, render, queue.

Each handler runs one unit of work: the use case's changes and the reply
are stored together, and the reply is sent from the outbox right after.
"""

from __future__ import annotations

import logging

from telegram import BotCommandScopeChat, Message, Update
from telegram.error import TelegramError
from telegram.ext import ContextTypes

from bot.core.answering import Reply
from bot.core.callbacks import Kind, decode
from bot.core.conversation import Outcome
from bot.core.menu import topic_from_payload
from bot.core.messages import ToChat
from bot.core.units import Unit
from bot.telegram import render
from bot.telegram.context import BotContext, bot_context, message_ref, person_info

logger = logging.getLogger(__name__)


def _queue_answer(bot: BotContext, unit: Unit, chat_id: int, reply: Reply, lang: str) -> None:
    svc = bot.services
    t = svc.t(lang)
    kb = svc.assistant.knowledge
    extras = render.answer_extras(reply, kb, svc.now(), t)
    unit.outbox.put(
        ToChat(chat_id, render.answer(reply, t, extra=extras, navigation=kb.navigation))
    )


def _answer_topic(bot: BotContext, unit: Unit, chat_id: int, topic: str, lang: str) -> None:
    svc = bot.services
    _queue_answer(
        bot, unit, chat_id, svc.assistant.topic_reply(topic, lang=lang, now=svc.now()), lang
    )


def _queue_outcome(bot: BotContext, unit: Unit, chat_id: int, outcome: Outcome) -> None:
    svc = bot.services
    rendered = render.outcome(outcome, svc.assistant.knowledge, svc.now(), svc.t)
    unit.outbox.put(ToChat(chat_id, rendered))


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Greet with the privacy notice, languages and menu; open a deep-linked topic."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    bot = bot_context(context)
    svc = bot.services
    payload = context.args[0] if context.args else None
    topic = topic_from_payload(payload, svc.assistant.knowledge.topics) if payload else None

    def work(unit: Unit) -> None:
        person = svc.conversation.person(unit, person_info(user), svc.now())
        if topic is not None:
            _answer_topic(bot, unit, message.chat_id, topic, person.language)
        else:
            unit.outbox.put(
                ToChat(
                    message.chat_id,
                    render.welcome(
                        svc.t(person.language),
                        person.first_name,
                        svc.assistant.knowledge.navigation,
                        svc.privacy.retention,
                    ),
                )
            )

    await svc.units.run(work)


async def help_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Say what the assistant can help with, with the menu."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    svc = bot_context(context).services

    def work(unit: Unit) -> None:
        person = svc.conversation.person(unit, person_info(user), svc.now())
        reply = svc.assistant.topic_reply("bot.help", lang=person.language, now=svc.now())
        navigation = svc.assistant.knowledge.navigation
        unit.outbox.put(
            ToChat(
                message.chat_id, render.menu(svc.t(person.language), navigation, text=reply.html)
            )
        )

    await svc.units.run(work)


async def topic_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Answer the topic of a shortcut command (/kongres, /granty, /godziny, /kontakt)."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None or not message.text:
        return
    bot = bot_context(context)
    svc = bot.services
    name = message.text.split()[0].lstrip("/").split("@")[0].lower()

    def work(unit: Unit) -> None:
        person = svc.conversation.person(unit, person_info(user), svc.now())
        # Which topic or menu group the command opens is content (knowledge/menu.yaml).
        reply = svc.assistant.command_reply(name, lang=person.language, now=svc.now())
        if reply is not None:
            _queue_answer(bot, unit, message.chat_id, reply, person.language)

    await svc.units.run(work)


async def language_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Offer the languages."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    svc = bot_context(context).services

    def work(unit: Unit) -> None:
        person = svc.conversation.person(unit, person_info(user), svc.now())
        unit.outbox.put(ToChat(message.chat_id, render.language_choice(svc.t(person.language))))

    await svc.units.run(work)


async def question_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/pytanie [text]: ask a person at the Biuro directly."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    bot = bot_context(context)
    svc = bot.services
    info = person_info(user)
    question = " ".join(context.args) if context.args else ""

    def work(unit: Unit) -> None:
        outcome = svc.conversation.request_question(unit, info, svc.now())
        if question:
            # "/pytanie Czy …": the question is in the command itself.
            outcome = svc.conversation.on_message(
                unit, info, message_ref(message, question), svc.now()
            )
        _queue_outcome(bot, unit, message.chat_id, outcome)

    await svc.units.run(work)


async def staff_only(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Refuse a staff command in a private chat."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    svc = bot_context(context).services

    def work(unit: Unit) -> None:
        person = svc.conversation.person(unit, person_info(user), svc.now())
        t = svc.t(person.language)
        unit.outbox.put(
            ToChat(
                message.chat_id,
                render.Rendered(
                    t.gettext("This command is only for the Biuro staff in their group.")
                ),
            )
        )

    await svc.units.run(work)


async def on_message(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Answer a resident's message, or pass it to the Biuro."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    bot = bot_context(context)
    svc = bot.services
    ref = message_ref(message)
    if ref.text is None and not ref.media:
        ref = message_ref(message, "")  # a sticker, a location…: nothing to read or pass on

    def work(unit: Unit) -> None:
        outcome = svc.conversation.on_message(unit, person_info(user), ref, svc.now())
        _queue_outcome(bot, unit, message.chat_id, outcome)

    await svc.units.run(work)


async def on_edited(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A resident edited a message: staff see the new text if the question is open."""
    message, user = update.edited_message, update.effective_user
    if message is None or user is None:
        return
    svc = bot_context(context).services
    ref = message_ref(message)
    await svc.units.run(
        lambda unit: svc.conversation.on_edit(unit, person_info(user), ref, svc.now())
    )


async def on_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Handle the buttons of private chats."""
    query, user = update.callback_query, update.effective_user
    if query is None or user is None:
        return
    bot = bot_context(context)
    svc = bot.services
    callback = decode(query.data)
    message = query.message if isinstance(query.message, Message) else None
    info = person_info(user)
    if callback is None or message is None:
        person = await svc.units.run(lambda unit: svc.conversation.person(unit, info, svc.now()))
        await query.answer(svc.t(person.language).gettext("This button is no longer active."))
        return
    chat_id = message.chat_id
    kind, args = callback.kind, callback.args
    if kind in (Kind.SUBSCRIBE, Kind.CALENDAR, Kind.VENUE):
        from bot.telegram.handlers.notifications import on_resident_button

        await on_resident_button(update, context, callback)
        return
    if kind is Kind.ERASE:
        # Before anything stores the person: "yes" erases them.
        from bot.telegram.handlers.privacy import on_erase_button

        await on_erase_button(update, context, callback)
        return

    def work(unit: Unit) -> str | None:
        """The text of the button's answer (a toast), after queueing any message."""
        person = svc.conversation.person(unit, info, svc.now())
        t = svc.t(person.language)
        if kind is Kind.TOPIC and args and args[0] in svc.assistant.knowledge.topics:
            _answer_topic(bot, unit, chat_id, args[0], person.language)
            return None
        if kind is Kind.MORE and args and args[0] in svc.assistant.knowledge.topics:
            full = svc.assistant.full_topic(args[0], lang=person.language, now=svc.now())
            _queue_answer(bot, unit, chat_id, full, person.language)
            return None
        navigation = svc.assistant.knowledge.navigation
        if kind is Kind.GROUP and args and (chosen := navigation.group(args[0])) is not None:
            unit.outbox.put(
                ToChat(
                    chat_id,
                    render.group_menu(
                        chosen, t, lambda topic: svc.assistant.title(topic, person.language)
                    ),
                )
            )
            return None
        if kind is Kind.MENU:
            unit.outbox.put(ToChat(chat_id, render.menu(t, navigation)))
            return None
        if kind is Kind.FEEDBACK and len(args) == 2:
            helpful = args[0] == "1"
            svc.conversation.record_feedback(
                unit, person, args[1], helpful, chat_id, message.message_id, svc.now()
            )
            return (
                t.gettext("Thank you for your feedback!")
                if helpful
                else t.gettext("Thank you. You can ask an official with the button below.")
            )
        if kind is Kind.ASK:
            _queue_outcome(bot, unit, chat_id, svc.conversation.ask_official(unit, info, svc.now()))
            return None
        if kind is Kind.LANGUAGE and not args:
            unit.outbox.put(ToChat(chat_id, render.language_choice(t)))
            return None
        if kind is Kind.LANGUAGE and args:
            chosen_person = svc.conversation.choose_language(unit, person, args[0])
            t = svc.t(chosen_person.language)
            unit.outbox.put(ToChat(chat_id, render.menu(t, navigation)))
            return t.gettext("Language changed.")
        return t.gettext("This button is no longer active.")

    toast = await svc.units.run(work)
    await query.answer(toast)
    if kind is Kind.LANGUAGE and args:
        # The command menu of this chat follows the chosen language.
        lang = args[0]
        try:
            await context.bot.set_my_commands(
                render.resident_commands(svc.t(lang)), scope=BotCommandScopeChat(chat_id=chat_id)
            )
        except TelegramError as exc:
            logger.info("could not set the commands of chat %s: %s", chat_id, exc)
