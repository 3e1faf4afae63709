"""Limits of spec §3.3: stored, shown, enforced; user names; ownership on delete."""

from __future__ import annotations

import pytest

from ispmanager_emulator import EmulatorServer
from ispmanager_emulator.limits import COUNT, FLAG, LIMITS

from .helpers import Api, flat


def all_limit_values() -> dict[str, str]:
    values = {}
    for i, (name, kind, *_rest) in enumerate(LIMITS):
        values[name] = "on" if kind == FLAG else ("php_mode_lsapi" if name == "limit_php_mode" else str(100 + i))
    values["backup"] = "off"
    values["php_enable"] = "on"
    return values


def test_every_limit_is_stored_and_shown(api: Api) -> None:
    values = all_limit_values()
    api.ok("preset.edit", sok="ok", name="everything", **values)
    (preset,) = api.elems("preset")
    assert {k: v for k, v in flat(preset).items() if k in values} == values
    api.ok("user.edit", sok="ok", name="bob", passwd="pw-123456", preset="everything")
    (user,) = api.elems("user")
    assert {k: v for k, v in flat(user).items() if k in values} == values
    assert flat(user)["quota_total"] == values["limit_quota"]
    form = api("user.edit", elid="bob")["doc"]
    assert {k: form[k].get("$", "") for k in values} == values
    form = api("preset.edit", elid="everything")["doc"]
    assert {k: form[k].get("$", "") for k in values} == values


def test_omitted_params_stay_unchanged(api: Api) -> None:
    api.ok(
        "user.edit",
        sok="ok",
        name="bob",
        passwd="pw-123456",
        fullname="Bob",
        limit_db="4",
        limit_quota="1000",
        comment="vip",
    )
    api.ok("user.edit", sok="ok", elid="bob", limit_db="6")
    user = flat(api.elems("user")[0])
    assert (user["limit_db"], user["limit_quota"], user["fullname"], user["comment"]) == (
        "6",
        "1000",
        "Bob",
        "vip",
    )
    api.ok("user.edit", sok="ok", elid="bob", passwd="")  # empty password: unchanged
    assert api("whoami", auth={"authinfo": "bob:pw-123456"})["doc"]["user"]["$name"] == "bob"
    # unknown extra limit_* names are kept too (e.g. *_enabled flags)
    api.ok("user.edit", sok="ok", elid="bob", limit_db_enabled="off")
    assert flat(api.elems("user")[0])["limit_db_enabled"] == "off"


def test_preset_applies_and_change_preset_reapplies(api: Api) -> None:
    api.ok("preset.edit", sok="ok", name="small", limit_db="1", limit_quota="500")
    api.ok("preset.edit", sok="ok", name="big", limit_db="10", limit_quota="5000")
    api.ok("user.edit", sok="ok", name="bob", passwd="pw-123456", preset="small", limit_quota="700")
    user = flat(api.elems("user")[0])
    assert (user["preset"], user["limit_db"], user["limit_quota"]) == ("small", "1", "700")
    api.ok("user.edit", sok="ok", elid="bob", preset="big")
    user = flat(api.elems("user")[0])
    assert (user["preset"], user["limit_db"], user["limit_quota"]) == ("big", "10", "5000")
    assert api.error("user.edit", sok="ok", elid="bob", preset="nonexistent")["$type"] == "value"


COUNTABLE_CASES = [
    ("limit_webdomains", "site.edit", lambda i: {"name": f"s{i}.example.test"}),
    ("limit_domains", "domain.edit", lambda i: {"name": f"z{i}.example.test"}),
    ("limit_emaildomains", "emaildomain.edit", lambda i: {"name": f"m{i}.example.test"}),
    ("limit_db", "db.edit", lambda i: {"name": f"db{i}"}),
    ("limit_ftp_users", "ftp.user.edit", lambda i: {"name": f"ftp{i}", "passwd": "ftp-pw-1"}),
]


