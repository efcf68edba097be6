"""The shipped knowledge at fixed dates, through bot.services.build_engine.

Interface strings may be translated later, so expectations are built with the
engine's own catalog (``t.gettext(msgid)``) and with Babel's date formatting,
never written out as English sentences.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

import pytest

from bot.core.dated import Phase, kongres_when, relevant_edition
from bot.core.dates import WARSAW, fmt_date, fmt_date_range
from bot.core.hours import PolishHolidays, render_hours
from bot.core.matching import Action
from bot.services import Engine

BEFORE = datetime(2025, 9, 20, 12, 0, tzinfo=WARSAW)
DURING = datetime(2025, 9, 29, 10, 15, tzinfo=WARSAW)
AFTER = datetime(2026, 11, 22, 12, 0, tzinfo=WARSAW)
DATES_2025 = "29–30 września 2025"


@pytest.fixture(scope="module")
def edition_2025(shipped_engine: Engine):
    [edition] = [e for e in shipped_engine.content.knowledge.kongres if e.year == 2025]
    assert (edition.first_day, edition.last_day) == (date(2025, 9, 29), date(2025, 9, 30))
    return edition


def kongres_when_reply(engine: Engine, now: datetime) -> str:
    reply = engine.assistant.topic_reply("kongres.when", lang="pl", now=now)
    assert reply.intent == "kongres.when"
    return reply.html


def test_babel_renders_the_2025_dates_in_polish(edition_2025) -> None:
    assert fmt_date_range(edition_2025.first_day, edition_2025.last_day, "pl") == DATES_2025


def test_question_about_the_kongres_is_answered_with_kongres_when(shipped_engine: Engine) -> None:
    reply = shipped_engine.assistant.respond("kiedy jest kongres", lang="pl", now=BEFORE)
    assert (reply.action, reply.intent) == (Action.ANSWER, "kongres.when")
    assert reply.html == kongres_when_reply(shipped_engine, BEFORE)


def test_before_the_2025_edition_it_is_upcoming(shipped_engine: Engine, edition_2025) -> None:
    kb, t = shipped_engine.content.knowledge, shipped_engine.catalogs("pl")
    view = relevant_edition(kb, BEFORE)
    assert view is not None
    assert (view.edition, view.phase) == (edition_2025, Phase.UPCOMING)
    html = kongres_when_reply(shipped_engine, BEFORE)
    assert DATES_2025 in html
    left = t.ngettext("in {n} day", "in {n} days", 9).format(n=9)
    upcoming = t.gettext("<b>Next Kongres:</b> edition {n}, {dates} ({left}).").format(
        n=edition_2025.edition, dates=DATES_2025, left=left
    )
    assert upcoming in html
    # Both days are listed with their weekday.
    for day in edition_2025.days:
        assert fmt_date(day.date, "pl", weekday=True) in html
    # One day later, one day less to go: the block is computed, not stored.
    assert kongres_when_reply(shipped_engine, datetime(2025, 9, 21, 12, tzinfo=WARSAW)) != html


def test_on_the_first_day_it_is_ongoing(shipped_engine: Engine, edition_2025) -> None:
    kb, t = shipped_engine.content.knowledge, shipped_engine.catalogs("pl")
    view = relevant_edition(kb, DURING)
    assert view is not None
    assert view.phase is Phase.ONGOING
    assert view.today == edition_2025.days[0]
    html = kongres_when_reply(shipped_engine, DURING)
    ongoing = t.gettext("<b>The Kongres is on now:</b> edition {n}, {dates}.").format(
        n=edition_2025.edition, dates=DATES_2025
    )
    assert ongoing in html
    today_lines = [line for line in html.splitlines() if line.endswith(" – " + t.gettext("today"))]
    assert len(today_lines) == 1
    assert fmt_date(date(2025, 9, 29), "pl", weekday=True) in today_lines[0]


def test_on_the_first_day_the_programme_names_the_current_session(
    shipped_engine: Engine, edition_2025
) -> None:
    clock = DURING.time()
    current = [
        s
        for s in edition_2025.days[0].sessions
        if s.start is not None and s.start <= clock < (s.end or s.start)
    ]
    assert current, "the shipped programme has a session at 10:15 on day one"
    html = shipped_engine.assistant.topic_reply("kongres.program", lang="pl", now=DURING).html
    now_line = shipped_engine.catalogs("pl").gettext("<b>Now</b>, today {session}").split("{")[0]
    [line] = [ln for ln in html.splitlines() if ln.startswith(now_line)]
    assert current[-1].title.get("pl") in line


def test_after_the_last_edition_it_took_place_and_no_date_is_known(
    shipped_engine: Engine, edition_2025
) -> None:
    kb, t = shipped_engine.content.knowledge, shipped_engine.catalogs("pl")
    view = relevant_edition(kb, AFTER)
    assert view is not None
    assert (view.edition, view.phase) == (edition_2025, Phase.PAST)
    assert all(e.first_day <= AFTER.date() for e in kb.kongres), "no later edition is known"
    html = kongres_when_reply(shipped_engine, AFTER)
    took_place = t.gettext(
        "The most recent Toruński Kongres Dialogu (edition {n}) took place on {dates}"
    ).format(n=edition_2025.edition, dates=DATES_2025)
    unknown = t.gettext(
        "The date of the next edition has not been announced yet: "
        "I have no confirmed information about it."
    )
    assert took_place in html
    assert unknown in html
    upcoming_prefix = t.gettext("<b>Next Kongres:</b> edition {n}, {dates} ({left}).").split("{")[0]
    assert upcoming_prefix not in html
    # Past is past: the block no longer changes with the date.
    later = datetime(2027, 3, 1, 12, tzinfo=WARSAW)
    assert kongres_when(kb, AFTER, t) == kongres_when(kb, later, t)
    assert kongres_when(kb, AFTER, t) != kongres_when(kb, BEFORE, t)


CLOCK = re.compile(r"\b\d{1,2}:\d{2}\b")


def test_places_without_confirmed_hours_never_get_times(shipped_engine: Engine) -> None:
    kb, holidays = shipped_engine.content.knowledge, PolishHolidays()
    unconfirmed = [p for p in kb.places.values() if p.weekly_hours is None]
    assert unconfirmed, "the shipped places include some without confirmed hours"
    for place in unconfirmed:
        for lang in ("pl", "en", "uk"):
            t = shipped_engine.catalogs(lang)
            for now in (BEFORE, DURING, AFTER, datetime(2026, 11, 11, 10, tzinfo=WARSAW)):
                text = render_hours(place, now, t, holidays)
                assert CLOCK.search(text) is None, f"{place.id} {lang} {now}: {text!r}"


def _at(day: date, hour: int) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=WARSAW)


def _moments(kb) -> list[tuple[str, datetime, int, Phase]]:
    """(label, moment, expected edition, expected phase) around every shipped edition.

    Right after an edition the next one is upcoming only if it had been
    announced by then (its ``known_from``).
    """
    editions = sorted(kb.kongres, key=lambda e: e.first_day)
    cases: list[tuple[str, datetime, int, Phase]] = []
    for i, edition in enumerate(editions):
        before = _at(edition.first_day - timedelta(days=7), 12)
        cases.append((f"{edition.year} before", before, edition.edition, Phase.UPCOMING))
        for day in edition.days:
            cases.append(
                (f"{edition.year} {day.date}", _at(day.date, 12), edition.edition, Phase.ONGOING)
            )
        after = _at(edition.last_day + timedelta(days=1), 9)
        following = editions[i + 1] if i + 1 < len(editions) else None
        if following is not None and following.public_on(after.date()):
            cases.append((f"{edition.year} after", after, following.edition, Phase.UPCOMING))
        else:
            # The next edition, if any, had not been announced yet.
            cases.append((f"{edition.year} after", after, edition.edition, Phase.PAST))
    return cases


def test_every_shipped_edition_before_during_and_after(shipped_engine: Engine) -> None:
    kb = shipped_engine.content.knowledge
    cases = _moments(kb)
    assert len({c[2] for c in cases}) == len(kb.kongres) >= 2
    for label, now, edition, phase in cases:
        view = relevant_edition(kb, now)
        assert view is not None, label
        assert (view.edition.edition, view.phase) == (edition, phase), label
        shown = next(e for e in kb.kongres if e.edition == edition)
        dates = fmt_date_range(shown.first_day, shown.last_day, "pl")
        for topic in ("kongres.when", "kongres.program", "kongres.where"):
            for lang in ("pl", "en", "uk"):
                html = shipped_engine.assistant.topic_reply(topic, lang=lang, now=now).html
                assert html.strip(), (label, topic, lang)
        when = kongres_when_reply(shipped_engine, now)
        assert dates in when, label
        upcoming = shipped_engine.catalogs("pl").gettext(
            "<b>Next Kongres:</b> edition {n}, {dates} ({left})."
        )
        assert (upcoming.split("{")[0] in when) is (phase is Phase.UPCOMING), label
