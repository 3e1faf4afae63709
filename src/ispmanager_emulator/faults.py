"""Fault injection: latency, failures (HTTP 500 / dropped connection), broken auth,
commit-then-fail. Rules apply per function name or globally (target ``*``); a
function-specific rule replaces the global one for that function.

Decisions use one ``random.Random`` seeded from ``seed`` so a sequential test run
repeats exactly. Functions whose name starts with ``emulator.`` are never faulted.
"""

from __future__ import annotations

import random
import threading
from dataclasses import asdict, dataclass, fields
from typing import Any

FAIL_KINDS = ("500", "drop")


@dataclass
class FaultRule:
    latency_ms: float = 0.0
    fail_rate: float = 0.0
    fail_kind: str = "500"
    auth_broken: bool = False
    commit_then_fail: float = 0.0
    times: int | None = None  # None: unlimited; N: stop after N injected faults

    def validate(self) -> None:
        if self.fail_kind not in FAIL_KINDS:
            raise ValueError(f"fail_kind must be one of {FAIL_KINDS}, not {self.fail_kind!r}")
        for name in ("fail_rate", "commit_then_fail"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} must be between 0 and 1, not {value!r}")
        if self.latency_ms < 0:
            raise ValueError("latency_ms must not be negative")
        if self.times is not None and self.times < 0:
            raise ValueError("times must not be negative")


@dataclass
class Decision:
    latency: float = 0.0  # seconds
    before: str | None = None  # fail kind, nothing applied
    after: str | None = None  # fail kind, action applied first
    auth_broken: bool = False


_FIELD_NAMES = {f.name for f in fields(FaultRule)}


def _coerce(name: str, value: Any) -> Any:
    if name in ("latency_ms", "fail_rate", "commit_then_fail"):
        return float(value)
    if name == "auth_broken":
        if isinstance(value, str):
            return value.strip().lower() in ("on", "yes", "true", "1")
        return bool(value)
    if name == "times":
        return None if value in (None, "") else int(value)
    if name == "fail_kind":
        return str(value)
    raise ValueError(f"unknown fault setting {name!r}")


class Faults:
    def __init__(self, seed: int | None = None) -> None:
        self._lock = threading.Lock()
        self.rules: dict[str, FaultRule] = {}
        self.seed = seed
        self._rng = random.Random(seed)

    def reseed(self, seed: int | None) -> None:
        with self._lock:
            self.seed = seed
            self._rng = random.Random(seed)

    def set(self, target: str = "*", **settings: Any) -> FaultRule:
        """Create or update the rule for ``target`` (a function name or ``*``).

        Settings: latency_ms, fail_rate, fail_kind ("500"/"drop"), auth_broken,
        commit_then_fail (rate, 0..1), times. Unmentioned settings keep their values.
        """
        with self._lock:
            current = self.rules.get(target, FaultRule())
            values = asdict(current)
            for name, value in settings.items():
                if name == "kind":
                    name = "fail_kind"
                if name == "latency":
                    name = "latency_ms"
                if name not in _FIELD_NAMES:
                    raise ValueError(f"unknown fault setting {name!r}")
                values[name] = _coerce(name, value)
            rule = FaultRule(**values)
            rule.validate()
            self.rules[target] = rule
            return rule

    def clear(self, target: str | None = None) -> None:
        with self._lock:
            if target is None:
                self.rules.clear()
            else:
                self.rules.pop(target, None)

    def describe(self) -> list[dict[str, Any]]:
        with self._lock:
            return [{"target": target, **asdict(rule)} for target, rule in sorted(self.rules.items())]

    def decide(self, func: str) -> Decision | None:
        if not self.rules or func.startswith("emulator."):
            return None
        with self._lock:
            target = func if func in self.rules else "*"
            rule = self.rules.get(target)
            if rule is None:
                return None
            decision = Decision(latency=rule.latency_ms / 1000.0)
            injected = False
            if rule.auth_broken:
                decision.auth_broken = injected = True
            elif rule.fail_rate and self._rng.random() < rule.fail_rate:
                decision.before = rule.fail_kind
                injected = True
            elif rule.commit_then_fail and self._rng.random() < rule.commit_then_fail:
                decision.after = rule.fail_kind
                injected = True
            if injected and rule.times is not None:
                rule.times -= 1
                if rule.times <= 0:
                    del self.rules[target]
            return decision


def parse_fault_spec(spec: str) -> tuple[str, dict[str, str]]:
    """``"user.edit:fail_rate=0.5,fail_kind=drop"`` -> ("user.edit", {...})."""
    target, _, rest = spec.partition(":")
    target = target.strip() or "*"
    settings: dict[str, str] = {}
    for part in rest.split(","):
        part = part.strip()
        if not part:
            continue
        key, sep, value = part.partition("=")
        if not sep:
            if key.strip() == "auth_broken":
                value = "on"
            elif key.strip() == "commit_then_fail":
                value = "1"
            else:
                raise ValueError(f"bad fault setting {part!r} in {spec!r}")
        settings[key.strip()] = value.strip()
    return target, settings
