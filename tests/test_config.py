"""Settings: every missing or malformed setting is named; the token never shows."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.config import Secret, SettingsError, load_settings, read_environment

TOKEN = "123456789:AAHq0vD5sVbBqGm1Jd3vQWkFz8qf2E0n_Lw"  # not a real token
VALID = {"TELEGRAM_TOKEN": TOKEN, "STAFF_CHAT_ID": "-1001234567890"}
ROOT = Path(__file__).resolve().parent.parent


def test_valid_settings_and_defaults() -> None:
    settings = load_settings(VALID)
    assert settings.token.get() == TOKEN
    assert settings.staff_chat_id == -1001234567890
    assert settings.database_url.startswith("sqlite:///")
    assert settings.api_url == "https://api.telegram.org/bot"
    assert settings.broadcast_rate <= 30
    assert settings.ticket_quiet.total_seconds() == 72 * 3600
    assert settings.staff_admin_ids == frozenset()
    assert settings.staff_group_per_minute == 20


def test_staff_administrators_can_be_listed() -> None:
    settings = load_settings(
        {**VALID, "STAFF_ADMIN_IDS": "5001, 5002;5003", "TICKET_QUIET_HOURS": "24"}
    )
    assert settings.staff_admin_ids == {5001, 5002, 5003}
    assert settings.ticket_quiet.total_seconds() == 24 * 3600


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        ({}, "TELEGRAM_TOKEN"),
        ({"TELEGRAM_TOKEN": TOKEN}, "STAFF_CHAT_ID"),
        ({"TELEGRAM_TOKEN": "your-token-here", "STAFF_CHAT_ID": "-100"}, "TELEGRAM_TOKEN"),
        ({"TELEGRAM_TOKEN": "12345", "STAFF_CHAT_ID": "-100"}, "TELEGRAM_TOKEN"),
        ({**VALID, "STAFF_CHAT_ID": "biuro"}, "STAFF_CHAT_ID"),
        ({**VALID, "STAFF_CHAT_ID": "12345"}, "STAFF_CHAT_ID"),
        ({**VALID, "TELEGRAM_API_URL": "localhost:8081"}, "TELEGRAM_API_URL"),
        ({**VALID, "DATABASE_URL": "bot.sqlite3"}, "DATABASE_URL"),
        ({**VALID, "TICKET_REMINDER_MINUTES": "soon"}, "TICKET_REMINDER_MINUTES"),
        ({**VALID, "TICKET_REMINDER_MINUTES": "0"}, "TICKET_REMINDER_MINUTES"),
        ({**VALID, "TICKET_QUIET_HOURS": "trzy dni"}, "TICKET_QUIET_HOURS"),
        ({**VALID, "STAFF_ADMIN_IDS": "5001, Joanna"}, "STAFF_ADMIN_IDS"),
        ({**VALID, "BROADCAST_RATE": "100"}, "BROADCAST_RATE"),
        ({**VALID, "STAFF_GROUP_POSTS_PER_MINUTE": "0"}, "STAFF_GROUP_POSTS_PER_MINUTE"),
        ({**VALID, "WEBHOOK_SECRET": "short"}, "WEBHOOK_SECRET"),
        ({**VALID, "LOG_LEVEL": "LOUD"}, "LOG_LEVEL"),
        ({**VALID, "CONTENT_DIR": "/nonexistent"}, "CONTENT_DIR"),
    ],
)
def test_problems_name_the_variable(env: dict[str, str], variable: str) -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings(env)
    assert caught.value.variable == variable
    assert str(caught.value).startswith(variable)


def test_webhook_mode_needs_url_and_secret() -> None:
    with pytest.raises(SettingsError, match="WEBHOOK_URL"):
        load_settings(VALID, webhook=True)
    with pytest.raises(SettingsError, match="WEBHOOK_SECRET"):
        load_settings({**VALID, "WEBHOOK_URL": "https://bot.test/tg"}, webhook=True)
    settings = load_settings(
        {**VALID, "WEBHOOK_URL": "https://bot.test/tg", "WEBHOOK_SECRET": "s" * 32},
        webhook=True,
    )
    assert settings.webhook_secret == Secret("s" * 32)


def test_self_hosted_api_gets_a_matching_file_url() -> None:
    settings = load_settings({**VALID, "TELEGRAM_API_URL": "http://127.0.0.1:8081/bot"})
    assert settings.file_url == "http://127.0.0.1:8081/file/bot"


def test_the_token_never_shows_in_repr() -> None:
    settings = load_settings(VALID)
    assert TOKEN not in repr(settings)
    assert TOKEN not in str(settings.token)


def test_dotenv_file_is_read_and_environment_wins(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text(f"TELEGRAM_TOKEN={TOKEN}\nSTAFF_CHAT_ID=-1001\n", encoding="utf-8")
    monkeypatch.setenv("STAFF_CHAT_ID", "-1002")
    values = read_environment(env_file)
    assert values["TELEGRAM_TOKEN"] == TOKEN
    assert values["STAFF_CHAT_ID"] == "-1002"


@pytest.mark.parametrize("command", ["run", "webhook"])
def test_starting_without_settings_names_what_is_missing(tmp_path: Path, command: str) -> None:
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM", "STAFF", "WEBHOOK"))
    }
    result = subprocess.run(
        [sys.executable, "-m", "bot", command],
        cwd=tmp_path,  # no .env here
        env={**env, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 2, result.stderr
    assert "TELEGRAM_TOKEN" in result.stderr
    assert "Traceback" not in result.stderr
