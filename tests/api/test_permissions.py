"""The REST API respects staff permissions (issue #10, item 4): every endpoint needs the Django
permission of the matching staff screen, a token's scopes narrow it further, wrong tokens are
throttled per address, and the API docs follow MOORAGE_API_DOCS."""

from __future__ import annotations

import json
from dataclasses import dataclass

import pytest
from django.contrib.auth.models import Permission

from moorage.api.actions import api_token_create
from moorage.api.models import AREAS
from moorage.api.urls import StaffToken, api
from moorage.core.models import AuditEntry, User
from moorage.orders.actions import CartItem, order_checkout
from tests import factories

pytestmark = pytest.mark.django_db


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str  # with {client}, {order}, {invoice}, {service} filled from the world
    permissions: tuple[str, ...]
    area: str
    body: dict | None = None
    # What "the permission let it through" looks like: the world's service is pending (its order
    # unpaid), so a change of it is refused by the action (400) and there is nothing to withdraw (404).
    answers: tuple[int, ...] = (200, 201)


ENDPOINTS = [
    Endpoint(
        "POST",
        "/clients",
        ("customers.add_client",),
        "clients",
        {"email": "new@example.com", "password": "Str0ng-pass!", "first_name": "Ann", "last_name": "Lee"},
    ),
    Endpoint("GET", "/clients/{client}", ("customers.view_client",), "clients"),
    Endpoint("GET", "/order-pages", ("catalog.view_orderpage",), "catalog"),
    Endpoint("GET", "/products", ("catalog.view_product",), "catalog"),
    Endpoint(
        "POST",
        "/orders",
        ("orders.add_order",),
        "orders",
        {"client_id": "{client}", "items": [{"product_id": "{product}", "cycle": "monthly", "hostname": "x.example"}]},
    ),
    Endpoint("GET", "/orders/{order}", ("orders.view_order",), "orders"),
    Endpoint("GET", "/invoices/{invoice}", ("billing.view_invoice",), "billing"),
    Endpoint(
        "POST",
        "/invoices/{invoice}/payments",
        ("billing.add_payment", "billing.change_invoice"),
        "billing",
        {"amount": "1.00", "gateway": "bank_transfer", "transaction_id": "BANK-7"},
    ),
    Endpoint("GET", "/services/{service}", ("services.view_service",), "services"),
    # Lists (api/endpoints_lists.py)
    Endpoint("GET", "/clients", ("customers.view_client",), "clients"),
    Endpoint("GET", "/services", ("services.view_service",), "services"),
    Endpoint("GET", "/invoices", ("billing.view_invoice",), "billing"),
    Endpoint("GET", "/clients/{client}/invoices", ("billing.view_invoice",), "billing"),
    Endpoint("GET", "/clients/{client}/services", ("services.view_service",), "services"),
    Endpoint("GET", "/notifications", ("notifications.view_notification",), "clients"),
    Endpoint("GET", "/automation-runs", ("automation.view_automationrun",), "billing"),
    # A service's changes (api/endpoints_changes.py)
    Endpoint("GET", "/services/{service}/upgrade-options", ("services.view_service",), "services"),
    Endpoint(
        "POST",
        "/services/{service}/upgrades",
        ("services.change_service",),
        "services",
        {"product_id": "{product}", "cycle": "annually"},
        answers=(400,),
    ),
    Endpoint(
        "POST",
        "/services/{service}/cancellation",
        ("services.add_cancellationrequest",),
        "services",
        {"type": "immediate", "reason": "moving"},
        answers=(400,),
    ),
    Endpoint(
        "DELETE",
        "/services/{service}/cancellation",
        ("services.change_cancellationrequest",),
        "services",
        answers=(404,),
    ),
    Endpoint("GET", "/services/{service}/usage", ("services.view_service",), "services"),
    # Client Functions (billing side, part j): notes, status updates, auto renewal and auto payment.
    Endpoint("GET", "/services/{service}/notes", ("services.view_service",), "services"),
    Endpoint("POST", "/services/{service}/notes", ("servicefunctions.add_servicenote",), "services", {"body": "Hello"}),
    Endpoint("GET", "/services/{service}/status-updates", ("services.view_service",), "services"),
    Endpoint("GET", "/services/{service}/auto-renewal", ("services.view_service",), "services"),
    Endpoint("PUT", "/services/{service}/auto-renewal", ("services.change_service",), "services", {"on": True}),
    Endpoint("GET", "/services/{service}/auto-payment", ("services.view_service",), "services"),
    Endpoint("PUT", "/services/{service}/auto-payment", ("services.change_service",), "services", {"on": False}),
    # Billing-side client functions (api/endpoints_service_fns.py), on a paid service ({active}) and a
    # pending Change Ownership request ({transfer}) of another one.
    Endpoint("POST", "/services/{active}/label", ("services.change_service",), "services", {"label": "Shop"}),
    Endpoint("GET", "/services/{active}/logs", ("services.view_service",), "services"),
    Endpoint("GET", "/services/{active}/ownership", ("services.view_service",), "services"),
    Endpoint(
        "POST", "/services/{active}/ownership", ("services.change_service",), "services", {"email": "heir@example.com"}
    ),
    Endpoint("POST", "/services/{moving}/ownership/{transfer}/approve", ("services.change_service",), "services", {}),
    Endpoint("POST", "/services/{moving}/ownership/{transfer}/reject", ("services.change_service",), "services", {}),
    Endpoint("POST", "/services/{active}/renew", ("services.change_service", "billing.add_invoice"), "services", {}),
    Endpoint("GET", "/products/{product}/components", ("catalog.view_product",), "catalog"),
    Endpoint("GET", "/services/{service}/components", ("services.view_service",), "services"),
]
IDS = [f"{e.method} {e.path}" for e in ENDPOINTS]


