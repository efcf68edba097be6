"""Building the assistant from content on disk (shared by the CLI and the bot)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from bot.content import Content, load_content
from bot.core.answering import Assistant
from bot.core.matching import IntentMatcher
from bot.core.morphology import Analyzer, make_analyzer
from bot.i18n import Catalogs
from bot.model_cache import load_or_build

logger = logging.getLogger(__name__)

#: The project checkout: intents/, knowledge/ and locales/ live here.
PROJECT_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True, repr=False)
class Engine:
    """Loaded content with the matcher and the assistant built on it."""

    content: Content
    matcher: IntentMatcher
    assistant: Assistant
    catalogs: Catalogs

    def __repr__(self) -> str:
        return f"Engine({len(self.content.knowledge.topics)} topics, {self.matcher!r})"


def build_engine(
    content_dir: Path = PROJECT_ROOT,
    locales_dir: Path | None = None,
    *,
    max_age_days: int = 365,
    today: date | None = None,
    clock: Callable[[], datetime] | None = None,
    analyzer: Analyzer | None = None,
    catalogs: Catalogs | None = None,
) -> Engine:
    """Load and validate content, build the matcher and the assistant.

    Raises :class:`bot.content.ContentError` when the content is invalid.
    """
    content = load_content(content_dir, today=today, max_age_days=max_age_days)
    # Built once per content version: later start-ups load it from the model cache.
    matcher = load_or_build(content.labelled_examples(), analyzer or make_analyzer())
    catalogs = catalogs or Catalogs(locales_dir or content_dir / "locales")
    assistant = Assistant(
        knowledge=content.knowledge, matcher=matcher, translator=catalogs, clock=clock
    )
    return Engine(content=content, matcher=matcher, assistant=assistant, catalogs=catalogs)


@dataclass(frozen=True)
class ReloadResult:
    """The outcome of reloading content: the new engine, or the problems found."""

    engine: Engine | None
    problems: tuple[str, ...] = ()


def reload_engine(current: Engine, content_dir: Path, *, max_age_days: int = 365) -> ReloadResult:
    """Load content again after checking it; on any problem keep ``current``.

    The catalogs and the clock of the current engine are kept.
    """
    from bot.content import ContentError

    try:
        engine = build_engine(
            content_dir,
            max_age_days=max_age_days,
            clock=current.assistant.clock,
            catalogs=current.catalogs,
        )
    except ContentError as exc:
        return ReloadResult(None, tuple(str(p) for p in exc.problems))
    return ReloadResult(engine)
