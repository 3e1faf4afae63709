"""On the ispmanager emulator: the panel gets the new preset and limits only when the money side says so."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from moorage.catalog.models import Product
from moorage.notifications.models import Notification
from moorage.provisioning.models import ProductApp, ProvisioningJob
from moorage.provisioning.runner import run_due_jobs
from moorage.services.models import Service
from moorage.upgrades.models import UpgradeRequest
from tests.automation.conftest import at, pay
from tests.upgrades.conftest import JAN1, JAN17, change, configure

pytestmark = pytest.mark.django_db
CHANGE = at(JAN17)


def run_jobs(business_now: dt.datetime) -> int:
    """Run the due jobs: due on the real clock (jobs are due at once), dated on the business clock."""
    return run_due_jobs(now=timezone.now() + dt.timedelta(minutes=1), business_now=business_now)


@pytest.fixture
def pro_plan(hosting, shared_page, connection):  # noqa: ANN001, ANN201
    """Business Hosting on the same panel with preset `pro`; an Available Upgrade of Starter (`hosting`)."""
    business = shared_page.products.get(code="business")
    configure(business, module="ispmanager", auto_create=Product.AutoCreate.ON_PAYMENT)
    ProductApp.objects.create(product=business, connection=connection, options={"preset": "pro", "limit_db": 25})
    hosting.available_upgrades.add(business)
    return business


def provisioned(client_account, product) -> Service:  # noqa: ANN001
    from tests import factories

    order = factories.checkout(client_account, product, hostname="shop.example.com", now=at(JAN1, 10))
    pay(order.invoice, JAN1, txn="T-order")
    assert run_jobs(at(JAN1, 11)) == 1
    service = order.items.get().service
    service.refresh_from_db()
    assert service.status == Service.Status.ACTIVE
    return service


def test_new_preset_only_after_the_upgrade_invoice_is_paid(panel, hosting, pro_plan, client_account, staff):
    service = provisioned(client_account, hosting)
    assert panel.state.users["shop"]["preset"] == "basic"

    req = change(service, pro_plan)
    assert req.status == UpgradeRequest.Status.PENDING_PAYMENT and req.charge > 0
    assert run_jobs(CHANGE) == 0  # nothing asked of the panel while the invoice is unpaid
    assert panel.state.users["shop"]["preset"] == "basic"
    assert not ProvisioningJob.objects.filter(operation="change_package").exists()

    pay(req.invoice, JAN17, txn="T-upgrade")
    job = ProvisioningJob.objects.get(operation="change_package")
    assert job.idempotency_key == f"upgrade:{req.pk}" and job.params["options"]["preset"] == "pro"
    assert run_jobs(CHANGE + dt.timedelta(minutes=1)) == 1
    user = panel.state.users["shop"]
    assert user["preset"] == "pro" and user["limit_db"] == "25" and user["limit_webdomains"] == "30"
    job.refresh_from_db()
    assert job.status == "done"
    assert Notification.objects.filter(template="staff_upgrade_success", to_email=staff.email).count() == 1
    assert Notification.objects.filter(template="upgrade_success", client=client_account).count() == 1


def test_new_preset_at_once_with_automatic_upgrades_when_ordered(panel, hosting, pro_plan, client_account):
    configure(hosting, auto_upgrade="on_order")
    service = provisioned(client_account, hosting)
    req = change(service, pro_plan)
    assert req.status == UpgradeRequest.Status.APPLIED and req.invoice.status == "unpaid"
    assert run_jobs(CHANGE) == 1
    assert panel.state.users["shop"]["preset"] == "pro"


def test_a_failing_change_package_tells_staff(panel, hosting, pro_plan, client_account, staff):
    ProductApp.objects.filter(product=pro_plan).update(options={"preset": "gold"})  # no such preset on the panel
    configure(hosting, auto_upgrade="on_order")
    service = provisioned(client_account, hosting)
    change(service, pro_plan)
    run_jobs(CHANGE)
    job = ProvisioningJob.objects.get(operation="change_package")
    assert job.status == "failed", job.last_error
    mail = Notification.objects.get(template="staff_upgrade_failed")
    assert mail.to_email == staff.email and "Starter Hosting → Business Hosting" in mail.subject
    assert job.last_error in mail.body
    assert panel.state.users["shop"]["preset"] == "basic"
    assert not Notification.objects.filter(template="staff_upgrade_success").exists()
