"""REST API v1: every endpoint, its auth, and its errors (JSON with message and field, 4xx)."""

from __future__ import annotations

import json

import pytest
from django.core.management import call_command

from moorage.api.actions import api_token_create
from moorage.billing.models import Invoice, LedgerEntry, Payment
from moorage.core.models import User
from moorage.customers.models import Client, RegistrationField
from moorage.customers.registration import ensure_builtin_fields
from moorage.orders.models import Order
from moorage.services.models import Service

pytestmark = pytest.mark.django_db


@pytest.fixture
def token(staff, now):
    return api_token_create(user=staff, now=now, actor=staff)[1]


@pytest.fixture
def api(client, token):
    """A Django test client that sends the bearer token."""

    class Api:
        def get(self, path, **kw):
            return client.get("/api/v1" + path, HTTP_AUTHORIZATION=f"Bearer {token}", **kw)

        def post(self, path, data):
            return client.post(
                "/api/v1" + path,
                json.dumps(data),
                content_type="application/json",
                HTTP_AUTHORIZATION=f"Bearer {token}",
            )

    return Api()


def test_openapi_document_is_served(client, staff):
    client.force_login(staff)  # MOORAGE_API_DOCS is "staff" by default (tests/api/test_permissions.py)
    resp = client.get("/api/v1/openapi.json")
    assert resp.status_code == 200
    paths = resp.json()["paths"]
    for path in (
        "/api/v1/clients",
        "/api/v1/orders",
        "/api/v1/invoices/{invoice_id}/payments",
        "/api/v1/services/{service_id}",
        "/api/v1/products",
        "/api/v1/order-pages",
    ):
        assert path in paths


@pytest.mark.parametrize("header", [None, "Bearer nope", "Bearer mrg_wrong", "Basic abc"])
def test_missing_or_wrong_token_is_401_and_changes_nothing(client, header, shared_page):
    kwargs = {"HTTP_AUTHORIZATION": header} if header else {}
    resp = client.post(
        "/api/v1/clients",
        json.dumps({"email": "x@example.com", "password": "Xx-12345678"}),
        content_type="application/json",
        **kwargs,
    )
    assert resp.status_code == 401
    assert resp.json()["code"] == "unauthorized"
    assert resp.json()["message"]
    assert not Client.objects.exists()
    assert client.get("/api/v1/products", **kwargs).status_code == 401


