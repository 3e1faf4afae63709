"""Staff "Login as Client" in the browser: the client area shows the banner, and the link in it
brings the staff member back to the staff area, signed in as themselves."""

from __future__ import annotations

import re

import pytest
from django.urls import NoReverseMatch, reverse

from tests import factories

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_staff_logs_in_as_client_and_returns(live_server, page, shot):
    try:
        reverse("admin:customers_client_login_as", args=[1])
    except NoReverseMatch:
        pytest.skip("the staff area has no Login as Client yet")
    factories.staff_user(email="staff@example.com")
    client = factories.client(email="customer@example.com", first_name="Cora")
    base = live_server.url
    client_page = reverse("admin:customers_client_change", args=[client.pk])

    page.goto(f"{base}/admin/login/?next={client_page}")
    page.fill("#id_username", "staff@example.com")
    page.fill("#id_password", factories.PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url(re.compile(re.escape(client_page)))
    page.click("#login-as-client")

    page.wait_for_url(f"{base}/")
    banner = page.locator(".banner-impersonation")
    assert "Logged in as client by staff" in banner.inner_text()
    assert "customer@example.com" in banner.inner_text()
    assert "Welcome back, Cora" in page.locator("h1").inner_text()
    shot(page, "11-logged-in-as-client")

    banner.get_by_role("button", name="Return to staff area").click()
    page.wait_for_url(re.compile(re.escape(client_page)))
    assert page.locator("#user-tools").is_visible()  # the staff member is signed in to the staff area again
    page.goto(f"{base}/")
    assert page.locator(".banner-impersonation").count() == 0
