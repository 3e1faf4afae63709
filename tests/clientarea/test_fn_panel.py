"""The client area's Databases, Emails and FTP Users pages against the emulator over real HTTP: list,
create, change password and delete (POST after a confirmation), the panel's refusals next to the
field, a disabled function answers 403, another client's service 404, and hostile names stay values."""

from __future__ import annotations

import pytest
from django.urls import reverse

from moorage.core.models import AuditEntry
from moorage.services.models import Service
from tests.provisioning.test_panel_objects import provisioned

pytestmark = pytest.mark.django_db

OLD, NEW = "Old-pass-1234!", "New-pass-5678?"
PAGES = ("service_databases", "service_emails", "service_ftp_users")


@pytest.fixture
def active(panel, hosting, client_account, now):  # noqa: ANN001, ANN201
    service = provisioned(client_account, hosting, now, "shop.example.com")
    panel.call("emaildomain.edit", sok="ok", name="shop.example.com", owner=service.panel_account.username)
    return service


@pytest.fixture
def others(panel, hosting, other_client, now):  # noqa: ANN001, ANN201
    """Another client's active service with a mailbox, a database and an FTP user on the same panel."""
    service = provisioned(other_client, hosting, now, "other.example")
    victim = service.panel_account.username
    panel.call("emaildomain.edit", sok="ok", name="other.example", owner=victim)
    panel.call("email.edit", sok="ok", name="boss", domainname="other.example", passwd=OLD, confirm=OLD)
    panel.call("ftp.user.edit", sok="ok", name="victimftp", owner=victim, passwd=OLD, confirm=OLD, home="/")
    panel.call("db.edit", sok="ok", name="victimdb", owner=victim, username="victim_u", password=OLD, confirm=OLD)
    return service


def url(name: str, service: Service) -> str:
    return reverse(f"clientarea:{name}", args=[service.pk])


def test_emails_page_creates_changes_and_deletes_a_mailbox(signed_in, active, panel):
    page = url("service_emails", active)
    response = signed_in.get(page)
    assert response.status_code == 200 and 'data-testid="no-mailboxes"' in response.content.decode()
    assert "no-cache" in response["Cache-Control"]

    response = signed_in.post(
        page,
        {
            "op": "create",
            "new-name": "info",
            "new-domain": "shop.example.com",
            "new-maxsize": "50",
            "new-password": OLD,
            "new-password2": OLD,
        },
        follow=True,
    )
    html = response.content.decode()
    assert "Mailbox info@shop.example.com created." in html and "info@shop.example.com" in html
    assert OLD not in html
    assert panel.state.emails["info@shop.example.com"]["passwd"] == OLD

    form = signed_in.get(page, {"password": "info@shop.example.com"}).content.decode()
    assert 'data-testid="password-form"' in form
    response = signed_in.post(
        page, {"op": "password", "name": "info@shop.example.com", "password": NEW, "password2": NEW}, follow=True
    )
    assert "Password of mailbox info@shop.example.com changed." in response.content.decode()
    assert panel.state.emails["info@shop.example.com"]["passwd"] == NEW

    confirm = signed_in.get(page, {"delete": "info@shop.example.com"}).content.decode()
    assert 'data-testid="confirm-delete"' in confirm
    # Without the confirmation nothing is deleted.
    assert signed_in.post(page, {"op": "delete", "name": "info@shop.example.com"}).status_code == 400
    assert "info@shop.example.com" in panel.state.emails
    response = signed_in.post(page, {"op": "delete", "name": "info@shop.example.com", "confirm": "yes"}, follow=True)
    assert "Mailbox info@shop.example.com deleted." in response.content.decode()
    assert "info@shop.example.com" not in panel.state.emails
    actions = list(AuditEntry.objects.filter(action__startswith="panel_mailbox").values_list("action", flat=True))
    assert sorted(actions) == ["panel_mailbox_create", "panel_mailbox_delete", "panel_mailbox_password"]


def test_databases_page_creates_a_database_with_its_user_and_changes_the_password(signed_in, active, panel):
    page = url("service_databases", active)
    response = signed_in.post(
        page,
        {"op": "create", "new-name": "shop", "new-user": "shop_u", "new-password": OLD, "new-password2": OLD},
        follow=True,
    )
    html = response.content.decode()
    assert "Database shop created." in html and "shop_u" in html
    assert panel.state.dbusers["shop_u"]["password"] == OLD
    response = signed_in.post(
        page, {"op": "password", "name": "shop", "user": "shop_u", "password": NEW, "password2": NEW}, follow=True
    )
    assert "Password of database user shop_u changed." in response.content.decode()
    assert panel.state.dbusers["shop_u"]["password"] == NEW
    response = signed_in.post(page, {"op": "delete", "name": "shop", "confirm": "yes"}, follow=True)
    assert "Database shop deleted." in response.content.decode()
    assert not panel.state.dbs


def test_ftp_page_creates_changes_and_deletes_and_shows_the_limit_on_the_field(signed_in, active, panel):
    page = url("service_ftp_users", active)
    username = active.panel_account.username
    created = 0
    while sum(1 for f in panel.state.ftpusers.values() if f["owner"] == username) < 2:
        created += 1
        form = {"op": "create", "new-name": f"up{created}", "new-home": "/", "new-password": OLD}
        assert signed_in.post(page, {**form, "new-password2": OLD}).status_code == 302
    response = signed_in.post(
        page, {"op": "create", "new-name": "third", "new-home": "/", "new-password": OLD, "new-password2": OLD}
    )
    html = response.content.decode()
    assert response.status_code == 400
    assert '<p class="error">The limit' in html and "third" not in panel.state.ftpusers

    name = next(f["name"] for f in panel.state.ftpusers.values() if f["owner"] == username)
    signed_in.post(page, {"op": "password", "name": name, "password": NEW, "password2": NEW})
    assert panel.state.ftpusers[name]["passwd"] == NEW
    signed_in.post(page, {"op": "delete", "name": name, "confirm": "yes"})
    assert name not in panel.state.ftpusers


