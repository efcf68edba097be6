"""People, tickets, the message map and the logs: the inbox store on one session.

:class:`SqlInboxStore` implements :class:`bot.core.inbox.InboxStore` inside the
transaction of a :class:`bot.storage.units.SqlUnit`; nothing here commits.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, func, select

from bot.core.inbox import Person, PersonInfo, Ticket, TicketState
from bot.core.matching import Alternative
from bot.core.messages import MessageRef
from bot.core.text import normalise
from bot.storage.models import (
    FeedbackRow,
    LearnedExampleRow,
    MessageLinkRow,
    PersonRow,
    TicketRow,
    UnansweredRow,
)

#: How much of a question is kept in the person row and the unanswered log.
MAX_STORED_TEXT = 4000
#: The last-seen time is refreshed at most this often (no write per message).
SEEN_PRECISION = timedelta(hours=1)


def person_of(row: PersonRow) -> Person:
    """The core value of a person row."""
    assert row.id is not None
    return Person(
        id=row.id,
        telegram_id=row.telegram_id,
        first_name=row.first_name,
        language=row.language,
        staff_thread_id=row.staff_thread_id,
        awaiting_question=row.awaiting_question,
        last_question_message_id=row.last_question_message_id,
        last_question_text=row.last_question_text,
        language_chosen=row.language_chosen,
        handover_offered=row.handover_offered,
    )


def ticket_of(row: TicketRow) -> Ticket:
    """The core value of a ticket row."""
    assert row.id is not None
    return Ticket(
        id=row.id,
        person_id=row.person_id,
        state=TicketState(row.state),
        created_at=row.created_at,
        updated_at=row.updated_at,
        last_person_at=row.last_person_at,
        last_staff_at=row.last_staff_at,
        last_staff_name=row.last_staff_name,
        reminded_at=row.reminded_at,
    )


@dataclass(frozen=True)
class UnansweredSummary:
    """A group of identical (normalised) unanswered questions."""

    text: str
    count: int
    last_at: datetime
    best_guess: str | None


class SqlInboxStore:
    """:class:`bot.core.inbox.InboxStore` on one session."""

    def __init__(self, session: Session) -> None:
        self.session = session

    # ------------------------------------------------------------ people
    def _row(self, person_id: int) -> PersonRow:
        row = self.session.get(PersonRow, person_id)
        if row is None:
            raise LookupError(f"no person {person_id}")
        return row

    def _by_telegram_id(self, telegram_id: int) -> PersonRow | None:
        return self.session.exec(
            select(PersonRow).where(PersonRow.telegram_id == telegram_id)
        ).first()

    def person_by_telegram_id(self, telegram_id: int) -> Person | None:
        row = self._by_telegram_id(telegram_id)
        return person_of(row) if row else None

    def person(self, person_id: int) -> Person:
        return person_of(self._row(person_id))

    def save_person(self, info: PersonInfo, language: str, now: datetime) -> Person:
        row = self._by_telegram_id(info.telegram_id)
        first_name = info.first_name[:256]
        username = (info.username or None) and info.username[:64]
        if row is None:
            row = PersonRow(
                telegram_id=info.telegram_id,
                first_name=first_name,
                username=username,
                language=language,
                first_contact_at=now,
                last_seen_at=now,
            )
            self.session.add(row)
            self.session.flush()
            return person_of(row)
        # Written only when something changed: most messages change nothing here.
        if first_name and row.first_name != first_name:
            row.first_name = first_name
        if row.username != username:
            row.username = username
        if row.blocked_at is not None:
            row.blocked_at = None  # writing to the bot means it is not blocked
        if now - row.last_seen_at >= SEEN_PRECISION:
            row.last_seen_at = now
        if self.session.is_modified(row):
            self.session.add(row)
        return person_of(row)

    def set_language(self, person_id: int, language: str) -> None:
        row = self._row(person_id)
        row.language = language
        row.language_chosen = True
        self.session.add(row)

    def set_awaiting_question(self, person_id: int, awaiting: bool) -> None:
        row = self._row(person_id)
        row.awaiting_question = awaiting
        self.session.add(row)

    def set_handover_offered(self, person_id: int, offered: bool) -> None:
        row = self._row(person_id)
        row.handover_offered = offered
        self.session.add(row)

    def remember_question(self, person_id: int, message_id: int, text: str) -> None:
        row = self._row(person_id)
        row.last_question_message_id = message_id
        row.last_question_text = text[:MAX_STORED_TEXT]
        self.session.add(row)

    def set_staff_thread(self, person_id: int, thread_id: int | None) -> None:
        """Remember the person's forum topic (set by the outbox sender)."""
        row = self._row(person_id)
        row.staff_thread_id = thread_id
        self.session.add(row)

    def mark_blocked(self, telegram_id: int, now: datetime) -> None:
        """The person blocked the bot: stop sending them announcements."""
        row = self._by_telegram_id(telegram_id)
        if row is not None:
            row.blocked_at = now
            self.session.add(row)

    # ------------------------------------------------------------ tickets
    def latest_ticket(self, person_id: int) -> Ticket | None:
        row = self.session.exec(
            select(TicketRow)
            .where(TicketRow.person_id == person_id)
            .order_by(col(TicketRow.id).desc())
            .limit(1)
        ).first()
        return ticket_of(row) if row else None

    def create_ticket(self, person_id: int, now: datetime) -> Ticket:
        row = TicketRow(
            person_id=person_id,
            state=TicketState.OPEN.value,
            created_at=now,
            updated_at=now,
            last_person_at=now,
        )
        self.session.add(row)
        self.session.flush()
        return ticket_of(row)

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
        row = self.session.get(TicketRow, ticket_id)
        if row is None:
            raise LookupError(f"no ticket {ticket_id}")
        if state is not None:
            row.state = state.value
            row.closed_at = now if state is TicketState.CLOSED else None
        if person_wrote:
            row.last_person_at = now
        if staff_name is not None:
            row.last_staff_at = now
            row.last_staff_name = staff_name[:256]
        if reminded:
            row.reminded_at = now
        row.updated_at = now
        self.session.add(row)
        self.session.flush()
        return ticket_of(row)

    def ticket_by_thread(self, thread_id: int) -> tuple[Ticket, Person] | None:
        person = self.session.exec(
            select(PersonRow).where(PersonRow.staff_thread_id == thread_id)
        ).first()
        if person is None or person.id is None:
            return None
        ticket = self.latest_ticket(person.id)
        return (ticket, person_of(person)) if ticket else None

    def ticket_by_id(self, ticket_id: int) -> tuple[Ticket, Person] | None:
        row = self.session.get(TicketRow, ticket_id)
        if row is None:
            return None
        return ticket_of(row), person_of(self._row(row.person_id))

    def active_tickets(self) -> list[tuple[Ticket, Person]]:
        rows = self.session.exec(
            select(TicketRow, PersonRow)
            .join(PersonRow, col(PersonRow.id) == col(TicketRow.person_id))
            .where(TicketRow.state != TicketState.CLOSED.value)
            .order_by(col(TicketRow.created_at))
        ).all()
        return [(ticket_of(t), person_of(p)) for t, p in rows]

    # ------------------------------------------------------------ message map
    def link_messages(
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
        """Record one copied message (written by the sender once Telegram accepted it)."""
        known = self.session.exec(
            select(MessageLinkRow.id).where(
                MessageLinkRow.staff_chat_id == staff_chat_id,
                MessageLinkRow.staff_message_id == staff_message_id,
            )
        ).first()
        if known is not None:
            return  # recorded already (a message found again after a crash)
        self.session.add(
            MessageLinkRow(
                ticket_id=ticket_id,
                to_staff=to_staff,
                person_chat_id=person_chat_id,
                person_message_id=person_message_id,
                staff_chat_id=staff_chat_id,
                staff_message_id=staff_message_id,
                created_at=now,
            )
        )

    def staff_post_of(self, person_chat_id: int, person_message_id: int) -> MessageRef | None:
        row = self.session.exec(
            select(MessageLinkRow)
            .where(
                MessageLinkRow.person_chat_id == person_chat_id,
                MessageLinkRow.person_message_id == person_message_id,
                col(MessageLinkRow.to_staff).is_(True),
            )
            .order_by(col(MessageLinkRow.id).desc())
        ).first()
        return MessageRef(row.staff_chat_id, row.staff_message_id) if row else None

    # ------------------------------------------------------------ logs
    def log_unanswered(
        self,
        person_id: int | None,
        text: str,
        language: str,
        best: Alternative | None,
        now: datetime,
    ) -> None:
        self.session.add(
            UnansweredRow(
                person_id=person_id,
                text=text[:MAX_STORED_TEXT],
                normalized=normalise(text)[:MAX_STORED_TEXT],
                language=language,
                best_guess=best.intent if best else None,
                confidence=best.confidence if best else None,
                created_at=now,
            )
        )

    def unanswered_summary(self, limit: int = 20) -> list[UnansweredSummary]:
        """Unanswered questions grouped by normalised text, most frequent first."""
        rows = self.session.exec(
            select(
                UnansweredRow.normalized,
                func.count(),
                func.max(UnansweredRow.created_at),
                func.max(UnansweredRow.id),
            )
            .group_by(UnansweredRow.normalized)
            .order_by(func.count().desc(), func.max(UnansweredRow.created_at).desc())
            .limit(limit)
        ).all()
        out: list[UnansweredSummary] = []
        for _normalized, count, last_at, last_id in rows:
            sample = self.session.get(UnansweredRow, last_id)
            if sample is None:
                continue
            out.append(UnansweredSummary(sample.text, int(count), last_at, sample.best_guess))
        return out

    def record_feedback(
        self,
        person_id: int,
        topic: str,
        helpful: bool,
        chat_id: int,
        message_id: int,
        now: datetime,
    ) -> None:
        """Store one vote per answer message (a second tap changes the vote)."""
        row = self.session.exec(
            select(FeedbackRow).where(
                FeedbackRow.chat_id == chat_id, FeedbackRow.message_id == message_id
            )
        ).first()
        if row is None:
            row = FeedbackRow(
                person_id=person_id,
                topic=topic,
                helpful=helpful,
                chat_id=chat_id,
                message_id=message_id,
                created_at=now,
            )
        else:
            row.helpful = helpful
            row.created_at = now
        self.session.add(row)

    def feedback_counts(self) -> Counter[tuple[str, bool]]:
        """(topic, helpful) -> number of votes."""
        rows = self.session.exec(
            select(FeedbackRow.topic, FeedbackRow.helpful, func.count()).group_by(
                col(FeedbackRow.topic), col(FeedbackRow.helpful)
            )
        ).all()
        return Counter({(topic, helpful): int(n) for topic, helpful, n in rows})

    def add_learned_example(
        self,
        topic: str,
        text: str,
        language: str,
        ticket_id: int | None,
        added_by: str,
        now: datetime,
    ) -> bool:
        """Store a new example for a topic; False when it is already there."""
        text = " ".join(text.split())[:500]
        exists = self.session.exec(
            select(LearnedExampleRow).where(
                LearnedExampleRow.topic == topic, LearnedExampleRow.text == text
            )
        ).first()
        if exists is not None or not text:
            return False
        try:
            # A savepoint: the same example added at the same moment by another
            # process must not undo the rest of this transaction.
            with self.session.begin_nested():
                self.session.add(
                    LearnedExampleRow(
                        topic=topic,
                        text=text,
                        language=language,
                        ticket_id=ticket_id,
                        added_by=added_by[:256],
                        created_at=now,
                    )
                )
        except IntegrityError:
            return False
        return True


def pending_learned_examples(session: Session) -> list[LearnedExampleRow]:
    """Examples not exported to intents/ yet."""
    return list(
        session.exec(
            select(LearnedExampleRow)
            .where(col(LearnedExampleRow.exported_at).is_(None))
            .order_by(col(LearnedExampleRow.id))
        ).all()
    )


def mark_exported(session: Session, ids: list[int], now: datetime) -> None:
    """Mark learned examples as written to intents/."""
    for row in session.exec(select(LearnedExampleRow).where(col(LearnedExampleRow.id).in_(ids))):
        row.exported_at = now
        session.add(row)
