"""Dated knowledge end to end: calendar files, the venue, subscriptions, reminders,
news of a new Kongres date, reloading content, and staff announcements."""

from __future__ import annotations

import asyncio
import shutil
from collections import Counter
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import icalendar
import pytest
import pytest_asyncio
import yaml
from fake_bot_api import FakeBotApi, TgUser
from harness import ANNA, OLENA, STAFF, STAFF_CHAT, BotHarness
from sqlmodel import select

from bot.core.dates import WARSAW
from bot.services import PROJECT_ROOT, Engine, build_engine
from bot.storage.models import BroadcastRow, PersonRow, SubscriptionRow
from bot.telegram.runtime import Runtime

#: A third edition that exists only in the test copy of the content.
EDITION_3 = {
    "edition": 3,
    "year": 2027,
    "venue": "jordanki",
    "theme": {"pl": "Edycja testowa"},
    "source": "s001",
    "checked": date(2026, 11, 22),
    "known_from": date(2026, 11, 22),
    "days": [
        {
            "date": date(2027, 9, 27),
            "room": "Sala Kameralna",
            "sessions": [
                {"start": "10:00", "end": "10:30", "title": {"pl": "Otwarcie"}},
                {"start": "10:30", "end": "12:00", "title": {"pl": "Panel pierwszy"}},
            ],
        },
        {"date": date(2027, 9, 28), "sessions": [{"title": {"pl": "Warsztaty"}}]},
    ],
}


def copy_content(target: Path, *, venue: bool = False, edition_3: bool = False) -> Path:
    """A copy of the shipped content, optionally with test-only facts."""
    for name in ("intents", "knowledge", "locales"):
        shutil.copytree(PROJECT_ROOT / name, target / name)
    if venue:
        places_file = target / "knowledge" / "places.yaml"
        places = yaml.safe_load(places_file.read_text("utf-8"))
        for place in places["places"]:
            if place["id"] == "jordanki":
                fact = {
                    "status": "confirmed",
                    "source": "s001",
                    "checked": date(2026, 11, 22),
                    "known_from": date(2026, 11, 22),
                }
                place["address"] = {**fact, "value": "ul. Testowa 1, 87-100 Toruń"}
                place["coordinates"] = {**fact, "value": [53.0, 18.6]}
        places_file.write_text(yaml.safe_dump(places, allow_unicode=True), "utf-8")
    if edition_3:
        add_edition_3(target)
    return target


def add_edition_3(content: Path) -> None:
    events_file = content / "knowledge" / "events.yaml"
    events = yaml.safe_load(events_file.read_text("utf-8"))
    events["kongres"].append(EDITION_3)
    events_file.write_text(yaml.safe_dump(events, allow_unicode=True), "utf-8")


async def editable_bot(
    api: FakeBotApi, tmp_path: Path, engine: Engine, database_url: str
) -> tuple[Path, BotHarness]:
    """A started bot whose content is a copy on disk that the test may edit and reload."""
    root = copy_content(tmp_path / "content")
    bot = BotHarness(
        api=api,
        database_url=database_url,
        engine=engine,
        content_dir=root,
    )
    await bot.start()
    return root, bot


@pytest.fixture(scope="session")
def dated_engine(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Engine]:
    """Content with a future third edition and a venue with coordinates (test facts)."""
    root = copy_content(tmp_path_factory.mktemp("content"), venue=True, edition_3=True)
    return root, build_engine(root)


@pytest_asyncio.fixture
async def dated(
    fake_telegram: FakeBotApi, database_url: str, dated_engine: tuple[Path, Engine]
) -> Any:
    root, engine = dated_engine
    bot = BotHarness(
        api=fake_telegram,
        database_url=database_url,
        engine=engine,
        content_dir=root,
        moment=datetime(2027, 9, 1, 12, 0, tzinfo=WARSAW),
    )
    await bot.start()
    try:
        yield bot
    finally:
        await bot.stop()
    assert not bot.errors, f"handlers raised: {bot.errors!r}"


def runtime(bot: BotHarness) -> Runtime:
    assert bot.runtime is not None
    return bot.runtime


def buttons(call: Any) -> dict[str, str]:
    markup = call.params.get("reply_markup") or {}
    return {
        b["text"]: b.get("callback_data", "")
        for row in markup.get("inline_keyboard", [])
        for b in row
    }


def rows(bot: BotHarness, model: Any) -> list[Any]:
    assert bot.db is not None
    with bot.db.session() as session:
        return list(session.exec(select(model)).all())


async def subscribe(bot: BotHarness, user: TgUser, theme: str = "kongres") -> None:
    await bot.send(bot.api.updates.command(user, "powiadomienia"))
    menu = bot.sent_to(user.id)[-1]
    data = next(d for d in buttons(menu).values() if d == f"s:{theme}:1")
    await bot.send(bot.api.updates.callback_query(user, menu.result, data))


