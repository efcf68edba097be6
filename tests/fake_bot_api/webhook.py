"""Webhook delivery: the fake POSTs pushed updates to HTTP targets, as Telegram does.

While a webhook is set (the bot called ``setWebhook``), every pushed update is POSTed as a
JSON body with the header ``X-Telegram-Bot-Api-Secret-Token`` (the ``secret_token`` given
to ``setWebhook``) until a target answers 2xx.  A failed attempt (connection refused or
reset, timeout, any non-2xx status) is retried with exponential backoff, so a crashed
replica gets the update once it is back.

The targets are the webhook URL itself, or explicit URLs a test registers with
:meth:`FakeBotApi.set_webhook_targets` (e.g. two replicas on ``http://127.0.0.1:PORT``
while the bot registered its public ``https://`` URL).  Modes:

* ``all``: every update goes to every target, in order per target (one update in flight
  per target; a target that is down holds back only its own queue);
* ``round_robin`` / ``random``: one load balancer in front of the targets; each attempt
  (retries included) goes to the next target in turn or to a seeded random one, with up to
  ``concurrency`` updates in flight (1: in order overall).
"""

from __future__ import annotations

import asyncio
import json
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any

import httpx

if TYPE_CHECKING:
    from .server import FakeBotApi

__all__ = ["DeliveryAttempt", "WebhookConfig", "WebhookDispatcher", "WebhookMode"]

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
JSON = dict[str, Any]


class WebhookMode(StrEnum):
    ALL = "all"
    ROUND_ROBIN = "round_robin"
    RANDOM = "random"


@dataclass(frozen=True, slots=True)
class DeliveryAttempt:
    """One POST of one update to one target."""

    update_id: int
    target: str
    #: 1 for the first attempt of this update (per target in ``all`` mode)
    attempt: int
    #: the target's HTTP status; ``None`` when no answer came (refused, reset, timeout)
    status: int | None
    error: str | None
    started: float
    elapsed: float

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


@dataclass(frozen=True, slots=True)
class WebhookConfig:
    """How updates are delivered (see the module docstring)."""

    targets: tuple[str, ...] = ()
    mode: WebhookMode = WebhookMode.ALL
    seed: int | None = 0
    #: first pause after a failed attempt, doubled each time up to ``retry_max`` (seconds)
    retry_initial: float = 0.05
    retry_max: float = 0.5
    #: per-attempt timeout (connect + write + read), seconds
    timeout: float = 5.0
    #: updates in flight at once in the load-balancer modes
    concurrency: int = 1

    def __post_init__(self) -> None:
        for target in self.targets:
            if not target.startswith(("http://", "https://")):
                raise ValueError(f"webhook target must be an http(s) URL, got {target!r}")
        if self.retry_initial <= 0 or self.retry_max < self.retry_initial:
            raise ValueError("need 0 < retry_initial <= retry_max")
        if self.timeout <= 0 or self.concurrency < 1:
            raise ValueError("need timeout > 0 and concurrency >= 1")


