"""Clients in the staff area: Register New Client, edit, Login as Client, credit, fields."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.contrib.auth import SESSION_KEY
from django.urls import reverse

from moorage.billing.models import LedgerEntry
from moorage.billing.queries import client_credit_balance
from moorage.core.models import AuditEntry, User
from moorage.customers.models import Client, ClientGroup, RegistrationField
from moorage.customers.registration import ensure_builtin_fields
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

REGISTER = "admin:customers_client_add"


def _form(**overrides):  # noqa: ANN003, ANN202
    data = {
        "email": "new@example.com",
        "password": PASSWORD,
        "password2": PASSWORD,
        "first_name": "Ann",
        "last_name": "Lee",
        "organization": "",
        "country": "de",
        "account_type": "private",
        "status": "active",
        "group": "",
    }
    data.update(overrides)
    return data


def test_register_new_client(browser, staff):
    group = ClientGroup.objects.create(name="VIP")
    response = browser.post(reverse(REGISTER), _form(group=group.pk, status="inactive"))
    client = Client.objects.get(user__email="new@example.com")
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:customers_client_change", args=[client.pk])
    assert (client.first_name, client.last_name, client.country) == ("Ann", "Lee", "DE")
    assert client.status == "inactive" and client.group == group
    assert client.user.check_password(PASSWORD)
    entry = AuditEntry.objects.get(action="client_register")
    assert entry.actor == staff and entry.object_id == str(client.pk)


def test_register_form_is_built_from_registration_fields(browser):
    ensure_builtin_fields()
    RegistrationField.objects.filter(key="phone").update(shown=False)
    RegistrationField.objects.create(key="vat_id", label="VAT number", kind="text")
    RegistrationField.objects.create(key="plan", label="Hosting plan", kind="select", options="small\nlarge")
    RegistrationField.objects.create(key="newsletter", label="Newsletter", kind="checkbox")
    page = browser.get(reverse(REGISTER)).content.decode()
    assert 'name="vat_id"' in page and 'name="plan"' in page and 'name="newsletter"' in page
    assert 'value="large"' in page
    assert 'name="phone"' not in page
    assert 'name="password2"' in page
    response = browser.post(reverse(REGISTER), _form(vat_id="DE123", plan="large", newsletter="on"))
    assert response.status_code == 302
    client = Client.objects.get(user__email="new@example.com")
    assert client.custom_fields == {"vat_id": "DE123", "plan": "large", "newsletter": True}


def test_register_same_email_twice_is_a_form_error(browser, client_account):
    before = (User.objects.count(), Client.objects.count(), AuditEntry.objects.count())
    response = browser.post(reverse(REGISTER), _form(email=client_account.user.email.upper()))
    assert response.status_code == 200
    assert "already exists" in str(response.context["form"].errors["email"])
    assert (User.objects.count(), Client.objects.count(), AuditEntry.objects.count()) == before


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"password2": "something-else"}, "password2"),
        ({"password": "short", "password2": "short"}, "password"),
        ({"country": "Germany"}, "country"),
        ({"email": "not-an-email"}, "email"),
    ],
)
def test_register_errors_name_the_field_and_create_nothing(browser, overrides, field):
    response = browser.post(reverse(REGISTER), _form(**overrides))
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert not Client.objects.exists()


def test_staff_may_register_without_password(browser):
    response = browser.post(reverse(REGISTER), _form(password="", password2="", first_name="", last_name=""))
    assert response.status_code == 302
    assert not Client.objects.get().user.has_usable_password()


def test_edit_client_profile_and_email(browser, client_account, staff):
    url = reverse("admin:customers_client_change", args=[client_account.pk])
    response = browser.post(
        url,
        {
            "email": "renamed@example.com",
            "first_name": "Janet",
            "last_name": "Doe",
            "city": "Berlin",
            "account_type": "",
        },
    )
    assert response.status_code == 302
    client_account.refresh_from_db()
    client_account.user.refresh_from_db()
    assert client_account.first_name == "Janet" and client_account.city == "Berlin"
    assert client_account.user.email == "renamed@example.com"
    assert AuditEntry.objects.filter(action="client_update", actor=staff).exists()


def test_edit_client_with_taken_email_changes_nothing(browser, client_account, other_client):
    url = reverse("admin:customers_client_change", args=[client_account.pk])
    response = browser.post(url, {"email": other_client.user.email, "first_name": "Changed", "last_name": "Doe"})
    assert response.status_code == 200
    assert "already exists" in str(response.context["form"].errors["email"])
    client_account.refresh_from_db()
    assert client_account.first_name == "Jane"


def test_login_as_client(browser, client_account, staff):
    response = browser.post(reverse("admin:customers_client_login_as", args=[client_account.pk]))
    assert response.status_code == 302 and response["Location"] == "/"
    session = browser.session
    assert session[SESSION_KEY] == str(client_account.user.pk)
    assert session["impersonator_id"] == staff.pk
    entry = AuditEntry.objects.get(action="client_login_as")
    assert entry.actor == staff and entry.object_id == str(client_account.pk)


def test_login_as_needs_post_and_refuses_a_closed_client(browser, staff, now):
    closed = Client.objects.create(
        user=User.objects.create_user("closed@example.com", PASSWORD),
        status=Client.Status.CLOSED,
        created_at=now,
    )
    url = reverse("admin:customers_client_login_as", args=[closed.pk])
    assert browser.get(url).status_code == 405
    response = browser.post(url, follow=True)
    assert "closed" in response.content.decode()
    assert browser.session[SESSION_KEY] == str(staff.pk)
    assert "impersonator_id" not in browser.session
    assert not AuditEntry.objects.filter(action="client_login_as").exists()


def test_set_password(browser, client_account):
    url = reverse("admin:customers_client_set_password", args=[client_account.pk])
    assert browser.post(url, {"password": "N3w-Passw0rd!", "password2": "N3w-Passw0rd!"}).status_code == 302
    client_account.user.refresh_from_db()
    assert client_account.user.check_password("N3w-Passw0rd!")
    response = browser.post(url, {"password": "short", "password2": "short"})
    assert "password" in response.context["form"].errors


def test_add_credit_with_reason(browser, client_account, staff):
    url = reverse("admin:billing_add_credit", args=[client_account.pk])
    assert browser.get(url).status_code == 200
    response = browser.post(url, {"amount": "12.50", "reason": "Goodwill for the outage"})
    assert response.status_code == 302
    assert client_credit_balance(client_account) == Decimal("12.50")
    entry = LedgerEntry.objects.get(client=client_account)
    assert entry.memo == "Goodwill for the outage" and entry.actor == staff
    response = browser.post(url, {"amount": "5.00", "reason": "   "})
    assert response.status_code == 200 and "reason" in response.context["form"].errors
    assert client_credit_balance(client_account) == Decimal("12.50")


def test_registration_fields_builtins_listed_and_protected(browser):
    response = browser.get(reverse("admin:customers_registrationfield_changelist"))
    assert response.status_code == 200
    first = RegistrationField.objects.get(key="first_name")
    assert first.builtin
    change = reverse("admin:customers_registrationfield_change", args=[first.pk])
    response = browser.post(
        change,
        {
            "label": "Given name",
            "shown": "on",
            "required": "",
            "sort_order": 0,
            "key": "hacked",
            "kind": "checkbox",
        },
    )
    assert response.status_code == 302
    first.refresh_from_db()
    assert (first.key, first.kind, first.label, first.required) == (
        "first_name",
        "text",
        "Given name",
        False,
    )
    delete = reverse("admin:customers_registrationfield_delete", args=[first.pk])
    assert browser.post(delete, {"post": "yes"}).status_code == 403
    assert RegistrationField.objects.filter(pk=first.pk).exists()


def test_add_custom_registration_fields(browser):
    add = reverse("admin:customers_registrationfield_add")
    base = {"label": "Plan", "kind": "select", "shown": "on", "sort_order": 200}
    response = browser.post(add, {**base, "key": "plan", "options": ""})
    assert "options" in response.context["adminform"].form.errors
    response = browser.post(add, {**base, "key": "email", "options": "a"})
    assert "key" in response.context["adminform"].form.errors
    response = browser.post(add, {**base, "key": "plan", "options": "small\nlarge"})
    assert response.status_code == 302
    field = RegistrationField.objects.get(key="plan")
    assert field.option_list == ["small", "large"] and not field.builtin
    delete = reverse("admin:customers_registrationfield_delete", args=[field.pk])
    assert browser.post(delete, {"post": "yes"}).status_code == 302
    assert not RegistrationField.objects.filter(key="plan").exists()


def test_clients_cannot_be_deleted(browser, client_account):
    url = reverse("admin:customers_client_delete", args=[client_account.pk])
    assert browser.post(url, {"post": "yes"}).status_code == 403
    assert Client.objects.filter(pk=client_account.pk).exists()


def test_staff_close_and_reopen_a_client(browser, staff):
    from django.urls import reverse

    from moorage.core.models import AuditEntry
    from moorage.customers.models import Client, ClientGroup
    from tests import factories

    client = factories.client()
    group = ClientGroup.objects.create(name="VIP")
    url = reverse("admin:customers_client_set_status", args=[client.pk])
    assert browser.get(url).status_code == 200
    response = browser.post(url, {"status": "closed", "group": group.pk, "reason": "asked to leave"})
    assert response.status_code == 302
    client = Client.objects.select_related("user").get(pk=client.pk)
    assert client.status == "closed" and client.group == group and not client.user.is_active
    assert AuditEntry.objects.filter(action="client_set_status", message="asked to leave").exists()
    browser.post(url, {"status": "active", "group": ""})
    client = Client.objects.select_related("user").get(pk=client.pk)
    assert client.status == "active" and client.group is None and client.user.is_active


# --- no staff escalation through client screens (issue #10, item 3) -------------------------------


@pytest.fixture
def helpdesk(db):  # noqa: ANN001, ANN201
    """A staff member who may view and change clients and users, but is no superuser."""
    from django.contrib.auth.models import Permission

    user = User.objects.create_user("helpdesk@example.com", PASSWORD, is_staff=True)
    codenames = ["view_client", "change_client", "view_user", "change_user", "view_group", "change_group"]
    user.user_permissions.add(*Permission.objects.filter(codename__in=codenames))
    return user


@pytest.fixture
def helpdesk_browser(helpdesk):  # noqa: ANN001, ANN201
    from django.test import Client as Browser

    b = Browser()
    b.force_login(helpdesk)
    return b


@pytest.fixture
def hijacked(client_account):  # noqa: ANN001, ANN201
    """A client whose login is a superuser's: Login as Client would hand the session full rights."""
    User.objects.filter(pk=client_account.user_id).update(is_staff=True, is_superuser=True)
    return client_account


