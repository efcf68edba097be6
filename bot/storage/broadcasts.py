"""Subscriptions, broadcasts and their deliveries, known dated items: on one session.

:class:`SqlBroadcastStore` implements :class:`bot.core.broadcasting.BroadcastStore`.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, func, select

from bot.core.broadcasting import (
    Broadcast,
    BroadcastKind,
    BroadcastState,
    Delivery,
    DeliveryState,
)
from bot.storage.models import (
    BroadcastRow,
    DeliveryRow,
    KnownItemRow,
    PersonRow,
    SubscriptionRow,
)


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


class SqlBroadcastStore:
    """:class:`bot.core.broadcasting.BroadcastStore` on one session."""

    def __init__(self, session: Session) -> None:
        self.session = session

    # ---------------------------------------------------------------- subscriptions
    def subscriptions(self, person_id: int) -> set[str]:
        """The themes a person subscribed to."""
        return set(
            self.session.exec(
                select(SubscriptionRow.theme).where(SubscriptionRow.person_id == person_id)
            )
        )

    def set_subscription(self, person_id: int, theme: str, on: bool, now: datetime) -> None:
        """Subscribe to or unsubscribe from a theme (idempotent)."""
        row = self.session.exec(
            select(SubscriptionRow).where(
                SubscriptionRow.person_id == person_id, SubscriptionRow.theme == theme
            )
        ).first()
        if on and row is None:
            self.session.add(SubscriptionRow(person_id=person_id, theme=theme, created_at=now))
        elif not on and row is not None:
            self.session.delete(row)

    def subscriber_count(self, theme: str) -> int:
        """How many reachable people subscribed to a theme."""
        return int(
            self.session.exec(
                select(func.count())
                .select_from(SubscriptionRow)
                .join(PersonRow, col(PersonRow.id) == col(SubscriptionRow.person_id))
                .where(SubscriptionRow.theme == theme, col(PersonRow.blocked_at).is_(None))
            ).one()
        )

    # ---------------------------------------------------------------- broadcasts
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
        """Create a broadcast; with a ``key`` that exists already, return that one.

        Returns the broadcast and whether it was created now.
        """
        if key is not None:
            existing = self.session.exec(
                select(BroadcastRow).where(BroadcastRow.key == key)
            ).first()
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
        try:
            # A savepoint: another process creating the same keyed broadcast at
            # this moment must not undo the rest of the transaction.
            with self.session.begin_nested():
                self.session.add(row)
        except IntegrityError:
            existing = self.session.exec(select(BroadcastRow).where(BroadcastRow.key == key)).one()
            return _broadcast(existing), False
        return _broadcast(row), True

    def get_broadcast(self, broadcast_id: int) -> Broadcast | None:
        """A broadcast by id."""
        row = self.session.get(BroadcastRow, broadcast_id)
        return _broadcast(row) if row else None

    def broadcast_by_prompt(self, prompt_message_id: int) -> Broadcast | None:
        """The draft announcement whose "write the text" prompt this is."""
        row = self.session.exec(
            select(BroadcastRow).where(
                BroadcastRow.prompt_message_id == prompt_message_id,
                BroadcastRow.state == BroadcastState.DRAFT.value,
            )
        ).first()
        return _broadcast(row) if row else None

    def update_broadcast(
        self,
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
        row = self.session.get(BroadcastRow, broadcast_id)
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
        self.session.add(row)
        self.session.flush()
        return _broadcast(row)

    def start_sending(self, broadcast_id: int, now: datetime) -> tuple[Broadcast, int]:
        """Freeze the recipients (reachable subscribers now) and mark the broadcast as sending.

        Idempotent: a broadcast already sending keeps its recipients.
        """
        row = self.session.get(BroadcastRow, broadcast_id)
        if row is None or row.theme is None:
            raise LookupError(f"no broadcast {broadcast_id} with a theme")
        if row.state == BroadcastState.DRAFT.value or row.state == BroadcastState.READY.value:
            people = self.session.exec(
                select(PersonRow)
                .join(SubscriptionRow, col(SubscriptionRow.person_id) == col(PersonRow.id))
                .where(SubscriptionRow.theme == row.theme, col(PersonRow.blocked_at).is_(None))
                .order_by(col(PersonRow.id))
            ).all()
            for person in people:
                assert person.id is not None
                self.session.add(
                    DeliveryRow(
                        broadcast_id=broadcast_id,
                        person_id=person.id,
                        chat_id=person.telegram_id,
                        language=person.language,
                        updated_at=now,
                    )
                )
            row.state = BroadcastState.SENDING.value
            self.session.add(row)
            self.session.flush()
        total = self.session.exec(
            select(func.count())
            .select_from(DeliveryRow)
            .where(DeliveryRow.broadcast_id == broadcast_id)
        ).one()
        return _broadcast(row), int(total)

    def sending_broadcasts(self) -> list[Broadcast]:
        """Broadcasts interrupted or in progress (to resume at start-up)."""
        rows = self.session.exec(
            select(BroadcastRow)
            .where(BroadcastRow.state == BroadcastState.SENDING.value)
            .order_by(col(BroadcastRow.id))
        ).all()
        return [_broadcast(r) for r in rows]

    def release_in_flight(self, broadcast_id: int, now: datetime) -> int:
        """Deliveries in flight when the process stopped: pending again (sent at least once)."""
        rows = self.session.exec(
            select(DeliveryRow).where(
                DeliveryRow.broadcast_id == broadcast_id,
                DeliveryRow.state == DeliveryState.SENDING.value,
            )
        ).all()
        for row in rows:
            row.state = DeliveryState.PENDING.value
            row.updated_at = now
            self.session.add(row)
        return len(rows)

    def pending_deliveries(self, broadcast_id: int, limit: int) -> list[Delivery]:
        """The next deliveries to send, in a stable order."""
        rows = self.session.exec(
            select(DeliveryRow)
            .where(
                DeliveryRow.broadcast_id == broadcast_id,
                DeliveryRow.state == DeliveryState.PENDING.value,
            )
            .order_by(col(DeliveryRow.id))
            .limit(limit)
        ).all()
        return [
            Delivery(r.id, r.person_id, r.chat_id, r.language, r.attempts)
            for r in rows
            if r.id is not None
        ]

    def mark_delivery(
        self,
        delivery_id: int,
        state: DeliveryState,
        now: datetime,
        message_id: int | None = None,
        *,
        attempted: bool = False,
    ) -> None:
        """Record what happened to one delivery (``attempted``: a request is leaving now)."""
        row = self.session.get(DeliveryRow, delivery_id)
        if row is None:
            return
        row.state = state.value
        row.updated_at = now
        if attempted:
            row.attempts += 1
        if message_id is not None:
            row.message_id = message_id
        self.session.add(row)

    def delivery_counts(self, broadcast_id: int) -> dict[str, int]:
        """Deliveries per state."""
        rows = self.session.exec(
            select(DeliveryRow.state, func.count())
            .where(DeliveryRow.broadcast_id == broadcast_id)
            .group_by(col(DeliveryRow.state))
        ).all()
        return {state: int(n) for state, n in rows}

    def mark_blocked(self, telegram_id: int, now: datetime) -> None:
        """The person blocked the bot: stop sending them announcements."""
        row = self.session.exec(
            select(PersonRow).where(PersonRow.telegram_id == telegram_id)
        ).first()
        if row is not None:
            row.blocked_at = now
            self.session.add(row)

    # ---------------------------------------------------------------- known items
    def known_item_keys(self) -> set[str]:
        """Every dated item seen so far."""
        return set(self.session.exec(select(KnownItemRow.key)))

    def remember_items(self, keys: list[str], announced: bool, now: datetime) -> None:
        """Record dated items as seen (and whether subscribers were told)."""
        for key in keys:
            if self.session.get(KnownItemRow, key) is None:
                self.session.add(KnownItemRow(key=key, first_seen_at=now, announced=announced))
