"""The outbox table: messages stored with their cause, claimed and completed by senders.

A message is inserted in the transaction of the state change that causes it
(:class:`SqlOutbox`, the core's :class:`~bot.core.messages.Outbox` port). The
process that inserted it holds a short claim on it and sends it at once; any
process may take an entry whose claim has expired (a crashed process, a
replica), so nothing stored is ever lost. Completing an entry stores what
Telegram answered and queues its follow-ups (``then`` / ``on_failed``) in the
same transaction.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import or_, update
from sqlmodel import Session, col, func, select

from bot.core.messages import (
    Button,
    CloseTopic,
    Document,
    MessageRef,
    Outgoing,
    OutMessage,
    Relay,
    StaffMessage,
    ToChat,
    ToTopic,
    Venue,
)
from bot.storage.models import OutboxRow

#: How long the process that stored or claimed an entry keeps it to itself.
CLAIM = timedelta(seconds=30)


class Lane(StrEnum):
    """Where a message goes: Telegram limits the staff group to ~20 messages a minute."""

    PRIVATE = "private"
    STAFF = "staff"


class EntryState(StrEnum):
    """Life of an outbox entry."""

    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"  # a permanent error; its on_failed follow-ups were queued


@dataclass(frozen=True)
class Entry:
    """A stored outgoing message, as a sender handles it."""

    id: int
    lane: Lane
    key: str
    message: Outgoing
    attempts: int = 0
    #: the process that held it before (a dead one: its request may have reached Telegram)
    previous_owner: str | None = None
    #: a request for it was leaving, after this message id of its chat (staff group)
    attempt_anchor: int | None = None
    attempted_at: datetime | None = None


# ---------------------------------------------------------------- (de)serialising
_TYPES: dict[str, type[Any]] = {
    cls.__name__: cls
    for cls in (
        ToChat,
        ToTopic,
        Relay,
        CloseTopic,
        OutMessage,
        Button,
        Document,
        Venue,
        MessageRef,
        StaffMessage,
    )
}


def _encode(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = {f.name: _encode(getattr(value, f.name)) for f in dataclasses.fields(value)}
        return {"type": type(value).__name__, **fields}
    if isinstance(value, tuple | list):
        return [_encode(v) for v in value]
    return value


def _decode(value: Any) -> Any:
    if isinstance(value, dict) and "type" in value:
        cls = _TYPES[value["type"]]
        kwargs = {k: _decode(v) for k, v in value.items() if k != "type"}
        return cls(**kwargs)
    if isinstance(value, list):
        return tuple(_decode(v) for v in value)
    return value


def encode(message: Outgoing) -> str:
    """The JSON of an outgoing message (follow-ups included)."""
    return json.dumps(_encode(message), ensure_ascii=False, separators=(",", ":"))


def decode(payload: str) -> Outgoing:
    """An outgoing message from its JSON."""
    message = _decode(json.loads(payload))
    assert isinstance(message, ToChat | ToTopic | Relay | CloseTopic)
    return message


def route(message: Outgoing, staff_chat_id: int) -> tuple[Lane, str]:
    """The lane of a message and its ordering key (one chat, or one person's topic)."""
    if isinstance(message, ToTopic | CloseTopic):
        return Lane.STAFF, f"topic:{message.person_id}"
    lane = Lane.STAFF if message.chat_id == staff_chat_id else Lane.PRIVATE
    thread = message.thread_id if isinstance(message, ToChat) else None
    return lane, f"chat:{message.chat_id}:{thread or 0}"


def _person_of(message: Outgoing) -> int | None:
    return message.person_id if isinstance(message, ToTopic | CloseTopic) else None


# ---------------------------------------------------------------- the port
class SqlOutbox:
    """:class:`bot.core.messages.Outbox` on one session: stores, claimed by ``owner``."""

    def __init__(self, session: Session, *, owner: str, staff_chat_id: int, now: datetime) -> None:
        self.session = session
        self.owner = owner
        self.staff_chat_id = staff_chat_id
        self.now = now
        #: entries stored in this transaction, for the sender once it commits
        self.stored: list[Entry] = []

    def put(self, *messages: Outgoing) -> None:
        self.stored.extend(insert(self.session, messages, self.owner, self.staff_chat_id, self.now))


def insert(
    session: Session,
    messages: Iterable[Outgoing],
    owner: str,
    staff_chat_id: int,
    now: datetime,
) -> list[Entry]:
    """Store messages, claimed by ``owner`` who will send them right away."""
    rows: list[tuple[OutboxRow, Outgoing]] = []
    for message in messages:
        lane, key = route(message, staff_chat_id)
        row = OutboxRow(
            lane=lane.value,
            key=key,
            kind=type(message).__name__,
            payload=encode(message),
            person_id=_person_of(message),
            state=EntryState.PENDING.value,
            next_attempt_at=now,
            claimed_by=owner,
            claimed_until=now + CLAIM,
            created_at=now,
        )
        session.add(row)
        rows.append((row, message))
    if rows:
        session.flush()
    return [Entry(row.id, Lane(row.lane), row.key, message) for row, message in rows if row.id]


def _entry(row: OutboxRow, previous_owner: str | None = None) -> Entry:
    assert row.id is not None
    anchor = row.anchor if row.attempted_at is not None else None
    return Entry(
        row.id,
        Lane(row.lane),
        row.key,
        decode(row.payload),
        row.attempts,
        previous_owner,
        anchor,
        row.attempted_at,
    )


def mark_attempts(session: Session, ids: Iterable[int], anchor: int | None, now: datetime) -> None:
    """A request for the entries is leaving, their chat's newest known message being ``anchor``.

    Written before sending to the staff group, whose topics share one chat: after
    a crash it tells which of the entries may have reached Telegram, and where
    to look for it.
    """
    session.execute(
        update(OutboxRow)
        .where(col(OutboxRow.id).in_(list(ids)))
        .values(attempted_at=now, anchor=anchor)
    )


# ---------------------------------------------------------------- senders
def claim_due(
    session: Session,
    owner: str,
    now: datetime,
    limit: int = 200,
    *,
    skip_locked: bool = False,
    take_over: bool = False,
) -> list[Entry]:
    """Take the due entries nobody holds, oldest first.

    Entries this process holds are not taken again: it has them in hand (a
    read that raced with their sending would send them twice). ``take_over``:
    also those other processes hold (a single process starting: whoever held
    them is dead).
    """
    query = select(OutboxRow).where(
        OutboxRow.state == EntryState.PENDING.value, col(OutboxRow.next_attempt_at) <= now
    )
    if not take_over:
        query = query.where(
            or_(col(OutboxRow.claimed_by).is_(None), col(OutboxRow.claimed_until) < now),
            or_(col(OutboxRow.claimed_by).is_(None), col(OutboxRow.claimed_by) != owner),
        )
    query = query.order_by(col(OutboxRow.id)).limit(limit)
    if skip_locked:
        query = query.with_for_update(skip_locked=True)
    rows = session.exec(query).all()
    entries: list[Entry] = []
    for row in rows:
        previous = row.claimed_by
        row.claimed_by = owner
        row.claimed_until = now + CLAIM
        session.add(row)
        entries.append(_entry(row, previous))
    return entries


def last_message_ids(session: Session, keys: Iterable[str], staff_chat_id: int) -> dict[str, int]:
    """The newest recorded message id of each key's chat (the anchor of a recovery probe).

    The staff group's ids are shared by every topic: its anchor is the newest
    of all its messages. A private chat's includes broadcast deliveries.
    """
    from bot.storage.models import DeliveryRow

    anchors: dict[str, int] = {}
    staff_anchor: int | None = None
    for key in set(keys):
        chat = _chat_of_key(key, staff_chat_id)
        if chat == staff_chat_id:
            if staff_anchor is None:
                newest = session.exec(
                    select(func.max(OutboxRow.message_id)).where(
                        OutboxRow.lane == Lane.STAFF.value,
                        OutboxRow.state == EntryState.SENT.value,
                    )
                ).one()
                staff_anchor = int(newest or 0)
            anchors[key] = staff_anchor
            continue
        sent = session.exec(
            select(func.max(OutboxRow.message_id)).where(
                OutboxRow.key == key, OutboxRow.state == EntryState.SENT.value
            )
        ).one()
        delivered = session.exec(
            select(func.max(DeliveryRow.message_id)).where(DeliveryRow.chat_id == chat)
        ).one()
        anchors[key] = max(int(sent or 0), int(delivered or 0))
    return anchors


def _chat_of_key(key: str, staff_chat_id: int) -> int:
    kind, _, rest = key.partition(":")
    if kind == "topic":
        return staff_chat_id
    return int(rest.split(":")[0])


def extend_claims(session: Session, ids: Iterable[int], owner: str, now: datetime) -> None:
    """Keep holding entries that are still waiting in this process."""
    ids = list(ids)
    if ids:
        session.execute(
            update(OutboxRow)
            .where(col(OutboxRow.id).in_(ids), col(OutboxRow.claimed_by) == owner)
            .values(claimed_until=now + CLAIM)
        )


def complete(
    session: Session,
    ids: Iterable[int],
    now: datetime,
    message_id: int | None,
    then: Iterable[Outgoing],
    owner: str,
    staff_chat_id: int,
) -> list[Entry]:
    """Telegram accepted: mark the entries sent and queue their follow-ups."""
    for row in session.exec(select(OutboxRow).where(col(OutboxRow.id).in_(list(ids)))):
        row.state = EntryState.SENT.value
        row.sent_at = now
        row.message_id = message_id
        row.claimed_by = None
        row.claimed_until = None
        row.attempted_at = None
        session.add(row)
    return insert(session, then, owner, staff_chat_id, now)


def retry(
    session: Session,
    ids: Iterable[int],
    now: datetime,
    at: datetime,
    error: str,
    *,
    count: bool,
    owner: str,
) -> None:
    """Try again at ``at``; ``owner`` keeps the claim until a while after that.

    ``count``: the attempt failed (a 429 is a wait, not a failure).
    """
    for row in session.exec(select(OutboxRow).where(col(OutboxRow.id).in_(list(ids)))):
        if count:
            row.attempts += 1
        row.next_attempt_at = at
        row.error = error[:500]
        row.claimed_by = owner
        row.claimed_until = at + CLAIM
        row.attempted_at = None  # the outcome of that request is known
        session.add(row)


def fail(
    session: Session,
    ids: Iterable[int],
    now: datetime,
    error: str,
    on_failed: Iterable[Outgoing],
    owner: str,
    staff_chat_id: int,
) -> list[Entry]:
    """A permanent error: mark the entries failed and queue their ``on_failed`` messages."""
    for row in session.exec(select(OutboxRow).where(col(OutboxRow.id).in_(list(ids)))):
        row.state = EntryState.FAILED.value
        row.attempts += 1
        row.error = error[:500]
        row.claimed_by = None
        row.claimed_until = None
        row.attempted_at = None
        session.add(row)
    return insert(session, on_failed, owner, staff_chat_id, now)


def counts(session: Session) -> dict[str, int]:
    """Entries per state (for tests, benchmarks and /inbox)."""
    rows = session.exec(select(OutboxRow.state, func.count()).group_by(col(OutboxRow.state))).all()
    return {state: int(n) for state, n in rows}
