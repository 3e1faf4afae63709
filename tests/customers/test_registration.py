"""Registration Fields: which built-in fields are shown and required, and custom fields."""

import pytest

from moorage.core.errors import Conflict, DomainError
from moorage.core.models import AuditEntry, User
from moorage.customers.actions import client_register
from moorage.customers.models import Client, RegistrationField
from moorage.customers.registration import (
    BUILTIN_KEYS,
    clean_profile,
    ensure_builtin_fields,
    form_fields,
)
from tests.factories import PASSWORD

PROFILE = {"first_name": "Jane", "last_name": "Doe"}


def register(now, **kwargs):  # noqa: ANN001, ANN003, ANN201
    kwargs.setdefault("email", "jane@example.com")
    kwargs.setdefault("password", PASSWORD)
    kwargs.setdefault("profile", PROFILE)
    return client_register(now=now, **kwargs)


def configure(key: str, **values) -> None:  # noqa: ANN003
    ensure_builtin_fields()
    RegistrationField.objects.filter(key=key).update(**values)


@pytest.fixture
def custom_fields(db):  # noqa: ANN001, ANN201
    ensure_builtin_fields()
    RegistrationField.objects.create(key="vat_id", label="VAT ID", kind="text", sort_order=200)
    RegistrationField.objects.create(
        key="source",
        label="How did you hear of us",
        kind="select",
        options="Search\nFriend\n  \nAdvert",
        required=True,
        sort_order=210,
    )
    RegistrationField.objects.create(key="newsletter", label="Newsletter", kind="checkbox", sort_order=220)


def test_built_in_fields_are_created_once_in_form_order(db):
    ensure_builtin_fields()
    ensure_builtin_fields()
    assert [f.key for f in form_fields()] == BUILTIN_KEYS
    assert set(RegistrationField.objects.filter(required=True).values_list("key", flat=True)) == {
        "first_name",
        "last_name",
    }


def test_self_registration_stores_the_profile(db, now):
    client = register(
        now,
        profile={
            **PROFILE,
            "organization": "Acme",
            "country": "de",
            "phone": " 123 ",
            "account_type": "organization",
        },
    )
    assert (
        client.first_name,
        client.last_name,
        client.organization,
        client.country,
        client.phone,
        client.account_type,
        client.status,
    ) == ("Jane", "Doe", "Acme", "DE", "123", "organization", "active")
    assert client.user.email == "jane@example.com"
    assert (client.user.first_name, client.user.last_name) == ("Jane", "Doe")
    assert client.created_at == now
    assert client.custom_fields == {}
    entry = AuditEntry.objects.get(action="client_register")
    assert (entry.actor, entry.object_id, entry.message) == (
        client.user,
        str(client.pk),
        "self-registration",
    )


def test_passwords_are_hashed_with_argon2(db, now):
    from django.contrib.auth.hashers import Argon2PasswordHasher, identify_hasher

    import moorage.settings as project_settings

    argon2 = "django.contrib.auth.hashers.Argon2PasswordHasher"
    assert project_settings.PASSWORD_HASHERS[0] == argon2
    client = register(now)
    assert client.user.password.startswith("argon2$")
    assert isinstance(identify_hasher(client.user.password), Argon2PasswordHasher)
    assert client.user.check_password(PASSWORD)
    assert not client.user.check_password("wrong")


def test_custom_fields_are_stored_in_custom_fields(db, now, custom_fields):
    client = register(now, profile={**PROFILE, "vat_id": " DE123 ", "source": "Friend", "newsletter": "on"})
    assert client.custom_fields == {"vat_id": "DE123", "source": "Friend", "newsletter": True}


def test_an_unchecked_checkbox_is_false(db, now, custom_fields):
    client = register(now, profile={**PROFILE, "source": "Search"})
    assert client.custom_fields == {"vat_id": "", "source": "Search", "newsletter": False}


def test_a_select_value_outside_its_options_names_the_field(db, now, custom_fields, unchanged):
    with unchanged(), pytest.raises(DomainError) as err:
        register(now, profile={**PROFILE, "source": "Billboard"})
    assert (err.value.field, err.value.code) == ("source", "choice")
    assert "Search, Friend, Advert" in err.value.message


def test_a_built_in_select_outside_its_options(db, now, unchanged):
    with unchanged(), pytest.raises(DomainError) as err:
        register(now, profile={**PROFILE, "account_type": "company"})
    assert err.value.field == "account_type"


