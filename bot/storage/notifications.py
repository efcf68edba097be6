"""Persistence of subscriptions, broadcasts and their deliveries, known dated items."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, func, select

from bot.storage.models import (
    BroadcastRow,
    DeliveryRow,
    KnownItemRow,
    PersonRow,
    SubscriptionRow,
)


class BroadcastKind(StrEnum):
    """Who made a broadcast."""

    ANNOUNCEMENT = "announcement"  # written by staff
    REMINDER = "reminder"  # a Kongres reminder
    NEWS = "news"  # a new date in knowledge/


class BroadcastState(StrEnum):
    """Life of a broadcast."""

    DRAFT = "draft"
    READY = "ready"  # text written, waiting for confirmation
    SENDING = "sending"
    DONE = "done"
    CANCELLED = "cancelled"


class DeliveryState(StrEnum):
    """What became of one recipient's message."""

    PENDING = "pending"
    SENDING = "sending"  # the request may have left; decided on resume
    SENT = "sent"
    BLOCKED = "blocked"  # the person blocked the bot
    FAILED = "failed"
    UNCERTAIN = "uncertain"  # in flight during a crash: never sent again


@dataclass(frozen=True)
class Broadcast:
    """A broadcast as the sender sees it."""

    id: int
    kind: BroadcastKind
    key: str | None
    theme: str | None
    text_html: str | None
    state: BroadcastState
    created_by: str
    staff_thread_id: int | None
    prompt_message_id: int | None
    progress_message_id: int | None


@dataclass(frozen=True)
class Delivery:
    """One message to send."""

    id: int
    person_id: int
    chat_id: int
    language: str


def _broadcast(row: BroadcastRow) -> Broadcast:
    assert row.id is not None
    return Broadcast(
        id=row.id,
        kind=BroadcastKind(row.kind),
        key=row.key,
        theme=row.theme,
        text_html=row.text_html,
        state=BroadcastState(row.state),
        created_by=row.created_by,
        staff_thread_id=row.staff_thread_id,
        prompt_message_id=row.prompt_message_id,
        progress_message_id=row.progress_message_id,
    )


# ---------------------------------------------------------------- subscriptions
def subscriptions(session: Session, person_id: int) -> set[str]:
    """The themes a person subscribed to."""
    return set(
        session.exec(select(SubscriptionRow.theme).where(SubscriptionRow.person_id == person_id))
    )


def set_subscription(session: Session, person_id: int, theme: str, on: bool, now: datetime) -> None:
    """Subscribe to or unsubscribe from a theme (idempotent)."""
    row = session.exec(
        select(SubscriptionRow).where(
            SubscriptionRow.person_id == person_id, SubscriptionRow.theme == theme
        )
    ).first()
    if on and row is None:
        session.add(SubscriptionRow(person_id=person_id, theme=theme, created_at=now))
    elif not on and row is not None:
        session.delete(row)


def subscriber_count(session: Session, theme: str) -> int:
    """How many reachable people subscribed to a theme."""
    return int(
        session.exec(
            select(func.count())
            .select_from(SubscriptionRow)
            .join(PersonRow, col(PersonRow.id) == col(SubscriptionRow.person_id))
            .where(SubscriptionRow.theme == theme, col(PersonRow.blocked_at).is_(None))
        ).one()
    )


