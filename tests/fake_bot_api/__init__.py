"""A fake Telegram Bot API server for end-to-end tests of the bot with the real PTB stack.

See ``README.md`` in this directory for usage.  Public API:

* :class:`FakeBotApi` - the server, simulation, recorder and validator
* :class:`UpdateBuilder`, :class:`TgUser`, :class:`TgChat` - Telegram-shaped update dicts
* :class:`RateLimits`, :class:`RecordedCall`, :class:`Violation` - supporting types
* ``fixtures`` - pytest fixtures ``fake_api``, ``fake_bot``, ``fake_app_builder`` and the
  ``running_application`` helper
"""

from .formatting import FormattingError, ParsedText, parse_formatted_text
from .server import BOT_USERNAME, TEST_TOKEN, FakeBotApi
from .spec import ApiSpec, load_spec
from .state import RateLimits, RecordedCall, TelegramApiError
from .updates import IdAllocator, TgChat, TgUser, UpdateBuilder
from .validation import UploadedFile, Violation

__all__ = [
    "BOT_USERNAME",
    "TEST_TOKEN",
    "ApiSpec",
    "FakeBotApi",
    "FormattingError",
    "IdAllocator",
    "ParsedText",
    "RateLimits",
    "RecordedCall",
    "TelegramApiError",
    "TgChat",
    "TgUser",
    "UpdateBuilder",
    "UploadedFile",
    "Violation",
    "load_spec",
    "parse_formatted_text",
]