async def idle(bot: BotHarness, limit: float = 30) -> None:
    """Wait until the broadcaster and the outbox have sent everything queued."""
    await asyncio.wait_for(runtime(bot).broadcaster.idle.wait(), limit)
    await bot.settle(limit)


def ics_of(call: Any) -> icalendar.Calendar:
    [upload] = call.files.values()
    return icalendar.Calendar.from_ical(upload.content)


async def test_calendar_file_of_the_next_edition(dated: BotHarness) -> None:
    await dated.send(dated.api.updates.text_message(ANNA, "kiedy jest kongres?"))
    answer = dated.sent_to(ANNA.id)[-1]
    pl = dated.t("pl")
    assert "2027" in answer.params["text"]
    calendar = buttons(answer)[pl.gettext("Add to calendar")]

    await dated.send(dated.api.updates.callback_query(ANNA, answer.result, calendar))
    [document] = dated.sent_to(ANNA.id, "sendDocument")
    assert document.files, "the .ics was not uploaded"
    cal = ics_of(document)
    assert cal.walk("VTIMEZONE")[0]["TZID"] == "Europe/Warsaw"
    first, second = cal.walk("VEVENT")
    assert first.decoded("DTSTART") == datetime(2027, 9, 27, 10, 0, tzinfo=WARSAW)
    assert first.decoded("DTSTART").utcoffset() == timedelta(hours=2)
    assert first.decoded("DTEND") == datetime(2027, 9, 27, 12, 0, tzinfo=WARSAW)
    assert "Sala Kameralna" in str(first["LOCATION"])
    # The second day has no confirmed time: an all-day event, nothing invented.
    assert second.decoded("DTSTART") == date(2027, 9, 28)
    assert str(cal["PRODID"]).startswith("-//")


async def test_next_session_to_calendar_on_the_day(dated: BotHarness) -> None:
    dated.moment = datetime(2027, 9, 27, 10, 15, tzinfo=WARSAW)
    await dated.send(dated.api.updates.text_message(ANNA, "program kongresu"))
    answer = dated.sent_to(ANNA.id)[-1]
    pl = dated.t("pl")
    assert "10:30–12:00" in answer.params["text"]  # the next session is shown on the day
    data = buttons(answer)[pl.gettext("Next session to calendar")]

    await dated.send(dated.api.updates.callback_query(ANNA, answer.result, data))
    [event] = ics_of(dated.sent_to(ANNA.id, "sendDocument")[-1]).walk("VEVENT")
    assert str(event["SUMMARY"]) == "Panel pierwszy"
    assert event.decoded("DTSTART") == datetime(2027, 9, 27, 10, 30, tzinfo=WARSAW)


async def test_venue_on_the_map(dated: BotHarness) -> None:
    await dated.send(dated.api.updates.text_message(ANNA, "gdzie jest kongres dialogu?"))
    answer = dated.sent_to(ANNA.id)[-1]
    data = buttons(answer)[dated.t("pl").gettext("Show on the map")]
    await dated.send(dated.api.updates.callback_query(ANNA, answer.result, data))
    [venue] = dated.sent_to(ANNA.id, "sendVenue")
    assert (venue.params["latitude"], venue.params["longitude"]) == (53.0, 18.6)
    assert venue.params["address"] == "ul. Testowa 1, 87-100 Toruń"


async def test_no_map_and_no_calendar_without_confirmed_facts(harness: BotHarness) -> None:
    # Shipped content: the last edition is past and the venue has no coordinates.
    await harness.send(harness.api.updates.text_message(ANNA, "gdzie jest kongres dialogu?"))
    labels = set(buttons(harness.sent_to(ANNA.id)[-1]))
    pl = harness.t("pl")
    assert pl.gettext("Show on the map") not in labels
    assert pl.gettext("Add to calendar") not in labels


async def test_subscribe_and_unsubscribe_with_one_tap(dated: BotHarness) -> None:
    await subscribe(dated, ANNA)
    assert [s.theme for s in rows(dated, SubscriptionRow)] == ["kongres"]
    menu = dated.sent_to(ANNA.id)[-1]
    edited = dated.api.calls("editMessageReplyMarkup", ok=True)[-1]
    assert "s:kongres:0" in {
        b["callback_data"] for r in edited.params["reply_markup"]["inline_keyboard"] for b in r
    }

    await dated.send(dated.api.updates.callback_query(ANNA, menu.result, "s:kongres:0"))
    assert rows(dated, SubscriptionRow) == []


