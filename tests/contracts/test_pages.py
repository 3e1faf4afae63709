"""Contracts, terms and Image Verification on the client's pages: registration, checkout, the
Contracts client function, and the staff screens."""

from __future__ import annotations

import re

import pytest
from captcha.models import CaptchaStore
from django.urls import reverse

from moorage.contracts.actions import contract_version_add
from moorage.contracts.models import Acceptance, ContractTemplate, ContractVersion, ProductContract
from moorage.customers.models import Client
from moorage.orders.actions import CartItem, order_checkout
from moorage.orders.models import Order
from tests import factories
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

REGISTER = reverse("clientarea:register")
CHECKOUT = reverse("clientarea:checkout")


def registration(**overrides):  # noqa: ANN003, ANN201
    data = {
        "email": "new@example.com",
        "password": PASSWORD,
        "password2": PASSWORD,
        "first_name": "Ada",
        "last_name": "Lovelace",
        "address1": "1 Main St",
        "city": "London",
        "zip_code": "N1",
        "country": "gb",
    }
    data.update(overrides)
    return data


def hidden(page: str, name: str) -> str:
    match = re.search(rf'name="{name}" value="([^"]*)"', page) or re.search(rf'value="([^"]*)" name="{name}"', page)
    assert match, name
    return match.group(1)


def add_to_cart(client, product, hostname="example.com"):  # noqa: ANN001, ANN201
    return client.post(reverse("clientarea:product", args=[product.pk]), {"cycle": "monthly", "hostname": hostname})


# --- registration: Terms of Service ----------------------------------------------------------------


def test_registration_without_terms_has_no_checkbox(client, test_clock):
    page = client.get(REGISTER).content.decode()
    assert "accept_terms" not in page and "captcha" not in page
    assert client.post(REGISTER, registration()).status_code == 302
    assert not Acceptance.objects.exists()


def test_registration_shows_the_terms_and_requires_accepting_them(client, site_terms, test_clock):
    page = client.get(REGISTER).content.decode()
    assert "Terms of Service" in page and "The rules." in page and 'name="accept_terms"' in page
    shown = hidden(page, "accept_terms_versions")

    refused = client.post(REGISTER, registration(accept_terms_versions=shown))
    assert refused.status_code == 200
    assert "Please read and accept the terms" in refused.content.decode()
    assert not Client.objects.exists()

    response = client.post(REGISTER, registration(accept_terms="on", accept_terms_versions=shown))
    assert response.status_code == 302
    row = Acceptance.objects.get()
    assert (row.client.email, row.kind, row.version, row.ip_address, row.order_id) == (
        "new@example.com",
        "terms",
        site_terms.versions.get(),
        "127.0.0.1",
        None,
    )


def test_terms_changed_while_the_page_was_open_are_shown_again(client, site_terms, now, test_clock):
    shown = hidden(client.get(REGISTER).content.decode(), "accept_terms_versions")
    contract_version_add(template_id=site_terms.pk, text="New rules.", publish=True, now=now, actor=None)
    response = client.post(REGISTER, registration(accept_terms="on", accept_terms_versions=shown))
    page = response.content.decode()
    assert response.status_code == 200 and "The terms have changed" in page and "New rules." in page
    assert not Client.objects.exists()
    response = client.post(
        REGISTER, registration(accept_terms="on", accept_terms_versions=hidden(page, "accept_terms_versions"))
    )
    assert response.status_code == 302
    assert Acceptance.objects.get().version.number == 2


# --- registration: Image Verification --------------------------------------------------------------


def test_image_verification_is_off_by_default(settings):
    assert settings.MOORAGE_CAPTCHA is False


def test_registration_needs_the_picture_when_on(client, captcha_on, test_clock):
    page = client.get(REGISTER).content.decode()
    assert "Image Verification" in page and 'name="captcha_0"' in page and "/captcha/image/" in page
    key = hidden(page, "captcha_0")
    image = client.get(reverse("captcha-image", args=[key]))
    assert image.status_code == 200 and image["Content-Type"] == "image/png"

    refused = client.post(REGISTER, registration(captcha_0=key, captcha_1="wrong"))
    assert refused.status_code == 200 and "do not match the picture" in refused.content.decode()
    assert not Client.objects.exists()

    page = client.get(REGISTER).content.decode()
    key = hidden(page, "captcha_0")
    answer = CaptchaStore.objects.get(hashkey=key).response
    assert client.post(REGISTER, registration(captcha_0=key, captcha_1=answer)).status_code == 302
    assert Client.objects.filter(user__email="new@example.com").exists()


def test_a_picture_is_good_for_one_answer_only(client, captcha_on, test_clock):
    key = hidden(client.get(REGISTER).content.decode(), "captcha_0")
    answer = CaptchaStore.objects.get(hashkey=key).response
    client.post(REGISTER, registration(captcha_0=key, captcha_1="nope"))
    again = client.post(REGISTER, registration(captcha_0=key, captcha_1=answer))
    assert again.status_code == 200 and not Client.objects.exists()


