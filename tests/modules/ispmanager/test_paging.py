"""Every list the module reads follows the panel's pages (`p_cnt` rows of page `p_num`)."""

from __future__ import annotations

import pytest

from moorage.modules.ispmanager.module import IspManagerModule
from moorage.provisioning.interface import AccountSpec, ModuleError
from tests.modules.ispmanager.conftest import FAKE, PagingPanel, connection

USERS = [{"name": f"user{i}", "active": "on", "quota_used": str(i)} for i in range(7)]


def pages_asked(panel: PagingPanel, func: str) -> list[tuple[str, str]]:
    return [(p.get("p_cnt", ""), p.get("p_num", "")) for p in panel.sent if p["func"] == func]


def test_all_pages_are_read_until_the_count_is_reached():
    panel = PagingPanel({"user": USERS})
    names = IspManagerModule(page_size=3, transport=panel).list_usernames(FAKE)
    assert names == {f"user{i}" for i in range(7)}
    assert pages_asked(panel, "user") == [("3", "1"), ("3", "2"), ("3", "3")]


def test_a_full_last_page_stops_at_the_count_without_asking_an_empty_page():
    panel = PagingPanel({"user": USERS[:6]})
    assert len(IspManagerModule(page_size=3, transport=panel).list_usernames(FAKE)) == 6
    assert pages_asked(panel, "user") == [("3", "1"), ("3", "2")]


def test_without_a_count_a_short_or_empty_page_ends_the_list():
    panel = PagingPanel({"user": USERS[:6]}, count=False)
    assert len(IspManagerModule(page_size=3, transport=panel).list_usernames(FAKE)) == 6
    assert pages_asked(panel, "user") == [("3", "1"), ("3", "2"), ("3", "3")]


def test_the_default_page_size_is_the_panels_1000():
    panel = PagingPanel({"user": USERS})
    IspManagerModule(transport=panel).list_usernames(FAKE)
    assert pages_asked(panel, "user") == [("1000", "1")]


def test_a_panel_that_repeats_a_page_is_an_error_not_a_silently_short_list():
    panel = PagingPanel({"user": USERS}, honour_page=False)
    with pytest.raises(ModuleError) as caught:
        IspManagerModule(page_size=3, transport=panel).list_usernames(FAKE)
    assert "page 2" in caught.value.message and caught.value.panel_type == "format"


def test_a_row_on_two_pages_counts_once():
    # An account created while the list was read pushes a row of page 1 onto page 2.
    rows = USERS[:3] + USERS[2:5]
    panel = PagingPanel({"user": rows}, count=False)
    state = IspManagerModule(page_size=3, transport=panel).usage(FAKE, usernames=[])
    assert sorted(state) == [f"user{i}" for i in range(5)]


def test_an_account_on_a_later_page_is_found():
    panel = PagingPanel({"user": USERS})
    state = IspManagerModule(page_size=2, transport=panel).account_state(FAKE, "user6")
    assert state.exists and state.disk_used_mib == 6


def test_user_presets_across_pages_only_level_16():
    presets = [{"name": f"p{i}", "level": "16"} for i in range(4)] + [
        {"name": "reseller-tpl", "level": "29"},
        {"name": "admin-tpl", "level": "28"},
        {"name": "old", "level": ""},
    ]
    panel = PagingPanel({"preset": presets})
    assert IspManagerModule(page_size=2, transport=panel).list_presets(FAKE) == ["old", "p0", "p1", "p2", "p3"]
    assert len(pages_asked(panel, "preset")) == 4


def test_every_list_the_module_reads_is_asked_page_by_page(panel, spy, module):
    conn = connection(panel, nameservers=(("ns1.example.net", "192.0.2.53"), ("ns2.example.net", "192.0.2.54")))
    spec = AccountSpec(
        username="shop",
        password="Pw-123456789",
        options={"preset": "basic"},
        email="a@example.com",
        domain="shop.example.com",
        marker="m1",
    )
    module.create(conn, spec)
    panel.call("emaildomain.edit", sok="ok", name="shop.example.com", owner="shop")
    module.create_mailbox(conn, "shop", name="info", domain="shop.example.com", password="Box-pw-12345")
    module.list_mailboxes(conn, "shop")
    module.create_database(conn, "shop", name="shop_db", user="shop_u", password="Db-pw-12345")
    module.change_database_password(conn, "shop", database="shop_db", user="shop_u", password="Db-pw-67890")
    module.create_ftp_user(conn, "shop", name="deploy", home="/", password="Ftp-pw-12345")
    module.change_ftp_password(conn, "shop", "deploy", "Ftp-pw-67890")
    module.list_presets(conn)
    module.usage(conn, markers={"shop": "m1"})
    lists = {"user", "preset", "webdomain", "emaildomain", "email", "db", "db.server", "db.users", "ftp.user"}
    lists |= {"userstat", "domain"}
    seen = set()
    for params in spy.sent:
        if params["func"] in lists:
            seen.add(params["func"])
            assert params.get("p_cnt") == "1000" and params.get("p_num") == "1", params
    assert seen == lists
    # Forms and changes are not lists: no paging parameters on them.
    assert all("p_num" not in p for p in spy.sent if p["func"].endswith(".edit"))


def test_small_pages_on_the_emulator_read_every_object(panel, spy):
    module = IspManagerModule(page_size=2, transport=spy)
    conn = connection(panel)
    for i in range(5):
        panel.call("user.edit", sok="ok", name=f"u{i}", passwd="Pw-123456789", confirm="Pw-123456789", preset="basic")
    for i in range(3):
        panel.call("preset.edit", sok="ok", name=f"extra{i}", limit_db=1)
    assert module.list_usernames(conn) == {f"u{i}" for i in range(5)}
    assert module.list_presets(conn) == ["basic", "extra0", "extra1", "extra2", "unlimited"]
    assert module.account_state(conn, "u4").exists
    pages = [p["p_num"] for p in spy.of("user")]
    assert pages[:3] == ["1", "2", "3"]
