"""Package changes copy every limit (empty = unlimited); add-ons keep working on top; the client's
language goes with the calls; a missing preset is refused even when the panel answers an empty form."""

from __future__ import annotations

import pytest

from moorage.modules.ispmanager.fields import add_limits, preset_limits
from moorage.modules.ispmanager.module import IspManagerModule
from moorage.provisioning.interface import AccountSpec, ModuleError
from tests.modules.ispmanager.conftest import FAKE, PagingPanel, connection


def make_user(module, conn, **options):  # noqa: ANN001, ANN003, ANN201
    spec = AccountSpec(username="shop", password="Pw-123456789", options={"preset": "basic", **options}, marker="m1")
    return module.create(conn, spec)


def test_moving_to_an_unlimited_preset_lifts_the_old_limits(panel, spy, module):
    conn = connection(panel)
    make_user(module, conn)
    user = panel.state.users["shop"]
    assert (user["limit_db"], user["limit_webdomains"], user["limit_quota"]) == ("2", "3", "1024")
    module.change_package(conn, "shop", {"preset": "unlimited"})
    user = panel.state.users["shop"]
    assert (user["limit_db"], user["limit_webdomains"], user["limit_quota"]) == ("", "", "")
    (change,) = [p for p in spy.of("user.edit") if p.get("elid") == "shop"]
    assert change["preset"] == "unlimited" and change["limit_db"] == "" and change["limit_quota"] == ""
    # Back to a limited preset: the limits return.
    module.change_package(conn, "shop", {"preset": "basic"})
    assert panel.state.users["shop"]["limit_db"] == "2"


def test_add_ons_add_to_limited_values_and_leave_unlimited_ones_unlimited(panel, module):
    conn = connection(panel)
    make_user(module, conn, limit_additions={"limit_db": 3, "limit_quota": 512})
    user = panel.state.users["shop"]
    assert user["limit_db"] == "5" and user["limit_quota"] == "1536"
    module.change_package(conn, "shop", {"preset": "unlimited", "limit_additions": {"limit_db": 3}})
    assert panel.state.users["shop"]["limit_db"] == ""


def test_product_overrides_still_win_over_an_unlimited_preset(panel, module):
    conn = connection(panel)
    make_user(module, conn)
    module.change_package(conn, "shop", {"preset": "unlimited", "limit_db": 7})
    user = panel.state.users["shop"]
    assert user["limit_db"] == "7" and user["limit_quota"] == ""


def test_preset_limits_keep_empty_limits_and_drop_the_presets_own_fields():
    form = {"name": "p", "level": "16", "limit_db": "", "limit_quota": "100", "backup": "", "php_enable": "on"}
    assert preset_limits(form) == {"limit_db": "", "limit_quota": "100", "php_enable": "on"}
    additions = {"limit_additions": {"limit_db": 2, "limit_quota": 1}}
    assert add_limits({"limit_db": "", "limit_quota": "100"}, additions) == {"limit_db": "", "limit_quota": "101"}


def test_the_clients_language_goes_with_every_call_and_the_login_link(panel, spy, module):
    conn = connection(panel, lang="ru")
    make_user(module, conn)
    url = module.sso_url(conn, "shop")
    assert spy.sent and all(p.get("lang") == "ru" for p in spy.sent)
    assert "lang=ru" in url
    assert panel.state.users["shop"]["lang"] == "ru"  # the panel user speaks the client's language
    spy.sent.clear()
    module.list_usernames(connection(panel))
    assert all("lang" not in p for p in spy.sent)


def test_a_panel_error_comes_in_the_clients_language(panel, module):
    conn = connection(panel, lang="ru")
    make_user(module, conn)
    with pytest.raises(ModuleError) as caught:
        make_user(module, conn)  # the name is taken by someone (no adopt)
    assert caught.value.panel_type == "exists"
    with pytest.raises(ModuleError) as caught:
        module.create_ftp_user(conn, "shop", name="a", home="/", password="Ftp-pw-12345")
        module.create_ftp_user(conn, "shop", name="a", home="/", password="Ftp-pw-12345")
    assert any("а" <= ch <= "я" for ch in caught.value.panel_message.lower()), caught.value.panel_message


@pytest.mark.parametrize(
    "reply",
    [
        {"name": {"$": ""}, "limit_db": {"$": ""}},  # the empty form a real panel gives for a missing elid
        {},
        {"error": {"$type": "missed", "$object": "preset", "msg": {"$": "Template not found"}}},
    ],
)
def test_a_missing_preset_is_refused_not_applied_as_nothing(reply):
    panel = PagingPanel({"user": []})
    panel.answer = lambda params: reply if params["func"] == "preset.edit" else None
    with pytest.raises(ModuleError) as caught:
        IspManagerModule(transport=panel).change_package(FAKE, "shop", {"preset": "gone"})
    assert caught.value.panel_type == "missed" and "gone" in caught.value.message
    assert not [p for p in panel.sent if p["func"] == "user.edit"]


def test_a_commit_answered_with_id_and_messages_but_no_ok_is_a_success():
    panel = PagingPanel({"user": []})

    def answer(params):  # noqa: ANN001, ANN202
        if params["func"] == "preset.edit":
            return {"name": {"$": "basic"}, "limit_db": {"$": "2"}}
        if params.get("sok"):
            return {
                "$func": params["func"],
                "id": {"$": params.get("name", "")},
                "messages": {"msg": [{"$name": "msg_saved", "$": "Saved"}]},
                "tparams": {"func": {"$": params["func"]}},
            }
        return None

    panel.answer = answer
    spec = AccountSpec(username="shop", password="Pw-123456789", options={"preset": "basic"}, marker="m1")
    assert IspManagerModule(transport=panel).create(FAKE, spec) == {"adopted": False}
