"""Russian in the client area: each client's own language, the switcher, registration, the profile."""

from __future__ import annotations

import json
import re
from decimal import Decimal

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation

from moorage.api.actions import api_token_create
from moorage.billing.pdf import render_invoice_html
from moorage.catalog import client_functions as cf
from moorage.clientarea.templatetags.moorage_ui import money
from moorage.core.errors import DomainError
from moorage.core.models import AuditEntry
from moorage.customers.models import Client
from moorage.customers.registration import ensure_builtin_fields
from moorage.orders.actions import order_checkout
from tests.clientarea.test_client_functions import active, enable  # noqa: F401  (an active service)
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english_after():  # noqa: ANN202
    """Requests activate a language in this thread; the next test starts from the default again."""
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture
def russian(client_account):  # noqa: ANN001, ANN201
    client_account.language = "ru"
    client_account.save(update_fields=["language"])
    return client_account


def _text(response) -> str:  # noqa: ANN001
    return response.content.decode()


# --- a Russian client sees Russian pages -------------------------------------------------------------


def test_russian_client_sees_the_dashboard_and_navigation_in_russian(signed_in, russian, order):
    page = _text(signed_in.get(reverse("clientarea:dashboard")))
    assert '<html lang="ru">' in page
    for text in ("Главная", "Услуги", "Счета", "Ваши услуги", "Неоплаченные счета", "Заказать новую услугу", "Выйти"):
        assert text in page, text
    assert "Your services" not in page
    assert "Unpaid invoices" not in page
    # The long date format and the amount follow the language: "15 января 2026" and "4,99 USD".
    assert "15 января 2026" in page and "Jan 15, 2026" not in page
    assert "4,99 USD" in page


def test_russian_client_sees_services_invoices_and_profile_in_russian(signed_in, russian, order):
    services = _text(signed_in.get(reverse("clientarea:services")))
    assert "Услуги" in services and "Ожидает" in services  # the pending service's status label
    invoices = _text(signed_in.get(reverse("clientarea:invoices")))
    assert "Счета" in invoices and "Не оплачен" in invoices
    invoice = _text(signed_in.get(reverse("clientarea:invoice", args=[order.invoice.number])))
    assert f"Счёт №{order.invoice.display_number}" in invoice
    profile = _text(signed_in.get(reverse("clientarea:account")))
    for text in ("Данные аккаунта", "Сохранить изменения", "Язык", "Адрес email", "Имя"):
        assert text in profile, text


def test_an_english_client_keeps_english_whatever_the_browser_says(signed_in, client_account, order):
    page = _text(signed_in.get(reverse("clientarea:dashboard"), HTTP_ACCEPT_LANGUAGE="ru"))
    assert '<html lang="en">' in page
    assert "Your services" in page and "Ваши услуги" not in page


def test_messages_of_a_client_flow_are_in_the_clients_language(signed_in, russian, order):
    signed_in.get(reverse("clientarea:dashboard"))  # the client's language goes into the cookie too
    response = signed_in.post(reverse("clientarea:logout"), follow=True)
    # Signed out, the pages stay in the language the client chose …
    assert "Вы вышли из системы." in _text(response)
    assert '<html lang="ru">' in _text(signed_in.get(reverse("clientarea:login")))
    signed_in.force_login(russian.user)
    # … and a signed-in Russian client's form errors are Russian.
    response = signed_in.post(reverse("clientarea:password"), {"current_password": "wrong", "password": "x"})
    assert "Текущий пароль указан неверно" in _text(response)


def test_domain_errors_keep_their_code_and_speak_the_active_language(client_account, now):
    with translation.override("ru"), pytest.raises(DomainError) as ru:
        order_checkout(client=client_account, items=[], now=now)
    with translation.override("en"), pytest.raises(DomainError) as en:
        order_checkout(client=client_account, items=[], now=now)
    assert ru.value.code == en.value.code
    assert ru.value.message == "корзина пуста"
    assert en.value.message == "the cart is empty"


def test_amounts_are_grouped_and_marked_the_way_the_language_writes_them():
    with translation.override("en"):
        assert money(Decimal("1234.5"), "USD") == "1,234.50 USD"
    with translation.override("ru"):
        assert money(Decimal("1234.5"), "USD") == "1\xa0234,50 USD"


def test_the_invoice_document_is_in_its_clients_language(russian, order):
    html = render_invoice_html(order.invoice)
    assert "СЧЁТ" in html and "Плательщик" in html
    assert translation.get_language() == settings.LANGUAGE_CODE  # the override ended with the document


