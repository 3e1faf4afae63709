"""The Reconciliation staff page: findings by connection and kind, each fix a confirmed POST with
CSRF by staff holding the fix permission, Run now, and the link from the App Connections page."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import Permission
from django.test import Client as WebClient
from django.utils import timezone

from moorage.core.models import User
from moorage.provisioning.models import PanelAccount, ProvisioningJob
from moorage.provisioning.runner import run_due_jobs
from moorage.reconciliation.actions import reconcile
from moorage.reconciliation.models import Finding, ReconcileRun
from moorage.services.models import Service
from tests.provisioning.test_provisioning import order_and_pay

pytestmark = pytest.mark.django_db(transaction=True)
PAGE = "/admin/reconciliation/finding/"


@pytest.fixture
def live(panel, hosting, client_account, now):  # noqa: ANN001, ANN201
    service = order_and_pay(client_account, hosting, now)
    run_due_jobs(now=now)
    return service


def browser_for(user: User) -> WebClient:
    web = WebClient()
    web.force_login(user)
    return web


def viewer() -> User:
    user = User.objects.create_user(email="viewer@example.com", password="Viewer-pw-123", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="view_finding"))
    return user


def test_page_lists_open_findings_with_their_fix(panel, live, staff, now):
    panel.call("user.suspend", elid="shop")
    reconcile(now=now)
    web = browser_for(staff)
    page = web.get(PAGE).content.decode()
    finding = Finding.objects.get()
    assert "shop" in page and f"{PAGE}{finding.pk}/fix/resume/" in page and "Run now" in page
    assert web.get("/admin/provisioning/appconnection/").content.decode().count(f"{PAGE}?connection__id__exact=") == 1


def test_fix_is_a_confirmed_post_and_twice_queues_one_job(panel, live, staff, now):
    panel.call("user.suspend", elid="shop")
    reconcile(now=now)
    finding = Finding.objects.get()
    url = f"{PAGE}{finding.pk}/fix/resume/"
    web = browser_for(staff)
    assert web.get(url).status_code == 200
    assert not ProvisioningJob.objects.filter(operation="unsuspend").exists()  # a GET changes nothing

    assert web.post(url).status_code == 302
    assert web.post(url).status_code == 302
    assert ProvisioningJob.objects.filter(service=live, operation="unsuspend").count() == 1
    run_due_jobs(now=timezone.now())  # the page queued it on the real clock
    assert panel.state.users["shop"]["active"] == "on"


def test_fix_needs_csrf_and_the_fix_permission(panel, live, now):
    panel.call("user.suspend", elid="shop")
    reconcile(now=now)
    finding = Finding.objects.get()
    url = f"{PAGE}{finding.pk}/fix/resume/"
    user = viewer()
    web = browser_for(user)
    assert web.get(PAGE).status_code == 200
    assert web.post(url).status_code == 403
    assert web.post(f"{PAGE}run/").status_code == 403

    user.user_permissions.add(Permission.objects.get(codename="fix_finding"))
    strict = WebClient(enforce_csrf_checks=True)
    strict.force_login(User.objects.get(pk=user.pk))
    assert strict.post(url).status_code == 403  # no CSRF token
    page = strict.get(url).content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    assert strict.post(url, {"csrfmiddlewaretoken": token}).status_code == 302
    assert ProvisioningJob.objects.filter(operation="unsuspend").count() == 1


def test_adopt_through_the_page_needs_the_typed_name(panel, hosting, client_account, staff, now):
    service = order_and_pay(client_account, hosting, now)
    PanelAccount.objects.filter(service=service).delete()
    ProvisioningJob.objects.filter(service=service).delete()
    Service.objects.filter(pk=service.pk).update(status=Service.Status.ACTIVE)
    panel.call("user.edit", sok="ok", name="legacy", passwd="Legacy-pw-123", preset="basic")
    reconcile(now=now)
    finding = Finding.objects.get()
    url = f"{PAGE}{finding.pk}/fix/adopt/"
    web = browser_for(staff)

    page = web.post(url, {"service": service.pk, "confirm_username": "Legacy"}).content.decode()
    assert "type the panel username exactly" in page
    page = web.post(url, {"service": 999999, "confirm_username": "legacy"}).content.decode()
    assert "no service with id 999999" in page
    assert not PanelAccount.objects.exists() and "moorage:" not in panel.state.users["legacy"]["comment"]

    assert web.post(url, {"service": service.pk, "confirm_username": "legacy"}).status_code == 302
    account = PanelAccount.objects.get(service=service)
    assert account.username == "legacy" and panel.state.users["legacy"]["comment"] == f"moorage:{account.panel_marker}"


def test_run_now(panel, live, staff):
    web = browser_for(staff)
    assert web.get(f"{PAGE}run/").status_code == 200
    panel.call("user.delete", elid="shop")
    response = web.post(f"{PAGE}run/", follow=True)
    assert ReconcileRun.objects.count() == 1
    assert Finding.objects.get().kind == "missing_account"
    body = response.content.decode()
    assert "Panel-1: 1 findings, 1 new, 0 resolved." in body  # the admin capitalises messages
