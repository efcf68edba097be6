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
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

from bot.content.yamlsrc import LinedDict, LinedList, YamlError, load_yaml
from bot.core.html import html_problems, visible_length
from bot.core.knowledge import (
    CONVERSATION_TOPICS,
    KONGRES_EVENTS,
    LANGUAGES,
    REQUIRED_TOPICS,
    WEEKDAYS,
    Block,
    CommandTarget,
    DatedItem,
    EventKind,
    Fact,
    FactRef,
    FactStatus,
    HoursException,
    IntentSet,
    KnowledgeBase,
    KongresDay,
    KongresEdition,
    Link,
    Localized,
    Location,
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
from bot.core.matching import LabelledExample
from bot.core.menu import SHORTCUT_COMMANDS
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
_FACT_ID = re.compile(r"^[a-z0-9][a-z0-9-]*$")
#: Longest text of one fact (a fact answers one question in a sentence or two).
FACT_LIMIT = 400

#: Dynamic blocks a fact may be, and whether they take an argument.
BLOCKS: dict[str, bool] = {
    "kongres_when": False,
    "kongres_program": False,
    "kongres_where": False,
    "kongres_now": False,
    "hours": True,
    "events": True,
    "event": True,
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
    event_ids: set[str] = field(default_factory=set)

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

    def known_from(self, path: Path, d: LinedDict, what: str, checked: date | None) -> date | None:
        """The optional ``known_from`` date: a day, not after ``checked`` nor today."""
        if "known_from" not in d:
            return None
        line = d.line_of("known_from")
        known = self.parse_date(path, d["known_from"], line, f"{what}: known_from")
        if known is None:
            return None
        if known > self.today:
            self.report(path, line, f"{what}: 'known_from' date is in the future")
        elif checked is not None and known > checked:
            self.report(
                path,
                line,
                f"{what}: 'known_from' {known.isoformat()} is after 'checked' "
                f"{checked.isoformat()} (a fact is checked once it is public)",
            )
        return known

    def checked_date(self, path: Path, d: LinedDict, what: str) -> date | None:
        if "checked" not in d:
            self.report(path, d.line, f"{what}: fact without a 'checked' date")
            return None
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
        return checked

    def status(self, path: Path, d: LinedDict, what: str) -> FactStatus | None:
        status_raw = d.get("status")
        try:
            return FactStatus(str(status_raw).strip().lower())
        except ValueError:
            self.report(
                path,
                d.line_of("status"),
                f"{what}: status must be confirmed, uncertain or missing (got {status_raw!r})",
            )
            return None

    def fact(self, path: Path, value: Any, line: int, what: str) -> Fact | None:
        """A structured fact of a place (address, phone, hours …)."""
        d = self.mapping(path, value, line, what)
        if d is None:
            return None
        allowed = {"status", "source", "checked", "known_from", "note", "searched", "value"}
        self.unknown_keys(path, d, allowed, what)
        status = self.status(path, d, what)
        if status is None:
            return None
        sources = self.source_refs(path, d, what)
        if status is not FactStatus.MISSING and not sources:
            self.report(path, d.line_of("source"), f"{what}: fact without a source")
        checked = self.checked_date(path, d, what)
        known_from = self.known_from(path, d, what, checked)
        if status is not FactStatus.MISSING and known_from is None and "known_from" not in d:
            self.report(
                path, d.line, f"{what}: missing 'known_from' (the day the fact became public)"
            )
        if status is FactStatus.CONFIRMED and d.get("value") is None:
            self.report(path, d.line_of("value"), f"{what}: a confirmed fact needs a value")
        return Fact(
            status=status,
            checked=checked or self.today,
            sources=sources,
            value=d.get("value"),
            note=d.get("note") if isinstance(d.get("note"), str) else None,
            searched=d.get("searched") if isinstance(d.get("searched"), str) else None,
            location=Location(self.rel(path), d.line),
            known_from=known_from,
        )

    def topic_fact(self, path: Path, value: Any, line: int, topic: str) -> Fact | None:
        """A fact of a topic: its text per language (or a block) and the questions it answers."""
        d = self.mapping(path, value, line, f"topic {topic} fact")
        if d is None:
            return None
        fid = d.get("id")
        if not isinstance(fid, str) or not _FACT_ID.match(fid):
            self.report(
                path,
                d.line_of("id"),
                f"topic {topic} fact: needs an 'id' (lower-case letters, digits and '-', "
                f"unique in the topic), got {fid!r}",
            )
            fid = None
        what = f"topic {topic} fact {fid or '?'}"
        allowed = {
            "id",
            "questions",
            "value",
            "block",
            "status",
            "source",
            "checked",
            "known_from",
            "note",
            "searched",
            "replaces",
            "see",
            "summary",
        }
        self.unknown_keys(path, d, allowed, what)
        questions = self.questions(path, d, what)
        block = self.block(path, d, what) if "block" in d else None
        if block is not None:
            for key in ("value", "status", "source", "checked", "known_from"):
                if key in d:
                    self.report(
                        path,
                        d.line_of(key),
                        f"{what}: a block fact takes no {key!r} (its sources and dates "
                        "come from events.yaml and places.yaml)",
                    )
            if fid is None:
                return None
            return Fact(
                status=FactStatus.CONFIRMED,
                checked=self.today,
                location=Location(self.rel(path), d.line),
                id=fid,
                questions=questions,
                block=block,
                note=d.get("note") if isinstance(d.get("note"), str) else None,
            )
        status = self.status(path, d, what)
        text = self.localized(path, d, "value", what)
        if text is not None:
            for lang in LANGUAGES:
                if not text.has(lang):
                    self.report(
                        path,
                        d.line_of("value"),
                        f"{what}: value has no {lang!r} text (write every fact in pl, uk and en)",
                    )
            for lang, body in text.texts.items():
                self.check_fact_text(path, d.line_of("value"), f"{what} value.{lang}", body)
        sources = self.source_refs(path, d, what)
        if status is not None and status is not FactStatus.MISSING and not sources:
            self.report(path, d.line_of("source"), f"{what}: fact without a source")
        checked = self.checked_date(path, d, what)
        known_from = self.known_from(path, d, what, checked)
        if status is not None and status is not FactStatus.MISSING and "known_from" not in d:
            self.report(
                path,
                d.line,
                f"{what}: missing 'known_from' (the day from which the fact was public)",
            )
        replaces = self.id_list(path, d, "replaces", what)
        see = self.id_list(path, d, "see", what)
        if see and status is not FactStatus.MISSING:
            self.report(path, d.line_of("see"), f"{what}: 'see' is only for missing facts")
        summary = d.get("summary", False)
        if not isinstance(summary, bool):
            self.report(path, d.line_of("summary"), f"{what}: summary must be true or false")
            summary = False
        if fid is None or status is None or text is None:
            return None
        return Fact(
            status=status,
            checked=checked or self.today,
            sources=sources,
            note=d.get("note") if isinstance(d.get("note"), str) else None,
            searched=d.get("searched") if isinstance(d.get("searched"), str) else None,
            location=Location(self.rel(path), d.line),
            known_from=known_from,
            id=fid,
            text=text,
            questions=questions,
            replaces=replaces,
            see=see,
            summary=summary,
        )

    def questions(self, path: Path, d: LinedDict, what: str) -> tuple[str, ...]:
        """The ``questions`` of a fact: a list, or lists per language; Polish required."""
        value = d.get("questions")
        line = d.line_of("questions")
        if value is None:
            self.report(
                path,
                line,
                f"{what}: missing 'questions' (short phrasings of what the fact answers, "
                "at least one in Polish)",
            )
            return ()
        if isinstance(value, list):
            value = LinedDict({"pl": value})
            value.line, value.key_lines = line, {"pl": line}
        if not isinstance(value, LinedDict):
            self.report(path, line, f"{what}: 'questions' must be a list or lists per language")
            return ()
        out: list[str] = []
        for lang, items in value.items():
            if lang not in LANGUAGES:
                self.report(path, value.line_of(lang), f"{what}: unknown language {lang!r}")
                continue
            if not isinstance(items, list):
                self.report(path, value.line_of(lang), f"{what}: questions.{lang} must be a list")
                continue
            for item in items:
                if isinstance(item, int | float) and not isinstance(item, bool):
                    item = str(item)
                if not isinstance(item, str) or not normalise(item):
                    self.report(
                        path, value.line_of(lang), f"{what}: a question must be non-empty text"
                    )
                    continue
                out.append(item.strip())
        if not isinstance(value.get("pl"), list) or not value.get("pl"):
            self.report(path, line, f"{what}: 'questions' needs at least one Polish question")
        return tuple(out)

    def block(self, path: Path, d: LinedDict, what: str) -> Block | None:
        raw = d.get("block")
        line = d.line_of("block")
        if not isinstance(raw, str) or not raw.strip():
            self.report(path, line, f"{what}: block must be a name such as kongres_when")
            return None
        name, _, arg = raw.strip().partition(":")
        takes_arg = BLOCKS.get(name)
        known = ", ".join(k + (":…" if v else "") for k, v in BLOCKS.items())
        if takes_arg is None:
            self.report(path, line, f"{what}: unknown block {raw!r} (known: {known})")
            return None
        if takes_arg and not arg:
            self.report(path, line, f"{what}: block {name!r} needs an argument ({name}:…)")
            return None
        if not takes_arg and arg:
            self.report(path, line, f"{what}: block {name!r} takes no argument")
            return None
        if name == "hours" and arg not in self.place_ids:
            self.report(path, line, f"{what}: unknown place {arg!r} in block {raw!r}")
            return None
        if name == "events" and arg not in {k.value for k in EventKind}:
            self.report(path, line, f"{what}: unknown event kind {arg!r} in block {raw!r}")
            return None
        if name == "event" and arg not in self.event_ids:
            self.report(path, line, f"{what}: unknown event {arg!r} in block {raw!r}")
            return None
        return Block(name, arg or None)

    def id_list(self, path: Path, d: LinedDict, key: str, what: str) -> tuple[str, ...]:
        value = d.get(key)
        if value is None:
            return ()
        items = value if isinstance(value, list) else [value]
        if not all(isinstance(i, str) and i.strip() for i in items):
            self.report(path, d.line_of(key), f"{what}: {key!r} must be a list of fact ids")
            return ()
        return tuple(i.strip() for i in items)

    def check_fact_text(self, path: Path, line: int, what: str, text: str) -> None:
        """Fact values are plain text: no markup, no blocks, short."""
        if "<" in text or ">" in text:
            self.report(path, line, f"{what}: plain text only (no HTML tags, no < or >)")
        if _PLACEHOLDER.search(text):
            self.report(path, line, f"{what}: a dynamic part belongs in its own fact ('block:')")
        if len(text) > FACT_LIMIT:
            self.report(
                path,
                line,
                f"{what}: fact too long ({len(text)} characters, at most {FACT_LIMIT}); "
                "split it into facts that each answer one question",
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
            fact = self.fact(path, p[key], p.line_of(key), f"{what}.{key}")
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
        return replace(fact, value=(float(value[0]), float(value[1])))  # type: ignore[index]

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
        return replace(fact, value=WeeklyHours(days))

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
            self.event_ids.add(item.id)
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
            {
                "edition",
                "year",
                "venue",
                "venue_known_from",
                "theme",
                "source",
                "checked",
                "known_from",
                "days",
                "note",
            },
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
        known_from = self.required_known_from(path, e, what, checked)
        venue_known = None
        if "venue_known_from" in e:
            venue_known = self.parse_date(
                path, e["venue_known_from"], e.line_of("venue_known_from"), what
            )
        days: list[KongresDay] = []
        day_items = self.seq(path, e.get("days"), e.line_of("days"), f"{what}.days")
        for j, raw_day in enumerate(day_items or []):
            day = self.day(
                path, raw_day, day_items.line_of(j) if day_items else e.line, what, checked
            )
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
            known_from=known_from,
            venue_known_from=venue_known,
        )

    def required_known_from(
        self, path: Path, d: LinedDict, what: str, checked: date | None
    ) -> date | None:
        if "known_from" not in d:
            self.report(path, d.line, f"{what}: missing 'known_from' (the day it was announced)")
            return None
        return self.known_from(path, d, what, checked)

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

    def day(
        self, path: Path, raw: Any, line: int, what: str, checked: date | None
    ) -> KongresDay | None:
        d = self.mapping(path, raw, line, f"{what} day")
        if d is None:
            return None
        self.unknown_keys(
            path, d, {"date", "room", "sessions", "note", "known_from"}, f"{what} day"
        )
        day_date = self.parse_date(path, d.get("date"), d.line_of("date"), f"{what} day")
        day_known = self.known_from(path, d, f"{what} day", checked)
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
                path,
                s,
                {"start", "end", "title", "room", "speakers", "status", "note", "known_from"},
                sw,
            )
            session_known = self.known_from(path, s, sw, checked)
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
                        known_from=session_known,
                    )
                )
        timed = [s for s in sessions if s.start is not None]
        if [s.start for s in timed] != sorted(s.start for s in timed if s.start):
            self.report(path, d.line_of("sessions"), f"{what}: sessions are not in time order")
        if day_date is None:
            return None
        return KongresDay(date=day_date, sessions=tuple(sessions), room=room, known_from=day_known)

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
                "known_from",
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
        start: datetime | date | None = None
        if e.get("start") is not None:
            start = self.parse_moment(path, e.get("start"), e.line_of("start"), what)
        elif kind is not EventKind.CALL_FOR_OFFERS or e.get("deadline") is None:
            # Only a call for offers may have an unknown opening day (then its deadline).
            self.report(path, e.line_of("start"), f"{what}: missing 'start' date")
        end = (
            self.parse_moment(path, e.get("end"), e.line_of("end"), what)
            if e.get("end") is not None
            else None
        )
        deadline_raw = e.get("deadline")
        deadline: datetime | date | None = None
        if deadline_raw is not None:
            # A date without a time stays a date: no hour is invented.
            deadline = self.parse_moment(path, deadline_raw, e.line_of("deadline"), what)
            if kind is not EventKind.CALL_FOR_OFFERS:
                self.report(
                    path, e.line_of("deadline"), f"{what}: only a call for offers has a deadline"
                )
        if start is not None and end is not None and _as_dt(end) < _as_dt(start):
            self.report(path, e.line_of("end"), f"{what}: ends before it starts")
        if start is not None and deadline is not None and _as_dt(deadline) < _as_dt(start):
            self.report(path, e.line_of("deadline"), f"{what}: deadline before the start")
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
        known_from = self.required_known_from(path, e, what, checked)
        if eid is None or title is None or (start is None and deadline is None):
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
            known_from=known_from,
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
            path,
            d,
            {"topic", "title", "answer", "overview", "facts", "links", "related"},
            "topic",
        )
        tid = self.text(path, d, "topic", "topic file", required=True)
        if tid is not None and tid != path.stem:
            self.report(path, d.line_of("topic"), f"topic id {tid!r} does not match file name")
        what = f"topic {tid}"
        conversation = tid in CONVERSATION_TOPICS
        title = self.localized(path, d, "title", what)
        answer: Localized | None = None
        if conversation:
            answer = self.localized(path, d, "answer", what)
            if answer is not None:
                for lang, text in answer.texts.items():
                    node = d["answer"]
                    line = node.line_of(lang) if isinstance(node, LinedDict) else d.line
                    self.check_answer_text(path, line, f"{what} answer.{lang}", text)
        elif "answer" in d:
            self.report(
                path,
                d.line_of("answer"),
                f"{what}: 'answer' is only for conversation topics; write the answer as "
                "facts (each with its questions, source and dates)",
            )
        facts: list[Fact] = []
        items = self.seq(path, d.get("facts"), d.line_of("facts"), f"{what}.facts")
        seen: dict[str, int] = {}
        for i, raw in enumerate(items or []):
            line = items.line_of(i) if items else d.line
            fact = self.topic_fact(path, raw, line, tid or "?")
            if fact is None:
                continue
            if fact.id in seen:
                self.report(
                    path,
                    line,
                    f"{what}: fact id {fact.id!r} repeated (first at line {seen[fact.id]})",
                )
                continue
            seen[fact.id] = line
            facts.append(fact)
        if not conversation and items is not None and not items and tid is not None:
            self.report(path, d.line_of("facts"), f"{what}: a topic needs at least one fact")
        for fact in facts:
            line = fact.location.line if fact.location else d.line
            for ref in (*fact.replaces, *fact.see):
                if ref not in seen:
                    self.report(path, line, f"{what} fact {fact.id}: unknown fact id {ref!r}")
        overview = self.id_list(path, d, "overview", what)
        for ref in overview:
            if ref not in seen:
                self.report(
                    path, d.line_of("overview"), f"{what}: overview names unknown fact {ref!r}"
                )
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
        if tid is None or title is None or (conversation and answer is None):
            return None
        for lang in LANGUAGES:
            if not title.has(lang):
                self.report(path, d.line_of("title"), f"{what}: title has no {lang!r} text")
        for lang, text in title.texts.items():
            if len(text) > 40:
                self.report(path, d.line_of("title"), f"{what}: title.{lang} longer than 40 chars")
        return Topic(
            id=tid,
            title=title,
            answer=answer,
            facts=tuple(facts),
            overview=overview,
            links=tuple(links),
            related=tuple(related_raw),
            location=Location(self.rel(path), d.line),
        )

    def check_answer_text(self, path: Path, line: int, what: str, text: str) -> None:
        for problem in html_problems(text.replace("{{", "").replace("}}", "")):
            self.report(path, line, f"{what}: malformed HTML: {problem}")
        if _PLACEHOLDER.search(text):
            self.report(
                path,
                line,
                f"{what}: dynamic parts ({_PLACEHOLDER.search(text).group(0)}) belong in "  # type: ignore[union-attr]
                "facts of other topics ('block:'), not in a conversation answer",
            )
        if visible_length(text) > STATIC_ANSWER_LIMIT:
            self.report(
                path,
                line,
                f"{what}: answer too long ({visible_length(text)} characters; "
                f"at most {STATIC_ANSWER_LIMIT} so that it fits in a {MESSAGE_LIMIT}-character "
                "message)",
            )

    # -------------------------------------------------------------- menu
    def read_menu(self, path: Path, topics: set[str]) -> Navigation:
        """knowledge/menu.yaml: menu groups, shortcut commands and subscription themes."""
        data = self.load(path)
        if data is None:
            return Navigation()
        d = self.mapping(path, data, 1, "menu.yaml")
        if d is None:
            return Navigation()
        self.unknown_keys(path, d, {"groups", "commands", "themes"}, "menu.yaml")
        groups: list[MenuGroup] = []
        group_ids: set[str] = set()
        listed: dict[str, int] = {}
        items = self.seq(path, d.get("groups"), d.line_of("groups"), "groups")
        if items is not None and not items:
            self.report(path, d.line_of("groups"), "menu.yaml: no menu groups")
        for i, raw in enumerate(items or []):
            g = self.mapping(path, raw, items.line_of(i) if items else 1, "menu group")
            if g is None:
                continue
            self.unknown_keys(
                path, g, {"id", "label", "topics", "intro", "overview", "keywords"}, "menu group"
            )
            gid = self.text(path, g, "id", "menu group", required=True)
            what = f"menu group {gid}"
            if gid is not None and gid in group_ids:
                self.report(path, g.line_of("id"), f"duplicate menu group id {gid!r}")
                continue
            label = self.localized(path, g, "label", what)
            if label is not None:
                for lang in LANGUAGES:
                    if not label.has(lang):
                        self.report(path, g.line_of("label"), f"{what}: label has no {lang!r} text")
            intro = self.localized(path, g, "intro", what, required=False)
            group_topics = self.topic_list(path, g, "topics", what, topics, required=True)
            for topic in group_topics:
                if topic in listed:
                    self.report(
                        path,
                        g.line_of("topics"),
                        f"{what}: topic {topic!r} is already in another group "
                        f"(line {listed[topic]})",
                    )
                listed[topic] = g.line_of("topics")
            overview = self.fact_refs(path, g, what)
            keywords = self.keywords(path, g, what)
            if gid is None or label is None:
                continue
            group_ids.add(gid)
            groups.append(
                MenuGroup(
                    id=gid,
                    label=label,
                    topics=group_topics,
                    intro=intro,
                    overview=overview,
                    keywords=keywords,
                    location=Location(self.rel(path), g.line),
                )
            )
        for topic in sorted(topics - set(listed) - CONVERSATION_TOPICS):
            self.report(path, d.line_of("groups"), f"topic {topic!r} is in no menu group")
        commands: dict[str, CommandTarget] = {}
        cmd = self.mapping(path, d.get("commands"), d.line_of("commands"), "commands")
        for name in cmd or {}:
            assert cmd is not None
            line = cmd.line_of(name)
            if name not in SHORTCUT_COMMANDS:
                self.report(
                    path,
                    line,
                    f"commands: unknown command /{name} (shortcut commands: "
                    + ", ".join("/" + c for c in SHORTCUT_COMMANDS)
                    + ")",
                )
                continue
            target = cmd[name]
            t = self.mapping(path, target, line, f"command /{name}")
            if t is None:
                continue
            self.unknown_keys(path, t, {"group", "topic"}, f"command /{name}")
            group, topic_ref = t.get("group"), t.get("topic")
            if (group is None) == (topic_ref is None):
                self.report(path, line, f"command /{name}: give exactly one of 'group' or 'topic'")
            elif group is not None and group not in group_ids:
                self.report(path, line, f"command /{name}: unknown menu group {group!r}")
            elif topic_ref is not None and topic_ref not in topics:
                self.report(path, line, f"command /{name}: unknown topic {topic_ref!r}")
            else:
                commands[name] = CommandTarget(
                    group=str(group) if group else None,
                    topic=str(topic_ref) if topic_ref else None,
                )
        for name in SHORTCUT_COMMANDS:
            if cmd is not None and name not in cmd:
                self.report(path, cmd.line, f"commands: /{name} needs a group or a topic")
        themes: list[Theme] = []
        theme_ids: set[str] = set()
        themed: set[str] = set()
        kinds = {KONGRES_EVENTS} | {k.value for k in EventKind}
        th_items = self.seq(path, d.get("themes"), d.line_of("themes"), "themes")
        for i, raw in enumerate(th_items or []):
            th = self.mapping(path, raw, th_items.line_of(i) if th_items else 1, "theme")
            if th is None:
                continue
            self.unknown_keys(path, th, {"id", "label", "topics", "events"}, "theme")
            tid = self.text(path, th, "id", "theme", required=True)
            what = f"theme {tid}"
            if tid is not None and not _FACT_ID.match(tid):
                self.report(path, th.line_of("id"), f"{what}: id must be lower-case letters")
                tid = None
            if tid is not None and tid in theme_ids:
                self.report(path, th.line_of("id"), f"duplicate theme id {tid!r}")
                continue
            label = self.localized(path, th, "label", what)
            if label is not None:
                for lang in LANGUAGES:
                    if not label.has(lang):
                        self.report(
                            path, th.line_of("label"), f"{what}: label has no {lang!r} text"
                        )
            theme_topics = self.topic_list(path, th, "topics", what, topics, required=False)
            for topic in theme_topics:
                if topic in themed:
                    self.report(
                        path, th.line_of("topics"), f"{what}: topic {topic!r} has two themes"
                    )
                themed.add(topic)
            events_raw = th.get("events") or []
            if not isinstance(events_raw, list) or not all(isinstance(e, str) for e in events_raw):
                self.report(path, th.line_of("events"), f"{what}: events must be a list")
                events_raw = []
            for kind in events_raw:
                if kind not in kinds:
                    self.report(
                        path,
                        th.line_of("events"),
                        f"{what}: unknown events {kind!r} (known: {', '.join(sorted(kinds))})",
                    )
            if tid is None or label is None:
                continue
            theme_ids.add(tid)
            themes.append(Theme(tid, label, theme_topics, tuple(events_raw)))
        return Navigation(groups=tuple(groups), commands=commands, themes=tuple(themes))

    def topic_list(
        self, path: Path, d: LinedDict, key: str, what: str, topics: set[str], *, required: bool
    ) -> tuple[str, ...]:
        value = d.get(key)
        if value is None:
            if required:
                self.report(path, d.line, f"{what}: missing {key!r} (a list of topic ids)")
            return ()
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self.report(path, d.line_of(key), f"{what}: {key!r} must be a list of topic ids")
            return ()
        out = []
        for topic in value:
            if topic not in topics:
                self.report(path, d.line_of(key), f"{what}: unknown topic {topic!r}")
                continue
            out.append(topic)
        return tuple(out)

    def fact_refs(self, path: Path, d: LinedDict, what: str) -> tuple[FactRef, ...]:
        value = d.get("overview")
        if value is None:
            return ()
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self.report(
                path, d.line_of("overview"), f"{what}: overview must be a list of topic#fact"
            )
            return ()
        refs = []
        for item in value:
            topic, sep, fact = item.partition("#")
            if not sep or not topic or not fact:
                self.report(
                    path, d.line_of("overview"), f"{what}: {item!r} is not written topic#fact"
                )
                continue
            refs.append(FactRef(topic.strip(), fact.strip()))
        return tuple(refs)

    def keywords(self, path: Path, d: LinedDict, what: str) -> tuple[str, ...]:
        value = d.get("keywords")
        if value is None:
            return ()
        if not isinstance(value, list) or not all(
            isinstance(v, str) and normalise(v) for v in value
        ):
            self.report(path, d.line_of("keywords"), f"{what}: keywords must be a list of words")
            return ()
        return tuple(v.strip() for v in value)

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

    navigation = Navigation()
    menu_path = knowledge_dir / "menu.yaml"
    if menu_path.is_file():
        navigation = reader.read_menu(menu_path, set(topics) | topic_files)
        for group in navigation.groups:
            line = group.location.line if group.location else 1
            for ref in group.overview:
                topic = topics.get(ref.topic)
                if ref.topic not in topics and ref.topic not in topic_files:
                    reader.report(menu_path, line, f"menu group {group.id}: unknown topic in {ref}")
                elif topic is not None and topic.fact(ref.fact) is None:
                    reader.report(menu_path, line, f"menu group {group.id}: unknown fact {ref}")
    else:
        reader.report(menu_path, 0, "missing: the menu groups, commands and themes")

    knowledge = KnowledgeBase(
        topics=topics,
        sources=dict(reader.sources),
        kongres=kongres,
        events=events,
        places=places,
        navigation=navigation,
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
