"""The shipped knowledge is true at the date asked (issue 9, AC2).

At fixed dates before, during and after each Kongres edition (2024, 2025),
the XIX NGO Forum (3 December 2024) and the 2026 open calls, every reply the
assistant can give (each topic's short answer and full view, each menu
group's overview, and the answer to each fact's own questions):

* states no fact before its ``known_from`` date, and no dated item before it
  was announced;
* words dated things in the tense of that date (upcoming / today / past),
  and never says an open call is open when its opening day is unknown;
* never shows a check date later than that date, and cites no source
  published after it.

Expectations are built from the content (known-from dates, titles) and the
engine's own catalog, so they hold when the content grows.
"""

from __future__ import annotations

import functools
from datetime import date, datetime

import pytest

from bot.core.answering import Reply
from bot.core.dates import WARSAW, fmt_date, fmt_date_range
from bot.core.knowledge import EventKind, FactStatus
from bot.services import Engine


def at(y: int, m: int, d: int, hh: int = 12, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=WARSAW)


MOMENTS = {
    "before the 2024 Kongres, before it was announced": at(2024, 8, 20),
    "before the 2024 Kongres": at(2024, 9, 5),
    "on day 1 of the 2024 Kongres": at(2024, 9, 10, 11),
    "after the 2024 Kongres": at(2024, 9, 12),
    "before the XIX Forum": at(2024, 11, 20),
    "on the day of the XIX Forum": at(2024, 12, 3, 9),
    "after the XIX Forum": at(2024, 12, 10),
    "before the 2025 Kongres": at(2025, 9, 20),
    "on day 1 of the 2025 Kongres": at(2025, 9, 29, 10, 15),
    "after the 2025 Kongres": at(2025, 10, 5),
    "before the 2026 calls were announced": at(2025, 11, 15),
    "while the 2026 calls take offers": at(2025, 12, 20),
    "after the 2026 calls closed": at(2026, 2, 1),
    "today": at(2026, 12, 2),
}
LANGS = ("pl", "en", "uk")


def every_reply(engine: Engine, now: datetime, lang: str) -> list[tuple[str, Reply]]:
    """Every reply the assistant can give at ``now``: topics, groups, each fact's question.

    The facts' own questions are asked in Polish only (the replies in the other
    languages come from the same facts), which keeps this test fast.
    """
    a, kb = engine.assistant, engine.content.knowledge
    replies: list[tuple[str, Reply]] = []
    for topic in kb.topics.values():
        replies.append((f"{topic.id} short", a.topic_reply(topic.id, lang=lang, now=now)))
        replies.append((f"{topic.id} full", a.full_topic(topic.id, lang=lang, now=now)))
        if lang != "pl":
            continue
        for fact in topic.facts:
            for question in fact.questions[:1]:
                reply = a.respond(question, lang=lang, now=now)
                replies.append((f"{topic.id} asked {question!r}", reply))
    for group in kb.navigation.groups:
        replies.append((f"group {group.id}", a.group_reply(group.id, lang=lang, now=now)))
    return replies


@pytest.fixture(scope="module")
def replies(shipped_engine: Engine) -> dict[tuple[str, str], list[tuple[str, Reply]]]:
    return {
        (label, lang): every_reply(shipped_engine, now, lang)
        for label, now in MOMENTS.items()
        for lang in LANGS
    }


@pytest.mark.parametrize("label", MOMENTS)
def test_no_fact_is_stated_before_its_known_from_date(
    shipped_engine: Engine, replies, label: str
) -> None:
    now = MOMENTS[label]
    kb = shipped_engine.content.knowledge
    future = {
        (topic.id, fact.id): fact
        for topic in kb.topics.values()
        for fact in topic.facts
        if fact.known_from is not None and fact.known_from > now.date()
    }
    for lang in LANGS:
        for where, reply in replies[(label, lang)]:
            for fact_id in reply.facts:
                assert (reply.intent, fact_id) not in future, (label, lang, where, fact_id)
            for (_topic, _fid), fact in future.items():
                assert fact.text is not None
                if fact.status is FactStatus.MISSING:
                    continue
                assert fact.text.get(lang) not in reply.text, (label, lang, where, fact.id)