def test_a_name_taken_and_differing_passwords_are_shown_on_their_field(signed_in, active, panel, others):
    page = url("service_ftp_users", active)
    response = signed_in.post(
        page, {"op": "create", "new-name": "victimftp", "new-home": "/", "new-password": OLD, "new-password2": OLD}
    )
    assert response.status_code == 400 and "already exists" in response.content.decode()
    response = signed_in.post(
        page, {"op": "create", "new-name": "mine", "new-home": "/", "new-password": OLD, "new-password2": NEW}
    )
    assert "The two passwords differ." in response.content.decode() and "mine" not in panel.state.ftpusers


def test_a_panel_that_is_down_shows_a_clear_error_and_changes_nothing(signed_in, active, panel):
    entries = AuditEntry.objects.count()
    panel.stop()
    for name in PAGES:
        response = signed_in.get(url(name, active))
        assert response.status_code == 200
        assert "could not be reached" in response.content.decode()
    response = signed_in.post(
        url("service_ftp_users", active),
        {"op": "create", "new-name": "x", "new-home": "/", "new-password": OLD, "new-password2": OLD},
    )
    assert response.status_code == 400 and "could not be reached" in response.content.decode()
    assert AuditEntry.objects.count() == entries


def test_a_disabled_function_answers_403_with_the_reason(signed_in, active):
    product = active.product
    product.client_functions = [c for c in product.client_functions if c not in ("databases", "emails", "ftp_users")]
    product.save(update_fields=["client_functions"])
    for name in PAGES:
        assert signed_in.get(url(name, active)).status_code == 403
        assert signed_in.post(url(name, active), {"op": "delete", "name": "x", "confirm": "yes"}).status_code == 403


def test_another_clients_service_is_404_on_every_page_and_operation(signed_in, active, others, panel):
    for name in PAGES:
        assert signed_in.get(url(name, others)).status_code == 404
        for op in ("create", "password", "delete"):
            body = {"op": op, "name": "victimftp", "confirm": "yes", "password": NEW, "password2": NEW}
            assert signed_in.post(url(name, others), body).status_code == 404
    assert panel.state.ftpusers["victimftp"]["passwd"] == OLD


def test_another_clients_object_names_on_my_service_are_not_found(signed_in, active, others, panel):
    cases = [
        ("service_emails", {"op": "password", "name": "boss@other.example", "password": NEW, "password2": NEW}),
        ("service_emails", {"op": "delete", "name": "boss@other.example", "confirm": "yes"}),
        ("service_ftp_users", {"op": "password", "name": "victimftp", "password": NEW, "password2": NEW}),
        ("service_ftp_users", {"op": "delete", "name": "victimftp", "confirm": "yes"}),
        ("service_databases", {"op": "delete", "name": "victimdb", "confirm": "yes"}),
        (
            "service_databases",
            {"op": "password", "name": "victimdb", "user": "victim_u", "password": NEW, "password2": NEW},
        ),
        (
            "service_emails",
            {"op": "create", "new-name": "x", "new-domain": "other.example", "new-password": OLD, "new-password2": OLD},
        ),
    ]
    for name, body in cases:
        response = signed_in.post(url(name, active), body)
        assert response.status_code == 400, (name, body)
    assert panel.state.emails["boss@other.example"]["passwd"] == OLD
    assert panel.state.ftpusers["victimftp"]["passwd"] == OLD
    assert panel.state.dbusers["victim_u"]["password"] == OLD
    assert "victimdb" in {d["name"] for d in panel.state.dbs.values()}
    assert "x@other.example" not in panel.state.emails
    html = signed_in.get(url("service_emails", active)).content.decode()
    assert "boss@other.example" not in html


@pytest.mark.parametrize("name", ["x&func=user.delete", "a=b&su=root", "victimftp, x", "x\r\nfunc=user.delete"])
def test_hostile_names_stay_values(signed_in, active, others, panel, name):
    users = set(panel.state.users)
    signed_in.post(
        url("service_ftp_users", active),
        {"op": "create", "new-name": name, "new-home": "/", "new-password": OLD, "new-password2": OLD},
    )
    signed_in.post(url("service_ftp_users", active), {"op": "delete", "name": name, "confirm": "yes"})
    signed_in.post(
        url("service_databases", active),
        {"op": "create", "new-name": name, "new-user": "u", "new-password": OLD, "new-password2": OLD},
    )
    assert set(panel.state.users) == users and "victimftp" in panel.state.ftpusers
    assert not any(name in f for f in panel.state.ftpusers)


def test_a_suspended_service_is_refused_in_plain_words(signed_in, active):
    Service.objects.filter(pk=active.pk).update(status=Service.Status.SUSPENDED)
    html = signed_in.get(url("service_ftp_users", active)).content.decode()
    assert "while the service is active" in html


def test_a_module_without_the_capability_answers_403_and_the_menu_can_ask(signed_in, active, monkeypatch):
    from moorage.provisioning import panel_objects
    from moorage.provisioning.registry import get_module

    assert panel_objects.refusal(service=active, code="emails") is None
    monkeypatch.setattr(type(get_module("ispmanager")), "capabilities", frozenset({"databases"}))
    response = signed_in.get(url("service_emails", active))
    assert response.status_code == 403  # the reason as for a disabled function (PermissionDenied)
    assert signed_in.get(url("service_databases", active)).status_code == 200
    assert "does not offer" in panel_objects.refusal(service=active, code="ftp_users")
