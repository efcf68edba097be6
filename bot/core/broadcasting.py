"""Broadcasting: staff announcements, Kongres reminders and news of new dates.

Shaped like :mod:`bot.core.inbox`: the use cases of :class:`Broadcasting`
run inside one transaction and reach the database through
:class:`BroadcastStore`; :class:`Broadcaster` sends the deliveries of a
broadcast through the :class:`DeliverySender` port, paced below Telegram's
limits, resumable after a crash. The Telegram layer only adapts.

A broadcast's recipients are frozen when sending starts (one delivery row
each), so a person gets one copy whatever restarts happen: a delivery is
marked *sent* in the transaction after Telegram accepted it; one that was
in flight when the process died is sent again (at least once: Telegram has
no way to ask whether it arrived). Reminders and news carry a key and are
created once.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Protocol, TypeVar

from bot.core.callbacks import Callback, Kind
from bot.core.html import visible_length
from bot.core.inbox import STAFF_LANGUAGE
from bot.core.knowledge import KnowledgeBase, Theme
from bot.core.messages import MESSAGE_LIMIT, Button, OutMessage
from bot.core.notifications import (
    find_reminder,
    is_upcoming,
    kongres_theme,
    news_candidates,
    plan_reminders,
    render_news,
    render_reminder,
    subscription_footer,
)
from bot.core.translation import Translator

logger = logging.getLogger(__name__)

T = TypeVar("T")

NEWS_PREFIX = "news:"
#: Deliveries read from the database at a time.
BATCH = 200
#: How often the progress message in the staff group is updated.
PROGRESS_EVERY = 5.0
#: Requests to Telegram in flight at once while broadcasting.
MAX_IN_FLIGHT = 4
#: How long a graceful stop waits for the deliveries in flight.
STOP_GRACE = 10.0
#: A delivery that keeps failing (5xx, network) is given up after this many tries.
MAX_ATTEMPTS = 6


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
    SENDING = "sending"  # the request may have left; sent again after a crash
    SENT = "sent"
    BLOCKED = "blocked"  # the person blocked the bot
    FAILED = "failed"
    UNCERTAIN = "uncertain"  # kept for rows of older versions


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
    attempts: int = 0


class BroadcastStore(Protocol):
    """Subscriptions, broadcasts and deliveries inside the current transaction."""

    def subscriptions(self, person_id: int) -> set[str]: ...
    def set_subscription(self, person_id: int, theme: str, on: bool, now: datetime) -> None: ...
    def subscriber_count(self, theme: str) -> int: ...
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
    ) -> tuple[Broadcast, bool]: ...
    def get_broadcast(self, broadcast_id: int) -> Broadcast | None: ...
    def broadcast_by_prompt(self, prompt_message_id: int) -> Broadcast | None: ...
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
    ) -> Broadcast: ...
    def start_sending(self, broadcast_id: int, now: datetime) -> tuple[Broadcast, int]: ...
    def sending_broadcasts(self) -> list[Broadcast]: ...
    def release_in_flight(self, broadcast_id: int, now: datetime) -> int: ...
    def pending_deliveries(self, broadcast_id: int, limit: int) -> list[Delivery]: ...
    def mark_delivery(
        self,
        delivery_id: int,
        state: DeliveryState,
        now: datetime,
        message_id: int | None = None,
        *,
        attempted: bool = False,
    ) -> None: ...
    def mark_blocked(self, telegram_id: int, now: datetime) -> None: ...
    def delivery_counts(self, broadcast_id: int) -> dict[str, int]: ...
    def known_item_keys(self) -> set[str]: ...
    def remember_items(self, keys: list[str], announced: bool, now: datetime) -> None: ...


class BroadcastUnit(Protocol):
    """What broadcasting reaches inside one transaction."""

    @property
    def broadcasts(self) -> BroadcastStore: ...


class Transactions(Protocol):
    """Runs a function inside one database transaction, off the event loop."""

    async def run(self, fn: Callable[[BroadcastUnit], T]) -> T: ...


class Result(StrEnum):
    """What Telegram did with one delivery."""

    SENT = "sent"
    BLOCKED = "blocked"  # 403: never again
    FAILED = "failed"  # a permanent error (400 chat not found...)
    RETRY = "retry"  # 5xx, network, timeout, 429: try again later


@dataclass(frozen=True)
class Sent:
    """The outcome of one send."""

    result: Result
    message_id: int | None = None
    #: for RETRY: how long Telegram asked to wait (429), else None for a backoff
    retry_after: float | None = None


class DeliverySender(Protocol):
    """Sends one broadcast message and reports progress to the staff group."""

    async def deliver(self, chat_id: int, message: OutMessage) -> Sent: ...

    async def report(self, broadcast: Broadcast, text_html: str, final: bool) -> int | None:
        """Post or edit the progress message; returns a new message's id."""
        ...


