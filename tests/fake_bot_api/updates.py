"""Builders for Telegram-shaped ``Update`` dicts.

Everything produced here is valid against the Bot API spec (``FakeBotApi.push_update`` checks
it) and never uses the deprecated ``forward_from`` family: users with forward privacy look
exactly like other users, so a bot must never rely on forwarded-message metadata to find out
who wrote to it.

Use ``fake_api.updates`` (an :class:`UpdateBuilder` that shares update and message ids with
the fake, so ids never collide with messages the bot sends) rather than a standalone builder.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

JSON = dict[str, Any]

__all__ = ["IdAllocator", "TgChat", "TgUser", "UpdateBuilder"]


@dataclass(frozen=True, slots=True)
class TgUser:
    """A Telegram user (not a bot unless ``is_bot``)."""

    id: int
    first_name: str
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = "pl"
    is_bot: bool = False
    is_premium: bool | None = None

    def to_dict(self) -> JSON:
        user: JSON = {"id": self.id, "is_bot": self.is_bot, "first_name": self.first_name}
        for key in ("last_name", "username", "language_code", "is_premium"):
            value = getattr(self, key)
            if value is not None:
                user[key] = value
        return user

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}" if self.last_name else self.first_name

    def private_chat(self) -> TgChat:
        """The private chat between this user and the bot."""
        return TgChat(
            id=self.id,
            type="private",
            first_name=self.first_name,
            last_name=self.last_name,
            username=self.username,
        )


@dataclass(frozen=True, slots=True)
class TgChat:
    """A chat as embedded in messages (``Chat`` object)."""

    id: int
    type: str
    title: str | None = None
    username: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    is_forum: bool = False

    def to_dict(self) -> JSON:
        chat: JSON = {"id": self.id, "type": self.type}
        for key in ("title", "username", "first_name", "last_name"):
            value = getattr(self, key)
            if value is not None:
                chat[key] = value
        if self.is_forum:
            chat["is_forum"] = True
        return chat

    @classmethod
    def supergroup(cls, chat_id: int, title: str, *, is_forum: bool = True) -> TgChat:
        return cls(id=chat_id, type="supergroup", title=title, is_forum=is_forum)


class IdAllocator:
    """Monotonic update ids and per-chat message ids (Telegram numbers messages per chat)."""

    def __init__(self, first_update_id: int = 100_000) -> None:
        self._next_update_id = first_update_id
        self._next_message_id: dict[int, int] = {}
        self._callback_ids = itertools.count(1)
        self._file_ids = itertools.count(1)

    def next_update_id(self) -> int:
        value = self._next_update_id
        self._next_update_id += 1
        return value

    def observe_update_id(self, update_id: int) -> None:
        self._next_update_id = max(self._next_update_id, update_id + 1)

    def peek_update_id(self) -> int:
        return self._next_update_id

    def next_message_id(self, chat_id: int) -> int:
        value = self._next_message_id.get(chat_id, 1)
        self._next_message_id[chat_id] = value + 1
        return value

    def observe_message_id(self, chat_id: int, message_id: int) -> None:
        current = self._next_message_id.get(chat_id, 1)
        self._next_message_id[chat_id] = max(current, message_id + 1)

    def next_callback_query_id(self) -> str:
        return f"cbq-{next(self._callback_ids)}"

    def next_file_id(self, prefix: str) -> str:
        return f"{prefix}-{next(self._file_ids)}"


# Optional hook: (chat_id, thread_id) -> the forum_topic_created service message, if known.
TopicLookup = Callable[[int, int], JSON | None]


def _chat_dict(chat: TgChat | JSON) -> JSON:
    return chat.to_dict() if isinstance(chat, TgChat) else dict(chat)


def _strip_reply(message: JSON) -> JSON:
    # Telegram never nests reply_to_message more than one level deep.
    return {k: v for k, v in message.items() if k != "reply_to_message"}


class UpdateBuilder:
    """Creates update dicts; each method returns a complete ``Update`` with an ``update_id``."""

    def __init__(
        self,
        ids: IdAllocator | None = None,
        *,
        bot_username: str = "torun_dialog_test_bot",
        topic_lookup: TopicLookup | None = None,
    ) -> None:
        self.ids = ids or IdAllocator()
        self.bot_username = bot_username
        self._topic_lookup = topic_lookup

    # ------------------------------------------------------------------ low level

    def update(self, **payload: JSON) -> JSON:
        """Wrap a payload (``message=...``, ``callback_query=...``) into an Update."""
        return {"update_id": self.ids.next_update_id(), **payload}

    def message(
        self,
        sender: TgUser,
        chat: TgChat | JSON | None = None,
        *,
        date: int | None = None,
        reply_to: JSON | None = None,
        message_thread_id: int | None = None,
        is_topic_message: bool = False,
        **content: Any,
    ) -> JSON:
        """A bare ``Message`` dict (not wrapped in an update)."""
        chat_dict = _chat_dict(chat if chat is not None else sender.private_chat())
        message: JSON = {
            "message_id": self.ids.next_message_id(chat_dict["id"]),
            "from": sender.to_dict(),
            "chat": chat_dict,
            "date": date if date is not None else int(time.time()),
        }
        if message_thread_id is not None:
            message["message_thread_id"] = message_thread_id
        if is_topic_message:
            message["is_topic_message"] = True
        if reply_to is not None:
            message["reply_to_message"] = _strip_reply(reply_to)
        message.update({k: v for k, v in content.items() if v is not None})
        return message

    # ------------------------------------------------------------------ private chat

    def text_message(
        self,
        user: TgUser,
        text: str,
        *,
        chat: TgChat | JSON | None = None,
        entities: list[JSON] | None = None,
        reply_to: JSON | None = None,
    ) -> JSON:
        """A text message (by default in the user's private chat with the bot)."""
        return self.update(
            message=self.message(user, chat, text=text, entities=entities, reply_to=reply_to)
        )

    def command(
        self,
        user: TgUser,
        command: str,
        args: str = "",
        *,
        chat: TgChat | JSON | None = None,
        mention_bot: bool | None = None,
    ) -> JSON:
        """``/command args`` with its ``bot_command`` entity.

        In groups the command is addressed as ``/command@bot_username`` unless
        ``mention_bot=False``.
        """
        chat_dict = _chat_dict(chat) if chat is not None else None
        in_group = chat_dict is not None and chat_dict["type"] != "private"
        token = f"/{command}"
        if mention_bot or (mention_bot is None and in_group):
            token += f"@{self.bot_username}"
        text = f"{token} {args}" if args else token
        entity = {"type": "bot_command", "offset": 0, "length": len(token.encode("utf-16-le")) // 2}
        return self.text_message(user, text, chat=chat, entities=[entity])

    def photo_message(
        self,
        user: TgUser,
        *,
        caption: str | None = None,
        file_id: str | None = None,
        chat: TgChat | JSON | None = None,
    ) -> JSON:
        """A photo (two PhotoSize variants, like Telegram sends) with an optional caption."""
        base = file_id or self.ids.next_file_id("user-photo")
        sizes = [
            {
                "file_id": f"{base}-s",
                "file_unique_id": f"{base}-us",
                "width": 90,
                "height": 90,
                "file_size": 1_024,
            },
            {
                "file_id": base,
                "file_unique_id": f"{base}-u",
                "width": 1280,
                "height": 1280,
                "file_size": 102_400,
            },
        ]
        return self.update(message=self.message(user, chat, photo=sizes, caption=caption))

    def document_message(
        self,
        user: TgUser,
        *,
        file_name: str = "document.pdf",
        mime_type: str = "application/pdf",
        caption: str | None = None,
        file_id: str | None = None,
        file_size: int = 12_345,
        chat: TgChat | JSON | None = None,
    ) -> JSON:
        base = file_id or self.ids.next_file_id("user-doc")
        document = {
            "file_id": base,
            "file_unique_id": f"{base}-u",
            "file_name": file_name,
            "mime_type": mime_type,
            "file_size": file_size,
        }
        return self.update(message=self.message(user, chat, document=document, caption=caption))

    def location_message(
        self, user: TgUser, latitude: float, longitude: float, *, chat: TgChat | JSON | None = None
    ) -> JSON:
        location = {"latitude": latitude, "longitude": longitude}
        return self.update(message=self.message(user, chat, location=location))

    def edited_message(
        self, original: JSON, new_text: str, *, edit_date: int | None = None
    ) -> JSON:
        """An ``edited_message`` update for a previously pushed message (or its update)."""
        message = dict(original.get("message", original))
        message["text"] = new_text
        message.pop("entities", None)
        message["edit_date"] = edit_date if edit_date is not None else int(time.time())
        return self.update(edited_message=message)

    def callback_query(self, user: TgUser, message: JSON, data: str) -> JSON:
        """The user pressed an inline button with ``data`` on ``message`` (a bot message dict,
        e.g. ``call.result`` of the recorded sendMessage)."""
        return self.update(
            callback_query={
                "id": self.ids.next_callback_query_id(),
                "from": user.to_dict(),
                "message": dict(message),
                "chat_instance": f"ci-{message['chat']['id']}",
                "data": data,
            }
        )

    # ------------------------------------------------------------------ forum supergroup

    def topic_created_message(
        self,
        chat: TgChat | JSON,
        thread_id: int,
        *,
        name: str = "Topic",
        creator: TgUser | JSON | None = None,
        icon_color: int = 7322096,
    ) -> JSON:
        """The ``forum_topic_created`` service message that opens thread ``thread_id``."""
        known = (
            self._topic_lookup(_chat_dict(chat)["id"], thread_id) if self._topic_lookup else None
        )
        if known is not None:
            return known
        creator_dict = creator.to_dict() if isinstance(creator, TgUser) else creator
        message: JSON = {
            "message_id": thread_id,
            "chat": _chat_dict(chat),
            "date": int(time.time()),
            "message_thread_id": thread_id,
            "is_topic_message": True,
            "forum_topic_created": {"name": name, "icon_color": icon_color},
        }
        if creator_dict is not None:
            message["from"] = creator_dict
        return message

    def topic_message(
        self,
        staff: TgUser,
        chat: TgChat | JSON,
        thread_id: int,
        text: str,
        *,
        reply_to: JSON | None = None,
        topic_name: str = "Topic",
        entities: list[JSON] | None = None,
    ) -> JSON:
        """A staff member writes ``text`` inside forum topic ``thread_id`` of a supergroup.

        As in real Telegram, a message that does not reply to anything in particular carries
        the topic's ``forum_topic_created`` service message as ``reply_to_message``.
        """
        reply = reply_to or self.topic_created_message(chat, thread_id, name=topic_name)
        message = self.message(
            staff,
            chat,
            reply_to=reply,
            message_thread_id=thread_id,
            is_topic_message=True,
            text=text,
            entities=entities,
        )
        return self.update(message=message)

    def topic_command(
        self, staff: TgUser, chat: TgChat | JSON, thread_id: int, command: str, args: str = ""
    ) -> JSON:
        """``/command@bot args`` sent by staff inside a forum topic."""
        token = f"/{command}@{self.bot_username}"
        text = f"{token} {args}" if args else token
        entity = {"type": "bot_command", "offset": 0, "length": len(token.encode("utf-16-le")) // 2}
        return self.topic_message(staff, chat, thread_id, text, entities=[entity])

    def _topic_service(
        self, chat: TgChat | JSON, thread_id: int, by: TgUser, key: str, payload: JSON
    ) -> JSON:
        message = self.message(
            by,
            chat,
            reply_to=self.topic_created_message(chat, thread_id),
            message_thread_id=thread_id,
            is_topic_message=True,
        )
        message[key] = payload
        return self.update(message=message)

    def forum_topic_closed(self, chat: TgChat | JSON, thread_id: int, by: TgUser) -> JSON:
        """Service message: ``by`` closed the topic (the fake then refuses sends into it)."""
        return self._topic_service(chat, thread_id, by, "forum_topic_closed", {})

    def forum_topic_reopened(self, chat: TgChat | JSON, thread_id: int, by: TgUser) -> JSON:
        return self._topic_service(chat, thread_id, by, "forum_topic_reopened", {})

    def forum_topic_edited(
        self, chat: TgChat | JSON, thread_id: int, by: TgUser, *, name: str
    ) -> JSON:
        return self._topic_service(chat, thread_id, by, "forum_topic_edited", {"name": name})

    def forum_topic_created(
        self, chat: TgChat | JSON, by: TgUser, *, name: str, icon_color: int = 7322096
    ) -> JSON:
        """A human created a topic; its thread id is the id of this service message."""
        chat_dict = _chat_dict(chat)
        thread_id = self.ids.next_message_id(chat_dict["id"])
        message: JSON = {
            "message_id": thread_id,
            "from": by.to_dict(),
            "chat": chat_dict,
            "date": int(time.time()),
            "message_thread_id": thread_id,
            "is_topic_message": True,
            "forum_topic_created": {"name": name, "icon_color": icon_color},
        }
        return self.update(message=message)

    def my_chat_member(
        self,
        chat: TgChat | JSON,
        by: TgUser,
        bot: JSON,
        *,
        old_status: str = "left",
        new_status: str = "member",
    ) -> JSON:
        """``by`` added the bot to ``chat`` (or changed its status there)."""
        return self.update(
            my_chat_member={
                "chat": _chat_dict(chat),
                "from": by.to_dict(),
                "date": int(time.time()),
                "old_chat_member": {"status": old_status, "user": bot},
                "new_chat_member": {"status": new_status, "user": bot},
            }
        )
