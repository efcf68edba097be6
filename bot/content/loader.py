"""Load intents/ and knowledge/ into core types, collecting every problem.

:func:`load_content` raises :class:`ContentError` listing *all* problems
(``file:line: message``) so that invalid content never loads; ``torun-bot
check`` prints the same list.
"""

from __future__ import annotations

import itertools
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

from bot.content.yamlsrc import LinedDict, LinedList, YamlError, load_yaml
from bot.core.html import html_problems, visible_length
from bot.core.knowledge import (
    LANGUAGES,
    REQUIRED_TOPICS,
    WEEKDAYS,
    DatedItem,
    EventKind,
    Fact,
    FactStatus,
    HoursException,
    IntentSet,
    KnowledgeBase,
    KongresDay,
    KongresEdition,
    Link,
    Localized,
    Location,
    Place,
    Session,
    Source,
    TimeRange,
    Topic,
    WeeklyHours,
)
from bot.core.matching import LabelledExample
from bot.core.text import normalise

logger = logging.getLogger(__name__)

#: Telegram's limit for one message.
MESSAGE_LIMIT = 4096
#: Room kept for dynamic blocks, sources and the fallback note when checking
#: the static part of an answer; the full rendering is checked separately.
STATIC_ANSWER_LIMIT = 3000
MIN_POLISH_EXAMPLES = 5
#: An event id becomes part of keys the database stores in VARCHAR(128) columns
#: ("news:event:<id>:<start>:<deadline>"); PostgreSQL refuses a longer value.
MAX_EVENT_ID = 64
OUT_OF_SCOPE_FILE = "_out_of_scope.yaml"

_PLACEHOLDER = re.compile(r"(?<!\{)\{([a-z_]+)(?::([a-z0-9_.-]+))?\}(?!\})")
_TIME = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")
_RANGE = re.compile(r"^\s*(\d{1,2}:\d{2})\s*-\s*(\d{1,2}:\d{2})\s*$")
_ID = re.compile(r"^[a-z0-9][a-z0-9_.-]*$")

#: Dynamic blocks an answer may contain, and whether they take an argument.
PLACEHOLDERS: dict[str, bool] = {
    "kongres_when": False,
    "kongres_program": False,
    "kongres_where": False,
    "hours": True,
    "events": True,
}


@dataclass(frozen=True, order=True)
class Problem:
    """One content problem, pointing at a file and line."""

    file: str
    line: int
    message: str
    stale: bool = False

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}"


