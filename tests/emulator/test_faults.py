"""Fault injection: latency, HTTP 500, dropped connections, auth broken, commit-then-fail."""

from __future__ import annotations

import time

import httpx
import pytest

from ispmanager_emulator import EmulatorServer, Faults
from ispmanager_emulator.cli import build_parser
from ispmanager_emulator.faults import parse_fault_spec

from .helpers import AUTHINFO, Api


def post(emu: EmulatorServer, **data: str) -> httpx.Response:
    # a fresh connection per call: a dropped connection must not poison the next request
    return httpx.post(emu.url, data={"out": "json", "authinfo": AUTHINFO, **data}, timeout=10)


def test_fail_500_then_recover(emu: EmulatorServer) -> None:
    emu.faults.set("user", fail_rate=1.0, fail_kind="500", times=2)
    assert post(emu, func="user").status_code == 500
    assert post(emu, func="whoami").status_code == 200  # other functions are unaffected
    assert post(emu, func="user").status_code == 500
    assert post(emu, func="user").status_code == 200  # "times" used up


def test_dropped_connection(emu: EmulatorServer) -> None:
    emu.faults.set("*", fail_rate=1.0, fail_kind="drop", times=1)
    with pytest.raises(httpx.TransportError):
        post(emu, func="user.edit", sok="ok", name="bob", passwd="pw-123456")
    assert "bob" not in emu.state.users  # failed before being applied
    assert post(emu, func="whoami").status_code == 200


@pytest.mark.parametrize("kind", ["500", "drop"])
def test_commit_then_fail(emu: EmulatorServer, kind: str) -> None:
    emu.faults.set("user.edit", commit_then_fail=1.0, fail_kind=kind, times=1)
    if kind == "drop":
        with pytest.raises(httpx.TransportError):
            post(emu, func="user.edit", sok="ok", name="bob", passwd="pw-123456")
    else:
        assert post(emu, func="user.edit", sok="ok", name="bob", passwd="pw-123456").status_code == 500
    assert "bob" in emu.state.users  # applied, but the reply was lost
    retry = post(emu, func="user.edit", sok="ok", name="bob", passwd="pw-123456").json()
    assert retry["doc"]["error"]["$type"] == "exists"


def test_auth_broken(emu: EmulatorServer, api: Api) -> None:
    emu.faults.set("*", auth_broken=True)
    err = api.error("whoami")
    assert (err["$type"], err["$object"]) == ("auth", "badpassword")
    assert api.error("auth", auth={}, username="root", password="s3cret-pw")["$type"] == "auth"
    # emulator.* functions are never faulted, so the mode can be switched off over HTTP
    api.ok("emulator.faults.clear")
    assert api("whoami")["doc"]["user"]["$name"] == "root"


def test_latency(emu: EmulatorServer) -> None:
    emu.faults.set("whoami", latency_ms=500)
    started = time.perf_counter()
    assert post(emu, func="whoami").status_code == 200
    assert time.perf_counter() - started >= 0.5
    started = time.perf_counter()
    post(emu, func="user")
    assert time.perf_counter() - started < 0.5  # other functions are not delayed


def test_seeded_failure_rate_repeats() -> None:
    def pattern(seed: int) -> list[bool]:
        faults = Faults(seed)
        faults.set("*", fail_rate=0.3)
        return [faults.decide("user").before is not None for _ in range(200)]  # type: ignore[union-attr]

    first, second = pattern(7), pattern(7)
    assert first == second
    assert 30 < sum(first) < 90
    assert pattern(8) != first


def test_seeded_over_http(api: Api, emu: EmulatorServer) -> None:
    def run() -> list[int]:
        api.ok("emulator.faults.set", target="whoami", fail_rate="0.5", seed="99")
        codes = [post(emu, func="whoami").status_code for _ in range(20)]
        api.ok("emulator.faults.clear")
        return codes

    first = run()
    assert first == run()
    assert 500 in first and 200 in first


def test_runtime_function(api: Api, emu: EmulatorServer) -> None:
    api.ok("emulator.faults.set", target="db.edit", fail_rate="1", fail_kind="drop", times="3")
    api.ok("emulator.faults.set", latency_ms="5")
    rules = {e["target"]["$"]: {k: v.get("$", "") for k, v in e.items()} for e in api.elems("emulator.faults")}
    assert rules["db.edit"]["fail_kind"] == "drop" and rules["db.edit"]["times"] == "3"
    assert rules["*"]["latency_ms"] == "5.0"
    assert api.error("emulator.faults.set", fail_kind="teapot")["$type"] == "value"
    assert api.error("emulator.faults.set", fail_rate="2")["$type"] == "value"
    assert api.error("emulator.faults", auth={"authinfo": "nobody:x"})["$type"] == "auth"
    api.ok("emulator.faults.clear", target="db.edit")
    assert [e["target"]["$"] for e in api.elems("emulator.faults")] == ["*"]
    api.ok("emulator.faults.clear")
    assert api.elems("emulator.faults") == []


def test_faults_from_constructor_and_cli_specs() -> None:
    target, settings = parse_fault_spec("user.edit:fail_rate=0.5,fail_kind=drop,times=2")
    assert (target, settings) == (
        "user.edit",
        {"fail_rate": "0.5", "fail_kind": "drop", "times": "2"},
    )
    assert parse_fault_spec("db.edit:commit_then_fail") == ("db.edit", {"commit_then_fail": "1"})
    args = build_parser().parse_args(
        [
            "--latency",
            "20",
            "--fail-rate",
            "0.1",
            "--fail-kind",
            "drop",
            "--commit-then-fail",
            "--auth-broken",
            "--seed",
            "3",
            "--fault",
            "whoami:latency_ms=1",
        ]
    )
    assert (
        args.latency,
        args.fail_rate,
        args.fail_kind,
        args.commit_then_fail,
        args.auth_broken,
        args.seed,
    ) == (20.0, 0.1, "drop", 1.0, True, 3)
    with EmulatorServer(port=0, faults=[("whoami", {"fail_rate": 1, "times": 1})], seed=1) as srv:
        assert httpx.post(srv.url, data={"func": "whoami", "authinfo": srv.authinfo}).status_code == 500
        assert httpx.post(srv.url, data={"func": "whoami", "authinfo": srv.authinfo}).status_code == 200
