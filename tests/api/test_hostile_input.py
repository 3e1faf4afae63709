"""Hostile input to the REST API: every refusal is a 4xx JSON answer naming the field; nothing is stored.

The NUL and over-long cases are the ones PostgreSQL turns into a 500 (DataError, ValueError) while
SQLite silently stores them, so this file must pass on both databases.
"""

from __future__ import annotations

import json

import pytest
from django.test import Client as DjangoClient

from moorage.api.actions import api_token_create
from moorage.billing.models import Invoice, Payment
from moorage.customers.models import Client
from moorage.orders.models import Order

pytestmark = pytest.mark.django_db

BIG_ID = 2**63  # one past PostgreSQL's bigint


@pytest.fixture
def token(staff, now):
    return api_token_create(user=staff, now=now, actor=staff)[1]


@pytest.fixture
def http(token):
    """A test client that sends the bearer token and never re-raises: a 500 must show as a 500."""
    return DjangoClient(raise_request_exception=False, HTTP_AUTHORIZATION=f"Bearer {token}")


def post(http, path, data, **headers):
    body = data if isinstance(data, (bytes, str)) else json.dumps(data)
    return http.post("/api/v1" + path, body, content_type="application/json", **headers)


def assert_refused(resp, status, field=None):
    assert resp.status_code == status, (resp.status_code, resp.content[:300])
    assert resp["Content-Type"].startswith("application/json"), resp["Content-Type"]
    body = resp.json()
    assert {"code", "message", "field"} <= set(body), body
    assert body["message"]
    if field is not None:
        assert body["field"] == field, body
    return body


def item(product, **extra):
    return {"product_id": product.pk, "cycle": "monthly", "hostname": "a.example", **extra}


@pytest.fixture
def invoice_id(http, starter, client_account):
    resp = post(
        http,
        "/orders",
        {
            "client_id": client_account.pk,
            "items": [{"product_id": starter.pk, "cycle": "monthly", "hostname": "a.example"}],
        },
    )
    assert resp.status_code == 201, resp.content
    return resp.json()["invoice"]["id"]


PAYMENT = {"amount": "1.00", "gateway": "bank_transfer", "transaction_id": "T-1"}


# -- payment amounts ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "amount",
    [
        "1e999999",
        "1E+5",
        "1e5",
        "NaN",
        "nan",
        "sNaN",
        "Infinity",
        "-Infinity",
        "0.001",
        "1.005",
        "-1",
        "-0.01",
        "0",
        "0.00",
        "12345678901",
        "99999999999.99",
        "1" * 5000,
        "1.5.5",
        "abc",
        "",
        " ",
        "١٢",  # Arabic-Indic digits: Decimal() reads them, a bank amount never has them
        "1_000",
        "0x10",
        10,
        1.5,
        True,
        None,
        ["1"],
    ],
)
def test_hostile_payment_amounts_are_422_on_amount(http, invoice_id, amount):
    resp = post(http, f"/invoices/{invoice_id}/payments", {**PAYMENT, "amount": amount})
    assert_refused(resp, 422, "amount")
    assert not Payment.objects.exists()


@pytest.mark.parametrize("amount", ["0.01", "4.99", "9999999999.99", "007.5", " 2.50 "])
def test_plain_decimal_amounts_are_accepted(http, invoice_id, amount):
    resp = post(http, f"/invoices/{invoice_id}/payments", {**PAYMENT, "amount": amount})
    assert resp.status_code == 201, resp.content
    assert resp.json()["amount"] == str(Payment.objects.get().amount)


def test_a_payment_in_another_currency_than_the_invoice_is_refused(http, invoice_id):
    resp = post(http, f"/invoices/{invoice_id}/payments", {**PAYMENT, "currency": "XXX"})
    assert_refused(resp, 400, "currency")
    resp = post(http, f"/invoices/{invoice_id}/payments", {**PAYMENT, "currency": "eu"})
    assert_refused(resp, 422, "currency")
    assert not Payment.objects.exists()
    currency = Invoice.objects.get(pk=invoice_id).currency
    assert post(http, f"/invoices/{invoice_id}/payments", {**PAYMENT, "currency": currency}).status_code == 201


# -- text: lengths and NUL characters ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "limit"),
    [("transaction_id", 128), ("note", 300), ("gateway", 32)],
)
def test_over_long_payment_texts_are_422_before_the_database(http, invoice_id, field, limit):
    resp = post(http, f"/invoices/{invoice_id}/payments", {**PAYMENT, field: "x" * (limit + 1)})
    assert_refused(resp, 422, field)
    assert not Payment.objects.exists()