def test_login_as_a_client_whose_login_is_a_superuser_is_refused(helpdesk_browser, helpdesk, hijacked):
    page = helpdesk_browser.get(reverse("admin:customers_client_change", args=[hijacked.pk])).content.decode()
    assert 'data-testid="staff-login"' in page and 'id="login-as-client"' not in page
    url = reverse("admin:customers_client_login_as", args=[hijacked.pk])
    response = helpdesk_browser.post(url, follow=True)
    assert "staff rights" in response.content.decode()
    assert helpdesk_browser.session[SESSION_KEY] == str(helpdesk.pk)
    assert "impersonator_id" not in helpdesk_browser.session
    assert not AuditEntry.objects.filter(action="client_login_as").exists()
    assert AuditEntry.objects.get(action="client_login_as_refused").actor == helpdesk


def test_set_password_on_a_superuser_login_is_refused(helpdesk_browser, helpdesk, hijacked):
    url = reverse("admin:customers_client_set_password", args=[hijacked.pk])
    response = helpdesk_browser.post(url, {"password": "Takeover-Passw0rd!", "password2": "Takeover-Passw0rd!"})
    assert response.status_code == 200 and "staff rights" in response.content.decode()
    user = User.objects.get(pk=hijacked.user_id)
    assert user.check_password(PASSWORD) and user.is_superuser
    assert AuditEntry.objects.get(action="client_set_password_refused").actor == helpdesk


