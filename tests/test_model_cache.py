"""The built matcher on disk: reused while nothing changed, rebuilt when anything did."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot import model_cache
from bot.core.matching import IntentMatcher, LabelledExample
from bot.core.morphology import MorfeuszAnalyzer
from bot.services import build_engine

EXAMPLES = [
    *(
        LabelledExample(text, "kongres.when")
        for text in ["kiedy jest kongres", "termin kongresu", "data kongresu", "kongres kiedy"]
    ),
    *(
        LabelledExample(text, "kongres.where")
        for text in ["gdzie jest kongres", "miejsce kongresu", "adres kongresu", "kongres gdzie"]
    ),
    *(LabelledExample(text, None) for text in ["dziura w jezdni", "wywóz śmieci", "pogoda"]),
]
PROBES = ["kiedy kongres", "gdzie kongres", "kongres", "dziura", "🎉"]


class BuildCounter:
    """Counts builds of the matcher while a test runs (built in this process to count them)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.calls = 0
        original = IntentMatcher.build
        monkeypatch.setattr(model_cache, "build_in_child", lambda *args: False)

        def counting(*args: object, **kwargs: object) -> IntentMatcher:
            self.calls += 1
            return original(*args, **kwargs)  # type: ignore[arg-type]

        monkeypatch.setattr(IntentMatcher, "build", counting)


@pytest.fixture
def builds(monkeypatch: pytest.MonkeyPatch) -> BuildCounter:
    return BuildCounter(monkeypatch)


@pytest.fixture(scope="module")
def analyzer() -> MorfeuszAnalyzer:
    return MorfeuszAnalyzer()


def cached_files(folder: Path) -> list[Path]:
    return sorted(folder.glob("matcher-*.npz"))


def test_the_second_load_reads_the_file_and_decides_the_same(
    tmp_path: Path, builds: BuildCounter, analyzer: MorfeuszAnalyzer
) -> None:
    built = model_cache.load_or_build(EXAMPLES, analyzer, directory=tmp_path)
    assert builds.calls == 1
    assert len(cached_files(tmp_path)) == 1
    loaded = model_cache.load_or_build(EXAMPLES, analyzer, directory=tmp_path)
    assert builds.calls == 1, "a warm cache must not build again"
    for text in PROBES:
        assert loaded.decide(text) == built.decide(text), text
    assert loaded.thresholds == built.thresholds
    assert loaded.calibration == built.calibration


@pytest.mark.parametrize(
    "change",
    [
        [*EXAMPLES, LabelledExample("kiedy startuje kongres", "kongres.when")],  # one more
        [LabelledExample("kiedy jest kongres?", "kongres.when"), *EXAMPLES[1:]],  # one edited
        [*EXAMPLES[:-1], LabelledExample("pogoda", "kongres.where", negative=True)],  # relabelled
        list(reversed(EXAMPLES)),  # the same examples in another order
    ],
    ids=["added", "edited", "relabelled", "reordered"],
)
def test_changed_examples_are_built_again(
    tmp_path: Path,
    builds: BuildCounter,
    analyzer: MorfeuszAnalyzer,
    change: list[LabelledExample],
) -> None:
    model_cache.load_or_build(EXAMPLES, analyzer, directory=tmp_path)
    model_cache.load_or_build(change, analyzer, directory=tmp_path)
    assert builds.calls == 2
    assert len(cached_files(tmp_path)) == 2
    # Both versions stay readable: going back needs no build.
    model_cache.load_or_build(EXAMPLES, analyzer, directory=tmp_path)
    assert builds.calls == 2


def test_the_key_covers_code_and_package_versions(
    monkeypatch: pytest.MonkeyPatch, analyzer: MorfeuszAnalyzer
) -> None:
    key = model_cache.cache_key(EXAMPLES, analyzer)
    assert model_cache.cache_key(list(EXAMPLES), analyzer) == key
    monkeypatch.setattr(model_cache, "FORMAT", "torun-matcher-test")
    assert model_cache.cache_key(EXAMPLES, analyzer) != key
    monkeypatch.undo()
    real_version = model_cache.metadata.version

    def other_numpy(package: str) -> str:
        return "0.0-test" if package == "numpy" else real_version(package)

    monkeypatch.setattr(model_cache.metadata, "version", other_numpy)
    assert model_cache.cache_key(EXAMPLES, analyzer) != key


@pytest.mark.parametrize(
    "damage",
    [
        b"",
        b"not a zip file at all",
        b"PK\x03\x04" + b"\x00" * 40,
    ],
    ids=["empty", "garbage", "broken-zip"],
)
def test_a_corrupt_file_is_rebuilt_without_an_error(
    tmp_path: Path, builds: BuildCounter, analyzer: MorfeuszAnalyzer, damage: bytes
) -> None:
    built = model_cache.load_or_build(EXAMPLES, analyzer, directory=tmp_path)
    (path,) = cached_files(tmp_path)
    path.write_bytes(damage)
    again = model_cache.load_or_build(EXAMPLES, analyzer, directory=tmp_path)
    assert builds.calls == 2
    assert again.decide("kiedy kongres") == built.decide("kiedy kongres")
    # …and the file is good again.
    model_cache.load_or_build(EXAMPLES, analyzer, directory=tmp_path)
    assert builds.calls == 2


