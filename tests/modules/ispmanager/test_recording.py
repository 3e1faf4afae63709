"""The recording test mode: one file per module call, secrets masked, and each file replays."""

from __future__ import annotations

import json

import pytest

from moorage.modules.ispmanager.client import ReplayTransport
from moorage.modules.ispmanager.module import IspManagerModule
from moorage.modules.ispmanager.recording import ENV, mask
from moorage.provisioning.interface import AccountSpec, ModuleError
from tests.modules.ispmanager.conftest import ADMIN, FAKE, connection
from tests.modules.ispmanager.replay import replay

SECRETS = ("Pw-123456789", "Box-pw-98765", "Db-pw-55555", "Ftp-pw-44444", ADMIN[1])


def test_each_call_is_recorded_masked_and_replays(panel, tmp_path, monkeypatch):
    monkeypatch.setenv(ENV, str(tmp_path))
    module = IspManagerModule(page_size=2)
    conn = connection(panel, nameservers=(("ns1.example.net", "192.0.2.53"),), lang="en")
    spec = AccountSpec(
        username="shop",
        password=SECRETS[0],
        options={"preset": "basic"},
        email="a@example.com",
        domain="shop.example.com",
        marker="m1",
    )
    module.create(conn, spec)
    panel.call("emaildomain.edit", sok="ok", name="shop.example.com", owner="shop")
    module.create_mailbox(conn, "shop", name="info", domain="shop.example.com", password=SECRETS[1])
    module.create_database(conn, "shop", name="shop_db", user="shop_u", password=SECRETS[2])
    module.change_database_password(conn, "shop", database="shop_db", user="shop_u", password=SECRETS[2])
    module.create_ftp_user(conn, "shop", name="deploy", home="/", password=SECRETS[3])
    module.list_mailboxes(conn, "shop")
    module.sso_url(conn, "shop")
    module.check_connection(conn)
    with pytest.raises(ModuleError):
        module.create(conn, spec)  # taken: recorded with its error
    files = sorted(tmp_path.glob("*.json"))
    methods = sorted(json.loads(f.read_text())["call"]["method"] for f in files)
    assert methods == sorted(
        [
            "create",
            "create",
            "create_mailbox",
            "create_database",
            "change_database_password",
            "create_ftp_user",
            "list_mailboxes",
            "sso_url",
            "check_connection",
        ]
    )
    for f in files:
        text = f.read_text()
        for secret in SECRETS:
            assert secret not in text, (f.name, secret)
        conversation = json.loads(text)
        assert conversation["exchanges"]
        for exchange in conversation["exchanges"]:
            request = exchange["request"]
            for name in ("authinfo", "passwd", "confirm", "password", "key"):
                assert request.get(name) in (None, "***"), (f.name, name)
        replay(conversation)
    failed = [json.loads(f.read_text()) for f in files]
    assert sum(1 for c in failed if "error" in c["expect"]) == 1


def test_nothing_is_written_when_recording_is_off(panel, tmp_path, monkeypatch):
    monkeypatch.delenv(ENV, raising=False)
    IspManagerModule().list_presets(connection(panel))
    assert not list(tmp_path.iterdir())


def test_masking_rules():
    assert mask({"passwd": "x", "db_password": "y", "key": "k", "authinfo": "root:pw", "name": "n"}) == {
        "passwd": "***",
        "db_password": "***",
        "key": "***",
        "authinfo": "***",
        "name": "n",
    }
    # In replies the `db` list's `key` is an id, not a secret; the request echo (tparams) is masked.
    reply = {"elem": [{"key": {"$": "7"}}], "tparams": {"key": {"$": "secret"}, "passwd": {"$": "p"}}}
    assert mask(reply, request=False) == {"elem": [{"key": {"$": "7"}}], "tparams": {"key": "***", "passwd": "***"}}
    assert mask("https://h/ispmgr?func=auth&key=abc&username=u") == "https://h/ispmgr?func=auth&key=***&username=u"


def test_a_request_that_differs_from_the_recording_fails_the_replay():
    exchanges = [{"request": {"func": "user", "authinfo": "***", "p_cnt": "1000", "p_num": "1"}, "reply": {"doc": {}}}]
    with pytest.raises(AssertionError, match="p_cnt='5', recorded '1000'"):
        IspManagerModule(page_size=5, transport=ReplayTransport(exchanges)).list_usernames(FAKE)
    module = IspManagerModule(transport=ReplayTransport(exchanges))
    assert module.list_usernames(FAKE) == set()
    with pytest.raises(AssertionError, match="was not recorded"):
        module.list_usernames(FAKE)
