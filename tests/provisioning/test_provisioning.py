"""Provisioning against the ispmanager emulator over real HTTP: each action and its effect on billing."""

from __future__ import annotations

import datetime as dt

import httpx
import pytest

from moorage.orders.actions import CartItem, order_checkout
from moorage.payments.actions import payment_record
from moorage.provisioning.actions import connection_test, fetch_presets, job_retry, service_provision, sso_url
from moorage.provisioning.models import PanelAccount, ProvisioningJob
from moorage.provisioning.runner import run_due_jobs
from moorage.services.models import Service
from tests.provisioning.conftest import ADMIN, make_connection

pytestmark = pytest.mark.django_db
LATER = dt.timedelta(hours=2)


def order_and_pay(client_account, product, now, hostname="shop.example.com", txn="T-1"):
    order = order_checkout(client=client_account, items=[CartItem(product.pk, "monthly", hostname)], now=now)
    payment_record(
        invoice_id=order.invoice.pk,
        amount=order.invoice.total,
        gateway="bank_transfer",
        transaction_id=txn,
        now=now,
        actor=None,
    )
    return order.items.get().service


def test_payment_creates_the_account_and_activates_the_service(panel, hosting, client_account, now):
    service = order_and_pay(client_account, hosting, now)
    service.refresh_from_db()
    assert service.status == Service.Status.PENDING  # not active before the panel has the account
    job = ProvisioningJob.objects.get(service=service)
    assert job.operation == "create" and job.status == "queued"

    assert run_due_jobs(now=now) == 1
    job.refresh_from_db()
    service.refresh_from_db()
    assert job.status == "done", job.last_error
    assert service.status == Service.Status.ACTIVE
    assert service.start_date == dt.date(2026, 1, 15) and service.next_due_date == dt.date(2026, 2, 15)
    account = PanelAccount.objects.get(service=service)
    assert account.username == "shop" and account.exists_on_panel
    user = panel.state.users["shop"]
    assert user["preset"] == "basic"
    assert user["limit_db"] == "5"  # the product's override, on top of the preset
    assert user["limit_webdomains"] == "3"  # from the preset
    assert user["limit_shell"] == "on"
    assert "shop.example.com" in panel.state.webdomains
    assert "shop.example.com" in panel.state.domains  # DNS zone with the connection's name servers


def test_overrides_reach_the_panel_with_their_real_names_and_units(panel, hosting, client_account, now):
    from moorage.provisioning.models import ProductApp

    ProductApp.objects.filter(product=hosting).update(
        options={
            "preset": "basic",
            "limit_quota": 2048,
            "limit_email_quota": 250,
            "limit_mailrate": 100,
            "limit_maxclientsvhost": 8,
            "limit_mysql_maxuserconn": 4,
            "limit_nginxlimitconn": 30,
            "limit_scheduler": 5,
            "limit_memory": 512,
            "backup": False,
            "php_enable": True,
            "limit_php_mode_fcgi_nginxfpm": True,
            "create_www_domain": False,
        }
    )
    service = order_and_pay(client_account, hosting, now)
    run_due_jobs(now=now)
    user = panel.state.users[PanelAccount.objects.get(service=service).username]
    for key, expected in {
        "limit_quota": "2048",
        "limit_email_quota": "250",
        "limit_mailrate": "100",
        "limit_maxclientsvhost": "8",
        "limit_mysql_maxuserconn": "4",
        "limit_nginxlimitconn": "30",
        "limit_scheduler": "5",
        "limit_memory": "512",
        "backup": "off",
        "php_enable": "on",
        "limit_php_mode_fcgi_nginxfpm": "on",
    }.items():
        assert user[key] == expected, key
    assert "shop.example.com" not in panel.state.webdomains


