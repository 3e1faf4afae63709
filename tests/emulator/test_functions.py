"""Every supported function in every output format."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from typing import Any

import pytest

from ispmanager_emulator import EmulatorServer, supported_functions

from .helpers import AUTHINFO, FORMATS, Api

# (func, expected kind, params); "{n}" is replaced by a per-format number so that
# create steps can run once per format. Steps run in order.
STEPS: list[tuple[str, str, dict[str, str]]] = [
    ("whoami", "data", {}),
    ("license.info", "form", {}),
    ("sysinfo", "list", {}),
    ("srvparam", "form", {}),
    ("srvparam", "ok", {"sok": "ok", "hostname": "panel{n}.example.test"}),
    ("dnsparam", "form", {}),
    ("dnsparam", "ok", {"sok": "ok", "ns": "ns1.example.test. ns2.example.test.", "ttl": "600"}),
    ("preset", "list", {}),
    ("preset.edit", "form", {}),
    (
        "preset.edit",
        "ok",
        {
            "sok": "ok",
            "name": "plan{n}",
            "limit_db": "5",
            "limit_webdomains": "5",
            "limit_emails": "5",
            "limit_emaildomains": "5",
            "limit_ftp_users": "5",
            "limit_domains": "5",
            "limit_db_users": "5",
        },
    ),
    ("preset.edit", "form", {"elid": "plan{n}"}),
    ("preset.edit", "ok", {"sok": "ok", "elid": "plan{n}", "limit_quota": "2048"}),
    ("user.edit", "form", {}),
    (
        "user.edit",
        "ok",
        {
            "sok": "ok",
            "name": "cust{n}",
            "passwd": "pw-{n}-secret",
            "confirm": "pw-{n}-secret",
            "preset": "plan{n}",
            "fullname": "Customer {n}",
            "email": "c{n}@example.test",
        },
    ),
    ("user.edit", "form", {"elid": "cust{n}"}),
    ("user.edit", "ok", {"sok": "ok", "elid": "cust{n}", "fullname": "Renamed {n}"}),
    ("user.add", "form", {}),
    (
        "user.add",
        "ok",
        {
            "sok": "ok",
            "name": "add{n}",
            "passwd": "pw-{n}-secret",
            "preset": "plan{n}",
            "webdomain_name": "add{n}.example.test",
            "emaildomain_name": "add{n}.example.test",
        },
    ),
    (
        "user.add.finish",
        "ok",
        {
            "sok": "ok",
            "name": "fin{n}",
            "passwd": "pw-{n}-secret",
            "preset": "plan{n}",
            "ftp_user_name": "fin{n}",
            "ipsrc": "auto",
            "iptype": "ipv4",
        },
    ),
    ("user", "list", {}),
    ("usrparam", "form", {"su": "cust{n}"}),
    (
        "usrparam",
        "ok",
        {"su": "cust{n}", "sok": "ok", "passwd": "new-pw-{n}", "confirm": "new-pw-{n}"},
    ),
    ("userstat", "list", {"su": "cust{n}"}),
    ("session.newkey", "ok", {"username": "cust{n}", "key": "0123456789abcdef{n}"}),
    ("ipaddr", "list", {}),
    ("ipaddrlist", "list", {"su": "cust{n}"}),
    ("ipaddr.edit", "form", {}),
    (
        "ipaddr.edit",
        "ok",
        {"sok": "ok", "iptype": "ipv4", "iprole": "assigned", "owner": "cust{n}"},
    ),
    ("webdomain.edit", "form", {}),
    (
        "site.edit",
        "ok",
        {
            "sok": "ok",
            "name": "site{n}.example.test",
            "owner": "cust{n}",
            "email": "admin@site{n}.example.test",
        },
    ),
    ("webdomain.edit", "form", {"elid": "site{n}.example.test"}),
    ("webdomain.edit", "ok", {"sok": "ok", "elid": "site{n}.example.test", "secure": "on"}),
    ("site.edit", "form", {}),
    (
        "site.edit",
        "ok",
        {
            "sok": "ok",
            "su": "cust{n}",
            "site_name": "v6site{n}.example.test",
            "site_php_mode": "php_mode_fcgi_nginxfpm",
            "site_ssl_cert": "letsencrypt",
        },
    ),
    ("site.edit", "form", {"elid": "v6site{n}.example.test"}),
    ("webdomain", "list", {}),
    ("webdomain.suspend", "ok", {"elid": "site{n}.example.test, v6site{n}.example.test"}),
    ("webdomain.resume", "ok", {"elid": "site{n}.example.test, v6site{n}.example.test"}),
    ("domain.edit", "form", {}),
    (
        "domain.edit",
        "ok",
        {"sok": "ok", "name": "zone{n}.example.test", "owner": "cust{n}", "ip": "192.0.2.1"},
    ),
    ("domain.edit", "form", {"elid": "zone{n}.example.test"}),
    ("domain", "list", {}),
    ("domain.record", "list", {"elid": "zone{n}.example.test"}),
    ("domain.record.edit", "form", {"plid": "zone{n}.example.test"}),
    (
        "domain.record.edit",
        "ok",
        {
            "sok": "ok",
            "plid": "zone{n}.example.test",
            "name": "api",
            "rtype": "a",
            "ip": "192.0.2.77",
        },
    ),
    (
        "domain.record.edit",
        "ok",
        {
            "sok": "ok",
            "plid": "zone{n}.example.test",
            "name": "@",
            "rtype": "txt",
            "value": "v=spf1 -all",
        },
    ),
    (
        "domain.record.delete",
        "ok",
        {"plid": "zone{n}.example.test", "elid": "api.zone{n}.example.test. A  192.0.2.77"},
    ),
    ("emaildomain.edit", "form", {}),
    (
        "emaildomain.edit",
        "ok",
        {"sok": "ok", "name": "mail{n}.example.test", "owner": "cust{n}", "dkim": "on"},
    ),
    ("emaildomain.edit", "form", {"elid": "mail{n}.example.test"}),
    ("emaildomain", "list", {}),
    ("emaildomain.suspend", "ok", {"elid": "mail{n}.example.test"}),
    ("emaildomain.resume", "ok", {"elid": "mail{n}.example.test"}),
    ("email.edit", "form", {}),
    (
        "email.edit",
        "ok",
        {
            "sok": "ok",
            "name": "info",
            "domainname": "mail{n}.example.test",
            "passwd": "box-pw-{n}",
            "confirm": "box-pw-{n}",
            "maxsize": "100",
        },
    ),
    ("email.edit", "form", {"elid": "info@mail{n}.example.test"}),
    ("email.edit", "ok", {"sok": "ok", "elid": "info@mail{n}.example.test", "note": "changed"}),
    ("email", "list", {}),
    ("email.suspend", "ok", {"elid": "info@mail{n}.example.test"}),
    ("email.resume", "ok", {"elid": "info@mail{n}.example.test"}),
    ("db.server", "list", {}),
    ("db.server.edit", "form", {}),
    ("db.server.edit", "ok", {"sok": "ok", "name": "mysql-8-{n}", "type": "mysql", "host": "db{n}.local:3306"}),
    ("db.server.edit", "form", {"elid": "mysql-8-{n}"}),
    ("db.server.delete", "ok", {"elid": "mysql-8-{n}"}),
    ("db.edit", "form", {}),
    (
        "db.edit",
        "ok",
        {
            "sok": "ok",
            "name": "shop{n}",
            "owner": "cust{n}",
            "username": "shopuser{n}",
            "password": "db-pw-{n}",
            "confirm": "db-pw-{n}",
            "server": "MySQL",
        },
    ),
    ("db.edit", "form", {"elid": "shop{n}->MySQL"}),
    ("db", "list", {}),
    ("db.users", "list", {"elid": "shop{n}->MySQL"}),
    ("db.users.edit", "form", {"plid": "shop{n}->MySQL"}),
    (
        "db.users.edit",
        "ok",
        {"sok": "ok", "plid": "shop{n}->MySQL", "name": "reader{n}", "password": "r-pw-{n}"},
    ),
    (
        "db.users.edit",
        "ok",
        {"sok": "ok", "plid": "shop{n}->MySQL", "elid": "reader{n}", "read_only": "on"},
    ),
    ("db.users.delete", "ok", {"plid": "shop{n}->MySQL", "elid": "reader{n}"}),
    ("ftp.user.edit", "form", {}),
    (
        "ftp.user.edit",
        "ok",
        {"sok": "ok", "name": "ftp{n}", "owner": "cust{n}", "passwd": "ftp-pw-{n}", "home": "/www"},
    ),
    ("ftp.user.edit", "form", {"elid": "ftp{n}"}),
    ("ftp.user", "list", {}),
    ("ftp.user.suspend", "ok", {"elid": "ftp{n}"}),
    ("ftp.user.resume", "ok", {"elid": "ftp{n}"}),
    (
        "emulator.usage.set",
        "ok",
        {"elid": "cust{n}", "quota_used": "12", "db": "shop{n}", "db_size": "3"},
    ),
    ("emulator.faults.set", "ok", {"target": "nothing.real", "latency_ms": "0"}),
    ("emulator.faults", "list", {}),
    ("emulator.faults.clear", "ok", {}),
    ("emulator.time.advance", "ok", {"seconds": "1"}),
    ("user.suspend", "ok", {"elid": "cust{n}, add{n}"}),
    ("user.resume", "ok", {"elid": "cust{n}, add{n}"}),
    ("ftp.user.delete", "ok", {"elid": "ftp{n}"}),
    ("db.delete", "ok", {"elid": "shop{n}->MySQL"}),
    ("email.delete", "ok", {"elid": "info@mail{n}.example.test"}),
    ("emaildomain.delete", "ok", {"elid": "mail{n}.example.test"}),
    ("domain.delete", "ok", {"elid": "zone{n}.example.test"}),
    ("webdomain.delete", "ok", {"elid": "site{n}.example.test"}),
    ("ipaddr.free", "ok", {"elid": "192.0.2.{ip}"}),
    ("user.delete", "ok", {"elid": "add{n}, fin{n}"}),
    ("preset.delete", "ok", {"elid": "plan{n}"}),
]


def check(body: str, fmt: str, kind: str) -> Any:
    """Parse ``body`` in ``fmt`` and check it is a successful document of ``kind``."""
    if fmt == "xml":
        root = ET.fromstring(body)
        assert root.tag == "doc"
        assert root.find("error") is None, body[:500]
        if kind == "ok":
            assert root.find("ok") is not None
        if kind == "list":
            assert all(e.tag != "elem" or len(e) > 0 for e in root)
        if kind in ("form", "data", "list"):
            assert root.find("tparams") is not None
        return root
    if fmt in ("json", "sjson"):
        doc = json.loads(body)["doc"]
        assert "error" not in doc, doc.get("error")
        assert doc["$func"] and "tparams" in doc
        if kind == "ok":
            assert doc["ok"] == {}
        if kind == "list":
            assert isinstance(doc.get("elem", []), list)
        if fmt == "sjson":
            children = [k for k in doc if not k.startswith("$")]
            assert children == sorted(children)
        return doc
    if fmt == "JSONdata":
        data = json.loads(body)
        if kind == "list":
            assert isinstance(data, list)
            assert all(isinstance(v, str) for row in data for v in row.values())
        else:
            assert isinstance(data, dict) and "error" not in data, data
            if kind == "ok":
                assert data["ok"] == ""
        return data
    assert fmt == "text"
    assert not body.startswith("ERROR"), body
    if kind == "ok":
        assert body.splitlines()[0] == "OK"
    if kind == "list":
        for line in body.splitlines():
            assert line.startswith("name=") or "=" in line
    return body


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_function_in_format(emu: EmulatorServer, api: Api, fmt: str) -> None:
    n = FORMATS.index(fmt)
    seen: set[str] = set()
    for func, kind, template in STEPS:
        params = {k: v.replace("{n}", str(n)) for k, v in template.items()}
        if "{ip}" in params.get("elid", ""):
            ip = next(ip for ip, rec in emu.state.ipaddrs.items() if rec["owner"] == f"cust{n}")
            params["elid"] = ip
        resp = api.raw(func, out=fmt, **params)
        assert resp.status_code == 200
        try:
            check(resp.text, fmt, kind)
        except AssertionError as exc:
            raise AssertionError(f"{func} {params} in {fmt}: {exc}") from exc
        seen.add(func)
    # only the user's own objects were deleted: cust{n} is still there, the others are gone
    assert f"cust{n}" in emu.state.users and f"add{n}" not in emu.state.users
    assert not any(r["owner"] == f"add{n}" for r in emu.state.webdomains.values())
    # every panel function (aliases aside) is covered above
    aliases = {
        "user.disable",
        "user.enable",
        "site.delete",
        "domain.sublist",
        "domain.sublist.edit",
        "domain.sublist.delete",
        "ipaddrlist.edit",
        "ipaddrlist.free",
        "ipaddrlist.delete",
        "ipaddr.delete",
        "emulator.reset",
    }
    assert set(supported_functions(6)) - aliases - seen == set()


def test_list_element_shapes_per_format(api: Api) -> None:
    api.ok("user.edit", sok="ok", name="bob", passwd="pw-123456", limit_db="2", fullname="Bob & <Co>")
    root = ET.fromstring(api("user", out="xml"))
    (elem,) = root.findall("elem")
    assert elem.findtext("name") == "bob"
    assert elem.findtext("fullname") == "Bob & <Co>"
    assert elem.findtext("limit_db") == "2"
    assert elem.find("limit_quota") is not None and elem.findtext("limit_quota") == ""
    (row,) = api("user", out="JSONdata")
    assert row["name"] == "bob" and row["limit_db"] == "2" and row["fullname"] == "Bob & <Co>"
    text = api("user", out="text")
    assert text.startswith("name=bob fullname=Bob & <Co> owner=root active=on")
    for fmt in ("json", "sjson"):
        (e,) = api("user", out=fmt)["doc"]["elem"]
        assert e["name"] == {"$": "bob"} and e["limit_quota"] == {} and e["active"] == {"$": "on"}


def test_empty_list_has_no_elem(api: Api) -> None:
    assert "elem" not in api("ftp.user", out="sjson")["doc"]
    assert ET.fromstring(api("ftp.user", out="xml")).find("elem") is None
    assert api("ftp.user", out="JSONdata") == []
    assert api("ftp.user", out="text") == ""


def test_form_values_are_doc_children(api: Api) -> None:
    api.ok("preset.edit", sok="ok", name="gold", limit_quota="1024", limit_db="3", backup="on")
    root = ET.fromstring(api("preset.edit", out="xml", elid="gold"))
    assert root.findtext("elid") == "gold" and root.findtext("limit_quota") == "1024"
    doc = api("preset.edit", elid="gold")["doc"]
    assert doc["limit_db"] == {"$": "3"} and doc["backup"] == {"$": "on"}
    data = api("preset.edit", out="JSONdata", elid="gold")
    assert data["limit_quota"] == "1024"
    assert "limit_quota=1024" in api("preset.edit", out="text", elid="gold").splitlines()
    # user.edit form carries the preset option list
    api.ok("user.edit", sok="ok", name="bob", passwd="pw-123456", preset="gold")
    doc = api("user.edit", elid="bob")["doc"]
    (slist,) = doc["slist"]
    assert slist["$name"] == "preset"
    assert {"$key": "gold", "$": "gold"} in slist["msg"]


def test_errors_in_every_format(api: Api) -> None:
    api.ok("user.edit", sok="ok", name="bob", passwd="pw-123456")
    for fmt in FORMATS:
        resp = api.raw("user.edit", out=fmt, sok="ok", name="bob", passwd="pw-123456")
        assert resp.status_code == 200  # API errors never change the HTTP status
        body = resp.text
        if fmt == "xml":
            err = ET.fromstring(body).find("error")
            assert err is not None and err.get("type") == "exists" and err.get("object") == "user"
            params = {p.get("name"): p.text for p in err.findall("param")}
            assert params == {"object": "user", "value": "bob"}
            assert err.findtext("msg") and err.findtext("detail")
            assert err.findtext("group") == "__object__ with '__value__' already exists"
        elif fmt in ("json", "sjson"):
            err = json.loads(body)["doc"]["error"]
            assert err["$type"] == "exists" and err["$object"] == "user" and err["$lang"] == "en"
            assert err["msg"]["$"] == "User with 'bob' already exists"
            assert err["detail"]["$"] and err["group"]["$"]
            assert err["param"] == [
                {"$name": "object", "$type": "msg", "$": "user"},
                {"$name": "value", "$": "bob"},
            ]
        elif fmt == "JSONdata":
            err = json.loads(body)["error"]
            assert err["code"] == "exists" and err["object"] == "user" and err["msg"]
        else:
            assert body.startswith("ERROR exists(user): ")


def test_unknown_function_and_unknown_elid(api: Api) -> None:
    err = api.error("no.such.func")
    assert err["$type"] == "missed" and err["$object"] == "func"
    for func in (
        "user.edit",
        "user.delete",
        "user.suspend",
        "webdomain.delete",
        "email.edit",
        "db.delete",
    ):
        params = {"elid": "ghost"}
        if func.endswith(".edit"):
            params["sok"] = "ok"
        err = api.error(func, **params)
        assert err["$type"] == "missed", func


def test_secrets_are_not_echoed(api: Api) -> None:
    doc = api("user.edit", sok="ok", name="bob", passwd="pw-123456", confirm="pw-123456")["doc"]
    assert set(doc["tparams"]) == {"func", "name", "out", "sok"}
    body = api("user.edit", out="xml", sok="ok", name="bob2", passwd="pw-123456")
    assert "pw-123456" not in body and AUTHINFO not in body


def test_get_and_post_and_both_paths(http: Any, api: Api) -> None:
    for path in ("/ispmgr", "/manager/ispmgr", "/ispmgr/"):
        resp = http.get(path, params={"func": "whoami", "out": "json", "authinfo": AUTHINFO})
        assert resp.json()["doc"]["user"]["$name"] == "root"
        assert resp.json()["doc"]["$binary"] == path.rstrip("/")
        resp = http.post(path, data={"func": "whoami", "out": "json", "authinfo": AUTHINFO})
        assert resp.json()["doc"]["user"]["$name"] == "root"
    assert http.get("/other", params={"func": "whoami"}).status_code == 404


def test_multipart_form_post(http: Any) -> None:
    fields = {
        "func": "user.edit",
        "sok": "ok",
        "name": "bob",
        "passwd": "pw-123456",
        "out": "json",
        "authinfo": AUTHINFO,
    }
    resp = http.post("/ispmgr", files={k: (None, v) for k, v in fields.items()})
    assert resp.json()["doc"]["ok"] == {}


def test_default_format_is_xml(http: Any) -> None:
    resp = http.get("/ispmgr", params={"func": "whoami", "authinfo": AUTHINFO})
    assert resp.headers["content-type"].startswith("text/xml")
    assert ET.fromstring(resp.text).find("user").get("name") == "root"


def test_lang_ru_localises_labels(api: Api) -> None:
    api.ok("user.edit", sok="ok", name="bob", passwd="pw-123456")
    rows = api.elems("userstat", su="bob", lang="ru")
    assert rows[0]["name"]["$orig"] == "limit_quota"
    assert rows[0]["name"]["$"] == "Дисковая квота"
    assert api("whoami", lang="ru")["doc"]["$lang"] == "ru"
    err = api.error("user.edit", sok="ok", name="bob", passwd="x", lang="ru")
    assert "уже существует" in err["msg"]["$"]
