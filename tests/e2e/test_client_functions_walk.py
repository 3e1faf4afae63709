"""Issue 11's browser check of the Client Functions tab, in Debian's Chromium: staff enable every
function of a product on its Client Functions tab; the client walks every menu entry of a service
(each page opens, each anchor is on the page); the service page in the three Client area Layouts,
with screenshots and the menu where the layout says; and a product with functions disabled shows no
entries for them while their URLs answer 403 with the reason, in the browser too."""

from __future__ import annotations

import re

import pytest
from django.urls import NoReverseMatch, reverse

from moorage.catalog import client_functions as cf
from moorage.catalog.models import Product
from moorage.core import clock
from moorage.provisioning.runner import run_due_jobs
from moorage.services.models import Service
from tests import factories

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

EMAIL = "walk@example.com"
STAFF = "staff@example.com"
# Functions other parts of issue 11 add pages for: walked as soon as their URL exists.
LATER_PAGES = ["databases", "emails", "ftp_users", "change_label", "logs", "downloads"]
# The function URLs of today, refused when the product does not enable them: (code, url name, method).
FUNCTION_URLS = [
    ("usage", "clientarea:service_usage", "get"),
    ("metered_billing", "clientarea:service_metered", "get"),
    ("upgrades", "clientarea:service_upgrade", "get"),
    ("change_billing_cycle", "clientarea:service_cycle", "get"),
    ("cancellation", "clientarea:service_cancel", "get"),
    ("access_control_panel", "clientarea:service_control_panel", "post"),
]


def sign_in_client(page, base: str) -> None:  # noqa: ANN001
    page.goto(f"{base}/login/")
    page.fill("#id_email", EMAIL)
    page.fill("#id_password", factories.PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base}/")


def sign_in_staff(staff_page, base: str, next_url: str) -> None:  # noqa: ANN001
    factories.staff_user(email=STAFF)
    staff_page.goto(f"{base}/admin/login/?next={next_url}")
    staff_page.fill("#id_username", STAFF)
    staff_page.fill("#id_password", factories.PASSWORD)
    staff_page.click("input[type=submit]")
    staff_page.wait_for_url(re.compile(re.escape(next_url)))


def box(page, selector: str) -> dict:  # noqa: ANN001
    found = page.locator(selector).bounding_box()
    assert found is not None, selector
    return found