@pytest.fixture
def world(client_account, starter, now):  # noqa: ANN001, ANN201
    order = order_checkout(client=client_account, items=[CartItem(starter.pk, "monthly", "shop.example")], now=now)
    return {
        "client": client_account.pk,
        "product": starter.pk,
        "order": order.pk,
        "invoice": order.invoice_id,
        "service": order.items.get().service_id,
        **_client_function_world(client_account, starter, now),
    }


def _client_function_world(client_account, product, now):  # noqa: ANN001, ANN202
    """Two paid services and a pending Change Ownership request of the second, to the active client
    heir@example.com (the billing-side client functions' endpoints)."""
    from moorage.services.actions import service_transfer_request

    factories.client(now=now, email="heir@example.com")
    ids = []
    for host in ("active.example", "moving.example"):
        paid = order_checkout(client=client_account, items=[CartItem(product.pk, "monthly", host)], now=now)
        factories.pay(paid.invoice, str(paid.invoice.total), transaction_id=f"T-{host}", now=now)
        ids.append(paid.items.get().service_id)
    transfer = service_transfer_request(
        service_id=ids[1], email="heir@example.com", now=now, actor=client_account.user, client_id=client_account.pk
    )
    return {"active": ids[0], "moving": ids[1], "transfer": transfer.pk}


@pytest.fixture
def clerk(db):  # noqa: ANN001, ANN201
    """A staff member with no permission at all."""
    return User.objects.create_user("clerk@example.com", factories.PASSWORD, is_staff=True)


def grant(user: User, *permissions: str) -> User:
    for perm in permissions:
        app, codename = perm.split(".")
        user.user_permissions.add(Permission.objects.get(content_type__app_label=app, codename=codename))
    return User.objects.get(pk=user.pk)  # a fresh object: Django caches permissions per object


def call(client, token: str, endpoint: Endpoint, world: dict):  # noqa: ANN001, ANN201
    path = "/api/v1" + endpoint.path.format(**world)
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    if endpoint.method in ("GET", "DELETE"):
        return getattr(client, endpoint.method.lower())(path, **headers)
    body = json.loads(
        json.dumps(endpoint.body)
        .replace('"{client}"', str(world["client"]))
        .replace('"{product}"', str(world["product"]))
    )
    return client.generic(endpoint.method, path, json.dumps(body), content_type="application/json", **headers)


def token_for(user: User, now, scopes: str = "") -> str:  # noqa: ANN001
    return api_token_create(user=user, now=now, actor=None, scopes=scopes)[1]


def assert_forbidden(response, code: str = "forbidden") -> None:  # noqa: ANN001
    assert response.status_code == 403, response.content
    body = response.json()
    assert set(body) == {"code", "message", "field"} and body["code"] == code and body["message"]


def test_every_endpoint_declares_its_permissions_and_area():
    declared = set()
    for _, router in api._routers:
        for path, view in router.path_operations.items():
            for operation in view.operations:
                (auth,) = operation.auth_callbacks
                assert isinstance(auth, StaffToken), path
                assert auth.permissions and auth.area in AREAS, path
                for method in operation.methods:
                    declared.add((method, path, auth.permissions, auth.area))
    expected = {
        (
            e.method,
            e.path.replace("{client}", "{client_id}")
            .replace("{order}", "{order_id}")
            .replace("{invoice}", "{invoice_id}")
            .replace("{service}", "{service_id}")
            .replace("{active}", "{service_id}")
            .replace("{moving}", "{service_id}")
            .replace("{transfer}", "{transfer_id}")
            .replace("{product}", "{product_id}"),
            e.permissions,
            e.area,
        )
        for e in ENDPOINTS
    }
    # Endpoints that need a panel account to answer are tried in their own files.
    from tests.api.test_panel_objects_api import PANEL_ENDPOINTS

    assert declared == expected | PANEL_ENDPOINTS  # a new endpoint joins the matrix below