# --- the language switcher ----------------------------------------------------------------------------


def test_switching_language_saves_it_on_the_client(signed_in, client_account):
    response = signed_in.post(reverse("clientarea:set_language"), {"language": "ru", "next": "/invoices/"})
    assert response.status_code == 302 and response["Location"] == "/invoices/"
    client_account.refresh_from_db()
    assert client_account.language == "ru"
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "ru"
    entry = AuditEntry.objects.get(action="client_set_language")
    assert entry.data == {"before": "en", "after": "ru"}
    assert "Ваши услуги" in _text(signed_in.get(reverse("clientarea:dashboard")))
    # And back: the dashboard is English again.
    signed_in.post(reverse("clientarea:set_language"), {"language": "en", "next": "/"})
    assert "Your services" in _text(signed_in.get(reverse("clientarea:dashboard")))


@pytest.mark.parametrize("value", ["de", "", "ru-RU", "RU", "ru<script>", "../en", "x" * 500])
def test_a_language_moorage_does_not_ship_is_refused(signed_in, client_account, value):
    response = signed_in.post(reverse("clientarea:set_language"), {"language": value, "next": "/"})
    assert response.status_code == 400
    client_account.refresh_from_db()
    assert client_account.language == "en"
    cookie = response.cookies.get(settings.LANGUAGE_COOKIE_NAME)
    assert cookie is None or cookie.value == "en"  # at most the client's own language, remembered
    assert not AuditEntry.objects.filter(action="client_set_language").exists()


def test_the_switcher_needs_a_post_with_csrf(client_account):
    from django.test import Client as Browser

    browser = Browser(enforce_csrf_checks=True)
    browser.force_login(client_account.user)
    assert browser.get(reverse("clientarea:set_language") + "?language=ru").status_code == 405
    assert browser.post(reverse("clientarea:set_language"), {"language": "ru"}).status_code == 403
    client_account.refresh_from_db()
    assert client_account.language == "en"


def test_the_switcher_does_not_send_a_visitor_off_site(client):
    response = client.post(reverse("clientarea:set_language"), {"language": "ru", "next": "https://evil.example/"})
    assert response.status_code == 302
    assert "evil.example" not in response["Location"]


def test_an_anonymous_visitor_gets_the_browsers_language_and_can_switch(client):
    assert "Войти" in _text(client.get(reverse("clientarea:login"), HTTP_ACCEPT_LANGUAGE="ru-RU,ru;q=0.9"))
    english = _text(client.get(reverse("clientarea:login"), HTTP_ACCEPT_LANGUAGE="de-DE,de;q=0.9"))
    assert '<html lang="en">' in english and "Sign in" in english
    client.post(reverse("clientarea:set_language"), {"language": "ru", "next": "/login/"})
    assert '<html lang="ru">' in _text(client.get(reverse("clientarea:login")))


# --- registration and profile -------------------------------------------------------------------------


def _registration(**overrides):  # noqa: ANN003, ANN202
    data = {
        "email": "nina@example.com",
        "password": PASSWORD,
        "password2": PASSWORD,
        "first_name": "Nina",
        "last_name": "Orlova",
    }
    data.update(overrides)
    return data


def test_registration_with_a_language(client):
    ensure_builtin_fields()
    page = _text(client.get(reverse("clientarea:register")))
    assert 'name="language"' in page
    response = client.post(reverse("clientarea:register"), _registration(language="ru"))
    assert response.status_code == 302
    assert Client.objects.get(user__email="nina@example.com").language == "ru"
    assert "Ваши услуги" in _text(client.get(reverse("clientarea:dashboard")))


def test_registration_without_a_choice_takes_the_pages_language(client):
    ensure_builtin_fields()
    response = client.post(reverse("clientarea:register"), _registration(), HTTP_ACCEPT_LANGUAGE="ru")
    assert response.status_code == 302
    assert Client.objects.get(user__email="nina@example.com").language == "ru"


def test_registration_refuses_a_hostile_language(client):
    ensure_builtin_fields()
    response = client.post(reverse("clientarea:register"), _registration(language="xx"))
    assert response.status_code == 200
    assert "language" in response.context["form"].errors
    assert not Client.objects.filter(user__email="nina@example.com").exists()


