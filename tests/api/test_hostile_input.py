"""Hostile input to the REST API: every refusal is a 4xx JSON answer naming the field; nothing is stored.

The NUL and over-long cases are the ones PostgreSQL turns into a 500 (DataError, ValueError) while
SQLite silently stores them, so this file must pass on both databases.
"""

from __future__ import annotations

import json

import pytest
from django.db import connection
from django.test import Client as DjangoClient

from moorage.api.actions import api_token_create
from moorage.billing.models import Invoice, Payment
from moorage.customers.models import Client
from moorage.orders.models import Order
from tests import factories
from tests.threads import race

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


@pytest.mark.parametrize("content_type", ["application/json", "application/x-www-form-urlencoded", "text/plain"])
@pytest.mark.parametrize("path", ["/clients", "/orders", "/invoices/1/payments"])
def test_a_20_mb_body_is_413_json(http, path, content_type, unchanged):
    body = json.dumps({"notes": "x" * (20 * 1024 * 1024)})
    with unchanged():
        resp = http.post("/api/v1" + path, body, content_type=content_type)
    assert_refused(resp, 413)
    assert "bytes" in resp.json()["message"]


def test_an_unexpected_error_is_a_json_500_and_is_logged(http, client_account, monkeypatch, caplog):
    from moorage.api import endpoints

    def broken(client):
        raise RuntimeError("a bug")

    monkeypatch.setattr(endpoints, "client_out", broken)
    resp = http.get(f"/api/v1/clients/{client_account.pk}")
    body = assert_refused(resp, 500)
    assert body["code"] == "server_error" and "a bug" not in resp.content.decode()
    assert "a bug" in caplog.text


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


# -- Idempotency-Key ---------------------------------------------------------------------------------


def order_body(client_account, starter, **extra):
    return {"client_id": client_account.pk, "items": [item(starter)], **extra}


def test_the_same_key_and_request_returns_the_first_order(http, starter, client_account):
    body = order_body(client_account, starter)
    first = post(http, "/orders", body, HTTP_IDEMPOTENCY_KEY="k-1")
    # Another spelling of the same request (key order, defaults written out) is the same request.
    again = post(http, "/orders", json.dumps({"notes": "", **body}, indent=2), HTTP_IDEMPOTENCY_KEY="k-1")
    assert first.status_code == again.status_code == 201, again.content
    assert first.json()["id"] == again.json()["id"]
    assert "Idempotent-Replayed" not in first and again["Idempotent-Replayed"] == "true"
    assert Order.objects.count() == 1


@pytest.mark.parametrize(
    "change",
    [
        {"notes": "other"},
        {"items": [{"product_id": 0}]},  # refused by the schema before the key is looked at
        "hostname",
        "client",
    ],
)
def test_the_same_key_with_another_request_is_409_never_the_first_result(http, starter, client_account, now, change):
    body = order_body(client_account, starter)
    first = post(http, "/orders", body, HTTP_IDEMPOTENCY_KEY="k-1")
    assert first.status_code == 201
    if change == "hostname":
        other = order_body(client_account, starter, items=[item(starter, hostname="b.example")])
    elif change == "client":
        other = order_body(factories.client(now=now), starter)
    else:
        other = {**body, **change}
    resp = post(http, "/orders", other, HTTP_IDEMPOTENCY_KEY="k-1")
    if resp.status_code == 422:
        assert change == {"items": [{"product_id": 0}]}
    else:
        refused = assert_refused(resp, 409, "Idempotency-Key")
        assert refused["code"] == "idempotency_key_reused"
        assert "different request" in refused["message"]
        assert str(first.json()["id"]) not in resp.content.decode()
    assert Order.objects.count() == 1


def test_a_key_belongs_to_the_token_user(client, token, staff, now, starter, client_account):
    other_staff = factories.staff_user(email="other-staff@example.com")
    other_token = api_token_create(user=other_staff, now=now, actor=other_staff)[1]
    body = json.dumps(order_body(client_account, starter))
    mine = client.post(
        "/api/v1/orders",
        body,
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
        HTTP_IDEMPOTENCY_KEY="shared",
    )
    theirs = client.post(
        "/api/v1/orders",
        body,
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {other_token}",
        HTTP_IDEMPOTENCY_KEY="shared",
    )
    assert mine.status_code == theirs.status_code == 201
    assert mine.json()["id"] != theirs.json()["id"]  # the other user never sees my order through my key
    assert "Idempotent-Replayed" not in theirs
    assert Order.objects.count() == 2


