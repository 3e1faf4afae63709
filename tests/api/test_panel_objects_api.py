# ruff: noqa: F811  (pytest fixtures imported from tests/provisioning/conftest.py, used as arguments)
"""REST API for Databases, Emails and FTP Users against the emulator over real HTTP: list, create,
change password and delete; the staff permissions of the service screen, read-only tokens, the
product's enabled functions (403 with the reason), the panel's refusals (400 on their field), a
panel that is down (503, nothing changed), and hostile names that stay values."""

from __future__ import annotations

import json

import pytest
from django.contrib.auth.models import Permission

from moorage.api.actions import api_token_create
from moorage.core.models import AuditEntry, User
from moorage.services.models import Service
from tests import factories
from tests.provisioning.conftest import connection, hosting, panel  # noqa: F401  (the emulator fixtures)
from tests.provisioning.test_panel_objects import provisioned

pytestmark = pytest.mark.django_db

OLD, NEW = "Old-pass-1234!", "New-pass-5678?"
READ, WRITE = ("services.view_service",), ("services.change_service",)

# (method, path, permissions, area) of every endpoint of this file, for the permission matrix of
# tests/api/test_permissions.py (these need a panel account to answer 200, so they are tried here).
PANEL_ENDPOINTS = {
    (method, f"/services/{{service_id}}/{kind}{tail}", READ if method == "GET" else WRITE, "services")
    for kind in ("databases", "mailboxes", "ftp-users")
    for method, tail in (("GET", ""), ("POST", ""), ("POST", "/{name}/password"), ("DELETE", "/{name}"))
}


@pytest.fixture
def other_client(db, now):  # noqa: ANN001, ANN201
    return factories.client(now=now, email="other@example.com", first_name="Otto")


@pytest.fixture
def active(panel, hosting, client_account, now):  # noqa: ANN001, ANN201
    service = provisioned(client_account, hosting, now, "shop.example.com")
    panel.call("emaildomain.edit", sok="ok", name="shop.example.com", owner=service.panel_account.username)
    return service


def token_for(user: User, now, scopes: str = "") -> str:  # noqa: ANN001
    return api_token_create(user=user, now=now, actor=None, scopes=scopes)[1]


class Api:
    def __init__(self, client, token: str):  # noqa: ANN001
        self.client, self.headers = client, {"HTTP_AUTHORIZATION": f"Bearer {token}"}

    def get(self, path: str):  # noqa: ANN201
        return self.client.get("/api/v1" + path, **self.headers)

    def post(self, path: str, data: dict):  # noqa: ANN201
        return self.client.post("/api/v1" + path, json.dumps(data), content_type="application/json", **self.headers)

    def delete(self, path: str):  # noqa: ANN201
        return self.client.delete("/api/v1" + path, **self.headers)


@pytest.fixture
def api(client, staff, now):  # noqa: ANN001, ANN201
    return Api(client, token_for(staff, now))


def test_the_endpoints_are_in_the_openapi_document(client, staff):
    client.force_login(staff)
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    for _method, path, _perms, _area in PANEL_ENDPOINTS:
        assert "/api/v1" + path in paths
    assert "503" in paths["/api/v1/services/{service_id}/mailboxes"]["post"]["responses"]


def test_mailboxes_through_the_api(api, active, panel):
    base = f"/services/{active.pk}/mailboxes"
    assert api.get(base).json() == []
    response = api.post(base, {"name": "info", "domain": "shop.example.com", "password": OLD, "maxsize": 20})
    assert response.status_code == 201, response.content
    assert response.json() == {"address": "info@shop.example.com", "size_used_mib": "0", "size_limit_mib": "20"}
    assert OLD not in response.content.decode()
    assert [m["address"] for m in api.get(base).json()] == ["info@shop.example.com"]
    assert api.post(f"{base}/info@shop.example.com/password", {"password": NEW}).status_code == 204
    assert panel.state.emails["info@shop.example.com"]["passwd"] == NEW
    assert api.delete(f"{base}/info@shop.example.com").status_code == 204
    assert "info@shop.example.com" not in panel.state.emails
    entry = AuditEntry.objects.filter(action="panel_mailbox_delete").get()
    assert entry.actor is not None and entry.actor.is_staff


def test_databases_through_the_api(api, active, panel):
    base = f"/services/{active.pk}/databases"
    response = api.post(base, {"name": "shop", "user": "shop_u", "password": OLD})
    assert response.status_code == 201, response.content
    assert response.json()["users"] == ["shop_u"]
    assert api.get(base).json()[0]["name"] == "shop"
    # The only user of the database may be left out.
    assert api.post(f"{base}/shop/password", {"password": NEW}).status_code == 204
    assert panel.state.dbusers["shop_u"]["password"] == NEW
    assert api.delete(f"{base}/shop").status_code == 204
    assert not panel.state.dbs