def test_the_profile_changes_the_language(signed_in, client_account):
    ensure_builtin_fields()
    data = {"email": client_account.email, "first_name": "Ann", "last_name": "Lee", "language": "ru"}
    assert signed_in.post(reverse("clientarea:account"), data).status_code == 302
    client_account.refresh_from_db()
    assert client_account.language == "ru"
    data["language"] = "fr"
    response = signed_in.post(reverse("clientarea:account"), data)
    assert "language" in response.context["form"].errors
    client_account.refresh_from_db()
    assert client_account.language == "ru"


# --- staff and API ------------------------------------------------------------------------------------


def test_staff_set_a_clients_language(client, staff, client_account):
    ensure_builtin_fields()
    client.force_login(staff)
    url = reverse("admin:customers_client_change", args=[client_account.pk])
    assert 'name="language"' in _text(client.get(url))
    data = {"email": client_account.email, "first_name": "Ann", "last_name": "Lee", "language": "ru"}
    assert client.post(url, data).status_code == 302
    client_account.refresh_from_db()
    assert client_account.language == "ru"
    assert client.post(url, {**data, "language": "zz"}).status_code == 200
    client_account.refresh_from_db()
    assert client_account.language == "ru"


def test_the_api_reads_and_writes_the_language_and_answers_in_english(client, staff, now):
    token = api_token_create(user=staff, now=now, actor=staff)[1]
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token}", "HTTP_ACCEPT_LANGUAGE": "ru"}

    def post(data):  # noqa: ANN001, ANN202
        return client.post("/api/v1/clients", json.dumps(data), content_type="application/json", **auth)

    body = {"email": "ivan@example.com", "password": PASSWORD, "first_name": "Ivan", "last_name": "P"}
    created = post({**body, "language": "ru"})
    assert created.status_code == 201, created.content
    assert created.json()["language"] == "ru"
    assert client.get(f"/api/v1/clients/{created.json()['id']}", **auth).json()["language"] == "ru"
    assert post({**body, "email": "x@example.com", "language": "de"}).status_code == 422
    assert not Client.objects.filter(user__email="x@example.com").exists()
    assert post({**body, "email": "y@example.com"}).json()["language"] == "en"
    duplicate = post({**body, "language": "ru"})
    assert duplicate.status_code == 409
    assert duplicate.json()["message"] == "A client with this email address already exists"  # English for the API
    spec = client.get("/api/v1/openapi.json", **auth)
    if spec.status_code == 200:
        schema = spec.json()["components"]["schemas"]["ClientIn"]["properties"]["language"]
        assert schema.get("enum") == ["en", "ru"]


# --- every service page a Russian client can open --------------------------------------------------------


def test_a_russian_client_opens_the_service_page_and_each_function_page(signed_in, russian, active):  # noqa: F811
    enable(active.product, [f.code for f in cf.FUNCTIONS if f.can_enable and not f.unavailable])
    page = signed_in.get(reverse("clientarea:service", args=[active.pk]))
    assert page.status_code == 200
    html = _text(page)
    for label in ("Изменить метку", "Журнал", "Данные для входа", "Запросить отмену", "Связанные счета"):
        assert label in html, label
    links = sorted(set(re.findall(rf'href="(/services/{active.pk}/[a-z-]+/)"', html)))
    assert len(links) >= 8
    for link in links:
        response = signed_in.get(link)
        assert response.status_code == 200, link
        assert '<html lang="ru">' in _text(response), link


def test_the_staff_area_follows_the_staff_members_browser(client, staff, client_account):
    client.force_login(staff)
    index = _text(client.get(reverse("admin:index"), HTTP_ACCEPT_LANGUAGE="ru"))
    assert "Панель персонала Moorage" in index and "Биллинг и автоматизация" in index
    page = client.get(reverse("admin:customers_client_change", args=[client_account.pk]), HTTP_ACCEPT_LANGUAGE="ru")
    assert page.status_code == 200
    assert "Войти как клиент" in _text(page) and "Язык" in _text(page)
    english = _text(client.get(reverse("admin:index"), HTTP_ACCEPT_LANGUAGE="en"))
    assert "Moorage staff area" in english


def test_login_as_client_shows_the_clients_language_without_keeping_it(client, staff, russian):
    client.force_login(staff)
    client.post(reverse("admin:customers_client_login_as", args=[russian.pk]))
    response = client.get(reverse("clientarea:dashboard"))
    assert '<html lang="ru">' in _text(response)
    assert settings.LANGUAGE_COOKIE_NAME not in response.cookies  # the staff member's browser keeps its own
