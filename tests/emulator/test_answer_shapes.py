"""Answers shaped as a real panel gives them (form reads, commits, db servers, mailbox sizes,
tparams, sjson key order, template levels, the user's language)."""

from __future__ import annotations

import json

import pytest

from . import samples
from .helpers import Api, flat, val


def make_user(api: Api, **extra: str) -> None:
    api.ok("user.edit", sok="ok", name="bob", passwd="pw-123456", **extra)


@pytest.mark.parametrize(
    "func,params",
    [
        ("user.edit", {}),
        ("preset.edit", {}),
        ("webdomain.edit", {}),
        ("site.edit", {}),
        ("domain.edit", {}),
        ("emaildomain.edit", {}),
        ("email.edit", {}),
        ("db.edit", {}),
        ("ftp.user.edit", {}),
        ("ipaddr.edit", {}),
    ],
)
def test_reading_the_form_of_a_missing_element_answers_the_empty_form(api: Api, func: str, params: dict) -> None:
    doc = api(func, elid="ghost.example.test", **params)["doc"]
    assert "error" not in doc, doc.get("error")
    assert val(doc["elid"]) == "ghost.example.test"
    # the same form as without elid, with elid first
    blank = api(func, **params)["doc"]
    children = [k for k in doc if not k.startswith("$") and k not in ("tparams", "saved_filters")]
    assert children[0] == "elid" or "elid" in children
    assert set(children) - {"elid"} == {k for k in blank if not k.startswith("$")} - {"tparams", "saved_filters"}


def test_committing_a_missing_element_is_still_an_error(api: Api) -> None:
    assert api.error("email.edit", sok="ok", elid="ghost@nowhere.test", note="x")["$type"] == "missed"


def test_commits_answer_ok_id_and_msg_ok(api: Api) -> None:
    doc = api.ok("user.edit", sok="ok", name="bob", passwd="pw-123456")
    assert val(doc["id"]) == "bob"
    assert doc["messages"] == {"msg": {"$name": "msg_ok", "$": "Changes saved successfully"}}
    doc = api.ok("user.edit", sok="ok", elid="bob", fullname="Bob")
    assert val(doc["id"]) == "bob" and doc["messages"]["msg"]["$name"] == "msg_ok"
    doc = api.ok("site.edit", sok="ok", su="bob", site_name="bob.test")
    assert val(doc["id"]) == "bob.test" and "messages" in doc
    ru = api.ok("emaildomain.edit", sok="ok", name="bob.test", owner="bob", lang="ru")
    assert ru["messages"]["msg"]["$"] == "Изменения успешно сохранены"
    # group operations answer ok alone (as the real sample)
    doc = api.ok("user.suspend", elid="bob")
    assert "messages" not in doc and "id" not in doc
    xml = api("user.edit", out="xml", sok="ok", elid="bob", comment="c")
    assert '<messages><msg name="msg_ok">Changes saved successfully</msg></messages>' in xml
    assert "<id>bob</id>" in xml


def test_database_servers_are_named_by_the_admin(api: Api) -> None:
    make_user(api)
    assert [val(s["name"]) for s in api.elems("db.server")] == ["MySQL", "PostgreSQL"]
    api.ok("db.server.edit", sok="ok", name="MariaDB 10.11", type="mysql", host="10.0.0.5:3306")
    servers = {val(s["name"]): flat(s) for s in api.elems("db.server")}
    assert servers["MariaDB 10.11"]["type"] == "mysql" and servers["MariaDB 10.11"]["host"] == "10.0.0.5:3306"
    doc = api.ok("db.edit", sok="ok", name="shop", owner="bob", server="MariaDB 10.11")
    assert val(doc["id"]) == "shop->MariaDB 10.11"
    (db,) = api.elems("db")
    assert (val(db["server"]), val(db["type"])) == ("MariaDB 10.11", "mysql")
    assert api.error("db.edit", sok="ok", name="x", owner="bob", server="Oracle")["$object"] == "server"
    # a server holding databases cannot go; an unused one can
    assert api.error("db.server.delete", elid="MariaDB 10.11")["$type"] == "value"
    api.ok("db.server.delete", elid="PostgreSQL")
    assert [val(s["name"]) for s in api.elems("db.server")] == ["MySQL", "MariaDB 10.11"]
    for bad in ({"name": "x", "type": "oracle"}, {"name": "<script>"}, {"name": "MySQL"}):
        assert "error" in api("db.server.edit", sok="ok", **bad)["doc"]
    bob = {"authinfo": "bob:pw-123456"}
    assert api.error("db.server.edit", auth=bob, sok="ok", name="mine")["$type"] == "access"


