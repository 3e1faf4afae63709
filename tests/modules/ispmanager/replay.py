"""Running the module against one recorded conversation (the format: docs/recorded-conversations.md)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from moorage.modules.ispmanager.client import ReplayTransport
from moorage.modules.ispmanager.module import IspManagerModule
from moorage.modules.ispmanager.recording import jsonable
from moorage.provisioning.interface import AccountSpec, Connection

DEFAULT_URL = "https://panel.example.net:1500/ispmgr"


def load(path: Path) -> dict[str, Any]:
    conversation = json.loads(path.read_text(encoding="utf-8"))
    for key in ("call", "exchanges", "expect"):
        assert key in conversation, f"{path.name}: no {key!r}"
    return conversation


def connection(facts: dict[str, Any]) -> Connection:
    return Connection(
        url=facts.get("url", DEFAULT_URL),
        username=facts.get("username", "root"),
        password="***",
        ip_address=facts.get("ip_address", ""),
        generation=str(facts.get("generation", "")),
        lang=facts.get("lang", ""),
        nameservers=tuple(tuple(ns) for ns in facts.get("nameservers", ())),
    )


def arguments(args: dict[str, Any]) -> dict[str, Any]:
    out = dict(args)
    if isinstance(out.get("spec"), dict):
        out["spec"] = AccountSpec(**out["spec"])
    return out


def replay(conversation: dict[str, Any]) -> None:
    """Run the recorded call against the recorded replies; fail on any difference."""
    transport = ReplayTransport(conversation["exchanges"])
    module = IspManagerModule(page_size=int(conversation.get("page_size", 1000)), transport=transport)
    call = conversation["call"]
    method = getattr(module, call["method"])
    expect = conversation["expect"]
    try:
        result = method(connection(conversation.get("connection", {})), **arguments(call.get("args", {})))
    except AssertionError:
        raise
    except Exception as exc:  # noqa: BLE001 - compared with the recorded error below
        assert "error" in expect, f"unexpected {type(exc).__name__}: {exc}"
        for key, want in expect["error"].items():
            got = type(exc).__name__ if key == "class" else getattr(exc, key, None)
            if key == "message_contains":
                got, want = str(exc), want
                assert want in got, f"error message {got!r} lacks {want!r}"
                continue
            assert got == want, f"error {key}: {got!r}, recorded {want!r}"
    else:
        assert "error" not in expect, f"no error; recorded {expect['error']}"
        if "result" in expect:
            assert jsonable(result) == expect["result"]
    assert not transport.unused, f"{len(transport.unused)} recorded exchanges were not asked for"
