"""A resident's private conversation: what happens to each message.

The assistant answers, clarifies between two topics, or passes the question
to the Biuro (a wrong confident answer is worse than a handover). An open
ticket does not silence it: a question it can answer is answered, and staff
see a note of it in the person's topic; anything else joins the ticket.

Every use case runs inside one transaction (see :mod:`bot.core.inbox`); the
caller renders the returned :class:`Outcome` and queues it in the same
transaction.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from bot.core.answering import Assistant, Reply
from bot.core.inbox import Inbox, InboxUnit, Person, PersonInfo
from bot.core.knowledge import DEFAULT_LANGUAGE, LANGUAGES
from bot.core.matching import Action
from bot.core.messages import MessageRef
from bot.core.text import normalise
from bot.core.translation import Translator

logger = logging.getLogger(__name__)

#: Short answers that accept the assistant's offer to pass a question on.
YES_WORDS = frozenset(
    normalise(word)
    for word in (
        "tak",
        "tak prosze",
        "tak poprosze",
        "poprosze",
        "prosze",
        "tak przekaz",
        "przekaz",
        "dobrze",
        "ok",
        "okej",
        "jasne",
        "chetnie",
        "yes",
        "yes please",
        "please",
        "sure",
        "ok please",
        "так",
        "так будь ласка",
        "будь ласка",
        "добре",
        "передайте",
        "да",
    )
)


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
    #: the language of this reply (the message's own, when it was recognised)
    language: str = DEFAULT_LANGUAGE
    #: a language to offer as the person's setting (they wrote in it)
    suggest_language: str | None = None


def negotiate_language(language_code: str | None) -> str:
    """A product language from Telegram's ``language_code`` (Polish by default)."""
    if not language_code:
        return DEFAULT_LANGUAGE
    primary = language_code.replace("_", "-").split("-")[0].lower()
    return primary if primary in LANGUAGES else DEFAULT_LANGUAGE


def is_yes(text: str) -> bool:
    """Whether a short message accepts an offer ("tak", "yes", "так")."""
    return normalise(text).strip(" !.") in YES_WORDS


