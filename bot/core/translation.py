"""The translation port of the core: gettext-style calls, injected per language.

The core never loads catalogs itself (that is :mod:`bot.i18n`); it receives a
:class:`Translator` for the person's language.
"""

from __future__ import annotations

from typing import Protocol


def N_(message: str) -> str:
    """Mark a string for extraction into the catalogs without translating it."""
    return message


class Translator(Protocol):
    """Translations of interface strings into one language."""

    @property
    def lang(self) -> str:
        """The language code: pl, uk or en."""
        ...

    def gettext(self, message: str) -> str:
        """Translate a message."""
        ...

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        """Translate a message with a plural form chosen for ``n``."""
        ...


class IdentityTranslator:
    """Returns the English source strings (tests of the core, fallbacks)."""

    def __init__(self, lang: str = "en") -> None:
        self._lang = lang

    @property
    def lang(self) -> str:
        return self._lang

    def gettext(self, message: str) -> str:
        return message

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return singular if n == 1 else plural
