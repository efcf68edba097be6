"""Opening hours (bot.core.hours): wall-clock Warsaw times, holidays, exceptions."""

from __future__ import annotations

import dataclasses
import re
from datetime import UTC, date, datetime, timedelta

import pytest
from tiny_knowledge import OFFICE, OFFICE_HOLIDAYS, at, fact

from bot.core.dates import WARSAW
from bot.core.hours import PolishHolidays, hours_on, opening_status, render_hours
from bot.core.knowledge import FactStatus
from bot.core.translation import IdentityTranslator

EN = IdentityTranslator("en")
HOLIDAYS = PolishHolidays()
CLOCK = re.compile(r"\d{1,2}:\d{2}")


def render(now: datetime, place=OFFICE_HOLIDAYS) -> str:
    return render_hours(place, now, EN, HOLIDAYS)


def test_open_now_until_closing_time() -> None:
    now = at(2026, 11, 10, 10, 0)  # a Tuesday
    status = opening_status(OFFICE_HOLIDAYS, now, HOLIDAYS)
    assert status.known and status.open_now
    assert status.closes_at == at(2026, 11, 10, 15, 30)
    assert render(now) == "<b>Test Office</b>: open now, until 15:30."


def test_friday_closes_earlier() -> None:
    assert render(at(2026, 11, 13, 12, 59)) == "<b>Test Office</b>: open now, until 13:00."


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (at(2026, 11, 16, 7, 29), "closed now, opens today at 07:30."),
        (at(2026, 11, 16, 7, 30), "open now, until 15:30."),
        (at(2026, 11, 16, 15, 29), "open now, until 15:30."),
        (at(2026, 11, 16, 15, 30), "closed now, opens tomorrow at 07:30."),
    ],
)
def test_opening_and_closing_minutes(now: datetime, expected: str) -> None:
    assert render(now) == f"<b>Test Office</b>: {expected}"


def test_closed_after_hours_opens_the_next_working_day() -> None:
    now = at(2026, 11, 17, 16, 0)  # Tuesday after closing
    status = opening_status(OFFICE_HOLIDAYS, now, HOLIDAYS)
    assert not status.open_now
    assert status.next_open == at(2026, 11, 18, 7, 30)
    assert render(now) == "<b>Test Office</b>: closed now, opens tomorrow at 07:30."


@pytest.mark.parametrize(
    ("now", "when"),
    [
        (at(2026, 11, 13, 14, 0), "on Monday"),  # Friday after closing
        (at(2026, 11, 14, 10), "on Monday"),  # Saturday
        (at(2026, 11, 15, 23), "tomorrow"),  # Sunday night
    ],
)
def test_weekend_opens_on_monday(now: datetime, when: str) -> None:
    status = opening_status(OFFICE_HOLIDAYS, now, HOLIDAYS)
    assert not status.open_now
    assert status.next_open == at(2026, 11, 16, 7, 30)
    assert render(now) == f"<b>Test Office</b>: closed now, opens {when} at 07:30."


def test_closed_on_independence_day() -> None:
    now = at(2026, 11, 11, 10, 0)  # Wednesday, Narodowe Święto Niepodległości
    day = hours_on(OFFICE_HOLIDAYS, now.date(), HOLIDAYS, "en")
    assert day.ranges == ()
    assert day.holiday == "National Independence Day"
    assert render(now) == (
        "<b>Test Office</b>: closed now, opens tomorrow at 07:30. "
        "Today is a public holiday (National Independence Day)."
    )


@pytest.mark.parametrize("holiday", [date(2026, 12, 24), date(2026, 12, 25)])
def test_closed_at_christmas_and_opens_after_the_weekend(holiday: date) -> None:
    now = datetime(holiday.year, holiday.month, holiday.day, 9, 0, tzinfo=WARSAW)
    status = opening_status(OFFICE_HOLIDAYS, now, HOLIDAYS)
    assert not status.open_now
    assert status.today is not None and status.today.holiday
    # 24 and 25 Dec are holidays (Thu, Fri), then the weekend: Monday the 28th.
    assert status.next_open == at(2026, 12, 28, 7, 30)
    assert "Today is a public holiday" in render(now)


def test_the_day_before_christmas_eve_skips_the_holidays() -> None:
    status = opening_status(OFFICE_HOLIDAYS, at(2026, 12, 23, 16, 0), HOLIDAYS)
    assert status.next_open == at(2026, 12, 28, 7, 30)


def test_holidays_ignored_where_the_place_works_on_them() -> None:
    works = dataclasses.replace(OFFICE_HOLIDAYS, public_holidays_closed=False)
    assert render(at(2026, 11, 11, 10), works) == "<b>Test Office</b>: open now, until 15:30."


