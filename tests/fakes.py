"""Recording fakes of the core's ports, for fast tests of the use cases.

Each fake keeps its state in memory and records what the use case did, with
small helpers that say what a test means ("the posts to Anna's topic",
"what was sent to chat 42") rather than how it was stored.
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from bot.core.answering import Reply
from bot.core.broadcasting import (
    Broadcast,
    BroadcastKind,
    BroadcastState,
    Delivery,
    DeliveryState,
    Result,
    Sent,
)
from bot.core.inbox import Person, PersonInfo, Ticket, TicketState
from bot.core.matching import Action, Alternative
from bot.core.messages import MessageRef, Outgoing, OutMessage, Relay, ToChat, ToTopic

T = TypeVar("T")


@dataclass
class Unrecognised:
    text: str
    count: int
    best_guess: str | None


class FakeInboxStore:
    """:class:`bot.core.inbox.InboxStore` in memory."""

    def __init__(self) -> None:
        self.people: dict[int, Person] = {}
        self.tickets: dict[int, Ticket] = {}
        self.unanswered: list[tuple[int | None, str, str, Alternative | None]] = []
        self.feedback: dict[tuple[int, int], tuple[str, bool]] = {}
        self.learned: list[tuple[str, str]] = []
        #: (person chat, person message) -> staff post, as the sender links them
        self.links: dict[tuple[int, int], MessageRef] = {}
        self.writes = 0
        self._ids = itertools.count(1)

    # people
    def person_by_telegram_id(self, telegram_id: int) -> Person | None:
        return next((p for p in self.people.values() if p.telegram_id == telegram_id), None)

    def _set(self, person_id: int, **changes: Any) -> None:
        self.people[person_id] = dataclasses.replace(self.people[person_id], **changes)
        self.writes += 1

    def save_person(self, info: PersonInfo, language: str, now: datetime) -> Person:
        found = self.person_by_telegram_id(info.telegram_id)
        if found is None:
            found = Person(next(self._ids), info.telegram_id, info.first_name, language)
            self.people[found.id] = found
            self.writes += 1
        elif found.first_name != info.first_name:
            self._set(found.id, first_name=info.first_name)
        return self.people[found.id]

    def set_language(self, person_id: int, language: str) -> None:
        self._set(person_id, language=language, language_chosen=True)

    def set_awaiting_question(self, person_id: int, awaiting: bool) -> None:
        self._set(person_id, awaiting_question=awaiting)

    def set_handover_offered(self, person_id: int, offered: bool) -> None:
        self._set(person_id, handover_offered=offered)

    def remember_question(self, person_id: int, message_id: int, text: str) -> None:
        self._set(person_id, last_question_message_id=message_id, last_question_text=text)

    def set_staff_thread(self, person_id: int, thread_id: int | None) -> None:
        self._set(person_id, staff_thread_id=thread_id)

    # tickets
    def latest_ticket(self, person_id: int) -> Ticket | None:
        mine = [t for t in self.tickets.values() if t.person_id == person_id]
        return max(mine, key=lambda t: t.id) if mine else None

    def create_ticket(self, person_id: int, now: datetime) -> Ticket:
        ticket = Ticket(next(self._ids), person_id, TicketState.OPEN, now, now, last_person_at=now)
        self.tickets[ticket.id] = ticket
        return ticket

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
        ticket = self.tickets[ticket_id]
        changes: dict[str, Any] = {"updated_at": now}
        if state is not None:
            changes["state"] = state
        if person_wrote:
            changes["last_person_at"] = now
        if staff_name is not None:
            changes["last_staff_at"] = now
            changes["last_staff_name"] = staff_name
        if reminded:
            changes["reminded_at"] = now
        self.tickets[ticket_id] = dataclasses.replace(ticket, **changes)
        return self.tickets[ticket_id]

    def ticket_by_thread(self, thread_id: int) -> tuple[Ticket, Person] | None:
        person = next((p for p in self.people.values() if p.staff_thread_id == thread_id), None)
        ticket = self.latest_ticket(person.id) if person else None
        return (ticket, person) if ticket and person else None

    def ticket_by_id(self, ticket_id: int) -> tuple[Ticket, Person] | None:
        ticket = self.tickets.get(ticket_id)
        return (ticket, self.people[ticket.person_id]) if ticket else None

    def active_tickets(self) -> list[tuple[Ticket, Person]]:
        return [
            (t, self.people[t.person_id])
            for t in sorted(self.tickets.values(), key=lambda t: t.created_at)
            if t.state is not TicketState.CLOSED
        ]

    def staff_post_of(self, person_chat_id: int, person_message_id: int) -> MessageRef | None:
        return self.links.get((person_chat_id, person_message_id))

    # logs
    def log_unanswered(
        self,
        person_id: int | None,
        text: str,
        language: str,
        best: Alternative | None,
        now: datetime,
    ) -> None:
        self.unanswered.append((person_id, text, language, best))

    def unanswered_summary(self, limit: int = 20) -> list[Unrecognised]:
        counts: dict[str, int] = {}
        for _p, text, _l, _b in self.unanswered:
            counts[text] = counts.get(text, 0) + 1
        return [Unrecognised(t, n, None) for t, n in counts.items()][:limit]

    def record_feedback(
        self,
        person_id: int,
        topic: str,
        helpful: bool,
        chat_id: int,
        message_id: int,
        now: datetime,
    ) -> None:
        self.feedback[(chat_id, message_id)] = (topic, helpful)

    def add_learned_example(
        self,
        topic: str,
        text: str,
        language: str,
        ticket_id: int | None,
        added_by: str,
        now: datetime,
    ) -> bool:
        if (topic, text) in self.learned:
            return False
        self.learned.append((topic, text))
        return True


class RecordingOutbox:
    """:class:`bot.core.messages.Outbox` that keeps what was queued, in order."""

    def __init__(self) -> None:
        self.queued: list[Outgoing] = []

    def put(self, *messages: Outgoing) -> None:
        self.queued.extend(messages)

    def to_topic(self, person_id: int) -> list[ToTopic]:
        """Posts queued for a person's forum topic."""
        return [m for m in self.queued if isinstance(m, ToTopic) and m.person_id == person_id]

    def to_chat(self, chat_id: int) -> list[ToChat]:
        """Messages queued for a chat."""
        return [m for m in self.queued if isinstance(m, ToChat) and m.chat_id == chat_id]

    def relays(self) -> list[Relay]:
        return [m for m in self.queued if isinstance(m, Relay)]

    def texts(self) -> list[str]:
        """Every queued text, follow-ups not included."""
        return [m.message.text_html for m in self.queued if isinstance(m, ToChat | ToTopic)]

    def clear(self) -> None:
        self.queued.clear()


