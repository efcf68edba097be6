"""Interface languages: negotiation from Telegram's language_code, compiled catalogs."""

from __future__ import annotations

import ast
import re
import shutil
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po
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


# --------------------------------------------------------------------------
# Every translatable string of bot/ is translated in every shipped catalog.
#
# The strings are extracted as `make extract-messages` does: Babel's Python
# extractor with the method map of babel.cfg and its default keywords
# (gettext, ngettext, _, ...) plus N_. A string added to the code without
# re-running the extraction and translating it reaches people in English.

MessageId = str | tuple[str, str]
PLACEHOLDER = re.compile(r"(?<!\{)\{([A-Za-z_][A-Za-z0-9_]*)[^{}]*\}")
TAG = re.compile(r"</?([A-Za-z][A-Za-z0-9-]*)\b[^>]*>")


@dataclass(frozen=True)
class Extracted:
    """One translatable string of the code and where it is used."""

    msgid: MessageId
    where: tuple[str, ...]


def extract_bot_messages(root: Path = PROJECT_ROOT) -> dict[MessageId, Extracted]:
    """The msgids of bot/, extracted with Babel as the Makefile does."""
    with (root / "babel.cfg").open(encoding="utf-8") as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    keywords = dict(DEFAULT_KEYWORDS)
    keywords["N_"] = None
    found: dict[MessageId, list[str]] = {}
    for filename, lineno, message, _comments, _context in extract_from_dir(
        str(root / "bot"), method_map, options_map, keywords=keywords
    ):
        msgid: MessageId = message if isinstance(message, str) else (message[0], message[1])
        found.setdefault(msgid, []).append(f"bot/{filename}:{lineno}")
    return {msgid: Extracted(msgid, tuple(where)) for msgid, where in found.items()}


@pytest.fixture(scope="module")
def extracted() -> dict[MessageId, Extracted]:
    messages = extract_bot_messages()
    assert len(messages) > 100, "the extraction found almost nothing: check babel.cfg"
    return messages


def read_catalog(lang: str) -> Catalog:
    with (PROJECT_ROOT / "locales" / lang / "LC_MESSAGES" / "messages.po").open("rb") as po:
        return read_po(po)


def placeholders(text: str) -> set[str]:
    return set(PLACEHOLDER.findall(text))


def tags(text: str) -> Counter[str]:
    return Counter(m.group(0)[: m.end(1) - m.start()].lower() + ">" for m in TAG.finditer(text))


def catalog_problems(catalog: Catalog, messages: dict[MessageId, Extracted]) -> list[str]:
    """Why each string of the code is not properly translated in ``catalog``."""
    problems = []
    for msgid, origin in sorted(messages.items(), key=lambda item: str(item[0])):
        where = ", ".join(origin.where[:2])
        singular = msgid if isinstance(msgid, str) else msgid[0]
        entry = catalog.get(singular)
        if entry is None:
            problems.append(f"missing {msgid!r} ({where})")
            continue
        if isinstance(msgid, tuple) and (
            not isinstance(entry.id, tuple) or tuple(entry.id) != msgid
        ):
            problems.append(f"plural forms differ: {entry.id!r} for {msgid!r} ({where})")
            continue
        if entry.fuzzy:
            problems.append(f"fuzzy {msgid!r} ({where})")
        forms = [entry.string] if isinstance(entry.string, str) else list(entry.string)
        if isinstance(msgid, tuple) and len(forms) != catalog.num_plurals:
            problems.append(
                f"{len(forms)} plural forms instead of {catalog.num_plurals} for {msgid!r}"
            )
        if not all(forms):
            problems.append(f"untranslated {msgid!r} ({where})")
            continue
        sources = [msgid] if isinstance(msgid, str) else list(msgid)
        expected_fields = set().union(*(placeholders(s) for s in sources))
        expected_tags = tags(sources[0])
        for form in forms:
            if placeholders(form) != expected_fields:
                problems.append(
                    f"placeholders {sorted(placeholders(form))} instead of "
                    f"{sorted(expected_fields)} in {form!r} ({where})"
                )
            if tags(form) != expected_tags:
                problems.append(
                    f"HTML tags {sorted(tags(form).elements())} instead of "
                    f"{sorted(expected_tags.elements())} in {form!r} ({where})"
                )
    return problems


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_string_of_the_code_is_translated(
    lang: str, extracted: dict[MessageId, Extracted]
) -> None:
    problems = catalog_problems(read_catalog(lang), extracted)
    assert not problems, (
        f"locales/{lang}/LC_MESSAGES/messages.po: {len(problems)} problem(s); run "
        "`make extract-messages`, translate, then `make locales`:\n" + "\n".join(problems)
    )


