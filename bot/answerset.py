"""Labelled answer sets: does the reply state the fact asked for, early and briefly?

Each line of an answer set (``tests/data/answers.jsonl``, format in
``tests/data/answers.FORMAT.md``) is a question with the language and the
moment it is asked at, the topic it belongs to and the spellings of the fact
value that must appear in the first :data:`HEAD` characters of the reply.
The reply is read as a person reads it: plain text, whitespace runs (and
non-breaking or thin spaces) as one space, case ignored. Its length is the
number of characters a phone shows (tags removed, links as their text).
"""

from __future__ import annotations

import json
import re
import statistics
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from bot.core.answering import Assistant, Reply
from bot.core.dates import local_now
from bot.core.html import visible_length

#: The reply must state the fact within this many characters.
HEAD = 200
_SPACES = re.compile(r"[\s\u00a0\u2009\u202f]+")


class AnswerSetError(ValueError):
    """A line of an answer set that cannot be used, with its number."""


@dataclass(frozen=True)
class Case:
    """One labelled question."""

    id: str
    text: str
    lang: str
    now: datetime
    topic: str
    expect: tuple[str, ...]
    fact: str = ""


@dataclass(frozen=True)
class Outcome:
    """How the assistant did on one case."""

    case: Case
    reply: Reply
    passed: bool
    length: int
    head: str


@dataclass(frozen=True)
class Report:
    """The figures of one run over an answer set."""

    outcomes: tuple[Outcome, ...]
    seconds: float = 0.0
    failures: tuple[Outcome, ...] = field(default=())

    @property
    def passed(self) -> int:
        """Cases whose reply states the fact early enough."""
        return sum(o.passed for o in self.outcomes)

    @property
    def pass_rate(self) -> float:
        """Share of cases passed (0..1)."""
        return self.passed / len(self.outcomes) if self.outcomes else 0.0

    @property
    def median_length(self) -> float:
        """Median visible length of the replies."""
        return statistics.median(o.length for o in self.outcomes) if self.outcomes else 0.0

    @property
    def wrong_topic(self) -> tuple[Outcome, ...]:
        """Failures where the reply was not about the expected topic at all."""
        return tuple(o for o in self.outcomes if not o.passed and o.reply.intent != o.case.topic)


def squash(text: str) -> str:
    """Lower case, every run of whitespace as one space."""
    return _SPACES.sub(" ", text).strip().lower()


def read_cases(path: Path) -> list[Case]:
    """Read an answer set; raise :class:`AnswerSetError` naming the bad line."""
    cases: list[Case] = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            expect = row["expect"]
            if isinstance(expect, str):
                expect = [expect]
            cases.append(
                Case(
                    id=str(row.get("id", number)),
                    text=str(row["text"]),
                    lang=str(row.get("lang", "pl")),
                    now=local_now(datetime.fromisoformat(str(row["now"]))),
                    topic=str(row["topic"]),
                    expect=tuple(str(e) for e in expect),
                    fact=str(row.get("fact", "")),
                )
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise AnswerSetError(f"{path}:{number}: {exc}") from exc
    return cases


def judge(case: Case, reply: Reply) -> Outcome:
    """Whether ``reply`` states one of the expected values in its first :data:`HEAD` chars."""
    head = squash(reply.text)[:HEAD]
    passed = any(squash(value) in head for value in case.expect)
    return Outcome(case, reply, passed, visible_length(reply.html), head)


def evaluate(assistant: Assistant, cases: Sequence[Case]) -> Report:
    """Answer every case at its own moment, in its own language."""
    started = time.perf_counter()
    outcomes = tuple(
        judge(case, assistant.respond(case.text, lang=case.lang, now=case.now)) for case in cases
    )
    seconds = time.perf_counter() - started
    return Report(outcomes, seconds, tuple(o for o in outcomes if not o.passed))


def format_report(report: Report, *, failures: bool = True) -> str:
    """The pass rate, the median length and (optionally) every failure."""
    n = len(report.outcomes)
    lines = [
        f"answers: {report.passed}/{n} pass ({report.pass_rate:.1%}); "
        f"median reply length {report.median_length:.0f} characters; "
        f"{len(report.wrong_topic)} failure(s) with another topic",
    ]
    if failures:
        for o in report.failures:
            got = o.reply.intent or o.reply.action.value
            lines.append(
                f"- {o.case.id} [{o.case.lang} {o.case.now:%Y-%m-%d %H:%M}] {o.case.text!r}\n"
                f"    expected {o.case.topic}: {' | '.join(o.case.expect)}\n"
                f"    got {got}: {o.head!r}"
            )
    return "\n".join(lines)


def lengths(outcomes: Iterable[Outcome]) -> list[int]:
    """Visible lengths, sorted."""
    return sorted(o.length for o in outcomes)
