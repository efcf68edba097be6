"""A small knowledge base built from the core dataclasses (no YAML, no real content).

Two Kongres editions with sessions (each announced on a known day), an office
with confirmed weekly hours and exceptions, a venue with unknown hours, a few
dated items (one call whose opening day is unknown), a topic of text facts
with known-from dates, a superseded fact and a missing one, and the menu
groups, commands and themes. Shared by the tests of dated answers, opening
hours and the assistant.
"""

from __future__ import annotations

import dataclasses
from datetime import date, datetime, time

from bot.core.dates import WARSAW
from bot.core.knowledge import (
    Block,
    CommandTarget,
    DatedItem,
    EventKind,
    Fact,
    FactRef,
    FactStatus,
    HoursException,
    KnowledgeBase,
    KongresDay,
    KongresEdition,
    Link,
    Localized,
    MenuGroup,
    Navigation,
    Place,
    Session,
    Source,
    Theme,
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
    known = None if status is FactStatus.MISSING else date(2020, 1, 1)
    return Fact(status=status, checked=CHECKED, sources=sources, value=value, known_from=known)


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
    known_from=date(2024, 6, 1),
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
    known_from=date(2024, 10, 1),
)

CALL_OPEN = DatedItem(
    id="call-a",
    kind=EventKind.CALL_FOR_OFFERS,
    title=text("Konkurs A – kultura", "Call A – culture"),
    start=date(2026, 5, 1),
    deadline=datetime(2026, 6, 15, 15, 30),
    amount=50000,
    sources=("src-web",),
    checked=CHECKED,
    known_from=date(2026, 4, 20),
)
CALL_CLOSED = DatedItem(
    id="call-b",
    kind=EventKind.CALL_FOR_OFFERS,
    title=text("Konkurs B – sport", "Call B – sport"),
    start=date(2026, 1, 10),
    deadline=datetime(2026, 2, 1, 23, 59),
    sources=("src-web",),
    checked=CHECKED,
    known_from=date(2026, 1, 5),
)
#: Announced with its deadline only: the day it opens is not known.
CALL_NO_START = DatedItem(
    id="call-c",
    kind=EventKind.CALL_FOR_OFFERS,
    title=text("Konkurs C – ekologia", "Call C – ecology"),
    deadline=datetime(2026, 9, 30, 12, 0),
    amount=20000,
    sources=("src-seed",),
    checked=CHECKED,
    known_from=date(2026, 8, 1),
)
FORUM = DatedItem(
    id="forum",
    kind=EventKind.NGO_FORUM,
    title=text("Forum organizacji", "NGO forum"),
    start=datetime(2026, 12, 3, 10, 0),
    place=text("hotel testowy", "test hotel"),
    sources=("src-seed",),
    checked=CHECKED,
    known_from=date(2026, 11, 1),
)

SOURCES = {
    "src-web": Source(id="src-web", title="Strona testowa", url="https://example.org/kongres"),
    "src-seed": Source(id="src-seed", title="Dokument testowy", seed="001_test.txt"),
    "src-law": Source(id="src-law", title="Ustawa testowa", url="https://example.org/ustawa"),
    "src-news": Source(id="src-news", title="Gazeta testowa", url="https://example.org/news"),
    "src-later": Source(
        id="src-later",
        title="Podsumowanie testowe",
        url="https://example.org/later",
        published="2026-06",
    ),
}


def fact_text(
    fact_id: str,
    pl: str,
    en: str,
    *,
    questions: tuple[str, ...],
    sources: tuple[str, ...] = ("src-law",),
    known_from: date = date(2020, 1, 1),
    status: FactStatus = FactStatus.CONFIRMED,
    checked: date = CHECKED,
    **extra: object,
) -> Fact:
    return Fact(
        status=status,
        checked=checked,
        sources=() if status is FactStatus.MISSING else sources,
        id=fact_id,
        text=text(pl, en, "uk: " + en),
        questions=questions,
        known_from=None if status is FactStatus.MISSING else known_from,
        **extra,  # type: ignore[arg-type]
    )


def block(fact_id: str, name: str, arg: str | None = None, *questions: str) -> Fact:
    return Fact(
        status=FactStatus.CONFIRMED,
        checked=CHECKED,
        id=fact_id,
        block=Block(name, arg),
        questions=questions or (fact_id,),
    )


def topic(topic_id: str, *facts: Fact, **extra: object) -> Topic:
    return Topic(
        id=topic_id,
        title=text(topic_id.split(".")[-1].capitalize()),
        facts=facts,
        **extra,  # type: ignore[arg-type]
    )