def test_suspend_unsuspend_terminate_through_jobs(panel, hosting, client_account, now, staff):
    service = order_and_pay(client_account, hosting, now)
    run_due_jobs(now=now)
    service_provision(service_id=service.pk, operation="suspend", now=now, actor=staff, reason="abuse")
    run_due_jobs(now=now)
    service.refresh_from_db()
    assert service.status == "suspended" and service.status_reason == "abuse"
    assert panel.state.users["shop"]["active"] == "off"

    service_provision(service_id=service.pk, operation="unsuspend", now=now + LATER, actor=staff)
    run_due_jobs(now=now + LATER)
    service.refresh_from_db()
    assert service.status == "active" and panel.state.users["shop"]["active"] == "on"

    service_provision(service_id=service.pk, operation="terminate", now=now + 2 * LATER, actor=staff)
    run_due_jobs(now=now + 2 * LATER)
    service.refresh_from_db()
    assert service.status == "terminated"
    assert "shop" not in panel.state.users
    assert "shop.example.com" not in panel.state.webdomains


def test_change_package_and_password(panel, hosting, client_account, now, staff):
    service = order_and_pay(client_account, hosting, now)
    run_due_jobs(now=now)
    service_provision(
        service_id=service.pk,
        operation="change_package",
        now=now,
        actor=staff,
        params={"options": {"preset": "pro", "limit_db": 50}},
    )
    run_due_jobs(now=now)
    user = panel.state.users["shop"]
    assert user["preset"] == "pro" and user["limit_db"] == "50" and user["limit_webdomains"] == "30"

    service_provision(
        service_id=service.pk,
        operation="change_password",
        now=now + LATER,
        actor=staff,
        params={"password": "N3w-passw0rd-x"},
    )
    run_due_jobs(now=now + LATER)
    assert PanelAccount.objects.get(service=service).password == "N3w-passw0rd-x"
    assert panel.call("whoami", authinfo="shop:N3w-passw0rd-x")["doc"].get("error") is None
    job = ProvisioningJob.objects.get(service=service, operation="change_password")
    assert "N3w" not in str(job.params)


def test_illegal_requests_are_refused(panel, hosting, client_account, now, staff):
    from moorage.core.errors import DomainError

    service = order_and_pay(client_account, hosting, now)
    with pytest.raises(DomainError, match="no account on a panel"):
        service_provision(service_id=service.pk, operation="suspend", now=now, actor=staff)
    run_due_jobs(now=now)
    with pytest.raises(DomainError):
        service_provision(service_id=service.pk, operation="unsuspend", now=now, actor=staff)
    with pytest.raises(DomainError, match="already exists"):
        service_provision(service_id=service.pk, operation="create", now=now, actor=staff)


def test_wrong_password_is_a_permanent_failure_with_the_panel_error(panel, hosting, client_account, now, connection):
    connection.password = "wrong"
    connection.save()
    service = order_and_pay(client_account, hosting, now)
    run_due_jobs(now=now)
    job = ProvisioningJob.objects.get(service=service)
    assert job.status == "failed" and job.attempts == 1
    assert job.panel_error_type == "auth"
    assert "badpassword" in job.last_error
    assert Service.objects.get(pk=service.pk).status == "pending"
    # Staff fix the password and retry: the same job finishes.
    connection.password = ADMIN[1]
    connection.save()
    job_retry(job_id=job.pk, now=now, actor=None)
    run_due_jobs(now=now)
    job.refresh_from_db()
    assert job.status == "done" and Service.objects.get(pk=service.pk).status == "active"


def test_panel_down_is_retried_with_backoff(panel, hosting, client_account, now):
    panel.faults.set("user.edit", fail_rate=1.0, fail_kind="500", times=2)
    service = order_and_pay(client_account, hosting, now)
    run_due_jobs(now=now)
    job = ProvisioningJob.objects.get(service=service)
    assert job.status in ("errored", "unknown") and job.next_attempt_at == now + dt.timedelta(seconds=15)
    assert run_due_jobs(now=now) == 0  # not due yet
    run_due_jobs(now=now + dt.timedelta(seconds=15))
    run_due_jobs(now=now + dt.timedelta(seconds=45))
    job.refresh_from_db()
    assert job.status == "done", job.last_error
    assert list(job.attempt_log.values_list("outcome", flat=True))[-1] == "done"
    assert len(panel.state.users) == 1