def test_client_functions_walk(live_server, page, staff_page, settings, shot, panel, hosting):
    settings.MOORAGE_CLOCK_DATE = "2026-01-15"
    base = live_server.url
    client = factories.client(email=EMAIL, first_name="Wanda")
    business = hosting.order_page.products.get(name="Business Hosting")
    hosting.available_upgrades.add(business)
    service = factories.paid_service(client, hosting, now=clock.now(), hostname="walk-cafe.com")
    assert run_due_jobs(now=clock.now()) == 1
    service.refresh_from_db()
    assert service.status == Service.Status.ACTIVE
    Service.objects.filter(pk=service.pk).update(notes="Backups run nightly at 03:00.")
    Product.objects.filter(pk=hosting.pk).update(client_functions=[])

    # Staff open the product's Client Functions tab: not-applicable ones cannot be ticked; Enable all.
    tab = reverse("admin:catalog_product_client_functions", args=[hosting.pk])
    sign_in_staff(staff_page, base, reverse("admin:catalog_product_change", args=[hosting.pk]))
    staff_page.click("#client-functions")
    staff_page.wait_for_url(re.compile(re.escape(tab)))
    for code in ("webmail", "manage_ip", "reverse_dns"):
        assert staff_page.locator(f"#fn-{code}").is_disabled()
    assert "Not applicable to shared hosting on ispmanager" in staff_page.locator("tr[data-code=webmail]").inner_text()
    assert "View the agreements" in staff_page.locator("tr[data-code=contracts]").inner_text()
    staff_page.check("input[name=layout][value=left]")
    shot(staff_page, "cf-01-staff-tab")
    staff_page.click("#enable-all")
    staff_page.wait_for_load_state()
    assert "saved" in staff_page.locator(".messagelist").inner_text()
    hosting.refresh_from_db()
    assert hosting.client_functions == [f.code for f in cf.FUNCTIONS if f.can_enable]
    shot(staff_page, "cf-02-staff-tab-all-enabled")

    # The client walks every entry of the service's menu.
    sign_in_client(page, base)
    service_url = f"{base}/services/{service.pk}/"
    page.goto(service_url)
    menu = page.get_by_test_id("service-menu")
    entries = menu.locator("a[data-code]")
    walked = {}
    for i in range(entries.count()):
        link = entries.nth(i)
        walked[link.get_attribute("data-code")] = link.get_attribute("href")
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
        assert code in walked, code
    for code in LATER_PAGES:
        try:
            url = reverse(f"clientarea:service_{code}", args=[service.pk])
        except NoReverseMatch:
            assert code not in walked  # not built in this branch: not offered
            continue
        assert walked.get(code) == url, code
    for code, href in walked.items():
        if href.startswith("#"):
            page.goto(service_url)
            page.get_by_test_id(f"fn-{code}").click()
            assert page.locator(href).is_visible(), code
            continue
        page.goto(service_url)
        with page.expect_navigation() as navigation:
            page.get_by_test_id(f"fn-{code}").click()
        response = navigation.value
        assert response is not None and response.status == 200, (code, href)
        assert page.get_by_test_id("forbidden").count() == 0, code
        shot(page, f"cf-03-page-{code}")

    # Request Cancellation jumps to the page's cancellation part, whose button opens the request page.
    page.goto(service_url)
    page.get_by_test_id("fn-cancellation").click()
    with page.expect_navigation() as navigation:
        page.get_by_test_id("request-cancellation").click()
    assert navigation.value is not None and navigation.value.status == 200
    assert page.url == f"{base}{reverse('clientarea:service_cancel', args=[service.pk])}"
    shot(page, "cf-03-page-cancellation")

    # The three layouts: the menu is left of, right of, or above the page's content.
    for layout in ("left", "right", "top"):
        Product.objects.filter(pk=hosting.pk).update(client_area_layout=layout)
        page.goto(service_url)
        assert page.get_by_test_id("service-menu").get_attribute("data-layout") == layout
        path = shot(page, f"cf-04-layout-{layout}")
        assert path.exists() and path.stat().st_size > 0
        nav, main = box(page, ".service-menu"), box(page, ".service-main")
        if layout == "left":
            assert nav["x"] + nav["width"] <= main["x"]
        elif layout == "right":
            assert main["x"] + main["width"] <= nav["x"]
        else:
            assert nav["y"] + nav["height"] <= main["y"]
            assert nav["width"] > nav["height"]  # a bar, not a column

    # A product with functions disabled: no entries for them, and their URLs answer 403 with the reason.
    Product.objects.filter(pk=hosting.pk).update(client_functions=["related_invoices"])
    page.goto(service_url)
    assert [page.get_by_test_id("service-menu").locator("a[data-code]").get_attribute("data-code")] == [
        "related_invoices"
    ]
    assert page.get_by_test_id("login-details").count() == 0
    assert page.get_by_test_id("related-emails-link").count() == 0
    shot(page, "cf-05-functions-disabled")
    for code, name, method in FUNCTION_URLS:
        url = reverse(name, args=[service.pk])
        label = cf.BY_CODE[code].label
        if method == "get":
            response = page.goto(f"{base}{url}")
            assert response is not None and response.status == 403, code
            assert f"{label} is not enabled for this product" in page.get_by_test_id("forbidden-reason").inner_text()
        else:
            token = next(c["value"] for c in page.context.cookies() if c["name"] == "csrftoken")
            response = page.request.post(
                f"{base}{url}", headers={"X-CSRFToken": token, "Referer": service_url}, max_redirects=0
            )
            assert response.status == 403, code
            assert f"{label} is not enabled for this product" in response.text()
    shot(page, "cf-06-refused")
