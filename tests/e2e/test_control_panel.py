"""Issue 5's browser check: a client orders Starter Hosting monthly, staff record the payment, the
worker creates the account on the ispmanager emulator, the service page shows it active with the
login details, and "Access Control Panel" opens the emulator's page logged in as that user."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

from moorage.core import clock
from moorage.orders.models import Order
from moorage.provisioning.models import PanelAccount, ProvisioningJob
from moorage.provisioning.runner import run_due_jobs
from moorage.services.models import Service
from tests import factories
from tests.e2e.staff import record_payment_as_staff

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

EMAIL = "harbour@example.com"


def test_order_pay_and_open_the_control_panel(live_server, page, staff_page, settings, shot, panel, hosting):
    settings.MOORAGE_CLOCK_DATE = "2026-01-15"
    factories.client(email=EMAIL, first_name="Hana")
    base = live_server.url

    # The client signs in and orders Starter Hosting monthly with a hostname.
    page.goto(f"{base}/login/")
    page.fill("#id_email", EMAIL)
    page.fill("#id_password", factories.PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base}/")
    page.goto(f"{base}/order/")
    page.get_by_role("link", name=re.compile("Shared Hosting")).click()
    page.locator("article.plan", has_text="Starter Hosting").get_by_role("link", name="Order now").click()
    page.select_option("#id_cycle", "monthly")
    page.fill("#id_hostname", "harbour-cafe.com")
    page.get_by_role("button", name="Add to cart").click()
    page.wait_for_url(f"{base}/cart/")
    page.get_by_role("link", name="Checkout").click()
    page.wait_for_url(f"{base}/checkout/")
    page.get_by_role("button", name="Confirm order").click()
    page.wait_for_url(re.compile(r"/orders/\d+/complete/"))

    order = Order.objects.get(client__user__email=EMAIL)
    service = order.items.get().service
    service_url = f"{base}/services/{service.pk}/"
    page.goto(service_url)
    assert page.get_by_test_id("service-status").inner_text() == "Pending"
    assert page.get_by_test_id("login-details").count() == 0
    shot(page, "cp-01-service-pending")

    # Staff record the bank transfer: the create job is queued, the service waits for the panel.
    how = record_payment_as_staff(staff_page, base, order.invoice, shot)
    job = ProvisioningJob.objects.get(service=service)
    assert (job.operation, job.status) == ("create", "queued"), how
    page.goto(service_url)
    assert page.get_by_test_id("service-status").inner_text() == "Pending"
    assert "Your account is being set up" in page.get_by_test_id("panel-setup").inner_text()
    shot(page, "cp-02-being-set-up")

    # The worker step runs the due job against the emulator.
    assert run_due_jobs(now=clock.now()) == 1
    job.refresh_from_db()
    assert job.status == "done", job.last_error
    account = PanelAccount.objects.get(service=service)
    assert account.username in panel.state.users

    page.goto(service_url)
    assert page.get_by_test_id("service-status").inner_text() == "Active"
    assert Service.objects.get(pk=service.pk).status == Service.Status.ACTIVE
    details = page.get_by_test_id("login-details")
    assert page.get_by_test_id("panel-username").inner_text() == account.username
    assert page.get_by_test_id("panel-url").inner_text() == panel.url
    password = page.get_by_test_id("panel-password-value")
    assert not password.is_visible()  # hidden until the client asks
    shot(page, "cp-03-login-details")
    details.get_by_text("Show").click()
    assert password.is_visible() and password.inner_text() == account.password
    assert details.get_by_text("Hide").is_visible()
    shot(page, "cp-04-password-shown")

    # Disk usage as last read from the panel (the usage sync fills these figures in).
    PanelAccount.objects.filter(pk=account.pk).update(disk_used_mib=Decimal("312.4"), disk_limit_mib=Decimal("1024"))
    page.reload()
    assert "312.4 MiB of 1024 MiB (31%)" in page.get_by_test_id("disk-usage").inner_text()
    shot(page, "cp-04b-disk-usage")

    # Access Control Panel: the browser lands on the panel, logged in as the client's user.
    page.get_by_role("button", name="Access Control Panel").click()
    page.wait_for_url(re.compile("^" + re.escape(panel.url)))
    assert "func=auth" in page.url and "key=" in page.url and account.password not in page.url
    assert page.locator("#username").inner_text() == account.username
    assert "Logged in as" in page.locator("#logged-in").inner_text()
    assert page.locator("#level").inner_text() == "user"
    shot(page, "cp-05-control-panel")

    # The key was single-use: reloading the same URL does not log in again.
    page.reload()
    assert page.locator("#username").count() == 0 and page.locator("#error").count() == 1
