"""Settings from the environment or a ``.env`` file, validated at start-up.

A missing or malformed setting stops start-up with a message naming the
variable (exit code 2). The token is kept in a :class:`Secret` so it never
shows up in a repr, a log line or a traceback.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from dotenv import dotenv_values

from bot.core.privacy import Retention

DEFAULT_API_URL = "https://api.telegram.org/bot"
DEFAULT_FILE_URL = "https://api.telegram.org/file/bot"

_TOKEN = re.compile(r"^\d{3,}:[A-Za-z0-9_-]{20,}$")
_PLACEHOLDER = re.compile(r"your|token|change|example|xxx|placeholder|<|>", re.IGNORECASE)
_SECRET_TOKEN = re.compile(r"^[A-Za-z0-9_-]{16,256}$")


class SettingsError(Exception):
    """A setting is missing or malformed; the message names the variable."""

    def __init__(self, variable: str, problem: str) -> None:
        super().__init__(f"{variable}: {problem} (see .env.example)")
        self.variable = variable


class Secret:
    """A string that does not reveal itself in repr() or str()."""

    def __init__(self, value: str) -> None:
        self._value = value

    def get(self) -> str:
        """The secret value, for the one place that needs it."""
        return self._value

    def __repr__(self) -> str:
        return "Secret('**********')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


@dataclass(frozen=True)
class Settings:
    """Everything the bot needs to run."""

    token: Secret
    staff_chat_id: int
    database_url: str = "sqlite:///torun-bot.sqlite3"
    api_url: str = DEFAULT_API_URL
    file_url: str = DEFAULT_FILE_URL
    content_dir: Path = field(default_factory=lambda: Path(__file__).resolve().parent.parent)
    content_max_age_days: int = 365
    reminder_after: timedelta = timedelta(hours=4)
    reminder_check_every: timedelta = timedelta(minutes=5)
    #: a question staff answered closes by itself after this long without messages
    ticket_quiet: timedelta = timedelta(hours=72)
    #: who may announce, reload and add examples (empty: the staff group's administrators)
    staff_admin_ids: frozenset[int] = frozenset()
    webhook_url: str | None = None
    webhook_listen: str = "0.0.0.0"
    webhook_port: int = 8443
    webhook_secret: Secret | None = None
    #: announcements: messages per second overall (Telegram allows about 30)
    broadcast_rate: float = 25.0
    #: posts a minute to the staff group (Telegram allows a group about 20)
    staff_group_per_minute: int = 20
    #: how long personal data are kept (the RETENTION_* settings)
    retention: Retention = field(default_factory=Retention)
    log_level: str = "INFO"

    @property
    def locales_dir(self) -> Path:
        """Where the compiled catalogs live."""
        return self.content_dir / "locales"


def read_environment(env_file: Path | None = None) -> dict[str, str]:
    """The process environment over the values of a ``.env`` file."""
    values: dict[str, str] = {}
    path = env_file if env_file is not None else Path(".env")
    if path.is_file():
        values.update({k: v for k, v in dotenv_values(path).items() if v is not None})
    values.update(os.environ)
    return values


def _int(env: Mapping[str, str], name: str, default: int, *, minimum: int = 1) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError as exc:
        raise SettingsError(name, f"must be a whole number, got {raw!r}") from exc
    if value < minimum:
        raise SettingsError(name, f"must be at least {minimum}, got {value}")
    return value


def _url(env: Mapping[str, str], name: str, default: str) -> str:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    if not raw.startswith(("http://", "https://")):
        raise SettingsError(name, f"must be an http(s) URL, got {raw!r}")
    return raw


#: (variable, field of Retention, minimum days and why) of the retention periods.
RETENTION_SETTINGS: tuple[tuple[str, str, int, str], ...] = (
    ("RETENTION_QUESTION_DAYS", "question_texts", 1, ""),
    ("RETENTION_UNANSWERED_DAYS", "unanswered", 1, ""),
    ("RETENTION_UPDATE_DAYS", "update_ids", 2, "Telegram redelivers an update for up to 24 hours"),
    ("RETENTION_OUTBOX_DAYS", "outbox", 1, ""),
    ("RETENTION_FEEDBACK_DAYS", "feedback", 1, ""),
    ("RETENTION_DELIVERY_DAYS", "deliveries", 1, ""),
    ("RETENTION_INACTIVE_DAYS", "inactive_people", 1, ""),
)


def _retention(env: Mapping[str, str]) -> Retention:
    defaults = Retention()
    periods: dict[str, timedelta] = {}
    for name, attribute, minimum, why in RETENTION_SETTINGS:
        days = _int(env, name, getattr(defaults, attribute).days)
        if days < minimum:
            raise SettingsError(name, f"must be at least {minimum} days: {why}")
        periods[attribute] = timedelta(days=days)
    return Retention(**periods)


def load_settings(env: Mapping[str, str], *, webhook: bool = False) -> Settings:
    """Validate the settings the bot needs; raise :class:`SettingsError`."""
    token = env.get("TELEGRAM_TOKEN", "").strip()
    if not token:
        raise SettingsError("TELEGRAM_TOKEN", "missing: the bot token from @BotFather")
    if _PLACEHOLDER.search(token) or not _TOKEN.match(token):
        raise SettingsError(
            "TELEGRAM_TOKEN", "does not look like a bot token (digits, a colon, then letters)"
        )
    staff_raw = env.get("STAFF_CHAT_ID", "").strip()
    if not staff_raw:
        raise SettingsError(
            "STAFF_CHAT_ID", "missing: the id of the staff supergroup (it starts with -100)"
        )
    try:
        staff_chat_id = int(staff_raw)
    except ValueError as exc:
        raise SettingsError(
            "STAFF_CHAT_ID", f"must be a number like -1001234567890, got {staff_raw!r}"
        ) from exc
    if staff_chat_id >= 0:
        raise SettingsError("STAFF_CHAT_ID", "must be a group id, which is negative (-100…)")

    api_url = _url(env, "TELEGRAM_API_URL", DEFAULT_API_URL)
    file_url = _url(
        env,
        "TELEGRAM_FILE_URL",
        DEFAULT_FILE_URL
        if api_url == DEFAULT_API_URL
        else api_url.rstrip("/").removesuffix("/bot") + "/file/bot",
    )
    database_url = env.get("DATABASE_URL", "").strip() or "sqlite:///torun-bot.sqlite3"
    if "://" not in database_url:
        raise SettingsError("DATABASE_URL", f"must be a database URL, got {database_url!r}")

    content_dir_raw = env.get("CONTENT_DIR", "").strip()
    content_dir = (
        Path(content_dir_raw) if content_dir_raw else Path(__file__).resolve().parent.parent
    )
    if not (content_dir / "knowledge").is_dir():
        raise SettingsError("CONTENT_DIR", f"{content_dir} has no knowledge/ folder")

    webhook_url = env.get("WEBHOOK_URL", "").strip() or None
    secret_raw = env.get("WEBHOOK_SECRET", "").strip()
    webhook_secret = Secret(secret_raw) if secret_raw else None
    if webhook:
        if webhook_url is None or not webhook_url.startswith("https://"):
            raise SettingsError("WEBHOOK_URL", "missing: the public https:// URL of the webhook")
        if webhook_secret is None:
            raise SettingsError("WEBHOOK_SECRET", "missing: a random secret of 16–256 characters")
    if webhook_secret is not None and not _SECRET_TOKEN.match(webhook_secret.get()):
        raise SettingsError("WEBHOOK_SECRET", "must be 16–256 characters of A-Z, a-z, 0-9, _ and -")

    try:
        rate = float(env.get("BROADCAST_RATE", "") or 25.0)
    except ValueError as exc:
        raise SettingsError("BROADCAST_RATE", "must be a number of messages per second") from exc
    if not 0 < rate <= 30:
        raise SettingsError("BROADCAST_RATE", "must be between 0 and 30 messages per second")

    admins_raw = env.get("STAFF_ADMIN_IDS", "").replace(";", ",")
    try:
        staff_admin_ids = frozenset(int(part) for part in admins_raw.split(",") if part.strip())
    except ValueError as exc:
        raise SettingsError(
            "STAFF_ADMIN_IDS", f"must be Telegram user ids separated by commas, got {admins_raw!r}"
        ) from exc

    level = (env.get("LOG_LEVEL", "") or "INFO").upper()
    if level not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
        raise SettingsError("LOG_LEVEL", "must be DEBUG, INFO, WARNING or ERROR")

    return Settings(
        token=Secret(token),
        staff_chat_id=staff_chat_id,
        database_url=database_url,
        api_url=api_url,
        file_url=file_url,
        content_dir=content_dir,
        content_max_age_days=_int(env, "CONTENT_MAX_AGE_DAYS", 365),
        reminder_after=timedelta(minutes=_int(env, "TICKET_REMINDER_MINUTES", 240)),
        reminder_check_every=timedelta(minutes=_int(env, "TICKET_REMINDER_CHECK_MINUTES", 5)),
        ticket_quiet=timedelta(hours=_int(env, "TICKET_QUIET_HOURS", 72)),
        staff_admin_ids=staff_admin_ids,
        webhook_url=webhook_url,
        webhook_listen=env.get("WEBHOOK_LISTEN", "").strip() or "0.0.0.0",
        webhook_port=_int(env, "WEBHOOK_PORT", 8443),
        webhook_secret=webhook_secret,
        broadcast_rate=rate,
        staff_group_per_minute=_int(env, "STAFF_GROUP_POSTS_PER_MINUTE", 20),
        retention=_retention(env),
        log_level=level,
    )
