"""Recorded conversations with a panel: what the module sent and what the panel answered.

Recording (a test mode): with the environment variable ``MOORAGE_ISPMANAGER_RECORD`` set to a
directory, every public call of the module writes one JSON file there: the module method and its
arguments, each request and reply, and the method's result or error. Secrets are masked before
anything is written: request parameters and reply fields named passwd, confirm, password, key,
authinfo or anything with "pass" in it, and ``key=``/``password=`` in returned URLs.

Replaying: ``client.ReplayTransport`` answers the module's requests from such a file, in order, and fails on
any request that differs from the recorded one (masked values are not compared). The format is
documented in docs/recorded-conversations.md.
"""

from __future__ import annotations

import contextvars
import dataclasses
import functools
import json
import os
import re
import uuid
from collections.abc import Callable, Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

ENV = "MOORAGE_ISPMANAGER_RECORD"
MASK = "***"
SECRET_NAMES = {"passwd", "confirm", "password", "key", "authinfo"}
_SECRET_IN_TEXT = re.compile(r"\b(key|authinfo|[a-z_]*pass[a-z_]*)=[^&\s\"']*", re.IGNORECASE)

_current: contextvars.ContextVar[Recorder | None] = contextvars.ContextVar("ispmanager_recorder", default=None)


def is_secret(name: str, *, request: bool = True) -> bool:
    """Whether a field holds a secret. In replies `key` is not one (the `db` list's `key` is the
    database's id); the echo of the request (`tparams`) is masked like the request."""
    lowered = name.lower().lstrip("$")
    if lowered == "key" and not request:
        return False
    return lowered in SECRET_NAMES or "pass" in lowered


def mask(data: Any, *, request: bool = True) -> Any:
    """`data` (request params, or with request=False a reply or a result) with every secret value
    replaced by ***."""
    if isinstance(data, Mapping):
        out = {}
        for k, v in data.items():
            if is_secret(str(k), request=request) and v not in ("", None, {}):
                out[k] = MASK
            else:
                out[k] = mask(v, request=request or k == "tparams")
        return out
    if isinstance(data, list | tuple):
        return [mask(v, request=request) for v in data]
    if isinstance(data, str):
        return _SECRET_IN_TEXT.sub(lambda m: f"{m.group(1)}={MASK}", data)
    return data


def jsonable(data: Any) -> Any:
    """Module results (dataclasses, sets, Decimals) as plain JSON values, secrets masked."""
    if dataclasses.is_dataclass(data) and not isinstance(data, type):
        data = dataclasses.asdict(data)
    if isinstance(data, Mapping):
        return mask({str(k): jsonable(v) for k, v in data.items()}, request=False)
    if isinstance(data, set | frozenset):
        return sorted(jsonable(v) for v in data)
    if isinstance(data, list | tuple):
        return [jsonable(v) for v in data]
    if isinstance(data, Decimal):
        return str(data)
    return mask(data, request=False)


class Recorder:
    """The exchanges of one module call."""

    def __init__(self) -> None:
        self.exchanges: list[dict[str, Any]] = []

    def add(self, params: Mapping[str, str], status: int | None, reply: Any, lost: str = "") -> None:
        entry: dict[str, Any] = {"request": mask(dict(params))}
        if lost:
            entry["lost"] = lost
        else:
            if status != 200:
                entry["status"] = status
            entry["reply"] = mask(reply, request=False)
        self.exchanges.append(entry)


def current() -> Recorder | None:
    return _current.get()


def recorded(method: Callable[..., Any]) -> Callable[..., Any]:
    """Write one conversation file per call of `method` while recording is switched on."""

    @functools.wraps(method)
    def wrapper(self: Any, conn: Any, *args: Any, **kwargs: Any) -> Any:
        folder = os.environ.get(ENV, "")
        if not folder or _current.get() is not None:
            return method(self, conn, *args, **kwargs)
        recorder = Recorder()
        token = _current.set(recorder)
        conversation: dict[str, Any] = {
            "title": f"{method.__name__} (recorded)",
            "source": "recorded by the module's test mode",
            "connection": _connection_facts(conn),
            "page_size": getattr(self, "page_size", 1000),
            "call": {"method": method.__name__, "args": _arguments(method, args, kwargs)},
        }
        try:
            result = method(self, conn, *args, **kwargs)
        except Exception as exc:
            conversation["expect"] = {"error": _error_facts(exc)}
            raise
        else:
            conversation["expect"] = {"result": jsonable(result)}
            return result
        finally:
            _current.reset(token)
            conversation["exchanges"] = recorder.exchanges
            path = Path(folder) / f"{method.__name__}-{uuid.uuid4().hex[:10]}.json"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(conversation, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")

    return wrapper


def _connection_facts(conn: Any) -> dict[str, Any]:
    facts = {
        "url": conn.url,
        "username": conn.username,
        "ip_address": conn.ip_address,
        "generation": conn.generation,
        "lang": conn.lang,
    }
    if conn.nameservers:
        facts["nameservers"] = [list(ns) for ns in conn.nameservers]
    return facts


def _arguments(method: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> dict[str, Any]:
    names = method.__code__.co_varnames[2 : method.__code__.co_argcount]
    values = dict(zip(names, args, strict=False)) | kwargs
    return jsonable(values)


def _error_facts(exc: Exception) -> dict[str, Any]:
    facts: dict[str, Any] = {"class": type(exc).__name__}
    for attr in ("kind", "panel_type", "panel_object"):
        if getattr(exc, attr, ""):
            facts[attr] = getattr(exc, attr)
    return facts


def request_difference(recorded_params: Mapping[str, Any], sent: Mapping[str, str], ignored: set[str]) -> str:
    """Why `sent` is not the recorded request ("" when it is)."""
    want = {k: str(v) for k, v in recorded_params.items() if k not in ignored}
    got = {k: v for k, v in sent.items() if k not in ignored}
    missing = sorted(set(want) - set(got))
    extra = sorted(set(got) - set(want))
    if missing or extra:
        return f"missing {missing}, not recorded {extra} (sent {mask(got)})"
    for k, v in want.items():
        if v == MASK or (is_secret(k) and v):
            continue
        if got[k] != v:
            return f"{k}={got[k]!r}, recorded {v!r}"
    return ""
