"""A small knowledge base built from the core dataclasses (no YAML, no real content).

Two Kongres editions with sessions, an office with confirmed weekly hours and
exceptions, a venue with unknown hours, and a few dated items. Shared by the
tests of dated answers, opening hours and the assistant.
"""

from __future__ import annotations

import dataclasses
from datetime import date, datetime, time

from bot.core.dates import WARSAW
from bot.core.knowledge import (
    DatedItem,
    EventKind,
    Fact,
    FactStatus,
    HoursException,
    KnowledgeBase,
    KongresDay,
    KongresEdition,
    Link,
    Localized,
    Place,
    Session,
    Source,
    TimeRange,
    Topic,
    WeeklyHours,
)

CHECKED = date(2026, 11, 1)


def text(pl: str, en: str | None = None, uk: str | None = None) -> Localized:
    texts = {"pl": pl}
    if en:
        texts["en"] = en
    if uk:
        texts["uk"] = uk
    return Localized(texts)


def fact(value: object = None, status: FactStatus = FactStatus.CONFIRMED) -> Fact:
    sources = () if status is FactStatus.MISSING else ("src-web",)
    return Fact(status=status, checked=CHECKED, sources=sources, value=value)


def hours_range(start: str, end: str) -> TimeRange:
    return TimeRange(time.fromisoformat(start), time.fromisoformat(end))


def at(y: int, m: int, d: int, hh: int = 12, mm: int = 0) -> datetime:
    """An aware Europe/Warsaw moment."""
    return datetime(y, m, d, hh, mm, tzinfo=WARSAW)


def session(start: str | None, end: str | None, pl: str, en: str, room: str | None = None):
    return Session(
        title=text(pl, en),
        start=time.fromisoformat(start) if start else None,
        end=time.fromisoformat(end) if end else None,
        room=room,
    )


WORKDAY = (hours_range("07:30", "15:30"),)
OFFICE = Place(
    id="office",
    name=text("Biuro Testowe", "Test Office"),
    address=fact("ul. Testowa 1, Toruń"),
    coordinates=fact(None, FactStatus.MISSING),
    phone=fact(None, FactStatus.MISSING),
    email=fact(None, FactStatus.MISSING),
    # Mon–Thu 7:30–15:30, Fri 7:30–13:00, closed at the weekend.
    hours=fact(
        WeeklyHours(
            {0: WORKDAY, 1: WORKDAY, 2: WORKDAY, 3: WORKDAY, 4: (hours_range("07:30", "13:00"),)}
        )
    ),
    exceptions=(
        HoursException(date(2026, 6, 5)),  # a Friday, closed
        HoursException(date(2026, 6, 8), (hours_range("10:00", "12:00"),)),  # short Monday
        HoursException(date(2026, 11, 11), (hours_range("09:00", "11:00"),)),  # open on a holiday
    ),
)
# Same office, but the Independence Day exception removed (for the holiday tests).
OFFICE_HOLIDAYS = dataclasses.replace(OFFICE, exceptions=OFFICE.exceptions[:2])
HALL = Place(
    id="hall",
    name=text("Sala Miejska", "City Hall"),
    address=fact("ul. Kongresowa 2, Toruń"),
    coordinates=fact(None, FactStatus.MISSING),
    phone=fact(None, FactStatus.MISSING),
    email=fact(None, FactStatus.MISSING),
    hours=fact(None, FactStatus.MISSING),
)

