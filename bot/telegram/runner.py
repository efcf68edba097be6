"""``torun-bot run`` (long polling) and ``torun-bot webhook``."""

from __future__ import annotations

import argparse
import logging
import sys
from typing import TextIO

from bot.config import Settings, SettingsError, load_settings, read_environment
from bot.content import ContentError
from bot.i18n import CatalogError
from bot.services import build_engine
from bot.storage.database import Database
from bot.telegram.app import ALLOWED_UPDATES, build_application

logger = logging.getLogger(__name__)

EXIT_CONFIG = 2


def _prepare(webhook: bool) -> tuple[Settings, object, Database] | int:
    try:
        settings = load_settings(read_environment(), webhook=webhook)
    except SettingsError as exc:
        print(f"torun-bot: cannot start: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    logging.getLogger().setLevel(settings.log_level)
    # httpx logs request URLs at INFO, and Telegram URLs carry the bot token.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)
    try:
        engine = build_engine(settings.content_dir, max_age_days=settings.content_max_age_days)
    except (ContentError, CatalogError) as exc:
        print(f"torun-bot: cannot start: {exc}", file=sys.stderr)
        return 1
    db = Database.connect(settings.database_url)
    return settings, engine, db


def run_polling(args: argparse.Namespace, out: TextIO) -> int:
    """Run with long polling; pending updates are never dropped."""
    prepared = _prepare(webhook=False)
    if isinstance(prepared, int):
        return prepared
    settings, engine, db = prepared
    application = build_application(settings, engine, db)  # type: ignore[arg-type]
    from bot.telegram.lifecycle import install_reload_signal

    install_reload_signal(application)
    out.write("torun-bot: polling Telegram (Ctrl+C stops)\n")
    try:
        application.run_polling(allowed_updates=ALLOWED_UPDATES, drop_pending_updates=False)
    finally:
        db.close()
    return 0


def run_webhook(args: argparse.Namespace, out: TextIO) -> int:
    """Run behind a webhook; requests without the secret token are rejected."""
    prepared = _prepare(webhook=True)
    if isinstance(prepared, int):
        return prepared
    settings, engine, db = prepared
    assert settings.webhook_url is not None and settings.webhook_secret is not None
    application = build_application(settings, engine, db)  # type: ignore[arg-type]
    from bot.telegram.lifecycle import install_reload_signal

    install_reload_signal(application)
    out.write(f"torun-bot: webhook on {settings.webhook_listen}:{settings.webhook_port}\n")
    try:
        application.run_webhook(
            listen=settings.webhook_listen,
            port=settings.webhook_port,
            url_path="telegram",
            webhook_url=settings.webhook_url,
            secret_token=settings.webhook_secret.get(),
            allowed_updates=ALLOWED_UPDATES,
            drop_pending_updates=False,
        )
    finally:
        db.close()
    return 0
