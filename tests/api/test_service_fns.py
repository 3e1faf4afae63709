"""REST API for the billing-side client functions: label, ownership (request, approve, reject), logs
and manual renew under /api/v1/services/{id}/..., with staff permissions only (the product's Client
Functions list is a client-area rule)."""

from __future__ import annotations

import json

import pytest

from moorage.api.actions import api_token_create
from moorage.billing.models import Invoice
from moorage.catalog.models import Product
from moorage.services.actions import service_transfer_request
from moorage.services.models import Service, ServiceTransfer
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clock(settings):  # noqa: ANN001, ANN202
    settings.MOORAGE_CLOCK_DATE = "2026-01-15"


@pytest.fixture
def api(client, staff, now):  # noqa: ANN001, ANN201
    token = api_token_create(user=staff, now=now, actor=staff)[1]
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}

    class Api:
        def get(self, path: str):  # noqa: ANN202
            return client.get("/api/v1" + path, **auth)

        def post(self, path: str, data: object = None):  # noqa: ANN202
            return client.post("/api/v1" + path, json.dumps(data or {}), content_type="application/json", **auth)

    return Api()


@pytest.fixture
def service(client_account, shared_page, now):  # noqa: ANN001, ANN201
    product = factories.product(shared_page, name="Plain")
    order = factories.checkout(client_account, product, now=now)
    factories.pay(order.invoice, "10.00", transaction_id="T-1", now=now)
    return Service.objects.get(order_item__order=order)


def test_paths_are_in_the_openapi_document(client, staff):
    client.force_login(staff)
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    for path in (
        "/api/v1/services/{service_id}/label",
        "/api/v1/services/{service_id}/logs",
        "/api/v1/services/{service_id}/ownership",
        "/api/v1/services/{service_id}/ownership/{transfer_id}/approve",
        "/api/v1/services/{service_id}/ownership/{transfer_id}/reject",
        "/api/v1/services/{service_id}/renew",
    ):
        assert path in paths


def test_label(api, service):
    response = api.post(f"/services/{service.pk}/label", {"label": "Shop"})
    assert response.status_code == 200 and response.json() == {"id": service.pk, "label": "Shop"}
    for bad in ("x" * 101, "a\u202eb", "nul\x00"):
        assert api.post(f"/services/{service.pk}/label", {"label": bad}).status_code in (400, 422)
    service.refresh_from_db()
    assert service.label == "Shop"
    assert api.post("/services/999999/label", {"label": "x"}).status_code == 404


def test_the_api_follows_the_products_client_functions_list(api, service):
    """The issue's rule: the API has the same permission *and enablement* rules as the client area."""
    Product.objects.filter(pk=service.product_id).update(client_functions=[])
    response = api.post(f"/services/{service.pk}/label", {"label": "Staff set"})
    assert response.status_code == 403 and response.json()["code"] == "function_disabled"
    Product.objects.filter(pk=service.product_id).update(client_functions=["change_label"])
    assert api.post(f"/services/{service.pk}/label", {"label": "Staff set"}).status_code == 200


def test_renew_twice_gives_the_same_invoice(api, service, client_account):
    first = api.post(f"/services/{service.pk}/renew")
    second = api.post(f"/services/{service.pk}/renew")
    assert first.status_code == 201 and second.status_code == 200
    assert first.json()["invoice_id"] == second.json()["invoice_id"]
    assert second.json()["created"] is False
    assert Invoice.objects.filter(kind=Invoice.Kind.RENEWAL, client=client_account).count() == 1


def test_ownership_by_staff_and_unknown_address(api, service, now):
    heir = factories.client(now=now, email="heir@example.com")
    assert api.post(f"/services/{service.pk}/ownership", {"email": "nobody@example.com"}).status_code == 404
    response = api.post(f"/services/{service.pk}/ownership", {"email": "HEIR@example.com"})
    assert response.status_code == 201 and response.json()["status"] == "done"
    service.refresh_from_db()
    assert service.client == heir
    listed = api.get(f"/services/{service.pk}/ownership").json()
    assert [t["status"] for t in listed] == ["done"]


def test_approve_and_reject_only_the_services_own_requests(api, service, client_account, shared_page, now):
    factories.client(now=now, email="heir@example.com")
    transfer = service_transfer_request(
        service_id=service.pk, email="heir@example.com", now=now, actor=client_account.user, client_id=client_account.pk
    )
    other = factories.checkout(factories.client(now=now), factories.product(shared_page, name="B"), now=now)
    other_service = other.items.get().service_id
    # A transfer id under another service's path is not found there.
    assert api.post(f"/services/{other_service}/ownership/{transfer.pk}/approve").status_code == 404
    assert api.post(f"/services/{other_service}/ownership/{transfer.pk}/reject").status_code == 404
    response = api.post(f"/services/{service.pk}/ownership/{transfer.pk}/reject", {"note": "ask them first"})
    assert response.status_code == 200 and response.json()["status"] == "rejected"
    assert api.post(f"/services/{service.pk}/ownership/{transfer.pk}/approve").status_code == 400
    transfer.refresh_from_db()
    assert transfer.status == ServiceTransfer.Status.REJECTED and transfer.note == "ask them first"


def test_logs_are_paged_newest_first(api, service):
    for i in range(5):
        api.post(f"/services/{service.pk}/label", {"label": f"L{i}"})
    page = api.get(f"/services/{service.pk}/logs?limit=2").json()
    assert [e["detail"] for e in page["items"]] == ["Label changed to “L4”", "Label changed to “L3”"]
    assert page["next_offset"] == 2
    rest = api.get(f"/services/{service.pk}/logs?limit=200&offset=2").json()
    assert rest["next_offset"] is None and len(rest["items"]) >= 3
    assert api.get(f"/services/{service.pk}/logs?limit=0").status_code == 422
    assert api.get(f"/services/{service.pk}/logs?limit=201").status_code == 422
