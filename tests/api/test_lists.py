"""REST API v1 lists: filters, cursor pagination, hostile cursors, permissions and query counts."""

from __future__ import annotations

import base64
import datetime as dt

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext

from moorage.api.actions import api_token_create
from moorage.api.pagination import encode_cursor
from moorage.automation.models import AutomationRun
from moorage.billing.models import Invoice
from moorage.core.models import User
from moorage.notifications.models import Notification
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def token(staff, now):
    return api_token_create(user=staff, now=now, actor=staff)[1]


@pytest.fixture
def get(client, token):
    def call(path, **params):
        return client.get("/api/v1" + path, params, HTTP_AUTHORIZATION=f"Bearer {token}")

    return call


@pytest.fixture
def orders(shared_page, now):
    """Three clients; the first has two orders (two services, two invoices), the others one each."""
    starter = shared_page.products.get(code="starter")
    clients = [factories.client(now=now, email=f"c{i}@example.com") for i in range(3)]
    made = [factories.checkout(clients[0], starter, now=now, hostname="a0.example")]
    made += [factories.checkout(c, starter, now=now, hostname=f"b{i}.example") for i, c in enumerate(clients)]
    return clients, made


def walk(get, path, limit, **params):
    """Every item of a list, following next_cursor; also the number of pages."""
    items, cursor, pages = [], None, 0
    while True:
        body = get(path, limit=limit, **({"cursor": cursor} if cursor else {}), **params).json()
        items += body["items"]
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            return items, pages


def test_clients_list_pages_through_every_client_once_newest_first(get, orders):
    clients, _ = orders
    items, pages = walk(get, "/clients", 2)
    ids = [c["id"] for c in items]
    assert ids == sorted((c.pk for c in clients), reverse=True)
    assert pages == 2
    assert items[0]["email"] == "c2@example.com" and items[0]["credit_balance"] == "0.00"


def test_clients_filters(get, orders):
    clients, _ = orders
    body = get("/clients", email="C1@Example.com").json()
    assert [c["id"] for c in body["items"]] == [clients[1].pk]
    clients[2].status = "inactive"
    clients[2].save(update_fields=["status"])
    assert [c["id"] for c in get("/clients", status="inactive").json()["items"]] == [clients[2].pk]


def test_services_and_invoices_filtered_by_client(get, orders):
    clients, made = orders
    first = clients[0]
    services = get("/services", client_id=first.pk).json()["items"]
    assert {s["hostname"] for s in services} == {"a0.example", "b0.example"}
    assert get(f"/clients/{first.pk}/services").json()["items"] == services
    invoices = get("/invoices", client_id=first.pk).json()["items"]
    assert len(invoices) == 2 and {i["client_id"] for i in invoices} == {first.pk}
    assert get(f"/clients/{first.pk}/invoices").json()["items"] == invoices
    # The same shape as GET /invoices/{id}, amounts included.
    assert invoices[0] == get(f"/invoices/{invoices[0]['id']}").json()
    assert get("/services", status="active").json()["items"] == []
    assert len(get("/services", status="pending").json()["items"]) == 4


def test_invoice_list_amounts_and_issue_date_filter(get, orders, now):
    clients, made = orders
    invoice = made[1].invoice
    factories.pay(invoice, "1.00", transaction_id="part-1", now=now)
    (row,) = [i for i in get("/invoices").json()["items"] if i["id"] == invoice.pk]
    assert row == get(f"/invoices/{invoice.pk}").json()
    assert row["amount_paid"] == "1.00"
    Invoice.objects.filter(pk=invoice.pk).update(issue_date=dt.date(2025, 12, 1))
    early = get("/invoices", issued_to="2025-12-31").json()["items"]
    assert [i["id"] for i in early] == [invoice.pk]
    assert invoice.pk not in [i["id"] for i in get("/invoices", issued_from="2026-01-01").json()["items"]]
    assert get("/invoices", status="paid").json()["items"] == []


def test_unknown_client_in_nested_lists_is_404(get, orders):
    assert get("/clients/999999/invoices").status_code == 404
    assert get("/clients/999999/services").status_code == 404


def test_notifications_list_leaves_out_the_body(get, orders, now):
    clients, _ = orders
    for i in range(3):
        Notification.objects.create(
            client=clients[0],
            template="invoice_created" if i else "password_reset",
            dedupe_key=f"k{i}",
            to_email="c0@example.com",
            subject=f"S{i}",
            body="secret link",
            created_at=now,
        )
    items = get("/notifications", client_id=clients[0].pk, event="invoice_created").json()["items"]
    assert [n["subject"] for n in items] == ["S2", "S1"]
    assert "body" not in items[0] and "secret link" not in str(items)
    assert get("/notifications", status="sent").json()["items"] == []


