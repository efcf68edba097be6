"""Which fact of the topic answers the question (bot.core.facts) on the shipped content.

``tests/data/fact_probes.jsonl`` holds questions written by the author of the
knowledge base, each with the topic and the fact(s) that answer it: a
development set (the scorer's weights were chosen on it), so this is a
regression test, not an estimate for unseen questions (that is the answer
set of test_answer_set.py).
"""

from __future__ import annotations

import json
from datetime import datetime

import pytest

from bot.core.dates import local_now
from bot.core.facts import FactIndex
from bot.services import PROJECT_ROOT, Engine

PROBES = [
    json.loads(line)
    for line in (PROJECT_ROOT / "tests" / "data" / "fact_probes.jsonl")
    .read_text("utf-8")
    .splitlines()
    if line.strip()
]


@pytest.fixture(scope="module")
def index(shipped_engine: Engine) -> FactIndex:
    return FactIndex(shipped_engine.matcher.lexicon)


def lead(engine: Engine, index: FactIndex, probe: dict[str, object]) -> list[str]:
    topic = engine.content.knowledge.topics[str(probe["topic"])]
    day = local_now(datetime.fromisoformat(str(probe["now"]))).date()
    return [f.id for f in index.leading(topic, str(probe["text"]), topic.visible_facts(day))]


def test_most_probes_lead_with_an_expected_fact(shipped_engine: Engine, index: FactIndex) -> None:
    misses = [
        (p["text"], p["facts"], got)
        for p in PROBES
        if not (got := lead(shipped_engine, index, p)) or got[0] not in p["facts"]  # type: ignore[operator]
    ]
    assert len(PROBES) >= 50
    # 52 of 56 when this was written; a drop of more than two is a regression.
    assert len(misses) <= 6, misses


def test_the_fact_known_at_the_date_is_chosen(shipped_engine: Engine, index: FactIndex) -> None:
    probe = {"topic": "office.contact", "text": "kto kieruje biurem dialogu"}
    assert lead(shipped_engine, index, {**probe, "now": "2025-02-01"})[0] == "plenipotentiary"
    assert lead(shipped_engine, index, {**probe, "now": "2026-12-02"})[0] == "director"


def test_a_question_no_fact_answers_leads_with_nothing(
    shipped_engine: Engine, index: FactIndex
) -> None:
    probe = {"topic": "grants.microgrants", "text": "mikrogranty", "now": "2026-12-02"}
    assert lead(shipped_engine, index, probe) == []
