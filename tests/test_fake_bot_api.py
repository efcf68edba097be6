"""Tests of the fake Telegram Bot API itself, driven through the real PTB stack.

They prove that the validator rejects what Telegram rejects (and a bit more, where the
documentation is stricter than Telegram's parser) and accepts valid calls, and that the
stateful simulation behaves like Telegram for the flows the support-relay bot relies on.
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from fake_bot_api import (
    FakeBotApi,
    RateLimits,
    TgChat,
    TgUser,
    UpdateBuilder,
    parse_formatted_text,
)
from fake_bot_api import fixtures as fake_bot_api_fixtures
from fake_bot_api.fixtures import running_application, serve_fake_api
from fake_bot_api.formatting import FormattingError
from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeChat,
    ChatMemberAdministrator,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    ReplyParameters,
    Update,
)
from telegram.constants import ParseMode
from telegram.error import BadRequest, EndPointNotFound, Forbidden, NetworkError, RetryAfter
from telegram.ext import CallbackQueryHandler, CommandHandler, ContextTypes

# The fixtures are exposed here explicitly until tests/conftest.py registers them for the
# whole suite (binding by assignment keeps linters from flagging the parameter names).
fake_api = fake_bot_api_fixtures.fake_api
fake_bot = fake_bot_api_fixtures.fake_bot
fake_app_builder = fake_bot_api_fixtures.fake_app_builder

USER = TgUser(1001, "Anna", last_name="Kowalska", username="anna_k", language_code="pl")
OTHER_USER = TgUser(1002, "Olena", language_code="uk")
STAFF = TgUser(2001, "Piotr", language_code="pl")
STAFF_GROUP = TgChat.supergroup(-1001234567890, "Biuro Dialogu — zgłoszenia")


def _keyboard(*rows: list[tuple[str, str]]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(text, callback_data=data) for text, data in row] for row in rows]
    )


# =============================================================================================
# Valid calls are accepted and produce Telegram-shaped results
# =============================================================================================


@pytest.mark.asyncio
async def test_get_me_describes_the_test_bot(fake_bot: Bot) -> None:
    me = await fake_bot.get_me()
    assert me.username == "torun_dialog_test_bot"
    assert me.is_bot and me.can_join_groups
    assert fake_bot.bot.id == 123456


@pytest.mark.asyncio
async def test_valid_html_message_with_keyboard_is_accepted(
    fake_api: FakeBotApi, fake_bot: Bot
) -> None:
    fake_api.add_user(USER)
    html = (
        '<b>Dzień dobry</b>, <i>Anna</i>! <a href="https://torun.pl/?a=1&b=2">Toruń</a> '
        '&lt;3 &amp; &#128512; <code>x</code> <pre><code class="language-python">a &lt; b'
        '</code></pre> <tg-spoiler>s</tg-spoiler> <span class="tg-spoiler">s</span> '
        '<blockquote expandable>q</blockquote> <tg-time unix="1647531900" format="wDT">t</tg-time>'
    )
    message = await fake_bot.send_message(
        USER.id,
        html,
        parse_mode=ParseMode.HTML,
        reply_markup=_keyboard([("Tak", "yes"), ("Nie", "no")]),
    )
    assert message.text is not None
    assert message.text.startswith("Dzień dobry, Anna! Toruń <3 & 😀 x a < b")
    assert message.from_user is not None and message.from_user.id == fake_bot.id
    assert message.reply_markup is not None
    assert message.reply_markup.inline_keyboard[0][1].callback_data == "no"
    types = [entity.type for entity in message.entities]
    assert {"bold", "italic", "text_link", "code", "pre", "spoiler", "date_time"} <= set(types)
    pre = next(e for e in message.entities if e.type == "pre")
    assert pre.language == "python"

    call = fake_api.last_call("sendMessage", chat_id=USER.id)
    assert call.params["parse_mode"] == "HTML"
    assert call.params["reply_markup"]["inline_keyboard"][0][0] == {
        "text": "Tak",
        "callback_data": "yes",
    }


@pytest.mark.asyncio
async def test_text_limit_counts_characters_after_entity_parsing(
    fake_api: FakeBotApi, fake_bot: Bot
) -> None:
    fake_api.add_user(USER)
    # 4096 visible characters; the markup itself does not count.
    await fake_bot.send_message(USER.id, "<b>" + "ż" * 4096 + "</b>", parse_mode="HTML")
    await fake_bot.send_message(USER.id, "😀" * 4096)  # code points, not UTF-16 units


@pytest.mark.asyncio
async def test_media_location_venue_and_documents(fake_api: FakeBotApi, fake_bot: Bot) -> None:
    fake_api.add_user(USER)
    photo = await fake_bot.send_photo(
        USER.id, photo=b"\x89PNG fake", caption="<i>mapa</i>", parse_mode="HTML"
    )
    assert photo.photo and photo.caption == "mapa"
    document = await fake_bot.send_document(
        USER.id, document=b"%PDF-1.4", filename="regulamin.pdf", caption="Regulamin"
    )
    assert document.document is not None and document.document.file_name == "regulamin.pdf"
    call = fake_api.last_call("sendDocument")
    assert call.params["document"].content == b"%PDF-1.4"  # multipart upload decoded

    file = await fake_bot.get_file(document.document.file_id)
    assert await file.download_as_bytearray() == bytearray(b"%PDF-1.4")

    again = await fake_bot.send_photo(USER.id, photo=photo.photo[-1].file_id)  # by file_id
    assert again.photo[-1].file_id == photo.photo[-1].file_id
    venue = await fake_bot.send_venue(
        USER.id, latitude=53.0103, longitude=18.6048, title="Ratusz", address="Rynek Staromiejski 1"
    )
    assert venue.venue is not None and venue.venue.title == "Ratusz"
    location = await fake_bot.send_location(USER.id, latitude=53.0138, longitude=18.5984)
    assert location.location is not None and location.location.latitude == pytest.approx(53.0138)


@pytest.mark.asyncio
async def test_commands_are_stored_per_scope_and_language(
    fake_api: FakeBotApi, fake_bot: Bot
) -> None:
    fake_api.add_supergroup(STAFF_GROUP.id, "Staff")
    await fake_bot.set_my_commands([BotCommand("start", "Rozpocznij"), BotCommand("help", "Pomoc")])
    await fake_bot.set_my_commands([BotCommand("start", "Почати")], language_code="uk")
    scope = BotCommandScopeChat(STAFF_GROUP.id)
    await fake_bot.set_my_commands([BotCommand("close", "Zamknij zgłoszenie")], scope=scope)

    assert [c.command for c in await fake_bot.get_my_commands()] == ["start", "help"]
    assert [c.description for c in await fake_bot.get_my_commands(language_code="uk")] == ["Почати"]
    assert [c.command for c in await fake_bot.get_my_commands(scope=scope)] == ["close"]
    await fake_bot.delete_my_commands(scope=scope)
    assert await fake_bot.get_my_commands(scope=scope) == ()
    assert fake_api.my_commands()[0]["command"] == "start"


@pytest.mark.asyncio
async def test_webhook_round_trip(fake_api: FakeBotApi, fake_bot: Bot) -> None:
    assert (await fake_bot.get_webhook_info()).url == ""
    fake_api.push_update(fake_api.updates.text_message(USER, "hej"))
    await fake_bot.set_webhook("https://bot.example.org/hook", allowed_updates=["message"])
    info = await fake_bot.get_webhook_info()
    assert info.url == "https://bot.example.org/hook"
    assert info.pending_update_count == 1
    with pytest.raises(BadRequest, match=r"(?i)https url"):
        await fake_bot.set_webhook("http://insecure.example.org/hook")
    await fake_bot.delete_webhook(drop_pending_updates=True)
    assert (await fake_bot.get_webhook_info()).pending_update_count == 0


# =============================================================================================
# Forum topics, copying, editing, blocking
# =============================================================================================


@pytest.mark.asyncio
async def test_forum_topic_lifecycle(fake_api: FakeBotApi, fake_bot: Bot) -> None:
    fake_api.add_supergroup(STAFF_GROUP.id, STAFF_GROUP.title or "")
    topic = await fake_bot.create_forum_topic(STAFF_GROUP.id, "Anna Kowalska #1")
    thread = topic.message_thread_id
    sent = await fake_bot.send_message(STAFF_GROUP.id, "Nowe zgłoszenie", message_thread_id=thread)
    assert sent.is_topic_message and sent.message_thread_id == thread
    assert sent.reply_to_message is not None
    assert sent.reply_to_message.forum_topic_created is not None

    await fake_bot.edit_forum_topic(STAFF_GROUP.id, thread, name="Anna Kowalska #1 ✅")
    await fake_bot.close_forum_topic(STAFF_GROUP.id, thread)
    with pytest.raises(BadRequest, match="Topic_closed"):
        await fake_bot.send_message(STAFF_GROUP.id, "x", message_thread_id=thread)
    with pytest.raises(BadRequest, match="Topic_not_modified"):
        await fake_bot.close_forum_topic(STAFF_GROUP.id, thread)
    await fake_bot.reopen_forum_topic(STAFF_GROUP.id, thread)
    await fake_bot.send_message(STAFF_GROUP.id, "znowu otwarte", message_thread_id=thread)
    await fake_bot.delete_forum_topic(STAFF_GROUP.id, thread)
    with pytest.raises(BadRequest, match="thread not found"):
        await fake_bot.send_message(STAFF_GROUP.id, "x", message_thread_id=thread)
    fake_api.add_user(USER)
    with pytest.raises(BadRequest, match="not a forum"):
        await fake_bot.create_forum_topic(USER.id, "x")


@pytest.mark.asyncio
async def test_pushed_topic_closed_service_message_closes_the_topic(
    fake_api: FakeBotApi, fake_bot: Bot
) -> None:
    fake_api.add_supergroup(STAFF_GROUP.id, "Staff")
    fake_api.push_update(fake_api.updates.topic_message(STAFF, STAFF_GROUP, 77, "Dzień dobry"))
    await fake_bot.send_message(STAFF_GROUP.id, "ok", message_thread_id=77)
    fake_api.push_update(fake_api.updates.forum_topic_closed(STAFF_GROUP, 77, STAFF))
    with pytest.raises(BadRequest, match="Topic_closed"):
        await fake_bot.send_message(STAFF_GROUP.id, "x", message_thread_id=77)


@pytest.mark.asyncio
async def test_copy_forward_edit_delete(fake_api: FakeBotApi, fake_bot: Bot) -> None:
    fake_api.add_supergroup(STAFF_GROUP.id, "Staff")
    topic = await fake_bot.create_forum_topic(STAFF_GROUP.id, "Anna")
    fake_api.push_update(fake_api.updates.photo_message(USER, caption="Dziura w jezdni"))
    fake_api.push_update(fake_api.updates.text_message(USER, "Ulica Szeroka 1"))
    photo_msg, text_msg = fake_api.messages_from(USER.id)[-2:]

    copied = await fake_bot.copy_message(
        STAFF_GROUP.id, USER.id, photo_msg["message_id"], message_thread_id=topic.message_thread_id
    )
    stored = fake_api.message(STAFF_GROUP.id, copied.message_id)
    assert stored["caption"] == "Dziura w jezdni" and stored["photo"]
    ids = await fake_bot.copy_messages(
        STAFF_GROUP.id,
        USER.id,
        [photo_msg["message_id"], text_msg["message_id"]],
        message_thread_id=topic.message_thread_id,
    )
    assert len(ids) == 2
    with pytest.raises(BadRequest, match="Message to copy not found"):
        await fake_bot.copy_message(STAFF_GROUP.id, USER.id, 99_999)

    fake_api.hide_forward_sender(USER.id)
    forwarded = await fake_bot.forward_message(STAFF_GROUP.id, USER.id, text_msg["message_id"])
    assert forwarded.forward_origin is not None and forwarded.forward_origin.type == "hidden_user"

    reply = await fake_bot.send_message(
        USER.id,
        "Przyjęliśmy zgłoszenie",
        reply_parameters=ReplyParameters(text_msg["message_id"]),
        reply_markup=_keyboard([("Dziękuję", "thanks")]),
    )
    assert reply.reply_to_message is not None
    edited = await fake_bot.edit_message_text("Zgłoszenie przekazane", USER.id, reply.message_id)
    assert isinstance(edited, Message)
    assert edited.text == "Zgłoszenie przekazane" and edited.reply_markup is None  # keyboard gone
    with pytest.raises(BadRequest, match="not modified"):
        await fake_bot.edit_message_text("Zgłoszenie przekazane", USER.id, reply.message_id)
    await fake_bot.edit_message_reply_markup(
        USER.id, reply.message_id, reply_markup=_keyboard([("OK", "ok")])
    )
    with pytest.raises(BadRequest, match="can't be edited"):
        await fake_bot.edit_message_text("x", USER.id, text_msg["message_id"])
    assert await fake_bot.delete_message(USER.id, reply.message_id)
    with pytest.raises(BadRequest, match="not found"):
        await fake_bot.delete_message(USER.id, reply.message_id)


@pytest.mark.asyncio
async def test_blocked_user_and_unknown_chat(fake_api: FakeBotApi, fake_bot: Bot) -> None:
    fake_api.add_user(USER)
    fake_api.block_user(USER.id)
    with pytest.raises(Forbidden, match="blocked by the user"):
        await fake_bot.send_message(USER.id, "hej")
    with pytest.raises(BadRequest, match="Chat not found"):
        await fake_bot.send_message(555, "hej")
    assert not fake_api.calls("sendMessage", ok=True)


@pytest.mark.asyncio
async def test_chat_and_member_info(fake_api: FakeBotApi, fake_bot: Bot) -> None:
    fake_api.add_supergroup(STAFF_GROUP.id, "Staff")
    fake_api.push_update(fake_api.updates.topic_message(STAFF, STAFF_GROUP, 5, "hej"))
    chat = await fake_bot.get_chat(STAFF_GROUP.id)
    assert chat.is_forum and chat.title == STAFF_GROUP.title  # updated from the pushed update
    me = await fake_bot.get_chat_member(STAFF_GROUP.id, fake_bot.id)
    assert isinstance(me, ChatMemberAdministrator) and me.can_manage_topics
    staff = await fake_bot.get_chat_member(STAFF_GROUP.id, STAFF.id)
    assert staff.status == "member"
    fake_api.set_chat_member(STAFF_GROUP.id, STAFF.id, "kicked", until_date=0)
    assert (await fake_bot.get_chat_member(STAFF_GROUP.id, STAFF.id)).status == "kicked"


@pytest.mark.asyncio
async def test_rate_limit_answers_429_and_records_send_times(
    fake_api: FakeBotApi, fake_bot: Bot, monkeypatch: pytest.MonkeyPatch
) -> None:
    # PTB's RetryAfter emits a deprecation warning unless timedelta periods are opted into.
    monkeypatch.setenv("PTB_TIMEDELTA", "1")
    fake_api.add_user(USER)
    fake_api.rate_limits = RateLimits(per_second=5, per_group_per_minute=None)
    for index in range(5):
        await fake_bot.send_message(USER.id, f"wiadomość {index}")
    with pytest.raises(RetryAfter):
        await fake_bot.send_message(USER.id, "za dużo")
    refused = fake_api.calls("sendMessage")[-1]
    assert refused.status == 429 and refused.response["parameters"]["retry_after"] >= 1
    assert fake_api.max_messages_in_window(1.0) == 5


# =============================================================================================
# The validator catches violations
# =============================================================================================


@pytest.mark.asyncio
async def test_unknown_parameter(fake_api: FakeBotApi, fake_bot: Bot) -> None:
    fake_api.add_user(USER)
    with (
        fake_api.expect_violation("sendMessage", "reply_to_mesage", "unknown parameter"),
        pytest.raises(BadRequest, match=r"(?i)unknown parameter"),
    ):
        await fake_bot.send_message(USER.id, "x", api_kwargs={"reply_to_mesage": 1})


@pytest.mark.asyncio
async def test_missing_required_parameter_and_unknown_method(
    fake_api: FakeBotApi, fake_bot: Bot
) -> None:
    fake_api.add_user(USER)
    # Method names are case-insensitive at Telegram; "SENDMESSAGE" also avoids PTB's warning.
    with (
        fake_api.expect_violation("sendMessage", "text", "is required"),
        pytest.raises(BadRequest, match="is required"),
    ):
        await fake_bot.do_api_request("SENDMESSAGE", api_kwargs={"chat_id": USER.id})
    with (
        fake_api.expect_violation("sendMesage", match="does not exist"),
        pytest.raises(EndPointNotFound),
    ):
        await fake_bot.do_api_request("sendMesage", api_kwargs={"chat_id": USER.id})


@pytest.mark.asyncio
async def test_wrong_types(fake_api: FakeBotApi, fake_bot: Bot) -> None:
    fake_api.add_user(USER)
    with (
        fake_api.expect_violation("sendMessage", "message_thread_id", "Integer"),
        pytest.raises(BadRequest),
    ):
        await fake_bot.send_message(USER.id, "x", message_thread_id="abc")  # type: ignore[arg-type]
    with (
        fake_api.expect_violation("sendMessage", "disable_notification", "Boolean"),
        pytest.raises(BadRequest),
    ):
        await fake_bot.send_message(USER.id, "x", api_kwargs={"disable_notification": "yes"})
    with (
        fake_api.expect_violation("sendMessage", "chat_id", "chat not found"),
        pytest.raises(BadRequest),
    ):
        await fake_bot.send_message("not-a-chat", "x")
    bad_markup = {"inline_keyboard": [[{"text": "A", "callback_data": 5, "colour": "red"}]]}
    with (
        fake_api.expect_violation("sendMessage", "reply_markup") as found,
        pytest.raises(BadRequest),
    ):
        await fake_bot.send_message(USER.id, "x", api_kwargs={"reply_markup": bad_markup})
    messages = " | ".join(v.message for v in found)
    assert "callback_data must be String" in messages and 'unknown field "colour"' in messages
    with (
        fake_api.expect_violation("sendMessage", "reply_markup", "must be an Array"),
        pytest.raises(BadRequest),
    ):
        await fake_bot.send_message(
            USER.id, "x", api_kwargs={"reply_markup": {"inline_keyboard": {"a": 1}}}
        )


@pytest.mark.asyncio
async def test_message_text_limits(fake_api: FakeBotApi, fake_bot: Bot) -> None:
    fake_api.add_user(USER)
    with (
        fake_api.expect_violation("sendMessage", "text", "message is too long"),
        pytest.raises(BadRequest, match="too long"),
    ):
        await fake_bot.send_message(USER.id, "a" * 4097)
    with (
        fake_api.expect_violation("sendMessage", "text", "message text is empty"),
        pytest.raises(BadRequest),
    ):
        await fake_bot.send_message(USER.id, "<b> </b>", parse_mode="HTML")
    with (
        fake_api.expect_violation("sendPhoto", "caption", "caption is too long"),
        pytest.raises(BadRequest),
    ):
        await fake_bot.send_photo(USER.id, b"img", caption="c" * 1025)


@pytest.mark.asyncio
async def test_callback_data_and_button_rules(fake_api: FakeBotApi, fake_bot: Bot) -> None:
    fake_api.add_user(USER)
    # 33 characters but 66 UTF-8 bytes: the limit is in bytes.
    with (
        fake_api.expect_violation("sendMessage", "reply_markup", "BUTTON_DATA_INVALID"),
        pytest.raises(BadRequest),
    ):
        await fake_bot.send_message(USER.id, "x", reply_markup=_keyboard([("A", "ą" * 33)]))
    await fake_bot.send_message(USER.id, "x", reply_markup=_keyboard([("A", "ą" * 32)]))
    two_actions = InlineKeyboardMarkup(
        [[InlineKeyboardButton("A", url="https://torun.pl", callback_data="a")]]
    )
    with (
        fake_api.expect_violation("sendMessage", "reply_markup", "exactly one"),
        pytest.raises(BadRequest),
    ):
        await fake_bot.send_message(USER.id, "x", reply_markup=two_actions)
    no_action = {"inline_keyboard": [[{"text": "A"}]]}
    with (
        fake_api.expect_violation("sendMessage", "reply_markup", "exactly one"),
        pytest.raises(BadRequest),
    ):
        await fake_bot.send_message(USER.id, "x", api_kwargs={"reply_markup": no_action})


@pytest.mark.parametrize(
    ("html", "problem"),
    [
        ("<b>bold", "Can't find end tag"),
        ("<b><i>x</b></i>", "Unmatched end tag"),
        ("Tom & Jerry", "Unescaped '&'"),
        ("a < b", "Unescaped '<'"),
        ("5 > 3", "Unescaped '>'"),
        ("&nbsp;", "Unsupported HTML entity"),
        ("<div>x</div>", 'Unsupported start tag "div"'),
        ("line<br>line", 'Unsupported start tag "br"'),
        ('<span class="red">x</span>', "tg-spoiler"),
        ('<code class="language-py">x</code>', "standalone code"),
        ("<code><b>x</b></code>", "can't be nested"),
        ("<blockquote><blockquote>x</blockquote></blockquote>", "can't be nested"),
        ("<a>x</a>", "href"),
    ],
)
@pytest.mark.asyncio
async def test_bad_html_is_rejected(
    fake_api: FakeBotApi, fake_bot: Bot, html: str, problem: str
) -> None:
    fake_api.add_user(USER)
    with (
        fake_api.expect_violation("sendMessage", "text", "can't parse entities") as found,
        pytest.raises(BadRequest, match="parse entities"),
    ):
        await fake_bot.send_message(USER.id, html, parse_mode=ParseMode.HTML)
    assert problem in found[0].message


@pytest.mark.asyncio
async def test_bot_command_rules(fake_api: FakeBotApi, fake_bot: Bot) -> None:
    for command, description, problem in [
        ("Start", "x", "BOT_COMMAND_INVALID"),
        ("start-now", "x", "BOT_COMMAND_INVALID"),
        ("a" * 33, "x", "1-32 characters"),
        ("ok", "", "BOT_COMMAND_DESCRIPTION_INVALID"),
        ("ok", "d" * 257, "BOT_COMMAND_DESCRIPTION_INVALID"),
    ]:
        with (
            fake_api.expect_violation("setMyCommands", "commands", problem),
            pytest.raises(BadRequest),
        ):
            await fake_bot.set_my_commands([BotCommand(command, description)])
    too_many = [BotCommand(f"c{i}", "d") for i in range(101)]
    with (
        fake_api.expect_violation("setMyCommands", "commands", "too many commands"),
        pytest.raises(BadRequest),
    ):
        await fake_bot.set_my_commands(too_many)
    with (
        fake_api.expect_violation("setMyCommands", "scope", 'field "chat_id"'),
        pytest.raises(BadRequest),
    ):
        await fake_bot.set_my_commands(
            [BotCommand("a", "b")], api_kwargs={"scope": {"type": "chat"}}
        )
    with (
        fake_api.expect_violation("setMyCommands", "scope.type", "unsupported BotCommandScope"),
        pytest.raises(BadRequest),
    ):
        await fake_bot.set_my_commands(
            [BotCommand("a", "b")], api_kwargs={"scope": {"type": "everyone"}}
        )
    with (
        fake_api.expect_violation("setMyCommands", "language_code", "ISO 639-1"),
        pytest.raises(BadRequest),
    ):
        await fake_bot.set_my_commands([BotCommand("a", "b")], language_code="pol")


@pytest.mark.asyncio
async def test_other_limits(fake_api: FakeBotApi, fake_bot: Bot) -> None:
    fake_api.add_supergroup(STAFF_GROUP.id, "Staff")
    with (
        fake_api.expect_violation("createForumTopic", "name", "TOPIC_NAME_INVALID"),
        pytest.raises(BadRequest),
    ):
        await fake_bot.create_forum_topic(STAFF_GROUP.id, "n" * 129)
    with (
        fake_api.expect_violation("createForumTopic", "icon_color", "TOPIC_ICON_COLOR_INVALID"),
        pytest.raises(BadRequest),
    ):
        await fake_bot.create_forum_topic(STAFF_GROUP.id, "n", icon_color=0xFFFFFF)
    with (
        fake_api.expect_violation("answerCallbackQuery", "text", "MESSAGE_TOO_LONG"),
        pytest.raises(BadRequest),
    ):
        await fake_bot.answer_callback_query("cbq-1", text="t" * 201)
    with (
        fake_api.expect_violation("sendMessage", "parse_mode", "unsupported parse_mode"),
        pytest.raises(BadRequest),
    ):
        await fake_bot.send_message(STAFF_GROUP.id, "x", parse_mode="markdown3")


@pytest.mark.asyncio
async def test_raw_http_json_form_and_get_requests(fake_api: FakeBotApi) -> None:
    """Telegram also accepts JSON bodies and GET with a query string."""
    fake_api.add_user(USER)
    base = f"{fake_api.api_url}{fake_api.token}"
    async with httpx.AsyncClient() as client:
        ok = await client.post(f"{base}/sendMessage", json={"chat_id": USER.id, "text": "hej"})
        assert ok.json()["ok"] is True
        got = await client.get(f"{base}/getMe")
        assert got.json()["result"]["username"] == "torun_dialog_test_bot"
        bad = await client.post(f"{base}/sendMessage", json={"chat_id": USER.id, "text": 5})
        assert bad.status_code == 200  # Telegram stringifies JSON numbers for String fields
        nested = {"chat_id": USER.id, "text": "x", "reply_markup": {"inline_keyboard": "no"}}
        rejected = await client.post(f"{base}/sendMessage", json=nested)
        assert rejected.status_code == 400
        assert rejected.json()["description"].startswith("Bad Request:")
        wrong_token = await client.get(f"{fake_api.api_url}999:OTHER/getMe")
        assert wrong_token.status_code == 401
    assert len(fake_api.take_violations()) == 2


# =============================================================================================
# HTML/Markdown parsing and update builders (no server needed)
# =============================================================================================


def test_html_entities_use_utf16_offsets() -> None:
    parsed = parse_formatted_text("😀 <b>ą😀</b>", "HTML")
    assert parsed.text == "😀 ą😀"
    assert parsed.entities == [{"type": "bold", "offset": 3, "length": 3}]


def test_markdown_v2() -> None:
    parsed = parse_formatted_text(
        "*bold* _it_ [link](https://x.pl/a\\)b) \\. `c\\`d`", "MarkdownV2"
    )
    assert parsed.text == "bold it link . c`d"
    assert [e["type"] for e in parsed.entities] == ["bold", "italic", "text_link", "code"]
    with pytest.raises(FormattingError, match="reserved"):
        parse_formatted_text("Koniec.", "MarkdownV2")
    with pytest.raises(FormattingError, match="Can't find end"):
        parse_formatted_text("*bold", "MarkdownV2")


def test_builders_produce_valid_updates() -> None:
    api = FakeBotApi()
    builder: UpdateBuilder = api.updates
    first = api.push_update(builder.command(USER, "start", "ref_qr"))
    update = builder.document_message(OTHER_USER, file_name="skan.pdf", caption="Wniosek")
    api.push_update(update)
    api.push_update(builder.edited_message(update, "Wniosek (poprawiony)"))
    api.push_update(builder.topic_command(STAFF, STAFF_GROUP, 42, "close"))
    api.push_update(builder.location_message(USER, 53.01, 18.6))
    bot_message = {
        "message_id": 7,
        "date": 0,
        "chat": USER.private_chat().to_dict(),
        "from": api.bot_user,
        "text": "Wybierz",
    }
    api.push_update(builder.callback_query(USER, bot_message, "lang:pl"))
    assert [u["update_id"] for u in api.pending_updates] == list(range(first, first + 6))
    command = api.pending_updates[0]["message"]
    assert command["entities"] == [{"type": "bot_command", "offset": 0, "length": 6}]
    assert "forward_from" not in str(api.pending_updates)
    assert STAFF_GROUP.id in api.chats and 42 in api.chats[STAFF_GROUP.id].topics
    with pytest.raises(ValueError, match="invalid Update"):
        api.push_update({"message": {"message_id": 1, "chat": {"id": 1}}})


@pytest.mark.asyncio
async def test_violations_fail_the_test_at_teardown() -> None:
    """What the ``fake_api`` fixture does after the test: unacknowledged violations fail it."""
    with pytest.raises(
        pytest.fail.Exception, match=r"(?s)1 invalid Bot API call.*message is too long"
    ):
        async with serve_fake_api() as api:
            api.add_user(USER)
            bot = api.make_bot()
            async with bot:
                with pytest.raises(BadRequest):
                    await bot.send_message(USER.id, "x" * 5000)


def test_assert_no_violations_lists_problems() -> None:
    api = FakeBotApi()
    api._violation("sendMessage", "text", "Bad Request: message is too long")
    with pytest.raises(AssertionError, match=r"sendMessage\.text: Bad Request: message is too"):
        api.assert_no_violations()


# =============================================================================================
# A real Application with long polling
# =============================================================================================


@pytest.mark.asyncio
async def test_application_start_command_end_to_end(
    fake_api: FakeBotApi, fake_app_builder: Any
) -> None:
    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_user is not None and update.effective_message is not None
        name = update.effective_user.first_name
        await update.effective_message.reply_html(
            f"Dzień dobry, <b>{name}</b>! Wybierz język:",
            reply_markup=_keyboard([("Polski", "lang:pl"), ("Українська", "lang:uk")]),
        )

    async def choose(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        assert query is not None
        await query.answer("Zapisano")
        await query.edit_message_text("Język: polski")

    application = fake_app_builder.build()
    application.add_handler(CommandHandler("start", start))
    application.add_handler(CallbackQueryHandler(choose, pattern=r"^lang:"))

    async with running_application(application, allowed_updates=["message", "callback_query"]):
        await fake_api.push_and_process(
            fake_api.updates.command(USER, "start"), application, timeout=5
        )
        call = fake_api.last_call("sendMessage", chat_id=USER.id)
        assert call.params["text"] == "Dzień dobry, <b>Anna</b>! Wybierz język:"
        assert call.params["parse_mode"] == "HTML"
        buttons = call.params["reply_markup"]["inline_keyboard"][0]
        assert [b["callback_data"] for b in buttons] == ["lang:pl", "lang:uk"]

        click = fake_api.updates.callback_query(USER, call.result, "lang:pl")
        await fake_api.push_and_process(click, application, timeout=5)
        assert fake_api.last_call("answerCallbackQuery").params["text"] == "Zapisano"
        edited = await fake_api.wait_for_call("editMessageText", timeout=2)
        assert edited.ok and edited.result["text"] == "Język: polski"

    assert fake_api.allowed_updates == ["message", "callback_query"]
    assert fake_api.calls("deleteWebhook")  # PTB's bootstrap before polling
    assert not fake_api.pending_updates


@pytest.mark.asyncio
async def test_server_stops_cleanly_with_a_pending_long_poll(fake_api: FakeBotApi) -> None:
    bot = fake_api.make_bot()
    async with bot:
        poll = asyncio.create_task(bot.get_updates(timeout=30))
        await fake_api.wait_until(
            lambda: any(not c.status for c in fake_api.recorded), 2, "the long poll to arrive"
        )
        fake_api.push_update(fake_api.updates.text_message(USER, "hej"))
        updates = await asyncio.wait_for(poll, 2)
        assert updates[0].message is not None and updates[0].message.text == "hej"
        # Leave a long poll open: stop() must cancel it without warnings.
        second = asyncio.create_task(bot.get_updates(offset=updates[0].update_id + 1, timeout=30))
        await fake_api.wait_until(
            lambda: any(not c.status for c in fake_api.recorded), 2, "the second long poll"
        )
        await fake_api.stop()
        with pytest.raises(NetworkError):
            await second
    assert fake_api.confirmed_offset == updates[0].update_id + 1
