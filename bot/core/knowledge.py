"""Typed knowledge: topics, facts with sources, dated events and places.

The content loader (:mod:`bot.content`) turns the YAML files of ``intents/``
and ``knowledge/`` into these frozen values at start-up, so bad content fails
fast and the rest of the code never sees raw dictionaries.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time
from enum import StrEnum

#: Languages of the product. Polish is the default and always present.
LANGUAGES: tuple[str, ...] = ("pl", "uk", "en")
DEFAULT_LANGUAGE = "pl"

#: The topic ids that are a contract with tests and outside evaluations.
REQUIRED_TOPICS: tuple[str, ...] = (
    "kongres.when",
    "kongres.where",
    "kongres.program",
    "kongres.join",
    "kongres.about",
    "grants.microgrants",
    "grants.open_calls",
    "grants.witkac",
    "ngo.cooperation_programme",
    "ngo.training",
    "ngo.premises",
    "ngo.forum",
    "ngo.council",
    "office.hours",
    "office.contact",
    "participation.consultations",
    "participation.urban_lab",
    "participation.district_councils",
    "participation.strategy",
    "participation.civic_budget",
    "participation.volunteering",
    "participation.metropolis",
    "bot.greeting",
    "bot.thanks",
    "bot.help",
    "bot.human",
)

#: Conversation topics: answered, but not facts about the city.
CONVERSATION_TOPICS = frozenset({"bot.greeting", "bot.thanks", "bot.help", "bot.human"})


@dataclass(frozen=True)
class Localized:
    """A text per language; Polish is required."""

    texts: Mapping[str, str]

    def get(self, lang: str) -> str:
        """Return the text in ``lang``, falling back to Polish."""
        return self.texts.get(lang) or self.texts[DEFAULT_LANGUAGE]

    def has(self, lang: str) -> bool:
        """Tell whether a real (not fallback) text exists in ``lang``."""
        return bool(self.texts.get(lang))


@dataclass(frozen=True)
class Location:
    """Where a piece of content was defined (for messages to staff)."""

    file: str
    line: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}"


class FactStatus(StrEnum):
    """How sure the knowledge base is of a fact."""

    CONFIRMED = "confirmed"
    UNCERTAIN = "uncertain"
    MISSING = "missing"


@dataclass(frozen=True)
class Source:
    """Where facts come from: a web page or one of the seed documents."""

    id: str
    title: str
    url: str | None = None
    seed: str | None = None
    published: str | None = None

    @property
    def is_link(self) -> bool:
        """Tell whether the source can be shown as a link."""
        return self.url is not None and self.url.startswith(("http://", "https://"))

    def public_on(self, day: date) -> bool:
        """Whether the source could have been read on ``day``.

        ``published`` may be a day, a month or a year; a source whose earliest
        possible day is after ``day`` is not cited then (without a date it is).
        """
        if not self.published:
            return True
        parts = self.published.split("-")
        try:
            year = int(parts[0])
            month = int(parts[1]) if len(parts) > 1 else 1
            first = date(year, month, int(parts[2]) if len(parts) > 2 else 1)
        except (ValueError, IndexError):
            return True
        return first <= day


@dataclass(frozen=True)
class Block:
    """A dynamic part of an answer, computed at the moment of answering.

    ``name`` is one of the loader's ``BLOCKS`` ("kongres_when", "hours", …);
    ``arg`` is the place id, event kind or event id it takes, if any.
    """

    name: str
    arg: str | None = None

    def __str__(self) -> str:
        return self.name if self.arg is None else f"{self.name}:{self.arg}"


@dataclass(frozen=True)
class Fact:
    """One unit of knowledge with its provenance.

    Topic facts carry their text per language in ``text`` (or a dynamic
    ``block``) and the questions they answer; the fields of places carry a
    structured ``value``. ``known_from`` is the day from which the fact was
    public: at an earlier "now" the assistant does not know it.
    """

    status: FactStatus
    checked: date
    sources: tuple[str, ...] = ()
    value: object = None
    note: str | None = None
    searched: str | None = None
    location: Location | None = None
    known_from: date | None = None
    id: str = ""
    text: Localized | None = None
    #: short phrasings of the questions this fact answers (any language)
    questions: tuple[str, ...] = ()
    block: Block | None = None
    #: older facts of the same topic this one supersedes once it is known
    replaces: tuple[str, ...] = ()
    #: for a missing fact: the facts of the topic that say what is known
    see: tuple[str, ...] = ()
    #: a short restatement of other facts (for overviews), left out of the full topic
    summary: bool = False

    @property
    def known(self) -> bool:
        """A value that may be given to residents (confirmed and present)."""
        return self.status is FactStatus.CONFIRMED and self.value is not None

    def known_at(self, day: date) -> bool:
        """A confirmed value that was already public on ``day``."""
        return self.known and self.public_on(day)

    def public_on(self, day: date) -> bool:
        """Whether the fact was public on ``day`` (a missing fact always "is")."""
        return self.known_from is None or self.known_from <= day


@dataclass(frozen=True)
class Link:
    """A link shown under an answer."""

    url: str
    label: Localized


@dataclass(frozen=True)
class Topic:
    """A topic of the knowledge base: its facts, or a fixed text for conversation topics.

    ``overview`` names the facts that answer a general question about the
    topic (a menu button, a question no single fact answers), in order.
    """

    id: str
    title: Localized
    answer: Localized | None = None
    facts: tuple[Fact, ...] = ()
    overview: tuple[str, ...] = ()
    links: tuple[Link, ...] = ()
    related: tuple[str, ...] = ()
    location: Location | None = None

    def fact(self, fact_id: str) -> Fact | None:
        """The fact with this id."""
        return next((f for f in self.facts if f.id == fact_id), None)

    def visible_facts(self, day: date) -> tuple[Fact, ...]:
        """The facts public on ``day``, without those superseded by a newer visible one."""
        public = [f for f in self.facts if f.public_on(day)]
        replaced = {old for f in public for old in f.replaces}
        return tuple(f for f in public if f.id not in replaced)


@dataclass(frozen=True)
class Session:
    """One item of a Kongres day's programme."""

    title: Localized
    start: time | None = None
    end: time | None = None
    room: str | None = None
    speakers: tuple[str, ...] = ()
    status: FactStatus = FactStatus.CONFIRMED
    #: the day the programme item was published (None: with its edition)
    known_from: date | None = None


