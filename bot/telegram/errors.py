"""What a failed request to Telegram means for the message: wait, retry, or give up.

``python-telegram-bot`` raises ``RetryAfter`` for 429, ``TimedOut`` when the
answer did not come in time (Telegram may have done the work), ``NetworkError``
for 5xx answers and dropped connections, ``Forbidden`` when the person
blocked the bot, and ``BadRequest`` for requests Telegram refuses.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

from telegram.error import BadRequest, ChatMigrated, Forbidden, NetworkError, RetryAfter, TimedOut
from telegram.warnings import PTBDeprecationWarning


class Verdict(StrEnum):
    """What to do with a message whose request failed."""

    WAIT = "wait"  # 429: try again after the time Telegram asked for
    RETRY = "retry"  # 5xx, network, timeout: try again with a backoff
    BLOCKED = "blocked"  # 403: the person blocked the bot; never again
    TOPIC_GONE = "topic_gone"  # the forum topic was deleted
    TOPIC_CLOSED = "topic_closed"  # staff closed the forum topic
    SOURCE_GONE = "source_gone"  # the message to copy was deleted
    PERMANENT = "permanent"  # 400 chat not found and other refusals


@dataclass(frozen=True)
class Failure:
    """A classified failure."""

    verdict: Verdict
    detail: str
    #: for WAIT: seconds Telegram asked to wait
    wait: float = 0.0
    #: the request may have reached Telegram (a timeout): retrying may duplicate
    uncertain: bool = False


def retry_seconds(exc: RetryAfter) -> float:
    """How long Telegram asked to wait (PTB 22 warns that the type of the field will change)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        after = exc.retry_after
    return float(after.total_seconds() if isinstance(after, timedelta) else after)


def classify(exc: Exception) -> Failure:
    """The verdict for an exception raised by a request."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        detail = str(exc)
    if isinstance(exc, RetryAfter):
        return Failure(Verdict.WAIT, detail, wait=retry_seconds(exc))
    if isinstance(exc, TimedOut):
        return Failure(Verdict.RETRY, detail, uncertain=True)
    if isinstance(exc, Forbidden):
        return Failure(Verdict.BLOCKED, detail)
    if isinstance(exc, BadRequest):
        text = exc.message.lower()
        if "thread not found" in text or "topic_deleted" in text or "topic not found" in text:
            return Failure(Verdict.TOPIC_GONE, detail)
        if "topic_closed" in text:
            return Failure(Verdict.TOPIC_CLOSED, detail)
        if "message to copy not found" in text or "message to forward not found" in text:
            return Failure(Verdict.SOURCE_GONE, detail)
        return Failure(Verdict.PERMANENT, detail)
    if isinstance(exc, ChatMigrated):
        return Failure(Verdict.PERMANENT, detail)
    if isinstance(exc, NetworkError):
        return Failure(Verdict.RETRY, detail)
    return Failure(Verdict.RETRY, detail)


def backoff(attempts: int, *, first: float = 1.0, cap: float = 300.0) -> float:
    """Seconds before the next try: 1, 2, 4 ... up to five minutes."""
    return float(min(first * 2.0 ** max(attempts - 1, 0), cap))