@pytest.mark.parametrize("label", MOMENTS)
def test_no_dated_item_or_edition_before_it_was_announced(
    shipped_engine: Engine, replies, label: str
) -> None:
    now = MOMENTS[label]
    kb = shipped_engine.content.knowledge
    unannounced = [e for e in kb.events if not e.public_on(now.date())]
    editions = [e for e in kb.kongres if not e.public_on(now.date())]
    for lang in LANGS:
        for where, reply in replies[(label, lang)]:
            for item in unannounced:
                assert item.title.get(lang) not in reply.text, (label, lang, where, item.id)
            for edition in editions:
                dates = fmt_date_range(edition.first_day, edition.last_day, lang)
                assert dates not in reply.text, (label, lang, where, edition.edition)


@functools.cache
def past_days(today: date, lang: str) -> frozenset[str]:
    """Every day from 2015 up to ``today``, formatted as the footer formats it."""
    return frozenset(
        fmt_date(date.fromordinal(o), lang)
        for o in range(date(2015, 1, 1).toordinal(), today.toordinal() + 1)
    )


@pytest.mark.parametrize("label", MOMENTS)
def test_no_check_date_after_now(shipped_engine: Engine, replies, label: str) -> None:
    now = MOMENTS[label]
    for lang in LANGS:
        t = shipped_engine.catalogs(lang)
        prefix = t.gettext("Information checked on {date}.").split("{")[0]
        for where, reply in replies[(label, lang)]:
            for line in reply.text.splitlines():
                if not line.startswith(prefix):
                    continue
                shown = line[len(prefix) :].rstrip(".")
                assert shown in past_days(now.date(), lang), (label, lang, where, line)


@pytest.mark.parametrize("label", MOMENTS)
def test_no_source_published_after_now_is_cited(replies, label: str) -> None:
    now = MOMENTS[label]
    for lang in LANGS:
        for where, reply in replies[(label, lang)]:
            for source in reply.sources:
                assert source.public_on(now.date()), (label, lang, where, source.id)


def test_check_dates_appear_once_the_facts_were_checked(shipped_engine: Engine) -> None:
    t = shipped_engine.catalogs("pl")
    a = shipped_engine.assistant
    prefix = t.gettext("Information checked on {date}.").split("{")[0]
    assert prefix not in a.topic_reply("kongres.about", lang="pl", now=at(2025, 2, 1)).text
    assert prefix in a.topic_reply("kongres.about", lang="pl", now=at(2026, 12, 2)).text


# ---------------------------------------------------------------- tense
def kongres_when(engine: Engine, now: datetime, lang: str = "pl") -> str:
    return engine.assistant.topic_reply("kongres.when", lang=lang, now=now).html


def phrase(engine: Engine, msgid: str, lang: str = "pl") -> str:
    """The fixed start of a translated message (up to its first placeholder)."""
    return engine.catalogs(lang).gettext(msgid).split("{")[0]


UPCOMING = "<b>Next Kongres:</b> edition {n}, {dates} ({left})."
ONGOING = "<b>The Kongres is on now:</b> edition {n}, {dates}."
PAST = "The most recent Toruński Kongres Dialogu (edition {n}) took place on {dates}"


@pytest.mark.parametrize(
    ("label", "tense", "year"),
    [
        ("before the 2024 Kongres", UPCOMING, 2024),
        ("on day 1 of the 2024 Kongres", ONGOING, 2024),
        ("after the 2024 Kongres", PAST, 2024),
        ("before the 2025 Kongres", UPCOMING, 2025),
        ("on day 1 of the 2025 Kongres", ONGOING, 2025),
        ("after the 2025 Kongres", PAST, 2025),
        ("today", PAST, 2025),
    ],
)
def test_the_kongres_is_told_in_the_tense_of_the_date(
    shipped_engine: Engine, label: str, tense: str, year: int
) -> None:
    [edition] = [e for e in shipped_engine.content.knowledge.kongres if e.year == year]
    for lang in LANGS:
        html = kongres_when(shipped_engine, MOMENTS[label], lang)
        dates = fmt_date_range(edition.first_day, edition.last_day, lang)
        assert phrase(shipped_engine, tense, lang) in html, (label, lang)
        assert dates in html, (label, lang)
        for other in (UPCOMING, ONGOING, PAST):
            if other != tense:
                assert phrase(shipped_engine, other, lang) not in html, (label, lang)


