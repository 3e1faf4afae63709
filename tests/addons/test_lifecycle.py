"""Add-on lifecycle on the real ispmanager emulator (over HTTP): ordered with the plan, added mid-period
(pro-rated), the panel limit raised (read back from the emulator), suspended and terminated with the parent."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from moorage.addons.actions import end_due_addons, service_addon_cancel, service_addon_order
from moorage.addons.models import ServiceAddon
from moorage.billing.models import Invoice
from moorage.billing.renewal import issue_renewal
from moorage.provisioning.actions import service_provision
from moorage.provisioning.models import ProvisioningJob
from moorage.services.models import Service, ServiceComponent
from tests.addons.conftest import JAN1, JAN17, at, order, pay, run_jobs
from tests.factories import invoice_lines

pytestmark = pytest.mark.django_db

BASIC_QUOTA = 1024  # the `basic` preset's limit_quota on the emulator


def provisioned(client, hosting, addons=()):  # noqa: ANN001, ANN201
    o = order(client, hosting, addons)
    pay(o.invoice, JAN1, txn="T-order")
    assert run_jobs(at(JAN1, 11)) == 1
    service = o.items.get().service
    service.refresh_from_db()
    assert service.status == Service.Status.ACTIVE
    return o, service


def test_ordered_with_the_plan_the_account_is_created_with_the_raised_limit(panel, hosting, disk, client_account):
    o, service = provisioned(client_account, hosting, [disk])
    assert invoice_lines(o.invoice) == [
        ("service", "Starter Hosting - shop.example.com", "4.99", "monthly", JAN1, dt.date(2026, 1, 31)),
        ("addon", "Add-on: Extra disk 10 GB", "3.10", "monthly", JAN1, dt.date(2026, 1, 31)),
        ("setup", "Setup fee: add-on Extra disk 10 GB", "1.00", "", None, None),
    ]
    assert o.invoice.total == Decimal("9.09")
    row = ServiceAddon.objects.get(service=service)
    assert row.origin == "order" and row.status == "active" and row.component.recurring_amount == Decimal("3.10")
    user = panel.state.users["shop"]
    assert int(user["limit_quota"]) == BASIC_QUOTA + 10240
    assert user["limit_db"] == "5"  # the product's override, untouched

    # Renewed with the parent, on the parent's due date, as its own line.
    renewal = issue_renewal(service, today=dt.date(2026, 1, 25), now=at(dt.date(2026, 1, 25)), force=True)
    assert [(line[0], line[2], line[4]) for line in invoice_lines(renewal)] == [
        ("service", "4.99", dt.date(2026, 2, 1)),
        ("addon", "3.10", dt.date(2026, 2, 1)),
    ]


def test_added_mid_period_pro_rated_limit_raised_once_paid(panel, hosting, disk, client_account):
    _, service = provisioned(client_account, hosting)
    assert int(panel.state.users["shop"]["limit_quota"]) == BASIC_QUOTA

    row = service_addon_order(service_id=service.pk, addon_id=disk.pk, now=at(JAN17), actor=None)
    # 17 Jan 00:05: 14 whole days left of the 31 of [1 Jan, 1 Feb): 3.10 × 14/31 = 1.40, plus the setup fee.
    assert invoice_lines(row.invoice) == [
        (
            "addon",
            "Add-on: Extra disk 10 GB, pro-rata 45.16% of 2026-01-01 – 2026-01-31",
            "1.40",
            "monthly",
            JAN17,
            dt.date(2026, 1, 31),
        ),
        ("setup", "Setup fee: add-on Extra disk 10 GB", "1.00", "", None, None),
    ]
    assert row.invoice.kind == Invoice.Kind.UPGRADE and row.invoice.total == Decimal("2.40")
    assert row.status == "pending"
    assert run_jobs(at(JAN17, 1)) == 0  # nothing asked of the panel while unpaid
    assert int(panel.state.users["shop"]["limit_quota"]) == BASIC_QUOTA

    pay(row.invoice, JAN17, txn="T-addon")
    row.refresh_from_db()
    assert row.component.status == ServiceComponent.Status.ACTIVE
    job = ProvisioningJob.objects.get(operation="change_package")
    assert job.idempotency_key == f"addon:{row.pk}"
    assert run_jobs(at(JAN17, 13)) == 1
    job.refresh_from_db()
    assert job.status == "done", job.last_error
    user = panel.state.users["shop"]
    assert int(user["limit_quota"]) == BASIC_QUOTA + 10240 and user["limit_db"] == "5"

    # Paying again changes nothing: no second job.
    assert ProvisioningJob.objects.filter(operation="change_package").count() == 1


def test_suspended_and_unsuspended_with_the_parent_then_terminated_with_it(panel, hosting, disk, client_account, staff):
    _, service = provisioned(client_account, hosting, [disk])
    component = ServiceComponent.objects.get(service=service)

    service_provision(service_id=service.pk, operation="suspend", now=at(JAN17), actor=staff, reason="abuse")
    assert run_jobs(at(JAN17, 1)) == 1
    service.refresh_from_db()
    assert service.status == Service.Status.SUSPENDED
    user = panel.state.users["shop"]
    assert user["active"] == "off" and int(user["limit_quota"]) == BASIC_QUOTA + 10240
    component.refresh_from_db()
    assert component.status == ServiceComponent.Status.ACTIVE  # suspended with the account, still its add-on
    with pytest.raises(Exception) as refused:  # no add-on for a suspended service
        service_addon_order(service_id=service.pk, addon_id=disk.pk, now=at(JAN17, 2), actor=None)
    assert getattr(refused.value, "code", "") in ("not_active", "addon_exists")

    service_provision(service_id=service.pk, operation="unsuspend", now=at(JAN17, 3), actor=staff)
    assert run_jobs(at(JAN17, 4)) == 1
    assert panel.state.users["shop"]["active"] == "on"
    assert int(panel.state.users["shop"]["limit_quota"]) == BASIC_QUOTA + 10240

    service_provision(service_id=service.pk, operation="terminate", now=at(JAN17, 5), actor=staff)
    assert run_jobs(at(JAN17, 6)) == 1
    service.refresh_from_db()
    assert service.status == Service.Status.TERMINATED
    assert "shop" not in panel.state.users
    component.refresh_from_db()
    assert component.status == ServiceComponent.Status.ENDED
    assert ServiceAddon.objects.get(service=service).status == "ended"


def test_cancelled_add_on_is_not_renewed_and_its_limit_goes_when_paid_time_ends(panel, hosting, disk, client_account):
    _, service = provisioned(client_account, hosting, [disk])
    row = ServiceAddon.objects.get(service=service)
    row = service_addon_cancel(service_addon_id=row.pk, now=at(JAN17), actor=None, client_id=client_account.pk)
    assert row.ends_on == dt.date(2026, 2, 1) and row.status == "cancelled"

    renewal = issue_renewal(service, today=dt.date(2026, 1, 25), now=at(dt.date(2026, 1, 25)), force=True)
    assert [line[0] for line in invoice_lines(renewal)] == ["service"]  # the add-on is not renewed
    assert end_due_addons(now=at(dt.date(2026, 1, 31))) == 0  # still paid for on the 31st
    assert int(panel.state.users["shop"]["limit_quota"]) == BASIC_QUOTA + 10240

    assert end_due_addons(now=at(dt.date(2026, 2, 1))) == 1
    assert end_due_addons(now=at(dt.date(2026, 2, 1), 1)) == 0  # once
    assert run_jobs(at(dt.date(2026, 2, 1), 2)) == 1
    assert int(panel.state.users["shop"]["limit_quota"]) == BASIC_QUOTA
    row.refresh_from_db()
    assert row.status == "ended"
