"""Where the benchmark inputs live, and reading them.

The realistic message mix is the development questions shared with the
project (``/work/shared/data/dev_questions.jsonl``, outside the repository)
plus the labelled sets in ``bench/data/`` (``holdout``, ``blind``, ``blind2``, ``blind3``;
see bench/README.md for how each was written). The dev path can be
overridden with an environment variable for other machines; a missing file is
skipped with a note rather than failing the whole run.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from bot.core.matching import LabelledExample
from bot.services import PROJECT_ROOT

BENCH_DIR = Path(__file__).resolve().parent
RESULTS_DIR = BENCH_DIR / "results"
HOLDOUT_PATH = BENCH_DIR / "data" / "holdout.jsonl"
BLIND_PATHS = tuple(BENCH_DIR / "data" / f"{name}.jsonl" for name in ("blind", "blind2", "blind3"))
DEV_QUESTIONS_PATH = Path(
    os.environ.get("BENCH_DEV_QUESTIONS", "/work/shared/data/dev_questions.jsonl")
)
SEEDS_DIR = Path(os.environ.get("BENCH_SEEDS_DIR", "/work/shared/seeds"))
INTENTS_DIR = PROJECT_ROOT / "intents"


@dataclass(frozen=True)
class Message:
    """One labelled message of an evaluation file (intent None = out of scope)."""

    text: str
    intent: str | None
    lang: str

    def labelled(self) -> LabelledExample:
        """The message as the matcher's labelled example."""
        return LabelledExample(self.text, self.intent)


@dataclass(frozen=True)
class MessageSet:
    """A named evaluation file."""

    name: str
    path: Path
    messages: tuple[Message, ...]

    def labelled(self) -> list[LabelledExample]:
        """All messages as labelled examples (for :func:`bot.evaluation.evaluate`)."""
        return [m.labelled() for m in self.messages]

    def texts(self) -> list[str]:
        """The message texts in file order."""
        return [m.text for m in self.messages]


def read_messages(name: str, path: Path) -> MessageSet:
    """Read ``{"text", "intent", "lang"}`` lines; ``lang`` defaults to ``pl``."""
    messages: list[Message] = []
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            if not line.strip():
                continue
            row = json.loads(line)
            messages.append(Message(row["text"], row.get("intent") or None, row.get("lang", "pl")))
    return MessageSet(name, path, tuple(messages))


def evaluation_sets() -> tuple[list[MessageSet], list[str]]:
    """The labelled sets that exist here, and notes on missing ones."""
    sets: list[MessageSet] = []
    notes: list[str] = []
    named = [("dev_questions", DEV_QUESTIONS_PATH), ("holdout", HOLDOUT_PATH)]
    named += [(path.stem, path) for path in BLIND_PATHS]
    for name, path in named:
        if path.is_file():
            sets.append(read_messages(name, path))
        else:
            notes.append(f"{name}: {path} not found, skipped")
    return sets, notes
