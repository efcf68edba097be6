"""Interface translations: gettext catalogs in locales/ loaded with Babel.

Catalogs are compiled (.po -> .mo) by the install step (``make install``).
A missing compiled catalog is an error, not a silent fallback to English.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from babel.support import NullTranslations, Translations

from bot.core.conversation import negotiate_language
from bot.core.knowledge import DEFAULT_LANGUAGE, LANGUAGES

logger = logging.getLogger(__name__)

DOMAIN = "messages"


class CatalogError(RuntimeError):
    """A compiled catalog is missing or unreadable."""


@dataclass(frozen=True)
class BabelTranslator:
    """A :class:`bot.core.translation.Translator` backed by a Babel catalog."""

    lang: str
    catalog: NullTranslations

    def gettext(self, message: str) -> str:
        return self.catalog.gettext(message)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return self.catalog.ngettext(singular, plural, n)


class Catalogs:
    """The compiled catalogs of every product language."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._translators: dict[str, BabelTranslator] = {}
        for lang in LANGUAGES:
            mo = directory / lang / "LC_MESSAGES" / f"{DOMAIN}.mo"
            if not mo.is_file():
                raise CatalogError(
                    f"compiled catalog {mo} is missing: run `make locales` "
                    "(or `pybabel compile -d locales -D messages`)"
                )
            po = mo.with_suffix(".po")
            if po.is_file() and po.stat().st_mtime > mo.stat().st_mtime + 1:
                logger.warning("%s is older than %s: run `make locales`", mo, po)
            catalog = Translations.load(str(directory), [lang], domain=DOMAIN)
            if not isinstance(catalog, Translations):
                raise CatalogError(f"catalog for {lang!r} could not be loaded from {mo}")
            self._translators[lang] = BabelTranslator(lang, catalog)

    def translator(self, lang: str) -> BabelTranslator:
        """The translator for ``lang`` (Polish for unknown languages)."""
        return self._translators.get(lang) or self._translators[DEFAULT_LANGUAGE]

    def __call__(self, lang: str) -> BabelTranslator:
        return self.translator(lang)


__all__ = ["BabelTranslator", "CatalogError", "Catalogs", "negotiate_language"]
