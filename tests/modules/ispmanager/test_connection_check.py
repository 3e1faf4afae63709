"""Test Configuration: the generation found, and a plain warning when the account cannot create login
keys (`session.newkey` needs a superuser)."""

from __future__ import annotations

from moorage.modules.ispmanager.module import PROBE_USER, IspManagerModule
from tests.modules.ispmanager.conftest import FAKE, PagingPanel, connection


def test_a_superuser_connection(panel, spy, module):
    check = module.check_connection(connection(panel, generation=""))
    assert check.generation == panel.generation
    assert check.message == f"Success: connected to ispmanager {panel.generation} as root."
    assert check.warning == ""
    (newkey,) = spy.of("session.newkey")
    # The probe asks a key for a name no account can have: nothing anyone can log in with is made.
    assert newkey["username"] == PROBE_USER and len(newkey["key"]) >= 16
    assert module.test_connection(connection(panel)) == check.message


def refusing_keys(params):  # noqa: ANN001, ANN201
    if params["func"] == "whoami":
        return {"user": {"$name": "billing", "$level": "28"}}
    if params["func"] == "license.info":
        return {"version": {"$": "6.98.0"}}
    if params["func"] == "session.newkey":
        return {
            "error": {
                "$type": "access",
                "$object": "",
                "msg": {"$": "Insufficient privileges to perform the operation"},
            }
        }
    return None


def test_an_account_that_cannot_create_keys_is_told_plainly():
    panel = PagingPanel({"user": []})
    panel.answer = refusing_keys
    module = IspManagerModule(transport=panel)
    check = module.check_connection(FAKE)
    assert check.message == "Success: connected to ispmanager 6 as billing."
    assert "cannot create login keys" in check.warning and "superuser" in check.warning
    assert "Insufficient privileges" in check.warning
    assert module.test_connection(FAKE).endswith(check.warning)


def test_an_administrator_without_superuser_rights_on_the_emulator():
    from ispmanager_emulator import EmulatorServer

    with EmulatorServer(port=0, admin={"root": "r00t-pw-1234", "billing": "b1ll-pw-1234"}) as panel:
        conn = connection(panel, username="billing", password="b1ll-pw-1234", generation="")
        check = IspManagerModule().check_connection(conn)
        assert check.message == "Success: connected to ispmanager 6 as billing."
        assert "cannot create login keys" in check.warning
        root = IspManagerModule().check_connection(connection(panel, username="root", password="r00t-pw-1234"))
        assert root.warning == ""
