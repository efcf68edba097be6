"""A running bot: the application, the outbox sender, intake, broadcasting and the jobs.

:class:`Runtime` starts and stops every part in order; ``torun-bot run`` and
``torun-bot webhook`` use it, and so do the end-to-end tests. Periodic jobs
(ticket reminders and the quiet-period closing, Kongres reminders, news of
new dates, broadcasting, the daily retention of personal data) run in the
process holding the ``jobs`` lease, so replicas sharing one database run
each of them once; the outbox sender and the recovery of stored updates run
in every process (entries and updates are claimed one by one).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from telegram import Update
from telegram.ext import Application, CallbackContext

from bot.core.broadcasting import Broadcaster
from bot.core.knowledge import LANGUAGES
from bot.core.privacy import Swept
from bot.services import ReloadResult, reload_engine
from bot.storage import leases
from bot.storage import updates as updates_store
from bot.storage.units import utcnow
from bot.telegram.app import ALLOWED_UPDATES, publish_commands
from bot.telegram.broadcast import TelegramDeliverySender
from bot.telegram.context import CONTEXT_KEY, BotContext, StaffAdmins
from bot.telegram.handlers.common import tell_given_up
from bot.telegram.ingest import SWEEP_EVERY, Intake, Poller, WebhookServer
from bot.telegram.sender import OutboxSender
from bot.wiring import Services

logger = logging.getLogger(__name__)

JOBS_LEASE = "jobs"
#: The jobs lease lasts this long unless renewed (a dead holder loses it after it).
LEASE_TTL = timedelta(seconds=30)
#: How often the jobs loop wakes up.
TICK = 5.0
#: Kongres reminders are checked this often.
REMINDERS_EVERY = 60.0
#: Personal data past their retention period are removed this often (and at start-up).
RETENTION_EVERY = 24 * 3600.0


@dataclass(frozen=True)
class Webhook:
    """Where Telegram's POSTs arrive."""

    url: str
    secret: str
    listen: str
    port: int
    path: str = "telegram"