def test_the_test_mode_answer_passes(client, captcha_on, test_clock):
    key = hidden(client.get(REGISTER).content.decode(), "captcha_0")
    assert client.post(REGISTER, registration(captcha_0=key, captcha_1="PASSED")).status_code == 302


def test_only_the_pictures_of_the_captcha_package_are_served(client):
    assert client.get("/captcha/refresh/").status_code == 404


# --- checkout ---------------------------------------------------------------------------------------


def test_checkout_shows_the_contract_and_refuses_without_the_checkbox(signed_in, starter_with_terms, unchanged):
    add_to_cart(signed_in, starter_with_terms)
    page = signed_in.get(CHECKOUT).content.decode()
    assert "Hosting terms" in page and "No spam." in page and 'name="accept_contracts"' in page
    shown = hidden(page, "accept_contracts_versions")

    with unchanged():
        response = signed_in.post(CHECKOUT, {"accept_contracts_versions": shown})
    assert response.status_code == 200
    assert "Please read and accept Hosting terms to place this order" in response.content.decode()


def test_checkout_with_the_checkbox_stores_the_acceptance(signed_in, client_account, starter_with_terms):
    add_to_cart(signed_in, starter_with_terms)
    shown = hidden(signed_in.get(CHECKOUT).content.decode(), "accept_contracts_versions")
    response = signed_in.post(CHECKOUT, {"accept_contracts": "on", "accept_contracts_versions": shown})
    assert response.status_code == 302
    order = Order.objects.get()
    row = Acceptance.objects.get()
    assert (row.client, row.order_id, row.version.number, row.ip_address) == (client_account, order.pk, 1, "127.0.0.1")


def test_a_contract_changed_during_checkout_must_be_read_again(signed_in, starter_with_terms, hosting_terms, now):
    add_to_cart(signed_in, starter_with_terms)
    shown = hidden(signed_in.get(CHECKOUT).content.decode(), "accept_contracts_versions")
    contract_version_add(template_id=hosting_terms.pk, text="Version two.", publish=True, now=now, actor=None)
    response = signed_in.post(CHECKOUT, {"accept_contracts": "on", "accept_contracts_versions": shown})
    page = response.content.decode()
    assert "The contract has changed" in page and "Version two." in page
    assert not Order.objects.exists() and not Acceptance.objects.exists()


def test_a_new_clients_first_checkout_needs_the_picture(signed_in, client_account, starter, captcha_on, now):
    add_to_cart(signed_in, starter)
    page = signed_in.get(CHECKOUT).content.decode()
    assert 'name="captcha_1"' in page
    refused = signed_in.post(CHECKOUT, {"captcha_0": hidden(page, "captcha_0"), "captcha_1": "wrong"})
    assert refused.status_code == 200 and not Order.objects.exists()
    key = hidden(refused.content.decode(), "captcha_0")
    assert signed_in.post(CHECKOUT, {"captcha_0": key, "captcha_1": "PASSED"}).status_code == 302
    add_to_cart(signed_in, starter, hostname="second.example")
    assert 'name="captcha_1"' not in signed_in.get(CHECKOUT).content.decode()
    assert signed_in.post(CHECKOUT, {}).status_code == 302
    assert Order.objects.filter(client=client_account).count() == 2


# --- the Contracts client function -----------------------------------------------------------------


def contracts_url(service) -> str:  # noqa: ANN001
    return reverse("clientarea:service_contracts", args=[service.pk])


@pytest.fixture
def ordered(client_account, starter_with_terms, site_terms, now):  # noqa: ANN001, ANN201
    from moorage.contracts.actions import terms_accept

    terms_accept(
        client_id=client_account.pk, version_ids=[site_terms.versions.get().pk], ip_address="198.51.100.4", now=now
    )
    order = order_checkout(
        client=client_account,
        items=[CartItem(starter_with_terms.pk, "monthly", "example.com")],
        now=now,
        ip_address="203.0.113.9",
        accept_contracts=True,
    )
    return order.items.get().service


def test_the_client_sees_what_they_accepted_with_the_service(signed_in, ordered):
    page = signed_in.get(contracts_url(ordered)).content.decode()
    assert "Hosting terms" in page and "version 1" in page and "203.0.113.9" in page and "No spam." in page
    assert "2026-01-15 10:00" in page
    assert "Terms of Service" in page and "The rules." in page
    service_page = signed_in.get(reverse("clientarea:service", args=[ordered.pk])).content.decode()
    assert f'href="{contracts_url(ordered)}" data-testid="fn-contracts"' in service_page


def test_the_menu_offers_contracts_only_where_a_contract_applies(signed_in, client_account, starter, now):
    service = factories.checkout(client_account, starter, now=now).items.get().service
    page = signed_in.get(reverse("clientarea:service", args=[service.pk])).content.decode()
    assert 'data-testid="fn-contracts"' not in page
    assert "No agreement was accepted" in signed_in.get(contracts_url(service)).content.decode()


