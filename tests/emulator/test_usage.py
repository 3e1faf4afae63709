"""Usage figures set by tests (emulator.usage.set / Python API) and reported by the panel."""

from __future__ import annotations

from ispmanager_emulator import EmulatorServer

from .helpers import Api, flat


def setup_account(api: Api) -> None:
    api.ok(
        "user.edit",
        sok="ok",
        name="bob",
        passwd="pw-123456",
        limit_quota="1024",
        limit_dbsize="300",
        limit_db="5",
        limit_traff="10000",
    )
    api.ok("db.edit", sok="ok", name="shop", owner="bob")
    api.ok("db.edit", sok="ok", name="blog", owner="bob")
    api.ok("emaildomain.edit", sok="ok", name="bob.example.test", owner="bob")
    api.ok("email.edit", sok="ok", name="info", domainname="bob.example.test", passwd="box-pw-1")


def test_usage_set_over_http(api: Api) -> None:
    setup_account(api)
    api.ok("emulator.usage.set", elid="bob", quota_used="512.5", traff_used="2048")
    api.ok("emulator.usage.set", db="shop", db_size="120")
    api.ok("emulator.usage.set", db="blog->MySQL", size="30")
    api.ok("emulator.usage.set", email="info@bob.example.test", email_size="7")
    user = flat(api.elems("user")[0])
    assert (user["quota_used"], user["quota_total"]) == ("512.5", "1024")
    sizes = {e["name"]["$"]: e["size"]["$"] for e in api.elems("db")}
    assert sizes == {"shop": "120", "blog": "30"}
    assert api.elems("email")[0]["size_used"]["$"] == "7"
    stats = {e["name"]["$orig"]: flat(e) for e in api.elems("userstat", su="bob")}
    assert stats["limit_quota"]["usages_used"] == "512.50"
    assert stats["limit_quota"]["usages_total"] == "1024"
    assert stats["limit_quota"]["units"] == "MiB"
    assert stats["limit_traff"]["usages_used"] == "2048"
    assert stats["limit_dbsize"]["usages_used"] == "150"
    assert stats["limit_dbsize"]["usages_total"] == "300"
    assert stats["limit_db"]["usages_used"] == "2" and stats["limit_db"]["usages_total"] == "5"
    assert stats["limit_emails"]["usages_used"] == "1"
    assert stats["limit_email_quota"]["usages_used"] == "7"
    assert stats["limit_quota"]["name"] == "Disk quota"
    # the same numbers as the user sees them
    own = {e["name"]["$orig"]: flat(e) for e in api.elems("userstat", auth={"authinfo": "bob:pw-123456"})}
    assert own == stats


def test_usage_set_is_admin_only_and_validated(api: Api) -> None:
    setup_account(api)
    assert (
        api.error("emulator.usage.set", auth={"authinfo": "bob:pw-123456"}, elid="bob", quota_used="1")["$type"]
        == "access"
    )
    assert api.error("emulator.usage.set", elid="bob", quota_used="lots")["$type"] == "value"
    assert api.error("emulator.usage.set", elid="ghost", quota_used="1")["$type"] == "missed"
    assert api.error("emulator.usage.set", elid="bob")["$type"] == "missed"


def test_usage_set_from_python(emu: EmulatorServer, api: Api) -> None:
    setup_account(api)
    emu.set_usage("bob", quota_used=100, traff_used=5)
    emu.set_db_size("shop", 42)
    emu.set_mailbox_size("info@bob.example.test", 3)
    assert flat(api.elems("user")[0])["quota_used"] == "100"
    assert {e["name"]["$"]: e["size"]["$"] for e in api.elems("db")}["shop"] == "42"
    stats = {e["name"]["$orig"]: flat(e) for e in api.elems("userstat", su="bob")}
    assert stats["limit_traff"]["usages_used"] == "5"


def test_admin_userstat_aggregates(api: Api) -> None:
    setup_account(api)
    api.ok("user.edit", sok="ok", name="eve", passwd="pw-123456")
    api.ok("db.edit", sok="ok", name="evedb", owner="eve")
    stats = {e["name"]["$orig"]: flat(e) for e in api.elems("userstat")}
    assert stats["limit_db"]["usages_used"] == "3"
