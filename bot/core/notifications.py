"""Subscriptions, Kongres reminders and news of new dated items.

What one can subscribe to (the themes), which answers offer it and which
dated kinds are news for it are content: ``themes`` in knowledge/menu.yaml
(:class:`bot.core.knowledge.Theme`). Kongres news and reminders go to the
theme whose ``events`` include ``kongres``.

Reminders are computed from knowledge/: for each Kongres day, one a day
before its start and one an hour before. A day whose start time is not known
gets only the day-before reminder, at 18:00 the evening before (no time is
invented). A reminder is due from its moment until the day starts; a bot that
was down at the moment sends it when it comes back, if still in time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from enum import StrEnum

from bot.core.dated import _venue_text
from bot.core.dates import WARSAW, fmt_date, fmt_date_range, fmt_time, local_now
from bot.core.html import escape
from bot.core.knowledge import KONGRES_EVENTS, DatedItem, KnowledgeBase, KongresEdition
from bot.core.translation import Translator

#: When the start time of a Kongres day is unknown, the day-before reminder
#: goes out at this time the evening before.
EVENING_BEFORE = time(18, 0)


class ReminderKind(StrEnum):
    """Which reminder of a Kongres day."""

    DAY_BEFORE = "day"
    HOUR_BEFORE = "hour"


@dataclass(frozen=True)
class PlannedReminder:
    """A reminder to send to Kongres subscribers."""

    key: str
    edition: int
    day_index: int
    kind: ReminderKind
    at: datetime
    until: datetime

    def due(self, now: datetime) -> bool:
        """Whether it should be sent at ``now`` (not before its moment, not after the start)."""
        return self.at <= local_now(now) < self.until


def plan_reminders(kb: KnowledgeBase) -> list[PlannedReminder]:
    """Every Kongres reminder the knowledge base implies, in time order."""
    planned: list[PlannedReminder] = []
    for edition in kb.kongres:
        for index, day in enumerate(edition.days):
            start = day.first_start
            base = f"kongres:{edition.edition}:{day.date.isoformat()}"
            eve = day.date - timedelta(days=1)
            if start is None:
                # No confirmed time: the evening before, and no "hour before".
                begins = datetime.combine(day.date, time(0, 0), tzinfo=WARSAW)
                day_before = datetime.combine(eve, EVENING_BEFORE, tzinfo=WARSAW)
            else:
                begins = datetime.combine(day.date, start, tzinfo=WARSAW)
                # Wall-clock "the day before at the same time", right across DST.
                day_before = datetime.combine(eve, start, tzinfo=WARSAW)
            moments = [(ReminderKind.DAY_BEFORE, day_before)]
            if start is not None:
                hour_before = (begins.astimezone(UTC) - timedelta(hours=1)).astimezone(WARSAW)
                moments.append((ReminderKind.HOUR_BEFORE, hour_before))
            planned.extend(
                PlannedReminder(f"{base}:{kind}", edition.edition, index, kind, at, begins)
                for kind, at in moments
            )
    return sorted(planned, key=lambda r: (r.at, r.key))


def find_reminder(kb: KnowledgeBase, key: str) -> PlannedReminder | None:
    """The planned reminder with this key (None when knowledge/ no longer implies it)."""
    return next((r for r in plan_reminders(kb) if r.key == key), None)


def render_reminder(kb: KnowledgeBase, reminder: PlannedReminder, t: Translator) -> str:
    """The reminder's text in the translator's language."""
    edition = next(e for e in kb.kongres if e.edition == reminder.edition)
    day = edition.days[reminder.day_index]
    when = fmt_date(day.date, t.lang, weekday=True)
    venue = _venue_text(kb, edition, t)
    number = reminder.day_index + 1
    if reminder.kind is ReminderKind.HOUR_BEFORE and day.first_start is not None:
        text = t.gettext(
            "<b>In an hour</b>, at {time}, day {day} of the Toruński Kongres Dialogu begins."
        ).format(time=fmt_time(day.first_start, t.lang), day=number)
    elif day.first_start is not None:
        text = t.gettext(
            "<b>Tomorrow</b>, {date}, at {time}: day {day} of the Toruński Kongres Dialogu."
        ).format(date=when, time=fmt_time(day.first_start, t.lang), day=number)
    else:
        text = t.gettext(
            "<b>Tomorrow</b>, {date}: day {day} of the Toruński Kongres Dialogu."
        ).format(date=when, day=number)
    if venue:
        text += "\n" + t.gettext("Venue: {venue}.").format(venue=venue)
    first = next((s for s in day.sessions if s.start is not None), None)
    if first is not None:
        text += "\n" + t.gettext("First: {session}").format(
            session=f"{fmt_time(first.start, t.lang) if first.start else ''} "
            f"{escape(first.title.get(t.lang))}"
        )
    return text


def edition_key(edition: KongresEdition) -> str:
    """Identity of an edition's dates: a changed date is news again."""
    return (
        f"kongres:{edition.edition}:{edition.first_day.isoformat()}:{edition.last_day.isoformat()}"
    )