# ---------------------------------------------------------------- broadcasts
def create_broadcast(
    session: Session,
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
    """Create a broadcast; with a ``key`` that exists already, return that one.

    Returns the broadcast and whether it was created now.
    """
    if key is not None:
        existing = session.exec(select(BroadcastRow).where(BroadcastRow.key == key)).first()
        if existing is not None:
            return _broadcast(existing), False
    row = BroadcastRow(
        kind=kind.value,
        key=key,
        theme=theme,
        text_html=text_html,
        state=state.value,
        created_by=created_by[:256],
        created_at=now,
        staff_thread_id=staff_thread_id,
    )
    session.add(row)
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        existing = session.exec(select(BroadcastRow).where(BroadcastRow.key == key)).one()
        return _broadcast(existing), False
    return _broadcast(row), True


def get_broadcast(session: Session, broadcast_id: int) -> Broadcast | None:
    """A broadcast by id."""
    row = session.get(BroadcastRow, broadcast_id)
    return _broadcast(row) if row else None


def broadcast_by_prompt(session: Session, prompt_message_id: int) -> Broadcast | None:
    """The draft announcement whose "write the text" prompt this is."""
    row = session.exec(
        select(BroadcastRow).where(
            BroadcastRow.prompt_message_id == prompt_message_id,
            BroadcastRow.state == BroadcastState.DRAFT.value,
        )
    ).first()
    return _broadcast(row) if row else None


def update_broadcast(
    session: Session,
    broadcast_id: int,
    *,
    state: BroadcastState | None = None,
    theme: str | None = None,
    text_html: str | None = None,
    prompt_message_id: int | None = None,
    progress_message_id: int | None = None,
    now: datetime | None = None,
) -> Broadcast:
    """Change fields of a broadcast."""
    row = session.get(BroadcastRow, broadcast_id)
    if row is None:
        raise LookupError(f"no broadcast {broadcast_id}")
    if state is not None:
        row.state = state.value
        if state is BroadcastState.DONE:
            row.finished_at = now
    if theme is not None:
        row.theme = theme
    if text_html is not None:
        row.text_html = text_html
    if prompt_message_id is not None:
        row.prompt_message_id = prompt_message_id
    if progress_message_id is not None:
        row.progress_message_id = progress_message_id
    session.add(row)
    session.flush()
    return _broadcast(row)


def start_sending(session: Session, broadcast_id: int, now: datetime) -> tuple[Broadcast, int]:
    """Freeze the recipients (reachable subscribers now) and mark the broadcast as sending.

    Idempotent: a broadcast already sending keeps its recipients.
    """
    row = session.get(BroadcastRow, broadcast_id)
    if row is None or row.theme is None:
        raise LookupError(f"no broadcast {broadcast_id} with a theme")
    if row.state == BroadcastState.DRAFT.value or row.state == BroadcastState.READY.value:
        people = session.exec(
            select(PersonRow)
            .join(SubscriptionRow, col(SubscriptionRow.person_id) == col(PersonRow.id))
            .where(SubscriptionRow.theme == row.theme, col(PersonRow.blocked_at).is_(None))
            .order_by(col(PersonRow.id))
        ).all()
        for person in people:
            assert person.id is not None
            session.add(
                DeliveryRow(
                    broadcast_id=broadcast_id,
                    person_id=person.id,
                    chat_id=person.telegram_id,
                    language=person.language,
                    updated_at=now,
                )
            )
        row.state = BroadcastState.SENDING.value
        session.add(row)
        session.flush()
    total = session.exec(
        select(func.count())
        .select_from(DeliveryRow)
        .where(DeliveryRow.broadcast_id == broadcast_id)
    ).one()
    return _broadcast(row), int(total)


def sending_broadcasts(session: Session) -> list[Broadcast]:
    """Broadcasts interrupted or in progress (to resume at start-up)."""
    rows = session.exec(
        select(BroadcastRow)
        .where(BroadcastRow.state == BroadcastState.SENDING.value)
        .order_by(col(BroadcastRow.id))
    ).all()
    return [_broadcast(r) for r in rows]


def settle_in_flight(session: Session, broadcast_id: int, now: datetime) -> int:
    """Deliveries that were in flight when the process stopped: never sent twice."""
    rows = session.exec(
        select(DeliveryRow).where(
            DeliveryRow.broadcast_id == broadcast_id,
            DeliveryRow.state == DeliveryState.SENDING.value,
        )
    ).all()
    for row in rows:
        row.state = DeliveryState.UNCERTAIN.value
        row.updated_at = now
        session.add(row)
    return len(rows)


def pending_deliveries(session: Session, broadcast_id: int, limit: int) -> list[Delivery]:
    """The next deliveries to send, in a stable order."""
    rows = session.exec(
        select(DeliveryRow)
        .where(
            DeliveryRow.broadcast_id == broadcast_id,
            DeliveryRow.state == DeliveryState.PENDING.value,
        )
        .order_by(col(DeliveryRow.id))
        .limit(limit)
    ).all()
    return [Delivery(r.id, r.person_id, r.chat_id, r.language) for r in rows if r.id is not None]


def mark_delivery(
    session: Session,
    delivery_id: int,
    state: DeliveryState,
    now: datetime,
    message_id: int | None = None,
) -> None:
    """Record what happened to one delivery."""
    row = session.get(DeliveryRow, delivery_id)
    if row is None:
        return
    row.state = state.value
    row.updated_at = now
    if message_id is not None:
        row.message_id = message_id
    session.add(row)


def delivery_counts(session: Session, broadcast_id: int) -> Counter[str]:
    """Deliveries per state."""
    rows = session.exec(
        select(DeliveryRow.state, func.count())
        .where(DeliveryRow.broadcast_id == broadcast_id)
        .group_by(col(DeliveryRow.state))
    ).all()
    return Counter({state: int(n) for state, n in rows})


# ---------------------------------------------------------------- known items
def known_item_keys(session: Session) -> set[str]:
    """Every dated item seen so far."""
    return set(session.exec(select(KnownItemRow.key)))


def remember_items(session: Session, keys: list[str], announced: bool, now: datetime) -> None:
    """Record dated items as seen (and whether subscribers were told)."""
    for key in keys:
        if session.get(KnownItemRow, key) is None:
            session.add(KnownItemRow(key=key, first_seen_at=now, announced=announced))
