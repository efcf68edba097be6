"""The Biuro Dialogu inbox: tickets, the staff forum topic of each person, relays.

Rules and use cases only; the database and Telegram are reached through the
ports declared here (:class:`InboxStore`, :class:`StaffDesk`,
:class:`PersonChannel`), implemented in :mod:`bot.storage` and
:mod:`bot.telegram`. Tests drive these use cases with recording fakes.

A person has at most one ticket that is not closed. Its messages go to the
person's forum topic in the staff group (one topic per person, reused for
follow-ups), always by copying (never forwarding, so forward privacy cannot
break the relay). A staff message in that topic is copied back to the person,
signed as the Biuro. States: open -> answered -> closed; a new question from
the person reopens the ticket.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Protocol

from bot.core.html import escape
from bot.core.matching import Alternative
from bot.core.translation import Translator

logger = logging.getLogger(__name__)

#: Telegram allows forum topic names of 1–128 characters.
TOPIC_NAME_LIMIT = 128


class TicketState(StrEnum):
    """Where a question stands."""

    OPEN = "open"
    ANSWERED = "answered"
    CLOSED = "closed"


@dataclass(frozen=True)
class PersonInfo:
    """Who wrote, as Telegram tells it."""

    telegram_id: int
    first_name: str
    username: str | None = None
    language_code: str | None = None


@dataclass(frozen=True)
class Person:
    """A resident as stored."""

    id: int
    telegram_id: int
    first_name: str
    language: str
    staff_thread_id: int | None = None
    awaiting_question: bool = False
    last_question_message_id: int | None = None
    last_question_text: str | None = None


@dataclass(frozen=True)
class Ticket:
    """A question for the Biuro staff."""

    id: int
    person_id: int
    state: TicketState
    created_at: datetime
    updated_at: datetime
    last_person_at: datetime | None = None
    last_staff_at: datetime | None = None
    last_staff_name: str | None = None
    reminded_at: datetime | None = None


@dataclass(frozen=True)
class MessageRef:
    """A message in a chat (what is copied between the two sides)."""

    chat_id: int
    message_id: int
    text: str | None = None


@dataclass(frozen=True)
class StaffMessage:
    """A message a staff member wrote in a person's topic."""

    chat_id: int
    message_id: int
    thread_id: int
    author_name: str
    text_html: str | None = None
    caption_html: str | None = None
    has_media: bool = False
    #: photos, documents, videos, audio and voice take a caption; stickers do not
    can_caption: bool = True


class TopicGone(Exception):
    """The forum topic was deleted by staff."""


class TopicClosed(Exception):
    """The forum topic was closed in Telegram."""


class PersonUnreachable(Exception):
    """The person blocked the bot or deleted the chat."""


class InboxStore(Protocol):
    """Persistence of people, tickets and the message map."""

    async def upsert_person(self, info: PersonInfo, language: str, now: datetime) -> Person:
        """Create the person on first contact or refresh their name; return them."""
        ...

    async def person_by_telegram_id(self, telegram_id: int) -> Person | None:
        """The person with this Telegram id."""
        ...

    async def person(self, person_id: int) -> Person:
        """The person with this id."""
        ...

    async def set_language(self, person_id: int, language: str) -> None:
        """Remember the person's chosen language."""
        ...

    async def set_awaiting_question(self, person_id: int, awaiting: bool) -> None:
        """Remember that the next message is a question for staff."""
        ...

    async def remember_question(self, person_id: int, message_id: int, text: str) -> None:
        """Remember the person's last question (for "ask an official")."""
        ...

    async def set_staff_thread(self, person_id: int, thread_id: int | None) -> None:
        """Remember the person's forum topic in the staff group."""
        ...

    async def latest_ticket(self, person_id: int) -> Ticket | None:
        """The person's most recent ticket, whatever its state."""
        ...

    async def create_ticket(self, person_id: int, now: datetime) -> Ticket:
        """Open a new ticket."""
        ...

    async def update_ticket(
        self,
        ticket_id: int,
        *,
        state: TicketState | None = None,
        now: datetime,
        person_wrote: bool = False,
        staff_name: str | None = None,
        reminded: bool = False,
    ) -> Ticket:
        """Change a ticket's state and its activity stamps."""
        ...

    async def ticket_by_thread(self, thread_id: int) -> tuple[Ticket, Person] | None:
        """The latest ticket of the person whose topic this is."""
        ...

    async def link_messages(
        self,
        ticket_id: int,
        *,
        to_staff: bool,
        person_chat_id: int,
        person_message_id: int,
        staff_chat_id: int,
        staff_message_id: int,
        now: datetime,
    ) -> None:
        """Record that a message was copied from one side to the other."""
        ...

    async def active_tickets(self) -> list[tuple[Ticket, Person]]:
        """Tickets that are not closed, oldest first."""
        ...

    async def log_unanswered(
        self,
        person_id: int | None,
        text: str,
        language: str,
        best: Alternative | None,
        now: datetime,
    ) -> None:
        """Log a question the assistant could not answer."""
        ...


