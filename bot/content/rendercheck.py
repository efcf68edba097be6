"""Render every answer as a person would get it and check Telegram's limits."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from pathlib import Path

from bot.content.loader import MESSAGE_LIMIT, Content, Problem
from bot.core.answering import Assistant
from bot.core.dates import WARSAW
from bot.core.html import html_problems, visible_length
from bot.core.knowledge import LANGUAGES
from bot.core.matching import IntentMatcher, LabelledExample
from bot.core.morphology import NullAnalyzer
from bot.core.translation import IdentityTranslator


def _moments(content: Content, today: date) -> list[datetime]:
    """Today, and before, during and after every known Kongres edition."""
    moments = [datetime.combine(today, time(12, 0), tzinfo=WARSAW)]
    for edition in content.knowledge.kongres:
        for day in (edition.first_day - timedelta(days=3), edition.first_day, edition.last_day):
            moments.append(datetime.combine(day, time(11, 0), tzinfo=WARSAW))
    return moments


def render_problems(root: Path, content: Content, today: date | None) -> list[Problem]:
    """Problems found by rendering every topic in every language."""
    # Rendering needs no real matcher; a tiny one keeps the check fast.
    matcher = IntentMatcher.build(
        [LabelledExample("x", next(iter(content.knowledge.topics)))], analyzer=NullAnalyzer()
    )
    assistant = Assistant(
        knowledge=content.knowledge, matcher=matcher, translator=IdentityTranslator
    )
    problems: list[Problem] = []
    for topic in content.knowledge.topics.values():
        loc = topic.location
        for lang in LANGUAGES:
            for moment in _moments(content, today or date.today()):
                reply = assistant.topic_reply(topic.id, lang=lang, now=moment)
                where = (loc.file, loc.line) if loc else ("knowledge/topics", 0)
                length = visible_length(reply.html)
                if length > MESSAGE_LIMIT:
                    problems.append(
                        Problem(
                            *where,
                            f"answer.{lang} renders to {length} characters "
                            f"on {moment.date()} (Telegram allows {MESSAGE_LIMIT})",
                        )
                    )
                    break
                for issue in html_problems(reply.html):
                    problems.append(
                        Problem(*where, f"answer.{lang} renders malformed HTML: {issue}")
                    )
                    break
    return sorted(set(problems))
