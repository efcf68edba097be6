"""Interface languages: negotiation from Telegram's language_code, compiled catalogs."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from babel.support import Translations

from bot.core.knowledge import LANGUAGES
from bot.i18n import CatalogError, Catalogs, negotiate_language
from bot.services import PROJECT_ROOT


@pytest.mark.parametrize(
    ("language_code", "lang"),
    [
        ("uk", "uk"),
        ("uk-UA", "uk"),
        ("UK_ua", "uk"),
        ("en", "en"),
        ("en-GB", "en"),
        ("en-US", "en"),
        ("pl", "pl"),
        ("pl-PL", "pl"),
        ("ru", "pl"),
        ("ru-RU", "pl"),
        ("de", "pl"),
        ("", "pl"),
        (None, "pl"),
    ],
)
def test_negotiate_language(language_code: str | None, lang: str) -> None:
    assert negotiate_language(language_code) == lang


def copy_locales(tmp_path: Path) -> Path:
    target = tmp_path / "locales"
    shutil.copytree(PROJECT_ROOT / "locales", target)
    return target


def test_shipped_catalogs_load_a_real_catalog_per_language() -> None:
    catalogs = Catalogs(PROJECT_ROOT / "locales")
    for lang in LANGUAGES:
        translator = catalogs(lang)
        assert translator.lang == lang
        # A missing catalog would silently be NullTranslations.
        assert isinstance(translator.catalog, Translations), lang
        assert isinstance(translator.gettext("Day {n}"), str)
    assert catalogs("xx").lang == "pl", "unknown languages fall back to Polish"


def test_no_catalogs_at_all_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(CatalogError, match=r"messages\.mo is missing"):
        Catalogs(tmp_path)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_a_missing_compiled_catalog_is_an_error(tmp_path: Path, lang: str) -> None:
    locales = copy_locales(tmp_path)
    mo = locales / lang / "LC_MESSAGES" / "messages.mo"
    mo.unlink()
    with pytest.raises(CatalogError) as caught:
        Catalogs(locales)
    assert str(mo) in str(caught.value)
    assert "make locales" in str(caught.value)


def test_copied_catalogs_load(tmp_path: Path) -> None:
    catalogs = Catalogs(copy_locales(tmp_path))
    assert {catalogs(lang).lang for lang in LANGUAGES} == set(LANGUAGES)
