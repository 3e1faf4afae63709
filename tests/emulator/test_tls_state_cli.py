"""HTTPS with the generated certificate, the SQLite state file, the command line, the fixtures."""

from __future__ import annotations

import hashlib
import os
import re
import signal
import socket
import ssl
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from ispmanager_emulator import EmulatorServer
from ispmanager_emulator.tls import fingerprint

SRC = str(Path(__file__).resolve().parents[2] / "src")


def test_tls_self_signed_and_fingerprint() -> None:
    with EmulatorServer(port=0, tls=True, admin=("root", "pw")) as srv:
        assert srv.url.startswith("https://127.0.0.1:")
        assert srv.fingerprint and re.fullmatch(r"([0-9A-F]{2}:){31}[0-9A-F]{2}", srv.fingerprint)
        # the certificate actually served is the one fingerprinted
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        with (
            socket.create_connection(("127.0.0.1", srv.port)) as raw,
            ctx.wrap_socket(raw, server_hostname="127.0.0.1") as tls,
        ):
            der = tls.getpeercert(binary_form=True)
        assert der is not None and fingerprint(der) == srv.fingerprint
        assert hashlib.sha256(der).hexdigest().upper() == srv.fingerprint.replace(":", "")
        # verification fails without the certificate, works when it is trusted
        with pytest.raises(httpx.ConnectError):
            httpx.get(srv.url, params={"func": "whoami"})
        trusted = ssl.create_default_context(cadata=srv.cert_pem.decode())
        trusted.check_hostname = False
        resp = httpx.post(srv.url, data={"func": "whoami", "out": "json", "authinfo": "root:pw"}, verify=trusted)
        assert resp.json()["doc"]["$host"].startswith("https://")
        assert srv.call("whoami")["doc"]["user"]["$name"] == "root"
        # plain HTTP on the TLS port does not break the server
        with pytest.raises(httpx.TransportError):
            httpx.get(srv.url.replace("https", "http"), timeout=5)
        assert srv.call("whoami")["doc"]["user"]["$name"] == "root"


def test_state_file_survives_restart(tmp_path: Path) -> None:
    path = str(tmp_path / "panel.sqlite")
    with EmulatorServer(port=0, state_path=path) as srv:
        srv.call("preset.edit", sok="ok", name="basic", limit_db="3")
        srv.call("user.edit", sok="ok", name="bob", passwd="pw-123456", preset="basic")
        srv.call("user.edit", sok="ok", name="eve", passwd="pw-123456")
        srv.call("site.edit", sok="ok", name="bob.example.test", owner="bob")
        srv.call("domain.edit", sok="ok", name="bob.example.test", owner="bob")
        srv.call("db.edit", sok="ok", name="bobdb", owner="bob", username="bobdbu", password="db-pw-1")
        srv.call("emulator.usage.set", elid="bob", quota_used="77")
        srv.call("user.delete", elid="eve")
        srv.call("user.suspend", elid="bob")
        before = srv.state.snapshot()
    with EmulatorServer(port=0, state_path=path) as srv:
        assert srv.state.snapshot() == before
        users = srv.call("user", out="JSONdata")
        assert [(u["name"], u["active"], u["limit_db"], u["quota_used"]) for u in users] == [("bob", "off", "3", "77")]
        srv.call("user.resume", elid="bob")
        # a new site gets the next id, not a reused one
        srv.call("site.edit", sok="ok", name="two.example.test", owner="bob")
        ids = sorted(int(s["id"]) for s in srv.call("webdomain", out="JSONdata"))
        assert ids == [1, 2]
    with EmulatorServer(port=0, state_path=path) as srv:
        assert srv.state.users["bob"]["active"] == "on"
        srv.call("emulator.reset")
    with EmulatorServer(port=0, state_path=path) as srv:
        assert srv.state.users == {} and list(srv.state.ipaddrs) == ["192.0.2.1"]