async def test_reminders_once_per_subscriber_across_restarts(dated: BotHarness) -> None:
    await subscribe(dated, ANNA)
    await subscribe(dated, OLENA)
    # The day before day 1 (10:00), a minute after the reminder's moment.
    dated.moment = datetime(2027, 9, 26, 10, 1, tzinfo=WARSAW)
    await runtime(dated).reminders()
    await idle(dated)
    day_before = [
        c
        for c in dated.api.calls("sendMessage", ok=True)
        if "s:kongres:0" in str(c.params.get("reply_markup"))
    ]
    assert Counter(c.params["chat_id"] for c in day_before) == {ANNA.id: 1, OLENA.id: 1}
    olena = next(c for c in day_before if c.params["chat_id"] == OLENA.id)
    assert dated.t("uk").gettext("Venue: {venue}.").split("{")[0] in olena.params["text"]

    # A restart right after the reminder time sends nothing again.
    await dated.stop()
    await dated.start()
    await idle(dated)
    again = [
        c
        for c in dated.api.calls("sendMessage", ok=True)
        if "s:kongres:0" in str(c.params.get("reply_markup"))
    ]
    assert len(again) == 2

    # The hour-before reminder: the bot was down at 9:00 and is back at 9:20.
    await dated.stop()
    dated.moment = datetime(2027, 9, 27, 9, 20, tzinfo=WARSAW)
    await dated.start()
    await idle(dated)
    reminders = [
        c
        for c in dated.api.calls("sendMessage", ok=True)
        if "s:kongres:0" in str(c.params.get("reply_markup"))
    ]
    assert Counter(c.params["chat_id"] for c in reminders) == {ANNA.id: 2, OLENA.id: 2}
    keys = {b.key for b in rows(dated, BroadcastRow)}
    assert keys == {"kongres:3:2027-09-27:day", "kongres:3:2027-09-27:hour"}

    # After the day has started, a late reminder is not sent any more.
    await dated.stop()
    dated.moment = datetime(2027, 9, 27, 10, 5, tzinfo=WARSAW)
    await dated.start()
    await idle(dated)
    assert len(rows(dated, BroadcastRow)) == 2


async def test_reminder_goes_out_at_its_time(dated: BotHarness) -> None:
    await subscribe(dated, ANNA)
    # Day 2 has no confirmed time: one reminder at 18:00 the evening before.
    dated.moment = datetime(2027, 9, 27, 17, 59, tzinfo=WARSAW)
    mark = dated.api.mark()
    await runtime(dated).reminders()
    await idle(dated)
    assert [c for c in dated.api.calls("sendMessage", ok=True) if c.index >= mark] == []

    dated.moment = datetime(2027, 9, 27, 18, 0, 1, tzinfo=WARSAW)
    await runtime(dated).reminders()
    await idle(dated)
    [message] = [c for c in dated.sent_to(ANNA.id) if c.index >= mark]
    assert message.params["text"].startswith("<b>")
    # Checked again a minute later: nothing twice.
    dated.moment = datetime(2027, 9, 27, 18, 1, tzinfo=WARSAW)
    await runtime(dated).reminders()
    await idle(dated)
    assert len([c for c in dated.sent_to(ANNA.id) if c.index >= mark]) == 1


async def test_new_kongres_date_is_announced_once(
    fake_telegram: FakeBotApi, tmp_path: Path, engine: Engine, database_url: str
) -> None:
    root, bot = await editable_bot(fake_telegram, tmp_path, engine, database_url)
    try:
        await subscribe(bot, ANNA)
        add_edition_3(root)
        await bot.send(bot.api.updates.command(STAFF, "przeladuj", chat=STAFF_CHAT), timeout=60)
        pl = bot.t("pl")
        done = bot.staff_calls("sendMessage")[-1].params["text"]
        assert done == pl.gettext("Knowledge base reloaded: {n} topics.").format(n=26)
        await idle(bot)
        news = [c for c in bot.sent_to(ANNA.id) if "2027" in c.params["text"]]
        assert len(news) == 1
        # Reloading again, or restarting, does not repeat the news.
        await bot.send(bot.api.updates.command(STAFF, "przeladuj", chat=STAFF_CHAT), timeout=60)
        # A new process loads the content now on disk (with the third edition).
        bot.engine = bot.services.engine
        await bot.stop()
        await bot.start()
        await idle(bot)
        assert len([c for c in bot.sent_to(ANNA.id) if "2027" in c.params["text"]]) == 1
        # And the assistant now answers with the new date.
        await bot.send(bot.api.updates.text_message(ANNA, "kiedy jest kongres?"))
        assert "2027" in bot.sent_to(ANNA.id)[-1].params["text"]
    finally:
        await bot.stop()
    assert not bot.errors


