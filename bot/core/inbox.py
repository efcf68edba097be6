"""The Biuro Dialogu inbox: tickets, the staff forum topic of each person, relays.

Rules and use cases only. Each use case runs inside one database transaction
(:class:`~bot.core.units.Unit`): it reads and changes state through
:class:`InboxStore` and writes what has to be said to the outbox
(:mod:`bot.core.messages`) in the same transaction, so a question counts as
handed over exactly when its post to the staff group is stored, and nothing
is ever sent for a change that was rolled back. The Telegram layer delivers
the outbox afterwards, retrying until Telegram accepts. Tests drive these use
cases with recording fakes (``tests/fakes.py``).

A person has at most one ticket that is not closed. Their messages go to the
person's forum topic in the staff group (one topic per person, reused for
follow-ups). A staff message in that topic is copied back to the person,
signed as the Biuro. States: open -> answered -> closed; a new question from
the person reopens the ticket. A ticket staff answered closes by itself after
a quiet period.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Protocol

from bot.core.callbacks import Callback, Kind
from bot.core.html import escape
from bot.core.knowledge import DEFAULT_LANGUAGE
from bot.core.matching import Alternative
from bot.core.messages import (
    MESSAGE_LIMIT,
    Button,
    CloseTopic,
    MessageRef,
    Outbox,
    OutMessage,
    Relay,
    StaffMessage,
    ToChat,
    ToTopic,
    split_text,
)
from bot.core.translation import Translator

logger = logging.getLogger(__name__)

#: Telegram allows forum topic names of 1–128 characters.
TOPIC_NAME_LIMIT = 128
#: The staff group speaks Polish.
STAFF_LANGUAGE = DEFAULT_LANGUAGE
#: How much of a person's text is quoted in a note to staff.
QUOTE_LIMIT = 600


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
    language_chosen: bool = False
    #: the assistant offered to pass the last question on ("tak" accepts)
    handover_offered: bool = False


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


class InboxStore(Protocol):
    """People, tickets and the logs, inside the current transaction."""

    def person_by_telegram_id(self, telegram_id: int) -> Person | None:
        """The person with this Telegram id."""
        ...

    def save_person(self, info: PersonInfo, language: str, now: datetime) -> Person:
        """Create the person on first contact; refresh name and last-seen only when changed."""
        ...

    def set_language(self, person_id: int, language: str) -> None:
        """Remember the language the person chose."""
        ...

    def set_awaiting_question(self, person_id: int, awaiting: bool) -> None:
        """Remember that the next message is a question for staff."""
        ...

    def set_handover_offered(self, person_id: int, offered: bool) -> None:
        """Remember that the assistant offered to pass the last question on."""
        ...

    def remember_question(self, person_id: int, message_id: int, text: str) -> None:
        """Remember the person's last question (for "ask an official")."""
        ...

    def latest_ticket(self, person_id: int) -> Ticket | None:
        """The person's most recent ticket, whatever its state."""
        ...

    def create_ticket(self, person_id: int, now: datetime) -> Ticket:
        """Open a new ticket."""
        ...

    def update_ticket(
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

    def ticket_by_thread(self, thread_id: int) -> tuple[Ticket, Person] | None:
        """The latest ticket of the person whose topic this is."""
        ...

    def ticket_by_id(self, ticket_id: int) -> tuple[Ticket, Person] | None:
        """A ticket and its person."""
        ...

    def active_tickets(self) -> list[tuple[Ticket, Person]]:
        """Tickets that are not closed, oldest first."""
        ...

    def staff_post_of(self, person_chat_id: int, person_message_id: int) -> MessageRef | None:
        """The post in the staff group that carried this message of a person."""
        ...

    def log_unanswered(
        self,
        person_id: int | None,
        text: str,
        language: str,
        best: Alternative | None,
        now: datetime,
    ) -> None:
        """Log a question the assistant could not answer."""
        ...

    def unanswered_summary(self, limit: int = 20) -> Sequence[Unrecognised]:
        """Unanswered questions grouped by text, most frequent first."""
        ...

    def record_feedback(
        self,
        person_id: int,
        topic: str,
        helpful: bool,
        chat_id: int,
        message_id: int,
        now: datetime,
    ) -> None:
        """Store a person's vote on an answer (one per answer message)."""
        ...

    def add_learned_example(
        self,
        topic: str,
        text: str,
        language: str,
        ticket_id: int | None,
        added_by: str,
        now: datetime,
    ) -> bool:
        """Store a question as a new example of a topic; False when it is there already."""
        ...


class Unrecognised(Protocol):
    """A group of identical unanswered questions."""

    @property
    def text(self) -> str: ...
    @property
    def count(self) -> int: ...
    @property
    def best_guess(self) -> str | None: ...


@dataclass(frozen=True)
class Submitted:
    """What happened to a question passed to the Biuro."""

    ticket: Ticket
    created: bool
    reopened: bool


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


def is_quiet(ticket: Ticket, now: datetime, quiet: timedelta) -> bool:
    """A ticket staff answered, with no message from anyone for ``quiet``."""
    if ticket.state is not TicketState.ANSWERED or ticket.last_staff_at is None:
        return False
    if ticket.last_person_at is not None and ticket.last_person_at > ticket.last_staff_at:
        return False  # the person wrote after the answer: it waits for staff
    return now - ticket.last_staff_at >= quiet


def quote(text: str, limit: int = QUOTE_LIMIT) -> str:
    """A person's text, escaped and shortened, for a note to staff."""
    text = " ".join(text.split())
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return escape(text)


class InboxUnit(Protocol):
    """What the inbox reaches inside one transaction."""

    @property
    def inbox(self) -> InboxStore:
        """People and tickets."""
        ...

    @property
    def outbox(self) -> Outbox:
        """Messages to deliver after the transaction."""
        ...


@dataclass(repr=False)
class Inbox:
    """Use cases of the Biuro inbox."""

    translator: Callable[[str], Translator]
    staff_chat_id: int
    topic_names: Callable[[int, str, str], str] = field(default=topic_name)

    def staff(self) -> Translator:
        """The translator of the staff group."""
        return self.translator(STAFF_LANGUAGE)

    def active_ticket(self, unit: InboxUnit, person: Person) -> Ticket | None:
        """The person's ticket that is not closed, if any."""
        ticket = unit.inbox.latest_ticket(person.id)
        if ticket is None or ticket.state is TicketState.CLOSED:
            return None
        return ticket

    def submit(
        self,
        unit: InboxUnit,
        person: Person,
        message: MessageRef,
        now: datetime,
        *,
        guesses: Sequence[Alternative] = (),
        titles: Callable[[str], str] = str,
    ) -> Submitted:
        """Pass a person's question to the staff group, in one post where possible.

        Reuses the person's ticket (reopening a closed one) and forum topic.
        The post carries the context (who, which language, the assistant's
        guesses) and the question's text; media are copied after it.
        """
        latest = unit.inbox.latest_ticket(person.id)
        created = latest is None
        reopened = latest is not None and latest.state is TicketState.CLOSED
        if latest is None:
            ticket = unit.inbox.create_ticket(person.id, now)
        else:
            ticket = unit.inbox.update_ticket(
                latest.id, state=TicketState.OPEN, now=now, person_wrote=True
            )
        context = self.context(person, ticket, guesses, titles, reopened=reopened)
        if latest is not None and not reopened:
            # A ticket still open: this is one more question of the same person.
            self._follow_up(unit, person, ticket, message)
        else:
            self._post_question(unit, person, ticket, context, message)
        if person.awaiting_question:
            unit.inbox.set_awaiting_question(person.id, False)
        return Submitted(ticket=ticket, created=created, reopened=reopened)

    def _post_question(
        self, unit: InboxUnit, person: Person, ticket: Ticket, context: str, message: MessageRef
    ) -> None:
        if message.media:
            # The context (and the caption) in one post, then a copy of the media.
            body = f"{context}\n\n{self._quoted_question(message)}" if message.text else context
            for part in split_text(body, MESSAGE_LIMIT):
                unit.outbox.put(ToTopic(person.id, OutMessage(part), ticket_id=ticket.id))
            unit.outbox.put(ToTopic(person.id, OutMessage(""), ticket_id=ticket.id, source=message))
            return
        parts = split_text(f"{context}\n\n{self._quoted_question(message)}", MESSAGE_LIMIT)
        for index, part in enumerate(parts):
            last = index == len(parts) - 1
            unit.outbox.put(
                ToTopic(
                    person.id,
                    OutMessage(part),
                    ticket_id=ticket.id,
                    # The last part carries the person's message: linked for edits.
                    source=message if last else None,
                )
            )

    def _quoted_question(self, message: MessageRef) -> str:
        text = escape(message.text or "")
        return f"<blockquote>{text}</blockquote>"

    def context(
        self,
        person: Person,
        ticket: Ticket,
        guesses: Sequence[Alternative],
        titles: Callable[[str], str],
        *,
        reopened: bool,
    ) -> str:
        """The head of a question's post: who asks, in which language, the assistant's guesses."""
        t = self.staff()
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

    def topic_recreated_note(self, person: Person, ticket: Ticket) -> str:
        """The first post of a topic made again because staff deleted the previous one."""
        t = self.staff()
        return (
            t.gettext("The previous topic of this person was deleted or closed; continued here.")
            + "\n"
            + self.context(person, ticket, (), str, reopened=False)
        )

    def add_to_ticket(
        self, unit: InboxUnit, person: Person, ticket: Ticket, message: MessageRef, now: datetime
    ) -> Ticket:
        """A person writes again while their question is open: it goes to staff too."""
        ticket = unit.inbox.update_ticket(
            ticket.id, state=TicketState.OPEN, now=now, person_wrote=True
        )
        self._follow_up(unit, person, ticket, message)
        return ticket

    def _follow_up(
        self, unit: InboxUnit, person: Person, ticket: Ticket, message: MessageRef
    ) -> None:
        name = f"<b>{escape(person.first_name)}</b>"
        if message.media:
            text = self.staff().gettext("{name} sent:").format(name=name)
            if message.text:
                text += " " + quote(message.text)
            unit.outbox.put(
                ToTopic(person.id, OutMessage(text), ticket.id),
                ToTopic(person.id, OutMessage(""), ticket.id, source=message),
            )
            return
        text = f"{name}: {quote(message.text or '', MESSAGE_LIMIT // 2)}"
        unit.outbox.put(ToTopic(person.id, OutMessage(text), ticket.id, source=message, batch=True))

    def note_answered(
        self,
        unit: InboxUnit,
        person: Person,
        ticket: Ticket,
        message: MessageRef,
        topic_title: str,
        now: datetime,
    ) -> None:
        """The assistant answered a message while the person's ticket is open: tell staff."""
        t = self.staff()
        text = t.gettext("{name} asked: «{text}» – answered automatically ({topic}).").format(
            name=f"<b>{escape(person.first_name)}</b>",
            text=quote(message.text or ""),
            topic=escape(topic_title),
        )
        unit.outbox.put(ToTopic(person.id, OutMessage(text), ticket.id, batch=True))

    def edited(self, unit: InboxUnit, person: Person, message: MessageRef, now: datetime) -> bool:
        """A person edited a message while their ticket is open: the new text goes to staff.

        Returns False when there is no open ticket (the edit is not passed on).
        """
        ticket = self.active_ticket(unit, person)
        if ticket is None:
            return False
        post = unit.inbox.staff_post_of(message.chat_id, message.message_id)
        t = self.staff()
        text = t.gettext("{name} edited a message: «{text}»").format(
            name=f"<b>{escape(person.first_name)}</b>", text=quote(message.text or "")
        )
        unit.inbox.update_ticket(ticket.id, now=now, person_wrote=True)
        unit.outbox.put(
            ToTopic(person.id, OutMessage(text), ticket.id, reply_to=post, batch=post is None)
        )
        return True

    def staff_reply(
        self,
        unit: InboxUnit,
        message: StaffMessage,
        now: datetime,
        *,
        learn_label: Callable[[Translator], str] | None = None,
    ) -> Person | None:
        """Copy a staff member's message in a topic to its person.

        Staff are told "sent" only once Telegram accepted the copy, and told
        when it could not be delivered. Returns None for a topic of no question.
        """
        found = unit.inbox.ticket_by_thread(message.thread_id)
        if found is None:
            return None
        ticket, person = found
        t = self.staff()
        signature = self.translator(person.language).gettext("Biuro Dialogu i Innowacji Miejskich")
        sent = OutMessage(
            t.gettext("Sent to {name}.").format(name=escape(person.first_name)),
            keyboard=(
                (
                    Button(
                        t.gettext("Add to the knowledge base"),
                        callback=Callback(Kind.LEARN, (str(ticket.id),)).encode(),
                    ),
                ),
            ),
        )
        not_sent = OutMessage(
            t.gettext("Not delivered: the person has blocked the bot or deleted the chat.")
        )
        unit.outbox.put(
            Relay(
                person.telegram_id,
                message,
                signature,
                ticket_id=ticket.id,
                then=(ToTopic(person.id, sent, ticket.id, batch=True),),
                on_failed=(ToTopic(person.id, not_sent, ticket.id),),
            )
        )
        unit.inbox.update_ticket(
            ticket.id, state=TicketState.ANSWERED, now=now, staff_name=message.author_name
        )
        return person

    def close(
        self, unit: InboxUnit, thread_id: int, now: datetime, *, automatic: bool = False
    ) -> Ticket | None:
        """Close the ticket of a topic, tell the person, confirm in the topic, close it.

        Returns None when the topic belongs to no question. Closing twice is
        harmless (the person is told once).
        """
        found = unit.inbox.ticket_by_thread(thread_id)
        if found is None:
            return None
        ticket, person = found
        return self._close(unit, ticket, person, now, automatic=automatic)

    def _close(
        self, unit: InboxUnit, ticket: Ticket, person: Person, now: datetime, *, automatic: bool
    ) -> Ticket:
        if ticket.state is TicketState.CLOSED:
            return ticket
        ticket = unit.inbox.update_ticket(ticket.id, state=TicketState.CLOSED, now=now)
        t = self.translator(person.language)
        staff = self.staff()
        notice = (
            t.gettext(
                "Your question has been closed because nobody wrote for a while. "
                "If you need more help, just write again and it goes back to the staff."
            )
            if automatic
            else t.gettext(
                "The Biuro Dialogu has closed your question. Thank you! "
                "If you write again, your message goes back to the staff."
            )
        )
        told = (
            staff.gettext("Question #{n} closed automatically; {name} has been told.")
            if automatic
            else staff.gettext("Question #{n} closed; {name} has been told.")
        ).format(n=ticket.id, name=escape(person.first_name))
        untold = staff.gettext("Question #{n} is closed.").format(n=ticket.id)
        close_topic = CloseTopic(person.id)
        unit.outbox.put(
            ToChat(
                person.telegram_id,
                OutMessage(notice),
                then=(ToTopic(person.id, OutMessage(told), ticket.id), close_topic),
                on_failed=(ToTopic(person.id, OutMessage(untold), ticket.id), close_topic),
            )
        )
        return ticket

    def remind(self, unit: InboxUnit, now: datetime, after: timedelta) -> list[Ticket]:
        """Post one reminder in the topic of each ticket waiting longer than ``after``."""
        reminded: list[Ticket] = []
        t = self.staff()
        for ticket, person in unit.inbox.active_tickets():
            if not needs_reminder(ticket, now, after):
                continue
            waiting_since = ticket.last_person_at or ticket.created_at
            text = t.gettext("Reminder: question #{n} has been waiting for {age}.").format(
                n=ticket.id, age=describe_age(waiting_since, now, t)
            )
            unit.outbox.put(ToTopic(person.id, OutMessage(text), ticket.id))
            reminded.append(unit.inbox.update_ticket(ticket.id, now=now, reminded=True))
        return reminded

    def close_quiet(self, unit: InboxUnit, now: datetime, quiet: timedelta) -> list[Ticket]:
        """Close every answered ticket nobody wrote in for ``quiet``."""
        closed: list[Ticket] = []
        for ticket, person in unit.inbox.active_tickets():
            if is_quiet(ticket, now, quiet):
                closed.append(self._close(unit, ticket, person, now, automatic=True))
        return closed

    def listing(self, unit: InboxUnit) -> list[tuple[Ticket, Person]]:
        """/inbox: the tickets that are not closed."""
        return unit.inbox.active_tickets()

    def staff_note(self, thread_id: int | None, text_html: str) -> ToChat:
        """A message of the bot in the staff group (a topic or the General one)."""
        return ToChat(self.staff_chat_id, OutMessage(text_html), thread_id=thread_id)

    def unrecognised(self, unit: InboxUnit, limit: int = 20) -> Sequence[Unrecognised]:
        """/nierozpoznane: what the assistant could not answer, most frequent first."""
        return unit.inbox.unanswered_summary(limit)

    def learn_example(
        self, unit: InboxUnit, ticket_id: int, topic: str, added_by: str, now: datetime
    ) -> Learned:
        """Staff attach the question of a ticket to a topic as a new example."""
        found = unit.inbox.ticket_by_id(ticket_id)
        if found is None:
            return Learned.GONE
        _ticket, person = found
        text = person.last_question_text
        if not text:
            return Learned.NO_TEXT
        added = unit.inbox.add_learned_example(
            topic, text, person.language, ticket_id, added_by, now
        )
        return Learned.ADDED if added else Learned.KNOWN


class Learned(StrEnum):
    """What became of a question staff attached to a topic."""

    ADDED = "added"
    KNOWN = "known"  # the example was stored already
    NO_TEXT = "no_text"  # the question had no text (a photo...)
    GONE = "gone"  # no such ticket