def test_the_default_auth_closes_an_endpoint_without_permissions(rf, staff, now):
    from moorage.api.access import authorize
    from moorage.core.errors import PermissionDenied

    row, _ = api_token_create(user=staff, now=now, actor=None)
    with pytest.raises(PermissionDenied):
        authorize(row, permissions=(), area=None, method="GET")  # what StaffToken() alone declares


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=IDS)
def test_without_the_permission_the_endpoint_is_403_and_changes_nothing(client, clerk, world, now, endpoint, unchanged):
    token = token_for(clerk, now)
    # Every permission except the endpoint's own (one missing is enough to refuse).
    grant(clerk, *[p for e in ENDPOINTS for p in e.permissions if p not in endpoint.permissions])
    with unchanged():
        assert_forbidden(call(client, token, endpoint, world))
    if len(endpoint.permissions) > 1:
        grant(clerk, endpoint.permissions[0])
        with unchanged():
            assert_forbidden(call(client, token, endpoint, world))


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=IDS)
def test_with_the_permission_the_endpoint_answers(client, clerk, world, now, endpoint, settings):
    settings.MOORAGE_CLOCK_DATE = "2026-01-15"
    grant(clerk, *endpoint.permissions)
    response = call(client, token_for(clerk, now), endpoint, world)
    assert response.status_code in endpoint.answers, response.content


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=IDS)
def test_a_read_only_token_only_reads(client, staff, world, now, endpoint, unchanged, settings):
    settings.MOORAGE_CLOCK_DATE = "2026-01-15"
    token = token_for(staff, now, scopes="read")
    if endpoint.method == "GET":
        assert call(client, token, endpoint, world).status_code == 200
    else:
        with unchanged():
            assert_forbidden(call(client, token, endpoint, world), code="read_only_token")


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=IDS)
def test_an_area_token_reaches_only_its_areas(client, staff, world, now, endpoint, unchanged, settings):
    settings.MOORAGE_CLOCK_DATE = "2026-01-15"
    elsewhere = token_for(staff, now, scopes=" ".join(a for a in AREAS if a != endpoint.area))
    with unchanged():
        assert_forbidden(call(client, elsewhere, endpoint, world), code="token_scope")
    response = call(client, token_for(staff, now, scopes=f"{endpoint.area}"), endpoint, world)
    assert response.status_code in endpoint.answers, response.content


def test_read_plus_area_scopes_combine(client, staff, world, now):
    token = token_for(staff, now, scopes="read billing")
    invoice, payment, client_page = ENDPOINTS[6], ENDPOINTS[7], ENDPOINTS[1]
    assert call(client, token, invoice, world).status_code == 200
    assert_forbidden(call(client, token, payment, world), code="read_only_token")
    assert_forbidden(call(client, token, client_page, world), code="token_scope")


@pytest.mark.parametrize("change", ["inactive", "not_staff", "revoked"])
def test_a_token_of_an_inactive_or_non_staff_user_is_401(client, staff, world, now, change):
    token = token_for(staff, now)
    if change == "inactive":
        User.objects.filter(pk=staff.pk).update(is_active=False)
    elif change == "not_staff":
        User.objects.filter(pk=staff.pk).update(is_staff=False)
    else:
        staff.api_tokens.update(revoked=True)
    response = call(client, token, ENDPOINTS[1], world)
    assert response.status_code == 401 and response.json()["code"] == "unauthorized"


def test_permissions_come_from_groups_too(client, clerk, world, now):
    from django.contrib.auth.models import Group

    group = Group.objects.create(name="Billing")
    group.permissions.add(Permission.objects.get(codename="view_invoice"))
    clerk.groups.add(group)
    assert call(client, token_for(clerk, now), ENDPOINTS[6], world).status_code == 200


# --- throttling of wrong tokens ------------------------------------------------------------------


