"""Databases, Emails and FTP Users through the ispmanager module, against the emulator over real HTTP:
each object is created, its password changed (the panel keeps the new one, not the old), and deleted;
the package's limit and a name taken come back as the panel's words on the field; a panel that is
down changes nothing in billing; hostile names stay values; the account must be provably ours."""

from __future__ import annotations

import pytest

from moorage.catalog import client_functions
from moorage.core.errors import Conflict, DomainError, NotFound, PermissionDenied
from moorage.core.models import AuditEntry
from moorage.provisioning import panel_objects as po
from moorage.provisioning.interface import ModuleError, ProvisioningModule
from moorage.provisioning.models import PanelAccount
from moorage.provisioning.registry import get_module
from moorage.provisioning.runner import run_due_jobs
from moorage.services.models import Service
from tests import factories

pytestmark = pytest.mark.django_db

OLD, NEW = "Old-pass-1234!", "New-pass-5678?"


def provisioned(client_account, product, now, hostname):  # noqa: ANN001, ANN201
    service = factories.paid_service(client_account, product, now=now, hostname=hostname)
    run_due_jobs(now=now)
    service.refresh_from_db()
    assert service.status == Service.Status.ACTIVE
    return service


@pytest.fixture
def active(panel, hosting, client_account, now):  # noqa: ANN001, ANN201
    """An active service whose account is on the emulator, with the mail domain shop.example.com."""
    service = provisioned(client_account, hosting, now, "shop.example.com")
    panel.call("emaildomain.edit", sok="ok", name="shop.example.com", owner=service.panel_account.username)
    return service


@pytest.fixture
def other_client(db, now):  # noqa: ANN001, ANN201
    return factories.client(now=now, email="other@example.com", first_name="Otto")


def log_of(service):  # noqa: ANN001, ANN201
    return list(
        AuditEntry.objects.filter(action__startswith="panel_", object_id=str(service.pk))
        .exclude(action="panel_login")
        .order_by("id")
        .values_list("action", "message")
    )


def test_the_ispmanager_module_offers_the_three_capabilities():
    module = get_module("ispmanager")
    assert all(module.supports(c) for c in ("databases", "mailboxes", "ftp_users"))


def test_a_mailbox_is_created_its_password_changed_and_deleted(active, panel, client_account, now):
    user = client_account.user
    po.mailbox_create(
        service=active, name="Info", domain="shop.example.com", password=OLD, maxsize=100, actor=user, now=now
    )
    assert panel.state.emails["info@shop.example.com"]["passwd"] == OLD
    boxes = po.list_mailboxes(service=active)
    assert [b.address for b in boxes] == ["info@shop.example.com"]
    assert (boxes[0].size_used_mib, boxes[0].size_limit_mib) == (0, 100)
    assert po.mail_domains(service=active) == ["shop.example.com"]

    po.mailbox_password(service=active, address="info@shop.example.com", password=NEW, actor=user, now=now)
    assert panel.state.emails["info@shop.example.com"]["passwd"] == NEW != OLD

    po.mailbox_delete(service=active, address="info@shop.example.com", actor=user, now=now)
    assert "info@shop.example.com" not in panel.state.emails
    assert log_of(active) == [
        ("panel_mailbox_create", "mailbox info@shop.example.com created, 100 MiB"),
        ("panel_mailbox_password", "password of mailbox info@shop.example.com changed"),
        ("panel_mailbox_delete", "mailbox info@shop.example.com deleted"),
    ]
    assert not any(OLD in m or NEW in m for _, m in log_of(active))


def test_a_database_is_created_with_its_user_and_the_users_password_changes(active, panel, client_account, now):
    user = client_account.user
    po.database_create(service=active, name="shop_db", user="shop_u", password=OLD, actor=user, now=now)
    [db] = po.list_databases(service=active)
    assert (db.name, db.users) == ("shop_db", ("shop_u",))
    assert panel.state.dbusers["shop_u"]["password"] == OLD
    assert po.database_servers(service=active)

    po.database_password(service=active, database="shop_db", user="shop_u", password=NEW, actor=user, now=now)
    assert panel.state.dbusers["shop_u"]["password"] == NEW

    po.database_delete(service=active, name="shop_db", actor=user, now=now)
    assert not panel.state.dbs and "shop_u" not in panel.state.dbusers
    assert [a for a, _ in log_of(active)] == [
        "panel_database_create",
        "panel_database_password",
        "panel_database_delete",
    ]