class Runtime:
    """Every running part of one bot process."""

    def __init__(
        self,
        services: Services,
        application: Application,  # type: ignore[type-arg]
        *,
        webhook: Webhook | None = None,
        poll_timeout: int = 30,
        tick: float = TICK,
    ) -> None:
        self.services = services
        self.application = application
        self.webhook = webhook
        self.tick = tick
        settings = services.settings
        db = services.db
        self.shared_database = db.engine.url.get_backend_name() != "sqlite"
        bot = application.bot
        self.sender = OutboxSender(
            bot,
            db,
            services.inbox,
            owner=services.owner,
            staff_chat_id=settings.staff_chat_id,
            skip_locked=self.shared_database,
        )
        services.units.listeners.append(self.sender.accept)
        self.broadcaster = Broadcaster(
            services.units,
            TelegramDeliverySender(bot, settings.staff_chat_id),
            services.broadcasting,
            rate=settings.broadcast_rate,
            now=services.now,
        )
        self.intake = Intake(
            application,
            db,
            owner=services.owner,
            on_given_up=self._given_up,
            skip_locked=self.shared_database,
        )
        self.intake.observers.append(self.sender.observe)
        self.poller = (
            Poller(bot, self.intake, allowed_updates=ALLOWED_UPDATES, timeout=poll_timeout)
            if webhook is None
            else None
        )
        self.webhook_server = (
            WebhookServer(
                bot,
                self.intake,
                listen=webhook.listen,
                port=webhook.port,
                path=webhook.path,
                secret=webhook.secret,
            )
            if webhook is not None
            else None
        )
        self.admins = StaffAdmins(bot, settings.staff_chat_id, settings.staff_admin_ids)
        self.context = BotContext(services, self.broadcaster, self.admins, self.reload)
        application.bot_data[CONTEXT_KEY] = self.context
        self.leader = False
        self._jobs_task: asyncio.Task[None] | None = None
        self._last: dict[str, float] = {}
        self._reload_lock = asyncio.Lock()

    # ------------------------------------------------------------ life cycle
    async def start(self) -> None:
        """Start everything; updates stored but never processed are handled first."""
        app, svc = self.application, self.services
        await app.initialize()
        if not self.shared_database:
            # SQLite serves one process: updates a killed one held are free now.
            await svc.db.run(updates_store.release_all_claims)
        await app.start()
        await publish_commands(
            app, svc.settings.staff_chat_id, {lang: svc.t(lang) for lang in LANGUAGES}
        )
        # What a killed process left in the outbox (SQLite: it was the only one),
        # looked for before anything new is sent.
        await self.sender.poll(take_over=not self.shared_database)
        self.sender.start()
        await self.intake.recover()
        await self.run_jobs()
        self._jobs_task = asyncio.get_running_loop().create_task(self._jobs_forever(), name="jobs")
        if self.poller is not None:
            self.poller.start()
        if self.webhook_server is not None and self.webhook is not None:
            await self.webhook_server.start()
            await app.bot.set_webhook(
                self.webhook.url,
                secret_token=self.webhook.secret,
                allowed_updates=ALLOWED_UPDATES,
                drop_pending_updates=False,
            )

    async def stop(self) -> None:
        """Stop taking updates, finish the ones in hand, then stop sending."""
        if self.poller is not None:
            await self.poller.stop()
        if self.webhook_server is not None:
            await self.webhook_server.stop()
        if self._jobs_task is not None:
            self._jobs_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._jobs_task
            self._jobs_task = None
        self.intake.cancel_timers()
        await self.broadcaster.stop()
        if self.application.running:
            await self.application.stop()
        await self.sender.stop()
        if self.leader:
            with contextlib.suppress(Exception):
                await self.services.db.run(leases.release, JOBS_LEASE, self.services.owner)
            self.leader = False
        await self.application.shutdown()

    async def _given_up(self, update: Update) -> None:
        context: CallbackContext[Any, Any, Any, Any] = CallbackContext(self.application)
        await tell_given_up(update, context)

    # ------------------------------------------------------------ content
    async def reload(self) -> ReloadResult:
        """Check and load intents/ and knowledge/ again; keep the old content on errors.

        The matcher is built in a worker thread so residents keep being served.
        """
        svc = self.services
        async with self._reload_lock:
            result = await asyncio.to_thread(
                reload_engine,
                svc.engine,
                svc.settings.content_dir,
                max_age_days=svc.settings.content_max_age_days,
            )
            if result.engine is None:
                logger.warning("content reload refused: %d problem(s)", len(result.problems))
                return result
            svc.use_engine(result.engine)
            logger.info("content reloaded")
        if self.leader:
            await self.news()
        return result

    # ------------------------------------------------------------ jobs
    async def _jobs_forever(self) -> None:
        while True:
            await asyncio.sleep(self.tick)
            try:
                await self.run_jobs()
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("a periodic job failed; it runs again at the next tick")

    def _due(self, name: str, every: float) -> bool:
        now = time.monotonic()
        if now - self._last.get(name, float("-inf")) < every:
            return False
        self._last[name] = now
        return True

    async def run_jobs(self) -> None:
        """One tick: take (or renew) the jobs lease, run what is due."""
        svc = self.services
        if self._due("sweep", SWEEP_EVERY):
            await self.intake.recover()
        held = await svc.db.run(leases.take, JOBS_LEASE, svc.owner, utcnow(), LEASE_TTL)
        if not held:
            if self.leader:
                logger.warning("the jobs lease went to another process")
                self.leader = False
                await self.broadcaster.stop()
            return
        if not self.leader:
            self.leader = True
            self.broadcaster.start()
            await self.broadcaster.resume()
            await self.news()
        elif self._due("broadcasts", SWEEP_EVERY):
            # Announcements confirmed in another replica are sent from here.
            for broadcast_id in await svc.units.run(
                lambda unit: [b.id for b in unit.broadcasts.sending_broadcasts()]
            ):
                self.broadcaster.enqueue(broadcast_id)
        if self._due("tickets", svc.settings.reminder_check_every.total_seconds()):
            await self.tickets()
        if self._due("reminders", REMINDERS_EVERY):
            await self.reminders()
        if self._due("retention", RETENTION_EVERY):
            await self.retention()

    async def tickets(self) -> None:
        """Remind staff of waiting questions; close answered ones after the quiet period."""
        svc = self.services
        now = svc.now()
        settings = svc.settings

        def work(unit: Any) -> None:
            svc.inbox.remind(unit, now, settings.reminder_after)
            svc.inbox.close_quiet(unit, now, settings.ticket_quiet)

        await svc.units.run(work)

    async def retention(self, *, wall_now: datetime | None = None) -> Swept:
        """Delete or anonymise the personal data past their period (idempotent).

        ``wall_now`` stands for the clock of delivery (stored updates, the
        outbox), which tests fix; the bot's clock dates everything else.
        """
        svc = self.services
        now = svc.now()
        wall = wall_now or utcnow()
        return await svc.units.run(lambda unit: svc.privacy.sweep(unit, now, wall))

    async def reminders(self) -> None:
        """Send the Kongres reminders due now (each once)."""
        svc = self.services
        now = svc.now()
        for broadcast_id in await svc.units.run(
            lambda unit: svc.broadcasting.due_reminders(unit, now)
        ):
            self.broadcaster.enqueue(broadcast_id)

    async def news(self) -> None:
        """Tell subscribers about dates that appeared in knowledge/."""
        svc = self.services
        now = svc.now()
        for broadcast_id in await svc.units.run(
            lambda unit: svc.broadcasting.announce_news(unit, now)
        ):
            self.broadcaster.enqueue(broadcast_id)
