"""Personal data as a whole: the export, the erasure and the retention rules, on one session.

:class:`SqlPrivacyStore` implements :class:`bot.core.privacy.PrivacyStore`
inside the transaction of a :class:`bot.storage.units.SqlUnit`; nothing here
commits.

What is "about a person": their ``person`` row; their tickets, with the
message links and the learned examples of those tickets; their unanswered
log entries, votes, subscriptions and broadcast deliveries; outbox entries
to their private chat or into their staff topic; stored updates that still
hold a raw payload in which they are the sender or the chat.

Erasure deletes all of it, except votes, which lose the person, the chat
and the message and stay as anonymous counts (topic, helpful or not, date).
Sent messages in the staff group that quote the person's name or questions
(``/inbox``, ``/nierozpoznane`` listings) are deleted too. Every rule of
:meth:`SqlPrivacyStore.apply_retention` is a single statement on an index
and changes nothing when run twice.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, exists, or_, update
from sqlmodel import Session, SQLModel, col, select

from bot.core.html import escape
from bot.core.knowledge import DEFAULT_LANGUAGE
from bot.core.privacy import (
    DELIVERIES,
    EXPORT_PREFIX,
    FEEDBACK,
    INBOUND_UPDATES,
    LEARNED_EXAMPLES,
    MESSAGE_LINKS,
    OUTBOX,
    SUBSCRIPTIONS,
    TICKETS,
    UNANSWERED,
    WITHHELD,
    Erased,
    PersonalData,
    Retention,
    Row,
    Swept,
)
from bot.storage.models import (
    BroadcastRow,
    DeliveryRow,
    FeedbackRow,
    InboundUpdateRow,
    LearnedExampleRow,
    MessageLinkRow,
    OutboxRow,
    PersonRow,
    SubscriptionRow,
    TicketRow,
    UnansweredRow,
)

#: People past the inactivity period erased per run (the rest wait for the next day).
INACTIVE_BATCH = 500
#: How much of a question is looked for in staff listings (they shorten long texts).
NEEDLE_LENGTH = 40
#: What stands in an export for an earlier export sent to the person.
EARLIER_EXPORT = "(an earlier copy of this export)"


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC) if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _value(value: Any) -> Any:
    if isinstance(value, datetime):
        return _utc(value).isoformat()
    return value


def dump(row: SQLModel) -> dict[str, Any]:
    """Every column of a row, as JSON values (datetimes in ISO 8601, UTC)."""
    table = type(row).__table__  # type: ignore[attr-defined]
    return {column.name: _value(getattr(row, column.name)) for column in table.columns}


def _strings(value: Any) -> Iterator[str]:
    """Every string inside a decoded JSON value."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def concerns(payload: Any, telegram_id: int) -> bool:
    """Whether a raw update has this person as a sender (a user) or as the chat."""
    stack = [payload]
    while stack:
        value = stack.pop()
        if isinstance(value, dict):
            if value.get("id") == telegram_id and ("first_name" in value or "type" in value):
                return True
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)
    return False


def _redacted(value: Any) -> Any:
    """An outbox payload as exported: staff members withheld, earlier exports not nested."""
    if isinstance(value, list):
        return [_redacted(item) for item in value]
    if not isinstance(value, dict):
        return value
    out = {key: _redacted(item) for key, item in value.items()}
    if out.get("type") == "StaffMessage":
        out["author_name"] = WITHHELD
        out["author_id"] = None
    if out.get("type") == "Document" and str(out.get("filename", "")).startswith(EXPORT_PREFIX):
        out["content"] = EARLIER_EXPORT
    return out


def _loads(payload: str | None) -> Any:
    if payload is None:
        return None
    try:
        return json.loads(payload)
    except ValueError:
        return payload


def _rowcount(result: Any) -> int:
    return int(getattr(result, "rowcount", 0) or 0)


