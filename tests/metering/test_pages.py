"""The client's "Metered Billing Details" and "Disk & Bandwidth Usage" pages (Django's test client)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from moorage.metering.actions import usage_collect
from tests import factories
from tests.metering.conftest import D, at, order_metered

pytestmark = pytest.mark.django_db
GIB = 1024


@pytest.fixture(autouse=True)
def test_clock(settings):  # noqa: ANN001, ANN201
    settings.MOORAGE_CLOCK_DATE = "2026-02-01T09:00:00+00:00"


@pytest.fixture
def service(panel, connection, metered, client_account):  # noqa: ANN001, ANN201
    service = order_metered(client_account, metered, D(2026, 1, 15))
    panel.set_usage("shop", quota_used=1536, traff_used=30 * GIB)
    usage_collect(connection_id=connection.pk, now=at(D(2026, 1, 20), 12))
    panel.set_usage("shop", quota_used=3584, traff_used=6 * GIB)  # February's counter: +6 GiB
    usage_collect(connection_id=connection.pk, now=at(D(2026, 2, 1), 8))
    return service


@pytest.fixture
def signed_in(client, client_account):  # noqa: ANN001, ANN201
    client.force_login(client_account.user)
    return client


def test_metered_billing_details_show_the_period_so_far(signed_in, service):
    page = signed_in.get(reverse("clientarea:service_metered", args=[service.pk]))
    assert page.status_code == 200
    text = page.content.decode()
    assert "2026-01-15 – 2026-02-14" in text
    rows = {r["resource"]: r for r in page.context["rows"]}
    # Disk: peak 3.5 GiB, 1 included → 2.5 × 0.50 = 1.25.
    assert (rows["disk_mib"]["usage"], rows["disk_mib"]["billable"], rows["disk_mib"]["estimate"]) == (
        "3.5 GiB",
        "2.5 GiB",
        Decimal("1.25"),
    )
    # Bandwidth: 30 + 6 = 36 GiB, 10 included → 26 billable, all in the first tier: 26 × 0.10 = 2.60.
    assert (rows["bandwidth_mib"]["usage"], rows["bandwidth_mib"]["estimate"]) == ("36 GiB", Decimal("2.60"))
    assert rows["bandwidth_mib"]["tiers"] == ["up to 50 GiB: 0.10", "up to 80 GiB: 0.08"]
    # Websites: 1, included.
    assert (rows["websites"]["usage"], rows["websites"]["estimate"]) == ("1", Decimal("0.00"))
    assert page.context["total"] == Decimal("3.85")
    assert 'data-testid="metered-total">3.85 USD' in text.replace("\n", "")


def test_disk_and_bandwidth_usage_show_latest_figures_and_an_inline_svg_chart(signed_in, service):
    page = signed_in.get(reverse("clientarea:service_usage", args=[service.pk]))
    assert page.status_code == 200
    text = page.content.decode()
    figures = {f["resource"]: f["value"] for f in page.context["figures"]}
    assert figures["bandwidth_mib"] == "36,864 MiB"  # this period: 30,720 + 6,144
    assert figures["websites"] == "1"
    assert "3584 MiB of 1024 MiB (100%)" in text
    assert text.count("<svg") == 2
    charts = page.context["disk_chart"] + page.context["bandwidth_chart"]
    assert "<script" not in charts and "href" not in charts  # drawn on the server: no script, nothing fetched
    assert text.count('<rect class="bar"') == 2  # bandwidth on 20 Jan and 1 Feb
    assert text.count("<circle") == 2  # disk on the same days


def test_the_service_page_links_to_both(signed_in, service):
    text = signed_in.get(reverse("clientarea:service", args=[service.pk])).content.decode()
    assert reverse("clientarea:service_metered", args=[service.pk]) in text
    assert reverse("clientarea:service_usage", args=[service.pk]) in text


def test_another_clients_service_is_404(client, service, now):
    other = factories.client(now=now, email="other@example.com")
    client.force_login(other.user)
    assert client.get(reverse("clientarea:service_metered", args=[service.pk])).status_code == 404
    assert client.get(reverse("clientarea:service_usage", args=[service.pk])).status_code == 404


def test_anonymous_visitors_are_sent_to_sign_in(client, service):
    page = client.get(reverse("clientarea:service_usage", args=[service.pk]))
    assert page.status_code == 302 and reverse("clientarea:login") in page["Location"]


def test_a_service_that_is_not_metered_has_no_metered_details(signed_in, starter, client_account, now):
    order = factories.checkout(client_account, starter, now=now)
    service = order.items.get().service
    assert signed_in.get(reverse("clientarea:service_metered", args=[service.pk])).status_code == 404
    # Not provisioned (no panel account): no usage page either.
    assert signed_in.get(reverse("clientarea:service_usage", args=[service.pk])).status_code == 404


def test_a_metered_product_goes_through_the_client_areas_cart(signed_in, metered):
    from moorage.catalog.models import Price

    url = reverse("clientarea:product", args=[metered.pk])
    page = signed_in.post(url, {"hostname": "shop.example.com"})
    assert page.status_code == 302 and page["Location"] == reverse("clientarea:cart")
    # With a price row the cycle is chosen as for a recurring product.
    Price.objects.create(product=metered, cycle="annually", amount=Decimal("50.00"))
    assert "cycle" in signed_in.get(url).context["form"].fields
    page = signed_in.post(url, {"hostname": "blog.example.com", "cycle": "annually"})
    assert page.status_code == 302
    assert [row["cycle"] for row in signed_in.session["moorage_cart"]] == ["monthly", "annually"]