def test_required_fields_are_enforced_for_self_registration(db, now, custom_fields, unchanged):
    with unchanged(), pytest.raises(DomainError) as err:
        register(now, profile={**PROFILE})
    assert (err.value.field, err.value.code) == ("source", "required")
    with unchanged(), pytest.raises(DomainError) as err:
        register(now, profile={"last_name": "Doe", "source": "Search"})
    assert (err.value.field, err.value.code) == ("first_name", "required")


def test_a_required_checkbox_must_be_checked(db, now, unchanged):
    RegistrationField.objects.create(key="terms", label="I accept the terms", kind="checkbox", required=True)
    with unchanged(), pytest.raises(DomainError) as err:
        register(now, profile={**PROFILE, "terms": "off"})
    assert err.value.field == "terms"
    assert register(now, profile={**PROFILE, "terms": True}).custom_fields == {"terms": True}


def test_staff_may_skip_required_fields(db, now, staff, custom_fields):
    client = register(now, profile={}, password=None, by_staff=True, actor=staff)
    assert (client.first_name, client.custom_fields["source"]) == ("", "")
    assert not client.user.has_usable_password()
    assert AuditEntry.objects.get(action="client_register").actor == staff


def test_staff_still_get_a_select_checked(db, now, staff, custom_fields, unchanged):
    with unchanged(), pytest.raises(DomainError) as err:
        register(now, profile={"source": "Billboard"}, by_staff=True, actor=staff)
    assert err.value.field == "source"


def test_the_api_enforces_required_fields_although_it_acts_as_staff(db, now, staff, custom_fields, unchanged):
    with unchanged(), pytest.raises(DomainError) as err:
        register(now, profile=PROFILE, by_staff=True, actor=staff, enforce_required=True)
    assert err.value.field == "source"


def test_a_hidden_field_is_ignored_even_if_required(db, now):
    configure("phone", shown=False, required=True)
    configure("organization", required=True)
    client = register(now, profile={**PROFILE, "organization": "Acme", "phone": "555"})
    assert client.phone == ""
    RegistrationField.objects.create(key="secret", label="Secret", shown=False, required=True)
    client = register(now, email="b@example.com", profile={**PROFILE, "organization": "Acme", "secret": "x"})
    assert "secret" not in client.custom_fields


def test_a_built_in_field_made_required(db, now, unchanged):
    configure("city", required=True)
    with unchanged(), pytest.raises(DomainError) as err:
        register(now, profile={**PROFILE, "city": "   "})
    assert err.value.field == "city"


def test_an_organization_account_needs_an_organization(db, now, unchanged):
    with unchanged(), pytest.raises(DomainError) as err:
        register(now, profile={**PROFILE, "account_type": "organization"})
    assert err.value.field == "organization"


@pytest.mark.parametrize(
    ("profile", "field"),
    [
        ({**PROFILE, "country": "Germany"}, "country"),
        ({**PROFILE, "country": "D1"}, "country"),
        ({**PROFILE, "zip_code": "1" * 21}, "zip_code"),
        ({**PROFILE, "first_name": "x" * 101}, "first_name"),
    ],
)
def test_bad_built_in_values_name_the_field(db, now, unchanged, profile, field):
    with unchanged(), pytest.raises(DomainError) as err:
        register(now, profile=profile)
    assert err.value.field == field


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"email": "not-an-email"}, "email"),
        ({"email": ""}, "email"),
        ({"password": ""}, "password"),
        ({"password": "short"}, "password"),
        ({"password": "password123"}, "password"),
        ({"status": "vip"}, "status"),
    ],
)
def test_bad_account_details_name_the_field(db, now, unchanged, kwargs, field):
    with unchanged(), pytest.raises(DomainError) as err:
        register(now, **kwargs)
    assert err.value.field == field


@pytest.mark.parametrize("second", ["jane@example.com", "JANE@Example.com", "  jane@EXAMPLE.COM "])
def test_an_email_registers_once_whatever_its_case(db, now, unchanged, second):
    register(now)
    with unchanged(), pytest.raises(Conflict) as err:
        register(now, email=second, profile={"first_name": "Eve", "last_name": "X"})
    assert (err.value.field, err.value.code, err.value.status) == ("email", "email_taken", 409)
    assert (User.objects.count(), Client.objects.count()) == (1, 1)


def test_an_email_taken_by_staff_cannot_register(db, now, staff, unchanged):
    with unchanged(), pytest.raises(Conflict):
        register(now, email="Staff@Example.com")


def test_emails_are_stored_in_lower_case(db, now):
    assert register(now, email=" Jane.Doe@Example.COM ").user.email == "jane.doe@example.com"


def test_clean_profile_ignores_unknown_keys(db):
    builtin, custom = clean_profile({**PROFILE, "is_staff": True, "status": "closed"})
    assert "is_staff" not in builtin and "status" not in builtin and custom == {}