#: ``date`` under another name, for fields of classes that have a ``date`` field.
Day = date


@dataclass(frozen=True)
class KongresDay:
    """One day of a Kongres edition."""

    date: Day
    sessions: tuple[Session, ...] = ()
    room: str | None = None
    #: the day this day's programme and room were published (None: with the edition)
    known_from: Day | None = None

    @property
    def first_start(self) -> time | None:
        """The earliest known start time of the day."""
        starts = [s.start for s in self.sessions if s.start is not None]
        return min(starts) if starts else None

    @property
    def last_end(self) -> time | None:
        """The latest known end (or start) time of the day."""
        ends = [s.end or s.start for s in self.sessions if (s.end or s.start) is not None]
        return max(t for t in ends if t is not None) if ends else None


@dataclass(frozen=True)
class KongresEdition:
    """One edition of the Toruński Kongres Dialogu."""

    edition: int
    year: int
    days: tuple[KongresDay, ...]
    venue: str | None = None
    theme: Localized | None = None
    sources: tuple[str, ...] = ()
    checked: date | None = None
    location: Location | None = None
    #: the day the edition (its dates) was announced
    known_from: date | None = None
    #: the day its venue was announced, when later than the dates
    venue_known_from: date | None = None

    def public_on(self, day: date) -> bool:
        """Whether the edition had been announced on ``day``."""
        return self.known_from is None or self.known_from <= day

    def programme_on(self, day: date) -> KongresEdition:
        """The edition as known on ``day``: only the venue, rooms and sessions published by then."""

        def public(known: date | None) -> bool:
            return known is None or known <= day

        days = tuple(
            KongresDay(
                d.date,
                tuple(s for s in d.sessions if public(s.known_from or d.known_from)),
                d.room if public(d.known_from) else None,
                d.known_from,
            )
            for d in self.days
        )
        venue = self.venue if public(self.venue_known_from) else None
        return replace(self, days=days, venue=venue)

    @property
    def first_day(self) -> date:
        """The edition's first day."""
        return self.days[0].date

    @property
    def last_day(self) -> date:
        """The edition's last day."""
        return self.days[-1].date


