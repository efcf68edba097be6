"""Typed knowledge: topics, facts with sources, dated events and places.

The content loader (:mod:`bot.content`) turns the YAML files of ``intents/``
and ``knowledge/`` into these frozen values at start-up, so bad content fails
fast and the rest of the code never sees raw dictionaries.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
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


@dataclass(frozen=True)
class Fact:
    """A claim or a structured value with its provenance."""

    status: FactStatus
    checked: date
    sources: tuple[str, ...] = ()
    claim: str | None = None
    value: object = None
    note: str | None = None
    searched: str | None = None
    location: Location | None = None

    @property
    def known(self) -> bool:
        """A value that may be given to residents (confirmed and present)."""
        return self.status is FactStatus.CONFIRMED and self.value is not None


@dataclass(frozen=True)
class Link:
    """A link shown under an answer."""

    url: str
    label: Localized


@dataclass(frozen=True)
class Topic:
    """A topic of the knowledge base and its answer."""

    id: str
    title: Localized
    answer: Localized
    facts: tuple[Fact, ...] = ()
    links: tuple[Link, ...] = ()
    related: tuple[str, ...] = ()
    location: Location | None = None


@dataclass(frozen=True)
class Session:
    """One item of a Kongres day's programme."""

    title: Localized
    start: time | None = None
    end: time | None = None
    room: str | None = None
    speakers: tuple[str, ...] = ()
    status: FactStatus = FactStatus.CONFIRMED


@dataclass(frozen=True)
class KongresDay:
    """One day of a Kongres edition."""

    date: date
    sessions: tuple[Session, ...] = ()
    room: str | None = None

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
    """A dated item: a forum, a call for offers, a consultation, a meeting."""

    id: str
    kind: EventKind
    title: Localized
    start: datetime | date
    end: datetime | date | None = None
    deadline: datetime | None = None
    place: Localized | None = None
    venue: str | None = None
    amount: int | None = None
    sources: tuple[str, ...] = ()
    checked: date | None = None
    location: Location | None = None

    @property
    def start_date(self) -> date:
        """The first day of the item."""
        return self.start.date() if isinstance(self.start, datetime) else self.start

    @property
    def end_date(self) -> date:
        """The last day of the item (its deadline for a call for offers)."""
        if self.deadline is not None:
            return self.deadline.date()
        end = self.end or self.start
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


@dataclass(frozen=True, repr=False)
class KnowledgeBase:
    """Everything the assistant may say, with sources."""

    topics: Mapping[str, Topic]
    sources: Mapping[str, Source]
    kongres: tuple[KongresEdition, ...] = ()
    events: tuple[DatedItem, ...] = ()
    places: Mapping[str, Place] = field(default_factory=dict)

    def facts_sources(self, topic: Topic) -> list[Source]:
        """The distinct sources of a topic's facts, in order of first use."""
        seen: dict[str, Source] = {}
        for fact in topic.facts:
            if fact.status is FactStatus.MISSING:
                continue
            for source_id in fact.sources:
                source = self.sources.get(source_id)
                if source is not None and source_id not in seen:
                    seen[source_id] = source
        return list(seen.values())


@dataclass(frozen=True)
class IntentSet:
    """Phrasings of one topic (``topic`` None = out of scope)."""

    topic: str | None
    examples: Mapping[str, tuple[str, ...]]
    keywords: tuple[str, ...] = ()
    negative: tuple[str, ...] = ()
    location: Location | None = None
