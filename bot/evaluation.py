"""Measuring the matcher on a labelled set: ``torun-bot eval``."""

from __future__ import annotations

import codecs
import io
import json
import statistics
import time
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from bot.core.matching import Action, Decision, IntentMatcher, LabelledExample


class DatasetError(ValueError):
    """A labelled file that cannot be read, with the line of the problem."""


def read_labelled(path: Path) -> list[LabelledExample]:
    """Read ``{"text", "intent"}`` lines (intent null = out of scope).

    Raises:
        DatasetError: the file cannot be read, is not UTF-8 JSON Lines of such
            objects, or holds no messages; the message names the file and line.
    """
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise DatasetError(f"{path}: cannot read file: {exc.strerror or exc}") from exc
    # Editors on Windows may start a UTF-8 file with a byte-order mark.
    data = data.removeprefix(codecs.BOM_UTF8)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        number = data.count(b"\n", 0, exc.start) + 1
        raise DatasetError(
            f"{path}:{number}: not valid UTF-8 ({exc.reason}); save the file as UTF-8"
        ) from exc
    examples: list[LabelledExample] = []
    # Universal newlines, as the file would have been read in text mode.
    for number, line in enumerate(io.StringIO(text, newline=None), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise DatasetError(f"{path}:{number}: not valid JSON ({exc.msg})") from exc
        except RecursionError as exc:
            raise DatasetError(f"{path}:{number}: not valid JSON (nested too deeply)") from exc
        if not isinstance(row, dict) or not isinstance(row.get("text"), str):
            raise DatasetError(f"{path}:{number}: expected an object with a 'text' string")
        intent = row.get("intent")
        if intent is not None and not isinstance(intent, str):
            raise DatasetError(f"{path}:{number}: 'intent' must be a string or null")
        for key in ("text", "intent"):
            if not is_valid_unicode(row.get(key) or ""):
                raise DatasetError(
                    f"{path}:{number}: {key!r} has an unpaired \\uD800-\\uDFFF escape"
                )
        examples.append(LabelledExample(row["text"], intent or None))
    if not examples:
        raise DatasetError(f"{path}: no labelled messages")
    return examples


def is_valid_unicode(text: str) -> bool:
    """Whether ``text`` can be written out as UTF-8.

    JSON escapes can spell lone surrogates (``"\\ud800"``), and Python turns
    bytes that are not UTF-8 in arguments into them; printing one fails.
    """
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


@dataclass
class TopicRow:
    """Outcomes for one expected topic."""

    total: int = 0
    right: int = 0
    clarified: int = 0
    handed_off: int = 0
    wrong: int = 0


@dataclass
class Report:
    """The figures of one evaluation run."""

    total: int
    in_scope: int
    out_of_scope: int
    in_scope_answered_right: float
    out_of_scope_not_answered: float
    wrong_answers: float
    clarify_share: float
    ms_per_message: float
    ms_per_message_mean: float
    build_seconds: float
    per_topic: dict[str, TopicRow] = field(default_factory=dict)
    errors: list[tuple[str, str | None, Decision]] = field(default_factory=list)

    def as_json(self) -> dict[str, object]:
        """The machine-readable figures."""
        return {
            "in_scope_answered_right": round(self.in_scope_answered_right, 4),
            "out_of_scope_not_answered": round(self.out_of_scope_not_answered, 4),
            "wrong_answers": round(self.wrong_answers, 4),
            "ms_per_message": round(self.ms_per_message, 4),
            "build_seconds": round(self.build_seconds, 3),
            "clarify_share": round(self.clarify_share, 4),
            "messages": self.total,
            "in_scope": self.in_scope,
            "out_of_scope": self.out_of_scope,
        }


def evaluate(
    matcher: IntentMatcher, examples: Iterable[LabelledExample], build_seconds: float = 0.0
) -> Report:
    """Run the matcher over labelled messages and compute the figures."""
    rows: dict[str, TopicRow] = defaultdict(TopicRow)
    timings: list[float] = []
    counts: Counter[str] = Counter()
    errors: list[tuple[str, str | None, Decision]] = []
    examples = list(examples)
    for ex in examples:
        started = time.perf_counter()
        decision = matcher.decide(ex.text)
        timings.append((time.perf_counter() - started) * 1000.0)
        label = ex.intent or "(out of scope)"
        row = rows[label]
        row.total += 1
        answered = decision.action is Action.ANSWER
        if ex.intent is None:
            counts["oos"] += 1
            if answered:
                counts["wrong"] += 1
                row.wrong += 1
                errors.append((ex.text, ex.intent, decision))
            else:
                counts["oos_ok"] += 1
                row.right += 1
        else:
            counts["in"] += 1
            if answered and decision.intent == ex.intent:
                counts["in_ok"] += 1
                row.right += 1
            elif answered:
                counts["wrong"] += 1
                row.wrong += 1
                errors.append((ex.text, ex.intent, decision))
            else:
                if decision.action is Action.CLARIFY:
                    row.clarified += 1
                else:
                    row.handed_off += 1
                errors.append((ex.text, ex.intent, decision))
        if decision.action is Action.CLARIFY:
            counts["clarify"] += 1
    total = len(examples)
    return Report(
        total=total,
        in_scope=counts["in"],
        out_of_scope=counts["oos"],
        in_scope_answered_right=counts["in_ok"] / counts["in"] if counts["in"] else 0.0,
        out_of_scope_not_answered=counts["oos_ok"] / counts["oos"] if counts["oos"] else 1.0,
        wrong_answers=counts["wrong"] / total if total else 0.0,
        clarify_share=counts["clarify"] / total if total else 0.0,
        ms_per_message=statistics.median(timings) if timings else 0.0,
        ms_per_message_mean=statistics.fmean(timings) if timings else 0.0,
        build_seconds=build_seconds,
        per_topic=dict(sorted(rows.items())),
        errors=errors,
    )


def format_report(report: Report, *, show_errors: int = 0) -> str:
    """A human-readable report with a per-topic table."""
    lines = [
        f"{'topic':34} {'n':>4} {'right':>6} {'clarify':>8} {'handoff':>8} {'wrong':>6}",
    ]
    for topic, row in report.per_topic.items():
        lines.append(
            f"{topic:34} {row.total:>4} {row.right:>6} {row.clarified:>8} "
            f"{row.handed_off:>8} {row.wrong:>6}"
        )
    if show_errors:
        lines.append("")
        lines.append("misses (text | expected | action predicted confidence):")
        for text, expected, d in report.errors[:show_errors]:
            predicted = d.intent or ",".join(a.intent for a in d.alternatives[:2])
            lines.append(
                f"  {text[:70]!r} | {expected} | {d.action.value} {predicted} {d.confidence:.2f}"
            )
    lines += [
        "",
        f"messages: {report.total} "
        f"({report.in_scope} in scope, {report.out_of_scope} out of scope)",
        f"speed: {report.ms_per_message:.3f} ms per message (median), "
        f"{report.ms_per_message_mean:.3f} ms mean; matcher built in {report.build_seconds:.2f} s",
        f"in-scope answered right:      {report.in_scope_answered_right:7.1%}",
        f"out-of-scope not answered:    {report.out_of_scope_not_answered:7.1%}",
        f"wrong answers (all messages): {report.wrong_answers:7.1%}",
    ]
    return "\n".join(lines)
