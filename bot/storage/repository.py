"""Persistence functions (explicit sessions) and the inbox store built on them."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, func, select

from bot.core.inbox import Person, PersonInfo, Ticket, TicketState
from bot.core.matching import Alternative
from bot.core.text import normalise
from bot.storage.database import Database
from bot.storage.models import (
    FeedbackRow,
    LearnedExampleRow,
    MessageLinkRow,
    PersonRow,
    ProcessedUpdateRow,
    TicketRow,
    UnansweredRow,
)

#: How much of a question is kept in the person row and the unanswered log.
MAX_STORED_TEXT = 4000


def _person(row: PersonRow) -> Person:
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
    )


def _ticket(row: TicketRow) -> Ticket:
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


# ---------------------------------------------------------------- people
def upsert_person(session: Session, info: PersonInfo, language: str, now: datetime) -> Person:
    """Create the person on first contact; refresh name and last-seen time."""
    row = session.exec(select(PersonRow).where(PersonRow.telegram_id == info.telegram_id)).first()
    if row is None:
        row = PersonRow(
            telegram_id=info.telegram_id,
            first_name=info.first_name[:256],
            username=(info.username or None) and info.username[:64],
            language=language,
            first_contact_at=now,
            last_seen_at=now,
        )
    else:
        row.first_name = info.first_name[:256] or row.first_name
        row.username = (info.username or None) and info.username[:64]
        row.last_seen_at = now
        row.blocked_at = None  # writing to the bot means it is not blocked
    session.add(row)
    session.flush()
    return _person(row)


def person_by_telegram_id(session: Session, telegram_id: int) -> Person | None:
    """The person with this Telegram id."""
    row = session.exec(select(PersonRow).where(PersonRow.telegram_id == telegram_id)).first()
    return _person(row) if row else None


def get_person(session: Session, person_id: int) -> Person:
    """The person with this id."""
    row = session.get(PersonRow, person_id)
    if row is None:
        raise LookupError(f"no person {person_id}")
    return _person(row)


def _person_row(session: Session, person_id: int) -> PersonRow:
    row = session.get(PersonRow, person_id)
    if row is None:
        raise LookupError(f"no person {person_id}")
    return row


def set_language(session: Session, person_id: int, language: str) -> None:
    """Remember a language the person chose."""
    row = _person_row(session, person_id)
    row.language = language
    row.language_chosen = True
    session.add(row)


def set_awaiting_question(session: Session, person_id: int, awaiting: bool) -> None:
    """Remember that the person's next message is a question for staff."""
    row = _person_row(session, person_id)
    row.awaiting_question = awaiting
    session.add(row)


def remember_question(session: Session, person_id: int, message_id: int, text: str) -> None:
    """Remember the person's last question, so "ask an official" can pass it on."""
    row = _person_row(session, person_id)
    row.last_question_message_id = message_id
    row.last_question_text = text[:MAX_STORED_TEXT]
    session.add(row)


def set_staff_thread(session: Session, person_id: int, thread_id: int | None) -> None:
    """Remember the person's forum topic."""
    row = _person_row(session, person_id)
    row.staff_thread_id = thread_id
    session.add(row)


def mark_blocked(session: Session, telegram_id: int, now: datetime) -> None:
    """The person blocked the bot: stop sending them announcements."""
    row = session.exec(select(PersonRow).where(PersonRow.telegram_id == telegram_id)).first()
    if row is not None:
        row.blocked_at = now
        session.add(row)


# ---------------------------------------------------------------- tickets
def latest_ticket(session: Session, person_id: int) -> Ticket | None:
    """The person's most recent ticket."""
    row = session.exec(
        select(TicketRow)
        .where(TicketRow.person_id == person_id)
        .order_by(col(TicketRow.id).desc())
        .limit(1)
    ).first()
    return _ticket(row) if row else None


def create_ticket(session: Session, person_id: int, now: datetime) -> Ticket:
    """Open a new ticket."""
    row = TicketRow(
        person_id=person_id,
        state=TicketState.OPEN.value,
        created_at=now,
        updated_at=now,
        last_person_at=now,
    )
    session.add(row)
    session.flush()
    return _ticket(row)


def update_ticket(
    session: Session,
    ticket_id: int,
    *,
    state: TicketState | None = None,
    now: datetime,
    person_wrote: bool = False,
    staff_name: str | None = None,
    reminded: bool = False,
) -> Ticket:
    """Change a ticket's state and activity stamps."""
    row = session.get(TicketRow, ticket_id)
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
    session.add(row)
    session.flush()
    return _ticket(row)


def ticket_by_thread(session: Session, thread_id: int) -> tuple[Ticket, Person] | None:
    """The latest ticket of the person whose forum topic this is."""
    person = session.exec(select(PersonRow).where(PersonRow.staff_thread_id == thread_id)).first()
    if person is None or person.id is None:
        return None
    ticket = latest_ticket(session, person.id)
    return (ticket, _person(person)) if ticket else None


def ticket_by_id(session: Session, ticket_id: int) -> tuple[Ticket, Person] | None:
    """A ticket and its person."""
    row = session.get(TicketRow, ticket_id)
    if row is None:
        return None
    return _ticket(row), _person(_person_row(session, row.person_id))


def active_tickets(session: Session) -> list[tuple[Ticket, Person]]:
    """Tickets that are not closed, oldest first."""
    rows = session.exec(
        select(TicketRow, PersonRow)
        .join(PersonRow, col(PersonRow.id) == col(TicketRow.person_id))
        .where(TicketRow.state != TicketState.CLOSED.value)
        .order_by(col(TicketRow.created_at))
    ).all()
    return [(_ticket(t), _person(p)) for t, p in rows]


