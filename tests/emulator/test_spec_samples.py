"""Our sjson compared field by field with the real responses quoted by the spec."""

from __future__ import annotations

import json
import re
from typing import Any

from ispmanager_emulator import EmulatorServer

from . import samples
from .helpers import Api

ATTRS_CONSTANT = (
    "$lang",
    "$binary",
    "$themename",
    "$notify",
    "$theme",
    "$css",
    "$logo",
    "$favicon",
)


def assert_same_doc_attrs(ours: dict[str, Any], real: dict[str, Any], func: str) -> None:
    for key in ATTRS_CONSTANT:
        assert ours[key] == real[key], key
    assert ours["$func"] == func
    assert re.fullmatch(r"https?://[^/]+:\d+", ours["$host"])
    assert re.fullmatch(r"https?://[^/:]+", ours["$logolink"])
    assert re.fullmatch(r"[0-9a-f]{32}", ours["$features"])
    assert re.fullmatch(r"local_[0-9a-f]+/", ours["$localdir"])


def test_bad_password_error_matches_sample(api: Api) -> None:
    real = json.loads(samples.ERROR_BADPASSWORD)
    ours = api("user", auth={"authinfo": "root:wrong"})
    # the error doc is bare: no attributes, no tparams
    assert list(ours) == ["doc"] and list(ours["doc"]) == ["error"]
    r_err, o_err = real["doc"]["error"], ours["doc"]["error"]
    assert list(o_err) == list(r_err)  # same fields in the same order
    for key in ("$type", "$object", "$lang", "detail", "msg"):
        assert o_err[key] == r_err[key], key
    assert len(o_err["param"]) == len(r_err["param"]) == 2
    assert o_err["param"][0] == r_err["param"][0]
    assert list(o_err["param"][1]) == list(r_err["param"][1])
    assert o_err["param"][1]["$name"] == "value"
    assert o_err["param"][1]["$"] == "remote_addr: [127.0.0.1]"


def test_wrong_session_key_newkey_error_also_badpassword(api: Api) -> None:
    real = json.loads(samples.ERROR_BADPASSWORD)
    ours = api("session.newkey", auth={"authinfo": "nobody:x"}, username="u", key="k" * 20)
    assert ours["doc"]["error"]["$type"] == real["doc"]["error"]["$type"]
    assert ours["doc"]["error"]["$object"] == real["doc"]["error"]["$object"]


def test_group_operations_match_sample(api: Api) -> None:
    real = json.loads(samples.USER_SUSPEND_OK)["doc"]
    api.ok("user.edit", sok="ok", name="user0", passwd="pw-123456")
    for func in ("user.suspend", "user.resume", "user.delete"):
        ours = api(func, elid="user0")["doc"]
        assert list(ours) == list(real), func  # same keys, same order
        assert_same_doc_attrs(ours, real, func)
        assert ours["ok"] == {} and ours["saved_filters"] == {}
        expected_tparams = dict(real["tparams"], func={"$": func})
        assert ours["tparams"] == expected_tparams  # authinfo is not echoed


def test_session_newkey_matches_sample(api: Api) -> None:
    real = json.loads(samples.SESSION_NEWKEY_OK)["doc"]
    api.ok("user.edit", sok="ok", name="user0", passwd="pw-123456")
    ours = api("session.newkey", key="23d5a822f913171ee6e7ba691edf33e9", username="user0")["doc"]
    assert [k for k in ours if k.startswith("$")] == [k for k in real if k.startswith("$")]
    assert_same_doc_attrs(ours, real, "session.newkey")
    assert ours["ok"] == {}
    for key, value in real["tparams"].items():
        assert ours["tparams"][key] == value


def test_webdomain_list_matches_sample(emu: EmulatorServer, api: Api) -> None:
    real_elem = json.loads(samples.WEBDOMAIN_ELEM)
    api.ok("user.edit", sok="ok", name="user0", passwd="pw-123456")
    api.ok("ipaddr.edit", sok="ok", name="192.168.0.1", owner="user0", iprole="assigned")
    api.ok(
        "site.edit",
        sok="ok",
        name="testsite.ru",
        owner="user0",
        ipaddrs="192.168.0.1",
        php="on",
        php_mode="php_mode_fcgi_nginxfpm",
        php_version="isp-php82",
        secure="on",
    )
    doc = api("webdomain")["doc"]
    assert set(doc) <= set(samples.WEBDOMAIN_DOC_KEYS)
    assert [k for k in doc if not k.startswith("$")] == sorted(k for k in doc if not k.startswith("$"))
    assert doc["tparams"] == samples.WEBDOMAIN_TPARAMS
    assert doc["metadata"]["$type"] == "list" and doc["metadata"]["$key"] == "name"
    (elem,) = doc["elem"]
    assert list(elem) == list(real_elem)  # same fields, same (sorted) order
    for field, real_value in real_elem.items():
        ours = elem[field]
        assert set(ours) == set(real_value), field  # same shape: {"$"}, {"$orig","$"} or {}
        if "$orig" in real_value:
            assert ours["$orig"] == real_value["$orig"]
        if "$" in real_value:
            assert re.sub(r"\s", "", ours["$"]) == real_value["$"], field


def test_json_and_sjson_hold_the_same_data(api: Api) -> None:
    api.ok("user.edit", sok="ok", name="user0", passwd="pw-123456", limit_db="3")
    j = api("user", out="json")["doc"]
    s = api("user", out="sjson")["doc"]
    assert j["elem"] == s["elem"]
    # json keeps document order, sjson sorts child names
    assert list(s["elem"][0]) == sorted(s["elem"][0])
    assert list(j["elem"][0])[:3] == ["name", "fullname", "owner"]