class ContentError(Exception):
    """Content that must not be loaded, with every problem found."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = sorted(problems)
        lines = "\n".join(str(p) for p in self.problems[:50])
        more = len(self.problems) - 50
        suffix = f"\n… and {more} more" if more > 0 else ""
        super().__init__(f"{len(self.problems)} content problem(s):\n{lines}{suffix}")


@dataclass(frozen=True, repr=False)
class Content:
    """Validated content: the knowledge base and the intents."""

    knowledge: KnowledgeBase
    intents: tuple[IntentSet, ...]
    root: Path
    warnings: tuple[Problem, ...] = ()

    def labelled_examples(self) -> list[LabelledExample]:
        """All phrasings as labelled examples for the matcher."""
        return intents_to_examples(self.intents)


def intents_to_examples(intents: Iterable[IntentSet]) -> list[LabelledExample]:
    """Flatten intent sets into labelled examples (keywords count as examples)."""
    out: list[LabelledExample] = []
    for intent in intents:
        for texts in intent.examples.values():
            out.extend(LabelledExample(text, intent.topic) for text in texts)
        out.extend(LabelledExample(text, intent.topic) for text in intent.keywords)
        if intent.topic is not None:
            out.extend(
                LabelledExample(text, intent.topic, negative=True) for text in intent.negative
            )
    return out


@dataclass
class _Reader:
    root: Path
    today: date
    max_age_days: int
    problems: list[Problem] = field(default_factory=list)
    sources: dict[str, Source] = field(default_factory=dict)
    place_ids: set[str] = field(default_factory=set)

    # -------------------------------------------------------------- plumbing
    def rel(self, path: Path) -> str:
        try:
            return str(path.relative_to(self.root))
        except ValueError:
            return str(path)

    def report(self, path: Path, line: int, message: str, *, stale: bool = False) -> None:
        self.problems.append(Problem(self.rel(path), line, message, stale))

    def load(self, path: Path) -> Any:
        """The YAML document of ``path``, or None after reporting why there is none."""
        try:
            data = load_yaml(path)
        except YamlError as exc:
            self.report(path, exc.line, f"YAML error: {exc.message}")
            return None
        except OSError as exc:
            self.report(path, 1, f"cannot read file: {exc.strerror}")
            return None
        if data is None:
            # Every content file holds something; an emptied file would
            # otherwise make its topics, places or dates vanish in silence.
            self.report(path, 1, "file is empty (or has only comments)")
        return data

    def mapping(self, path: Path, value: Any, line: int, what: str) -> LinedDict | None:
        if isinstance(value, LinedDict):
            return value
        self.report(path, line, f"{what} must be a mapping (key: value)")
        return None

    def seq(self, path: Path, value: Any, line: int, what: str) -> LinedList | None:
        if value is None:
            return _empty_list(line)
        if isinstance(value, LinedList):
            return value
        self.report(path, line, f"{what} must be a list")
        return None

    def unknown_keys(self, path: Path, d: LinedDict, allowed: set[str], what: str) -> None:
        for key in d:
            if key not in allowed:
                self.report(
                    path,
                    d.line_of(key),
                    f"unknown key {key!r} in {what} (allowed: {', '.join(sorted(allowed))})",
                )

    def text(self, path: Path, d: LinedDict, key: str, what: str, *, required: bool) -> str | None:
        value = d.get(key)
        if value is None:
            if required:
                self.report(path, d.line_of(key), f"{what}: missing {key!r}")
            return None
        if isinstance(value, int | float) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(value, str) or not value.strip():
            self.report(path, d.line_of(key), f"{what}: {key!r} must be non-empty text")
            return None
        return value.strip()

    def localized(
        self, path: Path, d: LinedDict, key: str, what: str, *, required: bool = True
    ) -> Localized | None:
        value = d.get(key)
        line = d.line_of(key)
        if value is None:
            if required:
                self.report(path, line, f"{what}: missing {key!r} (Polish text is required)")
            return None
        if isinstance(value, str):
            value = LinedDict({"pl": value})
            value.line, value.key_lines = line, {"pl": line}
        if not isinstance(value, LinedDict):
            self.report(path, line, f"{what}: {key!r} must be text or a mapping pl/en/uk")
            return None
        texts: dict[str, str] = {}
        for lang, text in value.items():
            if lang not in LANGUAGES:
                self.report(
                    path, value.line_of(lang), f"{what}: unknown language {lang!r} in {key!r}"
                )
                continue
            if text is None:
                continue
            if not isinstance(text, str):
                self.report(path, value.line_of(lang), f"{what}: {key}.{lang} must be text")
                continue
            if text.strip():
                texts[lang] = text.strip()
        if "pl" not in texts:
            self.report(path, line, f"{what}: missing Polish text in {key!r}")
            return None
        return Localized(texts)

    def parse_date(self, path: Path, value: Any, line: int, what: str) -> date | None:
        if isinstance(value, datetime):
            return value.date()
        if isinstance(value, date):
            return value
        if isinstance(value, str):
            try:
                return date.fromisoformat(value.strip())
            except ValueError:
                pass
        self.report(path, line, f"{what}: {value!r} is not a date (YYYY-MM-DD)")
        return None

    def parse_moment(self, path: Path, value: Any, line: int, what: str) -> datetime | date | None:
        """A date, or a local date-time written 'YYYY-MM-DDTHH:MM'."""
        if isinstance(value, datetime):
            return value.replace(tzinfo=None)
        if isinstance(value, date):
            return value
        if isinstance(value, str):
            try:
                if "T" in value or " " in value.strip():
                    return datetime.fromisoformat(value.strip()).replace(tzinfo=None)
                return date.fromisoformat(value.strip())
            except ValueError:
                pass
        self.report(path, line, f"{what}: {value!r} is not a date or date-time")
        return None

    def parse_time(self, path: Path, value: Any, line: int, what: str) -> time | None:
        if isinstance(value, str) and (m := _TIME.match(value.strip())):
            return time(int(m.group(1)), int(m.group(2)))
        self.report(path, line, f"{what}: {value!r} is not a time (HH:MM, in quotes)")
        return None

    # -------------------------------------------------------------- facts
    def source_refs(self, path: Path, d: LinedDict, what: str) -> tuple[str, ...]:
        value = d.get("source")
        if value is None:
            return ()
        line = d.line_of("source")
        items = list(value) if isinstance(value, list) else [value]
        refs: list[str] = []
        for item in items:
            if not isinstance(item, str) or not item.strip():
                self.report(path, line, f"{what}: source must be a source id, URL or seed file")
                continue
            ref = item.strip()
            if ref not in self.sources:
                if ref.startswith(("http://", "https://")):
                    self.sources[ref] = Source(id=ref, title=ref, url=ref)
                elif ref.endswith(".txt"):
                    self.sources[ref] = Source(id=ref, title=ref, seed=ref)
                else:
                    self.report(path, line, f"{what}: unknown source {ref!r} (see sources.yaml)")
                    continue
            refs.append(ref)
        return tuple(refs)

    def fact(
        self, path: Path, value: Any, line: int, what: str, *, structured: bool = False
    ) -> Fact | None:
        d = self.mapping(path, value, line, what)
        if d is None:
            return None
        allowed = {"status", "source", "checked", "note", "searched"}
        allowed |= {"value"} if structured else {"claim"}
        self.unknown_keys(path, d, allowed, what)
        status_raw = d.get("status")
        try:
            status = FactStatus(str(status_raw).strip().lower())
        except ValueError:
            self.report(
                path,
                d.line_of("status"),
                f"{what}: status must be confirmed, uncertain or missing (got {status_raw!r})",
            )
            return None
        sources = self.source_refs(path, d, what)
        if status is not FactStatus.MISSING and not sources:
            self.report(path, d.line_of("source"), f"{what}: fact without a source")
        checked = None
        if "checked" not in d:
            self.report(path, d.line, f"{what}: fact without a 'checked' date")
        else:
            checked = self.parse_date(path, d["checked"], d.line_of("checked"), what)
        if checked is not None:
            if checked > self.today:
                self.report(path, d.line_of("checked"), f"{what}: 'checked' date is in the future")
            elif (self.today - checked).days > self.max_age_days:
                self.report(
                    path,
                    d.line_of("checked"),
                    f"{what}: stale fact, last checked {checked.isoformat()} "
                    f"(more than {self.max_age_days} days ago)",
                    stale=True,
                )
        claim = None
        if not structured:
            claim = self.text(path, d, "claim", what, required=True)
        if structured and status is FactStatus.CONFIRMED and d.get("value") is None:
            self.report(path, d.line_of("value"), f"{what}: a confirmed fact needs a value")
        return Fact(
            status=status,
            checked=checked or self.today,
            sources=sources,
            claim=claim,
            value=d.get("value"),
            note=d.get("note") if isinstance(d.get("note"), str) else None,
            searched=d.get("searched") if isinstance(d.get("searched"), str) else None,
            location=Location(self.rel(path), d.line),
        )

    # -------------------------------------------------------------- sources
    def read_sources(self, path: Path) -> None:
        data = self.load(path)
        if data is None:
            return
        d = self.mapping(path, data, 1, "sources.yaml")
        if d is None:
            return
        items = self.seq(path, d.get("sources"), d.line_of("sources"), "sources")
        for i, raw in enumerate(items or []):
            line = items.line_of(i) if items else 1
            s = self.mapping(path, raw, line, "source")
            if s is None:
                continue
            self.unknown_keys(
                path, s, {"id", "title", "url", "seed", "published", "note"}, "source"
            )
            sid = self.text(path, s, "id", "source", required=True)
            title = self.text(path, s, "title", f"source {sid}", required=True)
            url = self.text(path, s, "url", f"source {sid}", required=False)
            seed = self.text(path, s, "seed", f"source {sid}", required=False)
            if (url is None) == (seed is None):
                self.report(path, s.line, f"source {sid}: give exactly one of 'url' or 'seed'")
            if url is not None and not url.startswith(("http://", "https://")):
                self.report(path, s.line_of("url"), f"source {sid}: url must start with http(s)://")
            published = s.get("published")
            if sid is None or title is None:
                continue
            if sid in self.sources:
                self.report(path, s.line_of("id"), f"duplicate source id {sid!r}")
                continue
            self.sources[sid] = Source(
                id=sid,
                title=title,
                url=url,
                seed=seed,
                published=str(published) if published is not None else None,
            )

    # -------------------------------------------------------------- places
    def read_places(self, path: Path) -> dict[str, Place]:
        places: dict[str, Place] = {}
        data = self.load(path)
        if data is None:
            return places
        d = self.mapping(path, data, 1, "places.yaml")
        items = self.seq(path, d.get("places"), d.line_of("places"), "places") if d else None
        raw_places: list[tuple[int, LinedDict]] = []
        for i, raw in enumerate(items or []):
            p = self.mapping(path, raw, items.line_of(i) if items else 1, "place")
            if p is None:
                continue
            pid = self.text(path, p, "id", "place", required=True)
            if pid is not None:
                if pid in self.place_ids:
                    self.report(path, p.line_of("id"), f"duplicate place id {pid!r}")
                    continue
                self.place_ids.add(pid)
                raw_places.append((i, p))
        for _i, p in raw_places:
            place = self.place(path, p)
            if place is not None:
                places[place.id] = place
        return places

    def place(self, path: Path, p: LinedDict) -> Place | None:
        pid = str(p["id"])
        what = f"place {pid}"
        self.unknown_keys(
            path,
            p,
            {
                "id",
                "name",
                "address",
                "coordinates",
                "phone",
                "email",
                "hours",
                "exceptions",
                "public_holidays_closed",
                "note",
            },
            what,
        )
        name = self.localized(path, p, "name", what)
        fields: dict[str, Fact] = {}
        for key in ("address", "coordinates", "phone", "email", "hours"):
            if key not in p:
                self.report(path, p.line, f"{what}: missing {key!r} (use status: missing)")
                continue
            fact = self.fact(path, p[key], p.line_of(key), f"{what}.{key}", structured=True)
            if fact is None:
                continue
            if key == "coordinates" and fact.value is not None:
                fact = self.coordinates(path, p, fact, what)
            if key == "hours" and fact.value is not None:
                fact = self.weekly_hours(path, p[key], fact, what)
            fields[key] = fact
        exceptions: list[HoursException] = []
        exc_items = self.seq(
            path, p.get("exceptions"), p.line_of("exceptions"), f"{what}.exceptions"
        )
        for j, raw in enumerate(exc_items or []):
            line = exc_items.line_of(j) if exc_items else p.line
            e = self.mapping(path, raw, line, f"{what}.exceptions")
            if e is None:
                continue
            self.unknown_keys(path, e, {"date", "closed", "hours", "note"}, f"{what}.exceptions")
            day = self.parse_date(path, e.get("date"), e.line_of("date"), f"{what}.exceptions")
            ranges: tuple[TimeRange, ...] = ()
            if e.get("closed") is True:
                if e.get("hours"):
                    self.report(path, e.line, f"{what}.exceptions: 'closed' and 'hours' together")
            else:
                ranges = self.ranges(path, e.get("hours"), e.line_of("hours"), f"{what}.exceptions")
                if not ranges:
                    self.report(path, e.line, f"{what}.exceptions: give 'closed: true' or 'hours'")
            note = self.localized(path, e, "note", f"{what}.exceptions", required=False)
            if day is not None:
                exceptions.append(HoursException(day, ranges, note))
        holidays_closed = p.get("public_holidays_closed", True)
        if not isinstance(holidays_closed, bool):
            self.report(path, p.line_of("public_holidays_closed"), f"{what}: must be true or false")
            holidays_closed = True
        if name is None or len(fields) < 5:
            return None
        return Place(
            id=pid,
            name=name,
            address=fields["address"],
            coordinates=fields["coordinates"],
            phone=fields["phone"],
            email=fields["email"],
            hours=fields["hours"],
            exceptions=tuple(sorted(exceptions, key=lambda x: x.date)),
            public_holidays_closed=holidays_closed,
            location=Location(self.rel(path), p.line),
        )

    def coordinates(self, path: Path, p: LinedDict, fact: Fact, what: str) -> Fact:
        value = fact.value
        ok = (
            isinstance(value, list)
            and len(value) == 2
            and all(isinstance(v, int | float) and not isinstance(v, bool) for v in value)
            and -90 <= value[0] <= 90
            and -180 <= value[1] <= 180
        )
        if not ok:
            self.report(path, p.line_of("coordinates"), f"{what}: coordinates must be [lat, lon]")
            return Fact(status=FactStatus.MISSING, checked=fact.checked, location=fact.location)
        return Fact(
            status=fact.status,
            checked=fact.checked,
            sources=fact.sources,
            value=(float(value[0]), float(value[1])),  # type: ignore[index]
            note=fact.note,
            location=fact.location,
        )

    def weekly_hours(self, path: Path, raw: Any, fact: Fact, what: str) -> Fact:
        d = raw.get("value") if isinstance(raw, LinedDict) else None
        line = raw.line_of("value") if isinstance(raw, LinedDict) else 1
        if not isinstance(d, LinedDict):
            self.report(path, line, f"{what}.hours: value must map mon..sun to lists of ranges")
            return Fact(status=FactStatus.MISSING, checked=fact.checked, location=fact.location)
        days: dict[int, tuple[TimeRange, ...]] = {}
        for key in d:
            if key not in WEEKDAYS:
                self.report(path, d.line_of(key), f"{what}.hours: unknown day {key!r} (mon..sun)")
                continue
            days[WEEKDAYS.index(key)] = self.ranges(path, d[key], d.line_of(key), f"{what}.hours")
        return Fact(
            status=fact.status,
            checked=fact.checked,
            sources=fact.sources,
            value=WeeklyHours(days),
            note=fact.note,
            location=fact.location,
        )

    def ranges(self, path: Path, value: Any, line: int, what: str) -> tuple[TimeRange, ...]:
        if value is None:
            return ()
        items = value if isinstance(value, list) else [value]
        out: list[TimeRange] = []
        for item in items:
            m = _RANGE.match(str(item)) if isinstance(item, str) else None
            if m is None:
                self.report(path, line, f"{what}: {item!r} is not a range like '07:30-15:30'")
                continue
            start = self.parse_time(path, m.group(1), line, what)
            end = self.parse_time(path, m.group(2), line, what)
            if start is None or end is None:
                continue
            if end <= start:
                self.report(path, line, f"{what}: range {item!r} ends before it starts")
                continue
            out.append(TimeRange(start, end))
        out.sort(key=lambda r: r.start)
        for a, b in itertools.pairwise(out):
            if b.start < a.end:
                self.report(path, line, f"{what}: ranges overlap")
        return tuple(out)

    # -------------------------------------------------------------- events
    def read_events(self, path: Path) -> tuple[tuple[KongresEdition, ...], tuple[DatedItem, ...]]:
        data = self.load(path)
        if data is None:
            return (), ()
        d = self.mapping(path, data, 1, "events.yaml")
        if d is None:
            return (), ()
        self.unknown_keys(path, d, {"kongres", "events"}, "events.yaml")
        editions: list[KongresEdition] = []
        items = self.seq(path, d.get("kongres"), d.line_of("kongres"), "kongres")
        if items is not None and not items:
            # The required kongres.* topics answer from these editions.
            self.report(path, d.line_of("kongres"), "events.yaml: no Kongres editions")
        for i, raw in enumerate(items or []):
            edition = self.edition(path, raw, items.line_of(i) if items else 1)
            if edition is not None:
                editions.append(edition)
        editions.sort(key=lambda e: e.first_day)
        seen: set[int] = set()
        for e in editions:
            if e.edition in seen:
                self.report(path, e.location.line if e.location else 1, "duplicate edition number")
            seen.add(e.edition)
        events: list[DatedItem] = []
        ids: set[str] = set()
        ev_items = self.seq(path, d.get("events"), d.line_of("events"), "events")
        for i, raw in enumerate(ev_items or []):
            item = self.dated_item(path, raw, ev_items.line_of(i) if ev_items else 1)
            if item is None:
                continue
            if item.id in ids:
                self.report(path, item.location.line if item.location else 1, "duplicate event id")
                continue
            ids.add(item.id)
            events.append(item)
        events.sort(key=lambda e: (e.start_date, e.id))
        return tuple(editions), tuple(events)

    def edition(self, path: Path, raw: Any, line: int) -> KongresEdition | None:
        e = self.mapping(path, raw, line, "kongres edition")
        if e is None:
            return None
        what = f"kongres edition {e.get('edition', '?')}"
        self.unknown_keys(
            path,
            e,
            {"edition", "year", "venue", "theme", "source", "checked", "days", "note"},
            what,
        )
        number, year = e.get("edition"), e.get("year")
        if not isinstance(number, int) or isinstance(number, bool) or number < 1:
            self.report(path, e.line_of("edition"), f"{what}: 'edition' must be a number")
            return None
        if not isinstance(year, int) or isinstance(year, bool):
            self.report(path, e.line_of("year"), f"{what}: 'year' must be a number")
            return None
        venue = e.get("venue")
        if venue is not None and venue not in self.place_ids:
            self.report(path, e.line_of("venue"), f"{what}: unknown venue {venue!r} (places.yaml)")
            venue = None
        theme = self.localized(path, e, "theme", what, required=False)
        sources = self.source_refs(path, e, what)
        if not sources:
            self.report(path, e.line_of("source"), f"{what}: edition without a source")
        checked = self.checked(path, e, what)
        days: list[KongresDay] = []
        day_items = self.seq(path, e.get("days"), e.line_of("days"), f"{what}.days")
        for j, raw_day in enumerate(day_items or []):
            day = self.day(path, raw_day, day_items.line_of(j) if day_items else e.line, what)
            if day is not None:
                days.append(day)
        if not days:
            self.report(path, e.line_of("days"), f"{what}: needs at least one day")
            return None
        days.sort(key=lambda x: x.date)
        for day in days:
            if day.date.year != year:
                self.report(path, e.line_of("days"), f"{what}: day {day.date} is not in {year}")
        return KongresEdition(
            edition=number,
            year=year,
            days=tuple(days),
            venue=venue,
            theme=theme,
            sources=sources,
            checked=checked,
            location=Location(self.rel(path), e.line),
        )

    def checked(self, path: Path, d: LinedDict, what: str) -> date | None:
        if "checked" not in d:
            self.report(path, d.line, f"{what}: missing 'checked' date")
            return None
        checked = self.parse_date(path, d["checked"], d.line_of("checked"), what)
        if checked is not None and (self.today - checked).days > self.max_age_days:
            self.report(
                path,
                d.line_of("checked"),
                f"{what}: stale, last checked {checked.isoformat()} "
                f"(more than {self.max_age_days} days ago)",
                stale=True,
            )
        return checked

    def day(self, path: Path, raw: Any, line: int, what: str) -> KongresDay | None:
        d = self.mapping(path, raw, line, f"{what} day")
        if d is None:
            return None
        self.unknown_keys(path, d, {"date", "room", "sessions", "note"}, f"{what} day")
        day_date = self.parse_date(path, d.get("date"), d.line_of("date"), f"{what} day")
        room = self.text(path, d, "room", f"{what} day", required=False)
        sessions: list[Session] = []
        items = self.seq(path, d.get("sessions"), d.line_of("sessions"), f"{what} sessions")
        for k, raw_s in enumerate(items or []):
            s_line = items.line_of(k) if items else d.line
            s = self.mapping(path, raw_s, s_line, f"{what} session")
            if s is None:
                continue
            sw = f"{what} session"
            self.unknown_keys(
                path, s, {"start", "end", "title", "room", "speakers", "status", "note"}, sw
            )
            title = self.localized(path, s, "title", sw)
            start = (
                self.parse_time(path, s["start"], s.line_of("start"), sw) if "start" in s else None
            )
            end = self.parse_time(path, s["end"], s.line_of("end"), sw) if "end" in s else None
            if start and end and end <= start:
                self.report(path, s.line_of("end"), f"{sw}: ends before it starts")
            if end and not start:
                self.report(path, s.line_of("end"), f"{sw}: an end time needs a start time")
            speakers_raw = s.get("speakers") or []
            if not isinstance(speakers_raw, list) or not all(
                isinstance(x, str) for x in speakers_raw
            ):
                self.report(path, s.line_of("speakers"), f"{sw}: speakers must be a list of names")
                speakers_raw = []
            try:
                status = FactStatus(str(s.get("status", "confirmed")))
            except ValueError:
                self.report(path, s.line_of("status"), f"{sw}: unknown status")
                status = FactStatus.UNCERTAIN
            if title is not None:
                sessions.append(
                    Session(
                        title=title,
                        start=start,
                        end=end,
                        room=self.text(path, s, "room", sw, required=False) or room,
                        speakers=tuple(speakers_raw),
                        status=status,
                    )
                )
        timed = [s for s in sessions if s.start is not None]
        if [s.start for s in timed] != sorted(s.start for s in timed if s.start):
            self.report(path, d.line_of("sessions"), f"{what}: sessions are not in time order")
        if day_date is None:
            return None
        return KongresDay(date=day_date, sessions=tuple(sessions), room=room)

    def dated_item(self, path: Path, raw: Any, line: int) -> DatedItem | None:
        e = self.mapping(path, raw, line, "event")
        if e is None:
            return None
        eid = self.text(path, e, "id", "event", required=True)
        what = f"event {eid}"
        if eid is not None and len(eid) > MAX_EVENT_ID:
            self.report(path, e.line_of("id"), f"{what}: id longer than {MAX_EVENT_ID} characters")
        self.unknown_keys(
            path,
            e,
            {
                "id",
                "kind",
                "title",
                "start",
                "end",
                "deadline",
                "place",
                "venue",
                "amount",
                "source",
                "checked",
                "note",
            },
            what,
        )
        try:
            kind = EventKind(str(e.get("kind")))
        except ValueError:
            kinds = ", ".join(k.value for k in EventKind)
            self.report(path, e.line_of("kind"), f"{what}: kind must be one of {kinds}")
            return None
        title = self.localized(path, e, "title", what)
        start = self.parse_moment(path, e.get("start"), e.line_of("start"), what)
        end = (
            self.parse_moment(path, e.get("end"), e.line_of("end"), what)
            if e.get("end") is not None
            else None
        )
        deadline_raw = e.get("deadline")
        deadline: datetime | None = None
        if deadline_raw is not None:
            moment = self.parse_moment(path, deadline_raw, e.line_of("deadline"), what)
            if isinstance(moment, datetime):
                deadline = moment
            elif isinstance(moment, date):
                deadline = datetime.combine(moment, time(23, 59))
        if start is not None and end is not None and _as_dt(end) < _as_dt(start):
            self.report(path, e.line_of("end"), f"{what}: ends before it starts")
        venue = e.get("venue")
        if venue is not None and venue not in self.place_ids:
            self.report(path, e.line_of("venue"), f"{what}: unknown venue {venue!r}")
            venue = None
        amount = e.get("amount")
        if amount is not None and (not isinstance(amount, int) or isinstance(amount, bool)):
            self.report(path, e.line_of("amount"), f"{what}: amount must be a whole number (PLN)")
            amount = None
        sources = self.source_refs(path, e, what)
        if not sources:
            self.report(path, e.line_of("source"), f"{what}: event without a source")
        checked = self.checked(path, e, what)
        if eid is None or title is None or start is None:
            return None
        return DatedItem(
            id=eid,
            kind=kind,
            title=title,
            start=start,
            end=end,
            deadline=deadline,
            place=self.localized(path, e, "place", what, required=False),
            venue=venue,
            amount=amount,
            sources=sources,
            checked=checked,
            location=Location(self.rel(path), e.line),
        )

    # -------------------------------------------------------------- topics
    def read_topic(self, path: Path) -> Topic | None:
        data = self.load(path)
        if data is None:
            return None
        d = self.mapping(path, data, 1, "topic file")
        if d is None:
            return None
        self.unknown_keys(
            path, d, {"topic", "title", "answer", "facts", "links", "related"}, "topic"
        )
        tid = self.text(path, d, "topic", "topic file", required=True)
        if tid is not None and tid != path.stem:
            self.report(path, d.line_of("topic"), f"topic id {tid!r} does not match file name")
        what = f"topic {tid}"
        title = self.localized(path, d, "title", what)
        answer = self.localized(path, d, "answer", what)
        if answer is not None:
            for lang, text in answer.texts.items():
                line = d["answer"].line_of(lang) if isinstance(d["answer"], LinedDict) else d.line
                self.check_answer_text(path, line, f"{what} answer.{lang}", text)
        facts: list[Fact] = []
        items = self.seq(path, d.get("facts"), d.line_of("facts"), f"{what}.facts")
        for i, raw in enumerate(items or []):
            fact = self.fact(path, raw, items.line_of(i) if items else d.line, f"{what} fact")
            if fact is not None:
                facts.append(fact)
        links: list[Link] = []
        link_items = self.seq(path, d.get("links"), d.line_of("links"), f"{what}.links")
        for i, raw in enumerate(link_items or []):
            ln = self.mapping(path, raw, link_items.line_of(i) if link_items else d.line, "link")
            if ln is None:
                continue
            self.unknown_keys(path, ln, {"url", "label"}, f"{what} link")
            url = self.text(path, ln, "url", f"{what} link", required=True)
            if url is not None and not url.startswith(("http://", "https://")):
                self.report(path, ln.line_of("url"), f"{what} link: url must start with http(s)://")
                url = None
            label = self.localized(path, ln, "label", f"{what} link")
            if url and label:
                links.append(Link(url, label))
        related_raw = d.get("related") or []
        if not isinstance(related_raw, list) or not all(isinstance(r, str) for r in related_raw):
            self.report(path, d.line_of("related"), f"{what}: related must be a list of topic ids")
            related_raw = []
        if tid is None or title is None or answer is None:
            return None
        for lang, text in title.texts.items():
            if len(text) > 40:
                self.report(path, d.line_of("title"), f"{what}: title.{lang} longer than 40 chars")
        return Topic(
            id=tid,
            title=title,
            answer=answer,
            facts=tuple(facts),
            links=tuple(links),
            related=tuple(related_raw),
            location=Location(self.rel(path), d.line),
        )

    def check_answer_text(self, path: Path, line: int, what: str, text: str) -> None:
        for problem in html_problems(text.replace("{{", "").replace("}}", "")):
            self.report(path, line, f"{what}: malformed HTML: {problem}")
        for m in _PLACEHOLDER.finditer(text):
            name, arg = m.group(1), m.group(2)
            takes_arg = PLACEHOLDERS.get(name)
            if takes_arg is None:
                known = ", ".join(
                    "{" + k + (":…" if v else "") + "}" for k, v in PLACEHOLDERS.items()
                )
                self.report(path, line, f"{what}: unknown block {m.group(0)} (known: {known})")
            elif takes_arg and not arg:
                self.report(path, line, f"{what}: block {{{name}}} needs an argument")
            elif not takes_arg and arg:
                self.report(path, line, f"{what}: block {{{name}}} takes no argument")
            elif name == "hours" and arg not in self.place_ids:
                self.report(path, line, f"{what}: unknown place {arg!r} in {m.group(0)}")
            elif name == "events" and arg not in {k.value for k in EventKind}:
                self.report(path, line, f"{what}: unknown event kind {arg!r} in {m.group(0)}")
        static = _PLACEHOLDER.sub("", text)
        if visible_length(static) > STATIC_ANSWER_LIMIT:
            self.report(
                path,
                line,
                f"{what}: answer too long ({visible_length(static)} characters; "
                f"at most {STATIC_ANSWER_LIMIT} so that it fits in a {MESSAGE_LIMIT}-character "
                "message with its dynamic parts and sources)",
            )

    # -------------------------------------------------------------- intents
    def read_intents(self, directory: Path) -> list[IntentSet]:
        intents: list[IntentSet] = []
        seen: dict[str, tuple[str | None, Path, int]] = {}
        for path in sorted(directory.glob("*.yaml")):
            intent = self.read_intent(path, seen)
            if intent is not None:
                intents.append(intent)
        for path in sorted(directory.iterdir()) if directory.is_dir() else []:
            if path.is_file() and path.suffix in {".yml", ".txt", ".json"}:
                self.report(path, 1, "content files must end in .yaml")
        return intents

    def read_intent(
        self, path: Path, seen: dict[str, tuple[str | None, Path, int]]
    ) -> IntentSet | None:
        data = self.load(path)
        if data is None:
            return None
        d = self.mapping(path, data, 1, "intents file")
        if d is None:
            return None
        self.unknown_keys(path, d, {"topic", "examples", "keywords", "negative"}, "intents file")
        is_oos = path.name == OUT_OF_SCOPE_FILE
        topic: str | None
        if is_oos:
            if d.get("topic") is not None:
                self.report(path, d.line_of("topic"), "the out-of-scope file needs 'topic: null'")
            topic = None
        else:
            topic = self.text(path, d, "topic", "intents file", required=True)
            if topic is not None and topic != path.stem:
                self.report(
                    path, d.line_of("topic"), f"topic id {topic!r} does not match file name"
                )
        what = f"intents {topic or 'out of scope'}"
        examples: dict[str, tuple[str, ...]] = {}
        ex = self.mapping(path, d.get("examples"), d.line_of("examples"), f"{what}: examples")
        local: set[str] = set()
        if ex is not None:
            for lang in ex:
                if lang not in LANGUAGES:
                    self.report(path, ex.line_of(lang), f"{what}: unknown language {lang!r}")
                    continue
                items = self.seq(path, ex[lang], ex.line_of(lang), f"{what}: examples.{lang}")
                examples[lang] = self.phrases(path, items, topic, what, seen, local)
            if len(examples.get("pl", ())) < MIN_POLISH_EXAMPLES:
                self.report(
                    path,
                    ex.line_of("pl"),
                    f"{what}: missing Polish examples (at least {MIN_POLISH_EXAMPLES} needed)",
                )
        keywords: tuple[str, ...] = ()
        if "keywords" in d:
            items = self.seq(path, d["keywords"], d.line_of("keywords"), f"{what}: keywords")
            keywords = self.phrases(path, items, topic, what, seen, local)
        negative: tuple[str, ...] = ()
        if "negative" in d:
            if is_oos:
                self.report(path, d.line_of("negative"), "the out-of-scope file has no negatives")
            items = self.seq(path, d["negative"], d.line_of("negative"), f"{what}: negative")
            negative = self.negatives(path, items, what, local)
        return IntentSet(
            topic=topic,
            examples=examples,
            keywords=keywords,
            negative=negative,
            location=Location(self.rel(path), d.line),
        )

    def phrases(
        self,
        path: Path,
        items: LinedList | None,
        topic: str | None,
        what: str,
        seen: dict[str, tuple[str | None, Path, int]],
        local: set[str],
    ) -> tuple[str, ...]:
        out: list[str] = []
        for i, item in enumerate(items or []):
            line = items.line_of(i) if items else 1
            if isinstance(item, int | float) and not isinstance(item, bool):
                item = str(item)
            if not isinstance(item, str) or not item.strip():
                self.report(path, line, f"{what}: example must be non-empty text")
                continue
            key = normalise(item)
            if not key:
                self.report(path, line, f"{what}: example {item!r} has no letters or digits")
                continue
            previous = seen.get(key)
            if previous is not None:
                other_topic, other_path, other_line = previous
                if other_topic != topic:
                    self.report(
                        path,
                        line,
                        f"{what}: example {item!r} is also under "
                        f"{other_topic or 'out of scope'} ({self.rel(other_path)}:{other_line})",
                    )
                else:
                    self.report(path, line, f"{what}: example {item!r} is repeated")
                continue
            seen[key] = (topic, path, line)
            local.add(key)
            out.append(item.strip())
        return tuple(out)

    def negatives(
        self, path: Path, items: LinedList | None, what: str, local: set[str]
    ) -> tuple[str, ...]:
        out: list[str] = []
        for i, item in enumerate(items or []):
            line = items.line_of(i) if items else 1
            if not isinstance(item, str) or not normalise(item):
                self.report(path, line, f"{what}: negative example must be non-empty text")
                continue
            if normalise(item) in local:
                self.report(path, line, f"{what}: {item!r} is both an example and a negative")
                continue
            out.append(item.strip())
        return tuple(out)


def _empty_list(line: int) -> LinedList:
    empty = LinedList()
    empty.line, empty.item_lines = line, []
    return empty


def _as_dt(value: date | datetime) -> datetime:
    return value if isinstance(value, datetime) else datetime.combine(value, time())


def check_content(
    root: Path, *, today: date | None = None, max_age_days: int = 365
) -> tuple[Content | None, list[Problem]]:
    """Validate ``root``/intents and ``root``/knowledge; return content and problems.

    The content is returned even when only stale facts were found, so that a
    caller can decide whether staleness blocks loading.
    """
    reader = _Reader(root=root, today=today or date.today(), max_age_days=max_age_days)
    intents_dir, knowledge_dir = root / "intents", root / "knowledge"
    for directory in (intents_dir, knowledge_dir, knowledge_dir / "topics"):
        if not directory.is_dir():
            reader.report(directory, 0, "directory missing")
    if reader.problems:
        return None, sorted(reader.problems)

    reader.read_sources(knowledge_dir / "sources.yaml")
    places = reader.read_places(knowledge_dir / "places.yaml")
    kongres, events = reader.read_events(knowledge_dir / "events.yaml")
    topics: dict[str, Topic] = {}
    topic_paths = sorted((knowledge_dir / "topics").glob("*.yaml"))
    # A file that exists but fails has its own problems reported; the checks
    # below must not add claims that it is missing.
    topic_files = {path.stem for path in topic_paths}
    intent_files = {path.stem for path in intents_dir.glob("*.yaml")}
    for path in topic_paths:
        topic = reader.read_topic(path)
        if topic is None:
            continue
        if topic.id in topics:
            reader.report(path, 1, f"topic {topic.id!r} defined twice")
            continue
        topics[topic.id] = topic
    intents = reader.read_intents(intents_dir)

    intent_topics = {i.topic for i in intents if i.topic is not None}
    for topic_id in REQUIRED_TOPICS:
        if topic_id not in intent_topics and topic_id not in intent_files:
            reader.report(intents_dir / f"{topic_id}.yaml", 0, "missing: required topic id")
        if topic_id not in topics and topic_id not in topic_files:
            reader.report(
                knowledge_dir / "topics" / f"{topic_id}.yaml", 0, "missing: required topic id"
            )
    for intent in intents:
        if (
            intent.topic is not None
            and intent.topic not in topics
            and intent.topic not in topic_files
            and intent.location
        ):
            reader.problems.append(
                Problem(
                    intent.location.file,
                    intent.location.line,
                    f"unknown topic id {intent.topic!r}: no knowledge/topics/{intent.topic}.yaml",
                )
            )
    for topic in topics.values():
        if topic.id not in intent_topics and topic.id not in intent_files and topic.location:
            reader.problems.append(
                Problem(topic.location.file, topic.location.line, "topic has no intents file")
            )
        for rel in topic.related:
            if rel not in topics and rel not in topic_files and topic.location:
                reader.problems.append(
                    Problem(
                        topic.location.file, topic.location.line, f"unknown related topic {rel!r}"
                    )
                )

    knowledge = KnowledgeBase(
        topics=topics,
        sources=dict(reader.sources),
        kongres=kongres,
        events=events,
        places=places,
    )
    content = Content(knowledge=knowledge, intents=tuple(intents), root=root)
    return content, sorted(set(reader.problems))


def load_content(
    root: Path, *, today: date | None = None, max_age_days: int = 365, allow_stale: bool = True
) -> Content:
    """Load and validate content; raise :class:`ContentError` on any problem.

    Stale facts are warnings unless ``allow_stale`` is False: a running
    assistant keeps answering when a date passes, while ``check`` fails.
    """
    content, problems = check_content(root, today=today, max_age_days=max_age_days)
    errors = [p for p in problems if not (p.stale and allow_stale)]
    if errors or content is None:
        raise ContentError(errors or problems)
    stale = tuple(p for p in problems if p.stale)
    for problem in stale:
        logger.warning("stale content: %s", problem)
    return Content(knowledge=content.knowledge, intents=content.intents, root=root, warnings=stale)


def max_age_from(value: str | None, default: int = 365) -> int:
    """Parse a max-age setting in days."""
    if value is None or not value.strip():
        return default
    try:
        days = int(value)
    except ValueError:
        raise ValueError(f"{value.strip()!r} is not a whole number of days") from None
    if days < 1:
        raise ValueError("max age must be at least one day")
    return days


__all__ = [
    "MESSAGE_LIMIT",
    "Content",
    "ContentError",
    "Problem",
    "check_content",
    "intents_to_examples",
    "load_content",
    "max_age_from",
]
