"""Leases: a named job (the reminders, the retention sweep...) runs in one process at a time.

Replicas share the database; each periodic job first takes its lease, which
holds for ``ttl`` and is renewed by its holder on every run. A process that
died loses its leases when they expire. Works the same on SQLite and PostgreSQL.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import or_, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from bot.storage.models import LeaseRow


def take(session: Session, name: str, owner: str, now: datetime, ttl: timedelta) -> bool:
    """Take or renew the lease ``name``; False when another live process holds it."""
    result = session.execute(
        update(LeaseRow)
        .where(
            col(LeaseRow.name) == name,
            or_(col(LeaseRow.owner) == owner, col(LeaseRow.until) < now),
        )
        .values(owner=owner, until=now + ttl)
    )
    if (result.rowcount or 0) > 0:  # type: ignore[attr-defined]
        return True
    if session.get(LeaseRow, name) is not None:
        return False
    try:
        with session.begin_nested():
            session.add(LeaseRow(name=name, owner=owner, until=now + ttl))
    except IntegrityError:
        return False  # another process created it at this moment
    return True


def release(session: Session, name: str, owner: str) -> None:
    """Give a lease up (at a clean stop), so another process can take it at once."""
    row = session.get(LeaseRow, name)
    if row is not None and row.owner == owner:
        session.delete(row)