async def test_invalid_content_is_refused_and_the_old_stays(
    fake_telegram: FakeBotApi, tmp_path: Path, engine: Engine, database_url: str
) -> None:
    root, bot = await editable_bot(fake_telegram, tmp_path, engine, database_url)
    try:
        broken = root / "knowledge" / "topics" / "kongres.when.yaml"
        broken.write_text(
            broken.read_text("utf-8").replace("block: kongres_when", "block: kongres_kiedy", 1),
            "utf-8",
        )
        await bot.send(bot.api.updates.command(STAFF, "przeladuj", chat=STAFF_CHAT), timeout=60)
        report = bot.staff_calls("sendMessage")[-1].params["text"]
        assert "kongres.when.yaml" in report
        await bot.send(bot.api.updates.text_message(ANNA, "kiedy jest kongres?"))
        expected = engine.assistant.topic_reply("kongres.when", lang="pl", now=bot.moment)
        assert bot.sent_to(ANNA.id)[-1].params["text"] == expected.html
    finally:
        await bot.stop()
    assert not bot.errors


async def test_staff_announcement_with_preview_confirmation_and_counts(dated: BotHarness) -> None:
    await subscribe(dated, ANNA, "grants")
    await subscribe(dated, OLENA, "grants")
    blocked = TgUser(7050, "Ewa", language_code="pl")
    await subscribe(dated, blocked, "grants")
    dated.api.block_user(blocked.id)
    pl = dated.t("pl")

    await dated.send(dated.api.updates.command(STAFF, "ogloszenie", chat=STAFF_CHAT))
    themes = dated.staff_calls("sendMessage")[-1]
    grants = next(d for d in buttons(themes).values() if d.endswith(":t:grants"))
    # The themes and their labels are content (knowledge/menu.yaml).
    label = dated.engine.content.knowledge.navigation.theme("grants").label.get("pl")  # type: ignore[union-attr]
    assert f"{label} (3)" in buttons(themes)
    assert pl.gettext("Cancel") in buttons(themes)

    await dated.send(dated.api.updates.callback_query(STAFF, themes.result, grants))
    prompt = dated.staff_calls("sendMessage")[-1]
    assert prompt.params["reply_markup"]["force_reply"] is True
    reply = dated.api.updates.text_message(
        STAFF,
        "Nowy konkurs na <wkład własny> – szczegóły na orbitorun.pl",
        chat=STAFF_CHAT,
        reply_to=prompt.result,
    )
    await dated.send(reply)
    preview = dated.staff_calls("sendMessage")[-1]
    assert "&lt;wkład własny&gt;" in preview.params["text"]
    send_label = pl.ngettext("Send to {n} person", "Send to {n} people", 3).format(n=3)
    confirm = buttons(preview)[send_label]
    assert dated.sent_to(ANNA.id)[-1].params["text"] != preview.params["text"]  # nothing sent yet

    await dated.send(dated.api.updates.callback_query(STAFF, preview.result, confirm))
    await idle(dated)
    for user in (ANNA, OLENA):
        got = dated.sent_to(user.id)[-1]
        assert "Nowy konkurs na &lt;wkład własny&gt;" in got.params["text"]
        assert "/powiadomienia" in got.params["text"]
    # The person who blocked the bot is marked and skipped from now on.
    [ewa] = [p for p in rows(dated, PersonRow) if p.telegram_id == blocked.id]
    assert ewa.blocked_at is not None
    final = dated.staff_calls("sendMessage")[-1].params["text"]
    assert final == pl.gettext(
        "<b>Announcement sent</b>: delivered {sent} of {total}; "
        "blocked the bot: {blocked}; not delivered: {failed}."
    ).format(sent=2, total=3, blocked=1, failed=0)
    # A second confirmation does not send again.
    await dated.send(dated.api.updates.callback_query(STAFF, preview.result, confirm))
    await idle(dated)
    assert len([c for c in dated.sent_to(ANNA.id) if "wkład własny" in c.params["text"]]) == 1


async def test_announcement_reply_inside_a_topic_is_not_relayed(dated: BotHarness) -> None:
    await dated.send(dated.api.updates.text_message(ANNA, "Jak zgłosić dziurę w jezdni?"))
    thread = dated.staff_calls("createForumTopic")[-1].result["message_thread_id"]
    await dated.send(dated.api.updates.topic_command(STAFF, STAFF_CHAT, thread, "ogloszenie"))
    themes = dated.staff_calls("sendMessage")[-1]
    kongres = next(d for d in buttons(themes).values() if d.endswith(":t:kongres"))
    await dated.send(dated.api.updates.callback_query(STAFF, themes.result, kongres))
    prompt = dated.staff_calls("sendMessage")[-1]
    before = len(dated.sent_to(ANNA.id))
    await dated.send(
        dated.api.updates.topic_message(
            STAFF, STAFF_CHAT, thread, "Treść ogłoszenia", reply_to=prompt.result
        )
    )
    assert len(dated.sent_to(ANNA.id)) == before
