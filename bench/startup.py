"""(f) Start-up of ``torun-bot ask`` on a warm model cache, as a new process each time.

The model is built (or found) in the cache first, then ``torun-bot ask "kiedy
kongres"`` runs as a child process several times; each run's wall time is
taken around the process and its peak resident memory from ``os.wait4``.
Anchors in the same run: a bare ``python -c pass`` and ``python -c "import
numpy"`` (what any start-up pays before the project's own code). A cold run
(cache folder empty) is timed once too. Target: warm start-up <= 1.5 s.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench.harness import run_module
from bot.content import load_content
from bot.core.morphology import make_analyzer
from bot.model_cache import CACHE_ENV, load_or_build
from bot.services import PROJECT_ROOT

NAME = "startup"
TARGET_SECONDS = 1.5
RUNS = 7
QUICK_RUNS = 3
QUESTION = "kiedy kongres"


# Spawns the command and reports its wall time and peak RSS. A small process
# of its own, so that the child's peak RSS is not the (larger) one of the
# benchmark process it would otherwise be forked from.
_LAUNCHER = """
import os, subprocess, sys, time
started = time.perf_counter()
child = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
_pid, status, usage = os.wait4(child.pid, 0)
wall = time.perf_counter() - started
error = child.stderr.read().decode(errors="replace")[-500:]
print(wall, usage.ru_maxrss, os.waitstatus_to_exitcode(status), repr(error))
"""


def _child(argv: Sequence[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall seconds and peak RSS (MB) of one child process."""
    out = subprocess.run(
        [sys.executable, "-c", _LAUNCHER, *argv], env=env, capture_output=True, text=True
    )
    wall, rss_kb, code, error = out.stdout.split(" ", 3)
    if int(code) != 0 or out.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} failed ({code}): {error}{out.stderr[-300:]}")
    return float(wall), float(rss_kb) / 1024.0  # ru_maxrss is in kilobytes on Linux


def _series(argv: Sequence[str], env: dict[str, str], runs: int) -> dict[str, Any]:
    samples = [_child(argv, env) for _ in range(runs)]
    walls = [w for w, _rss in samples]
    return {
        "runs": runs,
        "median_seconds": round(statistics.median(walls), 3),
        "min_seconds": round(min(walls), 3),
        "max_seconds": round(max(walls), 3),
        "peak_rss_mb": round(max(rss for _w, rss in samples), 1),
    }


def run(quick: bool = False) -> dict[str, Any]:
    """Time the warm and cold start-up of ``ask`` and its anchors."""
    runs = QUICK_RUNS if quick else RUNS
    cli = str(Path(sys.executable).with_name("torun-bot"))
    ask = [cli, "ask", QUESTION] if Path(cli).exists() else [sys.executable, "-m", "bot", "ask"]
    if ask[1] == "-m":
        ask.append(QUESTION)
    with tempfile.TemporaryDirectory(prefix="bench-model-cache-") as folder:
        env = {**os.environ, CACHE_ENV: folder}
        cold_wall, cold_rss = _child(ask, env)
        # The cache is warm now; check that it holds the shipped content's model.
        content = load_content(PROJECT_ROOT)
        load_or_build(content.labelled_examples(), make_analyzer(), directory=Path(folder))
        warm = _series(ask, env, runs)
    return {
        "target_seconds": TARGET_SECONDS,
        "command": " ".join([Path(ask[0]).name, *ask[1:]]),
        "warm": warm,
        "cold": {"seconds": round(cold_wall, 3), "peak_rss_mb": round(cold_rss, 1)},
        "anchors": {
            "python -c pass": _series([sys.executable, "-c", "pass"], dict(os.environ), runs),
            "python -c 'import numpy'": _series(
                [sys.executable, "-c", "import numpy"], dict(os.environ), runs
            ),
        },
    }


def summary(result: dict[str, Any]) -> str:
    """A readable table of the figures."""
    w, c = result["warm"], result["cold"]
    lines = [
        f"(f) start-up of `{result['command']}`, a new process per run",
        f"warm cache: median {w['median_seconds']:.2f} s over {w['runs']} runs "
        f"({w['min_seconds']:.2f}-{w['max_seconds']:.2f} s), peak RSS {w['peak_rss_mb']:.0f} MB; "
        f"target <= {result['target_seconds']} s",
        f"cold cache (builds and stores the model): {c['seconds']:.2f} s, "
        f"peak RSS {c['peak_rss_mb']:.0f} MB",
    ]
    for name, a in result["anchors"].items():
        lines.append(
            f"anchor {name}: median {a['median_seconds']:.3f} s, peak RSS {a['peak_rss_mb']:.0f} MB"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark from the command line."""
    return run_module(NAME, __doc__.split("\n\n")[0], run, summary, argv)


if __name__ == "__main__":
    raise SystemExit(main())
