"""Broadcasting with recording fakes: the announcement's steps, reminders, and the sender loop."""

from __future__ import annotations

import asyncio
from datetime import datetime

import pytest
from fakes import FakeTransactions, FakeUnit, ScriptedSender
from tiny_knowledge import knowledge

from bot.core import broadcasting
from bot.core.broadcasting import (
    Broadcaster,
    Broadcasting,
    BroadcastKind,
    BroadcastState,
    DeliveryState,
    Result,
)
from bot.core.dates import WARSAW
from bot.core.messages import MESSAGE_LIMIT
from bot.core.translation import IdentityTranslator

NOW = datetime(2026, 12, 2, 12, 0, tzinfo=WARSAW)


@pytest.fixture
def unit() -> FakeUnit:
    unit = FakeUnit()
    unit.broadcasts.add_person(1, 101, "pl", "grants")
    unit.broadcasts.add_person(2, 102, "uk", "grants", "kongres")
    unit.broadcasts.add_person(3, 103, "en", "kongres")
    return unit


@pytest.fixture
def uses() -> Broadcasting:
    return Broadcasting(knowledge=knowledge, translator=IdentityTranslator)


def test_an_announcement_step_by_step(unit: FakeUnit, uses: Broadcasting) -> None:
    draft, counts = uses.new_announcement(unit, "Joanna", None, NOW)
    assert draft.state is BroadcastState.DRAFT and counts["grants"] == 2
    assert uses.choose_theme(unit, draft.id, "nonsense") is None
    assert uses.choose_theme(unit, draft.id, "grants") is not None
    uses.remember_prompt(unit, draft.id, 555)
    # Not a reply to the prompt: nothing happens.
    assert uses.write_text(unit, 556, "x").broadcast is None
    written = uses.write_text(unit, 555, "<b>Nowy konkurs</b>")
    assert written.problem is None and written.recipients == 2
    assert "Nowy konkurs" in written.preview_html and "/powiadomienia" in written.preview_html
    started = uses.confirm(unit, draft.id, NOW)
    assert started is not None and started[1] == 2
    # Too late to cancel or confirm again.
    assert not uses.cancel(unit, draft.id)
    assert uses.confirm(unit, draft.id, NOW) is None


def test_an_announcement_must_be_text_that_fits(unit: FakeUnit, uses: Broadcasting) -> None:
    draft, _ = uses.new_announcement(unit, "Joanna", None, NOW)
    uses.choose_theme(unit, draft.id, "grants")
    uses.remember_prompt(unit, draft.id, 555)
    assert uses.write_text(unit, 555, None).problem is not None
    long = uses.write_text(unit, 555, "x" * MESSAGE_LIMIT)
    assert long.problem is not None and "too long" in long.problem
    assert unit.broadcasts.broadcasts[draft.id].state is BroadcastState.DRAFT


def test_a_draft_can_be_cancelled(unit: FakeUnit, uses: Broadcasting) -> None:
    draft, _ = uses.new_announcement(unit, "Joanna", None, NOW)
    assert uses.cancel(unit, draft.id)
    assert unit.broadcasts.broadcasts[draft.id].state is BroadcastState.CANCELLED


def test_news_on_the_first_start_is_only_noted(unit: FakeUnit, uses: Broadcasting) -> None:
    assert uses.announce_news(unit, NOW) == []
    assert unit.broadcasts.known, "every dated item was noted"
    assert uses.announce_news(unit, NOW) == []  # nothing new


def test_a_rendered_delivery_carries_the_unsubscribe_button(
    unit: FakeUnit, uses: Broadcasting
) -> None:
    broadcast, _ = unit.broadcasts.create_broadcast(
        kind=BroadcastKind.ANNOUNCEMENT, now=NOW, theme="grants", text_html="Treść"
    )
    unit.broadcasts.start_sending(broadcast.id, NOW)
    [delivery, *_] = unit.broadcasts.pending_deliveries(broadcast.id, 10)
    message = uses.render(unit.broadcasts.broadcasts[broadcast.id], delivery)
    assert message is not None and message.text_html.startswith("Treść")
    assert message.keyboard[0][0].callback == "s:grants:0"


async def send_all(unit: FakeUnit, uses: Broadcasting, sender: ScriptedSender) -> int:
    async def no_sleep(seconds: float) -> None:
        return None

    broadcaster = Broadcaster(
        FakeTransactions(unit), sender, uses, rate=1000.0, now=lambda: NOW, sleep=no_sleep
    )
    broadcast, _ = unit.broadcasts.create_broadcast(
        kind=BroadcastKind.ANNOUNCEMENT, now=NOW, theme="grants", text_html="Treść"
    )
    unit.broadcasts.start_sending(broadcast.id, NOW)
    broadcaster.start()
    broadcaster.enqueue(broadcast.id)
    await asyncio.wait_for(broadcaster.idle.wait(), 5)
    await broadcaster.stop()
    return broadcast.id


async def test_the_sender_retries_transient_failures_and_skips_the_blocked(
    unit: FakeUnit, uses: Broadcasting
) -> None:
    sender = ScriptedSender({101: [Result.RETRY, Result.RETRY], 102: [Result.BLOCKED]})
    broadcast_id = await send_all(unit, uses, sender)
    assert [chat for chat, _ in sender.sent] == [101]
    assert unit.broadcasts.states(broadcast_id) == {
        101: DeliveryState.SENT,
        102: DeliveryState.BLOCKED,
    }
    assert 102 in unit.broadcasts.blocked
    final, is_final = sender.reports[-1]
    assert is_final and "delivered 1 of 2" in final


async def test_the_sender_gives_up_after_many_failures(unit: FakeUnit, uses: Broadcasting) -> None:
    sender = ScriptedSender({101: [Result.RETRY] * broadcasting.MAX_ATTEMPTS})
    broadcast_id = await send_all(unit, uses, sender)
    assert unit.broadcasts.states(broadcast_id)[101] is DeliveryState.FAILED
    assert unit.broadcasts.states(broadcast_id)[102] is DeliveryState.SENT


async def test_deliveries_in_flight_at_a_crash_are_sent_again(
    unit: FakeUnit, uses: Broadcasting
) -> None:
    broadcast, _ = unit.broadcasts.create_broadcast(
        kind=BroadcastKind.ANNOUNCEMENT, now=NOW, theme="grants", text_html="Treść"
    )
    unit.broadcasts.start_sending(broadcast.id, NOW)
    for delivery in unit.broadcasts.pending_deliveries(broadcast.id, 10):
        unit.broadcasts.mark_delivery(delivery.id, DeliveryState.SENDING, NOW, attempted=True)
    sender = ScriptedSender()
    broadcaster = Broadcaster(FakeTransactions(unit), sender, uses, rate=1000.0, now=lambda: NOW)
    broadcaster.start()
    assert await broadcaster.resume() == [broadcast.id]
    await asyncio.wait_for(broadcaster.idle.wait(), 5)
    await broadcaster.stop()
    assert sorted(chat for chat, _ in sender.sent) == [101, 102]