class SqlPrivacyStore:
    """:class:`bot.core.privacy.PrivacyStore` on one session."""

    def __init__(self, session: Session) -> None:
        self.session = session

    # ------------------------------------------------------------ what is about a person
    def _person(self, person_id: int) -> PersonRow:
        row = self.session.get(PersonRow, person_id)
        if row is None or row.erased_at is not None:
            raise LookupError(f"no person {person_id}")
        return row

    def _tickets(self, person_id: int) -> list[TicketRow]:
        return list(
            self.session.exec(
                select(TicketRow)
                .where(TicketRow.person_id == person_id)
                .order_by(col(TicketRow.id))
            )
        )

    def _outbox(self, person: PersonRow) -> list[OutboxRow]:
        return list(
            self.session.exec(
                select(OutboxRow)
                .where(
                    or_(
                        col(OutboxRow.person_id) == person.id,
                        col(OutboxRow.key) == f"chat:{person.telegram_id}:0",
                    )
                )
                .order_by(col(OutboxRow.id))
            )
        )

    def _held_updates(self, telegram_id: int) -> list[tuple[InboundUpdateRow, Any]]:
        """Stored updates still holding a raw payload about the person (pending or set aside)."""
        rows = self.session.exec(
            select(InboundUpdateRow)
            .where(col(InboundUpdateRow.payload).isnot(None))
            .order_by(col(InboundUpdateRow.update_id))
        )
        found = []
        for row in rows:
            payload = _loads(row.payload)
            if concerns(payload, telegram_id):
                found.append((row, payload))
        return found

    def _rows(self, model: type[SQLModel], column: Any, values: Iterable[Any]) -> list[Any]:
        values = list(values)
        if not values:
            return []
        return list(
            self.session.exec(
                select(model).where(col(column).in_(values)).order_by(col(model.id))  # type: ignore[attr-defined]
            )
        )

    def personal_data(self, person_id: int, *, request: int | None = None) -> PersonalData:
        person = self._person(person_id)
        tickets = self._tickets(person_id)
        ticket_ids = [t.id for t in tickets]
        sections: dict[str, Sequence[Row]] = {}

        exported_tickets = []
        for ticket in tickets:
            row = dump(ticket)
            if row["last_staff_name"]:
                row["last_staff_name"] = WITHHELD
            exported_tickets.append(row)
        sections[TICKETS] = exported_tickets
        sections[MESSAGE_LINKS] = [
            dump(r) for r in self._rows(MessageLinkRow, MessageLinkRow.ticket_id, ticket_ids)
        ]
        sections[UNANSWERED] = [
            dump(r) for r in self._rows(UnansweredRow, UnansweredRow.person_id, [person_id])
        ]
        sections[FEEDBACK] = [
            dump(r) for r in self._rows(FeedbackRow, FeedbackRow.person_id, [person_id])
        ]
        sections[SUBSCRIPTIONS] = [
            dump(r) for r in self._rows(SubscriptionRow, SubscriptionRow.person_id, [person_id])
        ]
        sections[DELIVERIES] = [
            dump(r) for r in self._rows(DeliveryRow, DeliveryRow.person_id, [person_id])
        ]
        learned = []
        for example in self._rows(LearnedExampleRow, LearnedExampleRow.ticket_id, ticket_ids):
            row = dump(example)
            if row["added_by"]:
                row["added_by"] = WITHHELD
            learned.append(row)
        sections[LEARNED_EXAMPLES] = learned
        outbox = []
        for entry in self._outbox(person):
            row = dump(entry)
            row["payload"] = _redacted(_loads(entry.payload))
            outbox.append(row)
        sections[OUTBOX] = outbox
        updates = []
        for held, payload in self._held_updates(person.telegram_id):
            if held.update_id == request:
                continue  # the request itself: its payload goes when it is answered
            row = dump(held)
            row["payload"] = payload
            updates.append(row)
        sections[INBOUND_UPDATES] = updates
        return PersonalData(dump(person), _utc(person.first_contact_at), sections)

    # ------------------------------------------------------------ erasure
    def _needles(self, person: PersonRow, texts: Iterable[str]) -> set[str]:
        """Strings by which a staff listing quotes the person (as typed and as HTML)."""
        needles: set[str] = set()
        for text in (person.first_name, person.username, *texts):
            if not text:
                continue
            short = " ".join(text.split())[:NEEDLE_LENGTH]
            if len(short) >= 2:
                needles.update({short, escape(short)})
        return needles

    def _delete_quoting(self, needles: set[str]) -> int:
        """Delete sent messages in the staff group (not in a topic of someone) quoting these."""
        if not needles:
            return 0
        deleted = 0
        for entry in self.session.exec(
            select(OutboxRow).where(
                OutboxRow.lane == "staff",
                OutboxRow.state != "pending",
                col(OutboxRow.person_id).is_(None),
            )
        ):
            if any(n in text for text in _strings(_loads(entry.payload)) for n in needles):
                self.session.delete(entry)
                deleted += 1
        return deleted

    def _erase_rows(self, person: PersonRow, *, listings: bool = True) -> dict[str, int]:
        """Delete (votes: anonymise) every row about the person, except the person row.

        ``listings``: also delete sent staff listings quoting them (not needed for
        people erased for inactivity: listings expire with the outbox long before).
        """
        s = self.session
        assert person.id is not None
        person_id, telegram_id = person.id, person.telegram_id
        ticket_ids = [t.id for t in self._tickets(person_id)]
        texts: list[str] = [person.last_question_text or ""]
        texts.extend(s.exec(select(UnansweredRow.text).where(UnansweredRow.person_id == person_id)))
        removed: dict[str, int] = {}
        if ticket_ids:
            texts.extend(
                s.exec(
                    select(LearnedExampleRow.text).where(
                        col(LearnedExampleRow.ticket_id).in_(ticket_ids)
                    )
                )
            )
            removed[LEARNED_EXAMPLES] = _rowcount(
                s.execute(
                    delete(LearnedExampleRow).where(
                        col(LearnedExampleRow.ticket_id).in_(ticket_ids)
                    )
                )
            )
            removed[MESSAGE_LINKS] = _rowcount(
                s.execute(
                    delete(MessageLinkRow).where(col(MessageLinkRow.ticket_id).in_(ticket_ids))
                )
            )
        removed[TICKETS] = _rowcount(
            s.execute(delete(TicketRow).where(col(TicketRow.person_id) == person_id))
        )
        removed[UNANSWERED] = _rowcount(
            s.execute(delete(UnansweredRow).where(col(UnansweredRow.person_id) == person_id))
        )
        removed[FEEDBACK] = _rowcount(
            s.execute(
                update(FeedbackRow)
                .where(col(FeedbackRow.person_id) == person_id)
                .values(person_id=None, chat_id=None, message_id=None)
            )
        )
        removed[SUBSCRIPTIONS] = _rowcount(
            s.execute(delete(SubscriptionRow).where(col(SubscriptionRow.person_id) == person_id))
        )
        removed[DELIVERIES] = _rowcount(
            s.execute(delete(DeliveryRow).where(col(DeliveryRow.person_id) == person_id))
        )
        removed[OUTBOX] = _rowcount(
            s.execute(
                delete(OutboxRow).where(
                    or_(
                        col(OutboxRow.person_id) == person_id,
                        col(OutboxRow.key) == f"chat:{telegram_id}:0",
                    )
                )
            )
        )
        # Sent listings in the staff group quoting the person's name or questions.
        if listings:
            removed["staff_listings"] = self._delete_quoting(self._needles(person, texts))
        # Updates set aside with their payload; pending ones were written after the
        # request and start from scratch when they are handled.
        held = 0
        for row, _payload in self._held_updates(telegram_id):
            if row.processed_at is not None:
                row.payload = None
                s.add(row)
                held += 1
        removed[INBOUND_UPDATES] = held
        s.flush()
        return removed

    def erase(self, person_id: int, now: datetime) -> Erased:
        person = self._person(person_id)
        tickets = self._tickets(person_id)
        open_ticket = next((t.id for t in reversed(tickets) if t.state != "closed"), None)
        thread = person.staff_thread_id
        removed = self._erase_rows(person)
        if thread is None:
            self.session.delete(person)
        else:
            # A placeholder holding none of their data, so that the sender can post the
            # note into their topic and close it; the next retention run deletes it.
            person.telegram_id = -person_id  # user ids are positive: never matches anyone
            person.first_name = ""
            person.username = None
            person.language = DEFAULT_LANGUAGE
            person.language_chosen = False
            person.first_contact_at = now
            person.last_seen_at = now
            person.awaiting_question = False
            person.last_question_message_id = None
            person.last_question_text = None
            person.blocked_at = None
            person.handover_offered = False
            person.erased_at = now
            self.session.add(person)
        self.session.flush()
        return Erased(person_id, thread, open_ticket, removed)

    # ------------------------------------------------------------ retention
    def apply_retention(self, policy: Retention, now: datetime, wall_now: datetime) -> Swept:
        s = self.session
        counts: dict[str, int] = {}
        # Periods are elapsed time, counted in UTC: a change to or from summer time does
        # not move a cutoff by an hour.

        cutoff = _utc(wall_now) - policy.update_ids
        counts["update_ids"] = _rowcount(
            s.execute(delete(InboundUpdateRow).where(col(InboundUpdateRow.processed_at) < cutoff))
        )

        cutoff = _utc(wall_now) - policy.outbox
        counts["outbox"] = _rowcount(
            s.execute(
                delete(OutboxRow).where(
                    col(OutboxRow.state).in_(["sent", "failed"]),
                    col(OutboxRow.next_attempt_at) < cutoff,
                    or_(col(OutboxRow.sent_at).is_(None), col(OutboxRow.sent_at) < cutoff),
                )
            )
        )

        cutoff = _utc(now) - policy.unanswered
        counts["unanswered"] = _rowcount(
            s.execute(delete(UnansweredRow).where(col(UnansweredRow.created_at) < cutoff))
        )

        cutoff = _utc(now) - policy.question_texts
        counts["question_texts"] = _rowcount(
            s.execute(
                update(PersonRow)
                .where(
                    col(PersonRow.last_question_text).isnot(None),
                    col(PersonRow.last_seen_at) < cutoff,
                    ~self._recent_ticket(cutoff),
                )
                .values(last_question_text=None, last_question_message_id=None)
            )
        )
        closed_before = select(TicketRow.id).where(
            TicketRow.state == "closed", col(TicketRow.closed_at) < cutoff
        )
        counts["message_links"] = _rowcount(
            s.execute(
                delete(MessageLinkRow).where(col(MessageLinkRow.ticket_id).in_(closed_before))
            )
        )
        counts["staff_names"] = _rowcount(
            s.execute(
                update(TicketRow)
                .where(
                    col(TicketRow.state) == "closed",
                    col(TicketRow.closed_at) < cutoff,
                    col(TicketRow.last_staff_name).isnot(None),
                )
                .values(last_staff_name=None)
            )
        )
        counts["learned_examples"] = _rowcount(
            s.execute(delete(LearnedExampleRow).where(col(LearnedExampleRow.created_at) < cutoff))
        )

        cutoff = _utc(now) - policy.feedback
        counts["feedback"] = _rowcount(
            s.execute(
                update(FeedbackRow)
                .where(col(FeedbackRow.person_id).isnot(None), col(FeedbackRow.created_at) < cutoff)
                .values(person_id=None, chat_id=None, message_id=None)
            )
        )

        cutoff = _utc(now) - policy.deliveries
        finished = select(BroadcastRow.id).where(
            BroadcastRow.state == "done", col(BroadcastRow.finished_at) < cutoff
        )
        counts["deliveries"] = _rowcount(
            s.execute(delete(DeliveryRow).where(col(DeliveryRow.broadcast_id).in_(finished)))
        )

        cutoff = _utc(now) - policy.inactive_people
        subscribed = exists().where(col(SubscriptionRow.person_id) == col(PersonRow.id))
        # On the last-seen index (placeholders, rare and removed below, are skipped here).
        inactive = s.exec(
            select(PersonRow)
            .where(
                col(PersonRow.last_seen_at) < cutoff,
                ~self._recent_ticket(cutoff),
                or_(col(PersonRow.blocked_at).isnot(None), ~subscribed),
            )
            .order_by(col(PersonRow.last_seen_at))
            .limit(INACTIVE_BATCH)
        ).all()
        inactive = [person for person in inactive if person.erased_at is None]
        for person in inactive:
            self._erase_rows(person, listings=False)
            s.delete(person)
        counts["inactive_people"] = len(inactive)

        waiting = exists().where(
            col(OutboxRow.person_id) == col(PersonRow.id), col(OutboxRow.state) == "pending"
        )
        counts["erased_placeholders"] = _rowcount(
            s.execute(delete(PersonRow).where(col(PersonRow.erased_at).isnot(None), ~waiting))
        )
        s.flush()
        return Swept(counts)

    @staticmethod
    def _recent_ticket(cutoff: datetime) -> Any:
        """The person has a ticket still open, or closed after ``cutoff``."""
        return exists().where(
            col(TicketRow.person_id) == col(PersonRow.id),
            or_(col(TicketRow.state) != "closed", col(TicketRow.closed_at) >= cutoff),
        )
