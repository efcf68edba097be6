"""Units of work on the database: the stores of one session and the outbox.

:class:`SqlTransactions` runs a function inside one transaction on the
database thread. The update being handled (set by the Telegram layer in
:data:`CURRENT_UPDATE`) is marked processed in the first transaction that
changes something (the transport marks it after the handlers otherwise), and the
outbox entries stored by it are handed to the listeners (the local sender)
once it has committed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TypeVar

from sqlmodel import Session

from bot.core.units import CURRENT_UPDATE
from bot.storage import updates
from bot.storage.broadcasts import SqlBroadcastStore
from bot.storage.database import Database, wrote
from bot.storage.outbox import Entry, SqlOutbox
from bot.storage.privacy import SqlPrivacyStore
from bot.storage.repository import SqlInboxStore

T = TypeVar("T")


def utcnow() -> datetime:
    """The wall clock of delivery and claims (never the bot's business clock)."""
    return datetime.now(UTC)


@dataclass(repr=False)
class SqlUnit:
    """:class:`bot.core.units.Unit` on one session."""

    session: Session
    inbox: SqlInboxStore
    broadcasts: SqlBroadcastStore
    outbox: SqlOutbox
    privacy: SqlPrivacyStore


@dataclass(repr=False)
class SqlTransactions:
    """:class:`bot.core.units.Transactions` on the database."""

    db: Database
    owner: str
    staff_chat_id: int
    listeners: list[Callable[[list[Entry]], None]] = field(default_factory=list)
    clock: Callable[[], datetime] = utcnow

    def unit(self, session: Session) -> SqlUnit:
        """The stores of a session (for code already inside a transaction)."""
        return SqlUnit(
            session,
            SqlInboxStore(session),
            SqlBroadcastStore(session),
            SqlOutbox(
                session, owner=self.owner, staff_chat_id=self.staff_chat_id, now=self.clock()
            ),
            SqlPrivacyStore(session),
        )

    async def run(self, fn: Callable[[SqlUnit], T]) -> T:
        context = CURRENT_UPDATE.get()

        def work(session: Session) -> tuple[T, list[Entry], bool]:
            unit = self.unit(session)
            result = fn(unit)
            # Only a transaction with effects settles the update: one that only read
            # (a handler looking whether the message is for it) must not, or a crash
            # before the next handler's transaction would lose what that one stores.
            mark = context is not None and not context.marked and wrote(session)
            if mark:
                assert context is not None
                updates.mark_processed(session, context.update_id, self.clock())
            return result, unit.outbox.stored, mark

        result, stored, marked = await self.db.run(work)
        if marked:
            assert context is not None
            context.marked = True
        if stored:
            for listener in self.listeners:
                listener(stored)
        return result