def test_wrong_tokens_are_throttled_per_address(client, staff, world, now, settings, caplog):
    settings.MOORAGE_API_TOKEN_MAX_FAILURES = 3
    settings.MOORAGE_API_TOKEN_BLOCK_SECONDS = 600
    good = token_for(staff, now)
    endpoint = ENDPOINTS[1]
    assert [call(client, "mrg_wrong", endpoint, world).status_code for _ in range(2)] == [401, 401]
    third = call(client, "mrg_wrong", endpoint, world)
    assert third.status_code == 429 and third["Retry-After"] == "600"
    assert third.json()["code"] == "throttled" and "too many wrong API tokens" in third.json()["message"]
    # While blocked, even the right token is refused: guessing learns nothing.
    assert call(client, good, endpoint, world).status_code == 429
    entry = AuditEntry.objects.get(action="api_token_throttled")
    assert entry.object_id == "127.0.0.1" and entry.data == {"failures": 3}
    assert any("wrong tokens from 127.0.0.1" in r.getMessage() for r in caplog.records)
    # Another address is not affected.
    other = client.get(
        f"/api/v1/clients/{world['client']}", HTTP_AUTHORIZATION=f"Bearer {good}", REMOTE_ADDR="10.0.0.9"
    )
    assert other.status_code == 200


def test_right_tokens_are_never_counted(client, staff, world, now, settings):
    settings.MOORAGE_API_TOKEN_MAX_FAILURES = 2
    good = token_for(staff, now)
    for _ in range(5):
        assert call(client, good, ENDPOINTS[1], world).status_code == 200


def test_forwarded_for_is_used_only_behind_a_proxy(rf, settings):
    from moorage.api.access import client_ip

    request = rf.get("/", HTTP_X_FORWARDED_FOR="1.2.3.4, 5.6.7.8", REMOTE_ADDR="10.0.0.1")
    settings.SECURE_PROXY_SSL_HEADER = None
    assert client_ip(request) == "10.0.0.1"
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    assert client_ip(request) == "5.6.7.8"  # the entry the proxy appended, not the forgeable first


# --- the API docs ----------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/api/v1/openapi.json", "/api/v1/docs"])
def test_api_docs_are_staff_only_by_default(client, staff, now, path):
    anonymous = client.get(path)
    assert anonymous.status_code in (302, 401)
    if path.endswith(".json"):
        assert anonymous.json()["code"] == "unauthorized"
    else:
        assert "/admin/login/" in anonymous["Location"]
    assert client.get(path, HTTP_AUTHORIZATION=f"Bearer {token_for(staff, now)}").status_code == 200
    client.force_login(factories.client(now=now).user)
    assert client.get(path).status_code in (302, 401)  # a client is not staff
    client.force_login(staff)
    assert client.get(path).status_code == 200


def test_api_docs_need_the_staff_areas_two_factor(client, staff, settings):
    """A staff session that only gave its password does not open the docs when two-factor is required."""
    settings.MOORAGE_STAFF_2FA_REQUIRED = True
    client.force_login(staff)
    assert client.get("/api/v1/openapi.json").status_code == 401
    settings.MOORAGE_STAFF_2FA_REQUIRED = False
    assert client.get("/api/v1/openapi.json").status_code == 200


def test_api_docs_public_or_off(client, settings):
    settings.MOORAGE_API_DOCS = "public"
    assert client.get("/api/v1/openapi.json").status_code == 200
    settings.MOORAGE_API_DOCS = "off"
    assert client.get("/api/v1/openapi.json").status_code == 404
    assert client.get("/api/v1/docs").status_code == 404
    settings.MOORAGE_API_DOCS = "typo"  # an unknown value is closed, not open
    assert client.get("/api/v1/openapi.json").status_code == 404


def test_openapi_documents_403_and_429(client, staff):
    client.force_login(staff)
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    for operations in paths.values():
        for operation in operations.values():
            assert {"401", "403", "429"} <= set(operation["responses"])


def test_an_ipv6_client_is_counted_per_64_network(client, staff, world, now, settings):
    settings.MOORAGE_API_TOKEN_MAX_FAILURES = 2
    good = token_for(staff, now)
    path = f"/api/v1/clients/{world['client']}"
    for host in ("2001:db8:1:2::1", "2001:db8:1:2::ffff"):  # two addresses of one /64
        client.get(path, HTTP_AUTHORIZATION="Bearer mrg_wrong", REMOTE_ADDR=host)
    assert client.get(path, HTTP_AUTHORIZATION=f"Bearer {good}", REMOTE_ADDR="2001:db8:1:2::77").status_code == 429
    assert client.get(path, HTTP_AUTHORIZATION=f"Bearer {good}", REMOTE_ADDR="2001:db8:1:3::1").status_code == 200
