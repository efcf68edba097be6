"""Handlers of private chats with residents: unpack, call the core, render, send."""

from __future__ import annotations

import logging

from telegram import BotCommandScopeChat, InlineKeyboardButton, Message, Update
from telegram.ext import ContextTypes

from bot.core.answering import Reply
from bot.core.conversation import Outcome, OutcomeKind
from bot.core.knowledge import LANGUAGES
from bot.core.menu import topic_from_payload
from bot.core.translation import Translator
from bot.storage import repository as repo
from bot.telegram import render
from bot.telegram.callbacks import Kind, decode
from bot.telegram.context import BotServices, message_ref, person_info, services_of
from bot.telegram.handlers.common import send

logger = logging.getLogger(__name__)


def _extra_buttons(svc: BotServices, reply: Reply, t: Translator) -> list[InlineKeyboardButton]:
    return svc.extras.answer_buttons(reply, t) if svc.extras is not None else []


async def _send_answer(message: Message, svc: BotServices, reply: Reply, t: Translator) -> None:
    await send(
        message,
        render.answer(
            reply,
            t,
            extra=_extra_buttons(svc, reply, t),
            navigation=svc.assistant.knowledge.navigation,
        ),
    )


async def _send_outcome(message: Message, svc: BotServices, outcome: Outcome) -> None:
    t = svc.t(outcome.person.language)
    if outcome.kind is OutcomeKind.ANSWER and outcome.reply is not None:
        await _send_answer(message, svc, outcome.reply, t)
    elif outcome.kind is OutcomeKind.CLARIFY and outcome.reply is not None:
        await send(message, render.clarify(outcome.reply, t))
    elif outcome.kind is OutcomeKind.NO_WORDS:
        await send(
            message, render.menu(t, svc.assistant.knowledge.navigation, text=outcome.text_html)
        )
    else:
        await send(message, render.Rendered(outcome.text_html))


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Greet with the privacy notice, languages and menu; open a deep-linked topic."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    svc = services_of(context)
    person = await svc.conversation.person(person_info(user), svc.now())
    t = svc.t(person.language)
    payload = context.args[0] if context.args else None
    topic = topic_from_payload(payload, svc.assistant.knowledge.topics) if payload else None
    if topic is not None:
        reply = svc.assistant.topic_reply(topic, lang=person.language, now=svc.now())
        await _send_answer(message, svc, reply, t)
        return
    await send(message, render.welcome(t, person.first_name, svc.assistant.knowledge.navigation))


async def help_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Say what the assistant can help with, with the menu."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    svc = services_of(context)
    person = await svc.conversation.person(person_info(user), svc.now())
    reply = svc.assistant.topic_reply("bot.help", lang=person.language, now=svc.now())
    navigation = svc.assistant.knowledge.navigation
    await send(message, render.menu(svc.t(person.language), navigation, text=reply.html))


async def topic_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Answer the topic of a shortcut command (/kongres, /granty, /godziny, /kontakt)."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None or not message.text:
        return
    svc = services_of(context)
    name = message.text.split()[0].lstrip("/").split("@")[0].lower()
    person = await svc.conversation.person(person_info(user), svc.now())
    # Which topic or menu group the command opens is content (knowledge/menu.yaml).
    reply = svc.assistant.command_reply(name, lang=person.language, now=svc.now())
    if reply is None:
        return
    await _send_answer(message, svc, reply, svc.t(person.language))


async def language_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Offer the languages."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    svc = services_of(context)
    person = await svc.conversation.person(person_info(user), svc.now())
    await send(message, render.language_choice(svc.t(person.language)))


async def question_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/pytanie [text]: ask a person at the Biuro directly."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    svc = services_of(context)
    info = person_info(user)
    outcome = await svc.conversation.request_question(info, svc.now())
    if context.args:
        # "/pytanie Czy …": the question is in the command itself.
        outcome = await svc.conversation.on_message(
            info, message_ref(message, " ".join(context.args)), svc.now()
        )
    await _send_outcome(message, svc, outcome)


async def staff_only(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Refuse a staff command in a private chat."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    svc = services_of(context)
    person = await svc.conversation.person(person_info(user), svc.now())
    t = svc.t(person.language)
    await send(
        message,
        render.Rendered(t.gettext("This command is only for the Biuro staff in their group.")),
    )


async def on_message(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Answer a resident's message, or pass it to the Biuro."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    svc = services_of(context)
    text = message.text if message.text is not None else message.caption
    if text is None and not (
        message.photo or message.document or message.video or message.voice or message.audio
    ):
        text = ""  # a sticker, a location…: nothing to read and nothing to pass on
    outcome = await svc.conversation.on_message(
        person_info(user), message_ref(message, text), svc.now()
    )
    await _send_outcome(message, svc, outcome)


async def on_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Handle the buttons of private chats."""
    query, user = update.callback_query, update.effective_user
    if query is None or user is None:
        return
    svc = services_of(context)
    callback = decode(query.data)
    message = query.message if isinstance(query.message, Message) else None
    person = await svc.conversation.person(person_info(user), svc.now())
    t = svc.t(person.language)
    if callback is None or message is None:
        await query.answer(t.gettext("This button is no longer active."))
        return
    kind, args = callback.kind, callback.args
    if kind is Kind.TOPIC and args and args[0] in svc.assistant.knowledge.topics:
        await query.answer()
        reply = svc.assistant.topic_reply(args[0], lang=person.language, now=svc.now())
        await _send_answer(message, svc, reply, t)
    elif kind is Kind.MORE and args and args[0] in svc.assistant.knowledge.topics:
        await query.answer()
        reply = svc.assistant.full_topic(args[0], lang=person.language, now=svc.now())
        await _send_answer(message, svc, reply, t)
    elif (
        kind is Kind.GROUP
        and args
        and (chosen := svc.assistant.knowledge.navigation.group(args[0])) is not None
    ):
        await query.answer()
        rendered = render.group_menu(
            chosen, t, lambda topic: svc.assistant.title(topic, person.language)
        )
        await send(message, rendered)
    elif kind is Kind.MENU:
        await query.answer()
        await send(message, render.menu(t, svc.assistant.knowledge.navigation))
    elif kind is Kind.FEEDBACK and len(args) == 2:
        helpful = args[0] == "1"
        await svc.db.run(
            repo.record_feedback,
            person.id,
            args[1][:64],
            helpful,
            message.chat_id,
            message.message_id,
            svc.now(),
        )
        await query.answer(
            t.gettext("Thank you for your feedback!")
            if helpful
            else t.gettext("Thank you. You can ask an official with the button below.")
        )
    elif kind is Kind.ASK:
        await query.answer()
        outcome = await svc.conversation.ask_official(person_info(user), svc.now())
        await _send_outcome(message, svc, outcome)
    elif kind is Kind.LANGUAGE and not args:
        await query.answer()
        await send(message, render.language_choice(t))
    elif kind is Kind.LANGUAGE and args and args[0] in LANGUAGES:
        lang = args[0]
        await svc.store.set_language(person.id, lang)
        t = svc.t(lang)
        await query.answer(t.gettext("Language changed."))
        # The command menu of this chat follows the chosen language.
        await context.bot.set_my_commands(
            render.resident_commands(t), scope=BotCommandScopeChat(chat_id=message.chat_id)
        )
        await send(message, render.menu(t, svc.assistant.knowledge.navigation))
    elif svc.extras is not None and await svc.extras.on_button(query, callback, person, t):
        return
    else:
        await query.answer(t.gettext("This button is no longer active."))