def test_an_ftp_user_is_created_its_password_changed_and_deleted(active, panel, client_account, now):
    user = client_account.user
    po.ftp_user_create(service=active, name="deploy", home="/www", password=OLD, actor=user, now=now)
    assert panel.state.ftpusers["deploy"]["passwd"] == OLD
    assert panel.state.ftpusers["deploy"]["owner"] == active.panel_account.username
    assert ("deploy", "/www") in [(f.name, f.home) for f in po.list_ftp_users(service=active)]
    po.ftp_user_password(service=active, name="deploy", password=NEW, actor=user, now=now)
    assert panel.state.ftpusers["deploy"]["passwd"] == NEW
    po.ftp_user_delete(service=active, name="deploy", actor=user, now=now)
    assert "deploy" not in panel.state.ftpusers


def test_the_packages_limit_comes_back_as_the_panels_message(active, panel, client_account, now):
    username = active.panel_account.username
    have = sum(1 for f in panel.state.ftpusers.values() if f["owner"] == username)
    for i in range(2 - have):  # preset "basic": limit_ftp_users=2
        po.ftp_user_create(service=active, name=f"f{i}", home="/", password=OLD, actor=None, now=now)
    before = log_of(active)
    with pytest.raises(po.PanelRefused) as refused:
        po.ftp_user_create(service=active, name="one_more", home="/", password=OLD, actor=None, now=now)
    assert "limit" in refused.value.message.lower() and refused.value.field == "name"
    assert "one_more" not in panel.state.ftpusers and log_of(active) == before


def test_a_name_taken_and_a_bad_value_are_answered_on_their_field(active, panel, now):
    po.database_create(service=active, name="dup", user="dup_u", password=OLD, actor=None, now=now)
    with pytest.raises(po.PanelRefused) as taken:
        po.database_create(service=active, name="dup", user="dup_u2", password=OLD, actor=None, now=now)
    assert "already exists" in taken.value.message and taken.value.field == "name"
    with pytest.raises(po.PanelRefused) as bad:
        po.mailbox_create(service=active, name="a b", domain="shop.example.com", password=OLD, actor=None, now=now)
    assert bad.value.field == "name"
    with pytest.raises(po.PanelRefused) as foreign_domain:
        po.mailbox_create(service=active, name="x", domain="elsewhere.example", password=OLD, actor=None, now=now)
    assert foreign_domain.value.field == "domain"
    with pytest.raises(po.PanelRefused) as home:
        po.ftp_user_create(service=active, name="up", home="/www/../..", password=OLD, actor=None, now=now)
    assert home.value.field == "home"


def test_a_panel_that_is_down_changes_nothing_in_billing(active, panel, now):
    entries = AuditEntry.objects.count()
    panel.stop()
    with pytest.raises(po.PanelUnavailable) as down:
        po.mailbox_create(service=active, name="info", domain="shop.example.com", password=OLD, actor=None, now=now)
    assert down.value.status == 503 and "could not be reached" in down.value.message
    with pytest.raises(po.PanelUnavailable):
        po.list_ftp_users(service=active)
    assert AuditEntry.objects.count() == entries


def test_a_lost_reply_says_the_change_may_have_been_made(active, panel, now):
    panel.faults.set("email.edit", fail_rate=1.0, fail_kind="500")
    with pytest.raises(po.PanelUnavailable) as lost:
        po.mailbox_create(service=active, name="info", domain="shop.example.com", password=OLD, actor=None, now=now)
    assert "may or may not" in lost.value.message and not log_of(active)


def test_a_password_never_reaches_a_message_or_the_log(active, panel, now, caplog):
    panel.faults.set("ftp.user.edit", fail_rate=1.0, fail_kind="500")
    with pytest.raises(po.PanelUnavailable) as lost:
        po.ftp_user_create(service=active, name="deploy", home="/", password=OLD, actor=None, now=now)
    assert OLD not in lost.value.message and OLD not in caplog.text


@pytest.mark.parametrize(
    "name",
    ["x&func=user.delete", "x&elid=other", "a=b", "box@shop.example.com, other@other.example", "x\nfunc=user.delete"],
)
def test_hostile_names_stay_values(active, panel, client_account, other_client, hosting, now, name):
    other = provisioned(other_client, hosting, now, "other.example")
    victim = other.panel_account.username
    panel.call("emaildomain.edit", sok="ok", name="other.example", owner=victim)
    panel.call("email.edit", sok="ok", name="other", domainname="other.example", passwd=OLD, confirm=OLD)
    panel.call("ftp.user.edit", sok="ok", name="victimftp", owner=victim, passwd=OLD, confirm=OLD, home="/")
    for call in (
        lambda: po.mailbox_delete(service=active, address=name, actor=None, now=now),
        lambda: po.mailbox_password(service=active, address=name, password=NEW, actor=None, now=now),
        lambda: po.ftp_user_delete(service=active, name=name, actor=None, now=now),
        lambda: po.database_delete(service=active, name=name, actor=None, now=now),
        lambda: po.ftp_user_create(service=active, name=name, home="/", password=OLD, actor=None, now=now),
        lambda: po.database_create(service=active, name=name, user="u1", password=OLD, actor=None, now=now),
    ):
        with pytest.raises(DomainError):
            call()
    assert victim in panel.state.users
    assert panel.state.emails["other@other.example"]["passwd"] == OLD
    assert "victimftp" in panel.state.ftpusers