def test_exception_closed_day() -> None:
    now = at(2026, 6, 5, 9, 0)  # a Friday marked closed
    status = opening_status(OFFICE, now, HOLIDAYS)
    assert not status.open_now
    # The next day with hours is Monday 8 June, itself an exception (10:00–12:00).
    assert status.next_open == at(2026, 6, 8, 10, 0)
    assert render(now, OFFICE) == "<b>Test Office</b>: closed now, opens on Monday at 10:00."


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (at(2026, 6, 8, 9, 0), "closed now, opens today at 10:00."),
        (at(2026, 6, 8, 11, 0), "open now, until 12:00."),
        (at(2026, 6, 8, 13, 0), "closed now, opens tomorrow at 07:30."),
    ],
)
def test_exception_with_other_hours(now: datetime, expected: str) -> None:
    assert render(now, OFFICE) == f"<b>Test Office</b>: {expected}"


def test_exception_takes_precedence_over_a_public_holiday() -> None:
    # OFFICE opens 9:00–11:00 on 11 November despite the holiday.
    assert render(at(2026, 11, 11, 10), OFFICE) == "<b>Test Office</b>: open now, until 11:00."


# ---------------------------------------------------------------- daylight saving
def test_spring_forward_keeps_wall_clock_hours() -> None:
    # Clocks go from 02:00 to 03:00 on Sunday 29 March 2026.
    saturday = at(2026, 3, 28, 12, 0)
    assert saturday.utcoffset() == timedelta(hours=1)
    status = opening_status(OFFICE_HOLIDAYS, saturday, HOLIDAYS)
    assert status.next_open is not None
    assert (status.next_open.hour, status.next_open.minute) == (7, 30)
    assert status.next_open.utcoffset() == timedelta(hours=2)
    assert status.next_open == datetime(2026, 3, 30, 5, 30, tzinfo=UTC)
    assert "opens on Monday at 07:30" in render(saturday)
    assert "opens tomorrow at 07:30" in render(at(2026, 3, 29, 12, 0))


def test_fall_back_keeps_wall_clock_hours() -> None:
    # Clocks go from 03:00 back to 02:00 on Sunday 25 October 2026.
    friday = at(2026, 10, 23, 14, 0)
    assert friday.utcoffset() == timedelta(hours=2)
    status = opening_status(OFFICE_HOLIDAYS, friday, HOLIDAYS)
    assert status.next_open == datetime(2026, 10, 26, 6, 30, tzinfo=UTC)  # 07:30 CET
    assert "opens on Monday at 07:30" in render(friday)


@pytest.mark.parametrize(
    ("utc_moment", "open_now"),
    [
        (datetime(2026, 3, 27, 6, 30, tzinfo=UTC), True),  # 07:30 CET, Friday before
        (datetime(2026, 3, 30, 5, 29, tzinfo=UTC), False),  # 07:29 CEST, Monday after
        (datetime(2026, 3, 30, 5, 30, tzinfo=UTC), True),  # 07:30 CEST
        (datetime(2026, 10, 26, 6, 29, tzinfo=UTC), False),  # 07:29 CET
        (datetime(2026, 10, 26, 6, 30, tzinfo=UTC), True),  # 07:30 CET
        (datetime(2026, 10, 26, 14, 30, tzinfo=UTC), False),  # 15:30 CET, closed
    ],
)
def test_times_in_other_zones_are_read_in_warsaw(utc_moment: datetime, open_now: bool) -> None:
    assert opening_status(OFFICE_HOLIDAYS, utc_moment, HOLIDAYS).open_now is open_now


def test_naive_times_are_taken_as_warsaw_time() -> None:
    assert opening_status(OFFICE_HOLIDAYS, datetime(2026, 11, 16, 7, 30), HOLIDAYS).open_now


# ---------------------------------------------------------------- unconfirmed hours
@pytest.mark.parametrize("status", [FactStatus.UNCERTAIN, FactStatus.MISSING])
def test_unconfirmed_hours_never_produce_times(status: FactStatus) -> None:
    value = OFFICE.hours.value if status is FactStatus.UNCERTAIN else None
    place = dataclasses.replace(OFFICE, hours=fact(value, status))
    for now in [
        at(2026, 11, 16, 10),
        at(2026, 11, 14, 10),
        at(2026, 11, 11, 10),
        at(2026, 6, 8, 11),
    ]:
        assert not opening_status(place, now, HOLIDAYS).known
        text = render(now, place)
        assert "I have no confirmed opening hours" in text
        assert CLOCK.search(text) is None, f"a time leaked into {text!r}"
        assert "open now" not in text
    uncertain_note = "The only information I have is old and may no longer be valid."
    assert (uncertain_note in render(at(2026, 11, 16, 10), place)) is (
        status is FactStatus.UNCERTAIN
    )


def test_place_never_open_says_it_does_not_know_when() -> None:
    never = dataclasses.replace(OFFICE_HOLIDAYS, hours=fact(type(OFFICE.hours.value)({})))
    text = render(at(2026, 11, 16, 10), never)
    assert text == "<b>Test Office</b>: closed now. I do not know when it opens next."
