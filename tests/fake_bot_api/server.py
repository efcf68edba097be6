"""The fake Telegram Bot API: validation, recording and a stateful simulation.

A :class:`FakeBotApi` listens on 127.0.0.1 (random port) and answers the real PTB HTTP client
(``Bot(token, base_url=fake.api_url)``).  Every request is

1. decoded like Telegram decodes it (JSON, urlencoded or multipart bodies, query string),
2. validated against the bundled Bot API spec and Telegram's limits — any problem is recorded
   as a :class:`~.validation.Violation` (the test fails at teardown) and answered with
   ``400 Bad Request`` exactly like Telegram would,
3. executed against an in-memory simulation (chats, messages, forum topics, callback queries,
   commands, webhook, update queue) that can also produce Telegram's *runtime* errors
   (blocked user, closed/deleted topic, unknown message, 429 ...), which are recorded as
   failed calls but are not violations: a robust bot has to cope with them.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import functools
import json
import math
import re
import ssl
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any, TypeVar

from .faults import FaultMode, FaultPlan, FaultRule
from .formatting import parse_formatted_text
from .httpserver import HttpRequest, HttpResponse, HttpServer, RequestBodyError, decode_parameters
from .spec import PRIMITIVE_TYPES, ApiSpec, MethodSpec, load_spec
from .state import (
    DEFAULT_TOPIC_ICON_COLOR,
    JSON,
    CallbackQueryState,
    ChatState,
    RateLimits,
    RecordedCall,
    SentMessageRecord,
    StoredFile,
    TelegramApiError,
    TopicState,
    bad_request,
    now_unix,
)
from .updates import IdAllocator, TgUser, UpdateBuilder
from .validation import DecodedCall, UploadedFile, Validator, Violation
from .webhook import DeliveryAttempt, WebhookConfig, WebhookDispatcher, WebhookMode

if TYPE_CHECKING:
    from telegram import Bot
    from telegram.ext import Application, ApplicationBuilder
    from telegram.request import HTTPXRequest

__all__ = ["TEST_TOKEN", "FakeBotApi"]

TEST_TOKEN = "123456:TEST-TOKEN"
BOT_USERNAME = "torun_dialog_test_bot"

T = TypeVar("T")

# Files uploaded with the request being handled (for attach:// references in InputMedia).
_CURRENT_FILES: ContextVar[Mapping[str, UploadedFile]] = ContextVar("_CURRENT_FILES")

# Content fields a copied/forwarded message takes over from the original.
_CONTENT_FIELDS = (
    "text",
    "entities",
    "caption",
    "caption_entities",
    "show_caption_above_media",
    "has_media_spoiler",
    "photo",
    "document",
    "audio",
    "video",
    "voice",
    "video_note",
    "animation",
    "sticker",
    "contact",
    "dice",
    "poll",
    "venue",
    "location",
)
_MEDIA_FIELDS = ("photo", "document", "audio", "video", "voice", "animation", "video_note")
# Update kinds Telegram leaves out unless they are listed in allowed_updates explicitly.
_OPT_IN_UPDATES = frozenset({"chat_member", "message_reaction", "message_reaction_count"})
_MESSAGE_UPDATE_KEYS = (
    "message",
    "edited_message",
    "channel_post",
    "edited_channel_post",
    "business_message",
    "edited_business_message",
)
_MEMBER_TYPES = {
    "creator": "ChatMemberOwner",
    "administrator": "ChatMemberAdministrator",
    "member": "ChatMemberMember",
    "restricted": "ChatMemberRestricted",
    "left": "ChatMemberLeft",
    "kicked": "ChatMemberBanned",
}
_NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly the "
    "same as a content and reply markup of the current message"
)


@functools.cache
def _shared_ssl_context() -> ssl.SSLContext:
    return ssl.create_default_context()


def _fast_httpx_request(
    connection_pool_size: int = 1, timeout: float | None = None
) -> HTTPXRequest:
    """PTB's real HTTPXRequest, but sharing one SSL context across all test clients.

    Every ``httpx.AsyncClient`` otherwise loads the CA bundle (~90 ms); a Bot has two clients
    and the fake only ever speaks plain HTTP on loopback, so this only saves time.
    ``timeout`` sets the read and write timeouts (PTB's default is 5 s).
    """
    from telegram.request import HTTPXRequest

    timeouts = {} if timeout is None else {"read_timeout": timeout, "write_timeout": timeout}
    return HTTPXRequest(
        connection_pool_size=connection_pool_size,
        httpx_kwargs={"verify": _shared_ssl_context()},
        **timeouts,  # type: ignore[arg-type]
    )


#: Keys of service messages (a topic created, closed...): Telegram refuses to edit those.
_SERVICE_KEYS = (
    "forum_topic_created",
    "forum_topic_closed",
    "forum_topic_reopened",
    "forum_topic_edited",
    "new_chat_members",
    "left_chat_member",
    "pinned_message",
)


def _is_service(message: JSON) -> bool:
    return any(key in message for key in _SERVICE_KEYS)


def _strip_reply(message: JSON) -> JSON:
    # Telegram embeds replied-to messages one level deep only.
    return {k: v for k, v in message.items() if k != "reply_to_message"}


def _is_message_creating(method: str) -> bool:
    return (method.startswith("send") and method != "sendChatAction") or method in (
        "copyMessage",
        "copyMessages",
        "forwardMessage",
        "forwardMessages",
    )


class FakeBotApi:
    """In-process fake of ``https://api.telegram.org`` for end-to-end tests of a PTB bot."""

    def __init__(
        self,
        token: str = TEST_TOKEN,
        *,
        bot_username: str = BOT_USERNAME,
        bot_first_name: str = "Torun Dialog Test Bot",
        rate_limits: RateLimits | None = None,
        spec: ApiSpec | None = None,
    ) -> None:
        self.token = token
        self.bot_id = int(token.split(":", 1)[0])
        self.spec = spec or load_spec()
        self.validator = Validator(self.spec)
        self.ids = IdAllocator()
        self.updates = UpdateBuilder(
            self.ids, bot_username=bot_username, topic_lookup=self._topic_creation_message
        )
        #: The User returned by getMe and used as ``from`` of every message the bot sends.
        self.bot_user: JSON = {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": bot_first_name,
            "username": bot_username,
            "can_join_groups": True,
            "can_read_all_group_messages": True,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }
        # Messages carry the short form of the bot user, as on the real API.
        self._bot_sender: JSON = {
            key: self.bot_user[key] for key in ("id", "is_bot", "first_name", "username")
        }
        #: Enforce Telegram's flood limits (answer 429) when set.
        self.rate_limits = rate_limits

        # Recording
        self.recorded: list[RecordedCall] = []
        self.violations: list[Violation] = []
        self.sent_messages: list[SentMessageRecord] = []

        # Simulation state
        self.chats: dict[int, ChatState] = {}
        self.users: dict[int, JSON] = {}
        self.messages: dict[tuple[int, int], JSON] = {}
        self.deleted_messages: list[tuple[int, int]] = []
        self.blocked_users: set[int] = set()
        #: groups the bot left with leaveChat
        self.left_chats: set[int] = set()
        self.hidden_forward_users: set[int] = set()
        self.files: dict[str, StoredFile] = {}
        self.callback_queries: dict[str, CallbackQueryState] = {}
        self.commands: dict[tuple[str, str], list[JSON]] = {}
        self.webhook: JSON | None = None
        #: the ``secret_token`` of the last setWebhook (sent with every webhook delivery)
        self.webhook_secret: str | None = None
        #: webhook deliveries: targets, attempts, acknowledgements (see webhook.py)
        self.webhook_delivery = WebhookDispatcher(self)
        #: update ids a webhook target acknowledged (all targets, in ``all`` mode)
        self.webhook_acknowledged: set[int] = set()
        #: injected faults (see faults.py and ``inject_faults``)
        self.faults = FaultPlan()
        self.allowed_updates: list[str] | None = None
        self.pending_updates: list[JSON] = []
        self.dropped_updates: list[JSON] = []
        self.delivered_update_ids: set[int] = set()
        #: Every update with a smaller id has been confirmed by a getUpdates offset.
        self.confirmed_offset = 0

        self._all_update_kinds = tuple(
            name for name in self.spec.types["Update"].fields if name != "update_id"
        )
        self._poll_generation = 0
        self._changed: asyncio.Event | None = None
        self._server: HttpServer | None = None
        self._handlers: dict[str, Callable[[JSON], Any]] = {
            "getMe": self._get_me,
            "logOut": lambda _params: True,
            "close": lambda _params: True,
            "getUpdates": self._get_updates,
            "setWebhook": self._set_webhook,
            "deleteWebhook": self._delete_webhook,
            "getWebhookInfo": self._get_webhook_info,
            "setMyCommands": self._set_my_commands,
            "getMyCommands": self._get_my_commands,
            "deleteMyCommands": self._delete_my_commands,
            "sendMessage": self._send_message,
            "sendPhoto": self._send_photo,
            "sendDocument": self._send_document,
            "sendVenue": self._send_venue,
            "sendLocation": self._send_location,
            "sendMediaGroup": self._send_media_group,
            "copyMessage": self._copy_message,
            "copyMessages": self._copy_messages,
            "forwardMessage": self._forward_message,
            "forwardMessages": self._forward_messages,
            "editMessageText": self._edit_message_text,
            "editMessageCaption": self._edit_message_caption,
            "editMessageReplyMarkup": self._edit_message_reply_markup,
            "deleteMessage": self._delete_message,
            "deleteMessages": self._delete_messages,
            "answerCallbackQuery": self._answer_callback_query,
            "createForumTopic": self._create_forum_topic,
            "editForumTopic": self._edit_forum_topic,
            "closeForumTopic": self._close_forum_topic,
            "reopenForumTopic": self._reopen_forum_topic,
            "deleteForumTopic": self._delete_forum_topic,
            "getChat": self._get_chat,
            "getChatMember": self._get_chat_member,
            "getChatAdministrators": self._get_chat_administrators,
            "leaveChat": self._leave_chat,
            "getFile": self._get_file,
        }

    # ================================================================== lifecycle & URLs

    async def start(self) -> None:
        """Start listening on 127.0.0.1 in the running event loop."""
        self._server = HttpServer(self._handle)
        await self._server.start()
        self.webhook_delivery.reconcile()

    async def stop(self) -> None:
        """Stop webhook deliveries, close every connection (pending long polls included)
        and stop listening."""
        if self._server is not None:
            server, self._server = self._server, None
            await self.webhook_delivery.stop()
            await server.stop()

    @property
    def running(self) -> bool:
        return self._server is not None

    async def __aenter__(self) -> FakeBotApi:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("FakeBotApi is not running")
        return self._server.port

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_url(self) -> str:
        """For ``Bot(base_url=...)``/``ApplicationBuilder().base_url(...)`` (token appended)."""
        return f"{self.base_url}/bot"

    @property
    def file_url(self) -> str:
        """For ``base_file_url``."""
        return f"{self.base_url}/file/bot"

    def make_bot(self, **kwargs: Any) -> Bot:
        """A real ``telegram.Bot`` (with PTB's real ``HTTPXRequest``) talking to this fake."""
        from telegram import Bot

        kwargs.setdefault("request", _fast_httpx_request())
        kwargs.setdefault("get_updates_request", _fast_httpx_request())
        return Bot(self.token, base_url=self.api_url, base_file_url=self.file_url, **kwargs)

    def application_builder(self) -> ApplicationBuilder[Any, Any, Any, Any, Any, Any]:
        """An ``ApplicationBuilder`` pre-configured with token and URLs of this fake."""
        from telegram.ext import ApplicationBuilder

        return (
            ApplicationBuilder()
            .token(self.token)
            .base_url(self.api_url)
            .base_file_url(self.file_url)
            # Pool sizes as in PTB's ApplicationBuilder defaults (256 for calls, 1 for polling).
            .request(_fast_httpx_request(connection_pool_size=256))
            .get_updates_request(_fast_httpx_request())
        )

    # ================================================================== test-side setup

    def add_user(self, user: TgUser | JSON, *, private_chat: bool = True) -> JSON:
        """Make a user known (and, by default, their private chat with the bot)."""
        user_dict = user.to_dict() if isinstance(user, TgUser) else dict(user)
        self.users[user_dict["id"]] = user_dict
        if private_chat:
            self._register_chat(
                {
                    "id": user_dict["id"],
                    "type": "private",
                    "first_name": user_dict["first_name"],
                    **{k: user_dict[k] for k in ("last_name", "username") if k in user_dict},
                }
            )
        return user_dict

    def add_supergroup(
        self,
        chat_id: int,
        title: str,
        *,
        is_forum: bool = True,
        bot_status: str = "administrator",
        bot_rights: JSON | None = None,
    ) -> ChatState:
        """Register a (forum) supergroup in which the bot is an administrator by default."""
        chat = self._register_chat(
            {"id": chat_id, "type": "supergroup", "title": title, "is_forum": is_forum}
        )
        self.set_chat_member(chat_id, self.bot_id, bot_status, **(bot_rights or {}))
        return chat

    def add_topic(
        self, chat_id: int, thread_id: int, name: str = "Topic", *, closed: bool = False
    ) -> TopicState:
        """Register an existing forum topic (as if created before the test started)."""
        chat = self.chats[chat_id]
        topic = TopicState(thread_id=thread_id, name=name, closed=closed)
        chat.topics[thread_id] = topic
        self.ids.observe_message_id(chat_id, thread_id)
        self.messages.setdefault(
            (chat_id, thread_id),
            {
                "message_id": thread_id,
                "chat": chat.to_chat(),
                "date": now_unix(),
                "message_thread_id": thread_id,
                "is_topic_message": True,
                "forum_topic_created": {"name": name, "icon_color": topic.icon_color},
            },
        )
        return topic

    def set_chat_member(self, chat_id: int, user_id: int, status: str, **fields: Any) -> None:
        """Override what getChatMember answers (``status`` as in the Bot API, e.g. "kicked")."""
        if status not in _MEMBER_TYPES:
            raise ValueError(f"unknown chat member status {status!r}")
        self.chats[chat_id].members[user_id] = {"status": status, **fields}

    def block_user(self, user_id: int) -> None:
        """From now on every send to this user fails with 403 "bot was blocked by the user"."""
        self.blocked_users.add(user_id)

    def unblock_user(self, user_id: int) -> None:
        self.blocked_users.discard(user_id)

    def hide_forward_sender(self, user_id: int) -> None:
        """The user has forward privacy: forwards of their messages show a hidden_user origin."""
        self.hidden_forward_users.add(user_id)

    def add_file(
        self,
        file_id: str,
        content: bytes,
        *,
        file_name: str | None = None,
        mime_type: str | None = None,
    ) -> StoredFile:
        """Provide the bytes behind a file_id so that getFile + download work."""
        stored = StoredFile(file_id, f"{file_id}-u", content, file_name, mime_type)
        self.files[file_id] = stored
        return stored

    # ================================================================== updates

    def push_update(self, update: JSON) -> int:
        """Queue an update for getUpdates; returns its ``update_id``.

        The update is checked against the spec first (a malformed update is a bug in the test,
        so this raises ``ValueError`` immediately), then chats, users, messages, files, topics
        and callback queries it mentions become known to the simulation.
        """
        update = copy.deepcopy(update)
        if "update_id" not in update:
            update = {"update_id": self.ids.next_update_id(), **update}
        update_id = update["update_id"]
        if self.pending_updates and update_id <= self.pending_updates[-1]["update_id"]:
            raise ValueError(f"update_id {update_id} is not larger than the last queued one")
        if update_id < self.confirmed_offset:
            raise ValueError(f"update_id {update_id} was already confirmed by the bot")
        issues = self.validator.check_structure(update, ("Update",), path="update")
        if issues:
            details = "\n".join(f"  {i.path}: {i.description}" for i in issues)
            raise ValueError(f"push_update got an invalid Update:\n{details}")
        self.ids.observe_update_id(update_id)
        self._ingest_update(update)
        self.pending_updates.append(update)
        self._notify()
        return int(update_id)

    # The wait helpers take ``timeout`` themselves (ASYNC109) so that a timeout fails the test
    # with the recent call history instead of a bare TimeoutError.
    async def wait_update_confirmed(self, update_id: int, timeout: float = 5.0) -> None:  # noqa: ASYNC109
        """Wait until the bot fetched the update and confirmed it with a later offset."""

        def confirmed() -> bool:
            dropped = any(u["update_id"] == update_id for u in self.dropped_updates)
            if dropped:
                raise AssertionError(
                    f"update {update_id} was dropped: its type is not in allowed_updates "
                    f"{self.allowed_updates!r}"
                )
            return self.confirmed_offset > update_id or update_id in self.webhook_acknowledged

        await self.wait_until(confirmed, timeout, f"confirmation of update {update_id}")

    async def push_and_process(
        self,
        update: JSON,
        application: Application[Any, Any, Any, Any, Any, Any] | None = None,
        *,
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> int:
        """Push an update and wait until the bot has handled it.

        Without ``application`` this waits until polling confirmed the update.  With it, it
        also waits until PTB's ``update_queue`` is fully processed (PTB calls ``task_done``
        after the blocking handlers of each update finished); handlers with ``block=False``
        may still be running then.
        """
        deadline = time.monotonic() + timeout
        update_id = self.push_update(update)
        await self.wait_update_confirmed(update_id, timeout)
        if application is not None:
            remaining = max(0.01, deadline - time.monotonic())
            try:
                await asyncio.wait_for(application.update_queue.join(), remaining)
            except TimeoutError:
                raise AssertionError(
                    f"update {update_id} was not processed within {timeout}s\n{self.describe()}"
                ) from None
        return update_id

    # ================================================================== recording API

    def calls(
        self,
        method: str | None = None,
        *,
        ok: bool | None = None,
        faulted: bool | None = None,
        include_get_updates: bool = False,
        **params: Any,
    ) -> list[RecordedCall]:
        """Completed calls, optionally filtered by method (case-insensitive), success and
        decoded parameter values, e.g. ``calls("sendMessage", chat_id=42)``.

        Every attempt is listed, injected faults included.  ``ok=True`` keeps the calls that
        took effect (a ``late`` call did, although its client timed out); ``faulted=True``
        keeps those that got an injected fault, ``faulted=False`` the others.
        """
        wanted = method.lower() if method else None
        result = []
        for call in self.recorded:
            if not call.status:
                continue  # still running (a long poll)
            if wanted is None and call.method == "getUpdates" and not include_get_updates:
                continue
            if wanted is not None and call.method.lower() != wanted:
                continue
            if ok is not None and call.ok != ok:
                continue
            if faulted is not None and (call.fault is not None) != faulted:
                continue
            if any(call.params.get(key) != value for key, value in params.items()):
                continue
            result.append(call)
        return result

    def last_call(self, method: str | None = None, **params: Any) -> RecordedCall:
        """The most recent matching call; AssertionError if there is none."""
        matching = self.calls(method, **params)
        if not matching:
            raise AssertionError(
                f"no recorded call {method or ''}{params or ''}\n{self.describe()}"
            )
        return matching[-1]

    def mark(self) -> int:
        """Position in the call log, for ``wait_for_call(..., after=mark)``."""
        return len(self.recorded)

    async def wait_for_call(
        self,
        method: str,
        predicate: Callable[[RecordedCall], bool] | None = None,
        *,
        timeout: float = 5.0,  # noqa: ASYNC109
        after: int = 0,
        ok: bool | None = None,
        **params: Any,
    ) -> RecordedCall:
        """Wait for a completed call matching method/params/predicate with index >= ``after``."""

        def find() -> RecordedCall | None:
            for call in self.calls(method, ok=ok, **params):
                if call.index >= after and (predicate is None or predicate(call)):
                    return call
            return None

        return await self.wait_until(find, timeout, f"a {method} call {params or ''}")

    async def wait_until(
        self,
        condition: Callable[[], T | None],
        timeout: float,  # noqa: ASYNC109
        what: str,
    ) -> T:
        """Wait until ``condition()`` returns something truthy; re-checked on every change."""
        deadline = time.monotonic() + timeout
        while True:
            value = condition()
            if value:
                return value
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(
                    f"timed out after {timeout}s waiting for {what}\n{self.describe()}"
                )
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._change_event().wait(), remaining)

    async def wait_for_change(self, timeout: float) -> bool:  # noqa: ASYNC109
        """Sleep until anything changes (a call, an update, a delivery) or ``timeout``
        seconds pass; True if something changed."""
        try:
            await asyncio.wait_for(self._change_event().wait(), timeout)
        except TimeoutError:
            return False
        return True

    def message(self, chat_id: int, message_id: int) -> JSON:
        """A message the fake knows (pushed or sent by the bot)."""
        return self.messages[(chat_id, message_id)]

    def messages_from(self, user_id: int, chat_id: int | None = None) -> list[JSON]:
        """Known messages sent by ``user_id`` (optionally in one chat), oldest first."""
        return [
            message
            for (chat, _), message in self.messages.items()
            if message.get("from", {}).get("id") == user_id and chat_id in (None, chat)
        ]

    def bot_messages(self, chat_id: int) -> list[JSON]:
        """Messages the bot sent into ``chat_id`` that still exist, oldest first."""
        return [
            message
            for (chat, _), message in sorted(self.messages.items())
            if chat == chat_id and message.get("from", {}).get("id") == self.bot_id
        ]

    def max_messages_in_window(self, window: float = 1.0, chat_id: int | None = None) -> int:
        """Largest number of successful sends within any ``window`` seconds (rate assertions)."""
        stamps = [
            r.timestamp for r in self.sent_messages if chat_id is None or r.chat_id == chat_id
        ]
        return max_in_window(stamps, window)

    # ================================================================== fault injection

    def inject_faults(
        self,
        methods: str | Iterable[str] = "all",
        rate: float = 1.0,
        modes: FaultMode | str | Iterable[FaultMode | str] | Mapping[FaultMode | str, float] = (
            FaultMode.HTTP_500
        ),
        *,
        seed: int | None = 0,
        retry_after: int = 1,
        late_delay: float = 6.0,
        duration: float | None = None,
        max_faults: int | None = None,
        exclude: Iterable[str] = (),
    ) -> FaultRule:
        """Make a share of the calls of ``methods`` fail; returns the rule (counters, stop).

        ``methods`` is a name, a list of names (case-insensitive) or ``"all"`` (every method
        but getUpdates, which fails only when named; ``exclude`` takes names out).  Each
        matching valid call fails with probability ``rate``, drawn from ``random.Random(seed)``;
        the mode is one of ``modes`` (a mode, a list of modes chosen uniformly, or a
        ``{mode: weight}`` mapping).  ``retry_after`` is the N of a 429; ``late_delay`` is
        how long a ``late`` answer waits (default 6 s: beyond PTB's default read timeout of
        5 s).  The rule ends after ``duration`` seconds or ``max_faults`` faults, when
        ``stop()`` is called, or at the end of a ``with`` block.  Rules are asked in the
        order they were added; the first that fires decides.

        Example: ``fake_api.inject_faults(["sendMessage", "copyMessage"], 0.3,
        ["http_500", "drop"], seed=7)``.
        """
        return self.faults.add(
            methods,
            rate,
            modes,
            seed=seed,
            retry_after=retry_after,
            late_delay=late_delay,
            duration=duration,
            max_faults=max_faults,
            exclude=exclude,
        )

    def outage(
        self,
        methods: str | Iterable[str] = "all",
        mode: FaultMode | str = FaultMode.HTTP_500,
        *,
        duration: float | None = None,
        retry_after: int = 1,
        late_delay: float = 6.0,
        exclude: Iterable[str] = (),
    ) -> FaultRule:
        """Every call of ``methods`` fails in ``mode`` for ``duration`` seconds (or until
        ``stop()`` / the end of a ``with`` block), then calls succeed again.

        Example: ``with fake_api.outage("sendMessage"): ...`` or
        ``fake_api.outage(["sendMessage", "createForumTopic"], "drop", duration=2.0)``.
        """
        return self.faults.add(
            methods,
            1.0,
            mode,
            seed=None,
            retry_after=retry_after,
            late_delay=late_delay,
            duration=duration,
            exclude=exclude,
        )

    def clear_faults(self) -> None:
        """Stop every fault rule; calls succeed again (recorded faults stay recorded)."""
        self.faults.clear()

    def faulted_calls(
        self, method: str | None = None, mode: FaultMode | str | None = None
    ) -> list[RecordedCall]:
        """Calls that got an injected fault, optionally of one method and mode."""
        return [
            call
            for call in self.calls(method, faulted=True, include_get_updates=True)
            if mode is None or call.fault == FaultMode(mode)
        ]

    def fault_counts(self, method: str | None = None) -> Counter[str]:
        """Injected faults per mode (``"http_500"``, ``"drop"``, ...), optionally of one
        method; read from the call log, so stopped rules count too."""
        return Counter(call.fault for call in self.faulted_calls(method) if call.fault)

    # ================================================================== webhook delivery

    def set_webhook_targets(
        self,
        targets: Sequence[str] = (),
        *,
        mode: WebhookMode | str = WebhookMode.ALL,
        seed: int | None = 0,
        retry_initial: float = 0.05,
        retry_max: float = 0.5,
        timeout: float = 5.0,
        concurrency: int = 1,
    ) -> None:
        """Deliver pushed updates to these URLs while a webhook is set (instead of the URL
        given to setWebhook).

        ``mode="all"``: every target gets every update, in order per target (two replicas
        behind a fan-out); ``"round_robin"`` / ``"random"``: each attempt goes to one target
        (a load balancer), up to ``concurrency`` updates in flight.  A failed attempt (no
        answer or non-2xx) is retried after ``retry_initial`` seconds, doubling up to
        ``retry_max``.  An empty ``targets`` goes back to the webhook URL.

        Example: ``fake_api.set_webhook_targets([a.webhook_target, b.webhook_target])``.
        """
        self.webhook_delivery.config = WebhookConfig(
            targets=tuple(targets),
            mode=WebhookMode(mode),
            seed=seed,
            retry_initial=retry_initial,
            retry_max=retry_max,
            timeout=timeout,
            concurrency=concurrency,
        )
        if self.running:
            self.webhook_delivery.reconcile()

    def webhook_attempts(
        self, update_id: int | None = None, target: str | None = None
    ) -> list[DeliveryAttempt]:
        """Every POST the fake made to a webhook target (failed ones included)."""
        return self.webhook_delivery.deliveries(update_id, target)

    def webhook_received(self, target: str) -> list[int]:
        """Update ids ``target`` acknowledged with 2xx, in the order it did."""
        return self.webhook_delivery.received_by(target)

    async def wait_webhook_delivered(
        self,
        update_id: int,
        target: str | None = None,
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> None:
        """Wait until ``target`` (default: the delivery as a whole) acknowledged the update."""

        def delivered() -> bool:
            if target is None:
                return update_id in self.webhook_acknowledged
            return target in self.webhook_delivery.acknowledged.get(update_id, set())

        await self.wait_until(
            delivered, timeout, f"webhook delivery of update {update_id} to {target or 'all'}"
        )

    # ================================================================== counting helpers

    def messages_with(
        self,
        marker: str,
        *,
        chat_id: int | None = None,
        thread_id: int | None = None,
        from_bot: bool | None = True,
    ) -> list[JSON]:
        """Existing messages whose text or caption contains ``marker`` as a whole token.

        ``marker`` must not touch a letter, digit or underscore on either side, so "Q-004"
        does not match "Q-0042".  By default only the bot's messages count (``from_bot=False``
        takes the others, ``None`` all), in every chat or in ``chat_id``, optionally in one
        forum thread.  Each message counts once, however often it repeats the marker;
        deleted messages do not count, an edited one counts with its current text.
        """
        pattern = re.compile(rf"(?<!\w){re.escape(marker)}(?!\w)")
        return [
            message
            for message in self._selected_messages(chat_id, thread_id, from_bot)
            if pattern.search(message.get("text") or message.get("caption") or "")
        ]

    def count_messages_with(
        self,
        marker: str,
        *,
        chat_id: int | None = None,
        thread_id: int | None = None,
        from_bot: bool | None = True,
    ) -> int:
        """How many distinct messages carry ``marker`` (see :meth:`messages_with`).

        Example: ``fake_api.count_messages_with("Q-0042", chat_id=STAFF_CHAT.id) == 1``.
        """
        return len(
            self.messages_with(marker, chat_id=chat_id, thread_id=thread_id, from_bot=from_bot)
        )

    def marker_counts(
        self,
        markers: Iterable[str],
        *,
        chat_id: int | None = None,
        thread_id: int | None = None,
        from_bot: bool | None = True,
    ) -> Counter[str]:
        """Messages per marker, zeros included: lost = count 0, duplicated = count > 1.

        Example::

            counts = fake_api.marker_counts(f"Q-{i:04}" for i in range(100))
            assert [m for m, n in counts.items() if n != 1] == []
        """
        wanted = list(dict.fromkeys(markers))
        counts: Counter[str] = Counter(dict.fromkeys(wanted, 0))
        if not wanted:
            return counts
        alternatives = "|".join(re.escape(m) for m in sorted(wanted, key=len, reverse=True))
        pattern = re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)")
        for message in self._selected_messages(chat_id, thread_id, from_bot):
            found = set(pattern.findall(message.get("text") or message.get("caption") or ""))
            counts.update(found)
        return counts

    def thread_messages(
        self, chat_id: int, thread_id: int, *, include_service: bool = False
    ) -> list[JSON]:
        """The messages of one forum thread in order (the bot's and everyone else's).

        Service messages (topic created/closed/reopened/edited) are left out unless
        ``include_service``.
        """
        return [
            message
            for message in self._selected_messages(chat_id, thread_id, None)
            if include_service or not any(key.startswith("forum_topic_") for key in message)
        ]

    def _selected_messages(
        self, chat_id: int | None, thread_id: int | None, from_bot: bool | None
    ) -> list[JSON]:
        selected = []
        for (chat, _), message in sorted(self.messages.items()):
            if chat_id is not None and chat != chat_id:
                continue
            if thread_id is not None and message.get("message_thread_id") != thread_id:
                continue
            if from_bot is not None:
                is_bot = message.get("from", {}).get("id") == self.bot_id
                if is_bot != from_bot:
                    continue
            selected.append(message)
        return selected

    # ================================================================== violations

    def take_violations(self, method: str | None = None) -> list[Violation]:
        """Remove and return recorded violations (all, or those of one method)."""
        taken = [v for v in self.violations if method is None or v.method.lower() == method.lower()]
        self.violations = [v for v in self.violations if v not in taken]
        return taken

    @contextlib.contextmanager
    def expect_violation(
        self,
        method: str | None = None,
        parameter: str | None = None,
        match: str | None = None,
    ) -> Iterator[list[Violation]]:
        """Acknowledge violations a test provokes on purpose.

        At least one violation matching ``method``/``parameter`` (prefix of the dotted path)
        /``match`` (regex searched in the message) must be recorded inside the block; the
        matching ones are removed so they do not fail the test, and are made available in
        the yielded list.
        """
        start = len(self.violations)
        captured: list[Violation] = []
        yield captured
        new = self.violations[start:]

        def matches(violation: Violation) -> bool:
            return (
                (method is None or violation.method.lower() == method.lower())
                and (parameter is None or violation.parameter.startswith(parameter))
                and (match is None or re.search(match, violation.message) is not None)
            )

        captured.extend(v for v in new if matches(v))
        if not captured:
            got = "\n".join(f"  {v}" for v in new) or "  (none)"
            raise AssertionError(
                f"expected a violation method={method!r} parameter={parameter!r} match={match!r}, "
                f"got:\n{got}"
            )
        self.violations = self.violations[:start] + [v for v in new if not matches(v)]

    def assert_no_violations(self) -> None:
        if self.violations:
            lines = "\n".join(f"  - {v}" for v in self.violations)
            raise AssertionError(
                f"the bot made {len(self.violations)} invalid Bot API call(s):\n{lines}"
            )

    def describe(self, last: int = 25) -> str:
        """Human-readable recent history, used in timeout/assertion messages."""
        calls = "\n".join(f"  {c.summary()}" for c in self.calls()[-last:]) or "  (none)"
        violations = "\n".join(f"  {v}" for v in self.violations) or "  (none)"
        pending = [u["update_id"] for u in self.pending_updates]
        text = (
            f"recent calls (getUpdates omitted):\n{calls}\nviolations:\n{violations}\n"
            f"pending update ids: {pending}; confirmed offset: {self.confirmed_offset}"
        )
        faults = self.fault_counts()
        if faults:
            text += f"\ninjected faults: {dict(faults)}"
        attempts = self.webhook_delivery.attempts
        if attempts:
            failed = sum(not a.ok for a in attempts)
            text += f"\nwebhook: {len(attempts)} attempts, {failed} failed"
            failure = self.webhook_delivery.last_error()
            if failure is not None:
                text += f"; last error: {failure.target}: {failure.error}"
        return text

    def _violation(self, method: str, parameter: str, message: str) -> None:
        self.violations.append(Violation(method, parameter, message))

    def _change_event(self) -> asyncio.Event:
        if self._changed is None:
            self._changed = asyncio.Event()
        return self._changed

    def _notify(self) -> None:
        # Broadcast: everyone waiting on the current event wakes up; later waiters get a new one.
        if self._changed is not None:
            self._changed.set()
        self._changed = None

    # ================================================================== HTTP entry point

    async def _handle(self, request: HttpRequest) -> HttpResponse | None:
        received = time.monotonic()
        if request.path.startswith("/file/bot"):
            return self._serve_file(request)
        match = re.fullmatch(r"/bot([^/]+)/([A-Za-z0-9_]*)", request.path)
        if match is None:
            self._violation("?", "", f"Not Found: request to unexpected path {request.path!r}")
            return HttpResponse.json(
                404, {"ok": False, "error_code": 404, "description": "Not Found"}
            )
        token, method_name = match.groups()
        if token != self.token:
            self._violation(method_name, "", "Unauthorized: the request used a different token")
            return HttpResponse.json(
                401, {"ok": False, "error_code": 401, "description": "Unauthorized"}
            )
        try:
            raw_params, files = decode_parameters(request)
        except RequestBodyError as error:
            self._violation(method_name, "", f"Bad Request: undecodable body: {error}")
            return HttpResponse.json(
                400, {"ok": False, "error_code": 400, "description": f"Bad Request: {error}"}
            )
        decoded = self.validator.validate_call(method_name, raw_params, files)
        call = RecordedCall(
            index=len(self.recorded),
            method=decoded.method,
            params=decoded.params,
            files=decoded.files,
            http_method=request.method,
            timestamp=received,
        )
        self.recorded.append(call)
        # Only valid calls draw a fault: an invalid one is answered 400 and fails the test.
        fault = (
            self.faults.draw(decoded.known_method.name)
            if decoded.known_method is not None and not decoded.issues
            else None
        )
        if fault is not None:
            call.fault = fault.mode.value
            if fault.mode is not FaultMode.LATE:
                # Lost before Telegram processed it: nothing changes in the simulation.
                call.status, call.response = fault.error_payload()
                self._notify()
                if fault.mode is FaultMode.DROP:
                    return None
                return HttpResponse.json(call.status, call.response)
        files_token = _CURRENT_FILES.set(call.files)
        try:
            status, payload = await self._answer(decoded.known_method, decoded, call)
            call.status, call.response = status, payload
        except BaseException:
            # Cancelled, e.g. a long poll still open when the server stops.
            call.status, call.response = 499, {"ok": False, "description": "request cancelled"}
            raise
        finally:
            _CURRENT_FILES.reset(files_token)
            self._notify()
        response = HttpResponse.json(status, payload)
        if fault is not None:  # late: carried out above, answered after the client gave up
            response.delay = fault.rule.late_delay
        return response

    async def _answer(
        self, method: MethodSpec | None, decoded: DecodedCall, call: RecordedCall
    ) -> tuple[int, JSON]:
        if method is None:
            for issue in decoded.issues:
                self._violation(decoded.method, issue.path, issue.description)
            return 404, {"ok": False, "error_code": 404, "description": "Not Found"}
        if decoded.issues:
            for issue in decoded.issues:
                self._violation(method.name, issue.path, issue.description)
            first = decoded.issues[0].description
            return 400, {"ok": False, "error_code": 400, "description": first}
        try:
            result = await self._dispatch(method, call.params)
        except TelegramApiError as error:
            return error.status, error.to_json()
        except Exception as error:  # a bug in the fake must not look like a Telegram answer
            self._violation(method.name, "", f"internal error in FakeBotApi: {error!r}")
            return 500, {
                "ok": False,
                "error_code": 500,
                "description": f"FakeBotApi bug: {error!r}",
            }
        self._check_result(method, result)
        return 200, {"ok": True, "result": result}

    async def _dispatch(self, method: MethodSpec, params: JSON) -> Any:
        name = method.name
        chat = self._resolve_chat(params["chat_id"]) if "chat_id" in params else None
        creates_message = _is_message_creating(name)
        if chat is not None and (creates_message or name == "sendChatAction"):
            if chat.type == "private" and chat.id in self.blocked_users:
                raise TelegramApiError(403, "Forbidden: bot was blocked by the user")
            if creates_message:
                self._check_rate_limits(chat)
        handler = self._handlers.get(name)
        if handler is None:
            if method.returns == ("Boolean",):
                return True  # e.g. sendChatAction, setMyDescription, pinChatMessage
            self._violation(name, "", "FakeBotApi does not simulate this method (extend it)")
            raise bad_request(f"method {name} is not simulated by FakeBotApi")
        result = handler(params)
        if asyncio.iscoroutine(result):
            result = await result
        return result

    def _check_result(self, method: MethodSpec, result: Any) -> None:
        if not method.returns or all(t in PRIMITIVE_TYPES for t in method.returns):
            return
        issues = self.validator.check_structure(result, method.returns)
        for issue in issues:
            self._violation(
                method.name,
                issue.path,
                f"FakeBotApi produced an invalid result: {issue.description}",
            )

    def _serve_file(self, request: HttpRequest) -> HttpResponse:
        prefix = f"/file/bot{self.token}/"
        if not request.path.startswith(prefix):
            self._violation("file download", "", f"unexpected file path {request.path!r}")
            return HttpResponse(404, b"Not Found", "text/plain")
        path = request.path[len(prefix) :]
        for stored in self.files.values():
            if stored.file_path == path:
                return HttpResponse(
                    200, stored.content, stored.mime_type or "application/octet-stream"
                )
        return HttpResponse(404, b"Not Found", "text/plain")

    # ================================================================== helpers

    def _register_chat(self, chat: JSON) -> ChatState:
        state = self.chats.get(chat["id"])
        if state is None:
            state = ChatState(id=chat["id"], type=chat["type"])
            self.chats[chat["id"]] = state
        for key in ("title", "username", "first_name", "last_name"):
            if key in chat:
                setattr(state, key, chat[key])
        if "is_forum" in chat:
            state.is_forum = bool(chat["is_forum"])
        return state

    def _resolve_chat(self, chat_id: int | str) -> ChatState:
        if isinstance(chat_id, str):
            wanted = chat_id.removeprefix("@").lower()
            for known in self.chats.values():
                if known.username and known.username.lower() == wanted:
                    return known
            raise bad_request("chat not found")
        chat = self.chats.get(chat_id)
        if chat is None:
            raise bad_request("chat not found")
        return chat

    def _topic_creation_message(self, chat_id: int, thread_id: int) -> JSON | None:
        message = self.messages.get((chat_id, thread_id))
        if message is not None and "forum_topic_created" in message:
            return message
        return None

    def _existing_topic(self, chat: ChatState, thread_id: int) -> TopicState:
        if not chat.is_forum:
            raise bad_request("message thread not found")
        topic = chat.topics.get(thread_id)
        if topic is None or topic.deleted:
            raise bad_request("message thread not found")
        return topic

    def _check_rate_limits(self, chat: ChatState) -> None:
        limits = self.rate_limits
        if limits is None:
            return
        now = time.monotonic()
        windows: list[tuple[float, float, int | None]] = []
        if limits.per_second:
            windows.append((1.0, limits.per_second, None))
        if limits.per_chat_per_second:
            windows.append((1.0, limits.per_chat_per_second, chat.id))
        if limits.per_group_per_minute and chat.type in ("group", "supergroup"):
            windows.append((60.0, limits.per_group_per_minute, chat.id))
        for window, limit, chat_id in windows:
            recent = [
                r.timestamp
                for r in self.sent_messages
                if r.timestamp > now - window and (chat_id is None or r.chat_id == chat_id)
            ]
            if len(recent) >= limit:
                oldest_relevant = recent[len(recent) - int(limit)]
                retry_after = max(1, math.ceil(oldest_relevant + window - now))
                raise TelegramApiError(
                    429,
                    f"Too Many Requests: retry after {retry_after}",
                    {"retry_after": retry_after},
                )

    def _new_message(self, chat: ChatState, params: JSON, content: JSON, method: str) -> JSON:
        """Create, store and return a message the bot sends into ``chat``."""
        message: JSON = {
            "message_id": 0,  # allocated below, after all checks passed
            "from": self._bot_sender,
            "chat": chat.to_chat(),
            "date": now_unix(),
        }
        thread_id = params.get("message_thread_id")
        if thread_id is not None:
            topic = self._existing_topic(chat, thread_id)
            if topic.closed:
                raise bad_request("TOPIC_CLOSED")
            message["message_thread_id"] = thread_id
            message["is_topic_message"] = True
            created = self.messages.get((chat.id, thread_id))
            if created is not None:
                message["reply_to_message"] = _strip_reply(created)
        reply = params.get("reply_parameters")
        if isinstance(reply, dict):
            target_chat = self._resolve_chat(reply["chat_id"]) if "chat_id" in reply else chat
            target = self.messages.get((target_chat.id, reply["message_id"]))
            if target is not None:
                message["reply_to_message"] = _strip_reply(target)
            elif not reply.get("allow_sending_without_reply"):
                raise bad_request("message to be replied not found")
        message.update(content)
        markup = params.get("reply_markup")
        if isinstance(markup, dict) and "inline_keyboard" in markup:
            message["reply_markup"] = markup  # Telegram echoes inline keyboards only
        if params.get("protect_content"):
            message["has_protected_content"] = True
        message["message_id"] = self.ids.next_message_id(chat.id)
        self.messages[(chat.id, message["message_id"])] = message
        self.sent_messages.append(SentMessageRecord(time.monotonic(), chat.id, method))
        return copy.deepcopy(message)

    def _formatted(self, params: JSON, text_key: str, entities_key: str) -> JSON:
        """Plain text and entities the way Telegram stores them after parsing."""
        text = params.get(text_key)
        if text is None:
            return {}
        parsed = parse_formatted_text(text, params.get("parse_mode"))
        content: JSON = {text_key: parsed.text}
        entities = parsed.entities or params.get(entities_key)
        if entities:
            content[entities_key] = entities
        return content

    def _file_from_param(self, value: Any, kind: str) -> StoredFile:
        """Resolve an InputFile parameter: an upload, a known file_id or an HTTP URL."""
        if isinstance(value, UploadedFile):
            file_id = self.ids.next_file_id(f"bot-{kind}")
            return self.add_file(
                file_id, value.content, file_name=value.filename, mime_type=value.content_type
            )
        if isinstance(value, str):
            if value in self.files:
                return self.files[value]
            if re.match(r"https?://", value):
                file_name = value.rstrip("/").rsplit("/", 1)[-1] or None
                return self.add_file(self.ids.next_file_id(f"url-{kind}"), b"", file_name=file_name)
        raise bad_request("wrong file identifier/HTTP URL specified")

    @staticmethod
    def _photo_sizes(stored: StoredFile) -> list[JSON]:
        return [
            {
                "file_id": stored.file_id,
                "file_unique_id": stored.file_unique_id,
                "width": 1280,
                "height": 960,
                "file_size": len(stored.content),
            }
        ]

    @staticmethod
    def _document(stored: StoredFile) -> JSON:
        document: JSON = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": len(stored.content),
        }
        if stored.file_name:
            document["file_name"] = stored.file_name
        if stored.mime_type:
            document["mime_type"] = stored.mime_type
        return document

    # ================================================================== ingesting updates

    def _ingest_update(self, update: JSON) -> None:
        for key in _MESSAGE_UPDATE_KEYS:
            if key in update:
                self._ingest_message(update[key])
        query = update.get("callback_query")
        if query is not None:
            self.users[query["from"]["id"]] = query["from"]
            self.callback_queries[query["id"]] = CallbackQueryState(
                query["id"], query["from"]["id"]
            )
            message = query.get("message")
            if (
                message
                and message.get("date")
                and (message["chat"]["id"], message["message_id"]) not in self.messages
            ):
                self._ingest_message(message)
        for key in ("my_chat_member", "chat_member"):
            member_update = update.get(key)
            if member_update is not None:
                chat = self._register_chat(member_update["chat"])
                new = member_update["new_chat_member"]
                self.users[new["user"]["id"]] = new["user"]
                chat.members[new["user"]["id"]] = {k: v for k, v in new.items() if k != "user"}

    def _ingest_message(self, message: JSON) -> None:
        chat = self._register_chat(message["chat"])
        sender = message.get("from")
        if sender is not None:
            self.users[sender["id"]] = sender
            if chat.type != "private" and sender["id"] != self.bot_id:
                chat.members.setdefault(sender["id"], {"status": "member"})
        self.ids.observe_message_id(chat.id, message["message_id"])
        reply = message.get("reply_to_message")
        if reply is not None and (chat.id, reply["message_id"]) not in self.messages:
            self._ingest_message(reply)
        self.messages[(chat.id, message["message_id"])] = message
        for size in message.get("photo", []):
            self._remember_file(size)
        for kind in ("document", "audio", "video", "voice", "animation", "video_note", "sticker"):
            if kind in message:
                self._remember_file(message[kind])
        self._ingest_topic_events(chat, message)

    def _remember_file(self, file: JSON) -> None:
        if file["file_id"] not in self.files:
            self.files[file["file_id"]] = StoredFile(
                file["file_id"],
                file["file_unique_id"],
                b"",
                file.get("file_name"),
                file.get("mime_type"),
            )

    def _ingest_topic_events(self, chat: ChatState, message: JSON) -> None:
        thread_id = message.get("message_thread_id")
        if not chat.is_forum or thread_id is None:
            return
        created = message.get("forum_topic_created")
        if created is not None:
            chat.topics[thread_id] = TopicState(
                thread_id,
                created["name"],
                created.get("icon_color", DEFAULT_TOPIC_ICON_COLOR),
                created.get("icon_custom_emoji_id"),
            )
            return
        topic = chat.topics.get(thread_id)
        if topic is None and message.get("is_topic_message"):
            reply = message.get("reply_to_message") or {}
            name = reply.get("forum_topic_created", {}).get("name", f"Topic {thread_id}")
            topic = chat.topics[thread_id] = TopicState(thread_id, name)
        if topic is None:
            return
        if "forum_topic_closed" in message:
            topic.closed = True
        if "forum_topic_reopened" in message:
            topic.closed = False
        if "forum_topic_edited" in message and "name" in message["forum_topic_edited"]:
            topic.name = message["forum_topic_edited"]["name"]

    # ================================================================== method handlers

    def _get_me(self, _params: JSON) -> JSON:
        return dict(self.bot_user)

    # ---------------------------------------------------------------- updates & webhook

    def _update_kind(self, update: JSON) -> str:
        return next((key for key in update if key != "update_id"), "")

    def _is_allowed(self, kind: str) -> bool:
        if self.allowed_updates:
            return kind in self.allowed_updates
        return kind not in _OPT_IN_UPDATES

    def _confirm(self, offset: int) -> None:
        if offset < 0:
            keep = -offset
            forgotten = self.pending_updates[:-keep] if keep < len(self.pending_updates) else []
            self.pending_updates = self.pending_updates[len(forgotten) :]
            if forgotten:
                self.confirmed_offset = max(self.confirmed_offset, forgotten[-1]["update_id"] + 1)
            return
        if offset > 0:
            self.pending_updates = [u for u in self.pending_updates if u["update_id"] >= offset]
            self.confirmed_offset = max(self.confirmed_offset, offset)

    def _deliverable(self, limit: int) -> list[JSON]:
        batch: list[JSON] = []
        for update in list(self.pending_updates):
            if not self._is_allowed(self._update_kind(update)):
                # Telegram never creates updates of kinds the bot did not ask for.
                self.pending_updates.remove(update)
                self.dropped_updates.append(update)
                continue
            batch.append(update)
            if len(batch) >= limit:
                break
        return batch

    async def _get_updates(self, params: JSON) -> list[JSON]:
        if self.webhook is not None:
            raise TelegramApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; use "
                "deleteWebhook to delete the webhook first",
            )
        if "allowed_updates" in params:
            self.allowed_updates = list(params["allowed_updates"])
        self._confirm(int(params.get("offset", 0)))
        self._notify()  # confirmation is progress that wait_update_confirmed looks for
        limit = int(params.get("limit", 100))
        timeout = float(params.get("timeout", 0))
        # A newer getUpdates terminates an older pending one, as on the real server.
        self._poll_generation += 1
        generation = self._poll_generation
        deadline = time.monotonic() + timeout
        while True:
            if generation != self._poll_generation:
                raise TelegramApiError(
                    409,
                    "Conflict: terminated by other getUpdates request; make sure that only one "
                    "bot instance is running",
                )
            batch = self._deliverable(limit)
            remaining = deadline - time.monotonic()
            if batch or remaining <= 0:
                break
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._change_event().wait(), remaining)
        self.delivered_update_ids.update(u["update_id"] for u in batch)
        return copy.deepcopy(batch)

    def _set_webhook(self, params: JSON) -> bool:
        url = params["url"]
        if not url:
            return self._delete_webhook(params)
        if not url.lower().startswith("https://"):
            raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
        self.webhook = {
            "url": url,
            "has_custom_certificate": "certificate" in params,
            "max_connections": params.get("max_connections", 40),
        }
        self.webhook_secret = params.get("secret_token")
        if "ip_address" in params:
            self.webhook["ip_address"] = params["ip_address"]
        if "allowed_updates" in params:
            self.allowed_updates = list(params["allowed_updates"])
            self.webhook["allowed_updates"] = list(params["allowed_updates"])
        if params.get("drop_pending_updates"):
            self._drop_pending()
        self.webhook_delivery.reconcile()
        return True

    def _delete_webhook(self, params: JSON) -> bool:
        self.webhook = None
        self.webhook_secret = None
        if params.get("drop_pending_updates"):
            self._drop_pending()
        self.webhook_delivery.reconcile()
        return True

    def _drop_pending(self) -> None:
        if self.pending_updates:
            self.confirmed_offset = max(
                self.confirmed_offset, self.pending_updates[-1]["update_id"] + 1
            )
        self.pending_updates = []

    def _get_webhook_info(self, _params: JSON) -> JSON:
        info: JSON = {"url": "", "has_custom_certificate": False}
        if self.webhook is not None:
            info.update(self.webhook)
            failed = self.webhook_delivery.last_error()
            if failed is not None:
                info["last_error_date"] = int(time.time() - (time.monotonic() - failed.started))
                info["last_error_message"] = failed.error or "delivery failed"
        info["pending_update_count"] = len(self.pending_updates)
        return info

    def _webhook_queue(self) -> list[JSON]:
        """Pending updates a webhook delivers, oldest first (kinds not allowed are dropped)."""
        return self._deliverable(len(self.pending_updates) or 1)

    def _webhook_done(self, update: JSON) -> None:
        """A webhook delivery was acknowledged (by every target, in ``all`` mode)."""
        update_id = update["update_id"]
        self.pending_updates = [u for u in self.pending_updates if u is not update]
        self.webhook_acknowledged.add(update_id)
        self.delivered_update_ids.add(update_id)
        lowest_pending = self.pending_updates[0]["update_id"] if self.pending_updates else None
        self.confirmed_offset = max(
            self.confirmed_offset, update_id + 1 if lowest_pending is None else lowest_pending
        )
        self._notify()

    # ---------------------------------------------------------------- commands

    def _scope_key(self, params: JSON) -> tuple[str, str]:
        scope = dict(params.get("scope") or {"type": "default"})
        if "chat_id" in scope:
            scope["chat_id"] = self._resolve_chat(scope["chat_id"]).id
        return json.dumps(scope, sort_keys=True), params.get("language_code", "")

    def _set_my_commands(self, params: JSON) -> bool:
        self.commands[self._scope_key(params)] = [dict(c) for c in params["commands"]]
        return True

    def _get_my_commands(self, params: JSON) -> list[JSON]:
        return [dict(c) for c in self.commands.get(self._scope_key(params), [])]

    def _delete_my_commands(self, params: JSON) -> bool:
        self.commands.pop(self._scope_key(params), None)
        return True

    def my_commands(self, scope: JSON | None = None, language_code: str = "") -> list[JSON]:
        """The commands stored for a scope (default scope if ``None``) and language."""
        params: JSON = {"language_code": language_code}
        if scope is not None:
            params["scope"] = scope
        return self.commands.get(self._scope_key(params), [])

    # ---------------------------------------------------------------- sending

    def _send_message(self, params: JSON) -> JSON:
        chat = self._resolve_chat(params["chat_id"])
        content = self._formatted(params, "text", "entities")
        if "link_preview_options" in params:
            content["link_preview_options"] = params["link_preview_options"]
        return self._new_message(chat, params, content, "sendMessage")

    def _send_photo(self, params: JSON) -> JSON:
        chat = self._resolve_chat(params["chat_id"])
        stored = self._file_from_param(params["photo"], "photo")
        content = {"photo": self._photo_sizes(stored)}
        content.update(self._formatted(params, "caption", "caption_entities"))
        return self._new_message(chat, params, content, "sendPhoto")

    def _send_document(self, params: JSON) -> JSON:
        chat = self._resolve_chat(params["chat_id"])
        stored = self._file_from_param(params["document"], "document")
        content: JSON = {"document": self._document(stored)}
        content.update(self._formatted(params, "caption", "caption_entities"))
        return self._new_message(chat, params, content, "sendDocument")

    def _send_location(self, params: JSON) -> JSON:
        chat = self._resolve_chat(params["chat_id"])
        location = {"latitude": params["latitude"], "longitude": params["longitude"]}
        for key in ("horizontal_accuracy", "live_period", "heading", "proximity_alert_radius"):
            if key in params:
                location[key] = params[key]
        return self._new_message(chat, params, {"location": location}, "sendLocation")

    def _send_venue(self, params: JSON) -> JSON:
        chat = self._resolve_chat(params["chat_id"])
        location = {"latitude": params["latitude"], "longitude": params["longitude"]}
        venue: JSON = {"location": location, "title": params["title"], "address": params["address"]}
        for key in ("foursquare_id", "foursquare_type", "google_place_id", "google_place_type"):
            if key in params:
                venue[key] = params[key]
        return self._new_message(chat, params, {"venue": venue, "location": location}, "sendVenue")

    def _send_media_group(self, params: JSON) -> list[JSON]:
        chat = self._resolve_chat(params["chat_id"])
        media_group_id = self.ids.next_file_id("album")
        uploads = _CURRENT_FILES.get({})
        messages = []
        for item in params["media"]:
            media = item["media"]
            if isinstance(media, str) and media.startswith("attach://"):
                media = uploads[media[len("attach://") :]]
            kind = item["type"]
            stored = self._file_from_param(media, kind)
            if kind == "photo":
                content: JSON = {"photo": self._photo_sizes(stored)}
            elif kind == "document":
                content = {"document": self._document(stored)}
            else:
                self._violation(
                    "sendMediaGroup", "media", f"FakeBotApi does not simulate {kind} albums"
                )
                raise bad_request(f"{kind} albums are not simulated by FakeBotApi")
            content["media_group_id"] = media_group_id
            content.update(self._formatted(item, "caption", "caption_entities"))
            messages.append(self._new_message(chat, params, content, "sendMediaGroup"))
        return messages

    # ---------------------------------------------------------------- copy & forward

    def _source_message(self, params: JSON, message_id: int, action: str) -> JSON:
        source_chat = self._resolve_chat(params["from_chat_id"])
        source = self.messages.get((source_chat.id, message_id))
        if source is None:
            raise bad_request(f"message to {action} not found")
        if not any(key in source for key in _CONTENT_FIELDS):
            raise bad_request(f"message can't be {'copied' if action == 'copy' else 'forwarded'}")
        if source.get("has_protected_content"):
            raise bad_request("message has protected content and can't be forwarded")
        return source

    def _copy_content(self, source: JSON, params: JSON) -> JSON:
        content = {key: copy.deepcopy(source[key]) for key in _CONTENT_FIELDS if key in source}
        if params.get("remove_caption"):
            content.pop("caption", None)
            content.pop("caption_entities", None)
        if "caption" in params:
            content.pop("caption_entities", None)
            content.update(self._formatted(params, "caption", "caption_entities"))
        return content

    def _copy_message(self, params: JSON) -> JSON:
        chat = self._resolve_chat(params["chat_id"])
        source = self._source_message(params, params["message_id"], "copy")
        message = self._new_message(chat, params, self._copy_content(source, params), "copyMessage")
        return {"message_id": message["message_id"]}

    def _copy_messages(self, params: JSON) -> list[JSON]:
        chat = self._resolve_chat(params["chat_id"])
        copied = []
        for message_id in params["message_ids"]:
            try:
                source = self._source_message(params, message_id, "copy")
            except TelegramApiError:
                continue  # Telegram skips messages that can't be found or copied
            message = self._new_message(
                chat, params, self._copy_content(source, params), "copyMessages"
            )
            copied.append({"message_id": message["message_id"]})
        if not copied:
            raise bad_request("message to copy not found")
        return copied

    def _forward_origin(self, source: JSON) -> JSON:
        if "forward_origin" in source:
            return copy.deepcopy(source["forward_origin"])
        sender_chat = source.get("sender_chat")
        if sender_chat is not None and sender_chat.get("type") == "channel":
            return {
                "type": "channel",
                "date": source["date"],
                "chat": sender_chat,
                "message_id": source["message_id"],
            }
        sender = source.get("from")
        if sender is None:
            return {"type": "chat", "date": source["date"], "sender_chat": source["chat"]}
        if sender["id"] in self.hidden_forward_users:
            name = " ".join(filter(None, (sender.get("first_name"), sender.get("last_name"))))
            return {"type": "hidden_user", "date": source["date"], "sender_user_name": name}
        return {"type": "user", "date": source["date"], "sender_user": sender}

    def _forward_message(self, params: JSON) -> JSON:
        chat = self._resolve_chat(params["chat_id"])
        source = self._source_message(params, params["message_id"], "forward")
        content = {key: copy.deepcopy(source[key]) for key in _CONTENT_FIELDS if key in source}
        content["forward_origin"] = self._forward_origin(source)
        return self._new_message(chat, params, content, "forwardMessage")

    def _forward_messages(self, params: JSON) -> list[JSON]:
        result = []
        for message_id in params["message_ids"]:
            try:
                message = self._forward_message({**params, "message_id": message_id})
            except TelegramApiError:
                continue
            result.append({"message_id": message["message_id"]})
        if not result:
            raise bad_request("message to forward not found")
        return result

    # ---------------------------------------------------------------- editing & deleting

    def _editable_message(self, params: JSON) -> JSON | None:
        """The stored message an edit refers to; ``None`` for inline messages."""
        if "inline_message_id" in params:
            return None
        chat = self._resolve_chat(params["chat_id"])
        message = self.messages.get((chat.id, params["message_id"]))
        if message is None:
            raise bad_request("message to edit not found")
        if message.get("from", {}).get("id") != self.bot_id or _is_service(message):
            raise bad_request("message can't be edited")
        return message

    def _apply_edit(self, message: JSON, changes: JSON, markup: JSON | None) -> JSON:
        keys = set(changes) | {"reply_markup"}
        before = {key: message.get(key) for key in keys}
        after = {**changes, "reply_markup": markup}
        if before == after:
            raise bad_request(_NOT_MODIFIED)
        for key, value in after.items():
            if value is None:
                message.pop(key, None)
            else:
                message[key] = value
        message["edit_date"] = now_unix()
        self._notify()
        return copy.deepcopy(message)

    def _edit_message_text(self, params: JSON) -> JSON | bool:
        message = self._editable_message(params)
        if message is None:
            return True
        if "text" not in message:
            raise bad_request("there is no text in the message to edit")
        formatted = self._formatted(params, "text", "entities")
        changes = {"text": formatted["text"], "entities": formatted.get("entities")}
        return self._apply_edit(message, changes, params.get("reply_markup"))

    def _edit_message_caption(self, params: JSON) -> JSON | bool:
        message = self._editable_message(params)
        if message is None:
            return True
        if not any(key in message for key in _MEDIA_FIELDS):
            raise bad_request("there is no caption in the message to edit")
        formatted = self._formatted(params, "caption", "caption_entities")
        changes = {
            "caption": formatted.get("caption"),
            "caption_entities": formatted.get("caption_entities"),
        }
        return self._apply_edit(message, changes, params.get("reply_markup"))

    def _edit_message_reply_markup(self, params: JSON) -> JSON | bool:
        message = self._editable_message(params)
        if message is None:
            return True
        return self._apply_edit(message, {}, params.get("reply_markup"))

    def _delete_message(self, params: JSON) -> bool:
        chat = self._resolve_chat(params["chat_id"])
        key = (chat.id, params["message_id"])
        if key not in self.messages:
            raise bad_request("message to delete not found")
        del self.messages[key]
        self.deleted_messages.append(key)
        return True

    def _delete_messages(self, params: JSON) -> bool:
        chat = self._resolve_chat(params["chat_id"])
        for message_id in params["message_ids"]:
            key = (chat.id, message_id)
            if self.messages.pop(key, None) is not None:
                self.deleted_messages.append(key)
        return True

    def _answer_callback_query(self, params: JSON) -> bool:
        state = self.callback_queries.get(params["callback_query_id"])
        if state is None or state.answered:
            raise bad_request(
                "query is too old and response timeout expired or query ID is invalid"
            )
        state.answered = True
        state.answer = dict(params)
        return True

    # ---------------------------------------------------------------- forum topics

    def _create_forum_topic(self, params: JSON) -> JSON:
        chat = self._resolve_chat(params["chat_id"])
        if chat.type != "supergroup" or not chat.is_forum:
            raise bad_request("the chat is not a forum")
        rights = chat.members.get(self.bot_id, {})
        if (
            rights.get("status") not in ("administrator", "creator")
            or rights.get("can_manage_topics") is False
        ):
            raise bad_request("not enough rights to create a topic")
        thread_id = self.ids.next_message_id(chat.id)
        topic = TopicState(
            thread_id,
            params["name"],
            params.get("icon_color", DEFAULT_TOPIC_ICON_COLOR),
            params.get("icon_custom_emoji_id"),
        )
        chat.topics[thread_id] = topic
        created: JSON = {"name": topic.name, "icon_color": topic.icon_color}
        if topic.icon_custom_emoji_id:
            created["icon_custom_emoji_id"] = topic.icon_custom_emoji_id
        self.messages[(chat.id, thread_id)] = {
            "message_id": thread_id,
            "from": self._bot_sender,
            "chat": chat.to_chat(),
            "date": now_unix(),
            "message_thread_id": thread_id,
            "is_topic_message": True,
            "forum_topic_created": created,
        }
        return topic.to_forum_topic()

    def _edit_forum_topic(self, params: JSON) -> bool:
        chat = self._resolve_chat(params["chat_id"])
        topic = self._existing_topic(chat, params["message_thread_id"])
        name = params.get("name") or topic.name
        emoji = params.get("icon_custom_emoji_id", topic.icon_custom_emoji_id)
        if name == topic.name and emoji == topic.icon_custom_emoji_id:
            raise bad_request("TOPIC_NOT_MODIFIED")
        topic.name, topic.icon_custom_emoji_id = name, emoji or None
        return True

    def _close_forum_topic(self, params: JSON) -> bool:
        chat = self._resolve_chat(params["chat_id"])
        topic = self._existing_topic(chat, params["message_thread_id"])
        if topic.closed:
            raise bad_request("TOPIC_NOT_MODIFIED")
        topic.closed = True
        return True

    def _reopen_forum_topic(self, params: JSON) -> bool:
        chat = self._resolve_chat(params["chat_id"])
        topic = self._existing_topic(chat, params["message_thread_id"])
        if not topic.closed:
            raise bad_request("TOPIC_NOT_MODIFIED")
        topic.closed = False
        return True

    def _delete_forum_topic(self, params: JSON) -> bool:
        chat = self._resolve_chat(params["chat_id"])
        thread_id = params["message_thread_id"]
        topic = self._existing_topic(chat, thread_id)
        topic.deleted = True
        for key, message in list(self.messages.items()):
            if key[0] == chat.id and message.get("message_thread_id") == thread_id:
                del self.messages[key]
                self.deleted_messages.append(key)
        return True

    # ---------------------------------------------------------------- chats & files

    def _get_chat(self, params: JSON) -> JSON:
        return self._resolve_chat(params["chat_id"]).to_full_info()

    def _get_chat_member(self, params: JSON) -> JSON:
        chat = self._resolve_chat(params["chat_id"])
        user_id = params["user_id"]
        user = self.bot_user if user_id == self.bot_id else self.users.get(user_id)
        if user is None:
            raise bad_request("user not found")
        override = dict(chat.members.get(user_id, {}))
        if "status" in override:
            status = override.pop("status")
        elif chat.type == "private":
            status = "member" if user_id in (chat.id, self.bot_id) else "left"
        else:
            status = "left"
        member: JSON = {
            "status": status,
            "user": {k: v for k, v in user.items() if k in self.spec.types["User"].fields},
        }
        type_spec = self.spec.types[_MEMBER_TYPES[status]]
        for spec_field in type_spec.fields.values():
            if spec_field.name in member or not spec_field.required:
                continue
            if spec_field.types == ("Boolean",):
                # Administrators (the bot in staff groups) get every right unless overridden.
                member[spec_field.name] = (
                    status == "administrator"
                    and spec_field.name.startswith("can_")
                    and spec_field.name != "can_be_edited"
                )
            elif spec_field.types == ("Integer",):
                member[spec_field.name] = 0
            elif spec_field.types == ("String",):
                member[spec_field.name] = ""
        if status == "administrator":
            member.setdefault("can_pin_messages", True)
            member.setdefault("can_manage_topics", True)
        if status == "restricted":
            member["is_member"] = True
        member.update(override)
        return member

    def _get_chat_administrators(self, params: JSON) -> list[JSON]:
        chat = self._resolve_chat(params["chat_id"])
        if chat.type == "private":
            raise bad_request("there are no administrators in the private chat")
        admins = [self.bot_id] + [
            user_id
            for user_id, member in chat.members.items()
            if member.get("status") in ("creator", "administrator") and user_id != self.bot_id
        ]
        return [
            self._get_chat_member({"chat_id": chat.id, "user_id": user_id})
            for user_id in admins
            if user_id == self.bot_id or user_id in self.users
        ]

    def _leave_chat(self, params: JSON) -> bool:
        chat = self._resolve_chat(params["chat_id"])
        if chat.type == "private":
            raise bad_request("chat member status can't be changed in private chats")
        chat.members[self.bot_id] = {"status": "left"}
        self.left_chats.add(chat.id)
        return True

    def _get_file(self, params: JSON) -> JSON:
        stored = self.files.get(params["file_id"])
        if stored is None:
            raise bad_request("invalid file_id")
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": len(stored.content),
            "file_path": stored.file_path,
        }


def max_in_window(stamps: Sequence[float], window: float = 1.0) -> int:
    """Largest number of stamps within any ``window`` seconds (stamps in order)."""
    best = start = 0
    for end, stamp in enumerate(stamps):
        while stamp - stamps[start] >= window:
            start += 1
        best = max(best, end - start + 1)
    return best
