"""Kongres reminders planned from knowledge: moments in Warsaw wall-clock time."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, timedelta

from tiny_knowledge import EDITION_1, EDITION_2, at, knowledge, session

from bot.core.dates import WARSAW
from bot.core.knowledge import KongresDay
from bot.core.notifications import ReminderKind, find_reminder, plan_reminders


def test_a_day_with_a_start_time_gets_a_day_before_and_an_hour_before_reminder() -> None:
    kb = knowledge(kongres=(EDITION_2,))
    day_one = [r for r in plan_reminders(kb) if r.day_index == 0]
    assert [(r.kind, r.at) for r in day_one] == [
        (ReminderKind.DAY_BEFORE, at(2025, 9, 28, 10, 0)),
        (ReminderKind.HOUR_BEFORE, at(2025, 9, 29, 9, 0)),
    ]
    assert {r.until for r in day_one} == {at(2025, 9, 29, 10, 0)}


def test_a_day_without_a_confirmed_time_gets_one_reminder_the_evening_before() -> None:
    kb = knowledge(kongres=(EDITION_1,))
    [second_day] = [r for r in plan_reminders(kb) if r.day_index == 1]
    assert second_day.kind is ReminderKind.DAY_BEFORE
    assert second_day.at == at(2024, 9, 10, 18, 0)
    assert second_day.until == at(2024, 9, 11, 0, 0)


def test_reminders_across_the_spring_dst_change() -> None:
    # Clocks go from 02:00 to 03:00 on Sunday 2027-03-28 in Warsaw.
    early = dataclasses.replace(
        EDITION_2,
        edition=9,
        days=(KongresDay(date(2027, 3, 28), (session("03:30", "05:00", "Start", "Start"),)),),
    )
    day_before, hour_before = plan_reminders(knowledge(kongres=(early,)))
    # The day before at the same wall-clock time (CET), 23 hours of real time earlier.
    assert day_before.at == datetime(2027, 3, 27, 3, 30, tzinfo=WARSAW)
    assert day_before.until.astimezone(UTC) - day_before.at.astimezone(UTC) == timedelta(hours=23)
    # One hour of real time before 03:30 CEST is 01:30 CET on the wall clock.
    # (Aware datetimes of one zone subtract as wall-clock times: compare in UTC.)
    assert hour_before.until.astimezone(UTC) - hour_before.at.astimezone(UTC) == timedelta(hours=1)
    assert hour_before.at.astimezone(UTC) == datetime(2027, 3, 28, 0, 30, tzinfo=UTC)
    assert (hour_before.at.hour, hour_before.at.minute) == (1, 30)


def test_due_only_between_its_moment_and_the_start() -> None:
    kb = knowledge(kongres=(EDITION_2,))
    reminder = next(r for r in plan_reminders(kb) if r.kind is ReminderKind.HOUR_BEFORE)
    assert not reminder.due(reminder.at - timedelta(seconds=1))
    assert reminder.due(reminder.at)
    assert reminder.due(reminder.until - timedelta(seconds=1))
    assert not reminder.due(reminder.until)
    # Naive and UTC moments are read as the same instant in Warsaw.
    assert reminder.due(reminder.at.astimezone(UTC))


def test_a_reminder_is_found_by_key_only_while_knowledge_implies_it() -> None:
    kb = knowledge(kongres=(EDITION_2,))
    keys = [r.key for r in plan_reminders(kb)]
    assert len(keys) == len(set(keys)) == 4
    assert find_reminder(kb, keys[0]) == plan_reminders(kb)[0]
    assert find_reminder(knowledge(kongres=(EDITION_1,)), keys[0]) is None