@pytest.mark.parametrize("limit,func,params", COUNTABLE_CASES, ids=[c[0] for c in COUNTABLE_CASES])
def test_countable_limits_are_enforced(api: Api, limit: str, func: str, params) -> None:  # noqa: ANN001
    api.ok("user.edit", sok="ok", name="bob", passwd="pw-123456", **{limit: "2"})
    for i in range(2):
        api.ok(func, sok="ok", owner="bob", **params(i))
    err = api.error(func, sok="ok", owner="bob", **params(2))
    assert (err["$type"], err["$object"]) == ("limit", limit)
    assert limit in err["msg"]["$"]
    assert err["param"][1]["$"] == "2"
    # raising the limit lets the next one through
    api.ok("user.edit", sok="ok", elid="bob", **{limit: "3"})
    api.ok(func, sok="ok", owner="bob", **params(2))
    # downgrading below what is in use is refused
    err = api.error("user.edit", sok="ok", elid="bob", **{limit: "1"})
    assert (err["$type"], err["$object"]) == ("limit", limit)


def test_mail_and_db_user_limits(api: Api) -> None:
    api.ok(
        "user.edit",
        sok="ok",
        name="bob",
        passwd="pw-123456",
        limit_emails="1",
        limit_db_users="1",
        limit_email_quota="200",
    )
    api.ok("emaildomain.edit", sok="ok", name="bob.example.test", owner="bob")
    api.ok("email.edit", sok="ok", name="a", domainname="bob.example.test", passwd="box-pw-1")
    assert api.elems("email")[0]["size_total"]["$"] == "200"  # defaults to the per-box cap
    err = api.error("email.edit", sok="ok", name="b", domainname="bob.example.test", passwd="box-pw-1")
    assert err["$object"] == "limit_emails"
    api.ok("user.edit", sok="ok", elid="bob", limit_emails="5")
    err = api.error("email.edit", sok="ok", name="b", domainname="bob.example.test", passwd="x", maxsize="500")
    assert err["$object"] == "limit_email_quota"
    api.ok("db.edit", sok="ok", name="shop", owner="bob", username="shop", password="db-pw-1")
    err = api.error("db.users.edit", sok="ok", plid="shop->MySQL", name="other", password="db-pw-2")
    assert err["$object"] == "limit_db_users"
    err = api.error("db.edit", sok="ok", name="shop2", owner="bob", username="shop2", password="db-pw-1")
    assert err["$object"] == "limit_db_users"
    assert "shop2->MySQL" not in [e["key"]["$"] for e in api.elems("db")]  # nothing half-created


def test_every_countable_limit_name_is_known() -> None:
    countable = {name for name, kind, *_ in LIMITS if kind == COUNT}
    assert {
        "limit_webdomains",
        "limit_domains",
        "limit_emaildomains",
        "limit_emails",
        "limit_db",
        "limit_db_users",
        "limit_ftp_users",
    } <= countable


@pytest.mark.parametrize("name", ["Bob", "1bob", "bob.smith", "b" * 17, "bob smith", "", "боб"])
def test_username_rule(api: Api, name: str) -> None:
    err = api.error("user.edit", sok="ok", name=name, passwd="pw-123456")
    assert err["$type"] in ("value", "missed")
    assert err["$object"] == "name"


@pytest.mark.parametrize("name", ["bob", "b", "bob_1", "bob-2", "b" * 16])
def test_username_accepted(api: Api, name: str) -> None:
    api.ok("user.edit", sok="ok", name=name, passwd="pw-123456")


@pytest.mark.parametrize("name", ["root", "www-data", "mysql"])
def test_system_and_duplicate_names_exist(api: Api, name: str) -> None:
    err = api.error("user.edit", sok="ok", name=name, passwd="pw-123456")
    assert (err["$type"], err["$object"]) == ("exists", "user")


