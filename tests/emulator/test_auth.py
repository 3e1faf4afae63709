"""authinfo, sessions, single sign-on keys, users' own logins and rights, su."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import httpx

from ispmanager_emulator import EmulatorServer

from .helpers import AUTHINFO, Api


def make_user(api: Api, name: str = "bob", password: str = "bob-pw-123", **extra: str) -> None:
    api.ok("user.edit", sok="ok", name=name, passwd=password, **extra)


def test_authinfo_good_and_bad(api: Api) -> None:
    assert api("whoami")["doc"]["user"] == {"$name": "root", "$level": "29"}
    for bad in ("root:nope", "nobody:x", "root", ""):
        err = api.error("whoami", auth={"authinfo": bad})
        assert (err["$type"], err["$object"]) == ("auth", "badpassword")
    err = api.error("whoami", auth={})
    assert err["$type"] == "auth"


def test_session_login_use_and_idle_expiry(emu: EmulatorServer, api: Api) -> None:
    root = ET.fromstring(api("auth", out="xml", auth={}, username="root", password="s3cret-pw"))
    auth = root.find("auth")
    assert auth is not None
    sid = auth.get("id")
    assert sid and auth.text == sid and auth.get("level") == "29"
    doc = api("auth", auth={}, username="root", password="s3cret-pw")["doc"]
    assert doc["auth"]["$id"] == doc["auth"]["$"]
    assert api("whoami", auth={"auth": sid})["doc"]["user"]["$name"] == "root"
    emu.advance_time(3500)  # activity within the hour keeps it alive
    assert api("whoami", auth={"auth": sid})["doc"]["user"]["$name"] == "root"
    emu.advance_time(3500)
    assert "error" not in api("whoami", auth={"auth": sid})["doc"]
    emu.advance_time(3601)  # idle for more than an hour
    err = api.error("whoami", auth={"auth": sid})
    assert err["$type"] == "access" and err["$object"] == "session"
    err = api.error("auth", auth={}, username="root", password="bad")
    assert (err["$type"], err["$object"]) == ("auth", "badpassword")


def test_user_logs_in_with_own_password_and_rights(api: Api) -> None:
    make_user(api, limit_webdomains="1")
    make_user(api, "eve", "eve-pw-123")
    bob = {"authinfo": "bob:bob-pw-123"}
    assert api("whoami", auth=bob)["doc"]["user"] == {"$name": "bob", "$level": "16"}
    # admin functions are refused
    for func in ("user", "user.edit", "preset", "license.info", "session.newkey", "emulator.reset"):
        assert api.error(func, auth=bob)["$type"] == "access", func
    # his own objects: owner is implied, others' objects are invisible
    api.ok("site.edit", auth=bob, sok="ok", name="bob.example.test")
    api.ok("site.edit", sok="ok", name="eve.example.test", owner="eve")
    names = [e["name"]["$"] for e in api.elems("webdomain", auth=bob)]
    assert names == ["bob.example.test"]
    assert api.error("webdomain.delete", auth=bob, elid="eve.example.test")["$type"] == "missed"
    assert api.elems("webdomain")[0]["owner"]["$"] == "bob"
    # su is for admins only
    assert api.error("webdomain", auth=bob, su="eve")["$type"] == "access"
    # his own password change, then the old one stops working
    api.ok("usrparam", auth=bob, sok="ok", passwd="bob-new-pw", confirm="bob-new-pw")
    assert api.error("whoami", auth=bob)["$type"] == "auth"
    assert api("whoami", auth={"authinfo": "bob:bob-new-pw"})["doc"]["user"]["$name"] == "bob"


def test_su_acts_as_user(api: Api) -> None:
    make_user(api)
    make_user(api, "eve", "eve-pw-123")
    api.ok("site.edit", sok="ok", su="bob", name="bob.example.test")
    api.ok("site.edit", sok="ok", name="eve.example.test", owner="eve")
    assert [e["name"]["$"] for e in api.elems("webdomain", su="bob")] == ["bob.example.test"]
    assert api("whoami", su="bob")["doc"]["user"]["$name"] == "bob"
    assert api.error("user", su="bob")["$type"] == "access"
    assert api.error("whoami", su="ghost")["$type"] == "missed"
    api.ok("usrparam", su="bob", sok="ok", passwd="changed-pw")
    assert api("whoami", auth={"authinfo": "bob:changed-pw"})["doc"]["user"]["$name"] == "bob"


def test_suspended_user_cannot_log_in_and_sessions_end(api: Api) -> None:
    make_user(api)
    bob = {"authinfo": "bob:bob-pw-123"}
    sid = api("auth", auth={}, username="bob", password="bob-pw-123")["doc"]["auth"]["$id"]
    api.ok("user.suspend", elid="bob")
    assert api.error("whoami", auth=bob)["$type"] == "auth"
    assert api.error("auth", auth={}, username="bob", password="bob-pw-123")["$type"] == "auth"
    assert api.error("whoami", auth={"auth": sid})["$type"] == "access"
    api.ok("user.resume", elid="bob")
    assert api("whoami", auth=bob)["doc"]["user"]["$name"] == "bob"


def test_sso_key_is_one_time_and_shows_user_in_browser(emu: EmulatorServer, api: Api) -> None:
    make_user(api)
    key = "a1b2c3d4e5f6a7b8c9d0"
    api.ok("session.newkey", username="bob", key=key)
    with httpx.Client(base_url=emu.base_url) as browser:
        page = browser.get("/ispmgr", params={"func": "auth", "username": "bob", "key": key, "checkcookie": "no"})
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
        assert '<strong id="username">bob</strong>' in page.text
        # the cookie set by the login keeps the browser logged in
        again = browser.get("/ispmgr")
        assert '<strong id="username">bob</strong>' in again.text
        assert browser.get("/ispmgr", params={"func": "whoami", "out": "json"}).json()["doc"]["user"]["$name"] == "bob"
    with httpx.Client(base_url=emu.base_url) as other:
        second = other.get("/ispmgr", params={"func": "auth", "username": "bob", "key": key})
        assert 'id="error"' in second.text and "username" not in second.text.split("<body>")[1].split("id=")[0]
        assert '<form method="post" id="login">' in other.get("/ispmgr").text
    # WHMCS style: auto-submitted POST form, and an API client asking for XML
    api.ok("session.newkey", username="bob", key=key + "x")
    posted = httpx.post(emu.url, data={"func": "auth", "username": "bob", "key": key + "x", "checkcookie": "no"})
    assert '<strong id="username">bob</strong>' in posted.text
    api.ok("session.newkey", username="bob", key=key + "y")
    doc = api("auth", auth={}, username="bob", key=key + "y")["doc"]
    sid = doc["auth"]["$id"]
    assert api("whoami", auth={"auth": sid})["doc"]["user"]["$name"] == "bob"
    assert api.error("auth", auth={}, username="bob", key=key + "y")["$type"] == "auth"


def test_sso_key_rules(emu: EmulatorServer, api: Api) -> None:
    make_user(api)
    assert api.error("session.newkey", username="bob", key="short")["$type"] == "value"
    assert api.error("session.newkey", username="ghost", key="k" * 20)["$type"] == "missed"
    assert (
        api.error("session.newkey", auth={"authinfo": "bob:bob-pw-123"}, username="bob", key="k" * 20)["$type"]
        == "access"
    )
    api.ok("session.newkey", username="bob", key="k" * 20)
    # wrong user for the key
    assert api.error("auth", auth={}, username="root", key="k" * 20)["$type"] == "auth"
    api.ok("session.newkey", username="bob", key="e" * 20)
    emu.advance_time(3601)
    assert api.error("auth", auth={}, username="bob", key="e" * 20)["$type"] == "auth"
    # admins can take keys for themselves (admin SSO)
    api.ok("session.newkey", username="root", key="r" * 20)
    assert api("auth", auth={}, username="root", key="r" * 20)["doc"]["auth"]["$level"] == "29"


def test_several_admins(emu: EmulatorServer) -> None:
    with EmulatorServer(port=0, admin=["root:one", "ops:two"]) as srv:
        assert srv.call("whoami", auth=None)["doc"]["user"]["$name"] == "root"
        resp = httpx.post(srv.url, data={"func": "whoami", "out": "json", "authinfo": "ops:two"})
        assert resp.json()["doc"]["user"]["$name"] == "ops"
    assert AUTHINFO  # the default fixture admin is unaffected
