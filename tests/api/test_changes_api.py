"""REST API v1 for a service's changes: upgrade options, upgrades, cancellation and its withdrawal,
usage. The same actions and refusals as the staff screens, with their permissions."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission

from moorage.api.actions import api_token_create
from moorage.billing.models import Invoice
from moorage.core.models import User
from moorage.metering.models import MeteredPrice, UsageSample
from moorage.services.models import CancellationRequest, Service
from moorage.upgrades.models import UpgradeRequest
from tests.upgrades.conftest import CHANGE, active_service

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clock(settings):
    settings.MOORAGE_CLOCK_DATE = CHANGE.isoformat()  # 2026-01-17 00:05, half-way through January


@pytest.fixture
def token(staff, now):
    return api_token_create(user=staff, now=now, actor=staff)[1]


@pytest.fixture
def call(client, token):
    def send(method, path, data=None, token_=None):
        kwargs = {"HTTP_AUTHORIZATION": f"Bearer {token_ or token}"}
        if data is not None:
            kwargs.update(data=json.dumps(data), content_type="application/json")
        return getattr(client, method)("/api/v1" + path, **kwargs)

    return send


@pytest.fixture
def plans(shared_page):
    """(Starter, Business), each an Available Upgrade of the other."""
    starter = shared_page.products.get(code="starter")
    business = shared_page.products.get(code="business")
    starter.available_upgrades.add(business)
    business.available_upgrades.add(starter)
    return starter, business


@pytest.fixture
def service(plans, client_account):
    starter, _ = plans
    return active_service(client_account, starter)


def test_upgrade_options_show_the_pro_rata_price_or_the_refusal(call, service, plans):
    starter, business = plans
    resp = call("get", f"/services/{service.pk}/upgrade-options")
    assert resp.status_code == 200, resp.content
    options = {(o["product_id"], o["cycle"]): o for o in resp.json()}
    up = options[(business.pk, "monthly")]
    assert up["possible"] and up["kind"] == "upgrade"
    assert Decimal(up["charge"]) > 0 and up["period_end"] == "2026-02-01"
    yearly = options[(starter.pk, "annually")]
    assert yearly["kind"] == "cycle_change"
    Service.objects.filter(pk=service.pk).update(status="suspended")
    refused = call("get", f"/services/{service.pk}/upgrade-options").json()
    assert all(not o["possible"] and "active" in o["refusal"] for o in refused)


def test_upgrade_issues_the_upgrade_invoice_once(call, service, plans):
    _, business = plans
    resp = call("post", f"/services/{service.pk}/upgrades", {"product_id": business.pk, "cycle": "monthly"})
    assert resp.status_code == 201, resp.content
    body = resp.json()
    assert body["kind"] == "upgrade" and body["status"] == "pending_payment"
    invoice = Invoice.objects.get(pk=body["invoice_id"])
    assert invoice.kind == "upgrade" and str(invoice.total) == body["charge"]
    # A retry (or a second integrator) is refused while the first change waits for payment.
    again = call("post", f"/services/{service.pk}/upgrades", {"product_id": business.pk, "cycle": "monthly"})
    assert again.status_code == 409 and again.json()["code"] == "change_pending"
    assert UpgradeRequest.objects.count() == 1 and Invoice.objects.filter(kind="upgrade").count() == 1


@pytest.mark.parametrize(
    ("target", "field"),
    [
        ("unrelated", "product"),
        ("same", "cycle"),
        ("missing", "product"),
        ("one_time", "cycle"),
    ],
)
def test_upgrade_refusals_name_the_field_and_change_nothing(
    call, service, plans, shared_page, target, field, unchanged
):
    starter, _ = plans
    product_id, cycle = {
        "unrelated": (shared_page.products.exclude(pk__in=[p.pk for p in plans]).first().pk, "monthly"),
        "same": (starter.pk, "monthly"),
        "missing": (999999, "monthly"),
        "one_time": (starter.pk, "one_time"),
    }[target]
    with unchanged():
        resp = call("post", f"/services/{service.pk}/upgrades", {"product_id": product_id, "cycle": cycle})
    assert 400 <= resp.status_code < 500, resp.content
    assert resp.json()["field"] == field


def test_cancellation_request_and_withdrawal(call, service):
    resp = call("post", f"/services/{service.pk}/cancellation", {"type": "end_of_period", "reason": "moving"})
    assert resp.status_code == 201, resp.content
    assert resp.json()["status"] == "pending" and resp.json()["reason"] == "moving"
    twice = call("post", f"/services/{service.pk}/cancellation", {"type": "end_of_period", "reason": "again"})
    assert twice.status_code == 409
    withdrawn = call("delete", f"/services/{service.pk}/cancellation")
    assert withdrawn.status_code == 200 and withdrawn.json()["status"] == "withdrawn"
    assert call("delete", f"/services/{service.pk}/cancellation").status_code == 404
    assert CancellationRequest.objects.get().status == "withdrawn"


def test_immediate_cancellation_is_processed_at_once(call, service):
    resp = call("post", f"/services/{service.pk}/cancellation", {"type": "immediate", "reason": "done"})
    assert resp.status_code == 201, resp.content
    assert resp.json()["status"] == "processed"
    service.refresh_from_db()
    assert service.status == "cancelled"
    # Nothing to withdraw, and a cancelled service cannot be cancelled again.
    assert call("delete", f"/services/{service.pk}/cancellation").status_code == 404
    again = call("post", f"/services/{service.pk}/cancellation", {"type": "immediate", "reason": "x"})
    assert again.status_code == 400 and again.json()["field"] == "service"


@pytest.mark.parametrize(
    "body",
    [
        {"type": "whenever", "reason": "x"},
        {"type": "immediate", "reason": ""},
        {"type": "immediate", "reason": "x" * 2001},
        {"type": "immediate", "reason": "a\x00b"},
        {"type": "immediate"},
    ],
)
def test_hostile_cancellation_bodies_are_422(call, service, body, unchanged):
    with unchanged():
        assert call("post", f"/services/{service.pk}/cancellation", body).status_code == 422


def test_usage_for_the_period_so_far_priced(call, service, now):
    MeteredPrice.objects.create(product=service.product, resource="disk_mib", unit_price=Decimal("0.10"))
    UsageSample.objects.create(
        service=service, resource="disk_mib", value=Decimal("1500"), taken_at=dt.datetime(2026, 1, 10, tzinfo=dt.UTC)
    )
    resp = call("get", f"/services/{service.pk}/usage")
    assert resp.status_code == 200, resp.content
    body = resp.json()
    assert body["period_start"] == "2026-01-01" and body["period_end"] == "2026-01-31"
    (disk,) = body["metered"]
    assert disk["resource"] == "disk_mib" and disk["measured"]
    assert Decimal(body["estimate"]) == Decimal(body["recurring_amount"]) + Decimal(disk["estimate"])
    assert [r["resource"] for r in body["latest"]] == ["disk_mib"]


@pytest.mark.parametrize(
    ("method", "path", "body", "permission"),
    [
        ("get", "upgrade-options", None, "view_service"),
        ("post", "upgrades", {"product_id": 1, "cycle": "monthly"}, "change_service"),
        ("post", "cancellation", {"type": "immediate", "reason": "x"}, "add_cancellationrequest"),
        ("delete", "cancellation", None, "change_cancellationrequest"),
        ("get", "usage", None, "view_service"),
    ],
)
def test_each_operation_needs_the_staff_screens_permission(call, service, now, method, path, body, permission):
    user = User.objects.create_user(email="clerk@example.com", password="Xx-12345678", is_staff=True)
    clerk = api_token_create(user=user, now=now, actor=user)[1]
    with_view = ["view_service"] if permission != "view_service" else []
    user.user_permissions.add(*Permission.objects.filter(codename__in=with_view))
    resp = call(method, f"/services/{service.pk}/{path}", body, token_=clerk)
    assert resp.status_code == 403
    assert permission in resp.json()["message"]
    assert Service.objects.get(pk=service.pk).status == "active"


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("get", "upgrade-options", None),
        ("post", "upgrades", {"product_id": 1, "cycle": "monthly"}),
        ("post", "cancellation", {"type": "immediate", "reason": "x"}),
        ("delete", "cancellation", None),
        ("get", "usage", None),
    ],
)
def test_unknown_service_is_404(call, db, method, path, body):
    resp = call(method, f"/services/999999/{path}", body)
    assert resp.status_code == 404 and resp.json()["field"] == "id"


def test_read_only_token_cannot_change(call, service, staff, now, plans):
    _, business = plans
    reader = api_token_create(user=staff, now=now, actor=staff, scopes="read")[1]
    assert call("get", f"/services/{service.pk}/usage", token_=reader).status_code == 200
    up = call("post", f"/services/{service.pk}/upgrades", {"product_id": business.pk, "cycle": "monthly"}, reader)
    assert up.status_code == 403
    cancel = call("post", f"/services/{service.pk}/cancellation", {"type": "immediate", "reason": "x"}, reader)
    assert cancel.status_code == 403
    assert not UpgradeRequest.objects.exists() and not CancellationRequest.objects.exists()
