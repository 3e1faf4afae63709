"""Single sign-on keys (session.newkey) are only for an account with superuser rights."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from ispmanager_emulator import EmulatorServer
from ispmanager_emulator.cli import build_parser

from .helpers import Api, val

KEY = "k" * 20


@pytest.fixture
def two_admins() -> Iterator[tuple[EmulatorServer, Api]]:
    with (
        EmulatorServer(port=0, admin=["root:one", "ops:two"]) as srv,
        httpx.Client(base_url=srv.base_url, timeout=10) as client,
    ):
        api = Api(client)
        api.ok("user.edit", auth={"authinfo": "root:one"}, sok="ok", name="bob", passwd="pw-123456")
        yield srv, api


def test_root_is_the_superuser_and_may_make_keys(two_admins: tuple[EmulatorServer, Api]) -> None:
    srv, api = two_admins
    assert srv.emulator.superusers == {"root"}
    api.ok("session.newkey", auth={"authinfo": "root:one"}, username="bob", key=KEY)
    assert val(api("auth", auth={}, username="bob", key=KEY)["doc"]["auth"]) != ""


def test_another_admin_gets_the_access_error(two_admins: tuple[EmulatorServer, Api]) -> None:
    srv, api = two_admins
    err = api.error("session.newkey", auth={"authinfo": "ops:two"}, username="bob", key=KEY)
    assert (err["$type"], err["$object"]) == ("access", "session.newkey")
    assert err["msg"]["$"] == "Access denied"
    # su=root does not lend root's rights, and a user never has them
    err = api.error("session.newkey", auth={"authinfo": "ops:two"}, su="root", username="bob", key=KEY)
    assert err["$type"] == "access"
    err = api.error("session.newkey", auth={"authinfo": "bob:pw-123456"}, username="bob", key=KEY)
    assert err["$type"] == "access"
    assert KEY not in srv.state.keys
    # the same admin may still do everything else an admin does
    assert [val(u["name"]) for u in api.elems("user", auth={"authinfo": "ops:two"})] == ["bob"]


def test_superusers_can_be_chosen() -> None:
    with EmulatorServer(port=0, admin=["root:one", "ops:two"], superusers=["ops"]) as srv:
        resp = httpx.post(
            srv.url,
            data={"func": "session.newkey", "out": "sjson", "authinfo": "ops:two", "username": "ops", "key": KEY},
        )
        assert resp.json()["doc"]["ok"] == {}
        resp = httpx.post(
            srv.url,
            data={"func": "session.newkey", "out": "sjson", "authinfo": "root:one", "username": "ops", "key": "r" * 20},
        )
        assert resp.json()["doc"]["error"]["$type"] == "access"


def test_without_root_the_first_admin_is_the_superuser() -> None:
    with EmulatorServer(port=0, admin=("admin", "pw")) as srv:
        assert srv.emulator.superusers == {"admin"}
        assert srv.call("session.newkey", username="admin", key=KEY)["doc"]["ok"] == {}


def test_a_superuser_must_be_an_admin() -> None:
    with pytest.raises(ValueError, match="superuser"):
        EmulatorServer(port=0, admin=("root", "pw"), superusers=["nobody"])
    assert build_parser().parse_args(["--superuser", "ops"]).superuser == ["ops"]
    assert build_parser().parse_args([]).superuser is None
