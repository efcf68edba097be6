"""``python -m bot run`` with the rate limiter off (for ``bench/throughput.py`` only).

Everything else is the bot as ``torun-bot run`` starts it (settings from the
environment, content, model cache, database, runtime): only
:func:`bot.telegram.app.build_application` is called with
``rate_limiter=False``, so the figures are those of the bot itself, not of
Telegram's 30 messages a second.
"""

from __future__ import annotations

from typing import Any

import bot.telegram.app as telegram_app
from bot.cli import main

_build = telegram_app.build_application


def _unlimited(settings: Any, **options: Any) -> Any:
    return _build(settings, **{**options, "rate_limiter": False})


telegram_app.build_application = _unlimited  # read by bot.cli at start-up

if __name__ == "__main__":
    raise SystemExit(main(["run"]))
