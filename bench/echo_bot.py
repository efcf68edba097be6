"""The anchor of ``bench/throughput.py``: a bare python-telegram-bot echo bot.

PTB's defaults (``Application.run_polling``, its own ``HTTPXRequest``, one
update at a time, no rate limiter, no database): every text message is
answered with its own text. It reads the same ``TELEGRAM_TOKEN`` and
``TELEGRAM_API_URL`` as the bot, so it polls the same fake Bot API.

    TELEGRAM_TOKEN=... TELEGRAM_API_URL=http://127.0.0.1:PORT/bot python -m bench.echo_bot
"""

from __future__ import annotations

import os

from telegram import Update
from telegram.ext import ApplicationBuilder, ContextTypes, MessageHandler, filters


async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Answer a text message with its text."""
    message = update.effective_message
    if message is not None and message.text:
        await context.bot.send_message(message.chat_id, message.text)


def main() -> None:
    """Poll until SIGTERM / SIGINT."""
    application = (
        ApplicationBuilder()
        .token(os.environ["TELEGRAM_TOKEN"])
        .base_url(os.environ.get("TELEGRAM_API_URL", "https://api.telegram.org/bot"))
        .build()
    )
    application.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, echo))
    application.run_polling(allowed_updates=[Update.MESSAGE])


if __name__ == "__main__":
    main()