# ---------------------------------------------------------------- texts
def progress_text(counts: dict[str, int], final: bool, t: Translator) -> str:
    """Progress or final counts of a broadcast, for the staff group."""
    sent = counts.get("sent", 0)
    total = sum(counts.values())
    blocked = counts.get("blocked", 0)
    failed = counts.get("failed", 0) + counts.get("uncertain", 0)
    if final:
        return t.gettext(
            "<b>Announcement sent</b>: delivered {sent} of {total}; "
            "blocked the bot: {blocked}; not delivered: {failed}."
        ).format(sent=sent, total=total, blocked=blocked, failed=failed)
    done = total - counts.get("pending", 0) - counts.get("sending", 0)
    return t.gettext(
        "Sending the announcement: {done} of {total} (blocked the bot: {blocked})."
    ).format(done=done, total=total, blocked=blocked)


def unsubscribe_keyboard(theme: str, t: Translator) -> tuple[tuple[Button, ...], ...]:
    """Under every message to subscribers: one tap to stop them."""
    return (
        (
            Button(
                t.gettext("Stop these notifications"),
                callback=Callback(Kind.SUBSCRIBE, (theme, "0")).encode(),
            ),
        ),
    )


@dataclass(frozen=True)
class Draft:
    """What staff see after writing an announcement's text."""

    broadcast: Broadcast | None
    preview_html: str = ""
    recipients: int = 0
    #: a problem to tell staff instead of a preview
    problem: str | None = None