def test_payment_texts_at_the_column_size_are_stored_and_read_back(http, invoice_id):
    resp = post(
        http,
        f"/invoices/{invoice_id}/payments",
        {**PAYMENT, "transaction_id": "ü" * 128, "note": "€" * 300},
    )
    assert resp.status_code == 201, resp.content
    payment = Payment.objects.get()
    assert payment.transaction_id == "ü" * 128 and payment.note == "€" * 300


CLIENT_LIMITS = {
    "email": 254,
    "first_name": 100,
    "last_name": 100,
    "organization": 200,
    "address1": 200,
    "address2": 200,
    "city": 100,
    "state": 100,
    "zip_code": 20,
    "phone": 40,
    "group": 100,
    "status": 20,
    "account_type": 20,
}


def client_body(**extra):
    return {"email": "new@example.com", "password": "Str0ng-pass!", "first_name": "A", "last_name": "B", **extra}


@pytest.mark.parametrize(("field", "limit"), sorted(CLIENT_LIMITS.items()))
def test_over_long_client_fields_are_422(http, field, limit):
    value = "a" * (limit - len("@example.com") + 1) + "@example.com" if field == "email" else "a" * (limit + 1)
    resp = post(http, "/clients", client_body(**{field: value}))
    assert_refused(resp, 422, field)
    assert not Client.objects.exists()


def test_over_long_custom_field_answers_and_keys_are_422(http):
    resp = post(http, "/clients", client_body(custom_fields={"vat_id": "x" * 1001}))
    assert_refused(resp, 422)
    resp = post(http, "/clients", client_body(custom_fields={"k" * 51: "x"}))
    assert_refused(resp, 422)
    resp = post(http, "/clients", client_body(custom_fields={f"k{i}": "x" for i in range(101)}))
    assert_refused(resp, 422, "custom_fields")
    assert not Client.objects.exists()


def test_over_long_order_texts_are_422(http, starter, client_account):
    item = {"product_id": starter.pk, "cycle": "monthly"}
    for body, field in (
        ({"items": [{**item, "hostname": "a" * 254}]}, "items.0.hostname"),
        ({"items": [{**item, "cycle": "m" * 17}]}, "items.0.cycle"),
        ({"items": [item], "notes": "n" * 10001}, "notes"),
        ({"items": [item] * 101}, "items"),
    ):
        resp = post(http, "/orders", {"client_id": client_account.pk, **body})
        assert_refused(resp, 422, field)
    assert not Order.objects.exists()


NUL = "\x00a"  # two characters: fits even the country column


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        *[("/clients", client_body(**{f: NUL}), f) for f in sorted(CLIENT_LIMITS) + ["password", "country"]],
        ("/clients", client_body(custom_fields={"vat_id": NUL}), "custom_fields"),
        ("/clients", client_body(custom_fields={NUL: "x"}), "custom_fields"),
        ("/orders", {"client_id": 1, "items": [{"product_id": 1, "hostname": NUL}]}, "items.0.hostname"),
        ("/orders", {"client_id": 1, "items": [{"product_id": 1, "cycle": NUL}]}, "items.0.cycle"),
        ("/orders", {"client_id": 1, "items": [{"product_id": 1}], "notes": NUL}, "notes"),
    ],
)
def test_nul_characters_are_422_naming_the_field(http, path, body, field, unchanged):
    with unchanged():
        resp = post(http, path, body)
    body = assert_refused(resp, 422)
    assert body["field"].startswith(field), body
    assert "NUL" in body["message"]


@pytest.mark.parametrize("field", ["amount", "gateway", "transaction_id", "note", "currency"])
def test_nul_characters_in_payments_are_422(http, invoice_id, field):
    resp = post(http, f"/invoices/{invoice_id}/payments", {**PAYMENT, field: "1\x00"})
    assert_refused(resp, 422, field)
    assert not Payment.objects.exists()


def test_unicode_text_is_stored_and_read_back(http):
    text = "Zoë 🚢 日本 \u200b\t"
    resp = post(http, "/clients", client_body(first_name=text.strip(), city="Köln", custom_fields={}))
    assert resp.status_code == 201, resp.content
    again = http.get(f"/api/v1/clients/{resp.json()['id']}")
    assert again.status_code == 200 and again.json()["first_name"] == text.strip()


