"""Staff area: the add-on catalog, Assign addon(s) on the product page, the service page's add-ons."""

from __future__ import annotations

import pytest
from django.urls import reverse

from moorage.addons.models import Addon, ServiceAddon
from tests.addons.conftest import JAN1, order, pay

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def test_clock(settings):  # noqa: ANN001, ANN201
    settings.MOORAGE_CLOCK_DATE = "2026-01-15"


@pytest.fixture
def staff_browser(client, staff):  # noqa: ANN001, ANN201
    client.force_login(staff)
    return client


@pytest.fixture
def service(starter, client_account):  # noqa: ANN001, ANN201
    o = order(client_account, starter)
    pay(o.invoice, JAN1)
    return o.items.get().service


def test_catalog_pages_render(staff_browser, disk, starter):
    assert "Extra disk 10 GB" in staff_browser.get(reverse("admin:addons_addon_changelist")).content.decode()
    page = staff_browser.get(reverse("admin:addons_addon_change", args=[disk.pk])).content.decode()
    assert "limit_quota" in page and "3.10" in page
    product_page = staff_browser.get(reverse("admin:catalog_product_change", args=[starter.pk])).content.decode()
    assert "Assign addon(s)" in product_page


def test_staff_create_an_add_on_with_prices(staff_browser, starter):
    response = staff_browser.post(
        reverse("admin:addons_addon_add"),
        {
            "name": "Backup",
            "code": "backup",
            "description": "",
            "visible": "on",
            "limits": "{}",
            "staff_task": "",
            "products": [str(starter.pk)],
            "sort_order": "0",
            "prices-TOTAL_FORMS": "1",
            "prices-INITIAL_FORMS": "0",
            "prices-MIN_NUM_FORMS": "0",
            "prices-MAX_NUM_FORMS": "1000",
            "prices-0-cycle": "monthly",
            "prices-0-amount": "1.50",
            "prices-0-setup_fee": "0",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    addon = Addon.objects.get(code="backup")
    assert list(addon.products.all()) == [starter] and addon.prices.get().amount == 150 / 100


@pytest.mark.parametrize("limits", ['{"quota": 1}', '{"limit_quota": -5}', '{"limit_quota": "10"}', "[1]"])
def test_bad_limits_are_refused(staff_browser, limits):
    response = staff_browser.post(
        reverse("admin:addons_addon_add"),
        {
            "name": "Bad",
            "code": "bad",
            "limits": limits,
            "sort_order": "0",
            "prices-TOTAL_FORMS": "0",
            "prices-INITIAL_FORMS": "0",
            "prices-MIN_NUM_FORMS": "0",
            "prices-MAX_NUM_FORMS": "1000",
        },
    )
    assert response.status_code == 200 and not Addon.objects.filter(code="bad").exists()


def test_service_page_shows_add_ons_and_staff_add_and_cancel_one(staff_browser, service, disk, dedicated_ip):
    page = staff_browser.get(reverse("admin:services_service_change", args=[service.pk])).content.decode()
    assert 'id="addons"' in page and 'id="add-addon"' in page

    add_url = reverse("admin:addons_service_add", args=[service.pk])
    form = staff_browser.get(add_url).content.decode()
    assert "Dedicated IP" in form and "charge now" in form
    response = staff_browser.post(add_url, {"addon": str(dedicated_ip.pk)})
    assert response.status_code == 302
    row = ServiceAddon.objects.get(service=service)
    assert row.status == "pending" and row.invoice is not None

    page = staff_browser.get(reverse("admin:services_service_change", args=[service.pk])).content.decode()
    assert "Assign a dedicated IPv4 address in the panel" in page and "to do" in page

    response = staff_browser.post(reverse("admin:addons_serviceaddon_cancel", args=[row.pk]))
    assert response.status_code == 302
    row.refresh_from_db()
    assert row.status == "ended" and row.invoice.status == "cancelled"


def test_service_addon_list_and_task_action(staff_browser, service, dedicated_ip):
    from moorage.addons.actions import service_addon_order
    from tests.addons.conftest import JAN17, at

    row = service_addon_order(service_id=service.pk, addon_id=dedicated_ip.pk, now=at(JAN17), actor=None)
    changelist = reverse("admin:addons_serviceaddon_changelist")
    assert "Dedicated IP" in staff_browser.get(changelist).content.decode()
    staff_browser.post(changelist, {"action": "mark_task_done", "_selected_action": [str(row.pk)]})
    row.refresh_from_db()
    assert row.staff_task_done_at is not None


def test_clients_cannot_reach_the_staff_pages(client, client_account, service, disk):
    client.force_login(client_account.user)
    response = client.get(reverse("admin:addons_service_add", args=[service.pk]))
    assert response.status_code in (302, 403)