# ---------------------------------------------------------------- use cases
@dataclass(repr=False)
class Broadcasting:
    """Use cases of subscriptions, announcements, reminders and news."""

    knowledge: Callable[[], KnowledgeBase]
    translator: Callable[[str], Translator]

    def themes(self) -> tuple[Theme, ...]:
        """Every theme a person can subscribe to (knowledge/menu.yaml)."""
        return self.knowledge().navigation.themes

    def _is_theme(self, theme: str) -> bool:
        return self.knowledge().navigation.theme(theme) is not None

    def subscriptions(self, unit: BroadcastUnit, person_id: int) -> set[str]:
        """The themes a person subscribed to."""
        return unit.broadcasts.subscriptions(person_id)

    def switch(
        self, unit: BroadcastUnit, person_id: int, theme: str, on: bool, now: datetime
    ) -> set[str] | None:
        """Subscribe or unsubscribe; the new set, or None for an unknown theme."""
        if not self._is_theme(theme):
            return None
        unit.broadcasts.set_subscription(person_id, theme, on, now)
        return unit.broadcasts.subscriptions(person_id)

    def new_announcement(
        self, unit: BroadcastUnit, author: str, thread_id: int | None, now: datetime
    ) -> tuple[Broadcast, dict[str, int]]:
        """/ogloszenie: a draft, and the number of subscribers of each theme."""
        broadcast, _created = unit.broadcasts.create_broadcast(
            kind=BroadcastKind.ANNOUNCEMENT, now=now, created_by=author, staff_thread_id=thread_id
        )
        counts = {th.id: unit.broadcasts.subscriber_count(th.id) for th in self.themes()}
        return broadcast, counts

    def choose_theme(self, unit: BroadcastUnit, broadcast_id: int, theme: str) -> Broadcast | None:
        """Staff chose who receives a draft; None when it is no longer a draft."""
        broadcast = unit.broadcasts.get_broadcast(broadcast_id)
        if (
            broadcast is None
            or broadcast.state is not BroadcastState.DRAFT
            or not self._is_theme(theme)
        ):
            return None
        return unit.broadcasts.update_broadcast(broadcast_id, theme=theme)

    def remember_prompt(self, unit: BroadcastUnit, broadcast_id: int, message_id: int) -> None:
        """The "write the text" prompt of a draft (its reply is the text)."""
        unit.broadcasts.update_broadcast(broadcast_id, prompt_message_id=message_id)

    def write_text(
        self, unit: BroadcastUnit, prompt_message_id: int, text_html: str | None
    ) -> Draft:
        """A staff reply to the prompt: keep the text and build the preview.

        ``Draft.broadcast`` is None when the message answers no prompt.
        """
        broadcast = unit.broadcasts.broadcast_by_prompt(prompt_message_id)
        if broadcast is None or broadcast.theme is None:
            return Draft(None)
        t = self.translator(STAFF_LANGUAGE)
        if not text_html:
            return Draft(
                broadcast,
                problem=t.gettext("An announcement can only be text. Reply to the prompt again."),
            )
        footer = subscription_footer(self.knowledge(), broadcast.theme, t)
        full = f"{text_html}\n\n{footer}"
        total = visible_length(full)
        if total > MESSAGE_LIMIT:
            return Draft(
                broadcast,
                problem=t.gettext(
                    "The announcement is {n} characters too long. Reply to the prompt again."
                ).format(n=total - MESSAGE_LIMIT),
            )
        broadcast = unit.broadcasts.update_broadcast(
            broadcast.id, text_html=text_html, state=BroadcastState.READY
        )
        recipients = unit.broadcasts.subscriber_count(broadcast.theme or "")
        return Draft(broadcast, preview_html=full, recipients=recipients)

    def confirm(
        self, unit: BroadcastUnit, broadcast_id: int, now: datetime
    ) -> tuple[Broadcast, int] | None:
        """Staff confirmed: freeze the recipients; None unless it was ready."""
        broadcast = unit.broadcasts.get_broadcast(broadcast_id)
        if broadcast is None or broadcast.state is not BroadcastState.READY:
            return None
        return unit.broadcasts.start_sending(broadcast_id, now)

    def cancel(self, unit: BroadcastUnit, broadcast_id: int) -> bool:
        """Cancel a draft or a ready announcement; False when it is too late."""
        broadcast = unit.broadcasts.get_broadcast(broadcast_id)
        if broadcast is None or broadcast.state not in (BroadcastState.DRAFT, BroadcastState.READY):
            return False
        unit.broadcasts.update_broadcast(broadcast_id, state=BroadcastState.CANCELLED)
        return True

    def progress_shown(self, unit: BroadcastUnit, broadcast_id: int, message_id: int) -> None:
        """Remember the progress message of a broadcast (edited in place)."""
        unit.broadcasts.update_broadcast(broadcast_id, progress_message_id=message_id)

    def announce_news(self, unit: BroadcastUnit, now: datetime) -> list[int]:
        """Broadcasts to start for dates that appeared in knowledge/ since last time.

        On the very first start every current item is only noted: subscribers
        are not told about what was already known before they could subscribe.
        """
        kb = self.knowledge()
        known = unit.broadcasts.known_item_keys()
        new = [item for item in news_candidates(kb) if item.key not in known]
        if not new:
            return []
        if not known:
            unit.broadcasts.remember_items([i.key for i in new], False, now)
            return []
        started: list[int] = []
        for item in new:
            if is_upcoming(kb, item.key, now):
                broadcast, _created = unit.broadcasts.create_broadcast(
                    kind=BroadcastKind.NEWS,
                    now=now,
                    key=NEWS_PREFIX + item.key,
                    theme=item.theme,
                    state=BroadcastState.READY,
                )
                started.extend(self._launch(unit, broadcast, now))
        unit.broadcasts.remember_items([i.key for i in new], True, now)
        return started

    def due_reminders(self, unit: BroadcastUnit, now: datetime) -> list[int]:
        """Broadcasts to start for Kongres reminders due now (each created once)."""
        started: list[int] = []
        kb = self.knowledge()
        theme = kongres_theme(kb)
        if theme is None:
            return started  # nobody can subscribe to the Kongres in this content
        for reminder in plan_reminders(kb):
            if not reminder.due(now):
                continue
            broadcast, _created = unit.broadcasts.create_broadcast(
                kind=BroadcastKind.REMINDER,
                now=now,
                key=reminder.key,
                theme=theme,
                state=BroadcastState.READY,
            )
            started.extend(self._launch(unit, broadcast, now))
        return started

    def _launch(self, unit: BroadcastUnit, broadcast: Broadcast, now: datetime) -> list[int]:
        if broadcast.state in (BroadcastState.DRAFT, BroadcastState.READY):
            broadcast, _total = unit.broadcasts.start_sending(broadcast.id, now)
        return [broadcast.id] if broadcast.state is BroadcastState.SENDING else []

    def render(self, broadcast: Broadcast, delivery: Delivery) -> OutMessage | None:
        """The message of one recipient, in their language (None if its subject is gone)."""
        t = self.translator(delivery.language)
        kb = self.knowledge()
        theme = broadcast.theme or kongres_theme(kb) or ""
        if broadcast.kind is BroadcastKind.ANNOUNCEMENT:
            body = broadcast.text_html or ""
        elif broadcast.kind is BroadcastKind.REMINDER and broadcast.key is not None:
            reminder = find_reminder(kb, broadcast.key)
            if reminder is None:
                return None
            body = render_reminder(kb, reminder, t)
        elif broadcast.key is not None:
            news = render_news(kb, broadcast.key.removeprefix(NEWS_PREFIX), t)
            if news is None:
                return None
            body = news
        else:
            return None
        footer = subscription_footer(kb, theme, t)
        return OutMessage(f"{body}\n\n{footer}", unsubscribe_keyboard(theme, t))


