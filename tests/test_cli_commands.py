"""``torun-bot`` (bot.cli.main): ask, eval, check and run, in-process and as a real process."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from bot.core.dates import fmt_date_range
from bot.services import PROJECT_ROOT

REPLY_KEYS = {"text", "intent", "confidence", "action", "alternatives", "answer"}
EVAL_KEYS = {
    "in_scope_answered_right",
    "out_of_scope_not_answered",
    "wrong_answers",
    "ms_per_message",
    "build_seconds",
}
ACTIONS = {"answer", "clarify", "handoff"}


def assert_reply_object(obj: dict, text: str) -> None:
    assert set(obj) == REPLY_KEYS, f"keys: {sorted(obj)}"
    assert obj["text"] == text
    assert obj["action"] in ACTIONS
    assert isinstance(obj["confidence"], int | float) and 0.0 <= obj["confidence"] <= 1.0
    assert isinstance(obj["answer"], str) and obj["answer"].strip()
    assert isinstance(obj["alternatives"], list)
    for alt in obj["alternatives"]:
        assert set(alt) == {"intent", "confidence"}
        assert isinstance(alt["intent"], str)
        assert 0.0 <= alt["confidence"] <= 1.0
    confidences = [a["confidence"] for a in obj["alternatives"]]
    assert confidences == sorted(confidences, reverse=True)
    if obj["action"] == "answer":
        assert obj["intent"] == obj["alternatives"][0]["intent"]
    else:
        assert obj["intent"] is None


def assert_one_line_error(result, code: int = 2) -> None:
    """A clean failure: the exit code, and one line on stderr without a traceback."""
    assert result.code == code, (result.code, result.err)
    assert "Traceback" not in result.err
    assert result.err.startswith("torun-bot ") and result.err.count("\n") == 1, result.err


def stdin_bytes(data: bytes) -> io.TextIOWrapper:
    """Standard input as a real process has it: bytes under a UTF-8 text layer."""
    return io.TextIOWrapper(io.BytesIO(data), encoding="utf-8")


def write_jsonl(path: Path, rows: list[object]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), "utf-8")
    return path


# ---------------------------------------------------------------- ask
def test_ask_json_has_exactly_the_documented_keys(content_dir: Path, run_cli) -> None:
    result = run_cli("--content-dir", str(content_dir), "ask", "kiedy jest kongres", "--json")
    assert result.code == 0, result.err
    obj = json.loads(result.out)
    assert_reply_object(obj, "kiedy jest kongres")
    assert (obj["action"], obj["intent"]) == ("answer", "kongres.when")


@pytest.mark.parametrize(
    ("text", "action"),
    [("kongres", "clarify"), ("dziura w jezdni", "handoff"), ("🎉", "handoff")],
)
def test_ask_json_for_clarify_and_handoff(content_dir: Path, run_cli, text: str, action: str):
    result = run_cli("--content-dir", str(content_dir), "ask", text, "--json")
    assert result.code == 0, result.err
    obj = json.loads(result.out)
    assert_reply_object(obj, text)
    assert obj["action"] == action


def test_ask_now_moves_the_answer_in_time(content_dir: Path, run_cli) -> None:
    args = ("--content-dir", str(content_dir), "ask", "kiedy jest kongres", "--json")
    before = json.loads(run_cli(*args, "--now", "2025-09-20T12:00").out)
    during = json.loads(run_cli(*args, "--now", "2025-09-29T10:15+02:00").out)
    after = json.loads(run_cli(*args, "--now", "2026-11-22T12:00").out)
    dates = fmt_date_range(date(2025, 9, 29), date(2025, 9, 30), "pl")
    for obj in (before, during, after):
        assert obj["intent"] == "kongres.when"
        assert dates in obj["answer"]
    assert len({before["answer"], during["answer"], after["answer"]}) == 3


def test_ask_without_json_prints_the_decision(content_dir: Path, run_cli) -> None:
    result = run_cli("--content-dir", str(content_dir), "ask", "mikrogranty")
    assert result.code == 0
    assert result.out.rstrip().splitlines()[-1].startswith("[answer: grants.microgrants, ")


JSONL_MESSAGES = [
    "kiedy jest kongres",
    "",
    "   ",
    "a" * 10_000,
    "kongres " * 1_250,
    "🎉🎉🎉",
    "kiedy\x00jest\x07kongres\x1b",
    "中文问题",
    "متى المؤتمر",
    "12345",
    "gdzie jest kongres",
]


def test_ask_jsonl_answers_one_object_per_line(
    content_dir: Path, run_cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO("".join(m + "\n" for m in JSONL_MESSAGES)))
    result = run_cli("--content-dir", str(content_dir), "ask", "--jsonl")
    assert result.code == 0, result.err
    lines = result.out.splitlines()
    assert len(lines) == len(JSONL_MESSAGES), "one JSON line per input line, empty ones too"
    for message, line in zip(JSONL_MESSAGES, lines, strict=True):
        assert_reply_object(json.loads(line), message)
    first, *_rest, last = (json.loads(line) for line in lines)
    assert first["intent"] == "kongres.when"
    assert last["intent"] == "kongres.where"


def test_ask_jsonl_handles_windows_line_endings(
    content_dir: Path, run_cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO("mikrogranty\r\n\r\n"))
    result = run_cli("--content-dir", str(content_dir), "ask", "--jsonl")
    texts = [json.loads(line)["text"] for line in result.out.splitlines()]
    assert texts == ["mikrogranty", ""]


def test_ask_jsonl_with_invalid_utf8_names_the_line_and_answers_every_line(
    content_dir: Path, run_cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Line 3 is Polish in Windows-1250; a text layer would fail reading line 1.
    data = "kongres\nmikrogranty\ngdzie złożyć\nkongres\n".encode("cp1250")
    monkeypatch.setattr(sys, "stdin", stdin_bytes(data))
    result = run_cli("--content-dir", str(content_dir), "ask", "--jsonl")
    assert result.code == 0, result.err
    assert "Traceback" not in result.err
    assert "standard input line 3 is not valid UTF-8" in result.err
    replies = [json.loads(line) for line in result.out.splitlines()]
    garbled = "gdzie z\ufffdo\ufffdy\ufffd"  # each undecodable byte replaced, nothing dropped
    assert [r["text"] for r in replies] == ["kongres", "mikrogranty", garbled, "kongres"]
    for reply in replies:
        assert_reply_object(reply, reply["text"])


def test_ask_jsonl_with_undecodable_bytes_under_a_c_locale(
    content_dir: Path, run_cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Under LANG=C.UTF-8 Python reads stdin with surrogateescape: bad bytes
    # arrive as lone surrogates, which cannot be written out as JSON text.
    monkeypatch.setattr(sys, "stdin", io.StringIO("kongres\n\udcff\udcfe\nkongres\n"))
    result = run_cli("--content-dir", str(content_dir), "ask", "--jsonl")
    assert result.code == 0, result.err
    assert "standard input line 2 is not valid UTF-8" in result.err
    replies = [json.loads(line) for line in result.out.splitlines()]
    assert [r["text"] for r in replies] == ["kongres", "\ufffd\ufffd", "kongres"]
    result.out.encode("utf-8")  # valid UTF-8 throughout


def test_ask_jsonl_drops_a_byte_order_mark(
    content_dir: Path, run_cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "stdin", stdin_bytes("\ufeffmikrogranty\n".encode()))
    result = run_cli("--content-dir", str(content_dir), "ask", "--jsonl")
    assert result.code == 0, result.err
    assert_reply_object(json.loads(result.out), "mikrogranty")


def test_ask_with_undecodable_text_is_a_usage_error(content_dir: Path, run_cli) -> None:
    # What `torun-bot ask $'\xff'` gives Python in sys.argv.
    result = run_cli("--content-dir", str(content_dir), "ask", "kongres \udcff", "--json")
    assert_one_line_error(result)
    assert "TEXT is not valid UTF-8" in result.err
    assert result.out == ""


@pytest.mark.parametrize("value", ["tomorrow", "2025-13-01", "2025-09-29T25:00", "29.09.2025", ""])
def test_ask_with_an_invalid_now_is_a_usage_error(run_cli, value: str) -> None:
    result = run_cli("ask", "kiedy jest kongres", "--json", "--now", value)
    assert result.code == 2
    assert result.out == ""
    assert "--now" in result.err and "ISO 8601" in result.err, result.err
    assert "Traceback" not in result.err


def test_ask_needs_a_message(content_dir: Path, run_cli) -> None:
    result = run_cli("--content-dir", str(content_dir), "ask")
    assert result.code == 2
    assert "give the message" in result.err


def test_ask_jsonl_refuses_a_text_argument(content_dir: Path, run_cli) -> None:
    result = run_cli("--content-dir", str(content_dir), "ask", "kongres", "--jsonl")
    assert result.code == 2
    assert "standard input" in result.err


def test_ask_with_broken_content_names_the_problem(content_dir: Path, run_cli) -> None:
    (content_dir / "knowledge/topics/bot.help.yaml").write_text("topic: [\n", encoding="utf-8")
    result = run_cli("--content-dir", str(content_dir), "ask", "kongres", "--json")
    assert result.code == 1
    assert "knowledge/topics/bot.help.yaml:" in result.err
    assert "torun-bot check" in result.err
    assert "Traceback" not in result.err


@pytest.mark.parametrize("command", [["ask", "kongres"], ["check"], ["chat"], ["eval"]])
def test_a_content_dir_that_does_not_exist_is_a_usage_error(
    run_cli, tmp_path: Path, command: list[str]
) -> None:
    if command == ["eval"]:
        command = [*command, str(write_jsonl(tmp_path / "test.jsonl", TEST_SET))]
    nowhere = tmp_path / "nowhere"
    result = run_cli("--content-dir", str(nowhere), *command)
    assert_one_line_error(result)
    assert f"--content-dir: {nowhere} does not exist" in result.err
    assert result.out == ""


def test_a_content_dir_env_that_is_a_file_is_a_usage_error(
    run_cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    a_file = tmp_path / "content.yaml"
    a_file.write_text("", encoding="utf-8")
    monkeypatch.setenv("CONTENT_DIR", str(a_file))
    result = run_cli("check")
    assert_one_line_error(result)
    assert f"CONTENT_DIR: {a_file} is not a folder" in result.err


def test_a_max_age_env_that_is_not_a_number_is_a_usage_error(
    content_dir: Path, run_cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CONTENT_MAX_AGE_DAYS", "rok")
    result = run_cli("--content-dir", str(content_dir), "check")
    assert_one_line_error(result)
    assert "CONTENT_MAX_AGE_DAYS" in result.err and "'rok' is not a whole number" in result.err


def test_chat_skips_a_line_that_is_not_utf8_under_a_c_locale(
    content_dir: Path, run_cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO("gdzie z\udcb3o\udcbfy\udce6\nmikrogranty\n"))
    result = run_cli("--content-dir", str(content_dir), "chat")
    assert result.code == 0, result.err
    assert "nie jest poprawny tekst UTF-8" in result.out
    assert "[answer: grants.microgrants, " in result.out, "the chat goes on"


def test_chat_on_input_that_is_not_utf8_ends_with_a_usage_error(
    content_dir: Path, run_cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "stdin", stdin_bytes("gdzie złożyć\n".encode("cp1250")))
    result = run_cli("--content-dir", str(content_dir), "chat")
    assert_one_line_error(result)
    assert "standard input is not valid UTF-8" in result.err


def test_no_command_prints_help(run_cli) -> None:
    result = run_cli()
    assert result.code == 2
    assert "COMMAND" in result.out


# ---------------------------------------------------------------- eval
TEST_SET = [
    {"text": "kiedy jest kongres dialogu", "intent": "kongres.when"},
    {"text": "gdzie odbywa się kongres", "intent": "kongres.where"},
    {"text": "mikrogranty dla młodzieży", "intent": "grants.microgrants"},
    {"text": "dziura w jezdni", "intent": None},
]


def test_eval_json_on_the_content(content_dir: Path, run_cli, tmp_path: Path) -> None:
    test_file = write_jsonl(tmp_path / "test.jsonl", TEST_SET)
    result = run_cli("--content-dir", str(content_dir), "eval", str(test_file), "--json")
    assert result.code == 0, result.err
    report = json.loads(result.out)
    assert set(report) >= EVAL_KEYS
    for key in ("in_scope_answered_right", "out_of_scope_not_answered", "wrong_answers"):
        assert 0.0 <= report[key] <= 1.0, key
    assert report["ms_per_message"] >= 0.0
    assert report["build_seconds"] > 0.0
    assert report["in_scope_answered_right"] == 1.0
    assert report["out_of_scope_not_answered"] == 1.0


def test_eval_train_builds_from_another_labelled_file(
    content_dir: Path, run_cli, tmp_path: Path
) -> None:
    train = write_jsonl(
        tmp_path / "train.jsonl",
        [
            *({"text": t, "intent": "custom.dates"} for t in ["kiedy kongres", "termin kongresu"]),
            *({"text": t, "intent": "custom.grants"} for t in ["mikrogranty", "mały grant"]),
            {"text": "dziura w jezdni", "intent": None},
        ],
    )
    test_file = write_jsonl(
        tmp_path / "test.jsonl",
        [
            {"text": "kiedy jest kongres", "intent": "custom.dates"},
            {"text": "mikrogranty dla młodzieży", "intent": "custom.grants"},
        ],
    )
    args = ("--content-dir", str(content_dir), "eval", str(test_file), "--json")
    with_train = json.loads(run_cli(*args, "--train", str(train)).out)
    assert set(with_train) >= EVAL_KEYS
    assert with_train["in_scope_answered_right"] == 1.0
    # The content's topics are not named custom.*: without --train nothing is right.
    without = json.loads(run_cli(*args).out)
    assert without["in_scope_answered_right"] == 0.0


@pytest.mark.parametrize(
    ("content", "line", "problem"),
    [
        (
            '{"text": "a", "intent": null}\n{"text": "b", "intent": null}\n{"text": broken\n',
            3,
            "JSON",
        ),
        ('{"text": "a", "intent": null}\n["a list"]\n', 2, "'text'"),
        ('{"text": "a", "intent": 5}\n', 1, "'intent'"),
        ('{"intent": "kongres.when"}\n', 1, "'text'"),
        ('{"text": "a", "intent": null}\nnull\n', 2, "'text'"),
        ('"kiedy jest kongres"\n', 1, "'text'"),
        ("5\n", 1, "'text'"),
        ('{"text": "a", "intent": null}\n' + "[" * 100_000 + "\n", 2, "nested too deeply"),
        ('{"text": "kongres \\ud800", "intent": null}\n', 1, "'text' has an unpaired"),
        ('{"text": "kongres", "intent": "\\udcff"}\n', 1, "'intent' has an unpaired"),
    ],
    ids=[
        "broken-json",
        "list",
        "intent-number",
        "no-text",
        "null",
        "string",
        "number",
        "nested-too-deeply",
        "lone-surrogate-text",
        "lone-surrogate-intent",
    ],
)
def test_eval_on_a_malformed_file_names_the_line(
    run_cli, tmp_path: Path, content: str, line: int, problem: str
) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text(content, encoding="utf-8")
    result = run_cli("eval", str(bad), "--train", str(bad))
    assert_one_line_error(result)
    assert f"{bad}:{line}:" in result.err
    assert problem in result.err


def test_eval_on_an_empty_file(run_cli, tmp_path: Path) -> None:
    empty = tmp_path / "empty.jsonl"
    empty.write_text("\n\n", encoding="utf-8")
    result = run_cli("eval", str(empty), "--train", str(empty))
    assert result.code == 2
    assert "no labelled messages" in result.err


def test_eval_on_a_missing_file(run_cli, tmp_path: Path) -> None:
    result = run_cli("eval", str(tmp_path / "nope.jsonl"))
    assert_one_line_error(result)
    assert f"{tmp_path / 'nope.jsonl'}: cannot read file: " in result.err


def test_eval_on_a_directory(run_cli, tmp_path: Path) -> None:
    result = run_cli("eval", str(tmp_path))
    assert_one_line_error(result)
    assert f"{tmp_path}: cannot read file: " in result.err


def test_eval_on_a_file_that_is_not_utf8_names_the_line(run_cli, tmp_path: Path) -> None:
    bad = tmp_path / "mixed.jsonl"
    good = write_jsonl(tmp_path / "good.jsonl", TEST_SET[:2]).read_bytes()
    bad.write_bytes(good + '{"text": "gdzie złożyć", "intent": null}\n'.encode("cp1250"))
    result = run_cli("eval", str(bad), "--train", str(bad))
    assert_one_line_error(result)
    assert f"{bad}:3: not valid UTF-8" in result.err


def test_eval_accepts_a_byte_order_mark(run_cli, tmp_path: Path) -> None:
    data = tmp_path / "bom.jsonl"
    data.write_bytes(
        "\ufeff".encode() + write_jsonl(tmp_path / "plain.jsonl", TEST_SET).read_bytes()
    )
    result = run_cli("eval", str(data), "--train", str(data), "--json")
    assert result.code == 0, result.err
    assert json.loads(result.out)["messages"] == len(TEST_SET)


def test_eval_errors_must_not_be_negative(run_cli, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        run_cli("eval", "x.jsonl", "--errors", "-3")
    assert caught.value.code == 2
    assert "--errors: '-3' is not a whole number (0 or more)" in capsys.readouterr().err


def test_eval_on_a_file_that_is_not_utf8(run_cli, tmp_path: Path) -> None:
    bad = tmp_path / "latin2.jsonl"
    bad.write_bytes('{"text": "gdzie złożyć wniosek", "intent": null}\n'.encode("iso-8859-2"))
    result = run_cli("eval", str(bad), "--train", str(bad))
    assert_one_line_error(result)
    assert f"{bad}:1: not valid UTF-8" in result.err
    assert result.out == ""


def test_eval_train_without_usable_examples(run_cli, tmp_path: Path) -> None:
    train = write_jsonl(tmp_path / "train.jsonl", [{"text": "🎉", "intent": "x"}])
    test_file = write_jsonl(tmp_path / "test.jsonl", [{"text": "kongres", "intent": "x"}])
    result = run_cli("eval", str(test_file), "--train", str(train))
    assert_one_line_error(result)
    assert f"--train {train}: no usable examples" in result.err
    assert result.out == ""


# ---------------------------------------------------------------- check
@pytest.mark.parametrize("value", ["2026-13-01", "jutro", "22.11.2026", "2026-02-30", ""])
def test_check_with_an_invalid_today_is_a_usage_error(
    content_dir: Path, run_cli, value: str
) -> None:
    result = run_cli("--content-dir", str(content_dir), "check", "--today", value)
    assert_one_line_error(result)
    assert f"--today: {value!r} is not a date (YYYY-MM-DD" in result.err
    assert result.out == ""


# ---------------------------------------------------------------- run
@pytest.fixture
def no_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> pytest.MonkeyPatch:
    """An environment without bot settings and without a .env file."""
    for name in ("TELEGRAM_TOKEN", "STAFF_CHAT_ID", "WEBHOOK_URL", "WEBHOOK_SECRET", "CONTENT_DIR"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    return monkeypatch


def test_run_without_settings_names_the_missing_variable(no_settings, run_cli) -> None:
    result = run_cli("run")
    assert result.code == 2
    assert "TELEGRAM_TOKEN" in result.err
    assert "Traceback" not in result.err


def test_run_without_staff_chat_names_it_and_hides_the_token(no_settings, run_cli) -> None:
    token = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"
    no_settings.setenv("TELEGRAM_TOKEN", token)
    result = run_cli("run")
    assert result.code == 2
    assert "STAFF_CHAT_ID" in result.err
    assert token not in result.err + result.out


# ---------------------------------------------------------------- a real process
def test_python_m_bot_ask_json_as_a_real_process() -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "bot", "ask", "kiedy jest kongres", "--json"],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=120,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    obj = json.loads(completed.stdout)
    assert_reply_object(obj, "kiedy jest kongres")
    assert (obj["action"], obj["intent"]) == ("answer", "kongres.when")


def test_chat_picks_any_offered_topic_by_its_number(
    run_cli, monkeypatch: pytest.MonkeyPatch, shipped_engine
) -> None:
    # With the shipped content "kongres" alone offers every Kongres topic.
    monkeypatch.setattr(sys, "stdin", io.StringIO("kongres\n3\n/koniec\n"))
    result = run_cli("chat", "--now", "2026-11-30T12:00")
    assert result.code == 0, result.err
    offered = [line for line in result.out.splitlines() if line.startswith("  [")]
    assert len(offered) >= 4, result.out  # more than the two of an ordinary clarification
    after = result.out.split(offered[-1], 1)[1]
    # The third topic of the Kongres menu group, answered directly.
    kongres = shipped_engine.content.knowledge.navigation.group("kongres")
    third = kongres.topics[2]
    assert f"[answer: {third}, confidence 1.00]" in after, after
    assert "[handoff" not in after, "'3' was taken as a new question"