def test_mailbox_maxsize_zero_is_unlimited(api: Api) -> None:
    make_user(api)
    api.ok("emaildomain.edit", sok="ok", name="bob.test", owner="bob")
    api.ok("email.edit", sok="ok", name="info", domainname="bob.test", passwd="Mail-pw-1", maxsize="0")
    api.ok("email.edit", sok="ok", name="sales", domainname="bob.test", passwd="Mail-pw-1")
    sizes = {val(e["name"]): val(e["size_total"]) for e in api.elems("email")}
    assert sizes == {"info@bob.test": "0", "sales@bob.test": "0"}
    # a user with a mailbox size limit cannot have unlimited mailboxes
    api.ok("user.edit", sok="ok", elid="bob", limit_email_quota="500")
    err = api.error("email.edit", sok="ok", elid="info@bob.test", maxsize="0")
    assert (err["$type"], err["$object"]) == ("limit", "limit_email_quota")
    api.ok("email.edit", sok="ok", elid="info@bob.test", maxsize="200")


def test_tparams_echo_what_the_real_panel_echoes(api: Api) -> None:
    make_user(api)
    doc = api.ok("session.newkey", username="bob", key="k" * 20)
    assert doc["tparams"] == {"func": {"$": "session.newkey"}, "key": {"$": "k" * 20}, "out": {"$": "sjson"}}
    doc = api.ok("user.edit", sok="ok", elid="bob", passwd="New-pw-123", confirm="New-pw-123")
    assert set(doc["tparams"]) == {"elid", "func", "out", "sok"}


def test_sjson_document_keys_are_in_the_real_order(api: Api) -> None:
    make_user(api)
    api.ok("site.edit", sok="ok", su="bob", site_name="bob.test")
    doc = api("webdomain")["doc"]
    order = [k for k in samples.WEBDOMAIN_DOC_KEYS if k in doc]
    assert list(doc) == order
    real = json.loads(samples.USER_SUSPEND_OK)["doc"]
    assert list(api.ok("user.suspend", elid="bob")) == list(real)


def test_presets_carry_a_level(api: Api) -> None:
    api.ok("preset.edit", sok="ok", name="hosting", limit_db="3")
    api.ok("preset.edit", sok="ok", name="resell", level="24", limit_users="10")
    api.ok("preset.edit", sok="ok", name="staff", level="29")
    levels = {val(p["name"]): val(p["level"]) for p in api.elems("preset")}
    assert levels == {"hosting": "16", "resell": "24", "staff": "29"}
    assert val(api("preset.edit", elid="resell")["doc"]["level"]) == "24"
    for bad in ("7", "admin", "", " 16"):
        if bad.strip() in ("", "16"):
            continue
        err = api.error("preset.edit", sok="ok", elid="hosting", level=bad)
        assert (err["$type"], err["$object"]) == ("value", "level")


def test_user_edit_accepts_lang(api: Api) -> None:
    make_user(api, lang="ru")
    assert val(api("user.edit", elid="bob")["doc"]["lang"]) == "ru"
    api.ok("user.edit", sok="ok", elid="bob", lang="en")
    assert val(api("usrparam", su="bob")["doc"]["lang"]) == "en"
    assert api.error("user.edit", sok="ok", elid="bob", lang="../etc")["$object"] == "lang"


def test_data_only_formats_keep_the_id_and_drop_the_message(api: Api) -> None:
    assert api("user.edit", out="JSONdata", sok="ok", name="bob", passwd="pw-123456") == {"ok": "", "id": "bob"}
    assert api("user.edit", out="text", sok="ok", elid="bob", comment="x") == "OK\nid=bob\n"