def test_password_rules(api: Api) -> None:
    assert api.error("user.edit", sok="ok", name="bob")["$type"] == "missed"
    err = api.error("user.edit", sok="ok", name="bob", passwd="a-pass-1", confirm="other")
    assert (err["$type"], err["$object"]) == ("value", "confirm")
    assert api.error("user.edit", sok="ok", name="bob", passwd="p", limit_db="many")["$object"] == "limit_db"
    assert api.error("user.edit", sok="ok", name="bob", passwd="p", limit_shell="maybe")["$object"] == "limit_shell"


def test_without_sok_nothing_is_committed(emu: EmulatorServer, api: Api) -> None:
    doc = api("user.edit", name="bob", passwd="pw-123456")["doc"]
    assert "ok" not in doc and doc["name"] == {}
    assert "bob" not in emu.state.users
    api.ok("user.edit", sok="yes", name="bob", passwd="pw-123456")  # old clients send sok=yes
    api("user.edit", elid="bob", fullname="Changed")
    assert emu.state.users["bob"]["fullname"] == ""


def test_delete_user_deletes_what_it_owns(emu: EmulatorServer, api: Api) -> None:
    for name in ("bob", "eve"):
        api.ok(
            "user.add.finish",
            sok="ok",
            name=name,
            passwd="pw-123456",
            webdomain_name=f"{name}.example.test",
            emaildomain_name=f"{name}.example.test",
            ftp_user_name=f"{name}ftp",
            ipsrc="auto",
        )
        api.ok("domain.edit", sok="ok", name=f"{name}.example.test", owner=name)
        api.ok(
            "email.edit",
            sok="ok",
            name="info",
            domainname=f"{name}.example.test",
            passwd="box-pw-1",
        )
        api.ok(
            "db.edit",
            sok="ok",
            name=f"{name}db",
            owner=name,
            username=f"{name}dbu",
            password="db-pw-1",
        )
    api("session.newkey", username="bob", key="k" * 20)
    api.ok("user.delete", elid="bob")
    state = emu.state
    for coll in (
        "webdomains",
        "domains",
        "emaildomains",
        "emails",
        "dbs",
        "dbusers",
        "ftpusers",
        "ipaddrs",
    ):
        owners = {rec.get("owner") for rec in state.collection(coll).values()}
        assert "bob" not in owners, coll
        if coll != "ipaddrs":
            assert "eve" in owners, coll
    assert "k" * 20 not in state.keys
    assert api.error("user.delete", elid="bob")["$type"] == "missed"


def test_group_operation_lists(emu: EmulatorServer, api: Api) -> None:
    for name in ("a1", "a2", "a3"):
        api.ok("user.edit", sok="ok", name=name, passwd="pw-123456")
    api.ok("user.suspend", elid="a1, a2")
    assert [emu.state.users[n]["active"] for n in ("a1", "a2", "a3")] == ["off", "off", "on"]
    # one unknown id: nothing is applied
    assert api.error("user.resume", elid="a1, ghost")["$type"] == "missed"
    assert emu.state.users["a1"]["active"] == "off"
    api.ok("user.delete", elid="a1, a2, a3")
    assert emu.state.users == {}


def test_suspended_user_sites_show_suspended(api: Api) -> None:
    api.ok(
        "user.add",
        sok="ok",
        name="bob",
        passwd="pw-123456",
        webdomain_name="bob.example.test",
        emaildomain_name="bob.example.test",
    )
    api.ok("ftp.user.edit", sok="ok", name="bobftp", owner="bob", passwd="ftp-pw-1")
    api.ok("user.suspend", elid="bob")
    assert api.elems("webdomain")[0]["active"]["$"] == "off"
    assert api.elems("emaildomain")[0]["active"]["$"] == "off"
    assert api.elems("ftp.user")[0]["active"]["$"] == "off"
    api.ok("user.resume", elid="bob")
    assert api.elems("webdomain")[0]["active"]["$"] == "on"
