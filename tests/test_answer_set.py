"""The labelled answer set over the shipped content (issue 9, AC1).

``tests/data/answers.jsonl`` was written by another author from the facts
sheet only, without seeing knowledge/ (format: tests/data/answers.FORMAT.md);
it is copied here unchanged. Each question is asked at its own moment and in
its own language; it passes when one of the expected spellings of the fact
appears in the first 200 characters of the reply. ``python -m bench.answers``
prints the same figures with every failure.
"""

from __future__ import annotations

import pytest

from bot.answerset import Report, evaluate, read_cases
from bot.services import PROJECT_ROOT, Engine

ANSWER_SET = PROJECT_ROOT / "tests" / "data" / "answers.jsonl"


@pytest.fixture(scope="module")
def report(shipped_engine: Engine) -> Report:
    return evaluate(shipped_engine.assistant, read_cases(ANSWER_SET))


def test_the_set_is_big_enough_and_well_formed(report: Report) -> None:
    assert len(report.outcomes) >= 60
    assert all(o.case.expect for o in report.outcomes)


def test_median_reply_length_is_at_most_600_characters(report: Report) -> None:
    assert report.median_length <= 600, report.median_length


def test_the_fact_leads_the_reply_when_the_topic_is_right(report: Report) -> None:
    # The answering layer's share of AC1: where the matcher chose the expected
    # topic, the reply states the expected fact early.
    right = [o for o in report.outcomes if o.reply.intent == o.case.topic]
    passed = sum(o.passed for o in right)
    assert len(right) >= 60
    assert passed / len(right) >= 0.9, f"{passed}/{len(right)}"


@pytest.mark.xfail(
    strict=True,
    reason=(
        "issue 9 AC1 (>= 90% overall) is not met yet: 10 of the 90 questions are handed over, "
        "clarified or routed to another topic by the matcher (intents/, not the answers), and "
        "the set assumes the 2024 Kongres was public before September 2024 (knowledge/ says "
        "1 September 2024); see bench/README.md, section (f)"
    ),
)
def test_at_least_90_percent_of_the_replies_state_the_fact(report: Report) -> None:
    assert report.pass_rate >= 0.9, f"{report.passed}/{len(report.outcomes)}"
