"""A resident's private conversation: what happens to each message.

While the person has an open question, nothing is answered automatically:
their messages go to the same ticket. Otherwise the assistant answers,
clarifies between two topics, or passes the question to the Biuro (a wrong
confident answer is worse than a handover).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from bot.core.answering import Assistant, Reply
from bot.core.inbox import Inbox, InboxStore, MessageRef, Person, PersonInfo
from bot.core.knowledge import DEFAULT_LANGUAGE, LANGUAGES
from bot.core.matching import Action
from bot.core.translation import Translator

logger = logging.getLogger(__name__)


class OutcomeKind(StrEnum):
    """What the person is told."""

    ANSWER = "answer"
    CLARIFY = "clarify"
    HANDED_OFF = "handed_off"
    ADDED_TO_TICKET = "added_to_ticket"
    ASK_FOR_QUESTION = "ask_for_question"
    NO_WORDS = "no_words"


@dataclass(frozen=True)
class Outcome:
    """The result of one message: what to send back and how."""

    kind: OutcomeKind
    person: Person
    text_html: str
    reply: Reply | None = None
    ticket_id: int | None = None


def negotiate_language(language_code: str | None) -> str:
    """A product language from Telegram's ``language_code`` (Polish by default)."""
    if not language_code:
        return DEFAULT_LANGUAGE
    primary = language_code.replace("_", "-").split("-")[0].lower()
    return primary if primary in LANGUAGES else DEFAULT_LANGUAGE


@dataclass(repr=False)
class Conversation:
    """Use cases of the private chat with a resident."""

    assistant: Assistant
    inbox: Inbox
    store: InboxStore
    translator: Callable[[str], Translator]

    async def person(self, info: PersonInfo, now: datetime) -> Person:
        """The stored person (created on first contact with their language)."""
        existing = await self.store.person_by_telegram_id(info.telegram_id)
        language = existing.language if existing else negotiate_language(info.language_code)
        return await self.store.upsert_person(info, language, now)

    async def on_message(self, info: PersonInfo, message: MessageRef, now: datetime) -> Outcome:
        """Handle a message (text, or media with an optional caption)."""
        person = await self.person(info, now)
        t = self.translator(person.language)
        ticket = await self.inbox.active_ticket(person)
        if ticket is not None:
            ticket = await self.inbox.add_to_ticket(person, ticket, message, now)
            if message.text:
                await self.store.remember_question(person.id, message.message_id, message.text)
            return Outcome(
                OutcomeKind.ADDED_TO_TICKET,
                person,
                t.gettext(
                    "Your question is waiting for the Biuro staff, so I am not answering "
                    "automatically. I have added this message to it; the reply will come here."
                ),
                ticket_id=ticket.id,
            )
        text = message.text or ""
        if person.awaiting_question or (not text.strip() and message.text is None):
            # A question for a person, or a photo/document without a caption.
            return await self._hand_off(person, message, now, reply=None)

        reply = self.assistant.respond(text, lang=person.language, now=now)
        if reply.no_words:
            return Outcome(OutcomeKind.NO_WORDS, person, reply.html, reply=reply)
        if reply.intent == "bot.human":
            await self.store.set_awaiting_question(person.id, True)
            return Outcome(
                OutcomeKind.ASK_FOR_QUESTION,
                person,
                reply.html
                + "\n\n"
                + t.gettext("Write your question in one message and I will pass it on."),
                reply=reply,
            )
        if reply.action in (Action.ANSWER, Action.CLARIFY):
            await self.store.remember_question(person.id, message.message_id, text)
            kind = OutcomeKind.ANSWER if reply.action is Action.ANSWER else OutcomeKind.CLARIFY
            return Outcome(kind, person, reply.html, reply=reply)
        await self.store.log_unanswered(
            person.id,
            text,
            person.language,
            reply.alternatives[0] if reply.alternatives else None,
            now,
        )
        return await self._hand_off(person, message, now, reply=reply)

    async def _hand_off(
        self, person: Person, message: MessageRef, now: datetime, *, reply: Reply | None
    ) -> Outcome:
        t = self.translator(person.language)
        if message.text:
            await self.store.remember_question(person.id, message.message_id, message.text)
        submitted = await self.inbox.submit(
            person,
            message,
            now,
            guesses=reply.alternatives if reply else (),
            titles=lambda topic: self.assistant.title(topic, "pl"),
        )
        return Outcome(
            OutcomeKind.HANDED_OFF,
            person,
            t.gettext(
                "I do not have a confident answer, so I have passed your question to the "
                "staff of the Biuro Dialogu i Innowacji Miejskich. Their reply will arrive "
                "in this chat."
            ),
            reply=reply,
            ticket_id=submitted.ticket.id,
        )

    async def ask_official(self, info: PersonInfo, now: datetime) -> Outcome:
        """The person pressed "ask an official": pass their last question on."""
        person = await self.person(info, now)
        t = self.translator(person.language)
        if await self.inbox.active_ticket(person) is not None:
            return Outcome(
                OutcomeKind.ADDED_TO_TICKET,
                person,
                t.gettext(
                    "Your question is already with the Biuro staff; the reply will come here."
                ),
            )
        if person.last_question_message_id is not None:
            message = MessageRef(
                person.telegram_id, person.last_question_message_id, person.last_question_text
            )
            return await self._hand_off(person, message, now, reply=None)
        return await self.request_question(info, now)

    async def request_question(self, info: PersonInfo, now: datetime) -> Outcome:
        """``/pytanie`` without text: the next message goes to a person."""
        person = await self.person(info, now)
        await self.store.set_awaiting_question(person.id, True)
        t = self.translator(person.language)
        return Outcome(
            OutcomeKind.ASK_FOR_QUESTION,
            person,
            t.gettext(
                "Write your question in one message and I will pass it to the staff of the "
                "Biuro Dialogu i Innowacji Miejskich. The reply will come here."
            ),
        )