class FakeBroadcastStore:
    """:class:`bot.core.broadcasting.BroadcastStore` in memory."""

    def __init__(self) -> None:
        self.subscribed: dict[int, set[str]] = {}
        self.chats: dict[int, tuple[int, str]] = {}  # person id -> (chat id, language)
        self.blocked: set[int] = set()
        self.broadcasts: dict[int, Broadcast] = {}
        self.deliveries: dict[int, dict[str, Any]] = {}
        self.known: set[str] = set()
        self._ids = itertools.count(1)

    def add_person(self, person_id: int, chat_id: int, language: str, *themes: str) -> None:
        self.chats[person_id] = (chat_id, language)
        self.subscribed[person_id] = set(themes)

    def subscriptions(self, person_id: int) -> set[str]:
        return set(self.subscribed.get(person_id, set()))

    def set_subscription(self, person_id: int, theme: str, on: bool, now: datetime) -> None:
        themes = self.subscribed.setdefault(person_id, set())
        (themes.add if on else themes.discard)(theme)

    def subscriber_count(self, theme: str) -> int:
        return sum(
            1
            for pid, themes in self.subscribed.items()
            if theme in themes and self.chats.get(pid, (0, ""))[0] not in self.blocked
        )

    def create_broadcast(
        self,
        *,
        kind: BroadcastKind,
        now: datetime,
        key: str | None = None,
        theme: str | None = None,
        text_html: str | None = None,
        created_by: str = "",
        state: BroadcastState = BroadcastState.DRAFT,
        staff_thread_id: int | None = None,
    ) -> tuple[Broadcast, bool]:
        for b in self.broadcasts.values():
            if key is not None and b.key == key:
                return b, False
        b = Broadcast(
            next(self._ids),
            kind,
            key,
            theme,
            text_html,
            state,
            created_by,
            staff_thread_id,
            None,
            None,
        )
        self.broadcasts[b.id] = b
        return b, True

    def get_broadcast(self, broadcast_id: int) -> Broadcast | None:
        return self.broadcasts.get(broadcast_id)

    def broadcast_by_prompt(self, prompt_message_id: int) -> Broadcast | None:
        return next(
            (
                b
                for b in self.broadcasts.values()
                if b.prompt_message_id == prompt_message_id and b.state is BroadcastState.DRAFT
            ),
            None,
        )

    def update_broadcast(
        self, broadcast_id: int, *, now: datetime | None = None, **changes: Any
    ) -> Broadcast:
        clean = {k: v for k, v in changes.items() if v is not None}
        self.broadcasts[broadcast_id] = dataclasses.replace(self.broadcasts[broadcast_id], **clean)
        return self.broadcasts[broadcast_id]

    def start_sending(self, broadcast_id: int, now: datetime) -> tuple[Broadcast, int]:
        b = self.broadcasts[broadcast_id]
        if b.state in (BroadcastState.DRAFT, BroadcastState.READY):
            for pid, themes in sorted(self.subscribed.items()):
                chat, language = self.chats[pid]
                if b.theme in themes and chat not in self.blocked:
                    did = next(self._ids)
                    self.deliveries[did] = {
                        "broadcast": b.id,
                        "delivery": Delivery(did, pid, chat, language),
                        "state": DeliveryState.PENDING,
                        "attempts": 0,
                    }
            b = self.update_broadcast(b.id, state=BroadcastState.SENDING)
        total = sum(1 for d in self.deliveries.values() if d["broadcast"] == b.id)
        return b, total

    def sending_broadcasts(self) -> list[Broadcast]:
        return [b for b in self.broadcasts.values() if b.state is BroadcastState.SENDING]

    def release_in_flight(self, broadcast_id: int, now: datetime) -> int:
        n = 0
        for d in self.deliveries.values():
            if d["broadcast"] == broadcast_id and d["state"] is DeliveryState.SENDING:
                d["state"] = DeliveryState.PENDING
                n += 1
        return n

    def pending_deliveries(self, broadcast_id: int, limit: int) -> list[Delivery]:
        out = [
            dataclasses.replace(d["delivery"], attempts=d["attempts"])
            for d in self.deliveries.values()
            if d["broadcast"] == broadcast_id and d["state"] is DeliveryState.PENDING
        ]
        return out[:limit]

    def mark_delivery(
        self,
        delivery_id: int,
        state: DeliveryState,
        now: datetime,
        message_id: int | None = None,
        *,
        attempted: bool = False,
    ) -> None:
        d = self.deliveries[delivery_id]
        d["state"] = state
        if attempted:
            d["attempts"] += 1

    def mark_blocked(self, telegram_id: int, now: datetime) -> None:
        self.blocked.add(telegram_id)

    def delivery_counts(self, broadcast_id: int) -> dict[str, int]:
        counts: dict[str, int] = {}
        for d in self.deliveries.values():
            if d["broadcast"] == broadcast_id:
                counts[d["state"].value] = counts.get(d["state"].value, 0) + 1
        return counts

    def known_item_keys(self) -> set[str]:
        return set(self.known)

    def remember_items(self, keys: list[str], announced: bool, now: datetime) -> None:
        self.known.update(keys)

    def states(self, broadcast_id: int) -> dict[int, DeliveryState]:
        """Chat id -> state of its delivery."""
        return {
            d["delivery"].chat_id: d["state"]
            for d in self.deliveries.values()
            if d["broadcast"] == broadcast_id
        }