def test_a_truncated_or_foreign_file_is_rebuilt(
    tmp_path: Path, builds: BuildCounter, analyzer: MorfeuszAnalyzer
) -> None:
    model_cache.load_or_build(EXAMPLES, analyzer, directory=tmp_path)
    (path,) = cached_files(tmp_path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    model_cache.load_or_build(EXAMPLES, analyzer, directory=tmp_path)
    assert builds.calls == 2
    # A file renamed to another key (another content version) is not trusted.
    other = [*EXAMPLES, LabelledExample("kongres program", "kongres.when")]
    target = tmp_path / f"matcher-{model_cache.cache_key(other, analyzer)}.npz"
    path.replace(target)
    model_cache.load_or_build(other, analyzer, directory=tmp_path)
    assert builds.calls == 3


def test_an_unwritable_folder_still_gives_a_matcher(
    tmp_path: Path, builds: BuildCounter, analyzer: MorfeuszAnalyzer
) -> None:
    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder")
    matcher = model_cache.load_or_build(EXAMPLES, analyzer, directory=blocked / "model")
    assert matcher.decide("kiedy jest kongres").intent == "kongres.when"


def test_the_folder_comes_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv(model_cache.CACHE_ENV, str(tmp_path))
    assert model_cache.cache_dir() == tmp_path
    monkeypatch.setenv(model_cache.CACHE_ENV, "off")
    assert model_cache.cache_dir() is None
    monkeypatch.delenv(model_cache.CACHE_ENV)
    assert model_cache.cache_dir() == model_cache.DEFAULT_CACHE_DIR


def test_an_edited_intents_file_rebuilds_the_engines_matcher(
    content_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, builds: BuildCounter
) -> None:
    folder = tmp_path / "cache"
    monkeypatch.setenv(model_cache.CACHE_ENV, str(folder))
    build_engine(content_dir)
    build_engine(content_dir)
    assert builds.calls == 1
    intents = content_dir / "intents" / "bot.human.yaml"
    intents.write_text(
        intents.read_text(encoding="utf-8").replace(
            "examples:\n  pl:\n", "examples:\n  pl:\n    - poproszę rozmowę z konsultantem\n"
        ),
        encoding="utf-8",
    )
    engine = build_engine(content_dir)
    assert builds.calls == 2
    assert len(cached_files(folder)) == 2
    assert engine.matcher.decide("poproszę rozmowę z konsultantem").intent == "bot.human"


def test_a_missing_model_is_built_in_a_child_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, analyzer: MorfeuszAnalyzer
) -> None:
    def no_build_here(*args: object, **kwargs: object) -> IntentMatcher:
        raise AssertionError("the calling process must not train the model")

    monkeypatch.setattr(IntentMatcher, "build", no_build_here)
    matcher = model_cache.load_or_build(EXAMPLES, analyzer, directory=tmp_path)
    assert len(cached_files(tmp_path)) == 1
    assert matcher.decide("kiedy jest kongres").intent == "kongres.when"
    assert matcher.calibration  # what the child's build found is kept


def test_a_failing_child_falls_back_to_a_build_here(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, analyzer: MorfeuszAnalyzer
) -> None:
    monkeypatch.setattr(model_cache.sys, "executable", str(tmp_path / "no-such-python"))
    matcher = model_cache.load_or_build(EXAMPLES, analyzer, directory=tmp_path)
    assert matcher.decide("kiedy jest kongres").intent == "kongres.when"
    assert len(cached_files(tmp_path)) == 1


def test_the_bot_process_never_imports_scikit_learn(content_dir: Path, tmp_path: Path) -> None:
    """A cold cache is filled by a child process, a warm one read with numpy alone.

    scikit-learn and scipy would add ~60 MB to the running bot, and training
    ~200 MB more at its peak.
    """
    env = {**os.environ, model_cache.CACHE_ENV: str(tmp_path / "cache")}
    script = (
        "import sys\n"
        "from pathlib import Path\n"
        "from bot.services import build_engine\n"
        f"engine = build_engine(Path({str(content_dir)!r}))\n"
        "print(engine.matcher.decide('kiedy jest kongres').action.value)\n"
        "print(sorted(m for m in ('sklearn', 'scipy') if m in sys.modules))\n"
    )
    cold = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True
    )
    warm = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True
    )
    assert cold.stdout.splitlines() == ["answer", "[]"], cold.stdout
    assert warm.stdout.splitlines() == ["answer", "[]"], warm.stdout
    assert len(cached_files(tmp_path / "cache")) == 1


def test_the_folder_can_be_set_in_dot_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv(model_cache.CACHE_ENV, raising=False)
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".env").write_text(f"{model_cache.CACHE_ENV}={tmp_path / 'models'}\n")
    assert model_cache.cache_dir() == tmp_path / "models"
