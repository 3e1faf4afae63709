"""Edit Forms changes that need an invoice wait for it: nothing of the service changes (answers,
components, renewals, panel limits) until the invoice is paid; a cancelled or withdrawn invoice
cancels the change; a lower price applies at once; one change waits per service, even under races."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.urls import reverse

from moorage.billing.actions import invoice_cancel
from moorage.billing.models import Invoice
from moorage.catalog import client_functions as cf
from moorage.core.errors import DomainError, NotFound
from moorage.core.models import AuditEntry
from moorage.orderforms.actions import (
    apply_paid_form_edits,
    close_cancelled_form_edits,
    service_form_edit,
    service_form_edit_cancel,
)
from moorage.orderforms.models import PendingFormEdit, ServiceFormAnswer
from moorage.provisioning.models import ProvisioningJob
from moorage.services import lifecycle
from moorage.services.models import ServiceComponent
from moorage.services.queries import limit_additions
from tests import factories
from tests.orderforms.helpers import formed_product, option_lines, order, renew
from tests.threads import race

pytestmark = pytest.mark.django_db
D = Decimal
LATER = dt.timedelta(days=10)  # 2026-01-25 10:00 UTC: 20 whole days of 31 left in the period
P = PendingFormEdit.Status


@pytest.fixture
def product(shared_page, now):  # noqa: ANN001, ANN201
    product = formed_product(shared_page, now=now)
    product.client_functions = cf.clean_enabled([*cf.DEFAULT_ENABLED, "edit_forms"])
    product.save(update_fields=["client_functions"])
    return product


@pytest.fixture
def service(client_account, product, now):  # noqa: ANN001, ANN201
    placed = order(client_account, product, {"support": "std", "disk": "1"}, now=now)
    factories.pay(placed.invoice, str(placed.invoice.total), transaction_id="T1", now=now)
    return placed.items.get().service


def edit(service, answers, now, **kw):  # noqa: ANN001, ANN003, ANN201
    return service_form_edit(service_id=service.pk, answers=answers, now=now + LATER, actor=None, **kw)


def pay(invoice, now, tid="E1"):  # noqa: ANN001, ANN201
    return factories.pay(invoice, str(invoice.total), transaction_id=tid, now=now + LATER)


def state(service) -> dict:  # noqa: ANN001
    """What a form change may touch: answers, live components, limits, jobs."""
    return {
        "answers": sorted(ServiceFormAnswer.objects.filter(service=service).values_list("code", "value")),
        "components": sorted(
            ServiceComponent.objects.filter(service=service)
            .exclude(status="ended")
            .values_list("source", "recurring_amount", "description")
        ),
        "limits": limit_additions(service),
        "jobs": ProvisioningJob.objects.filter(service=service).count(),
    }


def test_a_raise_makes_an_invoice_and_changes_nothing_yet(service, now):
    before = state(service)
    result = edit(service, {"backup": "1", "disk": "3"}, now)
    assert result.changed == ["backup", "disk"] and result.price_change == D("3.50")
    assert result.job is None
    pending = result.pending
    assert (pending.status, pending.invoice) == (P.PENDING, result.invoice)
    assert pending.answers == {"backup": "1", "disk": "3"}
    assert result.invoice.kind == Invoice.Kind.UPGRADE and result.invoice.status == Invoice.Status.UNPAID
    # 3.50 × 20/31 = 2.258… split per field: 3.00 → 1.94, 0.50 → 0.32; the one-time 5.00.
    assert option_lines(result.invoice) == [
        ("Daily backups (one-time)", D("5.00"), False),
        ("Daily backups (pro-rata)", D("1.94"), True),
        ("Extra disk (GB): 3 (pro-rata)", D("0.32"), True),
    ]
    assert state(service) == before
    # A renewal issued while the change waits still bills the old answers.
    renewal = renew(service, now=now + dt.timedelta(days=20))
    assert [d for d, _, _ in option_lines(renewal)] == ["Extra disk (GB): 1", "Source: web"]
    assert AuditEntry.objects.filter(action="service_form_edit_pending").count() == 1
    assert not AuditEntry.objects.filter(action="service_form_edit").exists()


def test_paying_applies_the_change_once(service, now):
    result = edit(service, {"backup": "1", "disk": "3"}, now)
    pay(result.invoice, now)
    pending = PendingFormEdit.objects.get(pk=result.pending.pk)
    assert pending.status == P.APPLIED and pending.applied_at == now + LATER
    after = state(service)
    assert after["answers"] == [("about", ""), ("backup", "1"), ("disk", "3"), ("notes", ""), ("os", "php82"),
                                ("source", "web"), ("support", "std")]  # fmt: skip
    assert after["limits"] == {"limit_quota": 3 * 1024}
    assert sorted(a for _, a, _ in after["components"]) == [D("0.10"), D("0.75"), D("3.00")]
    # Paid again (the hook called twice): nothing more happens.
    with transaction.atomic():
        apply_paid_form_edits(Invoice.objects.get(pk=result.invoice.pk), now=now + LATER, actor=None)
    assert state(service) == after
    assert AuditEntry.objects.filter(action="service_form_edit").count() == 1
    renewal = renew(service, now=now + dt.timedelta(days=30))
    assert renewal.total == D("10.00") + D("0.75") + D("3.00") + D("0.10")


def test_a_partly_paid_invoice_changes_nothing(service, now):
    result = edit(service, {"backup": "1"}, now)
    before = state(service)
    factories.pay(result.invoice, "1.00", transaction_id="PART", now=now + LATER)
    assert state(service) == before
    assert PendingFormEdit.objects.get().status == P.PENDING


def test_a_cancelled_invoice_cancels_the_change(service, now, staff):
    before = state(service)
    result = edit(service, {"backup": "1"}, now)
    invoice_cancel(invoice_id=result.invoice.pk, now=now + LATER, cancelled_on=(now + LATER).date(), actor=staff)
    assert close_cancelled_form_edits(now=now + LATER) == 1
    assert close_cancelled_form_edits(now=now + LATER) == 0
    pending = PendingFormEdit.objects.get()
    assert pending.status == P.CANCELLED and pending.note == "the invoice was cancelled"
    assert state(service) == before
    # and a new change may be made
    again = edit(service, {"backup": "1"}, now)
    assert again.pending is not None and again.pending.pk != pending.pk


def test_a_new_edit_after_a_cancelled_invoice_needs_no_cleanup_run(service, now, staff):
    result = edit(service, {"backup": "1"}, now)
    invoice_cancel(invoice_id=result.invoice.pk, now=now + LATER, cancelled_on=(now + LATER).date(), actor=None)
    again = edit(service, {"disk": "2"}, now)
    assert again.pending is not None
    assert list(PendingFormEdit.objects.order_by("pk").values_list("status", flat=True)) == [P.CANCELLED, P.PENDING]


def test_a_lower_price_applies_at_once(service, now):
    result = edit(service, {"disk": "0"}, now)
    assert result.pending is None and result.invoice is None and result.price_change == D("-0.25")
    assert ServiceFormAnswer.objects.get(service=service, code="disk").value == "0"
    assert limit_additions(service) == {}
    assert not PendingFormEdit.objects.exists()
    assert Invoice.objects.filter(kind="upgrade").count() == 0


def test_a_second_edit_while_one_waits_is_refused_naming_the_invoice(service, now, unchanged):
    first = edit(service, {"backup": "1"}, now)
    with unchanged(), pytest.raises(DomainError) as caught:
        edit(service, {"disk": "4"}, now)
    assert caught.value.code == "edit_pending"
    assert f"#{first.invoice.display_number}" in caught.value.message
    with unchanged(), pytest.raises(DomainError):  # even one that would need no invoice
        edit(service, {"disk": "0"}, now)
    same = edit(service, {"backup": "1"}, now)  # the same change again: the waiting one
    assert same.pending == first.pending and same.invoice == first.invoice and same.changed == []
    assert PendingFormEdit.objects.count() == 1 and Invoice.objects.filter(kind="upgrade").count() == 1


def test_the_client_withdraws_the_change_and_its_invoice(service, now, other_client):
    before = state(service)
    result = edit(service, {"backup": "1"}, now)
    with pytest.raises(NotFound):
        service_form_edit_cancel(service_id=service.pk, now=now + LATER, actor=None, client_id=other_client.pk)
    service_form_edit_cancel(service_id=service.pk, now=now + LATER, actor=None, client_id=service.client_id)
    assert Invoice.objects.get(pk=result.invoice.pk).status == Invoice.Status.CANCELLED
    assert PendingFormEdit.objects.get().status == P.CANCELLED
    assert state(service) == before
    with pytest.raises(DomainError) as caught:
        service_form_edit_cancel(service_id=service.pk, now=now + LATER, actor=None)
    assert caught.value.code == "not_pending"


def test_paid_after_the_service_ended_is_not_applied(service, now):
    before = state(service)
    result = edit(service, {"backup": "1"}, now)
    lifecycle.transition(service, "terminated", now=now + LATER, actor=None)
    before["components"] = sorted(
        ServiceComponent.objects.filter(service=service)
        .exclude(status="ended")
        .values_list("source", "recurring_amount", "description")
    )
    pay(result.invoice, now)
    pending = PendingFormEdit.objects.get()
    assert pending.status == P.CANCELLED and "terminated" in pending.note
    assert state(service)["answers"] == before["answers"]


# --- renewals invoiced at the old price --------------------------------------------------------------


def price_changes(invoice) -> list[tuple[str, Decimal, dt.date]]:  # noqa: ANN001
    return [
        (d.description, d.amount, d.period_start)
        for d in invoice.lines.order_by("id")
        if "(price change)" in d.description
    ]


def test_a_renewal_already_invoiced_gets_the_difference_on_the_change_invoice(service, now):
    renewal = renew(service, now=now + LATER)  # the period from Feb 15 is invoiced at the old price
    result = edit(service, {"backup": "1"}, now)
    assert price_changes(result.invoice) == [("Daily backups (price change)", D("3.00"), dt.date(2026, 2, 15))]
    assert result.pending.covered_until == dt.date(2026, 3, 14)
    pay(result.invoice, now)
    assert price_changes(Invoice.objects.get(pk=renewal.pk)) == []  # not charged twice
    assert Invoice.objects.filter(kind="upgrade").count() == 1


def test_a_renewal_invoiced_while_the_change_waits_gets_the_difference_when_it_is_paid(service, now):
    result = edit(service, {"backup": "1"}, now)
    renewal = renew(service, now=now + LATER)
    total = renewal.total
    pay(result.invoice, now)
    renewal = Invoice.objects.get(pk=renewal.pk)
    assert price_changes(renewal) == [("Daily backups (price change)", D("3.00"), dt.date(2026, 2, 15))]
    assert renewal.total == total + D("3.00")
    assert Invoice.objects.filter(kind="upgrade").count() == 1


def test_a_renewal_paid_while_the_change_waits_gets_the_difference_on_a_new_invoice(service, now):
    result = edit(service, {"backup": "1"}, now)
    renewal = renew(service, now=now + LATER)
    pay(renewal, now, tid="R1")
    pay(result.invoice, now)
    assert price_changes(Invoice.objects.get(pk=renewal.pk)) == []
    extra = Invoice.objects.filter(kind="upgrade").exclude(pk=result.invoice.pk).get()
    assert price_changes(extra) == [("Daily backups (price change)", D("3.00"), dt.date(2026, 2, 15))]
    assert extra.status == Invoice.Status.UNPAID


# --- the panel follows only after payment -----------------------------------------------------------


@pytest.fixture
def on_panel(panel, hosting, client_account, now):  # noqa: ANN001, ANN201
    from moorage.orderforms.actions import form_import
    from moorage.provisioning.models import PanelAccount
    from moorage.provisioning.runner import run_due_jobs

    form = [
        {
            "code": "disk",
            "label": "Extra disk (GB)",
            "type": "number",
            "max": 10,
            "recurring_price": "1.00",
            "limits": {"limit_quota": 1024},
            "client_editable": True,
        }
    ]
    form_import(product_id=hosting.pk, data=form, now=now, actor=None)
    placed = order(client_account, hosting, {"disk": "2"}, now=now)
    factories.pay(placed.invoice, str(placed.invoice.total), transaction_id="P1", now=now)
    assert run_due_jobs(now=now) == 1
    service = placed.items.get().service
    return service, PanelAccount.objects.get(service=service)


def test_the_panel_limit_follows_when_the_invoice_is_paid(panel, on_panel, now):
    from moorage.provisioning.runner import run_due_jobs

    service, account = on_panel
    assert str(panel.state.users[account.username]["limit_quota"]) == "3072"
    result = edit(service, {"disk": "5"}, now)
    assert run_due_jobs(now=now + LATER) == 0
    assert str(panel.state.users[account.username]["limit_quota"]) == "3072"
    pay(result.invoice, now)
    assert run_due_jobs(now=now + LATER) == 1
    assert str(panel.state.users[account.username]["limit_quota"]) == str(1024 + 5 * 1024)
    # a lower answer needs no invoice: the panel follows at once
    lower = edit(service, {"disk": "1"}, now)
    assert lower.pending is None and lower.job is not None
    assert run_due_jobs(now=now + LATER) == 1
    assert str(panel.state.users[account.username]["limit_quota"]) == str(1024 + 1024)


# --- pages ------------------------------------------------------------------------------------------


def url(service) -> str:  # noqa: ANN001
    return reverse("clientarea:service_edit_forms", args=[service.pk])


def test_the_client_page_shows_the_waiting_change_and_withdraws_it(signed_in, service):
    response = signed_in.post(url(service), {"form_backup": "1", "form_disk": "1", "form_os": "php82"})
    assert response.status_code == 302
    invoice = Invoice.objects.get(kind="upgrade")
    page = signed_in.get(url(service)).content.decode()
    assert 'data-testid="pending-form-edit"' in page
    assert reverse("clientarea:invoice", args=[invoice.number]) in page
    assert 'name="form_backup"' not in page  # no other change until this one is paid or withdrawn
    response = signed_in.post(url(service), {"action": "cancel_pending"})
    assert response.status_code == 302
    assert Invoice.objects.get(pk=invoice.pk).status == Invoice.Status.CANCELLED
    page = signed_in.get(url(service)).content.decode()
    assert 'data-testid="pending-form-edit"' not in page and 'name="form_backup"' in page


def test_another_client_cannot_withdraw(client, other_client, service, now):  # noqa: ANN001
    result = edit(service, {"backup": "1"}, now)
    client.force_login(other_client.user)
    assert client.post(url(service), {"action": "cancel_pending"}).status_code == 404
    assert Invoice.objects.get(pk=result.invoice.pk).status == Invoice.Status.UNPAID


def test_staff_see_the_waiting_change_on_the_service_page(staff, service, now):
    from django.test import Client as Browser

    result = edit(service, {"backup": "1"}, now)
    browser = Browser()
    browser.force_login(staff)
    page = browser.get(reverse("admin:services_service_change", args=[service.pk])).content.decode()
    assert 'data-testid="form-edit-pending"' in page
    assert reverse("admin:billing_invoice_change", args=[result.invoice.pk]) in page


# --- races (PostgreSQL: SQLite serialises writers) ---------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_two_submits_at_once_make_one_change_and_one_invoice(service, now):
    if connection.vendor != "postgresql":
        pytest.skip("row locks are PostgreSQL's; SQLite serialises writers")

    def submit():  # noqa: ANN202
        return service_form_edit(service_id=service.pk, answers={"backup": "1"}, now=now + LATER, actor=None)

    results = race(submit, submit, submit)
    assert not [r for r in results if isinstance(r, Exception)]
    assert PendingFormEdit.objects.filter(status=P.PENDING).count() == 1
    assert Invoice.objects.filter(kind="upgrade").count() == 1
    assert len({r.invoice.pk for r in results}) == 1


@pytest.mark.django_db(transaction=True)
def test_two_different_submits_at_once_one_waits_the_other_is_refused(service, now):
    if connection.vendor != "postgresql":
        pytest.skip("row locks are PostgreSQL's; SQLite serialises writers")

    def submit(answers):  # noqa: ANN001, ANN202
        return lambda: service_form_edit(service_id=service.pk, answers=answers, now=now + LATER, actor=None)

    results = race(submit({"backup": "1"}), submit({"disk": "9"}))
    refused = [r for r in results if isinstance(r, DomainError)]
    assert len(refused) == 1 and refused[0].code == "edit_pending"
    assert PendingFormEdit.objects.count() == 1 and Invoice.objects.filter(kind="upgrade").count() == 1


@pytest.mark.django_db(transaction=True)
def test_paying_and_withdrawing_at_once_do_one_or_the_other(service, now):
    if connection.vendor != "postgresql":
        pytest.skip("row locks are PostgreSQL's; SQLite serialises writers")
    result = edit(service, {"backup": "1"}, now)

    results = race(
        lambda: pay(result.invoice, now),
        lambda: service_form_edit_cancel(service_id=service.pk, now=now + LATER, actor=None),
    )
    pending = PendingFormEdit.objects.get()
    invoice = Invoice.objects.get(pk=result.invoice.pk)
    backup = ServiceFormAnswer.objects.get(service=service, code="backup").value
    if pending.status == P.APPLIED:
        assert invoice.status == Invoice.Status.PAID and backup == "1"
        assert isinstance(results[1], DomainError)
    else:
        assert pending.status == P.CANCELLED and invoice.status == Invoice.Status.CANCELLED and backup == "0"
        assert isinstance(results[0], DomainError)