def test_ftp_users_through_the_api_and_the_limit(api, active, panel):
    base = f"/services/{active.pk}/ftp-users"
    username = active.panel_account.username
    n = 0
    while sum(1 for f in panel.state.ftpusers.values() if f["owner"] == username) < 2:
        n += 1
        assert api.post(base, {"name": f"up{n}", "password": OLD}).status_code == 201
    response = api.post(base, {"name": "third", "password": OLD})
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "panel_refused" and body["field"] == "name" and "limit" in body["message"].lower()
    name = api.get(base).json()[0]["name"]
    assert api.post(f"{base}/{name}/password", {"password": NEW}).status_code == 204
    assert panel.state.ftpusers[name]["passwd"] == NEW
    assert api.delete(f"{base}/{name}").status_code == 204
    assert api.delete(f"{base}/{name}").status_code == 404  # gone: the panel's list no longer has it


def test_a_panel_that_is_down_is_503_and_nothing_changes(api, active, panel):
    entries = AuditEntry.objects.count()
    panel.stop()
    response = api.post(f"/services/{active.pk}/ftp-users", {"name": "x", "password": OLD})
    assert response.status_code == 503 and response.json()["code"] == "panel_unavailable"
    assert api.get(f"/services/{active.pk}/mailboxes").status_code == 503
    assert AuditEntry.objects.count() == entries


def test_a_disabled_function_is_403_with_the_reason(api, active, panel):
    product = active.product
    product.client_functions = [c for c in product.client_functions if c != "ftp_users"]
    product.save(update_fields=["client_functions"])
    response = api.post(f"/services/{active.pk}/ftp-users", {"name": "x", "password": OLD})
    assert response.status_code == 403 and response.json()["code"] == "function_disabled"
    assert api.get(f"/services/{active.pk}/ftp-users").status_code == 403
    assert api.get(f"/services/{active.pk}/mailboxes").status_code == 200
    assert "x" not in panel.state.ftpusers


def test_an_unknown_service_is_404_and_an_inactive_one_409(api, active):
    assert api.get("/services/999999/databases").status_code == 404
    Service.objects.filter(pk=active.pk).update(status=Service.Status.SUSPENDED)
    response = api.get(f"/services/{active.pk}/databases")
    assert response.status_code == 409 and response.json()["code"] == "not_active"


def test_permissions_and_read_only_tokens(client, db, active, panel, now):
    clerk = User.objects.create_user("clerk@example.com", factories.PASSWORD, is_staff=True)
    reader = Api(client, token_for(clerk, now))
    assert reader.get(f"/services/{active.pk}/ftp-users").status_code == 403
    clerk.user_permissions.add(Permission.objects.get(codename="view_service", content_type__app_label="services"))
    clerk = User.objects.get(pk=clerk.pk)
    assert reader.get(f"/services/{active.pk}/ftp-users").status_code == 200
    assert reader.post(f"/services/{active.pk}/ftp-users", {"name": "x", "password": OLD}).status_code == 403
    clerk.user_permissions.add(Permission.objects.get(codename="change_service", content_type__app_label="services"))
    read_only = Api(client, token_for(User.objects.get(pk=clerk.pk), now, scopes="read"))
    response = read_only.post(f"/services/{active.pk}/ftp-users", {"name": "x", "password": OLD})
    assert response.status_code == 403 and response.json()["code"] == "read_only_token"
    assert read_only.delete(f"/services/{active.pk}/ftp-users/x").status_code == 403
    assert "x" not in panel.state.ftpusers


def test_names_of_another_accounts_objects_and_hostile_names_stay_values(
    api, active, panel, other_client, hosting, now
):
    other = provisioned(other_client, hosting, now, "other.example")
    victim = other.panel_account.username
    panel.call("emaildomain.edit", sok="ok", name="other.example", owner=victim)
    panel.call("email.edit", sok="ok", name="boss", domainname="other.example", passwd=OLD, confirm=OLD)
    panel.call("ftp.user.edit", sok="ok", name="victimftp", owner=victim, passwd=OLD, confirm=OLD, home="/")
    mine = f"/services/{active.pk}"
    for path in (f"{mine}/mailboxes/boss@other.example", f"{mine}/ftp-users/victimftp"):
        assert api.delete(path).status_code == 404, path
        response = api.post(f"{path}/password", {"password": NEW})
        assert response.status_code == 404 and response.json()["code"] == "not_found"
    for path in (
        f"{mine}/ftp-users/victimftp, x",
        f"{mine}/ftp-users/x&func=user.delete&elid={victim}",
        f"{mine}/ftp-users/x%26su%3Droot",
    ):
        assert api.delete(path).status_code == 400, path
        assert api.post(f"{path}/password", {"password": NEW}).status_code == 400, path
    response = api.post(f"{mine}/ftp-users", {"name": f"x&func=user.delete&elid={victim}", "password": OLD})
    assert response.status_code == 400
    response = api.post(f"{mine}/mailboxes", {"name": "x", "domain": "other.example", "password": OLD})
    assert response.status_code == 400 and response.json()["field"] == "domain"
    assert victim in panel.state.users
    assert panel.state.emails["boss@other.example"]["passwd"] == OLD
    assert panel.state.ftpusers["victimftp"]["passwd"] == OLD
