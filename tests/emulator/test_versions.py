"""ispmanager 5 and 6: each version answers its own functions and refuses the other's."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from ispmanager_emulator import EmulatorServer, supported_functions
from ispmanager_emulator.cli import build_parser

from .helpers import ADMIN, Api, val


@pytest.fixture
def api5() -> Iterator[Api]:
    with (
        EmulatorServer(port=0, admin=ADMIN, version=5) as srv,
        httpx.Client(base_url=srv.base_url, timeout=10) as client,
    ):
        yield Api(client)


def make_user(api: Api) -> None:
    api.ok("user.edit", sok="ok", name="bob", passwd="pw-123456")


def test_v6_is_the_default_and_creates_sites_with_site_edit(api: Api) -> None:
    make_user(api)
    assert api.ok("site.edit", sok="ok", su="bob", site_name="bob.test", site_aliases="www.bob.test")["id"] == {
        "$": "bob.test"
    }
    err = api.error("webdomain.edit", sok="ok", name="other.test", owner="bob")
    assert (err["$type"], err["$object"], err["param"][1]["$"]) == ("missed", "func", "webdomain.edit")
    # the site list, the site form and changes through webdomain.edit remain
    assert api("webdomain.edit", elid="bob.test")["doc"]["name"] == {"$": "bob.test"}
    api.ok("webdomain.edit", sok="ok", elid="bob.test", secure="on")
    assert [val(e["secure"]) for e in api.elems("webdomain")] == ["on"]
    assert "ispmanager 6" in val(api("license.info")["doc"]["panel_name"])


def test_v5_creates_sites_with_webdomain_edit(api5: Api) -> None:
    make_user(api5)
    doc = api5.ok("webdomain.edit", sok="ok", name="bob.test", owner="bob", email="admin@bob.test", ip="192.0.2.1")
    assert doc["id"] == {"$": "bob.test"}
    (site,) = api5.elems("webdomain")
    assert (val(site["name"]), val(site["owner"]), val(site["ipaddr"])) == ("bob.test", "bob", "192.0.2.1")
    for func in ("site.edit", "site.delete", "domain.record", "domain.record.edit", "domain.record.delete"):
        err = api5.error(func, sok="ok", site_name="x.test", elid="x.test")
        assert (err["$type"], err["$object"]) == ("missed", "func"), func
    assert "ispmanager 5" in val(api5("license.info")["doc"]["panel_name"])


def test_dns_records_are_sublists_on_v5_and_records_on_v6(api: Api, api5: Api) -> None:
    for panel, ours, theirs in ((api5, "domain.sublist", "domain.record"), (api, "domain.record", "domain.sublist")):
        make_user(panel)
        panel.ok("domain.edit", sok="ok", name="bob.test", owner="bob", ip="192.0.2.5")
        panel.ok(f"{ours}.edit", sok="ok", plid="bob.test", name="ftp", sdtype="a", addr="192.0.2.6")
        assert "ftp.bob.test. A  192.0.2.6" in [val(e["rkey"]) for e in panel.elems(ours, elid="bob.test")]
        assert panel.error(theirs, elid="bob.test")["$object"] == "func"


def test_function_lists_per_version() -> None:
    v5, v6 = set(supported_functions(5)), set(supported_functions(6))
    assert "site.edit" in v6 - v5 and "domain.record.edit" in v6 - v5
    assert "domain.sublist.edit" in v5 - v6
    assert {"webdomain.edit", "webdomain", "user.edit", "session.newkey"} <= v5 & v6
    assert set(supported_functions()) == v5 | v6


def test_version_is_checked_and_on_the_command_line() -> None:
    assert build_parser().parse_args([]).version == 6
    assert build_parser().parse_args(["--version", "5"]).version == 5
    with pytest.raises(SystemExit):
        build_parser().parse_args(["--version", "4"])
    with pytest.raises(ValueError):
        EmulatorServer(port=0, version=4)
