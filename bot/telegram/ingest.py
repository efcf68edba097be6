"""Updates in: stored before Telegram is told they arrived, then handled concurrently.

* :class:`Poller` (long polling) stores each batch of updates before the next
  ``getUpdates`` call confirms it; :class:`WebhookServer` stores an update
  before answering Telegram's POST. A crash therefore never loses an update,
  and a stored id makes a redelivery (or a second replica) do nothing.
* :class:`PerChatProcessor` handles updates concurrently, each chat's own in
  arrival order, so one slow conversation never stalls the others.
* An update is marked processed in the transaction that stores its effects
  (:class:`bot.storage.units.SqlTransactions`); one that failed is tried again
  a few times and then set aside, and the person is told plainly that it
  could not be handled (never that it reached the office).
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from telegram import Bot, Update
from telegram.error import Conflict, InvalidToken, NetworkError, TelegramError
from telegram.ext import Application, BaseUpdateProcessor

from bot.core.units import CURRENT_UPDATE, UpdateContext
from bot.storage import updates as store
from bot.storage.database import Database
from bot.storage.units import utcnow

logger = logging.getLogger(__name__)

#: How many updates are handled at once (different chats).
MAX_CONCURRENT = 256
#: Seconds before a failed update is tried again (then it is set aside).
RETRY_DELAYS = (2.0, 15.0)
#: How often stored but unprocessed updates (a crashed replica's) are looked for.
SWEEP_EVERY = 30.0

Failed = Callable[[Update], Awaitable[None]]


def chat_key(update: object) -> int | None:
    """The chat whose updates must stay in order (None: no order needed)."""
    if not isinstance(update, Update):
        return None
    chat = update.effective_chat
    return chat.id if chat is not None else None


class PerChatProcessor(BaseUpdateProcessor):
    """Concurrent updates, each chat's in the order they arrived."""

    def __init__(self, max_concurrent_updates: int = MAX_CONCURRENT) -> None:
        super().__init__(max_concurrent_updates)
        self._locks: dict[int, asyncio.Lock] = {}
        self._waiting: dict[int, int] = {}
        #: set by :class:`Intake`: what to do once an update was handled
        self.after: Callable[[Update, UpdateContext], Awaitable[None]] | None = None

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        key = chat_key(update)
        if key is None:
            await self._handle(update, coroutine)
            return
        lock = self._locks.setdefault(key, asyncio.Lock())
        self._waiting[key] = self._waiting.get(key, 0) + 1
        try:
            async with lock:
                await self._handle(update, coroutine)
        finally:
            self._waiting[key] -= 1
            if not self._waiting[key]:
                del self._waiting[key]
                self._locks.pop(key, None)

    async def _handle(self, update: object, coroutine: Awaitable[Any]) -> None:
        if not isinstance(update, Update):
            await coroutine
            return
        context = UpdateContext(update.update_id)
        token = CURRENT_UPDATE.set(context)
        try:
            await coroutine
        finally:
            CURRENT_UPDATE.reset(token)
        if self.after is not None:
            await self.after(update, context)

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to release."""


class Intake:
    """Stores updates, hands them to the application, settles them after handling."""

    def __init__(
        self,
        application: Application,  # type: ignore[type-arg]
        db: Database,
        *,
        owner: str,
        on_given_up: Failed,
        skip_locked: bool = False,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.application = application
        self.db = db
        self.owner = owner
        self.on_given_up = on_given_up
        self.skip_locked = skip_locked
        self.clock = clock
        self._in_flight: set[int] = set()
        self._timers: set[asyncio.TimerHandle] = set()
        self._retries: set[asyncio.Task[None]] = set()
        #: told (chat id, message id) of every message received
        self.observers: list[Callable[[int, int], None]] = []
        processor = application.update_processor
        if isinstance(processor, PerChatProcessor):
            processor.after = self.settle

    async def accept(self, received: list[tuple[Update, str]]) -> list[int]:
        """Store updates (raw JSON) and queue the new ones; returns their ids."""
        if not received:
            return []
        fresh = set(
            await self.db.run(
                store.store, [(u.update_id, raw) for u, raw in received], self.owner, self.clock()
            )
        )
        for update, _raw in received:
            message = update.effective_message
            if message is not None:
                for observe in self.observers:
                    observe(message.chat_id, message.message_id)
            if update.update_id in fresh:
                await self._dispatch(update)
            else:
                logger.info("update %s was received before; skipped", update.update_id)
        return sorted(fresh)

    async def _dispatch(self, update: Update) -> None:
        if update.update_id in self._in_flight:
            return
        self._in_flight.add(update.update_id)
        await self.application.update_queue.put(update)

    async def recover(self) -> int:
        """Queue updates stored but never processed (a crash, a replica gone)."""
        stored = await self.db.run(
            store.claim_pending, self.owner, self.clock(), skip_locked=self.skip_locked
        )
        count = 0
        for row in stored:
            if row.update_id in self._in_flight:
                continue
            update = Update.de_json(json.loads(row.payload), self.application.bot)
            await self._dispatch(update)
            count += 1
        if count:
            logger.warning("%d stored update(s) were not processed yet; processing them now", count)
        return count

    async def settle(self, update: Update, context: UpdateContext) -> None:
        """After the handlers: mark the update done, or try it again later."""
        now = self.clock()
        try:
            if context.error is None:
                if not context.marked:
                    await self.db.run(store.mark_processed, update.update_id, now)
                return
            attempts = await self.db.run(
                store.record_failure, update.update_id, repr(context.error)[:500], now
            )
        finally:
            self._in_flight.discard(update.update_id)
        if attempts >= store.MAX_ATTEMPTS:
            logger.error(
                "update %s failed %d times and is set aside: %r",
                update.update_id,
                attempts,
                context.error,
            )
            await self.on_given_up(update)
            return
        delay = RETRY_DELAYS[min(attempts, len(RETRY_DELAYS)) - 1]
        loop = asyncio.get_running_loop()

        def again() -> None:
            task = loop.create_task(self._dispatch(update))
            self._retries.add(task)
            task.add_done_callback(self._retries.discard)

        handle = loop.call_later(delay, again)
        self._timers.add(handle)

    def cancel_timers(self) -> None:
        """Forget pending retries (they stay stored and are recovered at the next start)."""
        for handle in self._timers:
            handle.cancel()
        self._timers.clear()


class Poller:
    """Long polling: store each batch before the next request confirms it."""

    def __init__(
        self,
        bot: Bot,
        intake: Intake,
        *,
        allowed_updates: list[str],
        timeout: int = 30,
    ) -> None:
        self.bot = bot
        self.intake = intake
        self.allowed_updates = allowed_updates
        self.timeout = timeout
        self._task: asyncio.Task[None] | None = None
        self._stopping = False

    def start(self) -> None:
        """Start polling in the running loop."""
        self._stopping = False
        self._task = asyncio.get_running_loop().create_task(self._run(), name="poller")

    async def stop(self) -> None:
        """Stop polling (updates not yet confirmed are delivered again next time)."""
        self._stopping = True
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        # A webhook left over from webhook mode would make getUpdates fail.
        with contextlib.suppress(TelegramError):
            await self.bot.delete_webhook(drop_pending_updates=False)
        offset: int | None = None
        failures = 0
        while not self._stopping:
            try:
                batch = await self.bot.get_updates(
                    offset=offset,
                    timeout=self.timeout,
                    allowed_updates=self.allowed_updates,
                    read_timeout=self.timeout + 10,
                )
            except asyncio.CancelledError:
                raise
            except InvalidToken:
                logger.error("Telegram refused the token; polling stops")
                return
            except Conflict as exc:
                logger.error("another process polls with this token (%s); retrying", exc.message)
                await asyncio.sleep(5.0)
                continue
            except (NetworkError, TelegramError) as exc:
                failures += 1
                delay = min(2.0**failures, 30.0)
                logger.warning("getUpdates failed (%s); again in %.0f s", exc, delay)
                await asyncio.sleep(delay)
                continue
            failures = 0
            if not batch:
                continue
            try:
                await self.intake.accept([(u, json.dumps(u.to_dict())) for u in batch])
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                # Not stored: do not confirm; the same batch comes again.
                logger.warning("could not store updates (%s); fetching them again", exc)
                await asyncio.sleep(1.0)
                continue
            offset = batch[-1].update_id + 1


class WebhookServer:
    """Telegram's POSTs: checked, stored, then answered 200 (Telegram retries otherwise)."""

    def __init__(
        self,
        bot: Bot,
        intake: Intake,
        *,
        listen: str,
        port: int,
        path: str,
        secret: str,
    ) -> None:
        self.bot = bot
        self.intake = intake
        self.listen = listen
        self.port = port
        self.path = path
        self.secret = secret
        self._server: Any = None

    async def start(self) -> None:
        """Listen for Telegram's requests."""
        from tornado.httpserver import HTTPServer
        from tornado.web import Application as TornadoApp
        from tornado.web import RequestHandler

        server = self

        class Handler(RequestHandler):
            async def post(self) -> None:
                given = self.request.headers.get("X-Telegram-Bot-Api-Secret-Token", "")
                if not hmac.compare_digest(given, server.secret):
                    self.set_status(403)
                    return
                body = self.request.body.decode("utf-8", "replace")
                try:
                    data = json.loads(body)
                    update = Update.de_json(data, server.bot)
                except (ValueError, TypeError, KeyError):
                    self.set_status(400)
                    return
                if update is None:
                    self.set_status(400)
                    return
                try:
                    await server.intake.accept([(update, body)])
                except Exception as exc:
                    logger.warning("could not store update %s: %s", update.update_id, exc)
                    self.set_status(500)  # Telegram delivers it again
                    return
                self.set_status(200)

        app = TornadoApp([(rf"/{self.path.strip('/')}/?", Handler)])
        self._server = HTTPServer(app, xheaders=True)
        self._server.listen(self.port, address=self.listen)

    async def stop(self) -> None:
        """Stop listening."""
        if self._server is not None:
            self._server.stop()
            await self._server.close_all_connections()
            self._server = None