EDITION_1 = KongresEdition(
    edition=1,
    year=2024,
    venue="hall",
    days=(
        KongresDay(
            date(2024, 9, 10), (session("10:00", "12:00", "Otwarcie 2024", "Opening 2024"),)
        ),
        KongresDay(date(2024, 9, 11)),
    ),
    sources=("src-web",),
    checked=CHECKED,
)
EDITION_2 = KongresEdition(
    edition=2,
    year=2025,
    venue="hall",
    theme=text("strategia miasta", "city strategy"),
    days=(
        KongresDay(
            date(2025, 9, 29),
            (
                # As the loader does, sessions inherit the day's room.
                session("10:00", "10:30", "Otwarcie", "Opening", "Sala A"),
                session("10:30", "12:00", "Panel pierwszy", "First panel", "Sala A"),
                session("14:00", "15:00", "Panel o laboratoriach", "Urban lab panel", "Sala B"),
            ),
            room="Sala A",
        ),
        KongresDay(
            date(2025, 9, 30),
            (
                session("09:00", "11:00", "Warsztaty", "Workshops"),
                session("11:00", "12:00", "Podsumowanie", "Closing"),
            ),
        ),
    ),
    sources=("src-web",),
    checked=CHECKED,
)

CALL_OPEN = DatedItem(
    id="call-a",
    kind=EventKind.CALL_FOR_OFFERS,
    title=text("Konkurs A", "Call A"),
    start=date(2026, 5, 1),
    deadline=datetime(2026, 6, 15, 15, 30),
    amount=50000,
    sources=("src-web",),
    checked=CHECKED,
)
CALL_CLOSED = DatedItem(
    id="call-b",
    kind=EventKind.CALL_FOR_OFFERS,
    title=text("Konkurs B", "Call B"),
    start=date(2026, 1, 10),
    deadline=datetime(2026, 2, 1, 23, 59),
    sources=("src-web",),
    checked=CHECKED,
)
FORUM = DatedItem(
    id="forum",
    kind=EventKind.NGO_FORUM,
    title=text("Forum organizacji", "NGO forum"),
    start=datetime(2026, 12, 3, 10, 0),
    place=text("hotel testowy", "test hotel"),
    sources=("src-seed",),
    checked=CHECKED,
)

SOURCES = {
    "src-web": Source(id="src-web", title="Strona testowa", url="https://example.org/kongres"),
    "src-seed": Source(id="src-seed", title="Dokument testowy", seed="001_test.txt"),
}


def topic(topic_id: str, pl: str, en: str | None = None, **extra: object) -> Topic:
    return Topic(
        id=topic_id,
        title=text(topic_id.split(".")[-1].capitalize()),
        answer=text(pl, en),
        **extra,  # type: ignore[arg-type]
    )


TOPICS = {
    t.id: t
    for t in [
        topic(
            "kongres.when",
            "{kongres_when}\nKongres jest otwarty dla wszystkich.",
            "{kongres_when}\nThe Kongres is open to everyone.",
            facts=(
                Fact(FactStatus.CONFIRMED, date(2026, 10, 1), ("src-web",), claim="a"),
                Fact(FactStatus.CONFIRMED, CHECKED, ("src-seed",), claim="b"),
                Fact(FactStatus.MISSING, date(2026, 11, 20), claim="c"),
            ),
            links=(Link("https://example.org/program", text("Program", "Programme")),),
            related=("kongres.program", "no.such.topic"),
        ),
        topic("kongres.program", "{kongres_program}", "{kongres_program}"),
        topic("kongres.where", "{kongres_where}"),
        topic("office.hours", "{hours:office}", "{hours:office}"),
        topic("grants.open_calls", "{events:call_for_offers}", "{events:call_for_offers}"),
        topic("ngo.forum", "{events:ngo_forum} Napisz {{do nas}}.", "{events:ngo_forum}"),
        topic("bot.greeting", "Dzień dobry!", "Hello!"),
    ]
}


def knowledge(**changes: object) -> KnowledgeBase:
    """The tiny knowledge base, optionally with some fields replaced."""
    kb = KnowledgeBase(
        topics=TOPICS,
        sources=SOURCES,
        kongres=(EDITION_1, EDITION_2),
        events=(CALL_CLOSED, CALL_OPEN, FORUM),
        places={"office": OFFICE, "hall": HALL},
    )
    return dataclasses.replace(kb, **changes)  # type: ignore[arg-type]