def item_key(item: DatedItem) -> str:
    """Identity of a dated item and its dates."""
    deadline = item.deadline.isoformat() if item.deadline else ""
    return f"event:{item.id}:{item.start_date.isoformat()}:{deadline}"


@dataclass(frozen=True)
class NewsItem:
    """A dated item subscribers of a theme should hear about."""

    key: str
    #: the id of the theme (knowledge/menu.yaml)
    theme: str


def kongres_theme(kb: KnowledgeBase) -> str | None:
    """The theme that gets Kongres news and reminders, if the content has one."""
    theme = kb.navigation.theme_of_events(KONGRES_EVENTS)
    return theme.id if theme is not None else None


def news_candidates(kb: KnowledgeBase) -> list[NewsItem]:
    """Every edition and every item of a themed kind, as news items (upcoming or not)."""
    items: list[NewsItem] = []
    kongres = kongres_theme(kb)
    if kongres is not None:
        items += [NewsItem(edition_key(e), kongres) for e in kb.kongres]
    for item in kb.events:
        theme = kb.navigation.theme_of_events(item.kind.value)
        if theme is not None:
            items.append(NewsItem(item_key(item), theme.id))
    return items


def is_upcoming(kb: KnowledgeBase, key: str, now: datetime) -> bool:
    """Whether the edition or item of a news key still lies ahead."""
    today = local_now(now).date()
    for edition in kb.kongres:
        if edition_key(edition) == key:
            return edition.last_day >= today
    for item in kb.events:
        if item_key(item) == key:
            return item.end_date >= today
    return False


def render_news(kb: KnowledgeBase, key: str, t: Translator) -> str | None:
    """The announcement of a new edition or dated item (None if it is gone)."""
    for edition in kb.kongres:
        if edition_key(edition) == key:
            venue = _venue_text(kb, edition, t)
            text = t.gettext(
                "<b>New date of the Toruński Kongres Dialogu:</b> edition {n}, {dates}."
            ).format(
                n=edition.edition, dates=fmt_date_range(edition.first_day, edition.last_day, t.lang)
            )
            if venue:
                text += "\n" + t.gettext("Venue: {venue}.").format(venue=venue)
            return text
    for item in kb.events:
        if item_key(item) == key:
            text = "<b>" + escape(item.title.get(t.lang)) + "</b>"
            if isinstance(item.deadline, datetime):
                text += "\n" + t.gettext("deadline {date}, {time}").format(
                    date=fmt_date(item.deadline.date(), t.lang),
                    time=fmt_time(item.deadline.time(), t.lang),
                )
            elif item.deadline is not None:
                text += "\n" + t.gettext("deadline {date}").format(
                    date=fmt_date(item.deadline, t.lang)
                )
            else:
                text += "\n" + fmt_date_range(item.start_date, item.end_date, t.lang)
            return text
    return None


def theme_label(kb: KnowledgeBase, theme_id: str, lang: str) -> str:
    """A theme's label in ``lang`` (its id when the content no longer has it)."""
    theme = kb.navigation.theme(theme_id)
    return theme.label.get(lang) if theme is not None else theme_id


def subscription_footer(kb: KnowledgeBase, theme_id: str, t: Translator) -> str:
    """The line under every message to subscribers."""
    return (
        "<i>"
        + t.gettext(
            "You receive this because you subscribed to: {theme}. Change it with /powiadomienia."
        ).format(theme=escape(theme_label(kb, theme_id, t.lang)))
        + "</i>"
    )
