"""ispmanager 5 and 6: websites by `webdomain.edit` on 5 and `site.edit` on 6; the generation is read
from the connection, or asked of the panel once."""

from __future__ import annotations

import pytest

from moorage.modules.ispmanager.module import IspManagerModule
from moorage.modules.ispmanager.sites import generation_of
from moorage.provisioning.interface import AccountSpec, ModuleError
from tests.modules.ispmanager.conftest import FAKE, PagingPanel, connection

SPEC = AccountSpec(
    username="shop",
    password="Pw-123456789",
    options={"preset": "basic"},
    email="owner@example.com",
    domain="shop.example.com",
    marker="m1",
)


def test_the_site_is_made_the_generations_way(panel, spy, module):
    module.create(connection(panel), SPEC)
    site = panel.state.webdomains["shop.example.com"]
    assert site["owner"] == "shop"
    if panel.generation == "5":
        (call,) = spy.of("webdomain.edit")
        assert call["name"] == "shop.example.com" and call["owner"] == "shop"
        assert call["email"] == "owner@example.com" and call["aliases"] == "www.shop.example.com"
        assert "su" not in call and not spy.of("site.edit")
    else:
        (call,) = spy.of("site.edit")
        assert call["site_name"] == "shop.example.com" and call["su"] == "shop"
        assert not spy.of("webdomain.edit")


def test_a_wrong_stored_generation_fails_with_the_panels_words(panel, spy, module):
    # The panel was upgraded (or the generation set by hand) and Test Configuration not run again.
    wrong = "6" if panel.generation == "5" else "5"
    with pytest.raises(ModuleError) as caught:
        module.create(connection(panel, generation=wrong), SPEC)
    assert caught.value.panel_type == "missed" and caught.value.panel_object == "func"
    assert "shop.example.com" not in panel.state.webdomains


def test_the_product_ip_goes_with_the_v5_site():
    panel = PagingPanel({})
    sent_ip = []

    def answer(params):  # noqa: ANN001, ANN202
        if params["func"] == "preset.edit":
            return {"name": {"$": "basic"}, "limit_db": {"$": "2"}}
        if params["func"] == "webdomain.edit":
            sent_ip.append(params.get("ip"))
        return {"ok": {}} if params.get("sok") else None

    panel.answer = answer
    spec = AccountSpec(**{**SPEC.__dict__, "options": {"preset": "basic", "domain_ip": "203.0.113.7"}})
    IspManagerModule(transport=panel).create(FAKE.__class__(**{**FAKE.__dict__, "generation": "5"}), spec)
    assert sent_ip == ["203.0.113.7"]


def test_an_unknown_generation_is_asked_once(panel, spy, module):
    module.create(connection(panel, generation=""), SPEC)
    assert spy.funcs().count("license.info") == 1
    expected = "webdomain.edit" if panel.generation == "5" else "site.edit"
    assert spy.of(expected)


@pytest.mark.parametrize(
    ("info", "expected"),
    [
        ({"version": "6.100.0"}, "6"),
        ({"version": "5.312.2-2022.01.20_10:31"}, "5"),
        ({"panel_name": "ISPmanager 5 Lite"}, "5"),
        ({"panel_name": "ispmanager 6 Business"}, "6"),
        ({"version": "7.0", "panel_name": "something"}, ""),
        ({}, ""),
    ],
)
def test_generation_from_license_info(info, expected):
    assert generation_of(info) == expected


def test_without_a_version_the_panel_is_asked_whether_site_edit_exists():
    def v5(params):  # noqa: ANN001, ANN202
        if params["func"] == "license.info":
            return {"mgr": {"$": "ispmgr"}}
        if params["func"] == "site.edit":
            return {"error": {"$type": "missed", "$object": "func", "msg": {"$": "Function not found"}}}
        if params["func"] == "whoami":
            return {"user": {"$name": "root", "$level": "28"}}
        if params["func"] == "session.newkey":
            return {"error": {"$type": "missed", "$object": "user", "msg": {"$": "User not found"}}}
        return None

    panel = PagingPanel({"user": []})
    panel.answer = v5
    check = IspManagerModule(transport=panel).check_connection(FAKE)
    assert check.generation == "5" and check.message == "Success: connected to ispmanager 5 as root."
    assert not check.warning

    def v6(params):  # noqa: ANN001, ANN202
        if params["func"] == "site.edit":
            return {"site_name": {"$": ""}, "site_owner": {"$": ""}}
        return v5(params)

    panel.answer = v6
    assert IspManagerModule(transport=panel).check_connection(FAKE).generation == "6"
