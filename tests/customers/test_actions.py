"""Client use cases after registration: profile, password, staff logging in as the client."""

import datetime as dt

import pytest

from moorage.core.errors import Conflict, DomainError
from moorage.core.models import AuditEntry
from moorage.customers.actions import client_login_as, client_set_password, client_update
from moorage.customers.models import Client
from tests import factories

LATER = dt.datetime(2026, 2, 1, 9, 0, tzinfo=dt.UTC)


def test_login_as_client_is_audited(client_account, staff):
    user = client_login_as(client=client_account, staff=staff, now=LATER)
    assert user == client_account.user
    entry = AuditEntry.objects.get(action="client_login_as")
    assert (entry.actor, entry.object_type, entry.object_id, entry.created_at) == (
        staff,
        "customers.client",
        str(client_account.pk),
        LATER,
    )
    assert entry.message == f"staff@example.com logged in as {client_account.email}"


def test_only_staff_log_in_as_a_client(client_account, unchanged):
    other = factories.client()
    with unchanged(), pytest.raises(DomainError) as err:
        client_login_as(client=client_account, staff=other.user, now=LATER)
    assert err.value.code == "forbidden"


def test_a_closed_client_cannot_be_logged_into(client_account, staff, unchanged):
    Client.objects.filter(pk=client_account.pk).update(status=Client.Status.CLOSED)
    client_account.refresh_from_db()
    with unchanged(), pytest.raises(DomainError) as err:
        client_login_as(client=client_account, staff=staff, now=LATER)
    assert err.value.field == "status"


def test_profile_update_is_audited_with_what_changed(client_account, staff):
    client_update(
        client=client_account,
        profile={"first_name": "Janet", "last_name": "Doe", "city": "Berlin"},
        now=LATER,
        actor=staff,
        by_staff=True,
        email="Janet@Example.com",
    )
    client_account.refresh_from_db()
    assert (client_account.first_name, client_account.city, client_account.email) == (
        "Janet",
        "Berlin",
        "janet@example.com",
    )
    assert client_account.user.first_name == "Janet"
    entry = AuditEntry.objects.get(action="client_update")
    assert entry.data == {"changed": {"first_name": ["Jane", "Janet"], "city": ["", "Berlin"]}}


def test_email_change_to_a_taken_address_changes_nothing(client_account, staff, unchanged):
    factories.client(email="taken@example.com")
    with unchanged(), pytest.raises(Conflict) as err:
        client_update(
            client=client_account,
            profile={"first_name": "Janet", "last_name": "Doe"},
            now=LATER,
            actor=staff,
            by_staff=True,
            email="TAKEN@example.com",
        )
    assert err.value.field == "email"


def test_set_password(client_account, staff, unchanged):
    client_set_password(client=client_account, password="An0ther-Long-Secret", now=LATER, actor=staff)
    client_account.user.refresh_from_db()
    assert client_account.user.check_password("An0ther-Long-Secret")
    assert client_account.user.password.startswith("argon2$")
    with unchanged(), pytest.raises(DomainError) as err:
        client_set_password(client=client_account, password="123", now=LATER, actor=staff)
    assert err.value.field == "password"
