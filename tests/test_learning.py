"""export-learned: examples staff approved are appended to intents/ and checked."""

from __future__ import annotations

import argparse
import io
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml

from bot.learning import export_learned, insert_examples
from bot.storage.database import Database
from bot.storage.repository import SqlInboxStore

ROOT = Path(__file__).resolve().parent.parent
NOW = datetime(2026, 11, 22, 11, 0, tzinfo=UTC)

SAMPLE = """topic: ngo.premises
examples:
  pl:
    - sala dla stowarzyszenia
    - lokal dla NGO
  en:
    - room for an NGO
negative:
  - lokal na sklep
"""


def test_examples_are_appended_to_the_right_language() -> None:
    text = insert_examples(SAMPLE, "pl", ['czy jest "sala" na Skarpie?'], "2026-11-22")
    data = yaml.safe_load(text)
    assert data["examples"]["pl"][-1] == 'czy jest "sala" na Skarpie?'
    assert data["examples"]["en"] == ["room for an NGO"]
    assert data["negative"] == ["lokal na sklep"]
    assert "# learned from the Biuro inbox, exported 2026-11-22" in text


def test_a_missing_language_list_is_created() -> None:
    text = insert_examples(SAMPLE, "uk", ["приміщення для організації"], "2026-11-22")
    data = yaml.safe_load(text)
    assert data["examples"]["uk"] == ["приміщення для організації"]
    assert data["examples"]["pl"] == ["sala dla stowarzyszenia", "lokal dla NGO"]


@pytest.fixture
def content_copy(tmp_path: Path) -> Path:
    for name in ("intents", "knowledge", "locales"):
        shutil.copytree(ROOT / name, tmp_path / name)
    return tmp_path


def test_export_writes_checks_and_marks(
    content_copy: Path, tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = Database.connect(database_url)
    db.call(
        lambda s: SqlInboxStore(s).add_learned_example(
            "ngo.premises",
            "Czy miasto ma salę dla naszego chóru na Skarpie?",
            "pl",
            None,
            "Jan",
            NOW,
        )
    )
    db.close()
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.chdir(tmp_path)
    out = io.StringIO()
    args = argparse.Namespace(content_dir=str(content_copy), output_dir=None)

    assert export_learned(args, out) == 0, out.getvalue()
    written = yaml.safe_load((content_copy / "intents" / "ngo.premises.yaml").read_text("utf-8"))
    assert "Czy miasto ma salę dla naszego chóru na Skarpie?" in written["examples"]["pl"]

    again = io.StringIO()
    assert export_learned(args, again) == 0
    assert "no learned examples to export" in again.getvalue()


def test_export_is_undone_when_it_would_break_the_content(
    content_copy: Path, tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    premises = (content_copy / "intents" / "ngo.premises.yaml").read_text("utf-8")
    existing = yaml.safe_load(premises)["examples"]["pl"][0]
    db = Database.connect(database_url)
    # The same sentence already belongs to another topic: check refuses it.
    db.call(
        lambda s: SqlInboxStore(s).add_learned_example(
            "ngo.training", existing, "pl", None, "Jan", NOW
        )
    )
    db.close()
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.chdir(tmp_path)
    out = io.StringIO()
    args = argparse.Namespace(content_dir=str(content_copy), output_dir=None)

    assert export_learned(args, out) == 1
    assert "export undone" in out.getvalue()
    training = content_copy / "intents" / "ngo.training.yaml"
    assert existing not in yaml.safe_load(training.read_text("utf-8"))["examples"]["pl"]
