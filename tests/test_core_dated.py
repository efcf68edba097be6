"""Answers relative to the date: the Kongres blocks and dated items (bot.core.dated)."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, time, timedelta

import pytest
from babel.numbers import format_decimal
from tiny_knowledge import CALL_OPEN, EDITION_1, EDITION_2, at, knowledge

from bot.core.dated import (
    Phase,
    days_until,
    event_block,
    events_block,
    kongres_day,
    kongres_program,
    kongres_when,
    kongres_where,
    relevant_edition,
)
from bot.core.dates import WARSAW, fmt_date_range
from bot.core.knowledge import EventKind
from bot.core.translation import IdentityTranslator

EN = IdentityTranslator("en")
PL = IdentityTranslator("pl")
KB = knowledge()


def lines_with(block: str, needle: str) -> list[str]:
    return [line for line in block.splitlines() if needle in line]


# ---------------------------------------------------------------- before an edition
def test_before_the_first_edition_it_is_upcoming_with_days_left() -> None:
    block = kongres_when(KB, at(2024, 9, 1), EN)
    assert block.startswith("<b>Next Kongres:</b> edition 1, 10–11 September 2024 (in 9 days).")
    assert "Day 1: Tuesday, 10 September 2024, 10:00–12:00" in block
    assert "Day 2: Wednesday, 11 September 2024" in block
    assert "Venue: City Hall." in block
    assert "today" not in block


def test_upcoming_edition_shows_days_times_and_venue() -> None:
    block = kongres_when(KB, at(2025, 9, 20), EN)
    assert block.splitlines() == [
        "<b>Next Kongres:</b> edition 2, 29–30 September 2025 (in 9 days).",
        "• Day 1: Monday, 29 September 2025, 10:00–15:00",
        "• Day 2: Tuesday, 30 September 2025, 09:00–12:00",
        "Venue: City Hall (Sala A).",
    ]


def test_the_day_before_says_tomorrow() -> None:
    assert "(tomorrow)" in kongres_when(KB, at(2025, 9, 28, 23, 59), EN)


def test_between_editions_the_past_one_is_never_presented_as_upcoming() -> None:
    now = at(2025, 1, 15)
    view = relevant_edition(KB, now)
    assert view is not None
    assert (view.edition.edition, view.phase) == (2, Phase.UPCOMING)
    block = kongres_when(KB, now, EN)
    assert "2024" not in block, "the 2024 edition is over and must not be offered"
    assert f"(in {(date(2025, 9, 29) - date(2025, 1, 15)).days} days)" in block


def test_polish_rendering_uses_polish_dates() -> None:
    block = kongres_when(KB, at(2025, 9, 20), PL)
    assert fmt_date_range(date(2025, 9, 29), date(2025, 9, 30), "pl") == "29–30 września 2025"
    assert "29–30 września 2025" in block
    assert "poniedziałek, 29 września 2025" in block


def test_upcoming_programme_lists_each_day_and_rooms_only_where_they_differ() -> None:
    lines = kongres_program(KB, at(2025, 9, 20), EN).splitlines()
    assert lines[0] == "Programme of the next Kongres (edition 2, 29–30 September 2025):"
    assert "Theme: city strategy." in lines
    assert "<b>Day 1, Monday, 29 September 2025 (Sala A)</b>" in lines
    assert "10:00–10:30 Opening" in lines, "the day's own room is not repeated"
    assert "14:00–15:00 Urban lab panel, Sala B" in lines
    assert "<b>Day 2, Tuesday, 30 September 2025</b>" in lines
    assert not [line for line in lines if "<b>Now</b>" in line or "<b>Next</b>" in line]


def test_a_day_without_sessions_is_not_invented() -> None:
    program = kongres_program(KB, at(2024, 9, 1), EN)
    day_2 = program.split("<b>Day 2, Wednesday, 11 September 2024</b>")[1]
    assert day_2.strip() == "The detailed programme of this day is not confirmed."


# ---------------------------------------------------------------- during an edition
def test_day_one_during_a_session_gives_now_and_next() -> None:
    now = at(2025, 9, 29, 10, 15)
    when = kongres_when(KB, now, EN)
    assert when.startswith("<b>The Kongres is on now:</b> edition 2, 29–30 September 2025.")
    assert lines_with(when, "today") == ["• Day 1: Monday, 29 September 2025, 10:00–15:00 – today"]

    program = kongres_program(KB, now, EN)
    now_lines = lines_with(program, "<b>Now</b>")
    next_lines = lines_with(program, "<b>Next</b>")
    assert now_lines == ["<b>Now</b>, today 10:00–10:30 Opening, Sala A"]
    assert next_lines == ["<b>Next</b>, today 10:30–12:00 First panel, Sala A"]
    assert program.index(now_lines[0]) < program.index(next_lines[0])
    # The whole programme follows, so nothing is lost on the day.
    assert "Day 2, Tuesday, 30 September 2025" in program


def test_day_one_between_sessions_gives_only_the_next_one_with_its_room() -> None:
    program = kongres_program(KB, at(2025, 9, 29, 12, 30), EN)
    assert lines_with(program, "<b>Now</b>") == []
    assert lines_with(program, "<b>Next</b>") == [
        "<b>Next</b>, today 14:00–15:00 Urban lab panel, Sala B"
    ]


def test_session_boundaries_are_half_open() -> None:
    # At 10:30 the opening (10:00–10:30) is over and the first panel is on.
    program = kongres_program(KB, at(2025, 9, 29, 10, 30), EN)
    assert lines_with(program, "<b>Now</b>") == [
        "<b>Now</b>, today 10:30–12:00 First panel, Sala A"
    ]


def test_day_one_evening_says_the_sessions_are_over() -> None:
    program = kongres_program(KB, at(2025, 9, 29, 18, 0), EN)
    assert "Today's sessions with a known time are over." in program
    assert "<b>Now</b>" not in program
    assert "<b>Next</b>" not in program


def test_day_two_marks_day_two_as_today() -> None:
    now = at(2025, 9, 30, 9, 30)
    when = kongres_when(KB, now, EN)
    assert lines_with(when, "– today") == [
        "• Day 2: Tuesday, 30 September 2025, 09:00–12:00 – today"
    ]
    program = kongres_program(KB, now, EN)
    assert "<b>Now</b>, today 09:00–11:00 Workshops" in program
    assert "<b>Next</b>, today 11:00–12:00 Closing" in program


@pytest.mark.parametrize(
    ("utc_moment", "phase"),
    [
        # 22:30 UTC on 28 September is already 00:30 on 29 September in Warsaw.
        (datetime(2025, 9, 28, 22, 30, tzinfo=UTC), Phase.ONGOING),
        (datetime(2025, 9, 28, 21, 30, tzinfo=UTC), Phase.UPCOMING),
        (datetime(2025, 9, 30, 21, 59, tzinfo=UTC), Phase.ONGOING),
        (datetime(2025, 9, 30, 22, 0, tzinfo=UTC), Phase.PAST),
    ],
)
def test_the_day_is_the_warsaw_day(utc_moment: datetime, phase: Phase) -> None:
    view = relevant_edition(KB, utc_moment)
    assert view is not None
    assert (view.edition.edition, view.phase) == (2, phase)


# ---------------------------------------------------------------- after the last edition
def test_after_the_last_edition_it_says_when_it_took_place() -> None:
    block = kongres_when(KB, at(2026, 11, 22), EN)
    assert block == (
        "The most recent Toruński Kongres Dialogu (edition 2) took place on "
        "29–30 September 2025 at City Hall (Sala A). The date of the next edition has not "
        "been announced yet: I have no confirmed information about it."
    )


def test_after_the_last_edition_programme_and_venue_are_in_the_past_tense() -> None:
    now = at(2025, 10, 1, 0, 0)
    program = kongres_program(KB, now, EN)
    assert program.startswith("The programme of the next edition has not been announced yet.")
    assert "edition 2, 29–30 September 2025" in program
    where = kongres_where(KB, now, EN)
    assert "took place at City Hall (Sala A)" in where
    assert "The venue of the next edition has not been announced yet." in where
    assert "Address: ul. Kongresowa 2, Toruń" in where


def test_without_editions_there_is_no_guess() -> None:
    empty = knowledge(kongres=())
    assert relevant_edition(empty, at(2026, 1, 1)) is None
    assert kongres_when(empty, at(2026, 1, 1), EN) == (
        "I have no dates of the Kongres in my knowledge base."
    )
    assert "no programme" in kongres_program(empty, at(2026, 1, 1), EN)
    assert "no information" in kongres_where(empty, at(2026, 1, 1), EN)


def test_no_day_ever_presents_a_past_edition_as_upcoming() -> None:
    day = date(2024, 8, 1)
    while day <= date(2026, 12, 31):
        now = datetime(day.year, day.month, day.day, 12, tzinfo=WARSAW)
        view = relevant_edition(KB, now)
        assert view is not None
        e = view.edition
        if view.phase is Phase.UPCOMING:
            assert e.first_day > day
            assert days_until(e.first_day, now) > 0
        elif view.phase is Phase.ONGOING:
            assert e.first_day <= day <= e.last_day
        else:
            assert e.last_day < day
            assert all(other.first_day <= day for other in KB.editions_on(day)), day
        day += timedelta(days=1)


def test_editions_are_chosen_by_date_not_by_order() -> None:
    reversed_kb = knowledge(kongres=(EDITION_2, EDITION_1))
    for now in [at(2024, 9, 1), at(2025, 1, 1), at(2026, 1, 1)]:
        assert relevant_edition(reversed_kb, now) == relevant_edition(KB, now)


# ---------------------------------------------------------------- dated items
def test_call_for_offers_open_and_closed() -> None:
    block = events_block(KB, EventKind.CALL_FOR_OFFERS, at(2026, 6, 1), EN)
    current, past = block.split("<b>Past (for reference):</b>")
    assert "<b>Current and upcoming:</b>" in current
    line = "• Call A – culture, 50,000 zł: deadline 15 June 2026, 15:30 (open, in 14 days)"
    assert line in current
    assert "Call B" not in current
    assert "• Call B – sport: deadline 1 February 2026, 23:59 – closed" in past


def test_call_for_offers_closes_at_its_deadline_minute() -> None:
    at_deadline = events_block(KB, EventKind.CALL_FOR_OFFERS, at(2026, 6, 15, 15, 30), EN)
    assert "Call A – culture, 50,000 zł: deadline 15 June 2026, 15:30 (open)" in at_deadline
    after = events_block(KB, EventKind.CALL_FOR_OFFERS, at(2026, 6, 15, 15, 31), EN)
    assert "Call A – culture, 50,000 zł: deadline 15 June 2026, 15:30 – closed" in after
    assert "open" not in after
    assert "I have no information about current or upcoming dates." in after


def test_a_deadline_in_the_past_is_never_open() -> None:
    for now in [at(2026, 2, 2), at(2026, 6, 16), at(2027, 1, 1)]:
        block = events_block(KB, EventKind.CALL_FOR_OFFERS, now, EN)
        for line in lines_with(block, "Call B"):
            assert line.endswith("– closed"), line


def test_amounts_are_formatted_per_language() -> None:
    block = events_block(KB, EventKind.CALL_FOR_OFFERS, at(2026, 6, 1), PL)
    assert f"Konkurs A – kultura, {format_decimal(50000, locale='pl_PL')} zł" in block


def test_dated_item_upcoming_ongoing_past() -> None:
    upcoming = events_block(KB, EventKind.NGO_FORUM, at(2026, 11, 22), EN)
    assert "• 3 December 2026, 10:00: NGO forum, test hotel (in 11 days)" in upcoming
    ongoing = events_block(KB, EventKind.NGO_FORUM, at(2026, 12, 3, 9), EN)
    assert "NGO forum, test hotel – ongoing" in ongoing
    past = events_block(KB, EventKind.NGO_FORUM, at(2026, 12, 4), EN)
    assert past.splitlines()[0] == "I have no information about current or upcoming dates."
    assert "<b>Past (for reference):</b>" in past
    assert "(in " not in past


def test_kind_without_items_says_so() -> None:
    block = events_block(KB, EventKind.MEETING, at(2026, 11, 22), EN)
    assert block == "I have no dated information on this in my knowledge base."


# ---------------------------------------------------------------- known from
def test_an_edition_is_unknown_before_its_announcement() -> None:
    # Edition 1 was announced on 1 June 2024, edition 2 on 1 October 2024.
    assert relevant_edition(KB, at(2024, 5, 31)) is None
    view = relevant_edition(KB, at(2024, 9, 20))
    assert view is not None and (view.edition.edition, view.phase) == (1, Phase.PAST)
    assert "2025" not in kongres_when(KB, at(2024, 9, 20), EN)
    view = relevant_edition(KB, at(2024, 10, 1))
    assert view is not None and (view.edition.edition, view.phase) == (2, Phase.UPCOMING)


def test_sessions_published_later_are_not_shown_earlier() -> None:
    late = dataclasses.replace(
        EDITION_2,
        days=(
            dataclasses.replace(EDITION_2.days[0], known_from=date(2025, 9, 1)),
            EDITION_2.days[1],
        ),
        venue_known_from=date(2025, 9, 1),
    )
    kb = knowledge(kongres=(EDITION_1, late))
    august = kongres_program(kb, at(2025, 8, 20), EN)
    assert "Opening" not in august and "Sala A" not in august
    assert "The detailed programme of this day is not confirmed." in august
    assert "Workshops" in august, "day 2 was published with the edition"
    assert "City Hall" not in kongres_where(kb, at(2025, 8, 20), EN)
    september = kongres_program(kb, at(2025, 9, 2), EN)
    assert "10:00–10:30 Opening" in september
    assert "City Hall" in kongres_where(kb, at(2025, 9, 2), EN)


def test_dated_items_are_unknown_before_their_announcement() -> None:
    before = events_block(KB, EventKind.NGO_FORUM, at(2026, 10, 31), EN)
    assert before == "I have no dated information on this in my knowledge base."
    after = events_block(KB, EventKind.NGO_FORUM, at(2026, 11, 1), EN)
    assert "NGO forum" in after


def test_a_call_without_an_opening_day_gives_its_deadline_and_never_open() -> None:
    for now, left in [(at(2026, 8, 1), "in 60 days; "), (at(2026, 9, 30, 11), "")]:
        block = events_block(KB, EventKind.CALL_FOR_OFFERS, now, EN)
        [line] = lines_with(block, "Call C")
        assert line == (
            "• Call C – ecology, 20,000 zł: deadline 30 September 2026, 12:00 "
            f"({left}opening date not confirmed)"
        )
    [line] = lines_with(events_block(KB, EventKind.CALL_FOR_OFFERS, at(2026, 10, 1), EN), "Call C")
    assert line.endswith("– closed")


def test_a_call_that_opens_later_says_when() -> None:
    block = events_block(KB, EventKind.CALL_FOR_OFFERS, at(2026, 4, 25), EN)
    [line] = lines_with(block, "Call A")
    assert line.endswith("(opens on 1 May 2026)")


def test_a_deadline_without_a_time_invents_none() -> None:
    no_time = dataclasses.replace(CALL_OPEN, deadline=date(2026, 6, 15))
    kb = knowledge(events=(no_time,))
    line = event_block(kb, "call-a", at(2026, 6, 15, 23, 0), EN)
    assert line == "Call A – culture, 50,000 zł: deadline 15 June 2026 (open)"
    assert ":" not in line.split("deadline")[1]
    assert event_block(kb, "call-a", at(2026, 6, 16), EN).endswith("– closed")


def test_one_event_block() -> None:
    assert event_block(KB, "forum", at(2026, 11, 22), EN) == (
        "3 December 2026, 10:00: NGO forum, test hotel (in 11 days)"
    )
    assert event_block(KB, "forum", at(2026, 12, 4), EN).endswith("– over")
    assert event_block(KB, "forum", at(2026, 10, 1), EN) == (
        "I have no dated information on this in my knowledge base."
    )


# ---------------------------------------------------------------- the Kongres day view
def test_the_day_view_exists_only_on_a_kongres_day() -> None:
    assert kongres_day(KB, at(2025, 9, 28, 12), EN) is None
    assert kongres_day(KB, at(2025, 10, 1, 12), EN) is None
    assert kongres_day(KB, at(2024, 9, 11, 12), EN) is not None


def test_the_day_view_at_a_time() -> None:
    view = kongres_day(KB, at(2025, 9, 29, 9), EN, at=time(10, 45))
    assert view is not None
    lines = view.splitlines()
    assert lines[0] == "<b>At 10:45</b>, today:"
    assert lines[1] == "10:30–12:00 First panel, Sala A"
    assert "<b>Day 1, Monday, 29 September 2025 (Sala A)</b>" in lines


def test_the_day_view_without_times() -> None:
    view = kongres_day(KB, at(2024, 9, 11, 12), EN)
    assert view is not None
    assert view.splitlines()[0] == "The times of today's programme are not confirmed."
