"""Login Details and Access Control Panel on the client's service page, against the ispmanager
emulator over real HTTP: the details appear once the account exists on the panel, the password
sits behind a Show toggle, and Access Control Panel sends the browser to the panel with a one-time
key."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from django.test import Client as DjangoClient
from django.urls import reverse

from moorage.provisioning.actions import service_provision
from moorage.provisioning.models import AppConnection, PanelAccount, ProvisioningJob
from moorage.provisioning.runner import run_due_jobs
from moorage.services.models import Service
from tests import factories

pytestmark = pytest.mark.django_db
LATER = dt.timedelta(hours=2)


def order_and_pay(client_account, product, now, hostname="shop.example.com"):  # noqa: ANN001, ANN201
    return factories.paid_service(client_account, product, now=now, hostname=hostname)


def page_of(client, service) -> str:  # noqa: ANN001
    response = client.get(reverse("clientarea:service", args=[service.pk]))
    assert response.status_code == 200
    return response.content.decode()


def open_panel(client, service):  # noqa: ANN001, ANN201
    return client.post(reverse("clientarea:service_control_panel", args=[service.pk]))


@pytest.fixture
def active(panel, hosting, client_account, now):  # noqa: ANN001, ANN201
    """A paid Starter Hosting service whose account the worker created on the emulator."""
    service = order_and_pay(client_account, hosting, now)
    assert run_due_jobs(now=now) == 1
    service.refresh_from_db()
    assert service.status == Service.Status.ACTIVE
    return service


# --- Login Details -------------------------------------------------------------------------------


def test_login_details_appear_only_once_the_account_exists(signed_in, panel, hosting, client_account, now):
    service = order_and_pay(client_account, hosting, now)
    account = PanelAccount.objects.get(service=service)  # reserved before the first panel call

    page = page_of(signed_in, service)
    assert "Your account is being set up" in page
    assert "starts once its first invoice is paid" not in page
    assert 'data-testid="login-details"' not in page
    assert 'data-testid="panel-username"' not in page and account.password not in page
    assert "Access Control Panel" not in page

    run_due_jobs(now=now)
    response = signed_in.get(reverse("clientarea:service", args=[service.pk]))
    page = response.content.decode()
    assert '<dd data-testid="service-status">Active</dd>' in page
    assert "being set up" not in page
    assert "Login Details" in page
    assert f'<dd class="mono" data-testid="panel-username">{account.username}</dd>' in page
    assert account.username == "shop"
    assert panel.url in page  # the control panel's address
    # The password is on the page only inside the closed Show toggle (a <details>: no JS needed).
    toggle = re.search(r'<details class="secret" data-testid="panel-password">(.*?)</details>', page, re.S)
    assert toggle and "<summary>" in toggle.group(1) and "Show" in toggle.group(1)
    assert account.password in toggle.group(1)
    assert page.count(account.password) == 1
    assert "no-store" in response["Cache-Control"]  # never kept in a shared cache
    assert 'action="{}"'.format(reverse("clientarea:service_control_panel", args=[service.pk])) in page
    assert "csrfmiddlewaretoken" in page


def test_a_failed_create_says_setup_is_delayed_without_the_panel_error(
    signed_in, panel, hosting, client_account, now, connection
):
    connection.password = "wrong"
    connection.save()
    service = order_and_pay(client_account, hosting, now)
    run_due_jobs(now=now)
    job = ProvisioningJob.objects.get(service=service)
    assert job.status == ProvisioningJob.Status.FAILED and "badpassword" in job.last_error

    page = page_of(signed_in, service)
    assert "Setup is delayed; our staff have been notified." in page
    assert "badpassword" not in page and job.last_error not in page
    assert 'data-testid="login-details"' not in page


def test_a_create_being_retried_is_still_being_set_up(signed_in, panel, hosting, client_account, now):
    panel.faults.set("user.edit", fail_rate=1.0, fail_kind="500", times=1)
    service = order_and_pay(client_account, hosting, now)
    run_due_jobs(now=now)
    job = ProvisioningJob.objects.get(service=service)
    assert job.status in (ProvisioningJob.Status.ERRORED, ProvisioningJob.Status.UNKNOWN)

    page = page_of(signed_in, service)
    assert "Your account is being set up" in page and "longer than usual" in page
    assert job.last_error not in page

    run_due_jobs(now=now + LATER)
    page = page_of(signed_in, service)
    assert "being set up" not in page and "Login Details" in page


def test_disk_usage_from_the_panel_account_row(signed_in, active):
    page = page_of(signed_in, active)
    assert 'data-testid="disk-usage"' not in page  # not synced yet: nothing to show

    PanelAccount.objects.filter(service=active).update(
        disk_used_mib=Decimal("123.50"),
        disk_limit_mib=Decimal("1024.00"),
        synced_at=dt.datetime(2026, 1, 15, 9, 30, tzinfo=dt.UTC),
    )
    page = page_of(signed_in, active)
    assert "Disk &amp; Bandwidth Usage" in page
    usage = re.search(r'data-testid="disk-usage">(.*?)</dl>', page, re.S).group(1)
    assert "123.5 MiB of 1024 MiB (12%)" in " ".join(usage.split())
    assert "as of 2026-01-15 09:30" in usage


def test_no_login_details_after_termination(signed_in, active, staff, now):
    service_provision(service_id=active.pk, operation="terminate", now=now + LATER, actor=staff)
    run_due_jobs(now=now + LATER)
    active.refresh_from_db()
    assert active.status == Service.Status.TERMINATED
    page = page_of(signed_in, active)
    assert 'data-testid="login-details"' not in page and "being set up" not in page


def test_a_product_without_a_panel_shows_no_panel_section(signed_in, order):
    page = page_of(signed_in, order.items.get().service)
    assert "Login Details" not in page and "Access Control Panel" not in page
    assert "starts once its first invoice is paid" in page


# --- Access Control Panel ------------------------------------------------------------------------


def test_access_control_panel_logs_in_with_a_one_time_key(signed_in, active, panel):
    account = PanelAccount.objects.get(service=active)
    response = open_panel(signed_in, active)
    assert response.status_code == 302
    url = response["Location"]
    assert url.startswith(panel.url + "?")
    query = parse_qs(urlsplit(url).query)
    assert query["func"] == ["auth"] and query["username"] == ["shop"]
    assert len(query["key"][0]) >= 16
    assert account.password not in url and "passw" not in url.lower()
    assert "no-store" in response["Cache-Control"]

    with httpx.Client(follow_redirects=True) as browser:
        landed = browser.get(url)
        assert landed.status_code == 200
        assert '<strong id="username">shop</strong>' in landed.text
        assert '<span id="level">user</span>' in landed.text
        again = browser.get(url)  # the key works once
        assert '<strong id="username">' not in again.text and 'id="error"' in again.text

    # Each click gets a fresh key.
    second = open_panel(signed_in, active)["Location"]
    assert parse_qs(urlsplit(second).query)["key"] != query["key"]


def test_access_control_panel_needs_post(signed_in, active):
    assert signed_in.get(reverse("clientarea:service_control_panel", args=[active.pk])).status_code == 405


def test_access_control_panel_is_csrf_protected(client_account, active):
    browser = DjangoClient(enforce_csrf_checks=True)
    browser.force_login(client_account.user)
    assert open_panel(browser, active).status_code == 403


def test_a_suspended_service_gets_a_message_instead(signed_in, active, staff, now, panel):
    service_provision(service_id=active.pk, operation="suspend", now=now, actor=staff, reason="abuse")
    run_due_jobs(now=now)
    active.refresh_from_db()
    assert active.status == Service.Status.SUSPENDED
    keys_before = len(panel.state.keys)

    page = page_of(signed_in, active)
    assert "Login Details" in page and 'data-testid="access-control-panel"' not in page

    response = open_panel(signed_in, active)
    assert response.status_code == 302
    assert response["Location"] == reverse("clientarea:service", args=[active.pk])
    assert len(panel.state.keys) == keys_before  # no key was asked for
    page = signed_in.get(response["Location"]).content.decode()
    assert "The control panel is not available while the service is suspended." in page


def test_an_unreachable_panel_gets_a_message_without_the_error(signed_in, active):
    AppConnection.objects.update(path="http://127.0.0.1:9/ispmgr", timeout=2)
    response = open_panel(signed_in, active)
    assert response["Location"] == reverse("clientarea:service", args=[active.pk])
    page = signed_in.get(response["Location"]).content.decode()
    assert "The control panel could not be reached just now." in page
    assert "cannot connect" not in page and "refused" not in page  # the raw error is for the log


def test_a_service_still_being_set_up_gets_a_message(signed_in, panel, hosting, client_account, now):
    service = order_and_pay(client_account, hosting, now)
    response = open_panel(signed_in, service)
    assert response["Location"] == reverse("clientarea:service", args=[service.pk])
    assert "not ready yet" in signed_in.get(response["Location"]).content.decode()


def test_another_clients_service_is_404(client, active, other_client, panel):
    client.force_login(other_client.user)
    keys_before = len(panel.state.keys)
    assert open_panel(client, active).status_code == 404
    assert client.get(reverse("clientarea:service", args=[active.pk])).status_code == 404
    assert len(panel.state.keys) == keys_before


def test_anonymous_is_sent_to_sign_in(client, active):
    response = open_panel(client, active)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("clientarea:login") + "?next=")


def test_a_paid_service_created_later_by_cron_is_being_set_up(signed_in, panel, hosting, client_account, now):
    hosting.auto_create = hosting.AutoCreate.CRON
    hosting.save(update_fields=["auto_create"])
    service = order_and_pay(client_account, hosting, now)
    assert not PanelAccount.objects.filter(service=service).exists()
    page = page_of(signed_in, service)
    assert "Your account is being set up" in page
    assert "starts once its first invoice is paid" not in page