def test_create_whose_reply_was_lost_is_adopted_not_duplicated(panel, hosting, client_account, now):
    panel.faults.set("user.edit", commit_then_fail=1.0, fail_kind="drop", times=1)
    service = order_and_pay(client_account, hosting, now)
    run_due_jobs(now=now)
    job = ProvisioningJob.objects.get(service=service)
    assert job.status == "unknown"
    assert "shop" in panel.state.users  # applied, reply lost
    run_due_jobs(now=now + LATER)
    job.refresh_from_db()
    assert job.status == "done" and job.params.get("adopted") is True
    assert list(panel.state.users) == ["shop"]
    assert Service.objects.get(pk=service.pk).status == "active"


def test_username_taken_on_the_panel_by_someone_else_gets_another_name(panel, hosting, client_account, now):
    panel.call("user.edit", sok="ok", name="shop", passwd="Other-pass-123", preset="basic")
    service = order_and_pay(client_account, hosting, now)
    run_due_jobs(now=now)
    account = PanelAccount.objects.get(service=service)
    assert account.username != "shop" and account.username.startswith("shop")
    assert account.username in panel.state.users
    assert panel.state.users["shop"]["preset"] == "basic"


def test_username_collisions_in_billing(panel, hosting, client_account, now):
    s1 = order_and_pay(client_account, hosting, now, hostname="shop.example.com", txn="A")
    s2 = order_and_pay(client_account, hosting, now, hostname="shop.example.org", txn="B")
    names = {PanelAccount.objects.get(service=s).username for s in (s1, s2)}
    assert names == {"shop", "shop2"}


def test_server_selection_least_loaded_and_max_accounts(panel, hosting, client_account, now, connection):
    from moorage.core.errors import DomainError
    from moorage.provisioning.models import ProductApp, ServerGroup

    group = ServerGroup.objects.create(module="ispmanager", name="EU")
    second = make_connection(panel, name="panel-2", max_accounts=1)
    connection.max_accounts = 2
    connection.group = group
    connection.save()
    second.group = group
    second.save()
    ProductApp.objects.filter(product=hosting).update(connection=None, group=group)
    chosen = []
    for i in range(3):
        order = order_checkout(
            client=client_account, items=[CartItem(hosting.pk, "monthly", f"s{i}.example.com")], now=now
        )
        payment_record(
            invoice_id=order.invoice.pk,
            amount=order.invoice.total,
            gateway="bank_transfer",
            transaction_id=f"G{i}",
            now=now,
            actor=None,
        )
        chosen.append(PanelAccount.objects.get(service=order.items.get().service).connection.name)
    assert chosen == ["panel-1", "panel-2", "panel-1"]
    # Both servers full: the payment is kept, the service waits, and the reason is recorded.
    order = order_checkout(client=client_account, items=[CartItem(hosting.pk, "monthly", "s9.example.com")], now=now)
    payment_record(
        invoice_id=order.invoice.pk,
        amount=order.invoice.total,
        gateway="bank_transfer",
        transaction_id="G9",
        now=now,
        actor=None,
    )
    service = order.items.get().service
    assert not PanelAccount.objects.filter(service=service).exists()
    from moorage.core.models import AuditEntry

    assert AuditEntry.objects.filter(
        action="auto_create_skipped", object_id=str(service.pk), message__contains="full"
    ).exists()
    with pytest.raises(DomainError):
        service_provision(service_id=service.pk, operation="create", now=now, actor=None)


def test_test_configuration(panel):
    ok, text = connection_test(
        module_name="ispmanager", ip_address="127.0.0.1", username=ADMIN[0], password=ADMIN[1], path=panel.url
    )
    assert ok and text.startswith("Success")
    ok, text = connection_test(
        module_name="ispmanager", ip_address="127.0.0.1", username=ADMIN[0], password="bad", path=panel.url
    )
    assert not ok and "badpassword" in text
    ok, text = connection_test(
        module_name="ispmanager",
        ip_address="127.0.0.1",
        username=ADMIN[0],
        password=ADMIN[1],
        path="http://127.0.0.1:9/ispmgr",
        timeout=2,
    )
    assert not ok and "cannot connect" in text


