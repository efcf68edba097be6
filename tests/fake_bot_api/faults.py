"""Fault injection: Bot API calls that fail the way Telegram and the network fail.

A :class:`FaultRule` says which methods fail, how often (a share drawn from its own seeded
RNG, so a run is reproducible for a given order of calls), for how long, and in which
:class:`FaultMode`.  :meth:`FakeBotApi.inject_faults` and :meth:`FakeBotApi.outage` create
rules; the fake asks :class:`FaultPlan` once per valid call.

Injected faults are recorded on the call (``RecordedCall.fault``), counted per mode, and are
never spec violations.  An invalid call is answered ``400`` and recorded as a violation as
before, without drawing a fault: a bug in the bot is never hidden behind a simulated outage.
"""

from __future__ import annotations

import random
import time
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

__all__ = ["ALL_METHODS", "FaultDecision", "FaultMode", "FaultPlan", "FaultRule"]

#: ``methods=ALL_METHODS`` (or ``"all"``) matches every method except ``getUpdates``, which
#: fails only when it is named explicitly (it carries incoming updates, not the bot's calls).
ALL_METHODS = "all"
_NEVER_IN_ALL = frozenset({"getupdates"})


class FaultMode(StrEnum):
    """How an injected fault shows itself to the client."""

    #: ``500 Internal Server Error`` with Telegram's error JSON; nothing happens.
    HTTP_500 = "http_500"
    #: the connection is closed without a response; nothing happens (the request is lost).
    DROP = "drop"
    #: ``429 Too Many Requests`` with ``parameters.retry_after``; nothing happens.
    RETRY_AFTER = "retry_after"
    #: the method IS carried out, but the answer is written only after ``late_delay`` seconds
    #: (longer than the client's read timeout, so the client sees a timeout).
    LATE = "late"


#: HTTP-like status recorded for a dropped call (nginx's "closed without response").
DROPPED_STATUS = 444


@dataclass(frozen=True, slots=True)
class FaultDecision:
    """The fault chosen for one call."""

    mode: FaultMode
    rule: FaultRule

    def error_payload(self) -> tuple[int, dict[str, Any]]:
        """Status and body of the answer for the modes that answer at once."""
        if self.mode is FaultMode.HTTP_500:
            return 500, {
                "ok": False,
                "error_code": 500,
                "description": "Internal Server Error",
            }
        if self.mode is FaultMode.RETRY_AFTER:
            seconds = self.rule.retry_after
            return 429, {
                "ok": False,
                "error_code": 429,
                "description": f"Too Many Requests: retry after {seconds}",
                "parameters": {"retry_after": seconds},
            }
        if self.mode is FaultMode.DROP:
            return DROPPED_STATUS, {
                "ok": False,
                "error_code": DROPPED_STATUS,
                "description": "connection closed without a response (injected fault)",
            }
        raise ValueError(f"{self.mode} has no error payload: the call is carried out")


def _normalise_methods(methods: str | Iterable[str]) -> frozenset[str] | None:
    if isinstance(methods, str):
        if methods == ALL_METHODS:
            return None
        return frozenset({methods.lower()})
    names = frozenset(name.lower() for name in methods)
    if not names:
        raise ValueError("methods must name at least one method (or be 'all')")
    if ALL_METHODS in names:
        raise ValueError("use methods='all' on its own")
    return names


def _mode(value: FaultMode | str) -> FaultMode:
    try:
        return FaultMode(value)
    except ValueError:
        known = ", ".join(mode.value for mode in FaultMode)
        raise ValueError(f"unknown fault mode {value!r} (one of {known})") from None


def _normalise_modes(
    modes: FaultMode | str | Iterable[FaultMode | str] | Mapping[FaultMode | str, float],
) -> tuple[tuple[FaultMode, ...], tuple[float, ...]]:
    if isinstance(modes, str):  # FaultMode is a str too
        return (_mode(modes),), (1.0,)
    if isinstance(modes, Mapping):
        pairs = [(_mode(mode), float(weight)) for mode, weight in modes.items()]
    else:
        pairs = [(_mode(mode), 1.0) for mode in modes]
    if not pairs or any(weight < 0 for _, weight in pairs) or sum(w for _, w in pairs) <= 0:
        raise ValueError("modes must name at least one mode with a positive weight")
    return tuple(mode for mode, _ in pairs), tuple(weight for _, weight in pairs)