def test_another_accounts_objects_are_not_found_by_their_exact_name(
    active, panel, other_client, hosting, client_account, now
):
    other = provisioned(other_client, hosting, now, "other.example")
    victim = other.panel_account.username
    panel.call("emaildomain.edit", sok="ok", name="other.example", owner=victim)
    panel.call("email.edit", sok="ok", name="other", domainname="other.example", passwd=OLD, confirm=OLD)
    panel.call("ftp.user.edit", sok="ok", name="victimftp", owner=victim, passwd=OLD, confirm=OLD, home="/")
    panel.call("db.edit", sok="ok", name="victimdb", owner=victim, username="victim_u", password=OLD, confirm=OLD)
    for call in (
        lambda: po.mailbox_password(service=active, address="other@other.example", password=NEW, actor=None, now=now),
        lambda: po.mailbox_delete(service=active, address="other@other.example", actor=None, now=now),
        lambda: po.ftp_user_password(service=active, name="victimftp", password=NEW, actor=None, now=now),
        lambda: po.ftp_user_delete(service=active, name="victimftp", actor=None, now=now),
        lambda: po.database_delete(service=active, name="victimdb", actor=None, now=now),
        lambda: po.database_password(
            service=active, database="victimdb", user="victim_u", password=NEW, actor=None, now=now
        ),
    ):
        with pytest.raises(NotFound):
            call()
    with pytest.raises(po.PanelRefused):
        po.mailbox_create(service=active, name="x", domain="other.example", password=OLD, actor=None, now=now)
    assert panel.state.emails["other@other.example"]["passwd"] == OLD
    assert panel.state.ftpusers["victimftp"]["passwd"] == OLD
    assert panel.state.dbusers["victim_u"]["password"] == OLD
    assert [m.address for m in po.list_mailboxes(service=active)] == []
    assert "victimdb" not in [d.name for d in po.list_databases(service=active)]


def test_an_account_without_our_marker_is_not_touched(active, panel, now):
    PanelAccount.objects.filter(service=active).update(panel_marker="someone-elses")
    active.refresh_from_db()
    with pytest.raises(Conflict) as refused:
        po.ftp_user_create(service=active, name="deploy", home="/", password=OLD, actor=None, now=now)
    assert refused.value.code == "not_ours" and "deploy" not in panel.state.ftpusers


def test_a_disabled_function_an_inactive_service_and_a_module_without_the_capability_are_refused(
    active, panel, now, monkeypatch
):
    product = active.product
    product.client_functions = [c for c in product.client_functions if c != "emails"]
    product.save(update_fields=["client_functions"])
    with pytest.raises(PermissionDenied) as disabled:
        po.list_mailboxes(service=active)
    assert disabled.value.code == "function_disabled"
    po.list_ftp_users(service=active)  # the others still work

    monkeypatch.setattr(type(get_module("ispmanager")), "capabilities", frozenset())
    with pytest.raises(PermissionDenied) as unsupported:
        po.list_ftp_users(service=active)
    assert unsupported.value.code == "function_unsupported"
    monkeypatch.undo()

    Service.objects.filter(pk=active.pk).update(status=Service.Status.SUSPENDED)
    active.refresh_from_db()
    with pytest.raises(Conflict) as inactive:
        po.list_ftp_users(service=active)
    assert inactive.value.code == "not_active"


def test_a_module_without_the_capabilities_answers_unsupported():
    class Bare(ProvisioningModule):
        name = "bare"

    assert not Bare.capabilities and not any(Bare.supports(Bare, c) for c in ("databases", "mailboxes", "ftp_users"))
    assert {"databases", "emails", "ftp_users"} <= {f.code for f in client_functions.FUNCTIONS}


def test_a_panel_message_that_repeats_the_password_is_redacted(active, now, monkeypatch, caplog):
    module = type(get_module("ispmanager"))

    def weak(self, conn, username, **kwargs):  # noqa: ANN001, ANN003, ANN202
        raise ModuleError(
            "ftp.user.edit: weak",
            panel_type="value",
            panel_object="passwd",
            panel_message=f"The password {kwargs['password']} is too weak",
        )

    monkeypatch.setattr(module, "create_ftp_user", weak)
    with pytest.raises(po.PanelRefused) as refused:
        po.ftp_user_create(service=active, name="deploy", home="/", password=OLD, actor=None, now=now)
    assert refused.value.field == "password" and "too weak" in refused.value.message
    assert OLD not in refused.value.message and OLD not in caplog.text