MICROGRANTS = topic(
    "grants.microgrants",
    fact_text(
        "amount",
        "Mały grant to najwyżej 10 000 zł na jedno zadanie.",
        "A small grant is at most PLN 10,000 per task.",
        questions=("ile wynosi mały grant", "maksymalna kwota grantu", "how much is a small grant"),
    ),
    fact_text(
        "duration",
        "Zadanie trwa nie dłużej niż 90 dni.",
        "The task lasts no longer than 90 days.",
        questions=("jak długo trwa zadanie", "ile dni", "how long does the task last"),
    ),
    fact_text(
        "yearly",
        "Jedna organizacja dostaje najwyżej 20 000 zł w roku.",
        "One organisation gets at most PLN 20,000 a year.",
        questions=("limit roczny", "ile w roku", "yearly limit"),
        sources=("src-news", "src-later"),
        known_from=date(2025, 3, 1),
        checked=date(2026, 10, 1),
    ),
    fact_text(
        "old-rule",
        "Stara zasada: zadanie trwa do 60 dni.",
        "Old rule: the task lasts up to 60 days.",
        questions=("jak długo trwa zadanie",),
        known_from=date(2019, 1, 1),
    ),
    fact_text(
        "new-rule",
        "Od 2024 r. obowiązuje nowy wzór oferty.",
        "A new offer form has applied since 2024.",
        questions=("wzór oferty", "offer form"),
        known_from=date(2024, 1, 1),
        replaces=("old-form",),
    ),
    fact_text(
        "old-form",
        "Obowiązuje stary wzór oferty.",
        "The old offer form applies.",
        questions=("wzór oferty", "offer form"),
        known_from=date(2019, 1, 1),
    ),
    fact_text(
        "summary",
        "Mały grant: do 10 000 zł, do 90 dni.",
        "A small grant: up to PLN 10,000, up to 90 days.",
        questions=("mały grant w skrócie", "small grant in brief"),
        summary=True,
    ),
    fact_text(
        "microgrants",
        "czy miasto ma program mikrograntów",
        "whether the city runs a microgrant programme",
        questions=("czy są mikrogranty", "mikrogranty miejskie", "are there microgrants"),
        status=FactStatus.MISSING,
        see=("amount",),
    ),
    overview=("summary", "yearly"),
    related=("grants.open_calls",),
)

TOPICS = {
    t.id: t
    for t in [
        topic(
            "kongres.when",
            block("dates", "kongres_when", None, "kiedy jest kongres", "termin kongresu"),
            fact_text(
                "yearly",
                "Kongres ma się odbywać co roku.",
                "The Kongres is to take place every year.",
                questions=("czy kongres jest co roku", "is it every year"),
                sources=("src-seed",),
                known_from=date(2024, 8, 1),
                checked=date(2026, 10, 1),
            ),
            fact_text(
                "next",
                "termin kolejnej edycji",
                "the date of the next edition",
                questions=("kiedy następna edycja", "next edition"),
                status=FactStatus.MISSING,
                see=("yearly",),
            ),
            overview=("dates",),
            links=(Link("https://example.org/program", text("Program", "Programme")),),
            related=("kongres.program", "no.such.topic"),
        ),
        topic(
            "kongres.program",
            block("programme", "kongres_program", None, "program kongresu"),
        ),
        topic("kongres.where", block("venue", "kongres_where", None, "gdzie jest kongres")),
        topic("office.hours", block("hours", "hours", "office", "godziny otwarcia")),
        topic(
            "grants.open_calls",
            block("calls", "events", "call_for_offers", "jakie są konkursy", "do kiedy oferty"),
        ),
        MICROGRANTS,
        topic("ngo.forum", block("forum", "events", "ngo_forum", "kiedy jest forum")),
        Topic(
            id="bot.greeting",
            title=text("Powitanie", "Greeting"),
            answer=text("Dzień dobry! Napisz {{pytanie}}.", "Hello!"),
        ),
    ]
}

NAVIGATION = Navigation(
    groups=(
        MenuGroup(
            "kongres",
            text("Kongres Dialogu", "Dialogue Congress"),
            ("kongres.when", "kongres.where", "kongres.program"),
            intro=text("Kongres w skrócie:", "The Kongres in brief:"),
            overview=(FactRef("kongres.when", "yearly"), FactRef("kongres.when", "dates")),
            keywords=("kongres", "kongres dialogu"),
        ),
        MenuGroup(
            "grants",
            text("Dotacje", "Grants"),
            ("grants.open_calls", "grants.microgrants"),
            intro=text("Pieniądze dla NGO:", "Money for NGOs:"),
            overview=(FactRef("grants.microgrants", "summary"),),
            keywords=("granty", "dotacje", "grants"),
        ),
        MenuGroup("office", text("Biuro", "Office"), ("office.hours",)),
        MenuGroup("ngo", text("NGO", "NGOs"), ("ngo.forum",)),
    ),
    commands={
        "kongres": CommandTarget(group="kongres"),
        "granty": CommandTarget(group="grants"),
        "godziny": CommandTarget(topic="office.hours"),
        "kontakt": CommandTarget(topic="office.hours"),
    },
    themes=(
        Theme("kongres", text("Kongres", "Kongres"), ("kongres.when",), ("kongres",)),
        Theme("grants", text("Dotacje", "Grants"), ("grants.open_calls",), ("call_for_offers",)),
    ),
)


def knowledge(**changes: object) -> KnowledgeBase:
    """The tiny knowledge base, optionally with some fields replaced."""
    kb = KnowledgeBase(
        topics=TOPICS,
        sources=SOURCES,
        kongres=(EDITION_1, EDITION_2),
        events=(CALL_CLOSED, CALL_OPEN, CALL_NO_START, FORUM),
        places={"office": OFFICE, "hall": HALL},
        navigation=NAVIGATION,
    )
    return dataclasses.replace(kb, **changes)  # type: ignore[arg-type]