class StaffDesk(Protocol):
    """The staff supergroup with one forum topic per person."""

    async def create_topic(self, name: str) -> int:
        """Create a forum topic; return its thread id."""
        ...

    async def reopen_topic(self, thread_id: int) -> bool:
        """Reopen a closed topic; False when it no longer exists."""
        ...

    async def close_topic(self, thread_id: int) -> None:
        """Close a topic (best effort)."""
        ...

    async def post(self, thread_id: int, text_html: str) -> int:
        """Post a note of the bot into a topic; return its message id."""
        ...

    async def copy_in(self, thread_id: int, source: MessageRef) -> int:
        """Copy a person's message into a topic; return the new message id.

        Raises :class:`TopicGone` or :class:`TopicClosed`.
        """
        ...


class PersonChannel(Protocol):
    """The private chats with residents."""

    async def send_text(self, chat_id: int, text_html: str) -> int:
        """Send a text; return the message id. Raises :class:`PersonUnreachable`."""
        ...

    async def relay_from_staff(self, chat_id: int, message: StaffMessage, signature: str) -> int:
        """Copy a staff message to a person, signed. Raises :class:`PersonUnreachable`."""
        ...


@dataclass(frozen=True)
class Submitted:
    """What happened to a question passed to the Biuro."""

    ticket: Ticket
    created: bool
    reopened: bool
    thread_id: int


@dataclass(frozen=True)
class Relayed:
    """A staff reply delivered (or not) to the person."""

    ticket: Ticket
    person: Person
    delivered: bool


def topic_name(ticket_id: int, first_name: str, language: str) -> str:
    """The forum topic's name: "#12 · Anna · pl" (at most 128 characters)."""
    name = " ".join(first_name.split()) or "?"
    head, tail = f"#{ticket_id} · ", f" · {language}"
    room = TOPIC_NAME_LIMIT - len(head) - len(tail)
    if len(name) > room:
        name = name[: room - 1] + "…"
    return head + name + tail


