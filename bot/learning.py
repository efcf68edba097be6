"""``torun-bot export-learned``: staff-approved examples into intents/ for review.

Staff attach a person's question to a topic in Telegram ("Dodaj do bazy
wiedzy"). This command appends those examples to ``intents/<topic>.yaml``
under ``examples.<lang>``, marked with a comment, checks the result, and marks
them exported. The change is then reviewed like any other content edit.
"""

from __future__ import annotations

import argparse
import json
import os
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

from bot.config import read_environment
from bot.content.loader import check_content
from bot.storage import repository as repo
from bot.storage.database import Database
from bot.storage.models import LearnedExampleRow

_LANG_KEY = re.compile(r"^(\s+)(pl|en|uk):\s*$")


def _yaml_string(text: str) -> str:
    """A YAML double-quoted scalar (JSON strings are valid YAML)."""
    return json.dumps(" ".join(text.split()), ensure_ascii=False)


def insert_examples(source: str, lang: str, examples: list[str], stamp: str) -> str:
    """Append examples to ``examples.<lang>`` of an intents file's text."""
    lines = source.splitlines()
    in_examples = False
    target_end: int | None = None
    item_indent = "    - "
    for index, line in enumerate(lines):
        if line.startswith("examples:"):
            in_examples = True
            continue
        if in_examples and line and not line.startswith(" "):
            in_examples = False
        if not in_examples:
            continue
        match = _LANG_KEY.match(line)
        if match and match.group(2) == lang:
            target_end = index
            for follow in range(index + 1, len(lines)):
                stripped = lines[follow].strip()
                if not stripped or stripped.startswith("#"):
                    continue
                if stripped.startswith("- ") and lines[follow].startswith(match.group(1) + " "):
                    target_end = follow
                    item_indent = (
                        lines[follow][: len(lines[follow]) - len(lines[follow].lstrip())] + "- "
                    )
                    continue
                break
    block = [f"{item_indent[:-2]}# learned from the Biuro inbox, exported {stamp}"]
    block += [f"{item_indent}{_yaml_string(e)}" for e in examples]
    if target_end is None:
        # No list for this language yet: add it at the end of examples.
        insert_at = next(
            (i for i, line in enumerate(lines) if line.startswith("examples:")), len(lines)
        )
        end = insert_at + 1
        while end < len(lines) and (not lines[end] or lines[end].startswith(" ")):
            end += 1
        new = [f"  {lang}:"] + [f"    - {_yaml_string(e)}" for e in examples]
        lines[end:end] = new
    else:
        lines[target_end + 1 : target_end + 1] = block
    return "\n".join(lines) + "\n"


def export_learned(args: argparse.Namespace, out: TextIO) -> int:
    """Write pending learned examples into intents/ and mark them exported."""
    env = read_environment()
    url = env.get("DATABASE_URL") or "sqlite:///torun-bot.sqlite3"
    root = Path(
        args.content_dir or env.get("CONTENT_DIR") or Path(__file__).resolve().parent.parent
    )
    intents_dir = Path(args.output_dir) if args.output_dir else root / "intents"
    db = Database.connect(url)
    try:
        pending: list[LearnedExampleRow] = db.call(repo.pending_learned_examples)
        if not pending:
            out.write("no learned examples to export\n")
            return 0
        stamp = datetime.now(UTC).date().isoformat()
        grouped: dict[tuple[str, str], list[LearnedExampleRow]] = {}
        for row in pending:
            grouped.setdefault((row.topic, row.language), []).append(row)
        originals: dict[Path, str] = {}
        written: list[int] = []
        for (topic, lang), rows in sorted(grouped.items()):
            path = intents_dir / f"{topic}.yaml"
            if not path.is_file():
                out.write(f"skipped {len(rows)} example(s): no intents file for {topic}\n")
                continue
            text = path.read_text(encoding="utf-8")
            originals.setdefault(path, text)
            path.write_text(
                insert_examples(text, lang, [r.text for r in rows], stamp), encoding="utf-8"
            )
            written += [r.id for r in rows if r.id is not None]
            out.write(f"{path}: +{len(rows)} {lang} example(s)\n")
        _content, problems = check_content(
            root, max_age_days=int(os.environ.get("CONTENT_MAX_AGE_DAYS", "365"))
        )
        errors = [p for p in problems if not p.stale and p.file.startswith("intents")]
        if errors:
            for path, text in originals.items():
                path.write_text(text, encoding="utf-8")
            for problem in errors:
                out.write(f"{problem}\n")
            out.write("export undone: the examples would make the content invalid\n")
            return 1
        db.call(repo.mark_exported, written, datetime.now(UTC))
        out.write(f"exported {len(written)} example(s); review them with `git diff intents/`\n")
        return 0
    finally:
        db.close()
