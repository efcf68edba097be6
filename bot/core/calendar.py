"""Calendar files (RFC 5545) for a Kongres edition or a single session.

Times are local Europe/Warsaw times with a VTIMEZONE, so calendar apps show
10:00 in Toruń whatever the daylight-saving state. A day or session whose
start time is not known becomes an all-day event; nothing is invented.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import icalendar

from bot.core.dates import WARSAW
from bot.core.knowledge import KnowledgeBase, KongresDay, KongresEdition, Session
from bot.core.translation import Translator

PRODID = "-//Biuro Dialogu i Innowacji Miejskich Torun//Asystent//PL"
UID_DOMAIN = "asystent.dialog.torun"


@dataclass(frozen=True)
class CalendarFile:
    """An .ics file ready to send."""

    filename: str
    content: bytes


def _timezone() -> icalendar.Timezone:
    """Europe/Warsaw with the EU rules (last Sunday of March and of October)."""
    tz = icalendar.Timezone()
    tz.add("tzid", "Europe/Warsaw")
    summer = icalendar.TimezoneDaylight()
    summer.add("tzname", "CEST")
    summer.add("tzoffsetfrom", timedelta(hours=1))
    summer.add("tzoffsetto", timedelta(hours=2))
    summer.add("dtstart", datetime(1970, 3, 29, 2, 0))
    summer.add("rrule", {"freq": "yearly", "bymonth": 3, "byday": "-1su"})
    winter = icalendar.TimezoneStandard()
    winter.add("tzname", "CET")
    winter.add("tzoffsetfrom", timedelta(hours=2))
    winter.add("tzoffsetto", timedelta(hours=1))
    winter.add("dtstart", datetime(1970, 10, 25, 3, 0))
    winter.add("rrule", {"freq": "yearly", "bymonth": 10, "byday": "-1su"})
    tz.add_component(summer)
    tz.add_component(winter)
    return tz


def _location(kb: KnowledgeBase, edition: KongresEdition, room: str | None, lang: str) -> str:
    place = kb.places.get(edition.venue) if edition.venue else None
    parts = [place.name.get(lang)] if place else []
    if room:
        parts.append(room)
    if place is not None and place.address.known:
        parts.append(str(place.address.value))
    return ", ".join(parts)


def _source_url(kb: KnowledgeBase, edition: KongresEdition) -> str | None:
    for source_id in edition.sources:
        source = kb.sources.get(source_id)
        if source is not None and source.is_link:
            return source.url
    return None


def _event(
    uid: str,
    summary: str,
    day: date,
    start: datetime | None,
    end: datetime | None,
    location: str,
    description: str,
    stamp: datetime,
) -> icalendar.Event:
    event = icalendar.Event()
    event.add("uid", uid)
    event.add("dtstamp", stamp)
    event.add("summary", summary)
    if start is None:
        event.add("dtstart", day)  # all day: the time is not confirmed
        event.add("dtend", day + timedelta(days=1))
    else:
        event.add("dtstart", start)
        if end is not None:
            event.add("dtend", end)
    if location:
        event.add("location", location)
    if description:
        event.add("description", description)
    return event


def _local(day: date, moment: object) -> datetime | None:
    from datetime import time

    return datetime.combine(day, moment, tzinfo=WARSAW) if isinstance(moment, time) else None


def _calendar(events: list[icalendar.Event], name: str) -> bytes:
    cal = icalendar.Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", name)
    cal.add("x-wr-timezone", "Europe/Warsaw")
    cal.add_component(_timezone())
    for event in events:
        cal.add_component(event)
    return bytes(cal.to_ical())


def _stamp(now: datetime | None) -> datetime:
    return (now or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)


def edition_calendar(
    kb: KnowledgeBase, edition: KongresEdition, t: Translator, now: datetime | None = None
) -> CalendarFile:
    """One event per day of the edition, from its first to its last known time."""
    title = t.gettext("Toruński Kongres Dialogu (edition {n})").format(n=edition.edition)
    url = _source_url(kb, edition)
    events = []
    for number, day in enumerate(edition.days, start=1):
        start = _local(day.date, day.first_start)
        last = day.last_end
        end = _local(day.date, last) if last is not None and last != day.first_start else None
        description = t.gettext("Day {n}").format(n=number)
        if url:
            description += "\n" + url
        events.append(
            _event(
                f"kongres-{edition.edition}-{day.date.isoformat()}@{UID_DOMAIN}",
                f"{title} – " + t.gettext("Day {n}").format(n=number),
                day.date,
                start,
                end,
                _location(kb, edition, day.room, t.lang),
                description,
                _stamp(now),
            )
        )
    return CalendarFile(f"kongres-dialogu-{edition.year}.ics", _calendar(events, title))


def session_calendar(
    kb: KnowledgeBase,
    edition: KongresEdition,
    day: KongresDay,
    session: Session,
    t: Translator,
    now: datetime | None = None,
) -> CalendarFile:
    """A single session as one event."""
    index = day.sessions.index(session)
    start = _local(day.date, session.start)
    end = _local(day.date, session.end)
    lines = []
    if session.speakers:
        lines.append(", ".join(session.speakers))
    url = _source_url(kb, edition)
    if url:
        lines.append(url)
    name = t.gettext("Toruński Kongres Dialogu (edition {n})").format(n=edition.edition)
    event = _event(
        f"kongres-{edition.edition}-{day.date.isoformat()}-{index}@{UID_DOMAIN}",
        session.title.get(t.lang),
        day.date,
        start,
        end,
        _location(kb, edition, session.room or day.room, t.lang),
        "\n".join(lines),
        _stamp(now),
    )
    filename = f"kongres-dialogu-{day.date.isoformat()}-{index + 1}.ics"
    return CalendarFile(filename, _calendar([event], name))


def find_edition(kb: KnowledgeBase, number: int) -> KongresEdition | None:
    """The edition with this number."""
    return next((e for e in kb.kongres if e.edition == number), None)
