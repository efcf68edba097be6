"""Plain data kept by the fake Bot API: chats, forum topics, files, calls and limits."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from .validation import UploadedFile

JSON = dict[str, Any]

# Forum topic icon colour used when createForumTopic gets no icon_color (Telegram's blue).
DEFAULT_TOPIC_ICON_COLOR = 7322096


class TelegramApiError(Exception):
    """Raised by a method handler to answer ``{"ok": false, ...}`` like Telegram does.

    These are *simulated* runtime errors (blocked user, closed topic, 429 ...), which a
    well-behaved bot must handle; they are recorded but do not fail the test by themselves.
    """

    def __init__(self, status: int, description: str, parameters: JSON | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.parameters = parameters

    def to_json(self) -> JSON:
        payload: JSON = {"ok": False, "error_code": self.status, "description": self.description}
        if self.parameters:
            payload["parameters"] = self.parameters
        return payload


def bad_request(message: str) -> TelegramApiError:
    return TelegramApiError(400, f"Bad Request: {message}")


@dataclass(slots=True)
class TopicState:
    """A forum topic; ``thread_id`` equals the id of its ``forum_topic_created`` message."""

    thread_id: int
    name: str
    icon_color: int = DEFAULT_TOPIC_ICON_COLOR
    icon_custom_emoji_id: str | None = None
    closed: bool = False
    deleted: bool = False

    def to_forum_topic(self) -> JSON:
        topic: JSON = {
            "message_thread_id": self.thread_id,
            "name": self.name,
            "icon_color": self.icon_color,
        }
        if self.icon_custom_emoji_id:
            topic["icon_custom_emoji_id"] = self.icon_custom_emoji_id
        return topic


@dataclass(slots=True)
class ChatState:
    """A chat the fake knows about (from pushed updates or ``add_*_chat`` helpers)."""

    id: int
    type: str
    title: str | None = None
    username: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    is_forum: bool = False
    topics: dict[int, TopicState] = field(default_factory=dict)
    # user id -> ChatMember overrides (status and permission fields)
    members: dict[int, JSON] = field(default_factory=dict)

    def to_chat(self) -> JSON:
        """The short ``Chat`` object embedded in messages."""
        chat: JSON = {"id": self.id, "type": self.type}
        for key in ("title", "username", "first_name", "last_name"):
            value = getattr(self, key)
            if value is not None:
                chat[key] = value
        if self.is_forum:
            chat["is_forum"] = True
        return chat

    def to_full_info(self) -> JSON:
        """``ChatFullInfo`` as returned by getChat."""
        info = self.to_chat()
        info.update(
            {
                "accent_color_id": 0,
                "max_reaction_count": 11,
                "accepted_gift_types": {
                    "unlimited_gifts": False,
                    "limited_gifts": False,
                    "unique_gifts": False,
                    "premium_subscription": False,
                    "gifts_from_channels": False,
                },
            }
        )
        return info


@dataclass(slots=True)
class StoredFile:
    """A file the fake can hand out via getFile and /file/bot<token>/<path>."""

    file_id: str
    file_unique_id: str
    content: bytes
    file_name: str | None = None
    mime_type: str | None = None

    @property
    def file_path(self) -> str:
        return f"files/{self.file_unique_id}/{self.file_name or 'file'}"


@dataclass(slots=True)
class CallbackQueryState:
    query_id: str
    user_id: int
    answered: bool = False
    answer: JSON | None = None


@dataclass(slots=True)
class RecordedCall:
    """One request the bot made, with decoded parameters and the fake's answer."""

    index: int
    method: str
    params: dict[str, Any]
    files: dict[str, UploadedFile]
    http_method: str
    timestamp: float
    status: int = 0
    response: JSON = field(default_factory=dict)
    #: the injected fault ("http_500", "drop", "retry_after", "late"), if any.  ``ok`` stays
    #: the truth about Telegram's side: a ``late`` call was carried out, so it is ``ok``
    #: although the client timed out; the other modes are never ``ok``.
    fault: str | None = None

    @property
    def ok(self) -> bool:
        return bool(self.response.get("ok"))

    @property
    def result(self) -> Any:
        return self.response.get("result")

    @property
    def error(self) -> str | None:
        return None if self.ok else self.response.get("description")

    def summary(self) -> str:
        params = ", ".join(f"{k}={v!r}"[:80] for k, v in self.params.items())
        outcome = "ok" if self.ok else f"{self.status} {self.error}"
        if self.fault is not None:
            outcome += f" [injected: {self.fault}]"
        return f"#{self.index} {self.method}({params}) -> {outcome}"


@dataclass(frozen=True, slots=True)
class RateLimits:
    """Telegram's broadcast limits; ``None`` disables a limit.

    Telegram documents ~30 messages per second overall, about one message per second in a
    single chat (short bursts are tolerated, hence off by default) and 20 messages per minute
    in a group.
    """

    per_second: float | None = 30
    per_chat_per_second: float | None = None
    per_group_per_minute: int | None = 20


@dataclass(frozen=True, slots=True)
class SentMessageRecord:
    """Timestamp of every message-creating call that succeeded (for rate assertions)."""

    timestamp: float
    chat_id: int
    method: str


def now_unix() -> int:
    return int(time.time())