def test_the_check_sees_a_missing_an_untranslated_a_fuzzy_and_a_broken_entry() -> None:
    catalog = Catalog(locale="pl")
    catalog.add("Day {n}", "Dzień {n}")
    catalog.add("Venue: {venue}.", "")
    catalog.add("<b>{place}</b>: closed now.", "<b>{place}</b>: teraz nieczynne.", flags=["fuzzy"])
    catalog.add("Sent to {name}.", "Wysłano do: {imie}.")
    catalog.add("<b>New question #{n}</b>", "Nowe pytanie #{n}")
    catalog.add(("{n} day", "{n} days"), ("{n} dzień", "{n} dni", ""))
    code = {
        msgid: Extracted(msgid, ("bot/x.py:1",))
        for msgid in [
            "Day {n}",
            "Venue: {venue}.",
            "<b>{place}</b>: closed now.",
            "Sent to {name}.",
            "<b>New question #{n}</b>",
            ("{n} day", "{n} days"),
            "Cancel",
        ]
    }
    problems = catalog_problems(catalog, code)
    assert sorted(problems) == [
        "HTML tags [] instead of ['</b>', '<b>'] in 'Nowe pytanie #{n}' (bot/x.py:1)",
        "fuzzy '<b>{place}</b>: closed now.' (bot/x.py:1)",
        "missing 'Cancel' (bot/x.py:1)",
        "placeholders ['imie'] instead of ['name'] in 'Wysłano do: {imie}.' (bot/x.py:1)",
        "untranslated 'Venue: {venue}.' (bot/x.py:1)",
        "untranslated ('{n} day', '{n} days') (bot/x.py:1)",
    ]


def test_labels_translated_at_run_time_are_extracted(
    extracted: dict[MessageId, Extracted],
) -> None:
    """Tables of N_-marked labels are passed to gettext as variables.

    (Menu and theme labels are content, translated in knowledge/menu.yaml.)
    """
    from bot.core.hours import ON_WEEKDAY
    from bot.core.menu import RESIDENT_COMMANDS, STAFF_COMMANDS

    labels = [c.description for c in (*RESIDENT_COMMANDS, *STAFF_COMMANDS)]
    labels += [*ON_WEEKDAY]
    assert [label for label in labels if label not in extracted] == []


def test_gettext_is_called_with_literals_or_marked_variables() -> None:
    """An f-string or a concatenation inside gettext() is never extracted."""
    offending = []
    for path in sorted((PROJECT_ROOT / "bot").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "attr", None) or getattr(node.func, "id", None)
            count = {"gettext": 1, "ngettext": 2, "N_": 1}.get(name or "")
            if count is None or len(node.args) < count:
                continue
            for arg in node.args[:count]:
                literal = isinstance(arg, ast.Constant) and isinstance(arg.value, str)
                variable = isinstance(arg, ast.Name | ast.Attribute | ast.Subscript)
                if not literal and not (variable and name != "N_"):
                    where = path.relative_to(PROJECT_ROOT)
                    offending.append(f"{where}:{node.lineno}: {ast.unparse(arg)[:60]}")
    assert offending == []