def link_messages(
    session: Session,
    ticket_id: int,
    *,
    to_staff: bool,
    person_chat_id: int,
    person_message_id: int,
    staff_chat_id: int,
    staff_message_id: int,
    now: datetime,
) -> None:
    """Record one copied message in the message map."""
    session.add(
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


def link_for_staff_message(
    session: Session, staff_chat_id: int, staff_message_id: int
) -> MessageLinkRow | None:
    """The map entry of a message in the staff group."""
    return session.exec(
        select(MessageLinkRow).where(
            MessageLinkRow.staff_chat_id == staff_chat_id,
            MessageLinkRow.staff_message_id == staff_message_id,
        )
    ).first()


def last_question_of_ticket(session: Session, ticket_id: int) -> str | None:
    """The person's latest question text in a ticket (for "add to knowledge")."""
    ticket = session.get(TicketRow, ticket_id)
    if ticket is None:
        return None
    person = session.get(PersonRow, ticket.person_id)
    return person.last_question_text if person else None


# ---------------------------------------------------------------- logs
def log_unanswered(
    session: Session,
    person_id: int | None,
    text: str,
    language: str,
    best: Alternative | None,
    now: datetime,
) -> None:
    """Log a question the assistant could not answer confidently."""
    session.add(
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


@dataclass(frozen=True)
class UnansweredSummary:
    """A group of identical (normalised) unanswered questions."""

    text: str
    count: int
    last_at: datetime
    best_guess: str | None


def unanswered_summary(session: Session, limit: int = 20) -> list[UnansweredSummary]:
    """Unanswered questions grouped by normalised text, most frequent first."""
    rows = session.exec(
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
        sample = session.get(UnansweredRow, last_id)
        if sample is None:
            continue
        out.append(UnansweredSummary(sample.text, int(count), last_at, sample.best_guess))
    return out


def record_feedback(
    session: Session,
    person_id: int,
    topic: str,
    helpful: bool,
    chat_id: int,
    message_id: int,
    now: datetime,
) -> None:
    """Store one vote per answer message (a second tap changes the vote)."""
    row = session.exec(
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
    session.add(row)


def feedback_counts(session: Session) -> Counter[tuple[str, bool]]:
    """(topic, helpful) -> number of votes."""
    rows = session.exec(
        select(FeedbackRow.topic, FeedbackRow.helpful, func.count()).group_by(
            col(FeedbackRow.topic), col(FeedbackRow.helpful)
        )
    ).all()
    return Counter({(topic, helpful): int(n) for topic, helpful, n in rows})


def claim_update(session: Session, update_id: int, now: datetime) -> bool:
    """Record an update id; False when it was already processed (a redelivery)."""
    if session.get(ProcessedUpdateRow, update_id) is not None:
        return False
    session.add(ProcessedUpdateRow(update_id=update_id, processed_at=now))
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        return False
    return True


def add_learned_example(
    session: Session,
    topic: str,
    text: str,
    language: str,
    ticket_id: int | None,
    added_by: str,
    now: datetime,
) -> bool:
    """Store a new example for a topic; False when it is already there."""
    text = " ".join(text.split())[:500]
    exists = session.exec(
        select(LearnedExampleRow).where(
            LearnedExampleRow.topic == topic, LearnedExampleRow.text == text
        )
    ).first()
    if exists is not None or not text:
        return False
    session.add(
        LearnedExampleRow(
            topic=topic,
            text=text,
            language=language,
            ticket_id=ticket_id,
            added_by=added_by[:256],
            created_at=now,
        )
    )
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


class SqlInboxStore:
    """:class:`bot.core.inbox.InboxStore` on the database."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def upsert_person(self, info: PersonInfo, language: str, now: datetime) -> Person:
        return await self.db.run(upsert_person, info, language, now)

    async def person_by_telegram_id(self, telegram_id: int) -> Person | None:
        return await self.db.run(person_by_telegram_id, telegram_id)

    async def person(self, person_id: int) -> Person:
        return await self.db.run(get_person, person_id)

    async def set_language(self, person_id: int, language: str) -> None:
        await self.db.run(set_language, person_id, language)

    async def set_awaiting_question(self, person_id: int, awaiting: bool) -> None:
        await self.db.run(set_awaiting_question, person_id, awaiting)

    async def remember_question(self, person_id: int, message_id: int, text: str) -> None:
        await self.db.run(remember_question, person_id, message_id, text)

    async def set_staff_thread(self, person_id: int, thread_id: int | None) -> None:
        await self.db.run(set_staff_thread, person_id, thread_id)

    async def latest_ticket(self, person_id: int) -> Ticket | None:
        return await self.db.run(latest_ticket, person_id)

    async def create_ticket(self, person_id: int, now: datetime) -> Ticket:
        return await self.db.run(create_ticket, person_id, now)

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
        return await self.db.run(
            update_ticket,
            ticket_id,
            state=state,
            now=now,
            person_wrote=person_wrote,
            staff_name=staff_name,
            reminded=reminded,
        )

    async def ticket_by_thread(self, thread_id: int) -> tuple[Ticket, Person] | None:
        return await self.db.run(ticket_by_thread, thread_id)

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
        await self.db.run(
            link_messages,
            ticket_id,
            to_staff=to_staff,
            person_chat_id=person_chat_id,
            person_message_id=person_message_id,
            staff_chat_id=staff_chat_id,
            staff_message_id=staff_message_id,
            now=now,
        )

    async def active_tickets(self) -> list[tuple[Ticket, Person]]:
        return await self.db.run(active_tickets)

    async def log_unanswered(
        self,
        person_id: int | None,
        text: str,
        language: str,
        best: Alternative | None,
        now: datetime,
    ) -> None:
        await self.db.run(log_unanswered, person_id, text, language, best, now)
