"""`received_at` on POST /api/v1/invoices/{id}/payments: when the money arrived, within bounds."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from moorage.api.actions import api_token_create
from moorage.billing.models import Invoice, Payment
from moorage.core.clock import business_tz
from tests import factories

pytestmark = pytest.mark.django_db

CLOCK = "2026-01-15"  # noon in the business time zone


@pytest.fixture
def token(staff, now):
    return api_token_create(user=staff, now=now, actor=staff)[1]


@pytest.fixture
def invoice(settings, shared_page, client_account, now):
    settings.MOORAGE_CLOCK_DATE = CLOCK
    order = factories.checkout(client_account, shared_page.products.get(code="starter"), now=now)
    Invoice.objects.filter(pk=order.invoice_id).update(issue_date=dt.date(2026, 1, 10))
    return Invoice.objects.get(pk=order.invoice_id)


@pytest.fixture
def pay(client, token, invoice):
    def call(received_at, transaction_id="bank-1", amount=None):
        body = {"amount": amount or str(invoice.total), "transaction_id": transaction_id}
        if received_at is not ...:
            body["received_at"] = received_at
        return client.post(
            f"/api/v1/invoices/{invoice.pk}/payments",
            json.dumps(body),
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {token}",
        )

    return call


def test_a_past_date_is_stored_and_becomes_the_paid_date(pay, invoice, settings):
    resp = pay("2026-01-12")
    assert resp.status_code == 201, resp.content
    # A date is the start of that day in the business time zone.
    assert Payment.objects.get().received_at == dt.datetime(2026, 1, 12, tzinfo=business_tz())
    assert resp.json()["invoice"]["paid_date"] == "2026-01-12"
    invoice.refresh_from_db()
    assert invoice.paid_date == dt.date(2026, 1, 12)


def test_a_date_time_with_an_offset_is_kept_as_that_moment(pay):
    assert pay("2026-01-11T09:30:00+02:00").status_code == 201
    assert Payment.objects.get().received_at == dt.datetime(2026, 1, 11, 7, 30, tzinfo=dt.UTC)


def test_without_received_at_it_is_now(pay, invoice):
    assert pay(...).status_code == 201
    assert Payment.objects.get().received_at.date() == dt.date(2026, 1, 15)
    invoice.refresh_from_db()
    assert invoice.paid_date == dt.date(2026, 1, 15)


def test_today_is_accepted(pay):
    assert pay(CLOCK).status_code == 201


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("2026-01-16", "in_future"),
        ("2026-01-15T23:00:00+00:00", "in_future"),  # later today than the business clock's noon
        ("2027-01-01T00:00:00Z", "in_future"),
        ("2026-01-09", "received_before_invoice"),
        ("2025-06-01T10:00:00Z", "received_before_invoice"),
    ],
)
def test_future_or_before_the_invoice_is_422_naming_the_field(pay, value, code, unchanged):
    with unchanged():
        resp = pay(value)
    assert resp.status_code == 422, resp.content
    assert resp.json()["field"] == "received_at"
    assert resp.json()["code"] == code


@pytest.mark.parametrize(
    "value",
    [
        "yesterday",
        "2026-02-30",
        "2026-01-10T25:00:00",
        "0001-01-01T00:00:00+23:59",  # before year 1 in UTC
        "9999-12-31T23:59:59-23:59",  # after year 9999 in UTC
        5,
        [],
        "",
    ],
)
def test_malformed_received_at_is_422(pay, value, unchanged):
    with unchanged():
        resp = pay(value)
    assert resp.status_code == 422, resp.content
    assert resp.json()["field"] == "received_at"
