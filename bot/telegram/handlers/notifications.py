"""Handlers of subscriptions (residents) and of announcements and reloads (staff)."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.ext import ApplicationHandlerStop, ContextTypes

from bot.telegram import render
from bot.telegram.context import BotServices, person_info, services_of
from bot.telegram.features import DatedFeatures, escape_problems
from bot.telegram.handlers.common import send
from bot.telegram.lifecycle import reload_content

logger = logging.getLogger(__name__)

STAFF_LANGUAGE = "pl"


def _features(svc: BotServices) -> DatedFeatures:
    assert isinstance(svc.extras, DatedFeatures)
    return svc.extras


async def notifications_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/powiadomienia: switch reminders and news per theme."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    svc = services_of(context)
    person = await svc.conversation.person(person_info(user), svc.now())
    await send(message, await _features(svc).subscriptions_menu(person))


async def announce_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/ogloszenie in the staff group: start an announcement."""
    message = update.effective_message
    if message is None or message.from_user is None:
        return
    svc = services_of(context)
    thread = message.message_thread_id if message.is_topic_message else None
    await send(message, await _features(svc).new_announcement(message.from_user.full_name, thread))


async def announcement_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A staff reply to the "write the announcement" prompt (never relayed to a person)."""
    message = update.effective_message
    if message is None:
        return
    svc = services_of(context)
    preview = await _features(svc).announcement_text(message)
    if preview is None:
        return  # an ordinary message: the next handler group relays it
    await send(message, preview)
    raise ApplicationHandlerStop


async def reload_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/przeladuj: check and load the knowledge base again; keep the old one on errors."""
    message = update.effective_message
    if message is None:
        return
    svc = services_of(context)
    t = svc.t(STAFF_LANGUAGE)
    result = await reload_content(svc)
    if result.engine is None:
        text = (
            "<b>"
            + t.ngettext(
                "Not reloaded: {n} problem found. The previous content stays in use.",
                "Not reloaded: {n} problems found. The previous content stays in use.",
                len(result.problems),
            ).format(n=len(result.problems))
            + "</b>\n"
            + escape_problems(result.problems)
        )
    else:
        topics = len(result.engine.content.knowledge.topics)
        text = t.gettext("Knowledge base reloaded: {n} topics.").format(n=topics)
    await send(message, render.Rendered(text))
