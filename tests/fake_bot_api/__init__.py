"""A fake Telegram Bot API server for end-to-end tests of the bot with the real PTB stack.

See ``README.md`` in this directory for usage.  Public API:

* :class:`FakeBotApi` - the server, simulation, recorder and validator
* :class:`UpdateBuilder`, :class:`TgUser`, :class:`TgChat` - Telegram-shaped update dicts
* :class:`RateLimits`, :class:`RecordedCall`, :class:`Violation` - supporting types
* :class:`FaultMode`, :class:`FaultRule` - fault injection (``FakeBotApi.inject_faults``)
* :class:`WebhookMode`, :class:`DeliveryAttempt` - webhook delivery
  (``FakeBotApi.set_webhook_targets``)
* ``fixtures`` - pytest fixtures ``fake_api``, ``fake_bot``, ``fake_app_builder`` and the
  ``running_application`` helper
"""

from .faults import ALL_METHODS, FaultMode, FaultRule
from .formatting import FormattingError, ParsedText, parse_formatted_text
from .server import BOT_USERNAME, TEST_TOKEN, FakeBotApi
from .spec import ApiSpec, load_spec
from .state import RateLimits, RecordedCall, TelegramApiError
from .updates import IdAllocator, TgChat, TgUser, UpdateBuilder
from .validation import UploadedFile, Violation
from .webhook import DeliveryAttempt, WebhookMode

__all__ = [
    "ALL_METHODS",
    "BOT_USERNAME",
    "TEST_TOKEN",
    "ApiSpec",
    "DeliveryAttempt",
    "FakeBotApi",
    "FaultMode",
    "FaultRule",
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
    "WebhookMode",
    "load_spec",
    "parse_formatted_text",
]