def test_changing_the_email_of_a_superuser_login_is_refused(helpdesk_browser, hijacked):
    url = reverse("admin:customers_client_change", args=[hijacked.pk])
    data = {"email": "attacker@example.com", "first_name": "Jane", "last_name": "Doe", "country": "DE"}
    response = helpdesk_browser.post(url, data)
    assert response.status_code == 200 and "staff rights" in response.content.decode()
    assert User.objects.get(pk=hijacked.user_id).email != "attacker@example.com"


def test_a_client_login_cannot_be_given_staff_rights(browser, client_account):
    from moorage.core.admin import StaffUserChangeForm

    user = client_account.user
    url = reverse("admin:core_user_change", args=[user.pk])
    page = browser.get(url).content.decode()
    assert 'name="is_superuser"' not in page and 'name="is_staff"' not in page  # shown read-only
    browser.post(url, {"email": user.email, "is_active": "on", "is_staff": "on", "is_superuser": "on"})
    user.refresh_from_db()
    assert not user.has_staff_rights()
    # The form itself refuses too (defence in depth, should the fields ever be editable).
    form = StaffUserChangeForm(
        data={"email": user.email, "is_active": "on", "is_staff": "on", "date_joined": "2026-01-01 00:00"},
        instance=user,
    )
    assert not form.is_valid() and "client's login cannot have staff rights" in form.errors["__all__"][0]


