"""Opening hours: "open now, until 15:30" or "closed, opens on Monday at 7:30".

Only confirmed weekly hours are ever used. Exceptions (a date closed or with
other hours) come first, then Polish public holidays, then the weekly schedule.
All times are wall-clock times in Europe/Warsaw, so a daylight-saving change
does not move an opening hour.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import ClassVar, Protocol

from bot.core.dates import WARSAW, fmt_date, fmt_time, local_now
from bot.core.knowledge import FactStatus, Place, TimeRange
from bot.core.translation import N_, Translator

#: How far ahead to look for the next opening.
LOOKAHEAD_DAYS = 21


#: "on Monday" needs its own form per language (Polish "we wtorek", "w środę").
ON_WEEKDAY: tuple[str, ...] = (
    N_("on Monday"),
    N_("on Tuesday"),
    N_("on Wednesday"),
    N_("on Thursday"),
    N_("on Friday"),
    N_("on Saturday"),
    N_("on Sunday"),
)


class HolidayCalendar(Protocol):
    """Tells whether a day is a public holiday."""

    def holiday_name(self, day: date, lang: str) -> str | None:
        """The holiday's name in ``lang``, or None on an ordinary day."""
        ...


class PolishHolidays:
    """Polish public holidays from the ``holidays`` package."""

    _LANGS: ClassVar[dict[str, str]] = {"pl": "pl", "en": "en_US", "uk": "uk"}

    def holiday_name(self, day: date, lang: str) -> str | None:
        return _polish_holidays(day.year, self._LANGS.get(lang, "pl")).get(day)


@lru_cache(maxsize=32)
def _polish_holidays(year: int, language: str) -> dict[date, str]:
    import holidays

    return dict(holidays.country_holidays("PL", years=year, language=language).items())


@dataclass(frozen=True)
class DayHours:
    """The opening ranges of one day and why (exception, holiday, weekly)."""

    day: date
    ranges: tuple[TimeRange, ...]
    holiday: str | None = None
    exception: bool = False


@dataclass(frozen=True)
class OpeningStatus:
    """Whether a place is open at a moment, when it closes or next opens."""

    place_id: str
    known: bool
    open_now: bool = False
    closes_at: datetime | None = None
    next_open: datetime | None = None
    today: DayHours | None = None


def hours_on(place: Place, day: date, calendar: HolidayCalendar, lang: str = "pl") -> DayHours:
    """The opening ranges of ``place`` on ``day`` (empty when closed)."""
    for exc in place.exceptions:
        if exc.date == day:
            return DayHours(day, exc.ranges, exception=True)
    weekly = place.weekly_hours
    if place.public_holidays_closed:
        name = calendar.holiday_name(day, lang)
        if name is not None:
            return DayHours(day, (), holiday=name)
    if weekly is None:
        return DayHours(day, ())
    return DayHours(day, tuple(weekly.days.get(day.weekday(), ())))


def opening_status(
    place: Place, now: datetime, calendar: HolidayCalendar, lang: str = "pl"
) -> OpeningStatus:
    """Compute whether ``place`` is open at ``now`` (from hours already public then)."""
    now = local_now(now)
    if place.weekly_hours_on(now.date()) is None:
        return OpeningStatus(place.id, known=False)
    today = hours_on(place, now.date(), calendar, lang)
    for r in today.ranges:
        start = datetime.combine(now.date(), r.start, tzinfo=WARSAW)
        end = datetime.combine(now.date(), r.end, tzinfo=WARSAW)
        if start <= now < end:
            return OpeningStatus(place.id, True, True, closes_at=end, today=today)
    next_open = None
    for offset in range(LOOKAHEAD_DAYS + 1):
        day = now.date() + timedelta(days=offset)
        for r in hours_on(place, day, calendar, lang).ranges:
            start = datetime.combine(day, r.start, tzinfo=WARSAW)
            if start > now:
                next_open = start
                break
        if next_open is not None:
            break
    return OpeningStatus(place.id, True, False, next_open=next_open, today=today)


def render_hours(place: Place, now: datetime, t: Translator, calendar: HolidayCalendar) -> str:
    """One paragraph about a place's hours, safe for Telegram HTML."""
    name = place.name.get(t.lang)
    status = opening_status(place, now, calendar, t.lang)
    if not status.known:
        text = t.gettext(
            "<b>{place}</b>: I have no confirmed opening hours, so I will not guess them."
        ).format(place=name)
        if place.hours.status is FactStatus.UNCERTAIN:
            text += " " + t.gettext(
                "The only information I have is old and may no longer be valid."
            )
        return text
    now = local_now(now)
    if status.open_now and status.closes_at is not None:
        return t.gettext("<b>{place}</b>: open now, until {time}.").format(
            place=name, time=fmt_time(status.closes_at.timetz(), t.lang)
        )
    reason = ""
    if status.today is not None and status.today.holiday:
        reason = " " + t.gettext("Today is a public holiday ({holiday}).").format(
            holiday=status.today.holiday
        )
    if status.next_open is None:
        return (
            t.gettext("<b>{place}</b>: closed now.").format(place=name)
            + reason
            + " "
            + t.gettext("I do not know when it opens next.")
        )
    return (
        t.gettext("<b>{place}</b>: closed now, opens {when}.").format(
            place=name, when=_when(status.next_open, now, t)
        )
        + reason
    )


def _when(moment: datetime, now: datetime, t: Translator) -> str:
    """ "today at 7:30", "tomorrow at 7:30", "on Monday at 7:30" or a date."""
    clock = fmt_time(moment.timetz(), t.lang)
    days = (moment.date() - now.date()).days
    if days == 0:
        return t.gettext("today at {time}").format(time=clock)
    if days == 1:
        return t.gettext("tomorrow at {time}").format(time=clock)
    if days < 7:
        return t.gettext("{on_weekday} at {time}").format(
            on_weekday=t.gettext(ON_WEEKDAY[moment.weekday()]), time=clock
        )
    return t.gettext("on {date} at {time}").format(
        date=fmt_date(moment.date(), t.lang, weekday=True), time=clock
    )
