"""History is append-only: issued invoices, lines, payments, ledger, audit rows, orders and services
cannot be added, changed or deleted in the staff area."""

from __future__ import annotations

import pytest
from django.urls import reverse

from moorage.billing.models import Invoice, LedgerEntry, Payment
from moorage.core.models import AuditEntry
from moorage.orders.models import Order
from moorage.payments.actions import payment_record
from moorage.services.models import Service

pytestmark = pytest.mark.django_db

READ_ONLY = [Invoice, Payment, LedgerEntry, AuditEntry, Order, Service]


@pytest.fixture
def paid_world(world, staff):  # noqa: ANN001, ANN201
    payment_record(
        invoice_id=world.invoice.pk,
        amount="4.99",
        gateway="bank_transfer",
        transaction_id="T-1",
        now=world.order.created_at,
        actor=staff,
    )
    return world


def _snapshot(model):  # noqa: ANN001, ANN202
    return list(model.objects.order_by("pk").values())


@pytest.mark.parametrize("model", READ_ONLY, ids=lambda m: m._meta.label)
def test_read_only_models_refuse_add_change_delete(browser, paid_world, model):
    info = (model._meta.app_label, model._meta.model_name)
    obj = model.objects.order_by("pk").first()
    before = _snapshot(model)
    assert browser.get(reverse("admin:{}_{}_add".format(*info))).status_code == 403
    assert browser.post(reverse("admin:{}_{}_add".format(*info)), {}).status_code == 403
    change = reverse("admin:{}_{}_change".format(*info), args=[obj.pk])
    page = browser.get(change)
    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()
    assert browser.post(change, {"status": "cancelled", "amount": "1.00", "memo": "edited"}).status_code == 403
    assert browser.post(reverse("admin:{}_{}_delete".format(*info), args=[obj.pk]), {"post": "yes"}).status_code == 403
    bulk = browser.post(
        reverse("admin:{}_{}_changelist".format(*info)),
        {"action": "delete_selected", "_selected_action": [obj.pk], "post": "yes"},
    )
    assert bulk.status_code in (200, 302)
    assert _snapshot(model) == before


def test_invoice_lines_are_not_editable_inline(browser, paid_world):
    from moorage.billing.models import InvoiceLine

    before = _snapshot(InvoiceLine)
    change = reverse("admin:billing_invoice_change", args=[paid_world.invoice.pk])
    line = InvoiceLine.objects.first()
    response = browser.post(
        change,
        {
            "lines-TOTAL_FORMS": 1,
            "lines-INITIAL_FORMS": 1,
            "lines-0-id": line.pk,
            "lines-0-amount": "0.01",
            "lines-0-DELETE": "on",
        },
    )
    assert response.status_code == 403
    assert _snapshot(InvoiceLine) == before