def start_cli(*args: str) -> tuple[subprocess.Popen[str], list[str]]:
    env = dict(os.environ, PYTHONPATH=SRC + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.Popen(
        [sys.executable, "-m", "ispmanager_emulator", "--port", "0", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert proc.stdout is not None
    lines = [proc.stdout.readline() for _ in range(3 if "--tls" in args else 2)]
    return proc, lines


def stop(proc: subprocess.Popen[str]) -> None:
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=10)


def test_cli_plain(tmp_path: Path) -> None:
    proc, lines = start_cli("--admin", "boss:pw", "--state", str(tmp_path / "s.db"))
    try:
        match = re.search(r"listening on (http://127\.0\.0\.1:\d+/ispmgr)", lines[0])
        assert match, lines
        url = match.group(1)
        resp = httpx.post(url, data={"func": "whoami", "out": "json", "authinfo": "boss:pw"})
        assert resp.json()["doc"]["user"]["$name"] == "boss"
        resp = httpx.post(
            url.replace("/ispmgr", "/manager/ispmgr"),
            data={
                "func": "user.edit",
                "sok": "ok",
                "name": "bob",
                "passwd": "x-123456",
                "out": "json",
                "authinfo": "boss:pw",
            },
        )
        assert resp.json()["doc"]["ok"] == {}
    finally:
        stop(proc)
    assert proc.returncode == 0


def test_cli_tls_prints_fingerprint() -> None:
    proc, lines = start_cli("--tls", "--fail-rate", "1", "--fail-kind", "500", "--seed", "1")
    try:
        url = re.search(r"listening on (https://\S+)", lines[0]).group(1)  # type: ignore[union-attr]
        fp = re.search(r"SHA-256 fingerprint: ((?:[0-9A-F]{2}:){31}[0-9A-F]{2})", lines[1])
        assert fp, lines
        resp = httpx.post(url, data={"func": "whoami", "authinfo": "root:secret"}, verify=False)
        assert resp.status_code == 500  # --fail-rate 1
        resp = httpx.post(url, data={"func": "emulator.faults.clear", "authinfo": "root:secret"}, verify=False)
        assert resp.status_code == 200
        resp = httpx.post(url, data={"func": "whoami", "out": "json", "authinfo": "root:secret"}, verify=False)
        assert resp.json()["doc"]["user"]["$name"] == "root"
    finally:
        stop(proc)


def test_cli_rejects_bad_flags() -> None:
    env = dict(os.environ, PYTHONPATH=SRC)
    bad = subprocess.run(
        [sys.executable, "-m", "ispmanager_emulator", "--port", "0", "--admin", "nopass"],
        capture_output=True,
        text=True,
        env=env,
        timeout=30,
    )
    assert bad.returncode == 2 and "USER:PASS" in bad.stderr
    bad = subprocess.run(
        [sys.executable, "-m", "ispmanager_emulator", "--port", "0", "--fail-rate", "3"],
        capture_output=True,
        text=True,
        env=env,
        timeout=30,
    )
    assert bad.returncode == 2


from ispmanager_emulator.testing import (  # noqa: E402
    emulator_fixture,
    ispmanager_emulator,  # noqa: F401 - ready-made fixtures used below
    ispmanager_emulator_factory,  # noqa: F401
)

custom_emulator = emulator_fixture(name="custom_emulator", admin=("admin", "pw"), seed=5)


def test_fixture_factory(custom_emulator: EmulatorServer) -> None:
    assert custom_emulator.call("whoami")["doc"]["user"]["$name"] == "admin"
    custom_emulator.call("user.edit", sok="ok", name="bob", passwd="pw-123456")
    assert "bob" in custom_emulator.state.users
    custom_emulator.reset()
    assert custom_emulator.state.users == {}


def test_ready_made_fixtures(
    ispmanager_emulator: EmulatorServer,  # noqa: F811 - the imported fixture
    ispmanager_emulator_factory: Callable[..., EmulatorServer],  # noqa: F811
) -> None:
    assert ispmanager_emulator.url.startswith("http://127.0.0.1:")
    assert ispmanager_emulator.call("whoami")["doc"]["user"]["$name"] == "root"
    other = ispmanager_emulator_factory(admin=("x", "y"))
    assert other.port != ispmanager_emulator.port
    assert other.call("whoami")["doc"]["user"]["$name"] == "x"