@dataclass
class FakeUnit:
    """:class:`bot.core.units.Unit` in memory (the same stores for every transaction)."""

    inbox: FakeInboxStore = field(default_factory=FakeInboxStore)
    broadcasts: FakeBroadcastStore = field(default_factory=FakeBroadcastStore)
    outbox: RecordingOutbox = field(default_factory=RecordingOutbox)


class FakeTransactions:
    """Runs every unit of work on one :class:`FakeUnit` (counts them)."""

    def __init__(self, unit: FakeUnit | None = None) -> None:
        self.unit = unit or FakeUnit()
        self.runs = 0

    async def run(self, fn: Callable[[Any], T]) -> T:
        self.runs += 1
        return fn(self.unit)


class ScriptedAssistant:
    """An assistant whose replies a test chooses: text -> (action, intent)."""

    def __init__(
        self, script: dict[str, tuple[Action, str | None]], *, offers: Iterable[str] = ()
    ) -> None:
        self.script = script
        self.offers = set(offers)
        self.asked: list[tuple[str, str]] = []

    def respond(self, message: str, *, lang: str = "pl", now: datetime | None = None) -> Reply:
        self.asked.append((message, lang))
        action, intent = self.script.get(message, (Action.HANDOFF, None))
        return Reply(
            action=action,
            intent=intent if action is Action.ANSWER else None,
            confidence=0.9 if action is Action.ANSWER else 0.2,
            lang=lang,
            html=f"[{lang}] {intent or action.value}",
            alternatives=(Alternative(intent, 0.9),) if intent else (),
            no_words=not message.strip(),
            offers_handover=intent in self.offers,
        )

    def title(self, topic_id: str, lang: str) -> str:
        return f"Title of {topic_id}"


class ScriptedSender:
    """:class:`bot.core.broadcasting.DeliverySender` answering as a test scripts it per chat."""

    def __init__(self, script: dict[int, list[Result]] | None = None) -> None:
        self.script = script or {}
        self.sent: list[tuple[int, OutMessage]] = []
        self.reports: list[tuple[str, bool]] = []

    async def deliver(self, chat_id: int, message: OutMessage) -> Sent:
        results = self.script.get(chat_id)
        result = results.pop(0) if results else Result.SENT
        if result is Result.SENT:
            self.sent.append((chat_id, message))
            return Sent(Result.SENT, len(self.sent))
        return Sent(result)

    async def report(self, broadcast: Broadcast, text_html: str, final: bool) -> int | None:
        self.reports.append((text_html, final))
        return None if final else 99
