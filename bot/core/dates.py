"""Dates and times formatted per language with Babel, in Europe/Warsaw."""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_time

WARSAW = ZoneInfo("Europe/Warsaw")

_BABEL_LOCALES = {"pl": "pl_PL", "uk": "uk_UA", "en": "en_GB"}


def babel_locale(lang: str) -> str:
    """The Babel locale used for a product language."""
    return _BABEL_LOCALES.get(lang, "pl_PL")


def local_now(now: datetime | None = None) -> datetime:
    """Return ``now`` (or the current time) as an aware Europe/Warsaw time."""
    if now is None:
        return datetime.now(WARSAW)
    if now.tzinfo is None:
        return now.replace(tzinfo=WARSAW)
    return now.astimezone(WARSAW)


def fmt_date(day: date, lang: str, *, weekday: bool = False, year: bool = True) -> str:
    """ "29 września 2025", or "poniedziałek, 29 września 2025" with ``weekday``."""
    pattern = ("EEEE, " if weekday else "") + ("d MMMM y" if year else "d MMMM")
    return format_date(day, pattern, locale=babel_locale(lang))


def fmt_date_range(first: date, last: date, lang: str) -> str:
    """ "29–30 września 2025"; "30 września – 1 października 2025" across months."""
    loc = babel_locale(lang)
    if first == last:
        return format_date(first, "d MMMM y", locale=loc)
    if (first.year, first.month) == (last.year, last.month):
        return f"{first.day}–{format_date(last, 'd MMMM y', locale=loc)}"
    end = format_date(last, "d MMMM y", locale=loc)
    if first.year == last.year:
        return f"{format_date(first, 'd MMMM', locale=loc)} – {end}"
    return f"{format_date(first, 'd MMMM y', locale=loc)} – {end}"


def fmt_time(value: time, lang: str) -> str:
    """ "10:00" (24-hour clock in all product languages)."""
    return format_time(value, "HH:mm", locale=babel_locale(lang))


def fmt_time_range(start: time | None, end: time | None, lang: str) -> str:
    """ "10:00–10:30", "10:00", or "" when nothing is known."""
    if start is None:
        return ""
    if end is None:
        return fmt_time(start, lang)
    return f"{fmt_time(start, lang)}–{fmt_time(end, lang)}"


def weekday_name(day: date, lang: str) -> str:
    """The weekday's name: "poniedziałek"."""
    return format_date(day, "EEEE", locale=babel_locale(lang))