def test_another_clients_service_is_not_found(client, ordered, test_clock, now):
    other = factories.client(now=now, email="other@example.com")
    client.force_login(other.user)
    assert client.get(contracts_url(ordered)).status_code == 404


def test_a_disabled_function_is_refused(signed_in, ordered):
    ordered.product.client_functions = [c for c in ordered.product.client_functions if c != "contracts"]
    ordered.product.save(update_fields=["client_functions"])
    assert signed_in.get(contracts_url(ordered)).status_code == 403


def product_form_data(page: str) -> dict:
    """The values of the product admin page's inputs, selects and textareas, as the browser posts them."""
    import html

    data: dict = {}
    for name, value in re.findall(r'<input[^>]*?name="([^"]+)"[^>]*?value="([^"]*)"', page):
        data.setdefault(name, html.unescape(value))
    for match in re.finditer(r"<input([^>]*)>", page):
        attrs = match.group(1)
        name = re.search(r'name="([^"]+)"', attrs)
        if name and 'type="checkbox"' in attrs:
            data.pop(name.group(1), None)
            if " checked" in attrs:
                value = re.search(r'value="([^"]*)"', attrs)
                data.setdefault(name.group(1), value.group(1) if value else "on")
    for name, body in re.findall(r'<select[^>]*name="([^"]+)"[^>]*>(.*?)</select>', page, re.S):
        chosen = re.findall(r'<option value="([^"]*)"[^>]*selected', body)
        if chosen:
            data[name] = chosen if len(chosen) > 1 else chosen[0]
    for name, body in re.findall(r'<textarea[^>]*name="([^"]+)"[^>]*>(.*?)</textarea>', page, re.S):
        data[name] = html.unescape(body.lstrip("\n"))
    return {k: v for k, v in data.items() if "__prefix__" not in k and k != "csrfmiddlewaretoken"}


# --- staff ------------------------------------------------------------------------------------------


@pytest.fixture
def staff_client(client, staff):  # noqa: ANN001, ANN201
    client.force_login(staff)
    return client


def test_staff_see_who_accepted_which_version(staff_client, ordered):
    page = staff_client.get(reverse("admin:contracts_acceptance_changelist")).content.decode()
    assert "Jane Doe" in page and "Hosting terms" in page and "v1" in page and "203.0.113.9" in page
    row = Acceptance.objects.filter(kind="contract").get()
    assert staff_client.get(reverse("admin:contracts_acceptance_change", args=[row.pk])).status_code == 200
    assert (
        staff_client.post(reverse("admin:contracts_acceptance_delete", args=[row.pk]), {"post": "yes"}).status_code
        == 403
    )


def test_staff_add_versions_and_an_accepted_one_stays_as_it_is(staff_client, ordered, hosting_terms):
    assert (
        staff_client.get(reverse("admin:contracts_contracttemplate_change", args=[hosting_terms.pk])).status_code == 200
    )
    add = reverse("admin:contracts_contractversion_add")
    assert staff_client.get(add + f"?template={hosting_terms.pk}").status_code == 200
    response = staff_client.post(add, {"template": hosting_terms.pk, "text": "Third time.", "publish": "on"})
    assert response.status_code == 302
    assert hosting_terms.current_version().number == 2
    accepted = hosting_terms.versions.get(number=1)
    change = reverse("admin:contracts_contractversion_change", args=[accepted.pk])
    staff_client.post(change, {"template": hosting_terms.pk, "text": "Sneaky edit", "publish": "on"})
    accepted.refresh_from_db()
    assert accepted.text == "Be nice.\nNo spam."
    draft = hosting_terms.versions.get(number=2)
    response = staff_client.post(
        reverse("admin:contracts_contractversion_change", args=[draft.pk]), {"text": "Fixed.", "publish": "on"}
    )
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.text == "Fixed."


def test_staff_create_a_template_and_pick_it_on_the_product_page(staff_client, starter):
    response = staff_client.post(
        reverse("admin:contracts_contracttemplate_add"),
        {"name": "Licence", "code": "licence", "versions-TOTAL_FORMS": "0", "versions-INITIAL_FORMS": "0"},
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    template = ContractTemplate.objects.get(code="licence")
    page = staff_client.get(reverse("admin:catalog_product_change", args=[starter.pk])).content.decode()
    assert 'id="contract-group"' in page and 'name="contract-0-template"' in page
    assert f'<option value="{template.pk}">Licence</option>' in page
    assert not ContractVersion.objects.exists() and not ProductContract.objects.exists()
    form = {
        "contract-TOTAL_FORMS": "1",
        "contract-INITIAL_FORMS": "0",
        "contract-0-template": str(template.pk),
    }
    data = product_form_data(page)
    data.update(form)
    response = staff_client.post(reverse("admin:catalog_product_change", args=[starter.pk]), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert ProductContract.objects.get(product=starter).template == template
