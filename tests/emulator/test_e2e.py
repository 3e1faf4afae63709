"""A whole hosting account life, driven only over HTTP as a billing module would do it."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import httpx

from ispmanager_emulator import EmulatorServer

from .helpers import AUTHINFO


class Panel:
    """A minimal billing-side client: POST form, authinfo, out=sjson unless told otherwise."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.http = httpx.Client(timeout=10, verify=False)

    def raw(self, func: str, out: str = "sjson", **params: str) -> str:
        resp = self.http.post(self.url, data={"func": func, "out": out, "authinfo": AUTHINFO, **params})
        assert resp.status_code == 200
        return resp.text

    def call(self, func: str, **params: str) -> dict:
        doc = json.loads(self.raw(func, **params))["doc"]
        if "error" in doc:
            raise RuntimeError(f"{doc['error']['$type']}:{doc['error']['msg']['$']}")
        return doc

    def elems(self, func: str, **params: str) -> list[dict]:
        return [{k: v.get("$", "") for k, v in e.items()} for e in self.call(func, **params).get("elem", [])]

    def error(self, func: str, **params: str) -> dict:
        doc = json.loads(self.raw(func, **params))["doc"]
        assert "error" in doc, doc
        return doc["error"]


def test_account_life(emu: EmulatorServer) -> None:
    panel = Panel(emu.url)
    # connection test (BLESTA: `user` list; FOSS: whoami)
    assert panel.call("whoami")["user"]["$name"] == "root"
    assert panel.elems("user") == []

    # the hosting plan as a preset, read back the way WHMCS reads templates
    limits = {
        "limit_quota": "1024",
        "limit_webdomains": "2",
        "limit_emaildomains": "2",
        "limit_emails": "2",
        "limit_db": "2",
        "limit_db_users": "2",
        "limit_ftp_users": "2",
        "limit_domains": "2",
        "limit_traff": "10240",
        "backup": "on",
    }
    panel.call("preset.edit", sok="ok", name="basic", **limits)
    assert [p["name"] for p in panel.elems("preset")] == ["basic"]
    template = panel.call("preset.edit", elid="basic")
    assert {k: template[k]["$"] for k in limits} == limits

    # create the account with the preset (WHMCS-style user.add.finish)
    assert not [u for u in panel.elems("user") if u["name"] == "acme"]
    panel.call(
        "user.add.finish",
        sok="ok",
        name="acme",
        passwd="Acme-pass-1",
        fullname="ACME Ltd",
        email="ops@acme.test",
        preset="basic",
        webdomain_name="acme.test",
        emaildomain_name="acme.test",
        ipsrc="auto",
        iptype="ipv4",
    )

    # read it back in each format
    (user,) = [u for u in panel.elems("user") if u["name"] == "acme"]
    assert (user["active"], user["level"], user["preset"], user["limit_db"]) == (
        "on",
        "16",
        "basic",
        "2",
    )
    xml_user = ET.fromstring(panel.raw("user", out="xml")).find("elem[name='acme']")
    assert xml_user is not None and xml_user.findtext("limit_quota") == "1024"
    json_user = json.loads(panel.raw("user", out="json"))["doc"]["elem"][0]
    assert json_user["fullname"] == {"$": "ACME Ltd"}
    (flat_user,) = json.loads(panel.raw("user", out="JSONdata"))
    assert flat_user["quota_total"] == "1024"
    assert "name=acme " in panel.raw("user", out="text")
    assert panel.call("user.edit", elid="acme")["email"]["$"] == "ops@acme.test"
    ips = panel.elems("ipaddr", su="acme")
    dedicated = [ip["name"] for ip in ips if ip["iprole"] == "assigned"]
    assert len(dedicated) == 1

    # the first site and mail domain came with the account; add a second site up to the limit
    sites = panel.elems("webdomain", su="acme")
    assert [(s["name"], s["ipaddr"]) for s in sites] == [("acme.test", dedicated[0])]
    panel.call(
        "site.edit",
        sok="ok",
        su="acme",
        site_name="shop.acme.test",
        site_php_mode="php_mode_fcgi_nginxfpm",
        site_ssl_cert="letsencrypt",
        site_secure="on",
    )
    err = panel.error("site.edit", sok="ok", su="acme", site_name="third.acme.test")
    assert (err["$type"], err["$object"]) == ("limit", "limit_webdomains")

    # DNS zone
    panel.call("domain.edit", sok="ok", name="acme.test", owner="acme", ip=dedicated[0])
    records = panel.elems("domain.record", elid="acme.test")
    assert f"www.acme.test. A  {dedicated[0]}" in [r["rkey"] for r in records]

    # mailboxes up to the limit
    for box in ("info", "sales"):
        panel.call(
            "email.edit",
            sok="ok",
            name=box,
            domainname="acme.test",
            passwd="Mail-pass-1",
            confirm="Mail-pass-1",
        )
    assert (
        panel.error("email.edit", sok="ok", name="third", domainname="acme.test", passwd="Mail-pass-1")["$object"]
        == "limit_emails"
    )

    # databases up to the limit (each with its own user)
    for n in (1, 2):
        panel.call(
            "db.edit",
            sok="ok",
            name=f"acme_db{n}",
            owner="acme",
            username=f"acme_u{n}",
            password="Db-pass-1",
            confirm="Db-pass-1",
            server="MySQL",
        )
    assert panel.error("db.edit", sok="ok", name="acme_db3", owner="acme")["$object"] == "limit_db"

    # FTP users up to the limit
    for n in (1, 2):
        panel.call(
            "ftp.user.edit",
            sok="ok",
            name=f"acme_ftp{n}",
            owner="acme",
            passwd="Ftp-pass-1",
            home="/",
        )
    assert (
        panel.error("ftp.user.edit", sok="ok", name="acme_ftp3", owner="acme", passwd="Ftp-pass-1")["$object"]
        == "limit_ftp_users"
    )

    # usage reported back for the daily sync
    panel.call("emulator.usage.set", elid="acme", quota_used="300")
    panel.call("emulator.usage.set", db="acme_db1", db_size="25")
    assert [u["quota_used"] for u in panel.elems("user")] == ["300"]
    stats = {
        row["name"]: row
        for row in [
            {k: v.get("$orig", v.get("$", "")) for k, v in e.items()} for e in panel.call("userstat", su="acme")["elem"]
        ]
    }
    assert stats["limit_db"]["usages_used"] == "2" and stats["limit_dbsize"]["usages_used"] == "25"

    # client area single sign-on
    key = "0f" * 16
    panel.call("session.newkey", username="acme", key=key)
    page = httpx.get(emu.url, params={"func": "auth", "username": "acme", "key": key, "checkcookie": "no"})
    assert '<strong id="username">acme</strong>' in page.text

    # suspend: cannot log in, sites show suspended
    panel.call("user.suspend", elid="acme")
    assert [u["active"] for u in panel.elems("user")] == ["off"]
    assert {s["active"] for s in panel.elems("webdomain")} == {"off"}
    login = httpx.post(emu.url, data={"func": "whoami", "out": "sjson", "authinfo": "acme:Acme-pass-1"}).json()
    assert login["doc"]["error"]["$type"] == "auth"

    # resume
    panel.call("user.resume", elid="acme")
    assert {s["active"] for s in panel.elems("webdomain")} == {"on"}
    login = httpx.post(emu.url, data={"func": "whoami", "out": "sjson", "authinfo": "acme:Acme-pass-1"}).json()
    assert login["doc"]["user"]["$name"] == "acme"

    # change the plan: downgrade below usage is refused, upgrade works and reapplies limits
    panel.call("preset.edit", sok="ok", name="tiny", limit_db="1", limit_webdomains="1")
    panel.call("preset.edit", sok="ok", name="pro", **{**limits, "limit_db": "10", "limit_quota": "4096"})
    err = panel.error("user.edit", sok="ok", elid="acme", preset="tiny")
    assert err["$type"] == "limit"
    panel.call("user.edit", sok="ok", elid="acme", preset="pro")
    (user,) = panel.elems("user")
    assert (user["preset"], user["limit_db"], user["quota_total"]) == ("pro", "10", "4096")
    panel.call("db.edit", sok="ok", name="acme_db3", owner="acme")

    # password change (BLESTA / FOSS style)
    panel.call("user.edit", sok="ok", elid="acme", passwd="New-pass-2", confirm="New-pass-2")
    login = httpx.post(emu.url, data={"func": "whoami", "out": "sjson", "authinfo": "acme:New-pass-2"}).json()
    assert login["doc"]["user"]["$name"] == "acme"

    # terminate: everything owned goes
    panel.call("user.delete", elid="acme")
    assert panel.elems("user") == []
    for func in ("webdomain", "emaildomain", "email", "db", "ftp.user", "domain"):
        assert panel.elems(func) == [], func
    assert [ip["name"] for ip in panel.elems("ipaddr")] == ["192.0.2.1"]
    assert panel.error("user.delete", elid="acme")["$type"] == "missed"
