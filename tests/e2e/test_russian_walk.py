"""A client signs in, picks Russian in the header, and reads the dashboard and navigation in Russian;
the choice is kept on the client, so the next sign-in (from a browser that asks for English) is Russian too."""

from __future__ import annotations

import re

import pytest

from moorage.customers.models import Client
from tests import factories

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_client_switches_to_russian(live_server, browser, page, shot):
    client = factories.client(email="olga@example.com", first_name="Olga")
    base = live_server.url

    page.goto(f"{base}/login/")
    page.fill("#id_email", "olga@example.com")
    page.fill("#id_password", factories.PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base}/")
    assert "Welcome back, Olga" in page.locator("h1").inner_text()
    assert page.locator("html").get_attribute("lang") == "en"

    # The header's switcher submits as soon as a language is picked.
    page.locator("[data-testid=language-switcher] select").select_option("ru")
    page.wait_for_function("document.documentElement.lang === 'ru'")
    assert page.url == f"{base}/"
    assert "С возвращением, Olga" in page.locator("h1").inner_text()
    nav = page.locator("nav.mainnav").inner_text()
    for item in ("Главная", "Услуги", "Счета", "Письма", "Заказ"):
        assert item in nav, item
    assert page.get_by_role("button", name="Выйти").is_visible()
    assert "Ваши услуги" in page.locator("main").inner_text()
    shot(page, "20-dashboard-in-russian")
    client.refresh_from_db()
    assert client.language == "ru"

    # The navigation keeps the language from page to page.
    page.get_by_role("link", name="Счета").click()
    page.wait_for_url(re.compile(r"/invoices/$"))
    assert "Счета" in page.locator("h1").inner_text()

    # Another browser, which asks for English: once signed in, the client's own language wins.
    context = browser.new_context(locale="en-US")
    other = context.new_page()
    try:
        other.goto(f"{base}/login/")
        assert other.locator("html").get_attribute("lang") == "en"
        other.fill("#id_email", "olga@example.com")
        other.fill("#id_password", factories.PASSWORD)
        other.get_by_role("button", name="Sign in").click()
        other.wait_for_url(f"{base}/")
        assert other.locator("html").get_attribute("lang") == "ru"
        assert "С возвращением, Olga" in other.locator("h1").inner_text()
    finally:
        context.close()
    assert Client.objects.get(pk=client.pk).language == "ru"
