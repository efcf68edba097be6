"""Real bot processes (``python -m bot run`` / ``python -m bot webhook``) against the fake.

The in-process :class:`harness.BotHarness` is fast and sees the bot's objects; this module
runs the bot as the city runs it, so that a test can kill it (SIGKILL), stop it (SIGTERM),
restart it, or run two replicas.  Fixtures (re-exported by ``conftest.py``):

* ``process_api``: a :class:`FakeBotApi` with a token the bot's settings accept
  (:data:`PROCESS_TOKEN`) and the staff forum group;
* ``bot_processes``: a :class:`BotProcesses` factory bound to ``process_api`` and the test's
  ``tmp_path``; at teardown it stops whatever still runs (SIGTERM, then SIGKILL) and prints
  each process's output, which pytest shows when the test failed.

Example::

    async def test_restart(process_api, bot_processes) -> None:
        bot = bot_processes.polling()
        await bot.start()  # returns once the process polls the fake
        ...
        await bot.kill()  # SIGKILL
        await bot.start()  # same database, same log file
        await bot.stop()  # SIGTERM, graceful
        bot.assert_no_tracebacks()

Children get ``PR_SET_PDEATHSIG`` (SIGKILL) on Linux, so they die with the test process even
if pytest itself is killed; ``atexit`` and the fixture cover every other way out.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import ctypes
import ctypes.util
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable, Mapping
from pathlib import Path
from typing import IO, Any, Literal

import pytest_asyncio
from fake_bot_api import FakeBotApi
from fake_bot_api.fixtures import serve_fake_api
from harness import STAFF_CHAT

from bot.services import PROJECT_ROOT

__all__ = [
    "PROCESS_TOKEN",
    "WEBHOOK_PUBLIC_URL",
    "WEBHOOK_SECRET",
    "BotProcess",
    "BotProcesses",
    "bot_environment",
    "bot_processes",
    "free_port",
    "process_api",
]

#: A token of the right shape for the bot's settings (the fake's default one is rejected as
#: a placeholder). Not a real token.
PROCESS_TOKEN = "123456789:AAHq0vD5sVbBqGm1Jd3vQWkFz8qf2E0n_Lw"
WEBHOOK_SECRET = "process-webhook-secret-0123456789"
#: What the bot registers with setWebhook; the fake delivers to the local targets instead.
WEBHOOK_PUBLIC_URL = "https://bot.test/telegram"
STAFF_CHAT_ID = STAFF_CHAT.id

#: Settings the bot reads; inherited values are removed so the developer's shell or CI
#: environment never leaks into a test process.
_SETTING_PREFIXES = (
    "TELEGRAM_",
    "STAFF_",
    "WEBHOOK_",
    "DATABASE_",
    "CONTENT_",
    "BROADCAST_",
    "TICKET_",
    "LOG_LEVEL",
)
_PR_SET_PDEATHSIG = 1
_LIBC_NAME = ctypes.util.find_library("c")
_LIBC = ctypes.CDLL(_LIBC_NAME, use_errno=True) if sys.platform == "linux" else None
_ALIVE: set[subprocess.Popen[bytes]] = set()


def _die_with_parent() -> None:  # runs in the child between fork and exec
    if _LIBC is not None:
        _LIBC.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


@atexit.register
def _kill_leftovers() -> None:
    for process in list(_ALIVE):
        if process.poll() is None:
            process.kill()


def free_port() -> int:
    """A TCP port that was free a moment ago on 127.0.0.1."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def bot_environment(
    api: FakeBotApi,
    *,
    database_url: str,
    staff_chat_id: int = STAFF_CHAT_ID,
    content_dir: Path = PROJECT_ROOT,
    extra: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """The environment of a bot process talking to ``api``: ``os.environ`` without any of
    the bot's settings, plus token, URLs, staff chat, database, content and ``extra``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(_SETTING_PREFIXES)}
    env.update(
        {
            "PYTHONPATH": str(PROJECT_ROOT),
            "PYTHONUNBUFFERED": "1",
            "TELEGRAM_TOKEN": api.token,
            "TELEGRAM_API_URL": api.api_url,
            "TELEGRAM_FILE_URL": api.file_url,
            "STAFF_CHAT_ID": str(staff_chat_id),
            "DATABASE_URL": database_url,
            "CONTENT_DIR": str(content_dir),
            "LOG_LEVEL": "WARNING",
        }
    )
    env.update(extra or {})
    return env


class BotProcess:
    """One bot process, restartable; its output goes to ``<workdir>/<name>.log``."""

    def __init__(
        self,
        api: FakeBotApi,
        *,
        name: str,
        workdir: Path,
        env: Mapping[str, str],
        mode: Literal["polling", "webhook"] = "polling",
        webhook_port: int | None = None,
    ) -> None:
        if mode == "webhook" and webhook_port is None:
            raise ValueError("a webhook process needs webhook_port")
        self.api = api
        self.name = name
        self.workdir = workdir
        self.env = dict(env)
        self.mode = mode
        self.webhook_port = webhook_port
        self.log_path = workdir / f"{name}.log"
        self.process: subprocess.Popen[bytes] | None = None
        #: exit codes of the finished runs (negative: killed by that signal)
        self.exit_codes: list[int] = []
        self.starts = 0
        self._log: IO[bytes] | None = None

    # ------------------------------------------------------------------ state

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    @property
    def pid(self) -> int:
        if self.process is None:
            raise RuntimeError(f"{self.name} was never started")
        return self.process.pid

    @property
    def webhook_target(self) -> str:
        """Where the fake should deliver updates to this replica."""
        if self.webhook_port is None:
            raise RuntimeError(f"{self.name} is not a webhook process")
        return f"http://127.0.0.1:{self.webhook_port}/telegram"

    def output(self) -> str:
        """Everything the process wrote (stderr and stdout, all runs so far)."""
        if self._log is not None:
            self._log.flush()
        if not self.log_path.exists():
            return ""
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def output_tail(self, lines: int = 60) -> str:
        return "\n".join(self.output().splitlines()[-lines:])

    def assert_no_tracebacks(self) -> None:
        text = self.output()
        assert "Traceback" not in text, f"{self.name} logged a traceback:\n{self.output_tail()}"

    def describe(self) -> str:
        state = "running" if self.running else f"exit codes {self.exit_codes}"
        return (
            f"--- {self.name} ({self.mode}, {self.starts} start(s), {state}), "
            f"log {self.log_path}:\n{self.output_tail()}"
        )

    # ------------------------------------------------------------------ lifecycle

    async def start(self, *, wait_ready: bool = True, timeout: float = 60.0) -> None:  # noqa: ASYNC109
        """Launch the process; by default return once it is ready (see :meth:`wait_ready`)."""
        if self.running:
            raise RuntimeError(f"{self.name} is already running (pid {self.pid})")
        self._reap()
        mark = self.api.mark()
        self.starts += 1
        self._log = self.log_path.open("ab")
        self._log.write(f"=== start #{self.starts} at {time.strftime('%H:%M:%S')}\n".encode())
        self._log.flush()
        self.process = self._launch()
        _ALIVE.add(self.process)
        if wait_ready:
            await self.wait_ready(after=mark, timeout=timeout)

    async def wait_ready(self, *, after: int = 0, timeout: float = 60.0) -> None:  # noqa: ASYNC109
        """Wait until the process serves updates: polling mode, until it called getUpdates
        (call index >= ``after``); webhook mode, until it called setWebhook and its port
        accepts connections.  Fails at once, with the output, if the process exits."""

        def polled() -> bool:
            return any(c.method == "getUpdates" for c in self.api.recorded[after:])

        def hooked() -> bool:
            return any(c.method == "setWebhook" and c.ok for c in self.api.recorded[after:])

        what = "its first getUpdates" if self.mode == "polling" else "setWebhook and its port"
        deadline = time.monotonic() + timeout
        while True:
            if self.mode == "polling" and polled():
                return
            if self.mode == "webhook" and hooked() and await self._port_open():
                return
            self.check_alive(f"while waiting for {what}")
            if time.monotonic() >= deadline:
                raise AssertionError(
                    f"{self.name} not ready after {timeout}s (waiting for {what})\n"
                    f"{self.describe()}\n{self.api.describe()}"
                )
            await self.api.wait_for_change(0.1)

    def check_alive(self, context: str = "") -> None:
        """AssertionError with the output if the process has exited."""
        if self.process is not None and self.process.poll() is None:
            return
        self._reap()
        code = None if self.process is None else self.process.returncode
        raise AssertionError(
            f"{self.name} is not running (exit code {code}) {context}\n{self.describe()}"
        )

    async def stop(self, timeout: float = 30.0) -> int:  # noqa: ASYNC109
        """SIGTERM and wait for a graceful exit; returns the exit code (0 when graceful).
        If it does not exit in time it is killed and AssertionError is raised."""
        process = self._require_running()
        process.send_signal(signal.SIGTERM)
        try:
            code = await asyncio.to_thread(process.wait, timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            await asyncio.to_thread(process.wait)
            self._reap()
            raise AssertionError(
                f"{self.name} ignored SIGTERM for {timeout}s and was killed\n{self.describe()}"
            ) from None
        self._reap()
        return code

    async def kill(self) -> int:
        """SIGKILL (kill -9) and wait until it is gone; returns the exit code (-9)."""
        process = self._require_running()
        process.kill()
        code = await asyncio.to_thread(process.wait)
        self._reap()
        return code

    async def restart(self, *, kill: bool = False, timeout: float = 60.0) -> None:  # noqa: ASYNC109
        """Stop (or kill) the process if it runs, then start it again and wait until ready."""
        if self.running:
            await (self.kill() if kill else self.stop())
        await self.start(timeout=timeout)

    async def close(self, grace: float = 5.0) -> None:
        """Make sure the process is gone (SIGTERM, then SIGKILL after ``grace`` seconds)."""
        process = self.process
        if process is not None and process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                await asyncio.to_thread(process.wait, grace)
            except subprocess.TimeoutExpired:
                process.kill()
                await asyncio.to_thread(process.wait)
        self._reap()

    # ------------------------------------------------------------------ internals

    def _launch(self) -> subprocess.Popen[bytes]:
        # Called in the event loop's thread (fork + exec takes milliseconds); PDEATHSIG
        # follows the thread that forked, so it must not be a worker thread.
        command = [sys.executable, "-m", "bot", "run" if self.mode == "polling" else "webhook"]
        return subprocess.Popen(
            command,
            cwd=self.workdir,  # no .env of the checkout is read
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # a Ctrl+C in the terminal reaches pytest, not the bot
            preexec_fn=_die_with_parent if _LIBC is not None else None,
        )

    def _require_running(self) -> subprocess.Popen[bytes]:
        self.check_alive()
        assert self.process is not None
        return self.process

    def _reap(self) -> None:
        process = self.process
        if process is not None and process.poll() is not None:
            _ALIVE.discard(process)
            if len(self.exit_codes) < self.starts:
                self.exit_codes.append(process.returncode)
        if self._log is not None and (process is None or process.poll() is not None):
            self._log.close()
            self._log = None

    async def _port_open(self) -> bool:
        assert self.webhook_port is not None
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", self.webhook_port)
        except OSError:
            return False
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()
        return True


class BotProcesses:
    """Creates :class:`BotProcess` objects for one test and cleans them all up."""

    def __init__(self, api: FakeBotApi, workdir: Path) -> None:
        self.api = api
        self.workdir = workdir
        #: the default database of this test's processes (one SQLite file)
        self.database_url = f"sqlite:///{workdir / 'bot.sqlite3'}"
        #: the default CONTENT_DIR.  The shipped content takes ~5 s to load at every start;
        #: a test that does not need the shipped answers can use the ``content_dir``
        #: fixture (the minimal tree, ~0.4 s).
        self.content_dir: Path = PROJECT_ROOT
        self.processes: list[BotProcess] = []

    def _environment(
        self,
        database_url: str | None,
        content_dir: Path | None,
        env: Mapping[str, str] | None,
    ) -> dict[str, str]:
        return bot_environment(
            self.api,
            database_url=database_url or self.database_url,
            content_dir=content_dir or self.content_dir,
            extra=env,
        )

    def _name(self, name: str | None, prefix: str) -> str:
        return name or f"{prefix}{len(self.processes) + 1}"

    def polling(
        self,
        *,
        name: str | None = None,
        database_url: str | None = None,
        content_dir: Path | None = None,
        env: Mapping[str, str] | None = None,
    ) -> BotProcess:
        """A ``python -m bot run`` process (not started yet).  ``database_url`` and
        ``content_dir`` default to the manager's; ``env`` adds or overrides settings."""
        process = BotProcess(
            self.api,
            name=self._name(name, "polling"),
            workdir=self.workdir,
            env=self._environment(database_url, content_dir, env),
        )
        self.processes.append(process)
        return process

    def webhook(
        self,
        *,
        name: str | None = None,
        database_url: str | None = None,
        content_dir: Path | None = None,
        env: Mapping[str, str] | None = None,
        port: int | None = None,
    ) -> BotProcess:
        """A ``python -m bot webhook`` replica listening on 127.0.0.1:``port`` (a free one
        by default) at ``/telegram``; it registers :data:`WEBHOOK_PUBLIC_URL` with
        :data:`WEBHOOK_SECRET`.  Route the fake to it with :meth:`route_webhooks`."""
        port = port or free_port()
        settings = {
            "WEBHOOK_URL": WEBHOOK_PUBLIC_URL,
            "WEBHOOK_SECRET": WEBHOOK_SECRET,
            "WEBHOOK_LISTEN": "127.0.0.1",
            "WEBHOOK_PORT": str(port),
            **(env or {}),
        }
        process = BotProcess(
            self.api,
            name=self._name(name, "webhook"),
            workdir=self.workdir,
            env=self._environment(database_url, content_dir, settings),
            mode="webhook",
            webhook_port=port,
        )
        self.processes.append(process)
        return process

    def route_webhooks(self, mode: str = "all", **options: Any) -> list[str]:
        """Deliver the fake's updates to every webhook process made so far (``mode`` and
        ``options`` as in :meth:`FakeBotApi.set_webhook_targets`); returns the targets."""
        targets = [p.webhook_target for p in self.processes if p.mode == "webhook"]
        self.api.set_webhook_targets(targets, mode=mode, **options)
        return targets

    async def wait_until(
        self,
        condition: Callable[[], Any],
        timeout: float,  # noqa: ASYNC109
        what: str,
        *,
        alive: list[BotProcess] | None = None,
    ) -> Any:
        """Like ``FakeBotApi.wait_until``, but fails at once if a process that should be
        running (``alive``, default: every process that runs now) has exited."""
        watched = [p for p in self.processes if p.running] if alive is None else alive
        deadline = time.monotonic() + timeout
        while True:
            value = condition()
            if value:
                return value
            for process in watched:
                process.check_alive(f"while waiting for {what}")
            if time.monotonic() >= deadline:
                logs = "\n".join(p.describe() for p in self.processes)
                raise AssertionError(
                    f"timed out after {timeout}s waiting for {what}\n{self.api.describe()}\n{logs}"
                )
            await self.api.wait_for_change(min(0.2, max(0.0, deadline - time.monotonic())))

    async def close(self) -> None:
        await asyncio.gather(*(p.close() for p in self.processes))


@pytest_asyncio.fixture
async def process_api() -> AsyncIterator[FakeBotApi]:
    """The fake Bot API for real bot processes: a token the bot accepts, the staff group."""
    async with serve_fake_api(token=PROCESS_TOKEN) as api:
        api.add_supergroup(STAFF_CHAT.id, STAFF_CHAT.title or "Staff")
        yield api


@pytest_asyncio.fixture
async def bot_processes(process_api: FakeBotApi, tmp_path: Path) -> AsyncIterator[BotProcesses]:
    """Bot processes for this test; none outlives it (output printed at teardown)."""
    manager = BotProcesses(process_api, tmp_path)
    try:
        yield manager
    finally:
        await manager.close()
        for process in manager.processes:
            if process.starts:
                print(process.describe())  # pytest shows it only when the test failed