class EventKind(StrEnum):
    """Kinds of dated items besides the Kongres."""

    NGO_FORUM = "ngo_forum"
    CALL_FOR_OFFERS = "call_for_offers"
    CONSULTATION = "consultation"
    MEETING = "meeting"


@dataclass(frozen=True)
class DatedItem:
    """A dated item: a forum, a call for offers, a consultation, a meeting.

    A call for offers may have no known ``start`` (the day it opens): then
    only its deadline is known, and it is never said to be open.
    ``deadline`` is a date-time when the hour is known, else a date.
    """

    id: str
    kind: EventKind
    title: Localized
    start: datetime | date | None = None
    end: datetime | date | None = None
    deadline: datetime | date | None = None
    place: Localized | None = None
    venue: str | None = None
    amount: int | None = None
    sources: tuple[str, ...] = ()
    checked: date | None = None
    location: Location | None = None
    #: the day the item was announced (public)
    known_from: date | None = None

    def public_on(self, day: date) -> bool:
        """Whether the item had been announced on ``day``."""
        return self.known_from is None or self.known_from <= day

    @property
    def start_date(self) -> date:
        """The first day of the item (the deadline's day when the opening is unknown)."""
        start = self.start if self.start is not None else self.deadline
        assert start is not None, "the loader requires a start or a deadline"
        return start.date() if isinstance(start, datetime) else start

    @property
    def end_date(self) -> date:
        """The last day of the item (its deadline for a call for offers)."""
        if self.deadline is not None:
            return self.deadline.date() if isinstance(self.deadline, datetime) else self.deadline
        end = self.end or self.start
        assert end is not None
        return end.date() if isinstance(end, datetime) else end


@dataclass(frozen=True)
class TimeRange:
    """Opening hours within one day, local time."""

    start: time
    end: time


@dataclass(frozen=True)
class HoursException:
    """A date with different hours, or closed."""

    date: date
    ranges: tuple[TimeRange, ...] = ()
    note: Localized | None = None

    @property
    def closed(self) -> bool:
        """Closed all day."""
        return not self.ranges


WEEKDAYS: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True)
class WeeklyHours:
    """A weekly schedule: weekday index (0 = Monday) -> opening ranges."""

    days: Mapping[int, tuple[TimeRange, ...]]


@dataclass(frozen=True)
class Place:
    """A place people can go to: an office, a venue."""

    id: str
    name: Localized
    address: Fact
    coordinates: Fact
    phone: Fact
    email: Fact
    hours: Fact
    exceptions: tuple[HoursException, ...] = ()
    public_holidays_closed: bool = True
    location: Location | None = None

    @property
    def weekly_hours(self) -> WeeklyHours | None:
        """Confirmed weekly hours, or None when they may not be given out."""
        if self.hours.status is FactStatus.CONFIRMED and isinstance(self.hours.value, WeeklyHours):
            return self.hours.value
        return None

    def weekly_hours_on(self, day: date) -> WeeklyHours | None:
        """The confirmed weekly hours, if they were already public on ``day``."""
        return self.weekly_hours if self.hours.public_on(day) else None