class WebhookDispatcher:
    """Background delivery for one :class:`FakeBotApi` (tasks live in the fake's loop)."""

    def __init__(self, api: FakeBotApi) -> None:
        self._api = api
        #: explicit configuration from ``set_webhook_targets`` (``None``: the webhook URL)
        self.config: WebhookConfig | None = None
        self.attempts: list[DeliveryAttempt] = []
        #: update id -> targets that answered 2xx
        self.acknowledged: dict[int, set[str]] = {}
        self._in_flight: set[int] = set()
        self._running_key: tuple[Any, ...] | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._client: httpx.AsyncClient | None = None
        self._rng = random.Random(0)
        self._turn = 0

    # ------------------------------------------------------------------ configuration

    def effective_config(self) -> WebhookConfig | None:
        """What is delivered where right now; ``None`` while no webhook is set."""
        webhook = self._api.webhook
        if webhook is None:
            return None
        if self.config is not None and self.config.targets:
            return self.config
        base = self.config or WebhookConfig()
        return WebhookConfig(
            targets=(webhook["url"],),
            mode=WebhookMode.ALL,
            seed=base.seed,
            retry_initial=base.retry_initial,
            retry_max=base.retry_max,
            timeout=base.timeout,
            concurrency=base.concurrency,
        )

    def reconcile(self) -> None:
        """Start, restart or stop the delivery tasks to match the webhook and targets."""
        config = self.effective_config() if self._api.running else None
        key = None if config is None else (config,)
        if key == self._running_key:
            return
        for task in self._tasks:
            task.cancel()
        self._in_flight.clear()
        self._running_key = key
        if config is None:
            return
        self._rng = random.Random(config.seed)
        loop = asyncio.get_running_loop()
        if config.mode is WebhookMode.ALL:
            for target in config.targets:
                self._spawn(loop, self._serve_target(config, target))
        else:
            for _ in range(config.concurrency):
                self._spawn(loop, self._serve_balanced(config))

    def _spawn(self, loop: asyncio.AbstractEventLoop, coroutine: Any) -> None:
        task = loop.create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def stop(self) -> None:
        """Cancel every delivery and close the HTTP client."""
        self._running_key = None
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    # ------------------------------------------------------------------ workers

    def _queue(self) -> list[JSON]:
        return self._api._webhook_queue()

    async def _wait_for_change(self) -> None:
        await self._api._change_event().wait()

    async def _serve_target(self, config: WebhookConfig, target: str) -> None:
        """``all`` mode: this target gets every update, one at a time, in order."""
        while True:
            update = next(
                (
                    u
                    for u in self._queue()
                    if target not in self.acknowledged.get(u["update_id"], ())
                ),
                None,
            )
            if update is None:
                await self._wait_for_change()
                continue
            if await self._deliver(config, update, lambda: target) is not None:
                self._acknowledge(config, update, target)

    async def _serve_balanced(self, config: WebhookConfig) -> None:
        """Load-balancer modes: each attempt goes to one target chosen per attempt."""
        while True:
            update = next(
                (
                    u
                    for u in self._queue()
                    if u["update_id"] not in self._in_flight
                    and not self.acknowledged.get(u["update_id"])
                ),
                None,
            )
            if update is None:
                await self._wait_for_change()
                continue
            self._in_flight.add(update["update_id"])
            try:
                target = await self._deliver(config, update, lambda: self._choose(config))
                if target is not None:
                    self._acknowledge(config, update, target)
            finally:
                self._in_flight.discard(update["update_id"])

    def _choose(self, config: WebhookConfig) -> str:
        if config.mode is WebhookMode.RANDOM:
            return self._rng.choice(config.targets)
        target = config.targets[self._turn % len(config.targets)]
        self._turn += 1
        return target

    async def _deliver(
        self, config: WebhookConfig, update: JSON, choose: Callable[[], str]
    ) -> str | None:
        """POST until a target answers 2xx and return it; ``None`` if the update left the
        queue meanwhile."""
        pause = config.retry_initial
        attempt = 0
        while True:
            if not any(u is update for u in self._api.pending_updates):
                return None  # dropped (deleteWebhook/setWebhook with drop_pending_updates)
            attempt += 1
            target = choose()
            if await self._post(config, target, update, attempt):
                return target
            await asyncio.sleep(pause)
            pause = min(pause * 2, config.retry_max)

    async def _post(self, config: WebhookConfig, target: str, update: JSON, attempt: int) -> bool:
        if self._client is None:
            # trust_env=False: never route loopback deliveries through a proxy from the env.
            self._client = httpx.AsyncClient(trust_env=False, verify=False)
        headers = {"Content-Type": "application/json"}
        secret = self._api.webhook_secret
        if secret:
            headers[SECRET_HEADER] = secret
        body = json.dumps(update, ensure_ascii=False).encode("utf-8")
        started = time.monotonic()
        status: int | None = None
        error: str | None = None
        try:
            response = await self._client.post(
                target, content=body, headers=headers, timeout=config.timeout
            )
            status = response.status_code
            if not 200 <= status < 300:
                error = f"Wrong response from the webhook: {status} {response.reason_phrase}"
        except (httpx.HTTPError, OSError) as exc:
            error = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        record = DeliveryAttempt(
            update["update_id"], target, attempt, status, error, started, time.monotonic() - started
        )
        self.attempts.append(record)
        self._api._notify()
        return record.ok

    def _acknowledge(self, config: WebhookConfig, update: JSON, target: str) -> None:
        acks = self.acknowledged.setdefault(update["update_id"], set())
        acks.add(target)
        if config.mode is not WebhookMode.ALL or acks.issuperset(config.targets):
            self._api._webhook_done(update)
        else:
            self._api._notify()

    # ------------------------------------------------------------------ queries

    def deliveries(
        self, update_id: int | None = None, target: str | None = None
    ) -> list[DeliveryAttempt]:
        return [
            a
            for a in self.attempts
            if (update_id is None or a.update_id == update_id)
            and (target is None or a.target == target)
        ]

    def received_by(self, target: str) -> list[int]:
        """Update ids the target acknowledged (2xx), in the order it acknowledged them."""
        return [a.update_id for a in self.attempts if a.ok and a.target == target]

    def last_error(self) -> DeliveryAttempt | None:
        last = self.attempts[-1] if self.attempts else None
        return last if last is not None and not last.ok else None
