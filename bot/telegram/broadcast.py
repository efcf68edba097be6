"""Sending a broadcast to subscribers within Telegram's limits, resumable after a crash.

One broadcast runs at a time. Sends are paced to ``rate`` messages per second
(below Telegram's ~30/s, leaving room for conversations; the application's
AIORateLimiter guards the rest and retries on 429). Each delivery is marked
*sending* before its request and *sent* after it, so a restarted process
resumes with the pending ones and never sends twice: a delivery that was in
flight at the instant of a crash is marked *uncertain* and not repeated.
People who blocked the bot are marked and skipped from then on.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime

from telegram import Bot, InlineKeyboardMarkup
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError, TimedOut

from bot.storage import notifications as store
from bot.storage import repository as repo
from bot.storage.database import Database
from bot.storage.notifications import Broadcast, BroadcastState, Delivery, DeliveryState

logger = logging.getLogger(__name__)

BATCH = 200
#: How often the progress message in the staff group is updated.
PROGRESS_EVERY = 5.0
#: Requests to Telegram in flight at once while broadcasting.
MAX_IN_FLIGHT = 4
#: How long a graceful stop waits for the delivery in progress to finish.
STOP_GRACE = 10.0


@dataclass(frozen=True)
class Message:
    """What one recipient gets."""

    text_html: str
    keyboard: InlineKeyboardMarkup | None = None


Render = Callable[[Broadcast, Delivery], Message | None]
Report = Callable[[Broadcast, dict[str, int], bool], Awaitable[None]]


class Broadcaster:
    """A background worker that sends queued broadcasts one by one."""

    def __init__(
        self,
        bot: Bot,
        db: Database,
        *,
        rate: float,
        render: Render,
        report: Report,
        now: Callable[[], datetime],
    ) -> None:
        self.bot = bot
        self.db = db
        self.interval = 1.0 / rate
        self.render = render
        self.report = report
        self.now = now
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
        """Stop the worker after the delivery in progress (pending ones stay pending).

        Cancelling in the middle of a delivery would leave it marked *sending*
        with its request possibly never sent, and a restart does not repeat
        such a delivery; so the worker is asked to stop between two deliveries
        and only cancelled if that takes longer than ``grace`` seconds.
        """
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
        """Queue every broadcast a previous process left unfinished."""
        resumed = []
        for broadcast in await self.db.run(store.sending_broadcasts):
            settled = await self.db.run(store.settle_in_flight, broadcast.id, self.now())
            if settled:
                logger.warning(
                    "broadcast %s: %d delivery(ies) were in flight at the crash; not repeated",
                    broadcast.id,
                    settled,
                )
            self.enqueue(broadcast.id)
            resumed.append(broadcast.id)
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
                logger.exception(
                    "broadcast %s stopped by an error; it resumes on restart", broadcast_id
                )
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
        broadcast = await self.db.run(store.get_broadcast, broadcast_id)
        if broadcast is None or broadcast.state is not BroadcastState.SENDING:
            return
        self._last_report = time.monotonic()
        while True:
            batch = await self.db.run(store.pending_deliveries, broadcast_id, BATCH)
            if not batch:
                break
            await self._send_batch(broadcast, batch)
            if self._stopping:
                return  # the rest stays pending and resumes at the next start
        broadcast = await self.db.run(
            store.update_broadcast, broadcast_id, state=BroadcastState.DONE, now=self.now()
        )
        counts = dict(await self.db.run(store.delivery_counts, broadcast_id))
        await self._report(broadcast, counts, True)

    async def _send_batch(self, broadcast: Broadcast, batch: list[Delivery]) -> None:
        """Deliver a batch with up to ``MAX_IN_FLIGHT`` requests at once, paced to the rate.

        One request at a time would cap the rate at one message per round trip
        (about 10/s with 100 ms to Telegram); a few in flight keep the pace at
        ``rate``. The whole batch is finished before the next one is read, so a
        delivery put back to *pending* (RetryAfter) is never picked up twice.
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
        counts = dict(await self.db.run(store.delivery_counts, broadcast.id))
        # Read again: the report may have stored its progress message id.
        current = await self.db.run(store.get_broadcast, broadcast.id)
        await self._report(current or broadcast, counts, False)

    async def _report(self, broadcast: Broadcast, counts: dict[str, int], final: bool) -> None:
        try:
            await self.report(broadcast, counts, final)
        except TelegramError as exc:
            logger.warning("could not report broadcast %s progress: %s", broadcast.id, exc)

    async def _deliver(self, broadcast: Broadcast, delivery: Delivery) -> None:
        message = self.render(broadcast, delivery)
        if message is None:
            # Knowledge changed since the broadcast was planned (e.g. a removed date).
            await self.db.run(store.mark_delivery, delivery.id, DeliveryState.FAILED, self.now())
            return
        while True:
            await self._pace()
            await self.db.run(store.mark_delivery, delivery.id, DeliveryState.SENDING, self.now())
            try:
                sent = await self.bot.send_message(
                    chat_id=delivery.chat_id,
                    text=message.text_html,
                    parse_mode=ParseMode.HTML,
                    reply_markup=message.keyboard,
                )
            except RetryAfter as exc:
                # Telegram asks to slow down: nothing was sent, try again later.
                await self.db.run(
                    store.mark_delivery, delivery.id, DeliveryState.PENDING, self.now()
                )
                delay = exc.retry_after
                await asyncio.sleep(
                    delay.total_seconds() if hasattr(delay, "total_seconds") else delay
                )
                continue
            except Forbidden:
                await self.db.run(
                    store.mark_delivery, delivery.id, DeliveryState.BLOCKED, self.now()
                )
                await self.db.run(repo.mark_blocked, delivery.chat_id, self.now())
            except TimedOut:
                # The request may have reached Telegram: never risk a second copy.
                await self.db.run(
                    store.mark_delivery, delivery.id, DeliveryState.UNCERTAIN, self.now()
                )
            except (BadRequest, NetworkError, TelegramError) as exc:
                logger.info("delivery %s failed: %s", delivery.id, exc)
                await self.db.run(
                    store.mark_delivery, delivery.id, DeliveryState.FAILED, self.now()
                )
            else:
                await self.db.run(
                    store.mark_delivery,
                    delivery.id,
                    DeliveryState.SENT,
                    self.now(),
                    sent.message_id,
                )
            return
