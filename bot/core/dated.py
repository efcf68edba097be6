"""Answers that know the date: the Kongres and other dated items.

Every function takes ``now`` (an aware Europe/Warsaw time), uses only what
had been announced by then (``known_from``) and never presents a past date
as upcoming: before an edition it gives the next edition's days, times and
venue; on the day it gives today's sessions; after the last known edition it
says when that took place and that no next date is known. A call for offers
whose opening day is not known is never said to be open.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from enum import StrEnum

from bot.core.dates import WARSAW, fmt_date, fmt_date_range, fmt_time_range, local_now
from bot.core.html import escape
from bot.core.knowledge import (
    DatedItem,
    EventKind,
    FactStatus,
    KnowledgeBase,
    KongresDay,
    KongresEdition,
    Session,
)
from bot.core.translation import Translator


class Phase(StrEnum):
    """Where an edition is relative to now."""

    UPCOMING = "upcoming"
    ONGOING = "ongoing"
    PAST = "past"


@dataclass(frozen=True)
class EditionView:
    """The edition an answer is about, and its phase."""

    edition: KongresEdition
    phase: Phase
    today: KongresDay | None = None


def relevant_edition(kb: KnowledgeBase, now: datetime) -> EditionView | None:
    """The ongoing edition, else the next one, else the last one (as known at ``now``)."""
    today = local_now(now).date()
    editions = kb.editions_on(today)
    for edition in editions:
        if edition.first_day <= today <= edition.last_day:
            day = (
                next(d for d in edition.days if d.date == today)
                if any(d.date == today for d in edition.days)
                else None
            )
            return EditionView(edition, Phase.ONGOING, day)
    upcoming = [e for e in editions if e.first_day > today]
    if upcoming:
        return EditionView(min(upcoming, key=lambda e: e.first_day), Phase.UPCOMING)
    past = [e for e in editions if e.last_day < today]
    if past:
        return EditionView(max(past, key=lambda e: e.last_day), Phase.PAST)
    return None


def _venue_text(kb: KnowledgeBase, edition: KongresEdition, t: Translator) -> str:
    place = kb.places.get(edition.venue) if edition.venue else None
    name = escape(place.name.get(t.lang)) if place else ""
    rooms = sorted({d.room for d in edition.days if d.room})
    if name and rooms:
        return f"{name} ({escape(', '.join(rooms))})"
    return name or escape(", ".join(rooms))


def _day_hours(day: KongresDay, lang: str) -> str:
    return fmt_time_range(
        day.first_start, day.last_end if day.last_end != day.first_start else None, lang
    )


def _days_left(t: Translator, days: int) -> str:
    if days == 1:
        return t.gettext("tomorrow")
    return t.ngettext("in {n} day", "in {n} days", days).format(n=days)


def kongres_when(kb: KnowledgeBase, now: datetime, t: Translator) -> str:
    """The {kongres_when} block."""
    view = relevant_edition(kb, now)
    if view is None:
        return t.gettext("I have no dates of the Kongres in my knowledge base.")
    e = view.edition
    today = local_now(now).date()
    dates = fmt_date_range(e.first_day, e.last_day, t.lang)
    venue = _venue_text(kb, e, t)
    if view.phase is Phase.PAST:
        text = t.gettext(
            "The most recent Toruński Kongres Dialogu (edition {n}) took place on {dates}"
        ).format(n=e.edition, dates=dates)
        text += (t.gettext(" at {venue}").format(venue=venue) if venue else "") + ". "
        text += t.gettext(
            "The date of the next edition has not been announced yet: "
            "I have no confirmed information about it."
        )
        return text
    lines: list[str] = []
    if view.phase is Phase.ONGOING:
        lines.append(
            t.gettext("<b>The Kongres is on now:</b> edition {n}, {dates}.").format(
                n=e.edition, dates=dates
            )
        )
    else:
        left = (e.first_day - today).days
        lines.append(
            t.gettext("<b>Next Kongres:</b> edition {n}, {dates} ({left}).").format(
                n=e.edition, dates=dates, left=_days_left(t, left)
            )
        )
    for number, day in enumerate(e.days, start=1):
        hours = _day_hours(day, t.lang)
        label = t.gettext("Day {n}").format(n=number)
        line = f"• {label}: {fmt_date(day.date, t.lang, weekday=True)}"
        if hours:
            line += f", {hours}"
        if day.date == today:
            line += " – " + t.gettext("today")
        lines.append(line)
    if venue:
        lines.append(t.gettext("Venue: {venue}.").format(venue=venue))
    return "\n".join(lines)


def _session_line(
    s: Session,
    t: Translator,
    *,
    with_room: bool = False,
    day_room: str | None = None,
    speakers: bool = True,
) -> str:
    when = fmt_time_range(s.start, s.end, t.lang)
    line = f"{when} " if when else "• "
    line += escape(s.title.get(t.lang))
    if s.room and (with_room or s.room != day_room):
        line += f", {escape(s.room)}"
    if s.speakers and speakers:
        line += f" ({escape(', '.join(s.speakers))})"
    if s.status is not FactStatus.CONFIRMED:
        line += " " + t.gettext("(not confirmed)")
    return line


def _day_programme(
    day: KongresDay, number: int, t: Translator, *, speakers: bool = True
) -> list[str]:
    header = t.gettext("Day {n}").format(n=number) + f", {fmt_date(day.date, t.lang, weekday=True)}"
    if day.room:
        header += f" ({escape(day.room)})"
    lines = [f"<b>{header}</b>"]
    if day.sessions:
        lines.extend(
            _session_line(s, t, day_room=day.room, speakers=speakers) for s in day.sessions
        )
    else:
        lines.append(t.gettext("The detailed programme of this day is not confirmed."))
    return lines


def kongres_program(
    kb: KnowledgeBase, now: datetime, t: Translator, *, compact: bool = False
) -> str:
    """The {kongres_program} block: per day; on the day, the next session first.

    ``compact`` leaves out the speakers (the short answer; the full topic has them).
    """
    view = relevant_edition(kb, now)
    if view is None:
        return t.gettext("I have no programme of the Kongres in my knowledge base.")
    e = view.edition
    dates = fmt_date_range(e.first_day, e.last_day, t.lang)
    lines: list[str] = []
    if view.phase is Phase.PAST:
        lines.append(
            t.gettext(
                "The programme of the next edition has not been announced yet. "
                "This was the programme of the most recent one (edition {n}, {dates}):"
            ).format(n=e.edition, dates=dates)
        )
    elif view.phase is Phase.ONGOING:
        lines.append(
            t.gettext("The Kongres is on now (edition {n}, {dates}).").format(
                n=e.edition, dates=dates
            )
        )
        if view.today is not None:
            lines.extend(_today_sessions(view.today, local_now(now), t))
    else:
        lines.append(
            t.gettext("Programme of the next Kongres (edition {n}, {dates}):").format(
                n=e.edition, dates=dates
            )
        )
    if e.theme is not None:
        lines.append(t.gettext("Theme: {theme}.").format(theme=escape(e.theme.get(t.lang))))
    for number, day in enumerate(e.days, start=1):
        lines.append("")
        lines.extend(_day_programme(day, number, t, speakers=not compact))
    return "\n".join(lines)


def _today_sessions(day: KongresDay, now: datetime, t: Translator) -> list[str]:
    """ "Now: …" and "Next: …" lines for the day of the Kongres."""
    current: Session | None = None
    upcoming: Session | None = None
    clock = now.timetz().replace(tzinfo=None)
    for s in day.sessions:
        if s.start is None:
            continue
        end = s.end or s.start
        if s.start <= clock < end:
            current = s
        elif s.start > clock and upcoming is None:
            upcoming = s
    lines: list[str] = []
    if current is not None:
        lines.append(
            t.gettext("<b>Now</b>, today {session}").format(
                session=_session_line(current, t, with_room=True)
            )
        )
    if upcoming is not None:
        lines.append(
            t.gettext("<b>Next</b>, today {session}").format(
                session=_session_line(upcoming, t, with_room=True)
            )
        )
    timed = [s for s in day.sessions if s.start is not None]
    if current is None and upcoming is None and timed:
        lines.append(t.gettext("Today's sessions with a known time are over."))
    return lines


def kongres_where(kb: KnowledgeBase, now: datetime, t: Translator) -> str:
    """The {kongres_where} block: venue, hall and address as far as known."""
    view = relevant_edition(kb, now)
    if view is None:
        return t.gettext("I have no information about where the Kongres takes place.")
    e = view.edition
    venue = _venue_text(kb, e, t) or t.gettext("venue not confirmed")
    dates = fmt_date_range(e.first_day, e.last_day, t.lang)
    if view.phase is Phase.PAST:
        text = t.gettext(
            "The most recent Kongres (edition {n}, {dates}) took place at {venue}. "
            "The venue of the next edition has not been announced yet."
        ).format(n=e.edition, dates=dates, venue=venue)
    else:
        text = t.gettext("Edition {n} ({dates}): {venue}.").format(
            n=e.edition, dates=dates, venue=venue
        )
    place = kb.places.get(e.venue) if e.venue else None
    if place is not None:
        if place.address.known_at(local_now(now).date()):
            text += "\n" + t.gettext("Address: {address}").format(
                address=escape(str(place.address.value))
            )
        else:
            text += "\n" + t.gettext("I have no confirmed street address of the venue.")
    return text


def _item_moment(item: DatedItem, lang: str) -> str:
    start, end = item.start, item.end
    assert start is not None, "only calls for offers may lack a start"
    start_day = start.date() if isinstance(start, datetime) else start
    end_day = end.date() if isinstance(end, datetime) else end
    text = fmt_date_range(start_day, end_day or start_day, lang)
    if (
        isinstance(start, datetime)
        and start.time() != time(0, 0)
        and (end_day in (None, start_day))
    ):
        end_time = end.time() if isinstance(end, datetime) else None
        text += f", {fmt_time_range(start.time(), end_time, lang)}"
    return text


def _amount(value: int, lang: str) -> str:
    from babel.numbers import format_decimal

    from bot.core.dates import babel_locale

    return format_decimal(value, locale=babel_locale(lang)) + " zł"


def _deadline_text(deadline: datetime | date, t: Translator) -> str:
    if isinstance(deadline, datetime):
        return t.gettext("deadline {date}, {time}").format(
            date=fmt_date(deadline.date(), t.lang),
            time=fmt_time_range(deadline.time(), None, t.lang),
        )
    return t.gettext("deadline {date}").format(date=fmt_date(deadline, t.lang))


def _deadline_moment(deadline: datetime | date) -> datetime:
    """The end of a deadline: its time, or the end of its day when no time is known."""
    if isinstance(deadline, datetime):
        return deadline.replace(tzinfo=WARSAW)
    return datetime.combine(deadline, time(23, 59, 59), tzinfo=WARSAW)


@dataclass(frozen=True)
class ItemLine:
    """One dated item rendered for ``now``: its line and whether it is over."""

    text: str
    past: bool


def item_line(kb: KnowledgeBase, item: DatedItem, now: datetime, t: Translator) -> ItemLine:
    """A dated item in the tense that fits ``now``."""
    now = local_now(now)
    today = now.date()
    title = escape(item.title.get(t.lang))
    where = ""
    if item.place is not None:
        where = ", " + escape(item.place.get(t.lang))
    elif item.venue and item.venue in kb.places:
        where = ", " + escape(kb.places[item.venue].name.get(t.lang))
    amount = f", {_amount(item.amount, t.lang)}" if item.amount else ""
    if item.deadline is not None:
        deadline = _deadline_moment(item.deadline)
        when = _deadline_text(item.deadline, t)
        if deadline < now:
            return ItemLine(f"{title}{amount}: {when} – " + t.gettext("closed"), True)
        left = (deadline.date() - today).days
        if item.start is None:
            # Nobody told us when it opened: give the deadline, never "open".
            status = (f"{_days_left(t, left)}; " if left > 0 else "") + t.gettext(
                "opening date not confirmed"
            )
        elif item.start_date > today:
            status = t.gettext("opens on {date}").format(date=fmt_date(item.start_date, t.lang))
        else:
            status = t.gettext("open") + (f", {_days_left(t, left)}" if left > 0 else "")
        return ItemLine(f"{title}{amount}: {when} ({status})", False)
    moment = _item_moment(item, t.lang)
    if item.end_date < today:
        return ItemLine(f"{moment}: {title}{where}{amount}", True)
    if item.start_date <= today:
        return ItemLine(f"{moment}: {title}{where}{amount} – " + t.gettext("ongoing"), False)
    left = (item.start_date - today).days
    return ItemLine(f"{moment}: {title}{where}{amount} ({_days_left(t, left)})", False)


def event_block(kb: KnowledgeBase, item_id: str, now: datetime, t: Translator) -> str:
    """The {event:ID} block: one dated item, or that it has not been announced."""
    today = local_now(now).date()
    item = next((e for e in kb.events_on(today) if e.id == item_id), None)
    if item is None:
        return t.gettext("I have no dated information on this in my knowledge base.")
    line = item_line(kb, item, now, t)
    return line.text + (" – " + t.gettext("over") if line.past and item.deadline is None else "")


def events_block(kb: KnowledgeBase, kind: EventKind, now: datetime, t: Translator) -> str:
    """The {events:KIND} block: open/upcoming items first, then past ones."""
    today = local_now(now).date()
    items = [e for e in kb.events_on(today) if e.kind is kind]
    if not items:
        return t.gettext("I have no dated information on this in my knowledge base.")
    current: list[str] = []
    past: list[str] = []
    for item in sorted(items, key=lambda i: (i.start_date, i.id)):
        line = item_line(kb, item, now, t)
        (past if line.past else current).append(f"• {line.text}")
    lines: list[str] = []
    if current:
        lines.append("<b>" + t.gettext("Current and upcoming:") + "</b>")
        lines.extend(current)
    else:
        lines.append(t.gettext("I have no information about current or upcoming dates."))
    if past:
        lines.append("<b>" + t.gettext("Past (for reference):") + "</b>")
        lines.extend(past[-6:])
    return "\n".join(lines)


def visible_items(
    kb: KnowledgeBase, now: datetime, *, kind: EventKind | None = None, item_id: str | None = None
) -> list[DatedItem]:
    """The dated items a block shows at ``now`` (for its sources)."""
    today = local_now(now).date()
    return [
        e
        for e in kb.events_on(today)
        if (kind is None or e.kind is kind) and (item_id is None or e.id == item_id)
    ]


# ---------------------------------------------------------------- the Kongres day
def _sessions_at(day: KongresDay, clock: time) -> list[Session]:
    """Sessions running at ``clock`` (the most specific last), or else the next to start."""
    running = [
        s for s in day.sessions if s.start is not None and s.start <= clock < (s.end or s.start)
    ]
    starting = [s for s in day.sessions if s.start == clock and s not in running]
    found = running + starting
    if found:
        return found
    later = [s for s in day.sessions if s.start is not None and s.start > clock]
    return later[:1]


def kongres_day(
    kb: KnowledgeBase, now: datetime, t: Translator, *, at: time | None = None
) -> str | None:
    """What is on at the Kongres now (or at ``at``) and today; None when it is not on today.

    Without ``at`` the view gives what is on now and next, then the whole day;
    with ``at`` it gives the sessions at that time first.
    """
    now = local_now(now)
    view = relevant_edition(kb, now)
    if view is None or view.phase is not Phase.ONGOING or view.today is None:
        return None
    day = view.today
    number = next(i for i, d in enumerate(view.edition.days, start=1) if d.date == day.date)
    lines: list[str] = []
    timed = [s for s in day.sessions if s.start is not None]
    if at is not None:
        found = _sessions_at(day, at)
        label = fmt_time_range(at, None, t.lang)
        if found and found[0].start is not None and found[0].start > at:
            lines.append(
                t.gettext("Nothing is on at {time}; next, today {session}").format(
                    time=label, session=_session_line(found[0], t, with_room=True)
                )
            )
        elif found:
            lines.append(t.gettext("<b>At {time}</b>, today:").format(time=label))
            lines.extend(_session_line(s, t, with_room=True) for s in reversed(found))
        elif timed:
            lines.append(t.gettext("Nothing with a known time is on at {time}.").format(time=label))
    else:
        lines.extend(_today_sessions(day, now, t))
    if not timed:
        lines.append(t.gettext("The times of today's programme are not confirmed."))
    lines.append("")
    lines.extend(_day_programme(day, number, t, speakers=False))
    return "\n".join(lines).strip()


def days_until(target: date, now: datetime) -> int:
    """Whole days from now's date to ``target`` (negative when past)."""
    return (target - local_now(now).date()).days


def session_start(day: KongresDay, session: Session) -> datetime | None:
    """The aware start time of a session, or None when its time is not known."""
    if session.start is None:
        return None
    return datetime.combine(day.date, session.start, tzinfo=WARSAW)
