"""(g) Leyzer 0.2.0 pl-PL: the matcher trained on its train split, scored on its test split.

Leyzer (Sowański & Janicki, 2020; the 0.2.0 FedCSIS release) is a corpus of
virtual-assistant commands in 193 intents. Its licence (CC BY-NC-ND) does
not allow it in this repository, so this step downloads the release archive
into ``bench/results/leyzer/`` (git-ignored), unpacks it, converts the Polish
train and test TSV files into the ``{"text", "intent"}`` JSON Lines that
``torun-bot eval`` reads, and runs

    torun-bot eval test.jsonl --train train.jsonl --json

as a separate process, plus the two anchors of :mod:`bench.anchors` on the
same split. Without network access, put the archive at
``bench/results/leyzer/leyzer-0.2.0-fedcsis.tar.gz`` by hand (or pass
``--archive``). Target (issue 10): accuracy >= 0.94 at <= 2 ms per message.
"""

from __future__ import annotations

import argparse
import csv
import json
import subprocess
import sys
import tarfile
import urllib.error
import urllib.request
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench.datasets import RESULTS_DIR
from bench.harness import environment, pin_hash_seed, write_json

NAME = "leyzer"
URL = "https://github.com/cartesinus/leyzer/raw/0.2.0/corpora/0.2.0/leyzer-0.2.0-fedcsis.tar.gz"
FOLDER = RESULTS_DIR / "leyzer"
ARCHIVE = FOLDER / "leyzer-0.2.0-fedcsis.tar.gz"
TARGET_ACCURACY = 0.94
TARGET_MS = 2.0
#: Column names that hold the utterance and the intent (the header is matched case-insensitively).
TEXT_COLUMNS = ("utt", "utterance", "text", "sentence", "query")
INTENT_COLUMNS = ("intent", "label")


class LeyzerError(Exception):
    """A problem to report in one line."""


def fetch(archive: Path) -> Path:
    """The release archive, downloaded unless it is there already."""
    if archive.is_file():
        return archive
    archive.parent.mkdir(parents=True, exist_ok=True)
    partial = archive.with_suffix(".part")
    try:
        with urllib.request.urlopen(URL, timeout=30) as response, partial.open("wb") as out:
            while chunk := response.read(1 << 16):
                out.write(chunk)
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        partial.unlink(missing_ok=True)
        reason = getattr(exc, "reason", exc)
        raise LeyzerError(
            f"cannot download {URL} ({reason}); put the archive at {archive} and run again"
        ) from exc
    partial.replace(archive)
    return archive


def unpack(archive: Path, folder: Path) -> Path:
    """Unpack the archive once (only regular files and folders, inside ``folder``)."""
    target = folder / "unpacked"
    if not target.is_dir():
        try:
            with tarfile.open(archive) as tar:
                tar.extractall(target, filter="data")
        except (tarfile.TarError, OSError) as exc:
            raise LeyzerError(f"{archive}: not a readable .tar.gz ({exc})") from exc
    return target


def polish_split(root: Path, split: str) -> Path:
    """The pl-PL TSV file of a split ("train" or "test") in the unpacked archive."""
    candidates = sorted(
        p
        for p in root.rglob("*")
        if p.is_file()
        and split in p.name.lower()
        and ("pl-pl" in str(p).lower() or "pl_pl" in str(p).lower())
        and p.suffix.lower() in {".tsv", ".csv", ".txt"}
    )
    if not candidates:
        raise LeyzerError(f"no pl-PL {split} file found under {root}")
    return candidates[0]


def convert(tsv: Path, jsonl: Path) -> int:
    """Write the TSV's (utterance, intent) rows as JSON Lines; return the row count."""
    with tsv.open(encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle, delimiter="\t")
        header = [h.strip().lower() for h in next(reader, [])]
        text_at = next((header.index(c) for c in TEXT_COLUMNS if c in header), None)
        intent_at = next((header.index(c) for c in INTENT_COLUMNS if c in header), None)
        if text_at is None or intent_at is None:
            raise LeyzerError(f"{tsv}: no utterance/intent columns in the header {header}")
        rows = 0
        with jsonl.open("w", encoding="utf-8") as out:
            for row in reader:
                if len(row) <= max(text_at, intent_at) or not row[text_at].strip():
                    continue
                record = {"text": row[text_at].strip(), "intent": row[intent_at].strip()}
                out.write(json.dumps(record, ensure_ascii=False) + "\n")
                rows += 1
    return rows


def evaluate_split(train: Path, test: Path) -> dict[str, Any]:
    """``torun-bot eval test --train train --json`` in a process of its own."""
    command = [sys.executable, "-m", "bot", "eval", str(test), "--train", str(train), "--json"]
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        raise LeyzerError(f"torun-bot eval failed: {done.stderr.strip()[-400:]}")
    figures: dict[str, Any] = json.loads(done.stdout)
    return figures


def run(archive: Path) -> dict[str, Any]:
    """Fetch, convert and evaluate; return the figures."""
    from bench import anchors
    from bot.evaluation import read_labelled

    root = unpack(fetch(archive), archive.parent)
    train_jsonl, test_jsonl = FOLDER / "pl-PL-train.jsonl", FOLDER / "pl-PL-test.jsonl"
    sizes = {
        "train": convert(polish_split(root, "train"), train_jsonl),
        "test": convert(polish_split(root, "test"), test_jsonl),
    }
    matcher = evaluate_split(train_jsonl, test_jsonl)
    train, test = read_labelled(train_jsonl), read_labelled(test_jsonl)
    return {
        "target": {"accuracy": TARGET_ACCURACY, "ms_per_message": TARGET_MS},
        "messages": sizes,
        "intents": len({ex.intent for ex in train}),
        "matcher": matcher,
        "anchors": anchors.both(train, test),
    }


def main(argv: Sequence[str] | None = None) -> int:
    """Run the Leyzer step; a missing download is one line on stderr and exit code 2."""
    if argv is None:
        pin_hash_seed("bench.leyzer")
    parser = argparse.ArgumentParser(prog="python -m bench.leyzer", description=__doc__)
    parser.add_argument("--archive", type=Path, default=ARCHIVE, help="the release .tar.gz")
    parser.add_argument("--output", type=Path, default=RESULTS_DIR / "leyzer.json")
    args = parser.parse_args(argv)
    try:
        result = run(args.archive)
    except LeyzerError as exc:
        print(f"leyzer: {exc}", file=sys.stderr)
        return 2
    write_json(args.output, {**environment(), "command": "python -m bench.leyzer", **result})
    m = result["matcher"]
    print(
        f"Leyzer 0.2.0 pl-PL: {result['messages']['train']} train / {result['messages']['test']} "
        f"test messages, {result['intents']} intents; matcher in-scope answered right "
        f"{m['in_scope_answered_right']:.1%} at {m['ms_per_message']:.3f} ms/message "
        f"(target >= {TARGET_ACCURACY:.0%}, <= {TARGET_MS} ms)"
    )
    for name, a in result["anchors"].items():
        print(f"anchor {name}: accuracy {a['accuracy']:.1%}, {a['time']['median_ms']:.3f} ms")
    print(f"figures written to {args.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
