"""Database tables (SQLModel). The schema is managed by Alembic migrations.

Datetimes are timezone-aware; SQLModel stores them in UTC and returns them in UTC.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Column, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel


class PersonRow(SQLModel, table=True):
    """A resident who wrote to the bot."""

    __tablename__ = "person"

    id: int | None = Field(default=None, primary_key=True)
    telegram_id: int = Field(sa_column=Column(BigInteger, unique=True, nullable=False))
    first_name: str = Field(default="", max_length=256)
    username: str | None = Field(default=None, max_length=64)
    language: str = Field(default="pl", max_length=8)
    language_chosen: bool = Field(default=False)
    first_contact_at: datetime
    last_seen_at: datetime = Field(index=True)
    staff_thread_id: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    awaiting_question: bool = Field(default=False)
    last_question_message_id: int | None = Field(
        default=None, sa_column=Column(BigInteger, nullable=True)
    )
    last_question_text: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    blocked_at: datetime | None = Field(default=None)
    handover_offered: bool = Field(default=False)
    #: set when the person had their data erased: the row holds nothing of them any more and
    #: stays only until the note in their staff topic is delivered (see bot.storage.privacy)
    erased_at: datetime | None = Field(default=None, index=True)


class TicketRow(SQLModel, table=True):
    """A question passed to the Biuro staff."""

    __tablename__ = "ticket"
    __table_args__ = (
        Index("ix_ticket_person_state", "person_id", "state"),
        Index("ix_ticket_state_closed", "state", "closed_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", nullable=False)
    state: str = Field(default="open", max_length=16)
    created_at: datetime
    updated_at: datetime
    closed_at: datetime | None = None
    last_person_at: datetime | None = None
    last_staff_at: datetime | None = None
    last_staff_name: str | None = Field(default=None, max_length=256)
    reminded_at: datetime | None = None


class MessageLinkRow(SQLModel, table=True):
    """A message copied between a person's chat and the staff topic."""

    __tablename__ = "message_link"
    __table_args__ = (
        UniqueConstraint("staff_chat_id", "staff_message_id", name="uq_link_staff_message"),
        Index("ix_link_person_message", "person_chat_id", "person_message_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int = Field(foreign_key="ticket.id", nullable=False, index=True)
    to_staff: bool
    person_chat_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    person_message_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    staff_chat_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    staff_message_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    created_at: datetime


class FeedbackRow(SQLModel, table=True):
    """A person's "helped / did not help" on an answer (one vote per answer).

    After the retention period (or an erasure) a vote loses the person, the chat
    and the message: only its topic, its value and its date stay, for statistics.
    """

    __tablename__ = "feedback"
    __table_args__ = (UniqueConstraint("chat_id", "message_id", name="uq_feedback_message"),)

    id: int | None = Field(default=None, primary_key=True)
    person_id: int | None = Field(default=None, foreign_key="person.id", index=True)
    topic: str = Field(max_length=64)
    helpful: bool
    chat_id: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    message_id: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    created_at: datetime = Field(index=True)


class UnansweredRow(SQLModel, table=True):
    """A question the assistant could not answer confidently."""

    __tablename__ = "unanswered"

    id: int | None = Field(default=None, primary_key=True)
    person_id: int | None = Field(default=None, foreign_key="person.id", index=True)
    text: str = Field(sa_column=Column(Text, nullable=False))
    normalized: str = Field(sa_column=Column(Text, nullable=False, index=True))
    language: str = Field(default="pl", max_length=8)
    best_guess: str | None = Field(default=None, max_length=64)
    confidence: float | None = None
    created_at: datetime = Field(index=True)


class InboundUpdateRow(SQLModel, table=True):
    """An update from Telegram, stored on receipt and marked when its effects are stored.

    The raw ``payload`` is kept only until the update is processed (it holds
    the person's name and text); the id stays, so a redelivery acts once.
    """

    __tablename__ = "inbound_update"
    __table_args__ = (Index("ix_inbound_pending", "processed_at", "update_id"),)

    update_id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    payload: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    received_at: datetime
    processed_at: datetime | None = None
    attempts: int = Field(default=0)
    failed: bool = Field(default=False)
    error: str | None = Field(default=None, max_length=500)
    claimed_by: str | None = Field(default=None, max_length=64)
    claimed_until: datetime | None = None


class OutboxRow(SQLModel, table=True):
    """A message to deliver, stored with the state change that caused it.

    ``lane`` is ``private`` (a person's chat) or ``staff`` (the staff group);
    ``key`` orders the messages of one chat or topic (one in flight at a time).
    ``payload`` is the JSON of a :mod:`bot.core.messages` value.
    """

    __tablename__ = "outbox"
    __table_args__ = (
        Index("ix_outbox_due", "state", "next_attempt_at", "id"),
        Index("ix_outbox_key", "key", "state"),
    )

    id: int | None = Field(default=None, primary_key=True)
    lane: str = Field(max_length=16)
    key: str = Field(max_length=64)
    kind: str = Field(max_length=16)
    payload: str = Field(sa_column=Column(Text, nullable=False))
    person_id: int | None = Field(default=None, index=True)
    state: str = Field(default="pending", max_length=16)
    attempts: int = Field(default=0)
    next_attempt_at: datetime
    claimed_by: str | None = Field(default=None, max_length=64)
    claimed_until: datetime | None = None
    created_at: datetime
    sent_at: datetime | None = None
    message_id: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    error: str | None = Field(default=None, max_length=500)
    #: a request for it is leaving now, after the chat's message ``anchor`` (staff group)
    attempted_at: datetime | None = None
    anchor: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))


