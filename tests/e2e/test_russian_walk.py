"""A client signs in, picks Russian in the header, and reads the dashboard and navigation in Russian;
the choice is kept on the client, so the next sign-in (from a browser that asks for English) is Russian
too, and the emails that follow (delivered through a real SMTP server) are Russian."""

from __future__ import annotations

import re
from email.header import decode_header, make_header

import pytest

from moorage.core import clock
from moorage.customers.models import Client
from moorage.notifications.actions import deliver_pending
from tests import factories
from tests.notifications.conftest import smtp, smtp_server  # noqa: F401  (aiosmtpd on a free port)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_client_switches_to_russian(live_server, browser, page, shot, smtp):  # noqa: F811
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

    # The next event's email is Russian: an order (its Initial Order email), sent over SMTP, then read
    # on the client's Emails page.
    client.refresh_from_db()
    plan = factories.product(factories.shared_page(), name="Start")
    order = factories.checkout(client, plan, hostname="olga.example.com")
    assert deliver_pending(now=clock.now()) >= 1
    (message,) = [m for m in smtp.messages if m["To"] == "olga@example.com"]
    subject = str(make_header(decode_header(str(message["Subject"]))))
    assert subject == f"Заказ {order.display_number} принят", subject
    page.get_by_role("link", name="Письма").click()
    page.wait_for_url(re.compile(r"/emails/$"))
    page.get_by_role("link", name=subject).click()
    body = page.locator("main").inner_text()
    assert "Здравствуйте, Olga" in body and "Спасибо за заказ" in body, body
    shot(page, "21-email-in-russian")

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