def test_a_staff_member_cannot_raise_their_own_rights(helpdesk_browser, helpdesk, staff):
    from django.contrib.auth.models import Group, Permission

    url = reverse("admin:core_user_change", args=[helpdesk.pk])
    page = helpdesk_browser.get(url).content.decode()
    assert 'name="is_superuser"' not in page and 'name="user_permissions"' not in page
    all_perms = [str(p.pk) for p in Permission.objects.all()]
    helpdesk_browser.post(
        url,
        {
            "email": helpdesk.email,
            "is_active": "on",
            "is_staff": "on",
            "is_superuser": "on",
            "user_permissions": all_perms,
        },
    )
    helpdesk.refresh_from_db()
    assert not helpdesk.is_superuser and helpdesk.user_permissions.count() == 6
    # Nor take over a superuser's or a colleague's login (email or password) ...
    colleague = User.objects.create_user("billing@example.com", PASSWORD, is_staff=True)
    for other in (staff, colleague):
        assert helpdesk_browser.get(reverse("admin:auth_user_password_change", args=[other.pk])).status_code == 403
        helpdesk_browser.post(reverse("admin:core_user_change", args=[other.pk]), {"email": "mine@example.com"})
        assert User.objects.get(pk=other.pk).email != "mine@example.com"
    # ... while their own password and a client's login stay theirs to manage.
    assert helpdesk_browser.get(reverse("admin:auth_user_password_change", args=[helpdesk.pk])).status_code == 200
    # ... nor give their group more permissions.
    group = Group.objects.create(name="Helpdesk")
    helpdesk.groups.add(group)
    response = helpdesk_browser.post(
        reverse("admin:auth_group_change", args=[group.pk]), {"name": "Helpdesk", "permissions": all_perms}
    )
    assert response.status_code == 403
    assert not group.permissions.exists()


def test_access_control_panel_during_login_as_client_names_the_staff_member(browser, staff, hosting, now):
    from moorage.orders.actions import CartItem, order_checkout
    from moorage.payments.actions import payment_record
    from moorage.provisioning.runner import run_due_jobs
    from tests import factories

    client = factories.client(now=now)
    order = order_checkout(client=client, items=[CartItem(hosting.pk, "monthly", "shop.example.com")], now=now)
    payment_record(
        invoice_id=order.invoice.pk,
        amount=order.invoice.total,
        gateway="bank_transfer",
        transaction_id="T-1",
        now=now,
        actor=None,
    )
    assert run_due_jobs(now=now) == 1
    service = order.items.get().service
    browser.post(reverse("admin:customers_client_login_as", args=[client.pk]))
    response = browser.post(reverse("clientarea:service_control_panel", args=[service.pk]))
    assert response.status_code == 302
    entry = AuditEntry.objects.get(action="panel_login")
    assert entry.actor == staff and entry.object_id == str(service.pk)