def test_automation_runs_filtered_by_date_and_status(get, now):
    for day in (1, 2, 3):
        AutomationRun.objects.create(run_date=dt.date(2026, 1, day), started_at=now, status="finished")
    AutomationRun.objects.filter(run_date=dt.date(2026, 1, 2)).update(status="failed")
    assert [r["run_date"] for r in get("/automation-runs", date="2026-01-02").json()["items"]] == ["2026-01-02"]
    assert [r["run_date"] for r in get("/automation-runs", status="failed").json()["items"]] == ["2026-01-02"]
    runs = get("/automation-runs", date_from="2026-01-02", date_to="2026-01-03").json()["items"]
    assert [r["run_date"] for r in runs] == ["2026-01-03", "2026-01-02"]


LISTS = ["/clients", "/services", "/invoices", "/notifications", "/automation-runs"]


@pytest.mark.parametrize("path", LISTS)
@pytest.mark.parametrize(
    "cursor",
    [
        "garbage",
        "",  # empty: the first page (not an error)
        "1:abc",
        base64.urlsafe_b64encode(b'{"id": 1}').decode(),
        "\x00",
        "é" * 50,
        "x" * 201,
    ],
)
def test_hostile_cursors_are_422_never_500(get, orders, path, cursor):
    resp = get(path, cursor=cursor)
    if cursor == "":
        assert resp.status_code == 200
        return
    assert resp.status_code == 422, resp.content
    assert resp.json()["field"] == "cursor"


def test_a_cursor_of_one_list_does_not_work_on_another(get, orders):
    clients, _ = orders
    cursor = get("/clients", limit=1).json()["next_cursor"]
    assert get("/clients", cursor=cursor).status_code == 200
    assert get("/services", cursor=cursor).status_code == 422
    other = encode_cursor(f"clients/{clients[1].pk}/services", 5)
    assert get(f"/clients/{clients[0].pk}/services", cursor=other).status_code == 422


@pytest.mark.parametrize("limit", [0, 201, -1, "x", 10**30])
@pytest.mark.parametrize("path", LISTS)
def test_limit_out_of_bounds_is_422(get, path, limit):
    resp = get(path, limit=limit)
    assert resp.status_code == 422
    assert resp.json()["field"] == "limit"


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/clients", {"status": "nope"}),
        ("/clients", {"email": "a\x00b"}),
        ("/services", {"status": "x"}),
        ("/invoices", {"issued_from": "2026-13-01"}),
        ("/notifications", {"event": "e\x00"}),
        ("/automation-runs", {"date": "yesterday"}),
        ("/services", {"client_id": 2**63}),
    ],
)
def test_hostile_filters_are_422(get, path, params):
    assert get(path, **params).status_code == 422


@pytest.mark.parametrize(
    ("path", "permission"),
    [
        ("/clients", "view_client"),
        ("/services", "view_service"),
        ("/invoices", "view_invoice"),
        ("/notifications", "view_notification"),
        ("/automation-runs", "view_automationrun"),
    ],
)
def test_each_list_needs_its_view_permission(client, now, path, permission):
    user = User.objects.create_user(email="clerk@example.com", password="Xx-12345678", is_staff=True)
    token = api_token_create(user=user, now=now, actor=user)[1]
    resp = client.get("/api/v1" + path, HTTP_AUTHORIZATION=f"Bearer {token}")
    assert resp.status_code == 403
    assert permission in resp.json()["message"]
    user.user_permissions.add(Permission.objects.get(codename=permission))
    user = User.objects.get(pk=user.pk)  # no cached permissions
    assert client.get("/api/v1" + path, HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 200


def test_nested_lists_refuse_a_token_of_another_area(client, staff, now, orders):
    clients, _ = orders
    token = api_token_create(user=staff, now=now, actor=staff, scopes=["clients"])[1]
    resp = client.get(f"/api/v1/clients/{clients[0].pk}/invoices", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert resp.status_code == 403


@pytest.mark.parametrize(
    "path", ["/clients", "/services", "/invoices", "/notifications", "/automation-runs", "/clients/{c}/invoices"]
)
def test_each_list_costs_a_fixed_number_of_queries(get, shared_page, now, path):
    starter = shared_page.products.get(code="starter")
    owner = factories.client(now=now, email="many@example.com")

    def add(n):
        for i in range(n):
            other = factories.client(now=now, email=f"q{Notification.objects.count()}-{i}@example.com")
            order = factories.checkout(owner, starter, now=now, hostname=f"h{i}.example")
            factories.pay(order.invoice, "1.00", transaction_id=f"t{order.pk}", now=now)
            Notification.objects.create(
                client=other,
                template="x",
                dedupe_key=f"d{order.pk}",
                to_email="x@example.com",
                subject="s",
                body="b",
                created_at=now,
            )
            AutomationRun.objects.create(run_date=dt.date(2026, 1, 1), started_at=now)

    url = path.replace("{c}", str(owner.pk))

    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert get(url, limit=200).status_code == 200
        return len(ctx.captured_queries)

    add(1)
    count()  # the first use of the token writes its last_used_at
    few = count()
    add(6)
    assert len(get(url, limit=200).json()["items"]) >= 7
    assert count() == few