@dataclass(repr=False)
class Conversation:
    """Use cases of the private chat with a resident."""

    assistant: Assistant
    inbox: Inbox
    translator: Callable[[str], Translator]
    #: the language a message is written in, or None when it cannot tell
    detect_language: Callable[[str], str | None] | None = None

    def person(self, unit: InboxUnit, info: PersonInfo, now: datetime) -> Person:
        """The stored person (created on first contact with their language)."""
        existing = unit.inbox.person_by_telegram_id(info.telegram_id)
        language = existing.language if existing else negotiate_language(info.language_code)
        return unit.inbox.save_person(info, language, now)

    def _language_of(self, person: Person, text: str) -> tuple[str, str | None]:
        """The reply's language and, if it differs from the setting, the one to offer.

        A language the person chose (/jezyk) wins; otherwise (Telegram's setting
        of the phone) a message clearly in another language is answered in it.
        """
        if self.detect_language is None or not text or person.language_chosen:
            return person.language, None
        detected = self.detect_language(text)
        if detected is None or detected == person.language or detected not in LANGUAGES:
            return person.language, None
        return detected, detected

    def on_message(
        self, unit: InboxUnit, info: PersonInfo, message: MessageRef, now: datetime
    ) -> Outcome:
        """Handle a message (text, or media with an optional caption)."""
        person = self.person(unit, info, now)
        text = message.text or ""
        lang, suggest = self._language_of(person, text)
        t = self.translator(lang)
        ticket = self.inbox.active_ticket(unit, person)
        if ticket is not None:
            return self._with_ticket(unit, person, ticket.id, message, now, lang, suggest)
        if person.awaiting_question or (message.media and not text.strip()):
            # A question for a person, or a photo/document without a caption.
            return self._hand_off(unit, person, message, now, reply=None, lang=lang)
        if person.handover_offered and is_yes(text):
            return self.ask_official(unit, info, now, lang=lang)

        reply = self.assistant.respond(text, lang=lang, now=now)
        if reply.no_words:
            return Outcome(OutcomeKind.NO_WORDS, person, reply.html, reply=reply, language=lang)
        if reply.intent == "bot.human":
            unit.inbox.set_awaiting_question(person.id, True)
            return Outcome(
                OutcomeKind.ASK_FOR_QUESTION,
                person,
                reply.html
                + "\n\n"
                + t.gettext("Write your question in one message and I will pass it on."),
                reply=reply,
                language=lang,
            )
        if reply.action in (Action.ANSWER, Action.CLARIFY):
            if text and not reply.intent_is_conversation:
                unit.inbox.remember_question(person.id, message.message_id, text)
            if reply.offers_handover != person.handover_offered:
                unit.inbox.set_handover_offered(person.id, reply.offers_handover)
            kind = OutcomeKind.ANSWER if reply.action is Action.ANSWER else OutcomeKind.CLARIFY
            return Outcome(
                kind, person, reply.html, reply=reply, language=lang, suggest_language=suggest
            )
        unit.inbox.log_unanswered(
            person.id,
            text,
            lang,
            reply.alternatives[0] if reply.alternatives else None,
            now,
        )
        return self._hand_off(unit, person, message, now, reply=reply, lang=lang)

    def _with_ticket(
        self,
        unit: InboxUnit,
        person: Person,
        ticket_id: int,
        message: MessageRef,
        now: datetime,
        lang: str,
        suggest: str | None,
    ) -> Outcome:
        """A message while the person's question is with staff."""
        ticket = self.inbox.active_ticket(unit, person)
        assert ticket is not None and ticket.id == ticket_id
        t = self.translator(lang)
        text = message.text or ""
        if text and not message.media and not person.awaiting_question:
            reply = self.assistant.respond(text, lang=lang, now=now)
            if reply.action is Action.ANSWER and not reply.intent_is_conversation:
                unit.inbox.remember_question(person.id, message.message_id, text)
                self.inbox.note_answered(
                    unit,
                    person,
                    ticket,
                    message,
                    self.assistant.title(reply.intent or "", DEFAULT_LANGUAGE),
                    now,
                )
                return Outcome(
                    OutcomeKind.ANSWER,
                    person,
                    reply.html,
                    reply=reply,
                    ticket_id=ticket.id,
                    language=lang,
                    suggest_language=suggest,
                )
        if text:
            unit.inbox.remember_question(person.id, message.message_id, text)
        ticket = self.inbox.add_to_ticket(unit, person, ticket, message, now)
        if person.awaiting_question:
            unit.inbox.set_awaiting_question(person.id, False)
        return Outcome(
            OutcomeKind.ADDED_TO_TICKET,
            person,
            t.gettext(
                "I have added this message to your question for the Biuro staff; "
                "their reply will come here."
            ),
            ticket_id=ticket.id,
            language=lang,
        )

    def _hand_off(
        self,
        unit: InboxUnit,
        person: Person,
        message: MessageRef,
        now: datetime,
        *,
        reply: Reply | None,
        lang: str,
    ) -> Outcome:
        t = self.translator(lang)
        if message.text:
            unit.inbox.remember_question(person.id, message.message_id, message.text)
        if person.handover_offered:
            unit.inbox.set_handover_offered(person.id, False)
        submitted = self.inbox.submit(
            unit,
            person,
            message,
            now,
            guesses=reply.alternatives if reply else (),
            titles=lambda topic: self.assistant.title(topic, DEFAULT_LANGUAGE),
        )
        # Said only now that the post to the staff group is stored with the ticket.
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
            language=lang,
        )

    def ask_official(
        self, unit: InboxUnit, info: PersonInfo, now: datetime, *, lang: str | None = None
    ) -> Outcome:
        """The person asked for an official: pass their last question on."""
        person = self.person(unit, info, now)
        lang = lang or person.language
        t = self.translator(lang)
        if self.inbox.active_ticket(unit, person) is not None:
            return Outcome(
                OutcomeKind.ADDED_TO_TICKET,
                person,
                t.gettext(
                    "Your question is already with the Biuro staff; the reply will come here."
                ),
                language=lang,
            )
        if person.last_question_message_id is not None:
            message = MessageRef(
                person.telegram_id, person.last_question_message_id, person.last_question_text
            )
            return self._hand_off(unit, person, message, now, reply=None, lang=lang)
        return self.request_question(unit, info, now)

    def request_question(self, unit: InboxUnit, info: PersonInfo, now: datetime) -> Outcome:
        """``/pytanie`` without text: the next message goes to a person."""
        person = self.person(unit, info, now)
        if not person.awaiting_question:
            unit.inbox.set_awaiting_question(person.id, True)
        t = self.translator(person.language)
        return Outcome(
            OutcomeKind.ASK_FOR_QUESTION,
            person,
            t.gettext(
                "Write your question in one message and I will pass it to the staff of the "
                "Biuro Dialogu i Innowacji Miejskich. The reply will come here."
            ),
            language=person.language,
        )

    def on_edit(
        self, unit: InboxUnit, info: PersonInfo, message: MessageRef, now: datetime
    ) -> bool:
        """A person edited a message: staff see the new text if their question is open."""
        person = unit.inbox.person_by_telegram_id(info.telegram_id)
        if person is None or not message.text:
            return False
        return self.inbox.edited(unit, person, message, now)

    def choose_language(self, unit: InboxUnit, person: Person, language: str) -> Person:
        """The person chose a language; returns them with it."""
        if language not in LANGUAGES:
            return person
        unit.inbox.set_language(person.id, language)
        return Person(**{**person.__dict__, "language": language, "language_chosen": True})

    def record_feedback(
        self,
        unit: InboxUnit,
        person: Person,
        topic: str,
        helpful: bool,
        chat_id: int,
        message_id: int,
        now: datetime,
    ) -> None:
        """The person said whether an answer helped (a second tap changes the vote)."""
        unit.inbox.record_feedback(person.id, topic[:64], helpful, chat_id, message_id, now)