def test_a_refused_checkout_leaves_the_key_free(http, starter, client_account):
    starter.visible = False
    starter.save()
    body = order_body(client_account, starter)
    assert post(http, "/orders", body, HTTP_IDEMPOTENCY_KEY="k-2").status_code == 400
    starter.visible = True
    starter.save()
    assert post(http, "/orders", body, HTTP_IDEMPOTENCY_KEY="k-2").status_code == 201
    assert Order.objects.count() == 1


@pytest.mark.parametrize("key", ["k" * 65, "with space", "tab\there", "ü"])
def test_a_malformed_key_is_422(http, starter, client_account, key, unchanged):
    with unchanged():
        resp = post(http, "/orders", order_body(client_account, starter), HTTP_IDEMPOTENCY_KEY=key)
    assert_refused(resp, 422, "Idempotency-Key")


def test_the_key_of_a_deleted_order_is_409(http, starter, client_account):
    body = order_body(client_account, starter)
    first = post(http, "/orders", body, HTTP_IDEMPOTENCY_KEY="k-3")
    Order.objects.filter(pk=first.json()["id"]).update(invoice=None)
    Order.objects.filter(pk=first.json()["id"]).delete()
    resp = post(http, "/orders", body, HTTP_IDEMPOTENCY_KEY="k-3")
    assert assert_refused(resp, 409, "Idempotency-Key")["code"] == "idempotency_key_used"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="real concurrency needs PostgreSQL")
def test_two_requests_with_one_key_at_the_same_moment_place_one_order(token, starter, client_account):
    body = json.dumps(order_body(client_account, starter))

    def send():
        http = DjangoClient(raise_request_exception=False, HTTP_AUTHORIZATION=f"Bearer {token}")
        return post(http, "/orders", body, HTTP_IDEMPOTENCY_KEY="race-1")

    results = race(send, send, send)
    assert [r.status_code for r in results] == [201, 201, 201], [r.content[:200] for r in results]
    assert len({r.json()["id"] for r in results}) == 1
    assert sorted(r.get("Idempotent-Replayed", "") for r in results) == ["", "true", "true"]
    assert Order.objects.count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="real concurrency needs PostgreSQL")
def test_one_key_with_two_requests_at_the_same_moment_places_one_order_and_refuses_the_other(
    token, starter, client_account
):
    bodies = [json.dumps(order_body(client_account, starter, notes=n)) for n in ("a", "b")]

    def send(body):
        http = DjangoClient(raise_request_exception=False, HTTP_AUTHORIZATION=f"Bearer {token}")
        return post(http, "/orders", body, HTTP_IDEMPOTENCY_KEY="race-2")

    results = race(*[lambda b=b: send(b) for b in bodies])
    assert sorted(r.status_code for r in results) == [201, 409], [r.content[:200] for r in results]
    assert Order.objects.count() == 1


def test_old_idempotency_keys_are_pruned_and_their_orders_stay(
    http, starter, client_account, settings, capsys, unchanged
):
    from django.core.management import call_command
    from django.core.management.base import CommandError

    from moorage.api.models import IdempotencyKey

    settings.MOORAGE_CLOCK_DATE = "2026-01-15"
    body = order_body(client_account, starter)
    first = post(http, "/orders", body, HTTP_IDEMPOTENCY_KEY="old")
    settings.MOORAGE_CLOCK_DATE = "2026-02-13"
    post(http, "/orders", order_body(client_account, starter, notes="new"), HTTP_IDEMPOTENCY_KEY="new")
    settings.MOORAGE_CLOCK_DATE = "2026-02-15"  # "old" is 31 days old, "new" 2 days
    call_command("api-idempotency-keys", "prune")
    assert capsys.readouterr().out.strip() == "1 idempotency keys removed"
    assert list(IdempotencyKey.objects.values_list("key", flat=True)) == ["new"]
    assert Order.objects.filter(pk=first.json()["id"]).exists()
    with unchanged(), pytest.raises(CommandError):
        call_command("api-idempotency-keys", "prune", "--days", "0")
