"""The client area's Upgrade / Downgrade and Change Billing Cycle pages, and the staff area's
Change package action and requests list, through Django's test client."""

from __future__ import annotations

import pytest
from django.test import Client as Browser
from django.urls import reverse

from moorage.billing.models import Invoice
from moorage.upgrades.models import UpgradeRequest
from tests import factories
from tests.upgrades.conftest import active_service, configure

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def test_clock(settings):  # noqa: ANN001, ANN201
    settings.MOORAGE_CLOCK_DATE = "2026-01-17"  # noon: 14 whole days left of [1 Jan, 1 Feb)


@pytest.fixture
def signed_in(client, client_account):  # noqa: ANN001, ANN201
    client.force_login(client_account.user)
    return client


def test_service_page_links_to_both_pages(signed_in, plans, client_account):
    service = active_service(client_account, plans[0])
    page = signed_in.get(reverse("clientarea:service", args=[service.pk])).content.decode()
    assert reverse("clientarea:service_upgrade", args=[service.pk]) in page
    assert reverse("clientarea:service_cycle", args=[service.pk]) in page


def test_upgrade_page_quotes_and_confirming_creates_the_request(signed_in, plans, client_account):
    starter, business = plans
    service = active_service(client_account, starter)
    url = reverse("clientarea:service_upgrade", args=[service.pk])
    page = signed_in.get(url).content.decode()
    assert "Business Hosting" in page and "2.26" in page  # 5 × 14/31, monthly
    assert "1.51" in page  # annually: (99.90 / 12 − 4.99) × 14/31 = 3.335 × 0.4516… = 1.506… → 1.51

    target = f"{business.pk}:monthly"
    confirm = signed_in.post(url, {"target": target}).content.decode()
    assert 'data-testid="confirm-change"' in confirm and "2.26" in confirm
    assert not UpgradeRequest.objects.exists()  # nothing before confirming

    response = signed_in.post(url, {"target": target, "confirm": "yes"})
    req = UpgradeRequest.objects.get()
    assert req.status == UpgradeRequest.Status.PENDING_PAYMENT and req.requested_by == client_account.user
    assert response.status_code == 302 and response["Location"] == reverse(
        "clientarea:invoice", args=[req.invoice.number]
    )
    again = signed_in.get(url).content.decode()
    assert 'data-testid="change-pending"' in again


def test_change_billing_cycle_page(signed_in, plans, client_account):
    starter, _ = plans
    service = active_service(client_account, starter)
    url = reverse("clientarea:service_cycle", args=[service.pk])
    page = signed_in.get(url).content.decode()
    assert "Annually" in page and "credit" in page and "0.38" in page
    response = signed_in.post(url, {"target": f"{starter.pk}:annually", "confirm": "yes"})
    assert response.status_code == 302
    service.refresh_from_db()
    assert service.cycle == "annually"


def test_refused_choice_is_a_message_and_nothing_changes(signed_in, plans, client_account):
    starter, business = plans
    configure(business, stock_enabled=True, stock=0)
    service = active_service(client_account, starter)
    url = reverse("clientarea:service_upgrade", args=[service.pk])
    page = signed_in.get(url).content.decode()
    assert "out of stock" in page
    response = signed_in.post(url, {"target": f"{business.pk}:monthly", "confirm": "yes"}, follow=True)
    assert "Choose one of the available options." in response.content.decode()
    assert not UpgradeRequest.objects.exists()


def test_another_clients_service_is_404(signed_in, plans):
    other = factories.client(email="other@example.com")
    service = active_service(other, plans[0], hostname="other.example")
    assert signed_in.get(reverse("clientarea:service_upgrade", args=[service.pk])).status_code == 404
    assert signed_in.get(reverse("clientarea:service_cycle", args=[service.pk])).status_code == 404


def test_anonymous_is_sent_to_login(client, plans, client_account):
    service = active_service(client_account, plans[0])
    response = client.get(reverse("clientarea:service_upgrade", args=[service.pk]))
    assert response.status_code == 302 and reverse("clientarea:login") in response["Location"]


def test_staff_change_package_on_the_service_page(staff, plans, client_account):
    starter, business = plans
    configure(starter, auto_upgrade="on_order")
    service = active_service(client_account, starter)
    browser = Browser()
    browser.force_login(staff)
    page = browser.get(reverse("admin:services_service_change", args=[service.pk])).content.decode()
    change_url = reverse("admin:upgrades_service_change_package", args=[service.pk])
    assert change_url in page and 'id="upgrades"' in page
    form = browser.get(change_url).content.decode()
    assert "Business Hosting Monthly 9.99: charge 2.26" in form
    response = browser.post(change_url, {"target": f"{business.pk}:monthly"})
    assert response.status_code == 302
    req = UpgradeRequest.objects.get()
    assert req.requested_by == staff and req.status == UpgradeRequest.Status.APPLIED
    assert Invoice.objects.filter(kind="upgrade", status="unpaid").count() == 1
    service.refresh_from_db()
    assert service.product == business
    listing = browser.get(reverse("admin:upgrades_upgraderequest_changelist"))
    assert listing.status_code == 200 and "Business Hosting" in listing.content.decode()
    detail = browser.get(reverse("admin:upgrades_upgraderequest_change", args=[req.pk]))
    assert detail.status_code == 200
    assert browser.get(reverse("admin:upgrades_upgraderequest_add")).status_code == 403
    # Business monthly is now the service itself: not a choice any more; nothing written.
    refused = browser.post(change_url, {"target": f"{business.pk}:monthly"}).content.decode()
    assert "Select a valid choice" in refused and UpgradeRequest.objects.count() == 1