class LeaseRow(SQLModel, table=True):
    """A named job held by one bot process at a time (replicas share the database)."""

    __tablename__ = "lease"

    name: str = Field(primary_key=True, max_length=64)
    owner: str = Field(max_length=64)
    until: datetime


class LearnedExampleRow(SQLModel, table=True):
    """A person's question that staff attached to a topic as a new example."""

    __tablename__ = "learned_example"
    __table_args__ = (UniqueConstraint("topic", "text", name="uq_learned_topic_text"),)

    id: int | None = Field(default=None, primary_key=True)
    topic: str = Field(max_length=64)
    text: str = Field(sa_column=Column(Text, nullable=False))
    language: str = Field(default="pl", max_length=8)
    ticket_id: int | None = Field(default=None, foreign_key="ticket.id", index=True)
    added_by: str = Field(default="", max_length=256)
    created_at: datetime = Field(index=True)
    exported_at: datetime | None = None


class SubscriptionRow(SQLModel, table=True):
    """A person's subscription to a theme (Kongres, grants, consultations)."""

    __tablename__ = "subscription"
    __table_args__ = (UniqueConstraint("person_id", "theme", name="uq_subscription"),)

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", nullable=False, index=True)
    theme: str = Field(max_length=32, index=True)
    created_at: datetime


class BroadcastRow(SQLModel, table=True):
    """A message to the subscribers of a theme: a staff announcement, a reminder, news.

    ``key`` makes system broadcasts idempotent: a reminder or a piece of news is
    created once, whatever restarts happen.
    """

    __tablename__ = "broadcast"

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=16)
    key: str | None = Field(default=None, max_length=128, unique=True)
    theme: str | None = Field(default=None, max_length=32)
    text_html: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    state: str = Field(default="draft", max_length=16, index=True)
    created_by: str = Field(default="", max_length=256)
    created_at: datetime
    staff_thread_id: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    prompt_message_id: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    progress_message_id: int | None = Field(
        default=None, sa_column=Column(BigInteger, nullable=True)
    )
    finished_at: datetime | None = None


class DeliveryRow(SQLModel, table=True):
    """One recipient of a broadcast and what became of their message."""

    __tablename__ = "delivery"
    __table_args__ = (
        UniqueConstraint("broadcast_id", "person_id", name="uq_delivery"),
        Index("ix_delivery_broadcast_state", "broadcast_id", "state"),
    )

    id: int | None = Field(default=None, primary_key=True)
    broadcast_id: int = Field(foreign_key="broadcast.id", nullable=False)
    person_id: int = Field(foreign_key="person.id", nullable=False, index=True)
    chat_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    language: str = Field(default="pl", max_length=8)
    state: str = Field(default="pending", max_length=16)
    message_id: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    attempts: int = Field(default=0)
    updated_at: datetime


class KnownItemRow(SQLModel, table=True):
    """A dated item (edition, call, consultation) already seen in knowledge/."""

    __tablename__ = "known_item"

    key: str = Field(primary_key=True, max_length=160)
    first_seen_at: datetime
    announced: bool = Field(default=False)
