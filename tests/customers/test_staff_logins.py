"""A client's login never carries staff rights, and client actions never act on a login that has them
(issue #10, item 3: Login as Client / Set password on a superuser's login made staff superusers)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import Group, Permission

from moorage.core.models import AuditEntry, User
from moorage.customers.actions import (
    StaffLoginRefused,
    client_login_as,
    client_register,
    client_set_password,
    client_set_status,
    client_update,
)
from moorage.customers.models import Client
from tests import factories
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

LATER = dt.datetime(2026, 2, 1, 9, 0, tzinfo=dt.UTC)


def _give(user: User, right: str) -> None:
    """Give a login one kind of staff right, as a bad row from before the fix would have it."""
    if right in ("is_staff", "is_superuser"):
        User.objects.filter(pk=user.pk).update(**{right: True})
    elif right == "group":
        user.groups.add(Group.objects.create(name="Helpdesk"))
    else:
        user.user_permissions.add(Permission.objects.get(codename="view_client"))


RIGHTS = ["is_staff", "is_superuser", "group", "permission"]


@pytest.fixture
def helpdesk(db):  # noqa: ANN001, ANN201
    """A staff member who may only view and change clients (not a superuser)."""
    user = User.objects.create_user("helpdesk@example.com", PASSWORD, is_staff=True)
    user.user_permissions.add(*Permission.objects.filter(codename__in=["view_client", "change_client"]))
    return User.objects.get(pk=user.pk)


@pytest.fixture
def hijacked(client_account):  # noqa: ANN001, ANN201
    """A client whose login is a superuser's (the attack of item 3)."""
    _give(client_account.user, "is_superuser")
    return Client.objects.select_related("user").get(pk=client_account.pk)


def _refusal(action: str) -> AuditEntry:
    return AuditEntry.objects.get(action=f"{action}_refused")


@pytest.mark.parametrize("right", RIGHTS)
def test_user_has_staff_rights(client_account, right):
    assert not client_account.user.has_staff_rights()
    _give(client_account.user, right)
    assert User.objects.get(pk=client_account.user.pk).has_staff_rights()


@pytest.mark.parametrize("right", RIGHTS)
def test_login_as_a_client_with_a_staff_login_is_refused_and_audited(client_account, helpdesk, right):
    _give(client_account.user, right)
    client = Client.objects.get(pk=client_account.pk)
    with pytest.raises(StaffLoginRefused) as err:
        client_login_as(client=client, staff=helpdesk, now=LATER)
    assert err.value.status == 403 and err.value.code == "staff_login"
    assert not AuditEntry.objects.filter(action="client_login_as").exists()
    entry = _refusal("client_login_as")
    assert (entry.actor, entry.object_id, entry.created_at) == (helpdesk, str(client.pk), LATER)


def test_set_password_on_a_superuser_login_is_refused(hijacked, helpdesk):
    with pytest.raises(StaffLoginRefused):
        client_set_password(client=hijacked, password="Takeover-Passw0rd!", now=LATER, actor=helpdesk)
    user = User.objects.get(pk=hijacked.user_id)
    assert user.check_password(PASSWORD) and not user.check_password("Takeover-Passw0rd!")
    assert _refusal("client_set_password").actor == helpdesk
    assert not AuditEntry.objects.filter(action="client_set_password").exists()


def test_changing_the_email_of_a_superuser_login_is_refused(hijacked, helpdesk):
    before = hijacked.user.email
    with pytest.raises(StaffLoginRefused):
        client_update(
            client=hijacked,
            profile={"first_name": "X", "last_name": "Y"},
            email="attacker@example.com",
            now=LATER,
            actor=helpdesk,
        )
    assert User.objects.get(pk=hijacked.user_id).email == before
    assert Client.objects.get(pk=hijacked.pk).first_name == "Jane"
    assert _refusal("client_update").actor == helpdesk


def test_closing_a_client_does_not_disable_a_staff_login(hijacked, helpdesk):
    with pytest.raises(StaffLoginRefused):
        client_set_status(client_id=hijacked.pk, status=Client.Status.CLOSED, now=LATER, actor=helpdesk)
    assert User.objects.get(pk=hijacked.user_id).is_active
    assert Client.objects.get(pk=hijacked.pk).status == Client.Status.ACTIVE
    assert _refusal("client_set_status").actor == helpdesk


def test_client_actions_on_ordinary_logins_still_work(client_account, helpdesk):
    client_set_password(client=client_account, password="N3w-Passw0rd!", now=LATER, actor=helpdesk)
    client_update(client=client_account, profile={"first_name": "Ann", "last_name": "Lee"}, now=LATER, actor=helpdesk)
    assert client_login_as(client=client_account, staff=helpdesk, now=LATER) == client_account.user
    assert not AuditEntry.objects.filter(action__endswith="_refused").exists()


def test_an_inactive_staff_member_cannot_log_in_as_a_client(client_account, helpdesk):
    User.objects.filter(pk=helpdesk.pk).update(is_active=False)
    helpdesk.refresh_from_db()
    with pytest.raises(Exception) as err:
        client_login_as(client=client_account, staff=helpdesk, now=LATER)
    assert getattr(err.value, "code", None) == "forbidden"


def test_registering_a_client_for_a_staff_email_does_not_link_the_staff_login(staff, now):
    for email in (staff.email, staff.email.upper()):
        with pytest.raises(Exception) as err:
            client_register(email=email, password=PASSWORD, profile={"first_name": "A", "last_name": "B"}, now=now)
        assert getattr(err.value, "code", None) == "email_taken"
    assert not Client.objects.exists()
    assert not hasattr(User.objects.get(pk=staff.pk), "client")


def test_a_registered_client_login_has_no_staff_rights(now):
    client = factories.client(now=now)
    assert not client.user.has_staff_rights()


def test_system_check_lists_clients_whose_login_has_staff_rights(client_account):
    from django.core.checks import run_checks

    def warnings() -> list[str]:
        return [m.msg for m in run_checks(databases=["default"]) if m.id == "moorage.W101"]

    assert warnings() == []
    _give(client_account.user, "group")
    assert warnings() == [f"Client(s) #{client_account.pk} sign in with a login that has staff rights."]