def describe_age(since: datetime, now: datetime, t: Translator) -> str:
    """ "3 h 20 min", "2 days" - how long a ticket has waited."""
    delta = max(now - since, timedelta(0))
    minutes = int(delta.total_seconds() // 60)
    if minutes < 60:
        return t.ngettext("{n} minute", "{n} minutes", minutes).format(n=minutes)
    hours = minutes // 60
    if hours < 48:
        return t.ngettext("{n} hour", "{n} hours", hours).format(n=hours)
    days = hours // 24
    return t.ngettext("{n} day", "{n} days", days).format(n=days)


def needs_reminder(ticket: Ticket, now: datetime, after: timedelta) -> bool:
    """An open ticket nobody answered for ``after``, not reminded about yet."""
    if ticket.state is not TicketState.OPEN:
        return False
    waiting_since = ticket.last_person_at or ticket.created_at
    if now - waiting_since < after:
        return False
    return ticket.reminded_at is None or ticket.reminded_at < waiting_since


@dataclass(repr=False)
class Inbox:
    """Use cases of the Biuro inbox."""

    store: InboxStore
    desk: StaffDesk
    people: PersonChannel
    translator: Callable[[str], Translator]
    staff_chat_id: int
    #: the translator of the staff group (Polish)
    staff_language: str = "pl"
    topic_names: Callable[[int, str, str], str] = field(default=topic_name)

    def _staff(self) -> Translator:
        return self.translator(self.staff_language)

    async def active_ticket(self, person: Person) -> Ticket | None:
        """The person's ticket that is not closed, if any."""
        ticket = await self.store.latest_ticket(person.id)
        if ticket is None or ticket.state is TicketState.CLOSED:
            return None
        return ticket

    async def submit(
        self,
        person: Person,
        message: MessageRef,
        now: datetime,
        *,
        guesses: Sequence[Alternative] = (),
        titles: Callable[[str], str] = str,
    ) -> Submitted:
        """Pass a person's question to the staff group.

        Reuses the person's ticket (reopening a closed one) and forum topic;
        recreates the topic if staff deleted or closed it.
        """
        latest = await self.store.latest_ticket(person.id)
        created = latest is None
        reopened = latest is not None and latest.state is TicketState.CLOSED
        if latest is None:
            ticket = await self.store.create_ticket(person.id, now)
        else:
            ticket = await self.store.update_ticket(
                latest.id, state=TicketState.OPEN, now=now, person_wrote=True
            )
        thread_id, fresh_topic = await self._ensure_topic(person, ticket)
        if reopened and not fresh_topic and not await self.desk.reopen_topic(thread_id):
            thread_id = await self._new_topic(person, ticket)
            fresh_topic = True
        if created or reopened or fresh_topic:
            context = self._context(person, ticket, guesses, titles, reopened)
            try:
                await self.desk.post(thread_id, context)
            except (TopicGone, TopicClosed):
                thread_id = await self._new_topic(person, ticket)
                await self.desk.post(thread_id, context)
        staff_message_id, thread_id = await self._copy_in(person, ticket, thread_id, message)
        await self.store.link_messages(
            ticket.id,
            to_staff=True,
            person_chat_id=message.chat_id,
            person_message_id=message.message_id,
            staff_chat_id=self.staff_chat_id,
            staff_message_id=staff_message_id,
            now=now,
        )
        await self.store.set_awaiting_question(person.id, False)
        return Submitted(ticket=ticket, created=created, reopened=reopened, thread_id=thread_id)

    async def _ensure_topic(self, person: Person, ticket: Ticket) -> tuple[int, bool]:
        if person.staff_thread_id is not None:
            return person.staff_thread_id, False
        return await self._new_topic(person, ticket), True

    async def _new_topic(self, person: Person, ticket: Ticket) -> int:
        thread_id = await self.desk.create_topic(
            self.topic_names(ticket.id, person.first_name, person.language)
        )
        await self.store.set_staff_thread(person.id, thread_id)
        return thread_id

    async def _copy_in(
        self, person: Person, ticket: Ticket, thread_id: int, message: MessageRef
    ) -> tuple[int, int]:
        """Copy into the topic; reopen or recreate it when staff closed or deleted it."""
        try:
            return await self.desk.copy_in(thread_id, message), thread_id
        except TopicClosed:
            if await self.desk.reopen_topic(thread_id):
                try:
                    return await self.desk.copy_in(thread_id, message), thread_id
                except (TopicClosed, TopicGone):
                    pass
        except TopicGone:
            pass
        logger.info("topic %s of ticket %s is gone; creating a new one", thread_id, ticket.id)
        new_thread = await self._new_topic(person, ticket)
        t = self._staff()
        await self.desk.post(
            new_thread,
            t.gettext("The previous topic of this person was deleted or closed; continued here.")
            + "\n"
            + self._context(person, ticket, (), str, reopened=False),
        )
        return await self.desk.copy_in(new_thread, message), new_thread

    def _context(
        self,
        person: Person,
        ticket: Ticket,
        guesses: Sequence[Alternative],
        titles: Callable[[str], str],
        reopened: bool,
    ) -> str:
        t = self._staff()
        head = (
            t.gettext("<b>Question #{n} reopened</b>")
            if reopened
            else t.gettext("<b>New question #{n}</b>")
        ).format(n=ticket.id)
        lines = [
            head,
            t.gettext("From: {name} · language: {lang}").format(
                name=escape(person.first_name), lang=person.language
            ),
        ]
        if guesses:
            best = ", ".join(
                f"{escape(titles(g.intent))} ({g.confidence:.0%})" for g in guesses[:3]
            )
            lines.append(t.gettext("Assistant's best guesses: {guesses}").format(guesses=best))
        lines.append(
            t.gettext(
                "Reply in this topic and the person gets your message signed as the Biuro. "
                "Messages starting with // stay internal. /zamknij closes the question."
            )
        )
        return "\n".join(lines)

    async def add_to_ticket(
        self, person: Person, ticket: Ticket, message: MessageRef, now: datetime
    ) -> Ticket:
        """A person writes again while their question is open: it goes to staff too."""
        ticket = await self.store.update_ticket(
            ticket.id, state=TicketState.OPEN, now=now, person_wrote=True
        )
        thread_id, _fresh = await self._ensure_topic(person, ticket)
        staff_message_id, _thread = await self._copy_in(person, ticket, thread_id, message)
        await self.store.link_messages(
            ticket.id,
            to_staff=True,
            person_chat_id=message.chat_id,
            person_message_id=message.message_id,
            staff_chat_id=self.staff_chat_id,
            staff_message_id=staff_message_id,
            now=now,
        )
        return ticket

    async def staff_reply(self, message: StaffMessage, now: datetime) -> Relayed | None:
        """Copy a staff member's message in a topic to its person."""
        found = await self.store.ticket_by_thread(message.thread_id)
        if found is None:
            return None
        ticket, person = found
        signature = self.translator(person.language).gettext("Biuro Dialogu i Innowacji Miejskich")
        try:
            person_message_id = await self.people.relay_from_staff(
                person.telegram_id, message, signature
            )
        except PersonUnreachable:
            await self.desk.post(
                message.thread_id,
                self._staff().gettext(
                    "Not delivered: the person has blocked the bot or deleted the chat."
                ),
            )
            return Relayed(ticket=ticket, person=person, delivered=False)
        ticket = await self.store.update_ticket(
            ticket.id, state=TicketState.ANSWERED, now=now, staff_name=message.author_name
        )
        await self.store.link_messages(
            ticket.id,
            to_staff=False,
            person_chat_id=person.telegram_id,
            person_message_id=person_message_id,
            staff_chat_id=message.chat_id,
            staff_message_id=message.message_id,
            now=now,
        )
        return Relayed(ticket=ticket, person=person, delivered=True)

    async def close(self, thread_id: int, now: datetime) -> Relayed | None:
        """Close the ticket of a topic, tell the person, confirm in the topic, close it.

        Returns None when the topic belongs to no question. Closing twice is
        harmless (the person is told once).
        """
        found = await self.store.ticket_by_thread(thread_id)
        if found is None:
            return None
        ticket, person = found
        if ticket.state is TicketState.CLOSED:
            return Relayed(ticket=ticket, person=person, delivered=False)
        ticket = await self.store.update_ticket(ticket.id, state=TicketState.CLOSED, now=now)
        t = self.translator(person.language)
        try:
            await self.people.send_text(
                person.telegram_id,
                t.gettext(
                    "The Biuro Dialogu has closed your question. Thank you! "
                    "If you write again, your message goes back to the staff."
                ),
            )
            delivered = True
        except PersonUnreachable:
            delivered = False
        staff = self._staff()
        confirmation = (
            staff.gettext("Question #{n} closed; {name} has been told.")
            if delivered
            else staff.gettext("Question #{n} is closed.")
        ).format(n=ticket.id, name=escape(person.first_name))
        # Staff may have closed or deleted the topic themselves.
        with contextlib.suppress(TopicGone, TopicClosed):
            await self.desk.post(thread_id, confirmation)
        await self.desk.close_topic(thread_id)
        return Relayed(ticket=ticket, person=person, delivered=delivered)

    async def remind(self, now: datetime, after: timedelta) -> list[Ticket]:
        """Post one reminder in the topic of each ticket waiting longer than ``after``."""
        reminded: list[Ticket] = []
        t = self._staff()
        for ticket, person in await self.store.active_tickets():
            if not needs_reminder(ticket, now, after) or person.staff_thread_id is None:
                continue
            waiting_since = ticket.last_person_at or ticket.created_at
            try:
                await self.desk.post(
                    person.staff_thread_id,
                    t.gettext("Reminder: question #{n} has been waiting for {age}.").format(
                        n=ticket.id, age=describe_age(waiting_since, now, t)
                    ),
                )
            except (TopicGone, TopicClosed):
                logger.info("reminder for ticket %s: topic unavailable", ticket.id)
            reminded.append(await self.store.update_ticket(ticket.id, now=now, reminded=True))
        return reminded