# ---------------------------------------------------------------- sending
class Broadcaster:
    """A background worker that sends queued broadcasts one by one."""

    def __init__(
        self,
        units: Transactions,
        sender: DeliverySender,
        broadcasting: Broadcasting,
        *,
        rate: float,
        now: Callable[[], datetime],
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.units = units
        self.sender = sender
        self.broadcasting = broadcasting
        self.interval = 1.0 / rate
        self.now = now
        self.sleep = sleep
        self._queue: asyncio.Queue[int] = asyncio.Queue()
        self._queued: set[int] = set()
        self._task: asyncio.Task[None] | None = None
        self._next_slot = 0.0
        self._stopping = False
        self._busy = False
        self._last_report = 0.0
        #: set when the queue is empty and nothing is being sent
        self.idle = asyncio.Event()
        self.idle.set()

    def start(self) -> None:
        """Start the worker in the running event loop."""
        self._stopping = False
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._work(), name="broadcaster")

    async def stop(self, grace: float = STOP_GRACE) -> None:
        """Stop after the deliveries in flight (pending ones stay pending)."""
        if self._task is None:
            return
        self._stopping = True
        task, self._task = self._task, None
        if self._busy:
            with contextlib.suppress(TimeoutError, asyncio.CancelledError):
                await asyncio.wait_for(asyncio.shield(task), grace)
        if not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    def enqueue(self, broadcast_id: int) -> None:
        """Queue a broadcast (once) for sending."""
        if broadcast_id in self._queued:
            return
        self._queued.add(broadcast_id)
        self.idle.clear()
        self._queue.put_nowait(broadcast_id)

    async def resume(self) -> list[int]:
        """Queue every broadcast left unfinished (in flight at a crash: sent again)."""

        def unfinished(unit: BroadcastUnit) -> list[tuple[int, int]]:
            now = self.now()
            return [
                (b.id, unit.broadcasts.release_in_flight(b.id, now))
                for b in unit.broadcasts.sending_broadcasts()
            ]

        resumed = []
        for broadcast_id, released in await self.units.run(unfinished):
            if released:
                logger.warning(
                    "broadcast %s: %d delivery(ies) were in flight at the stop; sending again",
                    broadcast_id,
                    released,
                )
            self.enqueue(broadcast_id)
            resumed.append(broadcast_id)
        return resumed

    async def _work(self) -> None:
        while not self._stopping:
            broadcast_id = await self._queue.get()
            self._busy = True
            try:
                await self._send(broadcast_id)
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("broadcast %s stopped by an error; it resumes", broadcast_id)
            finally:
                self._busy = False
                self._queued.discard(broadcast_id)
                self._queue.task_done()
                if self._queue.empty():
                    self.idle.set()

    async def _pace(self) -> None:
        loop = asyncio.get_running_loop()
        now = loop.time()
        # The slot is taken before sleeping: concurrent deliveries get one each.
        slot = max(self._next_slot, now)
        self._next_slot = slot + self.interval
        if slot > now:
            await asyncio.sleep(slot - now)

    async def _send(self, broadcast_id: int) -> None:
        broadcast = await self.units.run(lambda u: u.broadcasts.get_broadcast(broadcast_id))
        if broadcast is None or broadcast.state is not BroadcastState.SENDING:
            return
        self._last_report = time.monotonic()
        while True:
            batch = await self.units.run(
                lambda u: u.broadcasts.pending_deliveries(broadcast_id, BATCH)
            )
            if not batch:
                break
            await self._send_batch(broadcast, batch)
            if self._stopping:
                return  # the rest stays pending and resumes at the next start
        now = self.now()

        def finish(unit: BroadcastUnit) -> tuple[Broadcast, dict[str, int]]:
            done = unit.broadcasts.update_broadcast(
                broadcast_id, state=BroadcastState.DONE, now=now
            )
            return done, unit.broadcasts.delivery_counts(broadcast_id)

        done, counts = await self.units.run(finish)
        await self._report(done, counts, True)

    async def _send_batch(self, broadcast: Broadcast, batch: list[Delivery]) -> None:
        """Deliver a batch with up to ``MAX_IN_FLIGHT`` requests at once, paced to the rate.

        The whole batch is finished before the next one is read, so a delivery
        put back to *pending* is never picked up twice.
        """
        slots = asyncio.Semaphore(MAX_IN_FLIGHT)
        in_flight: set[asyncio.Task[None]] = set()

        def done(task: asyncio.Task[None]) -> None:
            in_flight.discard(task)
            slots.release()

        try:
            for delivery in batch:
                if self._stopping:
                    break
                await slots.acquire()
                task = asyncio.get_running_loop().create_task(self._deliver(broadcast, delivery))
                in_flight.add(task)
                task.add_done_callback(done)
                await self._progress(broadcast)
            results = await asyncio.gather(*in_flight, return_exceptions=True)
        except asyncio.CancelledError:
            for task in in_flight:
                task.cancel()
            raise
        for result in results:
            if isinstance(result, BaseException):
                raise result

    async def _progress(self, broadcast: Broadcast) -> None:
        """Report progress to the staff group every ``PROGRESS_EVERY`` seconds."""
        if time.monotonic() - self._last_report < PROGRESS_EVERY:
            return
        self._last_report = time.monotonic()

        def read(unit: BroadcastUnit) -> tuple[Broadcast | None, dict[str, int]]:
            # Read again: the report may have stored its progress message id.
            return (
                unit.broadcasts.get_broadcast(broadcast.id),
                unit.broadcasts.delivery_counts(broadcast.id),
            )

        current, counts = await self.units.run(read)
        await self._report(current or broadcast, counts, False)

    async def _report(self, broadcast: Broadcast, counts: dict[str, int], final: bool) -> None:
        if broadcast.kind is not BroadcastKind.ANNOUNCEMENT:
            if final:
                logger.info("broadcast %s (%s) finished: %s", broadcast.id, broadcast.key, counts)
            return
        text = progress_text(counts, final, self.broadcasting.translator(STAFF_LANGUAGE))
        try:
            shown = await self.sender.report(broadcast, text, final)
        except Exception as exc:  # a progress message must never stop the sending
            logger.warning("could not report broadcast %s progress: %s", broadcast.id, exc)
            return
        if shown is not None and not final:
            message_id: int = shown
            await self.units.run(
                lambda u: self.broadcasting.progress_shown(u, broadcast.id, message_id)
            )

    async def _deliver(self, broadcast: Broadcast, delivery: Delivery) -> None:
        message = self.broadcasting.render(broadcast, delivery)
        if message is None:
            # Knowledge changed since the broadcast was planned (e.g. a removed date).
            await self._mark(delivery, DeliveryState.FAILED)
            return
        attempts = delivery.attempts
        while True:
            await self._pace()
            await self._mark(delivery, DeliveryState.SENDING, attempted=True)
            attempts += 1
            outcome = await self.sender.deliver(delivery.chat_id, message)
            if outcome.result is Result.SENT:
                await self._mark(delivery, DeliveryState.SENT, outcome.message_id)
                return
            if outcome.result is Result.BLOCKED:
                await self.units.run(functools.partial(_blocked, delivery=delivery, now=self.now()))
                return
            if outcome.result is Result.FAILED or attempts >= MAX_ATTEMPTS:
                logger.warning(
                    "broadcast %s: delivery %s given up after %d attempt(s)",
                    broadcast.id,
                    delivery.id,
                    attempts,
                )
                await self._mark(delivery, DeliveryState.FAILED)
                return
            # Telegram asked to wait (429), or a 5xx / network error / timeout.
            delay = outcome.retry_after
            if delay is None:
                delay = min(2.0 ** (attempts - 1), 60.0)
            await self.sleep(delay)

    async def _mark(
        self,
        delivery: Delivery,
        state: DeliveryState,
        message_id: int | None = None,
        *,
        attempted: bool = False,
    ) -> None:
        now = self.now()
        await self.units.run(
            lambda u: u.broadcasts.mark_delivery(
                delivery.id, state, now, message_id, attempted=attempted
            )
        )


def _blocked(unit: BroadcastUnit, *, delivery: Delivery, now: datetime) -> None:
    """The person blocked the bot: this delivery and every later one are off."""
    unit.broadcasts.mark_delivery(delivery.id, DeliveryState.BLOCKED, now)
    unit.broadcasts.mark_blocked(delivery.chat_id, now)