def test_token_of_non_staff_or_revoked_is_refused(client, staff, token):
    staff.api_tokens.update(revoked=True)
    assert client.get("/api/v1/products", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 401


def test_create_and_get_client(api):
    resp = api.post(
        "/clients",
        {
            "email": "New@Example.com",
            "password": "Str0ng-pass!",
            "first_name": "Ann",
            "last_name": "Lee",
            "country": "de",
        },
    )
    assert resp.status_code == 201, resp.content
    body = resp.json()
    assert body["email"] == "new@example.com"
    assert body["country"] == "DE"
    assert body["credit_balance"] == "0.00"
    assert api.get(f"/clients/{body['id']}").json()["first_name"] == "Ann"


def test_create_client_twice_is_409_with_field(api):
    data = {"email": "dup@example.com", "password": "Str0ng-pass!", "first_name": "A", "last_name": "B"}
    assert api.post("/clients", data).status_code == 201
    resp = api.post("/clients", {**data, "email": "DUP@example.com"})
    assert resp.status_code == 409
    assert resp.json()["field"] == "email"
    assert Client.objects.count() == 1


def test_api_honours_registration_fields(api):
    ensure_builtin_fields()
    RegistrationField.objects.filter(key="phone").update(required=True)
    RegistrationField.objects.create(key="vat_id", label="VAT ID", kind="text", required=True, sort_order=1000)
    RegistrationField.objects.create(key="plan", label="Plan", kind="select", options="small\nbig", sort_order=1001)
    base = {"email": "c@example.com", "first_name": "A", "last_name": "B"}
    resp = api.post("/clients", base)
    assert resp.status_code == 400 and resp.json()["field"] == "phone"
    resp = api.post("/clients", {**base, "phone": "+49 1"})
    assert resp.status_code == 400 and resp.json()["field"] == "vat_id"
    resp = api.post("/clients", {**base, "phone": "+49 1", "custom_fields": {"vat_id": "DE1", "plan": "huge"}})
    assert resp.status_code == 400 and resp.json()["field"] == "plan"
    resp = api.post("/clients", {**base, "phone": "+49 1", "custom_fields": {"vat_id": "DE1", "plan": "big"}})
    assert resp.status_code == 201
    assert resp.json()["custom_fields"] == {"vat_id": "DE1", "plan": "big"}


def test_validation_error_names_the_field(api):
    resp = api.post("/clients", {"password": "x"})
    assert resp.status_code == 422
    assert resp.json()["field"] == "email"


def test_unknown_ids_are_404(api):
    for path in ("/clients/999", "/orders/999", "/invoices/999", "/services/999"):
        resp = api.get(path)
        assert resp.status_code == 404, path
        assert resp.json()["field"] == "id"


def test_catalog_lists(api, shared_page):
    pages = api.get("/order-pages").json()
    assert [p["slug"] for p in pages] == ["shared-hosting"]
    products = api.get("/products").json()
    assert [p["name"] for p in products] == [
        "Starter Hosting",
        "Business Hosting",
        "Premium Hosting",
        "Ultimate Hosting",
    ]
    assert products[0]["prices"][0] == {
        "cycle": "monthly",
        "amount": "4.99",
        "setup_fee": "0.00",
        "upgrade_fee": "0.00",
    }


def test_order_payment_and_service_through_the_api(api, starter, client_account, settings):
    settings.MOORAGE_CLOCK_DATE = "2026-01-15"
    resp = api.post(
        "/orders",
        {
            "client_id": client_account.pk,
            "items": [{"product_id": starter.pk, "cycle": "monthly", "hostname": "shop.example"}],
        },
    )
    assert resp.status_code == 201, resp.content
    order = resp.json()
    invoice = order["invoice"]
    assert invoice["total"] == "4.99" and invoice["status"] == "unpaid" and invoice["amount_due"] == "4.99"
    service_id = order["items"][0]["service"]["id"]
    assert api.get(f"/services/{service_id}").json()["status"] == "pending"

    pay = {"amount": "4.99", "gateway": "bank_transfer", "transaction_id": "BANK-1"}
    resp = api.post(f"/invoices/{invoice['id']}/payments", pay)
    assert resp.status_code == 201, resp.content
    assert resp.json()["invoice"]["status"] == "paid"
    assert resp.json()["invoice"]["amount_paid"] == "4.99"
    service = api.get(f"/services/{service_id}").json()
    assert service["status"] == "active"
    assert service["start_date"] == "2026-01-15" and service["next_due_date"] == "2026-02-15"
    assert api.get(f"/orders/{order['id']}").json()["status"] == "active"

    # The same transaction again: the first payment, nothing new.
    resp = api.post(f"/invoices/{invoice['id']}/payments", pay)
    assert resp.status_code == 200 and resp.json()["created"] is False
    assert Payment.objects.count() == 1
    # The same transaction id with another amount: refused.
    resp = api.post(f"/invoices/{invoice['id']}/payments", {**pay, "amount": "1.00"})
    assert resp.status_code == 409 and resp.json()["field"] == "transaction_id"


def test_order_errors_name_the_item_field_and_create_nothing(api, starter, client_account):
    starter.visible = False
    starter.save()
    resp = api.post(
        "/orders",
        {
            "client_id": client_account.pk,
            "items": [{"product_id": starter.pk, "cycle": "monthly", "hostname": "a.example"}],
        },
    )
    assert resp.status_code == 400
    assert resp.json()["field"] == "items[0].product"
    starter.visible = True
    starter.save()
    resp = api.post(
        "/orders",
        {
            "client_id": client_account.pk,
            "items": [{"product_id": starter.pk, "cycle": "monthly", "hostname": "bad host"}],
        },
    )
    assert resp.status_code == 400 and resp.json()["field"] == "items[0].hostname"
    resp = api.post(
        "/orders",
        {
            "client_id": client_account.pk,
            "items": [{"product_id": starter.pk, "cycle": "weekly", "hostname": "a.example"}],
        },
    )
    assert resp.status_code == 400 and resp.json()["field"] == "items[0].cycle"
    assert not Order.objects.exists() and not Service.objects.exists() and not Invoice.objects.exists()


def test_payment_errors(api, starter, client_account):
    order = api.post(
        "/orders",
        {
            "client_id": client_account.pk,
            "items": [{"product_id": starter.pk, "cycle": "monthly", "hostname": "a.example"}],
        },
    ).json()
    inv = order["invoice"]["id"]
    # The shape of the amount is checked by the schema (422); the rules of payments by the action (400).
    for bad, field, status in (
        ({"amount": "abc"}, "amount", 422),
        ({"amount": "-1"}, "amount", 422),
        ({"gateway": "paypal"}, "gateway", 400),
        ({"transaction_id": " "}, "transaction_id", 400),
    ):
        resp = api.post(
            f"/invoices/{inv}/payments", {"amount": "1.00", "gateway": "bank_transfer", "transaction_id": "T", **bad}
        )
        assert resp.status_code == status, bad
        assert resp.json()["field"] == field
    assert not LedgerEntry.objects.filter(kind="payment").exists()


def test_paying_a_cancelled_invoice_is_refused(api, starter, client_account, now):
    from moorage.billing.actions import invoice_cancel

    order = api.post(
        "/orders",
        {
            "client_id": client_account.pk,
            "items": [{"product_id": starter.pk, "cycle": "monthly", "hostname": "a.example"}],
        },
    ).json()
    invoice_cancel(invoice_id=order["invoice"]["id"], now=now, cancelled_on=now.date(), actor=None)
    resp = api.post(
        f"/invoices/{order['invoice']['id']}/payments",
        {"amount": "4.99", "gateway": "bank_transfer", "transaction_id": "T9"},
    )
    assert resp.status_code == 400 and resp.json()["code"] == "invoice_cancelled"
    assert not Payment.objects.exists()


def test_api_token_command_prints_only_the_token(staff, capsys):
    call_command("api-token", "create", "--email", staff.email)
    out = capsys.readouterr().out.strip()
    assert out.startswith("mrg_") and "\n" not in out
    assert staff.api_tokens.count() == 1


def test_api_token_command_refuses_non_staff(db):
    from django.core.management.base import CommandError

    User.objects.create_user(email="c@example.com", password="x")
    with pytest.raises(CommandError):
        call_command("api-token", "create", "--email", "c@example.com")
    with pytest.raises(CommandError):
        call_command("api-token", "create", "--email", "nobody@example.com")


def test_order_with_an_idempotency_key_is_placed_once(client, token, starter, client_account):
    body = json.dumps(
        {
            "client_id": client_account.pk,
            "items": [{"product_id": starter.pk, "cycle": "monthly", "hostname": "once.example.com"}],
        }
    )
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}", "HTTP_IDEMPOTENCY_KEY": "retry-123"}
    first = client.post("/api/v1/orders", body, content_type="application/json", **headers)
    again = client.post("/api/v1/orders", body, content_type="application/json", **headers)
    assert first.status_code == again.status_code == 201
    assert first.json()["id"] == again.json()["id"]
    assert Order.objects.count() == 1 and Invoice.objects.count() == 1


def test_unreadable_body_is_a_json_error(client, token):
    resp = client.post(
        "/api/v1/orders", b"\x00{", content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {token}"
    )
    assert resp.status_code in (400, 422)
    body = resp.json()
    assert set(body) >= {"code", "message", "field"}
