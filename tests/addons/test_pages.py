"""Add-ons in the client area: the configure page's checkboxes through checkout, the service's Add-ons
page (order one mid-period, cancel), Related Services; someone else's service or add-on is a 404."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from moorage.addons.models import ServiceAddon
from moorage.catalog.models import Product
from moorage.clientarea import cart
from moorage.orders.models import Order
from tests import factories
from tests.addons.conftest import JAN1, order, pay

JAN15 = dt.date(2026, 1, 15)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def test_clock(settings):  # noqa: ANN001, ANN201
    settings.MOORAGE_CLOCK_DATE = "2026-01-15"


@pytest.fixture
def signed_in(client, client_account):  # noqa: ANN001, ANN201
    client.force_login(client_account.user)
    return client


@pytest.fixture
def service(starter, client_account):  # noqa: ANN001, ANN201
    Product.objects.filter(pk=starter.pk).update(client_functions=[*starter.client_functions, "related_services"])
    o = order(client_account, starter)
    pay(o.invoice, JAN1)
    return o.items.get().service


def test_configure_page_offers_the_add_ons_and_checkout_bills_them(signed_in, client_account, starter, disk):
    url = reverse("clientarea:product", args=[starter.pk])
    page = signed_in.get(url).content.decode()
    assert 'data-testid="addon-disk10"' in page and "Extra disk 10 GB" in page and "3.10" in page

    response = signed_in.post(url, {"cycle": "monthly", "hostname": "mysite.example", "addons": [str(disk.pk)]})
    assert response.status_code == 302
    assert signed_in.session[cart.SESSION_KEY][0]["addons"] == [disk.pk]
    assert "Add-on: Extra disk 10 GB" in signed_in.get(reverse("clientarea:cart")).content.decode()

    signed_in.post(reverse("clientarea:checkout"), {})
    o = Order.objects.get(client=client_account)
    assert o.invoice.total == Decimal("9.09")  # 4.99 + 3.10 + 1.00 setup
    assert ServiceAddon.objects.get(service__client=client_account).addon == disk


@pytest.mark.parametrize("hostile", ["abc", "-1", "999999", "1e3", "٣"])
def test_configure_page_refuses_ids_not_offered(signed_in, starter, disk, hostile):
    url = reverse("clientarea:product", args=[starter.pk])
    response = signed_in.post(url, {"cycle": "monthly", "hostname": "x.example", "addons": [hostile]})
    assert response.status_code == 200 and "Choose add-ons from the list." in response.content.decode()
    assert not signed_in.session.get(cart.SESSION_KEY)


def test_configure_page_shows_the_cycle_refusal(signed_in, starter):
    from tests.addons.conftest import make_addon

    yearly = make_addon("Yearly backup", "backup", {"annually": ("9.00", "0")}, [starter])
    url = reverse("clientarea:product", args=[starter.pk])
    response = signed_in.post(url, {"cycle": "monthly", "hostname": "x.example", "addons": [str(yearly.pk)]})
    assert "not offered with the billing cycle" in response.content.decode()
    assert not signed_in.session.get(cart.SESSION_KEY)


def test_addons_page_orders_one_mid_period_and_goes_to_its_invoice(signed_in, service, disk):
    url = reverse("clientarea:service_addons", args=[service.pk])
    page = signed_in.get(url).content.decode()
    assert 'data-testid="order-addon-disk10"' in page

    response = signed_in.post(url, {"addon": str(disk.pk)})
    row = ServiceAddon.objects.get(service=service)
    assert response["Location"] == reverse("clientarea:invoice", args=[row.invoice.number])
    assert row.status == "pending" and row.invoice.client_id == service.client_id

    # The same POST again: refused, no second invoice.
    again = signed_in.post(url, {"addon": str(disk.pk)})
    assert again.status_code == 200 and ServiceAddon.objects.filter(service=service).count() == 1
    page = signed_in.get(url).content.decode()
    assert "Waiting for payment" in page and 'data-testid="order-addon-disk10"' not in page


@pytest.mark.parametrize("value", ["", "x", "-5", "99999999999999999999", "1 OR 1=1"])
def test_addons_page_refuses_hostile_values(signed_in, service, disk, value):
    response = signed_in.post(reverse("clientarea:service_addons", args=[service.pk]), {"addon": value})
    assert response.status_code == 200
    assert not ServiceAddon.objects.exists()


def test_cancel_from_the_addons_page(signed_in, service, disk):
    signed_in.post(reverse("clientarea:service_addons", args=[service.pk]), {"addon": str(disk.pk)})
    row = ServiceAddon.objects.get(service=service)
    pay(row.invoice, JAN15)
    response = signed_in.post(reverse("clientarea:service_addon_cancel", args=[service.pk, row.pk]))
    assert response.status_code == 302
    row.refresh_from_db()
    assert row.status == "cancelled" and row.ends_on is not None
    page = signed_in.get(reverse("clientarea:service_addons", args=[service.pk])).content.decode()
    assert "Cancelled, ends on" in page
    # Twice: told, nothing changes.
    signed_in.post(reverse("clientarea:service_addon_cancel", args=[service.pk, row.pk]))
    assert ServiceAddon.objects.get(pk=row.pk).cancelled_at == row.cancelled_at


def test_another_clients_service_and_add_on_are_404(client, service, disk):
    signed_in_owner = service.client
    from moorage.addons.actions import service_addon_order
    from tests.addons.conftest import JAN17, at

    owned = service_addon_order(service_id=service.pk, addon_id=disk.pk, now=at(JAN17), actor=None)
    stranger = factories.client(email="stranger@example.com")
    client.force_login(stranger.user)
    assert client.get(reverse("clientarea:service_addons", args=[service.pk])).status_code == 404
    assert client.post(reverse("clientarea:service_addons", args=[service.pk]), {"addon": disk.pk}).status_code == 404
    cancel = reverse("clientarea:service_addon_cancel", args=[service.pk, owned.pk])
    assert client.post(cancel).status_code == 404
    # The stranger's own service with the owner's add-on row id: still 404.
    mine = order(stranger, service.product, hostname="mine.example.com")
    pay(mine.invoice, JAN1)
    own_service = mine.items.get().service
    cancel_other = reverse("clientarea:service_addon_cancel", args=[own_service.pk, owned.pk])
    assert client.post(cancel_other).status_code == 404
    owned.refresh_from_db()
    assert owned.cancelled_at is None and signed_in_owner.pk == service.client_id


def test_cancel_needs_post(signed_in, service, disk):
    from moorage.addons.actions import service_addon_order
    from tests.addons.conftest import JAN17, at

    row = service_addon_order(service_id=service.pk, addon_id=disk.pk, now=at(JAN17), actor=None)
    assert signed_in.get(reverse("clientarea:service_addon_cancel", args=[service.pk, row.pk])).status_code == 405


def test_related_services_lists_the_add_ons(signed_in, client_account, starter, disk, dedicated_ip):
    Product.objects.filter(pk=starter.pk).update(client_functions=[*starter.client_functions, "related_services"])
    o = order(client_account, starter, [disk, dedicated_ip])
    pay(o.invoice, JAN1)
    service = o.items.get().service
    page = signed_in.get(reverse("clientarea:service_related_services", args=[service.pk])).content.decode()
    assert 'data-testid="service-addons"' in page
    assert "Extra disk 10 GB" in page and "Dedicated IP" in page and 'data-testid="manage-addons"' in page
    detail = signed_in.get(reverse("clientarea:service", args=[service.pk])).content.decode()
    assert 'data-testid="addons-link"' in detail


def test_no_addons_page_for_a_product_without_add_ons(signed_in, service):
    assert signed_in.get(reverse("clientarea:service_addons", args=[service.pk])).status_code == 404
    detail = signed_in.get(reverse("clientarea:service", args=[service.pk])).content.decode()
    assert 'data-testid="addons-link"' not in detail
