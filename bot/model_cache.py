"""The built matcher cached on disk, so start-up and ``ask`` do not train again.

Building the matcher trains a classifier with scikit-learn and
cross-validates its gates (a few seconds). The result is stored as one
``.npz`` file of plain numpy arrays plus JSON metadata (no pickle), named by
a key that hashes

* every training example (text, topic, negative flag) in order,
* the source of the modules that build and run the model (any code change
  makes a new key),
* the versions of the packages that shape the model (numpy, morfeusz2,
  rapidfuzz, scikit-learn, scipy) and the analyser's name.

A missing, stale, unreadable or corrupt file is rebuilt (and logged), never
an error. The build runs in a child process, so the process that asked for
the model never imports scikit-learn. The folder is ``MODEL_CACHE_DIR`` when
set, else ``.cache/model`` in the checkout (git-ignored);
``MODEL_CACHE_DIR=off`` turns the cache off (and builds in the process).
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import os
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

from bot.core import classifier, matching, morphology, text, tuning
from bot.core.matching import IntentMatcher, LabelledExample
from bot.core.morphology import Analyzer

logger = logging.getLogger(__name__)

#: The environment variable naming the cache folder ("off" disables the cache).
CACHE_ENV = "MODEL_CACHE_DIR"
DEFAULT_CACHE_DIR = Path(__file__).resolve().parent.parent / ".cache" / "model"
#: Bumped when the file layout changes (code changes are covered by the source hash).
FORMAT = "torun-matcher-1"
#: Cached models kept per folder (older ones are removed when a new one is written).
KEEP = 6
_MODEL_MODULES = (matching, classifier, tuning, morphology, text)
_MODEL_PACKAGES = ("numpy", "morfeusz2", "rapidfuzz", "scikit-learn", "scipy")
#: Analysers a child process can make by name (bot.core.morphology.make_analyzer).
_NAMED_ANALYSERS = ("morfeusz2", "simplemma", "none")
#: A build of the shipped content takes ~5 s; this only stops a hung child.
_CHILD_TIMEOUT = 600


def cache_dir() -> Path | None:
    """The cache folder from the environment or ``.env``, or None when the cache is off."""
    from bot.config import read_environment  # the bot's own settings are read the same way

    value = read_environment().get(CACHE_ENV, "").strip()
    if value.lower() in {"off", "none", "0", "false"}:
        return None
    return Path(value) if value else DEFAULT_CACHE_DIR


def cache_key(examples: Sequence[LabelledExample], analyzer: Analyzer) -> str:
    """A hash of the examples, the model code and the package versions."""
    digest = hashlib.sha256(FORMAT.encode())
    for module in _MODEL_MODULES:
        source = getattr(module, "__file__", None)
        digest.update(Path(source).read_bytes() if source else module.__name__.encode())
    for package in _MODEL_PACKAGES:
        try:
            version = metadata.version(package)
        except metadata.PackageNotFoundError:
            version = "-"
        digest.update(f"\x00{package}={version}".encode())
    digest.update(f"\x00analyser={analyzer.name}".encode())
    for ex in examples:
        digest.update(json.dumps([ex.text, ex.intent, ex.negative], ensure_ascii=False).encode())
        digest.update(b"\n")
    return digest.hexdigest()[:32]


def load_or_build(
    examples: Sequence[LabelledExample],
    analyzer: Analyzer,
    *,
    directory: Path | None = None,
    use_cache: bool = True,
) -> IntentMatcher:
    """The matcher for ``examples``: from the cache when it is there, else built and stored.

    A missing model is built in a child process (``python -m bot.model_cache``)
    and read back from the file it writes, so the calling process (the
    running bot) never imports scikit-learn and scipy nor holds the memory
    training takes (~300 MB at its peak with the shipped content); if the
    child fails, the model is built here instead.
    """
    folder = directory if directory is not None else cache_dir()
    if not use_cache or folder is None:
        return IntentMatcher.build(examples, analyzer=analyzer)
    key = cache_key(examples, analyzer)
    path = folder / f"matcher-{key}.npz"
    if path.is_file():
        try:
            matcher = read(path, analyzer, key)
        except Exception as exc:  # a damaged file of any kind is rebuilt, never fatal
            logger.warning("model cache %s unreadable (%s); building again", path, exc)
        else:
            logger.info("matcher loaded from the cache (%s)", path.name)
            return matcher
    if build_in_child(examples, analyzer, path, key):
        try:
            return read(path, analyzer, key)
        except Exception as exc:  # the child wrote something unreadable: build here
            logger.warning("model built in a child process unreadable (%s)", exc)
    matcher = IntentMatcher.build(examples, analyzer=analyzer)
    try:
        write(path, matcher, key)
    except OSError as exc:
        logger.warning("model cache %s not written: %s", path, exc)
    else:
        _prune(folder, keep=path)
    return matcher


def build_in_child(
    examples: Sequence[LabelledExample], analyzer: Analyzer, path: Path, key: str
) -> bool:
    """Build and store the model in a child process; tell whether it worked."""
    if analyzer.name not in _NAMED_ANALYSERS:
        return False  # an analyser the child could not make by its name
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(prefix="matcher-build-") as folder:
            request = Path(folder) / "examples.json"
            rows = [[ex.text, ex.intent, ex.negative] for ex in examples]
            request.write_text(json.dumps(rows, ensure_ascii=False), encoding="utf-8")
            command = [sys.executable, "-m", "bot.model_cache", str(request), analyzer.name]
            done = subprocess.run(
                [*command, str(path), key], capture_output=True, text=True, timeout=_CHILD_TIMEOUT
            )
    except (OSError, subprocess.SubprocessError) as exc:
        logger.warning("model not built in a child process (%s); building here", exc)
        return False
    if done.returncode != 0:
        logger.warning("model build in a child process failed: %s", done.stderr.strip()[-500:])
        return False
    _prune(path.parent, keep=path)
    return True


def _child_main(argv: Sequence[str]) -> int:
    """``python -m bot.model_cache EXAMPLES.json ANALYSER PATH KEY``: build and store one model."""
    request, analyser_name, target, key = argv
    from bot.core.morphology import make_analyzer

    rows = json.loads(Path(request).read_text(encoding="utf-8"))
    examples = [LabelledExample(text, intent, bool(negative)) for text, intent, negative in rows]
    analyzer = make_analyzer(analyser_name)
    if cache_key(examples, analyzer) != key:
        print("the examples do not match the key", file=sys.stderr)
        return 2
    write(Path(target), IntentMatcher.build(examples, analyzer=analyzer), key)
    return 0


def write(path: Path, matcher: IntentMatcher, key: str) -> None:
    """Store a matcher atomically (a temporary file renamed into place)."""
    meta, arrays = matcher.to_state()
    meta = {"format": FORMAT, "key": key, **meta}
    payload = json.dumps(meta, ensure_ascii=False).encode("utf-8")
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=".matcher-", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as out:
            np.savez(out, meta=np.frombuffer(payload, dtype=np.uint8), **arrays)  # type: ignore[arg-type]
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def read(path: Path, analyzer: Analyzer, key: str) -> IntentMatcher:
    """Load a stored matcher; raises if the file is damaged or for another key."""
    data = path.read_bytes()
    arrays: dict[str, Any]
    with np.load(io.BytesIO(data), allow_pickle=False) as npz:
        arrays = {name: npz[name] for name in npz.files}
    meta = json.loads(arrays.pop("meta").tobytes().decode("utf-8"))
    if meta.get("format") != FORMAT or meta.get("key") != key:
        raise ValueError("the file belongs to another model version")
    return IntentMatcher.from_state(meta, arrays, analyzer)


def _prune(folder: Path, *, keep: Path) -> None:
    """Remove all but the newest cached models (and leftovers of interrupted writes)."""
    try:
        entries = sorted(
            (p for p in folder.glob("matcher-*.npz") if p != keep),
            key=lambda p: p.stat().st_mtime,
            reverse=True,
        )
        for old in entries[KEEP - 1 :]:
            old.unlink(missing_ok=True)
    except OSError as exc:
        logger.debug("model cache not pruned: %s", exc)


if __name__ == "__main__":
    raise SystemExit(_child_main(sys.argv[1:]))