@dataclass(eq=False)
class FaultRule:
    """One fault-injection rule; keep it to read its counters or to :meth:`stop` it.

    Usable as a context manager: the rule stops when the block ends.
    """

    methods: frozenset[str] | None
    rate: float
    modes: tuple[FaultMode, ...]
    weights: tuple[float, ...]
    seed: int | None = 0
    retry_after: int = 1
    late_delay: float = 6.0
    #: ``time.monotonic()`` after which the rule no longer fires (``None``: until stopped)
    until: float | None = None
    #: the rule stops after this many faults (``None``: no limit)
    max_faults: int | None = None
    exclude: frozenset[str] = frozenset()
    #: injected faults per mode
    counts: Counter[FaultMode] = field(default_factory=Counter)
    #: injected faults per (method, mode)
    counts_by_method: Counter[tuple[str, FaultMode]] = field(default_factory=Counter)
    #: calls the rule was asked about (matching method, while active)
    considered: int = 0
    stopped: bool = False
    _rng: random.Random = field(init=False, repr=False)

    def __post_init__(self) -> None:
        if not 0.0 <= self.rate <= 1.0:
            raise ValueError(f"rate must be between 0 and 1, got {self.rate}")
        if self.retry_after < 1:
            raise ValueError("retry_after must be at least 1 second")
        if self.late_delay <= 0:
            raise ValueError("late_delay must be positive")
        self._rng = random.Random(self.seed)

    @property
    def total(self) -> int:
        """Faults injected by this rule so far."""
        return sum(self.counts.values())

    @property
    def active(self) -> bool:
        if self.stopped:
            return False
        if self.until is not None and time.monotonic() >= self.until:
            return False
        return self.max_faults is None or self.total < self.max_faults

    def matches(self, method: str) -> bool:
        name = method.lower()
        if name in self.exclude:
            return False
        if self.methods is None:
            return name not in _NEVER_IN_ALL
        return name in self.methods

    def stop(self) -> None:
        """From now on the rule injects nothing (its counters stay readable)."""
        self.stopped = True

    def draw(self, method: str) -> FaultDecision | None:
        """Decide the fate of one call of ``method``; ``None`` lets it through."""
        if not self.active or not self.matches(method):
            return None
        self.considered += 1
        # Draw the share first and the mode only for a fault, so that the sequence of
        # faulted calls does not depend on how many modes are listed.
        if self.rate < 1.0 and self._rng.random() >= self.rate:
            return None
        mode = (
            self.modes[0]
            if len(self.modes) == 1
            else self._rng.choices(self.modes, self.weights)[0]
        )
        self.counts[mode] += 1
        self.counts_by_method[(method, mode)] += 1
        return FaultDecision(mode, self)

    def __enter__(self) -> FaultRule:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


class FaultPlan:
    """The rules of one :class:`FakeBotApi`, asked in the order they were added."""

    def __init__(self) -> None:
        self.rules: list[FaultRule] = []

    def add(
        self,
        methods: str | Iterable[str],
        rate: float,
        modes: FaultMode | str | Iterable[FaultMode | str] | Mapping[FaultMode | str, float],
        *,
        seed: int | None = 0,
        retry_after: int = 1,
        late_delay: float = 6.0,
        duration: float | None = None,
        max_faults: int | None = None,
        exclude: Iterable[str] = (),
    ) -> FaultRule:
        mode_tuple, weights = _normalise_modes(modes)
        rule = FaultRule(
            methods=_normalise_methods(methods),
            rate=rate,
            modes=mode_tuple,
            weights=weights,
            seed=seed,
            retry_after=retry_after,
            late_delay=late_delay,
            until=None if duration is None else time.monotonic() + duration,
            max_faults=max_faults,
            exclude=frozenset(name.lower() for name in exclude),
        )
        self.rules.append(rule)
        return rule

    def draw(self, method: str) -> FaultDecision | None:
        """The first active matching rule that fires decides; ``None`` lets the call through."""
        for rule in self.rules:
            decision = rule.draw(method)
            if decision is not None:
                return decision
        return None

    def clear(self) -> None:
        """Stop every rule (they stay listed, with their counters)."""
        for rule in self.rules:
            rule.stop()

    def counts(self) -> Counter[FaultMode]:
        """Injected faults per mode, over every rule (stopped ones included)."""
        total: Counter[FaultMode] = Counter()
        for rule in self.rules:
            total.update(rule.counts)
        return total
