"""A topic with its menu entry and "notify me" theme is a YAML-only change (issue 12, AC3).

A copy of the shipped content gets the fixture topic of tests/fixtures/added_topic
(an intents file, a topic file, and two entries in knowledge/menu.yaml made by
editing that YAML). No code changes: the running bot answers the topic, lists
it in its menu group, offers "notify me" under its answers for the theme, and
the content check passes.
"""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml
from fake_bot_api import FakeBotApi
from harness import ANNA, NOW, BotHarness

from bot.content.loader import check_content
from bot.services import PROJECT_ROOT, Engine, build_engine

FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "added_topic"
TOPIC = "participation.youth_council"


def add_topic(root: Path) -> None:
    """The three YAML changes of the fixture, applied to a content copy."""
    for part in ("intents", "knowledge/topics"):
        for path in (FIXTURE / part).glob("*.yaml"):
            shutil.copy(path, root / part / path.name)
    additions = yaml.safe_load((FIXTURE / "menu_additions.yaml").read_text("utf-8"))
    menu_path = root / "knowledge" / "menu.yaml"
    menu = yaml.safe_load(menu_path.read_text("utf-8"))
    next(g for g in menu["groups"] if g["id"] == additions["group"])["topics"].append(TOPIC)
    next(t for t in menu["themes"] if t["id"] == additions["theme"])["topics"].append(TOPIC)
    menu_path.write_text(yaml.safe_dump(menu, allow_unicode=True, sort_keys=False), "utf-8")


@pytest.fixture(scope="module")
def added(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Engine]:
    root = tmp_path_factory.mktemp("content")
    for name in ("intents", "knowledge", "locales"):
        shutil.copytree(PROJECT_ROOT / name, root / name)
    add_topic(root)
    return root, build_engine(root, clock=lambda: NOW)


def buttons(call: Any) -> dict[str, str]:
    markup = call.params.get("reply_markup") or {}
    return {
        b["text"]: b.get("callback_data", "")
        for row in markup.get("inline_keyboard", [])
        for b in row
    }


def test_the_content_with_the_added_topic_passes_the_check(added: tuple[Path, Engine]) -> None:
    root, _engine = added
    _content, problems = check_content(root, today=date(2026, 11, 22))
    assert problems == []


def test_without_its_menu_entry_the_check_names_the_topic(tmp_path: Path) -> None:
    for name in ("intents", "knowledge"):
        shutil.copytree(PROJECT_ROOT / name, tmp_path / name)
    for part in ("intents", "knowledge/topics"):
        for path in (FIXTURE / part).glob("*.yaml"):
            shutil.copy(path, tmp_path / part / path.name)
    _content, problems = check_content(tmp_path, today=date(2026, 11, 22))
    assert [p.message for p in problems] == [f"topic {TOPIC!r} is in no menu group"]
    assert problems[0].file == "knowledge/menu.yaml"


async def test_the_bot_answers_lists_and_offers_the_added_topic(
    fake_telegram: FakeBotApi, tmp_path: Path, added: tuple[Path, Engine]
) -> None:
    root, engine = added
    navigation = engine.content.knowledge.navigation
    assert navigation.group_of(TOPIC).id == "participation"  # type: ignore[union-attr]
    assert navigation.theme_of_topic(TOPIC).id == "consultations"  # type: ignore[union-attr]
    bot = BotHarness(
        api=fake_telegram,
        database_url=f"sqlite:///{tmp_path / 'bot.sqlite3'}",
        engine=engine,
        content_dir=root,
    )
    await bot.start()
    try:
        await bot.send(bot.api.updates.text_message(ANNA, "Ilu radnych ma młodzieżowa rada?"))
        answer = bot.sent_to(ANNA.id)[-1]
        assert answer.params["text"].startswith(
            "Młodzieżowa Rada Miasta (fikcja testowa) liczy 21 radnych"
        )
        pl = bot.t("pl")
        assert buttons(answer)[pl.gettext("Notify me")] == "s:consultations:1"
        assert buttons(answer)[pl.gettext("More")] == f"w:{TOPIC}"

        await bot.send(bot.api.updates.command(ANNA, "start"))
        menu = bot.sent_to(ANNA.id)[-1]
        participation = navigation.group("participation")
        assert participation is not None
        assert buttons(menu)[participation.label.get("pl")] == "g:participation"
        await bot.send(bot.api.updates.callback_query(ANNA, menu.result, "g:participation"))
        group_menu = bot.sent_to(ANNA.id)[-1]
        assert buttons(group_menu)["Młodzieżowa Rada Miasta"] == f"t:{TOPIC}"

        await bot.send(bot.api.updates.callback_query(ANNA, answer.result, f"w:{TOPIC}"))
        full = bot.sent_to(ANNA.id)[-1]
        assert "co dwa lata" in full.params["text"]
    finally:
        await bot.stop()
    assert not bot.errors, f"handlers raised: {bot.errors!r}"
