"""Client Functions on the client's service page: the action menu in the product's Client area Layout,
every existing function hidden when the product does not enable it AND refused on its URL (403 with the
reason), and another client's service a 404 on every function URL, enabled or not."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from django.utils.html import escape

from moorage.cancellations.actions import cancellation_request
from moorage.catalog import client_functions as cf
from moorage.provisioning.runner import run_due_jobs
from moorage.services.models import CancellationRequest, Service
from tests.clientarea.test_control_panel import order_and_pay

pytestmark = pytest.mark.django_db

# Every function URL that exists today: (code, url name, method).
FUNCTION_URLS = [
    ("usage", "clientarea:service_usage", "get"),
    ("metered_billing", "clientarea:service_metered", "get"),
    ("upgrades", "clientarea:service_upgrade", "get"),
    ("upgrades", "clientarea:service_upgrade", "post"),
    ("change_billing_cycle", "clientarea:service_cycle", "get"),
    ("change_billing_cycle", "clientarea:service_cycle", "post"),
    ("cancellation", "clientarea:service_cancel", "get"),
    ("cancellation", "clientarea:service_cancel", "post"),
    ("access_control_panel", "clientarea:service_control_panel", "post"),
]


def call(client, name: str, method: str, pk: int):  # noqa: ANN001, ANN201
    url = reverse(name, args=[pk])
    return client.get(url) if method == "get" else client.post(url, {"type": "immediate", "reason": "x"})


def related_emails(client, pk: int):  # noqa: ANN001, ANN201
    return client.get(reverse("clientarea:emails") + f"?service={pk}")


def enable(product, codes) -> None:  # noqa: ANN001
    product.client_functions = cf.clean_enabled(list(codes))
    product.save(update_fields=["client_functions"])


@pytest.fixture
def active(panel, hosting, client_account, now):  # noqa: ANN001, ANN201
    """A paid, active Starter Hosting service with its account on the emulator, a second billing
    cycle and an upgrade target, so every existing function has something to show."""
    bigger = hosting.order_page.products.get(name="Business Hosting")
    hosting.available_upgrades.add(bigger)
    service = order_and_pay(client_account, hosting, now)
    assert run_due_jobs(now=now) == 1
    service.refresh_from_db()
    assert service.status == Service.Status.ACTIVE
    Service.objects.filter(pk=service.pk).update(notes="Backups run at 03:00.")
    service.refresh_from_db()
    return service


def page_of(client, service) -> str:  # noqa: ANN001
    response = client.get(reverse("clientarea:service", args=[service.pk]))
    assert response.status_code == 200
    return response.content.decode()


def menu_codes(html: str) -> list[str]:
    nav = re.search(r'<nav class="service-menu.*?</nav>', html, re.S)
    return re.findall(r'data-code="([a-z_]+)"', nav.group(0)) if nav else []


# --- the menu and its layout -----------------------------------------------------------------------


def test_every_enabled_function_with_a_page_is_in_the_menu_with_its_link(signed_in, active):
    html = page_of(signed_in, active)
    codes = menu_codes(html)
    for code in (
        "access_control_panel",
        "change_billing_cycle",
        "usage",
        "login_details",
        "related_emails",
        "related_invoices",
        "service_notes",
        "upgrades",
        "cancellation",
    ):
        assert code in codes, code
    assert "metered_billing" not in codes  # a recurring product has no metered details
    assert codes == [c for c in cf.CODES if c in codes]  # the registry's order
    pk = active.pk
    assert f'href="/services/{pk}/usage/" data-testid="fn-usage"' in html
    assert f'href="/services/{pk}/upgrade/" data-testid="fn-upgrades"' in html
    assert f'href="/services/{pk}/billing-cycle/" data-testid="fn-change_billing_cycle"' in html
    assert f'href="/emails/?service={pk}" data-testid="fn-related_emails"' in html
    assert 'href="#login-details" data-testid="fn-login_details"' in html
    assert 'href="#invoices" data-testid="fn-related_invoices"' in html
    assert f'href="/services/{pk}/notes/" data-testid="fn-service_notes"' in html  # its own page
    assert 'href="#cancellation" data-testid="fn-cancellation"' in html
    for anchor in ("login-details", "invoices", "service-notes", "cancellation"):  # the legacy notes text stays
        assert f'id="{anchor}"' in html, anchor


def test_functions_without_a_page_in_this_build_are_left_out_of_the_menu(signed_in, active):
    html = page_of(signed_in, active)
    for code in menu_codes(html):
        assert code in views_known_codes(), code


def views_known_codes() -> set[str]:
    from django.urls import NoReverseMatch

    from moorage.clientarea.views import PAGE_ANCHORS, PAGE_NAMES

    known = set(PAGE_ANCHORS) | set(PAGE_NAMES) | {"related_emails"}
    for code in cf.CODES:
        try:
            reverse(f"clientarea:service_{code}", args=[1])
        except NoReverseMatch:
            continue
        known.add(code)
    return known


def test_unavailable_functions_never_reach_the_menu_even_when_enabled(signed_in, active):
    enable(active.product, ["contracts", "edit_forms", "logs"])
    codes = menu_codes(page_of(signed_in, active))
    assert "contracts" not in codes and "edit_forms" not in codes


@pytest.mark.parametrize("layout", ["left", "right", "top"])
def test_the_menu_follows_the_client_area_layout(signed_in, active, layout):
    active.product.client_area_layout = layout
    active.product.save(update_fields=["client_area_layout"])
    html = page_of(signed_in, active)
    assert f'class="service-layout layout-{layout}"' in html
    assert f'class="service-menu service-menu-{layout}"' in html
    assert f'data-layout="{layout}"' in html


def test_no_enabled_function_no_menu(signed_in, active):
    enable(active.product, [])
    html = page_of(signed_in, active)
    assert 'data-testid="service-menu"' not in html
    assert '<dd data-testid="service-status">Active</dd>' in html  # the page itself stays


# --- hidden and refused ----------------------------------------------------------------------------


def test_a_product_with_every_function_disabled_shows_none_of_them(signed_in, active):
    enable(active.product, [])
    account = active.panel_account
    html = page_of(signed_in, active)
    assert 'data-testid="login-details"' not in html
    assert 'data-testid="panel-username"' not in html and account.password not in html
    assert "Access Control Panel" not in html
    for testid in (
        "usage-link",
        "related-emails-link",
        "upgrade-link",
        "cycle-link",
        "related-invoices",
        "service-notes",
        "request-cancellation",
        "disk-usage",
    ):
        assert f'data-testid="{testid}"' not in html, testid
    assert "Backups run at 03:00." not in html
    assert f"/invoices/{active.order_item.order.invoice.number}/" not in html


@pytest.mark.parametrize(("code", "name", "method"), FUNCTION_URLS)
def test_a_disabled_function_is_refused_on_its_url_with_the_reason(signed_in, active, code, name, method, unchanged):
    enable(active.product, [c for c in cf.DEFAULT_ENABLED if c != code])
    with unchanged():
        response = call(signed_in, name, method, active.pk)
    assert response.status_code == 403
    label = cf.BY_CODE[code].label
    assert escape(f"{label} is not enabled for this product") in response.content.decode()


@pytest.mark.parametrize(("code", "name", "method"), FUNCTION_URLS)
def test_the_same_url_works_while_the_function_is_enabled(signed_in, active, code, name, method):
    response = call(signed_in, name, method, active.pk)
    # metered: a recurring product's page is a 404; the others answer normally (page, redirect, form).
    assert response.status_code == (404 if code == "metered_billing" else response.status_code)
    assert response.status_code != 403


def test_related_emails_of_a_disabled_product_are_refused(signed_in, active):
    enable(active.product, [c for c in cf.DEFAULT_ENABLED if c != "related_emails"])
    response = related_emails(signed_in, active.pk)
    assert response.status_code == 403
    assert "Related Emails is not enabled for this product" in response.content.decode()
    assert signed_in.get(reverse("clientarea:emails")).status_code == 200  # the account's own list stays


def test_login_details_off_keeps_the_password_out_of_the_page(signed_in, active):
    enable(active.product, ["access_control_panel"])
    html = page_of(signed_in, active)
    assert 'data-testid="access-control-panel"' in html
    assert active.panel_account.password not in html
    assert 'data-testid="panel-password"' not in html


def test_access_control_panel_off_keeps_the_login_details(signed_in, active):
    enable(active.product, ["login_details"])
    html = page_of(signed_in, active)
    assert f'data-testid="panel-username">{active.panel_account.username}<' in html
    assert active.panel_account.password in html
    assert 'data-testid="access-control-panel"' not in html


def test_a_pending_cancellation_can_still_be_withdrawn_after_staff_disable_cancellation(
    signed_in, active, client_account, now
):
    cancellation_request(service_id=active.pk, type="end_of_period", reason="moving", now=now, actor=None)
    enable(active.product, [])
    html = page_of(signed_in, active)
    assert 'data-testid="cancellation-pending"' in html
    response = signed_in.post(reverse("clientarea:service_cancel_withdraw", args=[active.pk]))
    assert response.status_code == 302
    assert not CancellationRequest.objects.filter(service=active, status="pending").exists()


# --- isolation ------------------------------------------------------------------------------------


@pytest.fixture
def others(other_client, hosting, now):  # noqa: ANN001, ANN201
    service = order_and_pay(other_client, hosting, now, hostname="other.example")
    run_due_jobs(now=now)
    return service


@pytest.mark.parametrize("enabled", [True, False])
@pytest.mark.parametrize(("code", "name", "method"), FUNCTION_URLS)
def test_another_clients_service_is_a_404_on_every_function_url(
    signed_in, active, others, code, name, method, enabled, unchanged
):
    if not enabled:
        enable(others.product, [])
    with unchanged():
        response = call(signed_in, name, method, others.pk)
    assert response.status_code == 404  # never a 403 that would confirm the service exists


@pytest.mark.parametrize("enabled", [True, False])
def test_another_clients_service_is_a_404_on_the_page_and_related_emails(signed_in, active, others, enabled):
    if not enabled:
        enable(others.product, [])
    assert signed_in.get(reverse("clientarea:service", args=[others.pk])).status_code == 404
    assert related_emails(signed_in, others.pk).status_code == 404
    assert signed_in.post(reverse("clientarea:service_cancel_withdraw", args=[others.pk])).status_code == 404


@pytest.mark.parametrize("pk", [999999, 10**30])
def test_an_unknown_service_is_a_404_everywhere(signed_in, active, pk):
    for _code, name, method in FUNCTION_URLS:
        assert call(signed_in, name, method, pk).status_code == 404, name
    # An out-of-range query value is refused as such by the hostile-input middleware (400).
    assert related_emails(signed_in, pk).status_code == (404 if pk < 2**63 else 400)
    assert signed_in.get(reverse("clientarea:service", args=[pk])).status_code == 404


@pytest.mark.parametrize("value", ["١", "1 OR 1=1", "-1", "", "0x1", "%00"])
def test_a_hostile_service_filter_never_shows_a_service_or_fails(signed_in, active, value):
    response = signed_in.get(reverse("clientarea:emails"), {"service": value})
    assert response.status_code == 200  # not an id: the account's whole list, no service looked up
    assert response.context["service_id"] == value


def test_signed_out_visitors_are_sent_to_sign_in(client, active):
    for _code, name, method in FUNCTION_URLS:
        response = call(client, name, method, active.pk)
        assert response.status_code == 302 and "/login/" in response["Location"], name