@dataclass(frozen=True)
class FactRef:
    """A fact of another topic, named ``topic#fact`` in content files."""

    topic: str
    fact: str

    def __str__(self) -> str:
        return f"{self.topic}#{self.fact}"


@dataclass(frozen=True)
class MenuGroup:
    """A group of topics: one button of the main menu, and the answer to its generic word.

    ``overview`` lists the facts that answer a generic question about the
    whole group ("granty", /granty), under the ``intro`` line; ``keywords``
    are the generic words that mean the group rather than one of its topics.
    """

    id: str
    label: Localized
    topics: tuple[str, ...]
    intro: Localized | None = None
    overview: tuple[FactRef, ...] = ()
    keywords: tuple[str, ...] = ()
    location: Location | None = None


@dataclass(frozen=True)
class CommandTarget:
    """What a shortcut command (/kongres, /granty, …) opens: a group or a topic."""

    group: str | None = None
    topic: str | None = None


@dataclass(frozen=True)
class Theme:
    """Something a person can subscribe to ("notify me").

    ``topics`` get a "notify me" button under their answers; ``events`` are
    the dated kinds whose new items are news for the theme ("kongres" for
    the Kongres editions and their reminders, or an :class:`EventKind`).
    """

    id: str
    label: Localized
    topics: tuple[str, ...] = ()
    events: tuple[str, ...] = ()


#: The ``events`` entry of the theme that gets Kongres news and reminders.
KONGRES_EVENTS = "kongres"


@dataclass(frozen=True)
class Navigation:
    """Menus, shortcut commands and subscription themes, as content."""

    groups: tuple[MenuGroup, ...] = ()
    commands: Mapping[str, CommandTarget] = field(default_factory=dict)
    themes: tuple[Theme, ...] = ()

    def group(self, group_id: str) -> MenuGroup | None:
        """A menu group by id."""
        return next((g for g in self.groups if g.id == group_id), None)

    def group_of(self, topic_id: str) -> MenuGroup | None:
        """The menu group a topic is listed in."""
        return next((g for g in self.groups if topic_id in g.topics), None)

    def theme(self, theme_id: str) -> Theme | None:
        """A theme by id."""
        return next((th for th in self.themes if th.id == theme_id), None)

    def theme_of_topic(self, topic_id: str) -> Theme | None:
        """The theme whose "notify me" button goes under a topic's answers."""
        return next((th for th in self.themes if topic_id in th.topics), None)

    def theme_of_events(self, kind: str) -> Theme | None:
        """The theme whose subscribers hear about new items of a dated kind."""
        return next((th for th in self.themes if kind in th.events), None)


@dataclass(frozen=True, repr=False)
class KnowledgeBase:
    """Everything the assistant may say, with sources."""

    topics: Mapping[str, Topic]
    sources: Mapping[str, Source]
    kongres: tuple[KongresEdition, ...] = ()
    events: tuple[DatedItem, ...] = ()
    places: Mapping[str, Place] = field(default_factory=dict)
    navigation: Navigation = field(default_factory=Navigation)

    def editions_on(self, day: date) -> tuple[KongresEdition, ...]:
        """The Kongres editions announced by ``day``, with the programme published by then."""
        return tuple(e.programme_on(day) for e in self.kongres if e.public_on(day))

    def events_on(self, day: date) -> tuple[DatedItem, ...]:
        """The dated items announced by ``day``."""
        return tuple(e for e in self.events if e.public_on(day))

    def resolve(self, ref: FactRef) -> Fact | None:
        """The fact a ``topic#fact`` reference names."""
        topic = self.topics.get(ref.topic)
        return topic.fact(ref.fact) if topic is not None else None


@dataclass(frozen=True)
class IntentSet:
    """Phrasings of one topic (``topic`` None = out of scope)."""

    topic: str | None
    examples: Mapping[str, tuple[str, ...]]
    keywords: tuple[str, ...] = ()
    negative: tuple[str, ...] = ()
    location: Location | None = None
