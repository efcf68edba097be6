"""The unit of work: every use case runs inside one transaction.

A use case reads and changes state through the stores of a :class:`Unit` and
queues what has to be said in its outbox; all of it is committed together,
or none of it. :class:`Transactions` runs a function as one unit, off the
event loop, and marks the update being handled as processed in the same
transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Protocol, TypeVar

from bot.core.broadcasting import BroadcastStore
from bot.core.inbox import InboxStore
from bot.core.messages import Outbox
from bot.core.privacy import PrivacyStore

T = TypeVar("T")


class Unit(Protocol):
    """The stores and the outbox of one transaction."""

    @property
    def inbox(self) -> InboxStore:
        """People, tickets and the logs."""
        ...

    @property
    def broadcasts(self) -> BroadcastStore:
        """Subscriptions and broadcasts."""
        ...

    @property
    def privacy(self) -> PrivacyStore:
        """A person's data as a whole: export, erasure, retention."""
        ...

    @property
    def outbox(self) -> Outbox:
        """Messages delivered once the transaction commits."""
        ...


class Transactions(Protocol):
    """Runs functions as units of work."""

    async def run(self, fn: Callable[[Unit], T]) -> T:
        """Run ``fn`` inside one transaction and return its result."""
        ...


@dataclass
class UpdateContext:
    """The update a handler is working on."""

    update_id: int
    #: its effects were stored and it was marked processed
    marked: bool = False
    #: the error a handler raised, if any
    error: BaseException | None = None


#: Set by the transport around the handling of one incoming update.
CURRENT_UPDATE: ContextVar[UpdateContext | None] = ContextVar("current_update", default=None)
