"""Sign-in, registration (with the configured registration fields), sign-out."""

from __future__ import annotations

import pytest
from django.urls import reverse

from moorage.core.models import AuditEntry, User
from moorage.customers.models import Client, RegistrationField
from moorage.customers.registration import ensure_builtin_fields
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

REGISTER = reverse("clientarea:register")
LOGIN = reverse("clientarea:login")


def registration_data(**overrides):  # noqa: ANN003, ANN201
    data = {
        "email": "new@example.com",
        "password": PASSWORD,
        "password2": PASSWORD,
        "first_name": "Ada",
        "last_name": "Lovelace",
        "organization": "",
        "address1": "1 Main St",
        "address2": "",
        "city": "London",
        "state": "",
        "zip_code": "N1",
        "country": "gb",
        "phone": "",
        "account_type": "",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def test_register_page_shows_the_configured_fields(client):
    ensure_builtin_fields()
    RegistrationField.objects.filter(key="phone").update(shown=False)
    RegistrationField.objects.filter(key="city").update(required=True)
    RegistrationField.objects.create(key="vat-id", label="VAT ID", kind="text", sort_order=200)
    RegistrationField.objects.create(
        key="heard",
        label="How did you hear of us?",
        kind="select",
        options="Search\nFriend",
        required=True,
        sort_order=210,
    )
    RegistrationField.objects.create(key="newsletter", label="Send me news", kind="checkbox", sort_order=220)

    page = client.get(REGISTER).content.decode()

    assert 'name="email"' in page and 'name="password"' in page and 'name="password2"' in page
    assert "Repeat Password" in page
    assert 'name="phone"' not in page  # hidden by staff
    assert 'name="city" autocomplete="address-level2" maxlength="200" required' in page
    assert "VAT ID" in page and 'name="vat-id"' in page
    assert '<option value="Friend">Friend</option>' in page
    assert 'type="checkbox" name="newsletter"' in page


def test_register_creates_the_client_signs_in_and_keeps_custom_answers(client):
    ensure_builtin_fields()
    RegistrationField.objects.create(
        key="heard",
        label="How did you hear of us?",
        kind="select",
        options="Search\nFriend",
        required=True,
        sort_order=210,
    )
    RegistrationField.objects.create(key="newsletter", label="Send me news", kind="checkbox", sort_order=220)

    response = client.post(REGISTER, registration_data(heard="Friend", newsletter="on"))

    assert response.status_code == 302 and response["Location"] == reverse("clientarea:dashboard")
    new = Client.objects.get(user__email="new@example.com")
    assert (new.first_name, new.city, new.country) == ("Ada", "London", "GB")
    assert new.custom_fields == {"heard": "Friend", "newsletter": True}
    assert client.get(reverse("clientarea:dashboard")).status_code == 200


def test_register_honours_next(client):
    response = client.post(f"{REGISTER}?next=/cart/", registration_data(next="/cart/"))
    assert response["Location"] == "/cart/"


def test_register_ignores_next_to_another_site(client):
    response = client.post(REGISTER, registration_data(next="https://evil.example/"))
    assert response["Location"] == reverse("clientarea:dashboard")


def test_registering_twice_with_one_email_is_a_form_error(client, client_account):
    users = User.objects.count()

    response = client.post(REGISTER, registration_data(email=client_account.email.upper()))

    assert response.status_code == 200
    assert "A client with this email address already exists" in response.content.decode()
    assert response.context["form"].errors["email"]
    assert User.objects.count() == users
    assert "_auth_user_id" not in client.session


def test_required_custom_field_missing(client):
    ensure_builtin_fields()
    RegistrationField.objects.create(key="terms", label="I accept the terms", kind="checkbox", required=True)

    response = client.post(REGISTER, registration_data())

    assert response.status_code == 200
    assert response.context["form"].errors["terms"]
    assert not Client.objects.exists()


def test_action_errors_land_on_their_field(client):
    response = client.post(REGISTER, registration_data(country="D1"))
    assert "two-letter ISO code" in response.context["form"].errors["country"][0]
    response = client.post(REGISTER, registration_data(password="password", password2="password"))
    assert response.context["form"].errors["password"]
    assert not Client.objects.exists()


def test_passwords_must_match(client):
    response = client.post(REGISTER, registration_data(password2="something-else-9"))
    assert response.context["form"].errors["password2"] == ["The two passwords do not match"]
    assert not Client.objects.exists()


def test_login_and_logout(client, client_account):
    response = client.post(LOGIN, {"email": client_account.email.upper(), "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == reverse("clientarea:dashboard")
    assert client.get(reverse("clientarea:dashboard")).status_code == 200

    assert client.get(reverse("clientarea:logout")).status_code == 405  # sign-out is a POST
    response = client.post(reverse("clientarea:logout"))
    assert response["Location"] == LOGIN
    assert client.get(reverse("clientarea:dashboard")).status_code == 302


def test_login_goes_back_to_next(client, client_account):
    response = client.post(
        f"{LOGIN}?next=/cart/",
        {"email": client_account.email, "password": PASSWORD, "next": "/cart/"},
    )
    assert response["Location"] == "/cart/"


def test_wrong_password(client, client_account):
    response = client.post(LOGIN, {"email": client_account.email, "password": "nope-nope-nope"})
    assert response.status_code == 200
    assert "email address or password is not correct" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_staff_without_client_account_cannot_sign_in_here(client, staff):
    response = client.post(LOGIN, {"email": staff.email, "password": PASSWORD})
    assert "staff login without a client account" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_staff_signed_in_elsewhere_sees_a_hint(client, staff):
    client.force_login(staff)
    response = client.get(reverse("clientarea:dashboard"))
    assert response.status_code == 403
    assert "staff login without a client account" in response.content.decode()


def test_closed_client_cannot_sign_in(client, client_account):
    Client.objects.filter(pk=client_account.pk).update(status=Client.Status.CLOSED)
    response = client.post(LOGIN, {"email": client_account.email, "password": PASSWORD})
    assert "closed" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_registration_is_audited(client):
    client.post(REGISTER, registration_data())
    assert AuditEntry.objects.filter(action="client_register").count() == 1