# -- ids ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", [0, -1, BIG_ID, 2**64, 10**30, -(2**63) - 1])
@pytest.mark.parametrize("path", ["/clients/{}", "/orders/{}", "/invoices/{}", "/services/{}"])
def test_out_of_range_path_ids_are_404_or_422(http, path, value):
    resp = http.get("/api/v1" + path.format(value))
    assert resp.status_code in (404, 422), resp.content[:300]
    assert resp.json()["code"]


@pytest.mark.parametrize("value", [0, -1, BIG_ID, 10**30])
def test_out_of_range_ids_in_query_and_body_are_4xx(http, invoice_id, value, starter, client_account):
    resp = http.get(f"/api/v1/products?order_page_id={value}")
    assert resp.status_code in (200, 422), resp.content[:300]
    if resp.status_code == 200:
        assert resp.json() == []
    resp = post(http, "/orders", {"client_id": value, "items": [{"product_id": starter.pk}]})
    assert_refused(resp, 422, "client_id")
    resp = post(http, "/orders", {"client_id": client_account.pk, "items": [{"product_id": value}]})
    assert_refused(resp, 422, "items.0.product_id")
    resp = post(http, f"/invoices/{value}/payments", PAYMENT)
    assert resp.status_code in (404, 422)


# -- bodies ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/clients", "/orders", "/invoices/1/payments"])
def test_a_20_mb_body_is_413_json(http, path, unchanged):
    body = json.dumps({"notes": "x" * (20 * 1024 * 1024)})
    with unchanged():
        resp = post(http, path, body)
    assert_refused(resp, 413)


def test_the_body_limit_comes_from_django_settings(http, settings, client_account, starter):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    body = {
        "client_id": client_account.pk,
        "items": [{"product_id": starter.pk, "cycle": "monthly", "hostname": "a.example"}],
    }
    assert_refused(post(http, "/orders", {**body, "notes": "x" * 1000}), 413)
    assert post(http, "/orders", body).status_code == 201


@pytest.mark.parametrize(
    "raw",
    [
        "[" * 100_000,
        "{" * 100_000,
        '{"a":' * 100_000,
        "[" * 500 + "]" * 500,
        '{"email": "x@example.com", "custom_fields": {"vat_id": ' + "[" * 400 + "]" * 400 + "}}",
    ],
)
@pytest.mark.parametrize("path", ["/clients", "/orders"])
def test_deeply_nested_json_is_a_4xx_json_answer(http, path, raw, unchanged):
    with unchanged():
        resp = post(http, path, raw)
    assert resp.status_code in (400, 422), resp.content[:300]
    assert set(resp.json()) >= {"code", "message", "field"}


@pytest.mark.parametrize("raw", ['{"client_id": NaN, "items": []}', '{"client_id": Infinity, "items": []}', "\ud800"])
def test_non_json_literals_are_400(http, raw):
    resp = post(http, "/orders", raw.encode("utf-8", "surrogatepass"))
    assert_refused(resp, 400)


def test_huge_integer_literal_is_a_4xx(http):
    resp = post(http, "/orders", '{"client_id": ' + "9" * 5000 + ', "items": []}')
    assert resp.status_code in (400, 422)
    assert resp.json()["code"]


# -- the payment action itself (the staff form and any other caller) ------------------------------


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"amount": "1e999999"}, "amount"),
        ({"amount": "-1e999999"}, "amount"),
        ({"amount": "0.004"}, "amount"),
        ({"amount": "9999999999.996"}, "amount"),
        ({"amount": "NaN"}, "amount"),
        ({"transaction_id": "x" * 129}, "transaction_id"),
        ({"transaction_id": "T\x00"}, "transaction_id"),
        ({"note": "n" * 301}, "note"),
        ({"note": "\x00"}, "note"),
        ({"currency": "XXX"}, "currency"),
    ],
)
def test_payment_record_refuses_hostile_values_with_a_domain_error(invoice_id, kwargs, field, now, unchanged):
    from moorage.core.errors import DomainError
    from moorage.payments.actions import payment_record

    args = {"amount": "1.00", "gateway": "bank_transfer", "transaction_id": "T-1", "note": "", **kwargs}
    with unchanged(), pytest.raises(DomainError) as err:
        payment_record(invoice_id=invoice_id, now=now, actor=None, **args)
    assert err.value.field == field
