"""Reloading content while the bot runs: ``/przeladuj`` and SIGHUP."""

from __future__ import annotations

import asyncio
import logging
import signal

from telegram.ext import Application

from bot.services import ReloadResult, reload_engine
from bot.telegram.context import SERVICES_KEY, BotServices

logger = logging.getLogger(__name__)


async def reload_content(services: BotServices) -> ReloadResult:
    """Check and load intents/ and knowledge/ again; keep the old content on errors.

    The matcher is built in a worker thread so residents keep being served.
    """
    async with services.state.setdefault("reload_lock", asyncio.Lock()):
        result = await asyncio.to_thread(
            reload_engine,
            services.engine,
            services.settings.content_dir,
            max_age_days=services.settings.content_max_age_days,
        )
        if result.engine is not None:
            services.use_engine(result.engine)
            if services.extras is not None:
                await services.extras.after_reload()
            logger.info("content reloaded")
        else:
            logger.warning("content reload refused: %d problem(s)", len(result.problems))
        return result


def install_reload_signal(application: Application) -> None:  # type: ignore[type-arg]
    """Reload content on SIGHUP (where the platform has it)."""
    if not hasattr(signal, "SIGHUP"):
        return
    previous = application.post_init

    async def _post_init(app: Application) -> None:  # type: ignore[type-arg]
        if previous is not None:
            await previous(app)
        services: BotServices = app.bot_data[SERVICES_KEY]
        loop = asyncio.get_running_loop()
        tasks: set[asyncio.Task[ReloadResult]] = set()

        def _on_sighup() -> None:
            task = loop.create_task(reload_content(services))
            tasks.add(task)
            task.add_done_callback(tasks.discard)

        loop.add_signal_handler(signal.SIGHUP, _on_sighup)

    application.post_init = _post_init
