"""Updates from Telegram, stored on receipt: nothing accepted is lost, nothing acts twice.

An update is stored (with its raw JSON) before Telegram is told it arrived:
before the next ``getUpdates`` confirms it, or before the webhook answers.
Its id is unique, so a redelivery, or a second replica receiving the same
update, stores nothing and does nothing. The update is marked processed in
the transaction that stores its effects; until then it is processed again
after a crash. The raw JSON is dropped once processed (it holds names and
texts); the id stays for the retention period.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from bot.storage.models import InboundUpdateRow

#: How long a process holds an update it stored, before another one may take it.
CLAIM = timedelta(seconds=60)
#: After this many failed attempts an update is set aside (and the person told).
MAX_ATTEMPTS = 3


@dataclass(frozen=True)
class Stored:
    """An update stored and not processed yet."""

    update_id: int
    payload: str
    attempts: int = 0


def store(
    session: Session, updates: Iterable[tuple[int, str]], owner: str, now: datetime
) -> list[int]:
    """Store updates on receipt; returns the ids that were new (the rest are redeliveries)."""
    fresh: list[int] = []
    for update_id, payload in updates:
        if session.get(InboundUpdateRow, update_id) is not None:
            continue
        try:
            with session.begin_nested():
                session.add(
                    InboundUpdateRow(
                        update_id=update_id,
                        payload=payload,
                        received_at=now,
                        claimed_by=owner,
                        claimed_until=now + CLAIM,
                    )
                )
        except IntegrityError:
            continue  # another replica stored it a moment ago: theirs to process
        fresh.append(update_id)
    return fresh


def mark_processed(session: Session, update_id: int, now: datetime) -> None:
    """The update's effects are stored in this transaction: never process it again."""
    row = session.get(InboundUpdateRow, update_id)
    if row is None:
        # Processed without being stored first (tests feeding the application directly).
        session.add(InboundUpdateRow(update_id=update_id, received_at=now, processed_at=now))
        return
    row.processed_at = now
    row.payload = None
    row.claimed_by = None
    row.claimed_until = None
    session.add(row)


def is_processed(session: Session, update_id: int) -> bool:
    """Whether an update's effects are already stored."""
    row = session.get(InboundUpdateRow, update_id)
    return row is not None and row.processed_at is not None


def record_failure(session: Session, update_id: int, error: str, now: datetime) -> int:
    """An attempt failed; returns the number of attempts so far.

    After :data:`MAX_ATTEMPTS` the update is set aside as failed (processed,
    with its payload kept for the operators).
    """
    row = session.get(InboundUpdateRow, update_id)
    if row is None:
        return MAX_ATTEMPTS
    row.attempts += 1
    row.error = error[:500]
    row.claimed_by = None
    row.claimed_until = None
    if row.attempts >= MAX_ATTEMPTS:
        row.failed = True
        row.processed_at = now
    session.add(row)
    return row.attempts


def claim_pending(
    session: Session, owner: str, now: datetime, limit: int = 500, *, skip_locked: bool = False
) -> list[Stored]:
    """Stored updates nobody is processing (a crash, a replica gone), oldest first."""
    query = (
        select(InboundUpdateRow)
        .where(
            col(InboundUpdateRow.processed_at).is_(None),
            or_(
                col(InboundUpdateRow.claimed_by).is_(None),
                col(InboundUpdateRow.claimed_until) < now,
                col(InboundUpdateRow.claimed_by) == owner,
            ),
        )
        .order_by(col(InboundUpdateRow.update_id))
        .limit(limit)
    )
    if skip_locked:
        query = query.with_for_update(skip_locked=True)
    rows = session.exec(query).all()
    out: list[Stored] = []
    for row in rows:
        row.claimed_by = owner
        row.claimed_until = now + CLAIM
        session.add(row)
        if row.payload is not None:
            out.append(Stored(row.update_id, row.payload, row.attempts))
    return out


def release_all_claims(session: Session) -> None:
    """Free every claim (a single process starting: nobody else can hold one)."""
    for row in session.exec(
        select(InboundUpdateRow).where(
            col(InboundUpdateRow.processed_at).is_(None),
            col(InboundUpdateRow.claimed_by).isnot(None),
        )
    ):
        row.claimed_by = None
        row.claimed_until = None
        session.add(row)