def test_tls_verification_and_fingerprint_pinning():
    from ispmanager_emulator import EmulatorServer

    with EmulatorServer(port=0, admin=ADMIN, tls=True) as tls_panel:
        url = tls_panel.url
        ok, text = connection_test(
            module_name="ispmanager", ip_address="127.0.0.1", username=ADMIN[0], password=ADMIN[1], path=url
        )
        assert not ok and "TLS" in text
        ok, text = connection_test(
            module_name="ispmanager",
            ip_address="127.0.0.1",
            username=ADMIN[0],
            password=ADMIN[1],
            path=url,
            tls_fingerprint=tls_panel.fingerprint,
        )
        assert ok, text
        ok, text = connection_test(
            module_name="ispmanager",
            ip_address="127.0.0.1",
            username=ADMIN[0],
            password=ADMIN[1],
            path=url,
            tls_fingerprint="00" * 32,
        )
        assert not ok and "fingerprint" in text
        ok, text = connection_test(
            module_name="ispmanager",
            ip_address="127.0.0.1",
            username=ADMIN[0],
            password=ADMIN[1],
            path=url,
            verify_tls=False,
        )
        assert ok, text


def test_fetch_presets(connection):
    assert fetch_presets(connection=connection) == ["basic", "pro"]


def test_sso_key_flow_followed_like_a_browser(panel, hosting, client_account, now):
    service = order_and_pay(client_account, hosting, now)
    run_due_jobs(now=now)
    url = sso_url(service=Service.objects.get(pk=service.pk))
    assert "key=" in url and "passw" not in url.lower()
    with httpx.Client(follow_redirects=True) as browser:
        page = browser.get(url)
        assert page.status_code == 200 and "shop" in page.text
        again = browser.get(url)  # a one-time key
        assert "shop" not in again.text or again.status_code != 200 or "error" in again.text.lower()


def test_delete_order_terminates_the_accounts_first(panel, hosting, client_account, now, staff):
    from django.core.management import call_command

    from moorage.billing.models import Invoice, LedgerEntry, Payment
    from moorage.core.errors import DomainError
    from moorage.orders.deletion import order_delete, order_finish_deletions
    from moorage.orders.models import Order

    service = order_and_pay(client_account, hosting, now)
    run_due_jobs(now=now)
    order = Order.objects.get()
    with pytest.raises(DomainError, match="still exist on the panel"):
        order_delete(order_id=order.pk, terminate_accounts=False, now=now, actor=staff)
    assert order_delete(order_id=order.pk, terminate_accounts=True, now=now, actor=staff) == "pending"
    assert Order.objects.filter(pk=order.pk).exists()  # not before the panel confirms
    assert order_finish_deletions(now=now) == 0
    assert "shop" in panel.state.users
    call_command("provision")  # the worker / cron: terminate, then complete the deletion
    assert "shop" not in panel.state.users
    assert not Order.objects.exists() and not Service.objects.filter(pk=service.pk).exists()
    assert not Invoice.objects.exists() and not Payment.objects.exists() and not LedgerEntry.objects.exists()
    from moorage.core.models import AuditEntry

    assert AuditEntry.objects.filter(action="order_delete", data__order=order.display_number).exists()


def test_staff_are_told_when_a_job_fails_for_good(panel, hosting, client_account, now, connection, staff):
    from moorage.notifications.models import Notification

    connection.password = "wrong"
    connection.save()
    order_and_pay(client_account, hosting, now)
    run_due_jobs(now=now)
    mail = Notification.objects.get(template="staff_provisioning_failed")
    assert mail.to_email == staff.email and mail.audience == "staff"
    assert "badpassword" in mail.body and "Create" in mail.subject


def test_staff_are_told_when_auto_create_cannot_be_queued(panel, hosting, client_account, now, staff):
    from moorage.notifications.models import Notification
    from moorage.provisioning.models import ModuleState

    ModuleState.objects.filter(name="ispmanager").update(active=False)
    service = order_and_pay(client_account, hosting, now)
    assert not ProvisioningJob.objects.filter(service=service).exists()
    mail = Notification.objects.get(template="staff_auto_create_skipped")
    assert "not active" in mail.body and mail.to_email == staff.email
