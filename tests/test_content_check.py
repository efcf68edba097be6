"""Content validation: every problem as ``file:line: message``, exit code 1.

Each case copies the minimal valid tree (tests/fixtures/minimal_content), breaks
one thing and checks that ``torun-bot check`` names the right file, line and
problem. Lines are located by searching the edited file, so the fixture can
grow without renumbering the tests.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, time
from pathlib import Path

import pytest
import yaml

from bot.content import ContentError, load_content
from bot.content.loader import check_content
from bot.core.knowledge import REQUIRED_TOPICS
from bot.services import PROJECT_ROOT, Engine

#: the content loader parses with libyaml when PyYAML has it (its messages differ a little)
LIBYAML = hasattr(yaml, "CSafeLoader")

TODAY = "2026-11-22"
PROBLEM_LINE = re.compile(r"^(?P<file>[^:\s]+):(?P<line>\d+): (?P<message>.+)$")


@dataclass(frozen=True)
class Expected:
    """A problem ``check`` must report (message matched as a substring)."""

    file: str
    line: int
    message: str


def edit(root: Path, rel: str, old: str, new: str) -> Path:
    """Replace exactly one occurrence of ``old`` in a content file."""
    path = root / rel
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{old!r} should occur once in {rel}"
    path.write_text(text.replace(old, new), encoding="utf-8")
    return path


def line_of(root: Path, rel: str, needle: str, after: int = 0) -> int:
    """1-based number of the first line after line ``after`` that contains ``needle``."""
    lines = (root / rel).read_text(encoding="utf-8").splitlines()
    for number, line in enumerate(lines, start=1):
        if number > after and needle in line:
            return number
    raise AssertionError(f"{needle!r} not found in {rel}")


def parse_check_output(out: str) -> tuple[list[tuple[str, int, str]], str]:
    """The problem lines of ``check`` output, and its last line."""
    lines = out.strip().splitlines()
    problems = []
    for line in lines[:-1]:
        match = PROBLEM_LINE.match(line)
        assert match, f"not a file:line: message line: {line!r}"
        problems.append((match["file"], int(match["line"]), match["message"]))
    return problems, lines[-1]


# ---------------------------------------------------------------- the broken trees
def unknown_topic_id(root: Path) -> list[Expected]:
    rel = "intents/kongres.nowhere.yaml"
    (root / rel).write_text(
        "topic: kongres.nowhere\nexamples:\n  pl:\n"
        + "".join(f"    - gdzie jest nigdzie {i}\n" for i in range(5)),
        encoding="utf-8",
    )
    return [Expected(rel, 1, "unknown topic id 'kongres.nowhere'")]


def unknown_related_topic(root: Path) -> list[Expected]:
    rel = "knowledge/topics/kongres.where.yaml"
    path = root / rel
    path.write_text(path.read_text(encoding="utf-8") + "related: [kongres.nowhere]\n")
    return [Expected(rel, 1, "unknown related topic 'kongres.nowhere'")]


def topic_id_not_matching_file(root: Path) -> list[Expected]:
    rel = "intents/kongres.join.yaml"
    edit(root, rel, "topic: kongres.join\n", "topic: kongres.joins\n")
    return [Expected(rel, 1, "topic id 'kongres.joins' does not match file name")]


def missing_required_topic(root: Path) -> list[Expected]:
    (root / "intents/ngo.council.yaml").unlink()
    (root / "knowledge/topics/ngo.council.yaml").unlink()
    return [
        Expected("intents/ngo.council.yaml", 0, "missing: required topic id"),
        Expected("knowledge/topics/ngo.council.yaml", 0, "missing: required topic id"),
    ]


def example_under_two_topics(root: Path) -> list[Expected]:
    # Same words, other case and punctuation: the check compares normalised text.
    rel = "intents/kongres.where.yaml"
    edit(
        root,
        rel,
        "    - adres kongresu\n",
        "    - adres kongresu\n    - Kiedy jest Kongres Dialogu?\n",
    )
    first = line_of(root, "intents/kongres.when.yaml", "- kiedy jest kongres dialogu")
    return [
        Expected(
            rel,
            line_of(root, rel, "Kiedy jest Kongres Dialogu?"),
            "example 'Kiedy jest Kongres Dialogu?' is also under kongres.when "
            f"(intents/kongres.when.yaml:{first})",
        )
    ]


def example_also_out_of_scope(root: Path) -> list[Expected]:
    rel = "intents/_out_of_scope.yaml"
    path = root / rel
    path.write_text(path.read_text(encoding="utf-8") + "    - termin kongresu\n")
    oos_line = line_of(root, rel, "- termin kongresu")
    return [
        Expected(
            "intents/kongres.when.yaml",
            line_of(root, "intents/kongres.when.yaml", "- termin kongresu"),
            f"example 'termin kongresu' is also under out of scope ({rel}:{oos_line})",
        )
    ]


def missing_polish_answer(root: Path) -> list[Expected]:
    rel = "knowledge/topics/bot.help.yaml"
    edit(root, rel, "answer:\n  pl: |", "answer:\n  en: |")
    return [Expected(rel, line_of(root, rel, "answer:"), "missing Polish text in 'answer'")]


def missing_polish_examples(root: Path) -> list[Expected]:
    rel = "intents/bot.help.yaml"
    edit(root, rel, "  pl:\n", "  en:\n")
    return [
        Expected(rel, line_of(root, rel, "  en:"), "missing Polish examples (at least 5 needed)")
    ]


def too_few_polish_examples(root: Path) -> list[Expected]:
    rel = "intents/bot.help.yaml"
    edit(root, rel, "    - jakie masz funkcje\n", "")
    return [Expected(rel, line_of(root, rel, "  pl:"), "missing Polish examples")]


def answer_over_the_length_limit(root: Path) -> list[Expected]:
    rel = "knowledge/topics/bot.help.yaml"
    edit(root, rel, "Odpowiedź na temat", "Bardzo długa odpowiedź. " * 130)
    pl_line = line_of(root, rel, "pl: |", after=line_of(root, rel, "answer:"))
    return [Expected(rel, pl_line, "answer.pl: answer too long")]


def unclosed_tag(root: Path) -> list[Expected]:
    rel = "knowledge/topics/bot.help.yaml"
    edit(root, rel, "<b>Pomoc</b>", "<b>Pomoc")
    pl_line = line_of(root, rel, "pl: |", after=line_of(root, rel, "answer:"))
    return [Expected(rel, pl_line, "malformed HTML: unclosed tag(s): <b>")]


def unsupported_tag(root: Path) -> list[Expected]:
    rel = "knowledge/topics/bot.thanks.yaml"
    edit(root, rel, "<b>Podziękowanie</b>", "<div>Podziękowanie</div>")
    pl_line = line_of(root, rel, "pl: |", after=line_of(root, rel, "answer:"))
    return [Expected(rel, pl_line, "malformed HTML: tag <div> is not supported by Telegram")]


def bare_ampersand(root: Path) -> list[Expected]:
    rel = "knowledge/topics/bot.human.yaml"
    edit(root, rel, "Odpowiedź na temat", "Kowalski & Syn")
    pl_line = line_of(root, rel, "pl: |", after=line_of(root, rel, "answer:"))
    return [Expected(rel, pl_line, "malformed HTML: a bare '&' must be written as &amp;")]


#: A topic of the minimal tree with one text fact (ids, questions, dates).
FACTS = "knowledge/topics/grants.witkac.yaml"


def fact_without_source(root: Path) -> list[Expected]:
    edit(root, FACTS, "    source: s1\n", "")
    return [Expected(FACTS, line_of(root, FACTS, "- id: fakt"), "fact without a source")]


def unknown_source_id(root: Path) -> list[Expected]:
    edit(root, FACTS, "    source: s1\n", "    source: s99\n")
    return [
        Expected(
            FACTS, line_of(root, FACTS, "source: s99"), "unknown source 's99' (see sources.yaml)"
        )
    ]


def stale_fact(root: Path) -> list[Expected]:
    edit(root, FACTS, "checked: 2026-06-01", "checked: 2024-01-15")
    edit(root, FACTS, "known_from: 2026-01-01", "known_from: 2024-01-01")
    return [
        Expected(
            FACTS,
            line_of(root, FACTS, "checked: 2024-01-15"),
            "stale fact, last checked 2024-01-15 (more than 365 days ago)",
        )
    ]


def fact_checked_in_the_future(root: Path) -> list[Expected]:
    edit(root, FACTS, "checked: 2026-06-01", "checked: 2027-01-01")
    return [
        Expected(FACTS, line_of(root, FACTS, "checked: 2027"), "'checked' date is in the future")
    ]


# ---------------------------------------------------------------- the fact fields (issue 9)
def fact_without_known_from(root: Path) -> list[Expected]:
    edit(root, FACTS, "    known_from: 2026-01-01\n", "")
    return [
        Expected(
            FACTS,
            line_of(root, FACTS, "- id: fakt"),
            "topic grants.witkac fact fakt: missing 'known_from' (the day from which the fact "
            "was public)",
        )
    ]


def known_from_after_checked(root: Path) -> list[Expected]:
    edit(root, FACTS, "known_from: 2026-01-01", "known_from: 2026-07-01")
    return [
        Expected(
            FACTS,
            line_of(root, FACTS, "known_from: 2026-07-01"),
            "'known_from' 2026-07-01 is after 'checked' 2026-06-01",
        )
    ]


def known_from_not_a_date(root: Path) -> list[Expected]:
    edit(root, FACTS, "known_from: 2026-01-01", "known_from: wiosna 2025")
    return [
        Expected(
            FACTS,
            line_of(root, FACTS, "known_from: wiosna"),
            "known_from: 'wiosna 2025' is not a date (YYYY-MM-DD)",
        )
    ]


def fact_without_questions(root: Path) -> list[Expected]:
    path = root / FACTS
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    start = next(i for i, ln in enumerate(lines) if ln.strip() == "questions:")
    del lines[start : start + 4]
    path.write_text("".join(lines), encoding="utf-8")
    return [
        Expected(
            FACTS,
            line_of(root, FACTS, "- id: fakt"),
            "missing 'questions' (short phrasings of what the fact answers",
        )
    ]


def questions_without_polish(root: Path) -> list[Expected]:
    edit(root, FACTS, "      pl: [fakt testowy]\n", "")
    return [
        Expected(FACTS, line_of(root, FACTS, "questions:"), "'questions' needs at least one Polish")
    ]


def fact_without_id(root: Path) -> list[Expected]:
    edit(root, FACTS, "  - id: fakt\n    questions:", "  - questions:")
    return [Expected(FACTS, line_of(root, FACTS, "- questions:"), "fact: needs an 'id'")]


def fact_id_repeated(root: Path) -> list[Expected]:
    path = root / FACTS
    text = path.read_text(encoding="utf-8")
    facts = text[text.index("  - id: fakt") :]
    path.write_text(text + facts, encoding="utf-8")
    second = line_of(root, FACTS, "- id: fakt", after=line_of(root, FACTS, "- id: fakt"))
    return [Expected(FACTS, second, "fact id 'fakt' repeated")]


def fact_value_without_ukrainian(root: Path) -> list[Expected]:
    edit(root, FACTS, "      uk: Факт про grants.witkac.\n", "")
    return [
        Expected(FACTS, line_of(root, FACTS, "value:"), "value has no 'uk' text (write every fact")
    ]


def fact_value_with_markup(root: Path) -> list[Expected]:
    edit(root, FACTS, "pl: Fakt o temacie grants.witkac.", "pl: Fakt <b>ważny</b>.")
    return [Expected(FACTS, line_of(root, FACTS, "value:"), "plain text only")]


def see_names_an_unknown_fact(root: Path) -> list[Expected]:
    edit(root, FACTS, "    status: confirmed\n", "    status: missing\n    see: [nieznany]\n")
    return [Expected(FACTS, line_of(root, FACTS, "- id: fakt"), "unknown fact id 'nieznany'")]


def overview_names_an_unknown_fact(root: Path) -> list[Expected]:
    edit(root, FACTS, "facts:\n", "overview: [nieznany]\nfacts:\n")
    return [
        Expected(FACTS, line_of(root, FACTS, "overview:"), "overview names unknown fact 'nieznany'")
    ]


def block_fact_with_a_source(root: Path) -> list[Expected]:
    rel = "knowledge/topics/kongres.when.yaml"
    edit(root, rel, "    block: kongres_when\n", "    block: kongres_when\n    source: s1\n")
    return [
        Expected(
            rel, line_of(root, rel, "    source: s1", after=4), "a block fact takes no 'source'"
        )
    ]


def answer_in_a_city_topic(root: Path) -> list[Expected]:
    edit(root, FACTS, "facts:\n", "answer:\n  pl: Tekst.\nfacts:\n")
    return [Expected(FACTS, line_of(root, FACTS, "answer:"), "'answer' is only for conversation")]


def event_without_known_from(root: Path) -> list[Expected]:
    rel = "knowledge/events.yaml"
    edit(root, rel, "    known_from: 2026-05-01\n", "")
    return [
        Expected(
            rel, line_of(root, rel, "- id: forum-test"), "event forum-test: missing 'known_from'"
        )
    ]


def place_fact_without_known_from(root: Path) -> list[Expected]:
    rel = "knowledge/places.yaml"
    edit(root, rel, " known_from: 2026-01-01, checked", " checked")
    return [
        Expected(rel, line_of(root, rel, "address:"), "place biuro.address: missing 'known_from'")
    ]


def topic_in_no_menu_group(root: Path) -> list[Expected]:
    rel = "knowledge/menu.yaml"
    edit(root, rel, ", ngo.training]", "]")
    return [
        Expected(rel, line_of(root, rel, "groups:"), "topic 'ngo.training' is in no menu group")
    ]


def command_opens_an_unknown_group(root: Path) -> list[Expected]:
    rel = "knowledge/menu.yaml"
    edit(root, rel, "granty: {group: grants}", "granty: {group: dotacje}")
    return [
        Expected(
            rel, line_of(root, rel, "granty:"), "command /granty: unknown menu group 'dotacje'"
        )
    ]


def theme_with_an_unknown_topic(root: Path) -> list[Expected]:
    rel = "knowledge/menu.yaml"
    edit(root, rel, "topics: [grants.open_calls]", "topics: [grants.nowhere]")
    return [
        Expected(
            rel,
            line_of(root, rel, "topics: [grants.nowhere]"),
            "theme grants: unknown topic 'grants.nowhere'",
        )
    ]


def group_overview_names_an_unknown_fact(root: Path) -> list[Expected]:
    rel = "knowledge/menu.yaml"
    edit(root, rel, "grants.open_calls#fakt]", "grants.open_calls#brak]")
    return [
        Expected(rel, line_of(root, rel, "- id: grants"), "unknown fact grants.open_calls#brak")
    ]


def yaml_syntax_error(root: Path) -> list[Expected]:
    rel = "intents/bot.help.yaml"
    edit(root, rel, "    - pomoc\n", "    - pomoc: a: b\n")
    return [
        Expected(
            rel, line_of(root, rel, "pomoc: a: b"), "YAML error: mapping values are not allowed"
        )
    ]


def yaml_tab_indentation(root: Path) -> list[Expected]:
    rel = "intents/bot.help.yaml"
    edit(root, rel, "    - pomoc\n", "    - pomoc\n\t- tabulator\n")
    # libyaml: "found a tab character ..."; the pure-Python parser: "found character '\\t' ..."
    said = "found a tab character" if LIBYAML else "found character '\\t'"
    return [Expected(rel, line_of(root, rel, "tabulator"), f"YAML error: {said}")]


def yaml_duplicate_key(root: Path) -> list[Expected]:
    rel = "knowledge/topics/bot.help.yaml"
    edit(root, rel, "topic: bot.help\n", "topic: bot.help\ntopic: bot.help\n")
    return [Expected(rel, 2, "YAML error: duplicate key 'topic'")]


def invalid_session_time(root: Path) -> list[Expected]:
    rel = "knowledge/events.yaml"
    edit(root, rel, 'end: "10:30"', 'end: "10:75"')
    return [
        Expected(rel, line_of(root, rel, '"10:75"'), "'10:75' is not a time (HH:MM, in quotes)")
    ]


def invalid_opening_hours(root: Path) -> list[Expected]:
    rel = "knowledge/places.yaml"
    edit(root, rel, 'mon: ["07:30-15:30"]', 'mon: ["07:30-25:00"]')
    return [Expected(rel, line_of(root, rel, "mon:"), "'25:00' is not a time")]


def unknown_block(root: Path) -> list[Expected]:
    rel = "knowledge/topics/kongres.when.yaml"
    edit(root, rel, "block: kongres_when", "block: kongres_kiedy")
    return [Expected(rel, line_of(root, rel, "block:"), "unknown block 'kongres_kiedy'")]


def unknown_place_in_hours_block(root: Path) -> list[Expected]:
    rel = "knowledge/topics/office.hours.yaml"
    edit(root, rel, "block: hours:biuro", "block: hours:nigdzie")
    return [Expected(rel, line_of(root, rel, "block:"), "unknown place 'nigdzie' in block")]


def block_in_a_conversation_answer(root: Path) -> list[Expected]:
    rel = "knowledge/topics/bot.help.yaml"
    edit(root, rel, "Odpowiedź na temat", "{kongres_when} Odpowiedź")
    pl_line = line_of(root, rel, "pl: |", after=line_of(root, rel, "answer:"))
    return [Expected(rel, pl_line, "dynamic parts ({kongres_when}) belong in")]


def event_id_too_long(root: Path) -> list[Expected]:
    rel = "knowledge/events.yaml"
    long_id = "konkurs-" + "x" * 57  # 65 characters
    edit(root, rel, "id: konkurs-test", f"id: {long_id}")
    return [Expected(rel, line_of(root, rel, long_id), "id longer than 64 characters")]


BROKEN: list[Callable[[Path], list[Expected]]] = [
    unknown_topic_id,
    unknown_related_topic,
    topic_id_not_matching_file,
    missing_required_topic,
    example_under_two_topics,
    example_also_out_of_scope,
    missing_polish_answer,
    missing_polish_examples,
    too_few_polish_examples,
    answer_over_the_length_limit,
    unclosed_tag,
    unsupported_tag,
    bare_ampersand,
    fact_without_source,
    unknown_source_id,
    stale_fact,
    fact_checked_in_the_future,
    yaml_syntax_error,
    yaml_tab_indentation,
    yaml_duplicate_key,
    invalid_session_time,
    invalid_opening_hours,
    unknown_block,
    unknown_place_in_hours_block,
    event_id_too_long,
    block_in_a_conversation_answer,
    fact_without_known_from,
    known_from_after_checked,
    known_from_not_a_date,
    fact_without_questions,
    questions_without_polish,
    fact_without_id,
    fact_id_repeated,
    fact_value_without_ukrainian,
    fact_value_with_markup,
    see_names_an_unknown_fact,
    overview_names_an_unknown_fact,
    block_fact_with_a_source,
    answer_in_a_city_topic,
    event_without_known_from,
    place_fact_without_known_from,
    topic_in_no_menu_group,
    command_opens_an_unknown_group,
    theme_with_an_unknown_topic,
    group_overview_names_an_unknown_fact,
]


# ---------------------------------------------------------------- tests
def test_the_minimal_tree_is_valid(content_dir: Path, run_cli) -> None:
    result = run_cli("--content-dir", str(content_dir), "check", "--today", TODAY)
    assert result.code == 0, result.out
    assert result.out.strip() == "content OK: 26 topics, 140 examples"


def test_the_shipped_content_passes(run_cli) -> None:
    result = run_cli("check")
    assert result.code == 0, result.out
    assert result.out.startswith("content OK:"), result.out


@pytest.mark.parametrize("breakage", BROKEN, ids=[b.__name__ for b in BROKEN])
def test_check_reports_file_line_and_message(
    content_dir: Path, run_cli, breakage: Callable[[Path], list[Expected]]
) -> None:
    expected = breakage(content_dir)
    result = run_cli("--content-dir", str(content_dir), "check", "--today", TODAY)
    assert result.code == 1, result.out
    problems, summary = parse_check_output(result.out)
    assert summary == f"content check failed: {len(problems)} problem(s)"
    for want in expected:
        matching = [
            p for p in problems if (p[0], p[1]) == (want.file, want.line) and want.message in p[2]
        ]
        assert matching, f"expected {want.file}:{want.line}: …{want.message}… in:\n{result.out}"


def test_max_age_days_changes_the_verdict(content_dir: Path, run_cli) -> None:
    expected = stale_fact(content_dir)
    args = ("--content-dir", str(content_dir))
    strict = run_cli(*args, "check", "--today", TODAY)
    assert strict.code == 1
    assert f"{expected[0].file}:{expected[0].line}: " in strict.out
    lenient = run_cli(*args, "--max-age-days", "2000", "check", "--today", TODAY)
    assert lenient.code == 0, lenient.out
    assert "stale" not in lenient.out


def test_a_short_max_age_makes_recent_facts_stale(content_dir: Path, run_cli) -> None:
    args = ("--content-dir", str(content_dir))
    assert run_cli(*args, "--max-age-days", "365", "check", "--today", TODAY).code == 0
    result = run_cli(*args, "--max-age-days", "30", "check", "--today", TODAY)
    assert result.code == 1
    problems, _summary = parse_check_output(result.out)
    assert problems
    assert all("stale" in message for _f, _l, message in problems), result.out
    assert "more than 30 days ago" in result.out


def test_an_invalid_max_age_is_a_usage_error(content_dir: Path, run_cli) -> None:
    result = run_cli("--content-dir", str(content_dir), "--max-age-days", "0", "check")
    assert result.code == 2
    assert "max age" in result.err
    assert "Traceback" not in result.err


def test_times_written_without_quotes_stay_times(content_dir: Path) -> None:
    # YAML 1.1 reads an unquoted 10:00 as the number 600; the loader must not.
    edit(
        content_dir,
        "knowledge/events.yaml",
        'start: "10:00"\n            end: "10:30"',
        "start: 10:00\n            end: 10:30",
    )
    content, problems = check_content(content_dir, today=date.fromisoformat(TODAY))
    assert problems == []
    assert content is not None
    opening = content.knowledge.kongres[-1].days[0].sessions[0]
    assert (opening.start, opening.end) == (time(10, 0), time(10, 30))


def test_load_content_lists_every_problem(content_dir: Path) -> None:
    # Four problems in four files: all of them are reported, not just the first.
    expected = [
        *unsupported_tag(content_dir),
        *fact_without_source(content_dir),
        *invalid_session_time(content_dir),
        *yaml_syntax_error(content_dir),
    ]
    with pytest.raises(ContentError) as caught:
        load_content(content_dir, today=date.fromisoformat(TODAY))
    problems = caught.value.problems
    for want in expected:
        assert any(
            (p.file, p.line) == (want.file, want.line) and want.message in p.message
            for p in problems
        ), f"{want} missing from {problems}"
    message = str(caught.value)
    assert message.startswith(f"{len(problems)} content problem(s):")
    for problem in problems:
        assert str(problem) in message


def test_load_content_tolerates_stale_facts_unless_asked(content_dir: Path) -> None:
    stale_fact(content_dir)
    today = date.fromisoformat(TODAY)
    content = load_content(content_dir, today=today)
    assert [p.message for p in content.warnings] == [
        "topic grants.witkac fact fakt: stale fact, last checked 2024-01-15 "
        "(more than 365 days ago)"
    ]
    with pytest.raises(ContentError, match="stale fact"):
        load_content(content_dir, today=today, allow_stale=False)


def test_shipped_content_has_every_required_topic(shipped_engine: Engine) -> None:
    content = shipped_engine.content
    assert content.root == PROJECT_ROOT
    assert set(REQUIRED_TOPICS) <= set(content.knowledge.topics)
    assert {i.topic for i in content.intents} >= set(REQUIRED_TOPICS)


def no_polish_answer_in_a_required_topic(root: Path) -> list[Expected]:
    return missing_polish_answer(root)


def yaml_error_in_a_required_topic(root: Path) -> list[Expected]:
    rel = "knowledge/topics/bot.help.yaml"
    edit(root, rel, "topic: bot.help\n", "topic: [bot.help\n")
    # PyYAML notices the unclosed list on the next line.
    return [Expected(rel, 2, "expected ',' or ']'")]


def required_topic_file_emptied(root: Path) -> list[Expected]:
    rel = "knowledge/topics/bot.help.yaml"
    (root / rel).write_text("# do uzupełnienia\n", encoding="utf-8")
    return [Expected(rel, 1, "file is empty")]


def required_intents_file_not_a_mapping(root: Path) -> list[Expected]:
    rel = "intents/bot.help.yaml"
    (root / rel).write_text("- pomoc\n- co umiesz\n", encoding="utf-8")
    return [Expected(rel, 1, "intents file must be a mapping")]


def related_topic_broken(root: Path) -> list[Expected]:
    unknown_related = "knowledge/topics/kongres.where.yaml"
    path = root / unknown_related
    path.write_text(path.read_text(encoding="utf-8") + "related: [bot.help]\n")
    return missing_polish_answer(root)


BROKEN_FILES: list[Callable[[Path], list[Expected]]] = [
    no_polish_answer_in_a_required_topic,
    yaml_error_in_a_required_topic,
    required_topic_file_emptied,
    required_intents_file_not_a_mapping,
    related_topic_broken,
]


def test_a_broken_topic_file_is_not_reported_as_missing(content_dir: Path) -> None:
    expected = missing_polish_answer(content_dir)
    _content, problems = check_content(content_dir, today=date.fromisoformat(TODAY))
    false_claims = [
        str(p) for p in problems if "no knowledge/topics/bot.help.yaml" in p.message or p.line == 0
    ]
    assert false_claims == [], "the file exists; only its Polish answer is missing"
    assert [(p.file, p.line) for p in problems] == [(want.file, want.line) for want in expected]


@pytest.mark.parametrize("breakage", BROKEN_FILES, ids=[b.__name__ for b in BROKEN_FILES])
def test_a_broken_file_yields_only_its_own_problems(
    content_dir: Path, breakage: Callable[[Path], list[Expected]]
) -> None:
    # The file exists: no "missing", "unknown topic", "no intents file" or
    # "unknown related topic" claims may follow from its own error.
    expected = breakage(content_dir)
    _content, problems = check_content(content_dir, today=date.fromisoformat(TODAY))
    assert {p.file for p in problems} == {want.file for want in expected}, problems
    for want in expected:
        assert any(
            (p.file, p.line) == (want.file, want.line) and want.message in p.message
            for p in problems
        ), f"{want} missing from {problems}"
    assert not [p for p in problems if p.line == 0], problems


@pytest.mark.parametrize(
    "text",
    ["# wyczyszczone przez pomyłkę\n", "", "\n\n", "---\n"],
    ids=["comment-only", "empty", "blank-lines", "document-marker-only"],
)
def test_an_empty_events_file_is_reported(content_dir: Path, run_cli, text: str) -> None:
    (content_dir / "knowledge/events.yaml").write_text(text)
    result = run_cli("--content-dir", str(content_dir), "check", "--today", TODAY)
    assert result.code == 1, result.out
    assert "knowledge/events.yaml:1: file is empty (or has only comments)" in result.out


@pytest.mark.parametrize(
    "rel", ["knowledge/sources.yaml", "knowledge/places.yaml", "intents/_out_of_scope.yaml"]
)
def test_any_empty_content_file_is_reported(content_dir: Path, run_cli, rel: str) -> None:
    (content_dir / rel).write_text("# pusto\n", encoding="utf-8")
    result = run_cli("--content-dir", str(content_dir), "check", "--today", TODAY)
    assert result.code == 1, result.out
    assert f"{rel}:1: file is empty (or has only comments)" in result.out


def test_events_without_kongres_editions_are_reported(content_dir: Path) -> None:
    rel = "knowledge/events.yaml"
    path = content_dir / rel
    text = path.read_text(encoding="utf-8")
    path.write_text(text[text.index("events:") :], encoding="utf-8")
    _content, problems = check_content(content_dir, today=date.fromisoformat(TODAY))
    assert [str(p) for p in problems] == [f"{rel}:1: events.yaml: no Kongres editions"]
