"""REST API of the billing-side Client Functions: /api/v1/services/{id}/notes, status-updates,
auto-renewal, auto-payment: 404 for an unknown service, 403 `function_disabled` when the product does
not enable the function, and the same rules as the client area."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from moorage.api.actions import api_token_create
from moorage.core.models import AuditEntry
from moorage.servicefunctions.models import ServiceNote, ServiceOptions, StatusUpdate
from moorage.services.models import CancellationRequest, Service
from tests import factories

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2026, 1, 15, 9, 0, tzinfo=dt.UTC)

CALLS = [
    ("GET", "notes", None, "service_notes"),
    ("POST", "notes", {"body": "hi"}, "service_notes"),
    ("GET", "status-updates", None, "status_updates"),
    ("GET", "auto-renewal", None, "auto_renewal"),
    ("PUT", "auto-renewal", {"on": False}, "auto_renewal"),
    ("GET", "auto-payment", None, "auto_payment"),
    ("PUT", "auto-payment", {"on": True}, "auto_payment"),
]


@pytest.fixture
def service(client_account, starter, settings):  # noqa: ANN001, ANN201
    settings.MOORAGE_CLOCK_DATE = "2026-01-15"
    order = factories.checkout(client_account, starter, now=NOW)
    factories.pay(order.invoice, str(order.invoice.total), transaction_id="T-1", now=NOW)
    return Service.objects.get()


@pytest.fixture
def api(client, staff):  # noqa: ANN001, ANN201
    token = api_token_create(user=staff, now=NOW, actor=None)[1]

    def call(method: str, path: str, body: dict | None = None):  # noqa: ANN202
        return client.generic(
            method,
            "/api/v1" + path,
            json.dumps(body) if body is not None else "",
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {token}",
        )

    return call


@pytest.mark.parametrize(("method", "tail", "body", "code"), CALLS)
def test_a_disabled_function_is_refused_with_403(api, service, starter, method, tail, body, code):
    starter.client_functions = [c for c in starter.client_functions if c != code]
    starter.save()
    response = api(method, f"/services/{service.pk}/{tail}", body)
    assert response.status_code == 403, response.content
    assert response.json()["code"] == "function_disabled"
    assert not ServiceNote.objects.exists() and not ServiceOptions.objects.exists()
    assert not CancellationRequest.objects.exists()


@pytest.mark.parametrize(("method", "tail", "body", "code"), CALLS)
def test_an_unknown_service_is_404(api, service, method, tail, body, code):
    assert api(method, f"/services/{service.pk + 1000}/{tail}", body).status_code == 404


def test_notes_are_written_audited_and_listed_with_internal_ones(api, service):
    assert (
        api("POST", f"/services/{service.pk}/notes", {"body": "Visible", "visible_to_client": True}).status_code == 201
    )
    assert api("POST", f"/services/{service.pk}/notes", {"body": "Internal"}).status_code == 201
    rows = api("GET", f"/services/{service.pk}/notes").json()
    assert {(r["body"], r["visible_to_client"]) for r in rows} == {("Visible", True), ("Internal", False)}
    only = api("GET", f"/services/{service.pk}/notes?visible_to_client=true").json()
    assert [r["body"] for r in only] == ["Visible"]
    assert AuditEntry.objects.filter(object_id=str(service.pk), action="service_note_add").count() == 2


@pytest.mark.parametrize("body", [{"body": ""}, {"body": "x\x00y"}, {"body": "x" * 5001}])
def test_a_bad_note_is_refused(api, service, body):
    assert api("POST", f"/services/{service.pk}/notes", body).status_code in (400, 422)
    assert not ServiceNote.objects.exists()


def test_auto_renewal_and_auto_payment_switches(api, service):
    path = f"/services/{service.pk}/auto-renewal"
    assert api("GET", path).json()["on"] is True
    off = api("PUT", path, {"on": False}).json()
    assert off == {"on": False, "can_change": True, "refusal": "", "ends_on": "2026-02-14"}
    assert CancellationRequest.objects.get(service=service).status == "pending"
    assert api("PUT", path, {"on": True}).json()["on"] is True
    assert CancellationRequest.objects.get(service=service).status == "withdrawn"
    pay = f"/services/{service.pk}/auto-payment"
    assert api("PUT", pay, {"on": True}).json() == {"on": True}
    assert api("GET", pay).json() == {"on": True}
    assert api("PUT", pay, {"on": "maybe"}).status_code == 422


def test_status_updates_of_the_service(api, service, starter):
    update = StatusUpdate.objects.create(
        title="Network incident", severity="incident", starts_at=NOW - dt.timedelta(hours=1), created_at=NOW
    )
    update.products.set([starter])
    rows = api("GET", f"/services/{service.pk}/status-updates").json()
    assert [(r["title"], r["current"]) for r in rows] == [("Network incident", True)]


def test_the_openapi_document_lists_the_endpoints(client, staff):
    client.force_login(staff)
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    for tail in ("notes", "status-updates", "auto-renewal", "auto-payment"):
        assert f"/api/v1/services/{{service_id}}/{tail}" in paths
