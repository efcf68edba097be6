"""Render every answer as a person would get it and check Telegram's limits.

Each topic's short answer and full view ("more"), and each menu group's
overview, in every language, today and before, during and after every known
Kongres edition and around every dated item: at most 4096 characters, and
well-formed Telegram HTML.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from pathlib import Path

from bot.content.loader import MESSAGE_LIMIT, Content, Problem
from bot.core.answering import Assistant, Reply
from bot.core.dates import WARSAW
from bot.core.html import html_problems, visible_length
from bot.core.knowledge import LANGUAGES
from bot.core.matching import IntentMatcher, LabelledExample
from bot.core.morphology import NullAnalyzer
from bot.core.translation import IdentityTranslator


def _moments(content: Content, today: date) -> list[datetime]:
    """Today, around every Kongres edition and at the start of every dated item."""
    days = [today]
    for edition in content.knowledge.kongres:
        days += [edition.first_day - timedelta(days=3), edition.first_day, edition.last_day]
    days += [item.start_date for item in content.knowledge.events]
    return [datetime.combine(day, time(11, 0), tzinfo=WARSAW) for day in sorted(set(days))]


def _problems(reply: Reply, where: tuple[str, int], what: str, moment: datetime) -> list[Problem]:
    length = visible_length(reply.html)
    if length > MESSAGE_LIMIT:
        return [
            Problem(
                *where,
                f"{what} renders to {length} characters on {moment.date()} "
                f"(Telegram allows {MESSAGE_LIMIT})",
            )
        ]
    return [
        Problem(*where, f"{what} renders malformed HTML: {issue}")
        for issue in html_problems(reply.html)
    ][:1]


def render_problems(root: Path, content: Content, today: date | None) -> list[Problem]:
    """Problems found by rendering every topic and group in every language."""
    # Rendering needs no real matcher; a tiny one keeps the check fast.
    matcher = IntentMatcher.build(
        [LabelledExample("x", next(iter(content.knowledge.topics)))], analyzer=NullAnalyzer()
    )
    assistant = Assistant(
        knowledge=content.knowledge, matcher=matcher, translator=IdentityTranslator
    )
    problems: list[Problem] = []
    moments = _moments(content, today or date.today())
    for topic in content.knowledge.topics.values():
        loc = topic.location
        where = (loc.file, loc.line) if loc else ("knowledge/topics", 0)
        for lang in LANGUAGES:
            for moment in moments:
                short = assistant.topic_reply(topic.id, lang=lang, now=moment)
                full = assistant.full_topic(topic.id, lang=lang, now=moment)
                found = _problems(short, where, f"answer.{lang}", moment)
                found += _problems(full, where, f"full topic ({lang})", moment)
                if found:
                    problems += found
                    break
    for group in content.knowledge.navigation.groups:
        loc = group.location
        where = (loc.file, loc.line) if loc else ("knowledge/menu.yaml", 0)
        for lang in LANGUAGES:
            for moment in moments:
                reply = assistant.group_reply(group.id, lang=lang, now=moment)
                found = _problems(reply, where, f"menu group {group.id} ({lang})", moment)
                if found:
                    problems += found
                    break
    return sorted(set(problems))