def test_before_its_announcement_the_2024_kongres_is_unknown(shipped_engine: Engine) -> None:
    html = kongres_when(shipped_engine, MOMENTS["before the 2024 Kongres, before it was announced"])
    assert html.startswith(
        shipped_engine.catalogs("pl").gettext(
            "I have no dates of the Kongres in my knowledge base."
        )
    )


def test_on_a_kongres_day_the_day_view_answers_what_is_on(shipped_engine: Engine) -> None:
    now = MOMENTS["on day 1 of the 2025 Kongres"]
    reply = shipped_engine.assistant.respond("co jest teraz na kongresie", lang="pl", now=now)
    assert reply.intent == "kongres.program"
    now_line = phrase(shipped_engine, "<b>Now</b>, today {session}")
    assert reply.html.startswith(now_line)
    at_two = shipped_engine.assistant.respond("co będzie o 14?", lang="pl", now=now)
    assert "14:00–15:00" in at_two.text.split("\n")[1]


def forum_line(engine: Engine, now: datetime) -> str:
    """The XIX Forum's line in the list of fora (empty when it is not listed)."""
    html = engine.assistant.full_topic("ngo.forum", lang="pl", now=now).html
    day = fmt_date(date(2024, 12, 3), "pl")
    return next((ln for ln in html.splitlines() if ln.startswith(f"• {day}")), "")


def test_the_xix_forum_before_on_and_after_its_day(shipped_engine: Engine) -> None:
    t = shipped_engine.catalogs("pl")
    assert forum_line(shipped_engine, MOMENTS["before the XIX Forum"]) == ""
    assert forum_line(shipped_engine, MOMENTS["on the day of the XIX Forum"]).endswith(
        " – " + t.gettext("ongoing")
    )
    after = forum_line(shipped_engine, MOMENTS["after the XIX Forum"])
    assert after, "listed as past"
    assert t.gettext("ongoing") not in after and "(" not in after.split("Filmar")[-1]


def call_lines(engine: Engine, now: datetime, lang: str = "pl") -> list[str]:
    kb = engine.content.knowledge
    titles = [
        e.title.get(lang)
        for e in kb.events
        if e.kind is EventKind.CALL_FOR_OFFERS and e.start is None and e.known_from
    ]
    html = engine.assistant.topic_reply("grants.open_calls", lang=lang, now=now).html
    html += "\n" + engine.assistant.full_topic("grants.open_calls", lang=lang, now=now).html
    return [ln for ln in html.splitlines() if any(title in ln for title in titles)]


def test_the_2026_calls_are_never_said_to_be_open(shipped_engine: Engine) -> None:
    assert call_lines(shipped_engine, MOMENTS["before the 2026 calls were announced"]) == []
    for lang in LANGS:
        t = shipped_engine.catalogs(lang)
        during = call_lines(shipped_engine, MOMENTS["while the 2026 calls take offers"], lang)
        assert during, lang
        for line in during:
            assert t.gettext("opening date not confirmed") in line, line
            assert (
                "(" + t.gettext("open") + "," not in line
                and "(" + t.gettext("open") + ")" not in line
            )
        after = call_lines(shipped_engine, MOMENTS["after the 2026 calls closed"], lang)
        assert after and all(line.endswith(t.gettext("closed")) for line in after), after


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("610", "the 2024 Kongres results were presented on 27 January 2025"),
        ("3 grudnia 2024", "the XIX Forum (3.12.2024, hotel Filmar) was reported on its day"),
        ("Dyrektorem Biura", "Dr Wawrzyński is first named director in 2025"),
        ("1 405 000", "the 2026 calls were announced in December 2025"),
        ("22 listopada 2026", "the facts were checked on 22 November 2026"),
    ],
)
def test_in_august_2024_nothing_published_later_is_said(
    shipped_engine: Engine, replies, text: str, why: str
) -> None:
    for where, reply in replies[("before the 2024 Kongres, before it was announced", "pl")]:
        assert text.replace(" ", "") not in reply.text.replace(" ", "").replace("\xa0", ""), (
            where,
            why,
        )
