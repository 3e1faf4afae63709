"""Issue #10: billing adopts, changes or deletes only panel accounts it provably created.

The attack: a client orders a hostname whose generated username is an existing panel user's name
(`victim.test` → `victim`); the first create attempt fails in transit; the retry must not take the
victim's account (no login details, no SSO key, no terminate ever touch it).
"""

from __future__ import annotations

import datetime as dt

import pytest

from moorage.core.errors import DomainError
from moorage.core.models import AuditEntry
from moorage.provisioning.actions import login_details, service_provision, sso_url
from moorage.provisioning.models import PanelAccount, ProductApp, ProvisioningJob
from moorage.provisioning.runner import run_due_jobs
from moorage.services.models import Service
from tests.provisioning.test_provisioning import order_and_pay

pytestmark = pytest.mark.django_db
LATER = dt.timedelta(hours=2)
VICTIM_PW = "Victims-own-pw-1"


def victim_on_panel(panel, name="victim", site=None, zone=None):  # noqa: ANN001, ANN201
    """Someone else's account (made on the panel directly, not by billing), with its site/zone."""
    panel.call("user.edit", sok="ok", name=name, passwd=VICTIM_PW, preset="pro", comment="a reseller's customer")
    if site:
        panel.call("site.edit", sok="ok", su=name, site_name=site, site_owner=name)
    if zone:
        panel.call("domain.edit", sok="ok", name=zone, owner=name, ip="192.0.2.7", ns="ns1.other.net.")
    return snapshot(panel, name)


def snapshot(panel, name):  # noqa: ANN001, ANN201
    user = dict(panel.state.users[name])
    user.pop("usage", None)
    return user


def test_retry_after_a_transient_failure_never_adopts_someone_elses_account(panel, hosting, client_account, now):
    before = victim_on_panel(panel)
    keys_before = set(panel.state.keys)
    # The panel is unreachable for the whole first attempt (every call of it fails, reads included).
    panel.faults.set("*", fail_rate=1.0, fail_kind="500", times=3)
    service = order_and_pay(client_account, hosting, now, hostname="victim.test")
    run_due_jobs(now=now)
    job = ProvisioningJob.objects.get(service=service)
    assert job.status in ("errored", "unknown"), job.last_error
    panel.faults.clear()

    run_due_jobs(now=now + LATER)  # the retry: the old code adopted `victim` here
    job.refresh_from_db()
    assert job.status == "done", job.last_error
    assert not job.params.get("adopted")
    account = PanelAccount.objects.get(service=service)
    assert account.username == "victim2" and account.exists_on_panel
    assert snapshot(panel, "victim") == before  # untouched: password, comment, preset, state
    assert panel.state.users["victim2"]["comment"] == f"moorage:{account.panel_marker}"
    assert login_details(service=service)["username"] == "victim2"

    service.refresh_from_db()
    url = sso_url(service=service)
    assert "username=victim2" in url and "username=victim&" not in url
    assert {k["user"] for key, k in panel.state.keys.items() if key not in keys_before} == {"victim2"}

    service_provision(service_id=service.pk, operation="terminate", now=now + LATER, actor=None)
    run_due_jobs(now=now + 2 * LATER)
    assert "victim2" not in panel.state.users
    assert snapshot(panel, "victim") == before
    assert panel.call("whoami", authinfo=f"victim:{VICTIM_PW}")["doc"].get("error") is None


def test_victims_site_makes_the_create_fail_visibly_and_touches_nothing(panel, hosting, client_account, now):
    before = victim_on_panel(panel, site="victim.test")
    panel.faults.set("*", fail_rate=1.0, fail_kind="drop", times=3)
    service = order_and_pay(client_account, hosting, now, hostname="victim.test")
    run_due_jobs(now=now)
    panel.faults.clear()
    run_due_jobs(now=now + LATER)
    job = ProvisioningJob.objects.get(service=service)
    assert job.status == "failed"
    assert "website victim.test already exists on the panel under another owner" in job.last_error
    assert sorted(panel.state.users) == ["victim"]  # nothing made for the attacker either
    assert snapshot(panel, "victim") == before and panel.state.webdomains["victim.test"]["owner"] == "victim"
    account = PanelAccount.objects.get(service=service)
    assert not account.exists_on_panel and account.username != "victim"
    assert Service.objects.get(pk=service.pk).status == "pending"
    with pytest.raises(DomainError):
        sso_url(service=service)
    with pytest.raises(DomainError):
        service_provision(service_id=service.pk, operation="terminate", now=now, actor=None)
    assert AuditEntry.objects.filter(action="provisioning_failed", object_id=str(service.pk)).exists()


def test_dns_zone_of_another_owner_fails_the_create(panel, hosting, client_account, now):
    victim_on_panel(panel, name="other", zone="shop.example.com")
    service = order_and_pay(client_account, hosting, now)
    run_due_jobs(now=now)
    job = ProvisioningJob.objects.get(service=service)
    assert job.status == "failed" and job.attempts == 1
    assert "DNS zone shop.example.com already exists on the panel under another owner" in job.last_error
    assert panel.state.domains["shop.example.com"]["owner"] == "other"
    assert "shop" not in panel.state.users and "shop.example.com" not in panel.state.webdomains


def test_site_taken_between_the_look_and_the_create_is_a_failure_not_a_success(
    panel, hosting, client_account, now, monkeypatch
):
    from moorage.modules.ispmanager import module

    victim_on_panel(panel, name="other", site="shop.example.com")
    # The race: our look saw no site, the stranger's appeared before our site.edit.
    monkeypatch.setattr(module, "check_domain_free", lambda c, conn, spec: None)
    service = order_and_pay(client_account, hosting, now)
    run_due_jobs(now=now)
    job = ProvisioningJob.objects.get(service=service)
    assert job.status == "failed"
    assert "website shop.example.com already exists on the panel under another owner" in job.last_error
    assert panel.state.webdomains["shop.example.com"]["owner"] == "other"
    assert not PanelAccount.objects.get(service=service).exists_on_panel


def test_name_taken_after_reservation_gets_another_name_and_no_create_for_it(panel, hosting, client_account, now):
    service = order_and_pay(client_account, hosting, now)
    assert PanelAccount.objects.get(service=service).username == "shop"  # reserved in billing
    before = victim_on_panel(panel, name="shop")  # then someone takes it on the panel
    run_due_jobs(now=now)
    job = ProvisioningJob.objects.get(service=service)
    assert job.status == "done" and job.attempts == 1 and not job.params.get("adopted")
    assert PanelAccount.objects.get(service=service).username == "shop2"
    assert snapshot(panel, "shop") == before
    assert panel.state.webdomains["shop.example.com"]["owner"] == "shop2"


def test_lost_reply_create_is_adopted_once_because_it_carries_our_marker(panel, hosting, client_account, now):
    panel.faults.set("user.edit", commit_then_fail=1.0, fail_kind="drop", times=1)
    service = order_and_pay(client_account, hosting, now)
    run_due_jobs(now=now)
    account = PanelAccount.objects.get(service=service)
    assert len(account.panel_marker) == 32
    assert panel.state.users["shop"]["comment"] == f"moorage:{account.panel_marker}"  # applied, reply lost
    run_due_jobs(now=now + LATER)
    job = ProvisioningJob.objects.get(service=service)
    assert job.status == "done" and job.params.get("adopted") is True
    assert list(panel.state.users) == ["shop"] and PanelAccount.objects.get(service=service).username == "shop"
    assert "moorage" not in str(login_details(service=service))  # the marker is never shown


def test_a_namesake_with_a_wrong_marker_is_not_adopted(panel, hosting, client_account, now):
    """Even a retry (adopt allowed) adopts nothing whose marker is not this account's own."""
    service = order_and_pay(client_account, hosting, now)
    ProvisioningJob.objects.filter(service=service).update(params={"sent": True})  # as after a lost reply
    panel.call("user.edit", sok="ok", name="shop", passwd=VICTIM_PW, preset="basic", comment="moorage:" + "0" * 32)
    run_due_jobs(now=now)
    job = ProvisioningJob.objects.get(service=service)
    assert job.status == "done" and not job.params.get("adopted")
    assert PanelAccount.objects.get(service=service).username == "shop2"


@pytest.mark.parametrize(
    ("operation", "params"),
    [
        ("suspend", {}),
        ("terminate", {}),
        ("change_package", {"options": {"preset": "pro"}}),
        ("change_password", {"password": "Attacker-chosen-1"}),
    ],
)
def test_changes_refused_when_the_panels_account_is_no_longer_ours(
    panel, hosting, client_account, now, staff, operation, params
):
    service = order_and_pay(client_account, hosting, now)
    run_due_jobs(now=now)
    # Someone deleted our account on the panel and another customer got the same name.
    panel.call("user.delete", elid="shop")
    before = victim_on_panel(panel, name="shop")
    service_provision(service_id=service.pk, operation=operation, now=now, actor=staff, params=params)
    run_due_jobs(now=now)
    job = ProvisioningJob.objects.get(service=service, operation=operation)
    assert job.status == "failed" and job.panel_error_type == "not_ours"
    assert "was not created by this billing" in job.last_error
    assert snapshot(panel, "shop") == before
    assert Service.objects.get(pk=service.pk).status == "active"
    with pytest.raises(DomainError) as refused:
        sso_url(service=Service.objects.get(pk=service.pk))
    assert refused.value.code == "not_ours" and not panel.state.keys
    assert AuditEntry.objects.filter(action="panel_login_refused", object_id=str(service.pk)).exists()


def test_unsuspend_refused_too_and_staff_notes_in_the_comment_keep_ours(panel, hosting, client_account, now, staff):
    service = order_and_pay(client_account, hosting, now)
    run_due_jobs(now=now)
    marker = PanelAccount.objects.get(service=service).panel_marker
    panel.call("user.edit", sok="ok", elid="shop", comment=f"VIP; moorage:{marker}; call first")
    service_provision(service_id=service.pk, operation="suspend", now=now, actor=staff)
    run_due_jobs(now=now)
    assert panel.state.users["shop"]["active"] == "off"  # still provably ours
    panel.call("user.edit", sok="ok", elid="shop", comment="someone removed the marker")
    service_provision(service_id=service.pk, operation="unsuspend", now=now + LATER, actor=staff)
    run_due_jobs(now=now + LATER)
    job = ProvisioningJob.objects.get(service=service, operation="unsuspend")
    assert job.status == "failed" and job.panel_error_type == "not_ours"
    assert panel.state.users["shop"]["active"] == "off"


def test_terminate_of_an_account_already_gone_is_done(panel, hosting, client_account, now, staff):
    service = order_and_pay(client_account, hosting, now)
    run_due_jobs(now=now)
    panel.call("user.delete", elid="shop")
    service_provision(service_id=service.pk, operation="terminate", now=now, actor=staff)
    run_due_jobs(now=now)
    assert ProvisioningJob.objects.get(service=service, operation="terminate").status == "done"
    assert Service.objects.get(pk=service.pk).status == "terminated"


def test_an_account_without_a_marker_is_never_ours(panel, hosting, client_account, now, staff):
    service = order_and_pay(client_account, hosting, now)
    run_due_jobs(now=now)
    PanelAccount.objects.filter(service=service).update(panel_marker="")
    service_provision(service_id=service.pk, operation="terminate", now=now, actor=staff)
    run_due_jobs(now=now)
    assert ProvisioningJob.objects.get(service=service, operation="terminate").status == "failed"
    assert "shop" in panel.state.users


def test_product_without_www_domain_still_checks_the_name(panel, hosting, client_account, now):
    ProductApp.objects.filter(product=hosting).update(options={"preset": "basic", "create_www_domain": False})
    victim_on_panel(panel, name="shop", site="shop.example.com")
    service = order_and_pay(client_account, hosting, now)
    run_due_jobs(now=now)
    assert ProvisioningJob.objects.get(service=service).status == "done"
    assert PanelAccount.objects.get(service=service).username == "shop2"
    assert panel.state.webdomains["shop.example.com"]["owner"] == "shop"


def test_staff_service_page_says_when_the_panels_account_is_not_ours(panel, hosting, client_account, now):
    from moorage.provisioning.actions import panel_account_state

    service = order_and_pay(client_account, hosting, now)
    run_due_jobs(now=now)
    state = panel_account_state(service=service)
    assert state["ours"] and state["message"] == "active"
    panel.call("user.delete", elid="shop")
    victim_on_panel(panel, name="shop")
    state = panel_account_state(service=service)
    assert state["exists"] and not state["ours"] and "NOT created by this billing" in state["message"]


def test_name_taken_between_the_look_and_the_create_gets_another_name(panel, hosting, client_account, now, monkeypatch):
    from moorage.modules.ispmanager.module import IspManagerModule

    before = victim_on_panel(panel, name="shop")
    real = IspManagerModule._ownership
    looks: list[str] = []

    def first_look_sees_nothing(self, c, username, marker):  # noqa: ANN001, ANN202
        looks.append(username)
        return "absent" if len(looks) == 1 else real(self, c, username, marker)

    monkeypatch.setattr(IspManagerModule, "_ownership", first_look_sees_nothing)
    service = order_and_pay(client_account, hosting, now)
    ProvisioningJob.objects.filter(service=service).update(params={"sent": True})  # even on a retry
    run_due_jobs(now=now)
    job = ProvisioningJob.objects.get(service=service)
    assert job.status == "done" and not job.params.get("adopted")
    assert looks[:2] == ["shop", "shop"]  # the panel's `exists` answer made it look again
    assert PanelAccount.objects.get(service=service).username == "shop2"
    assert snapshot(panel, "shop") == before
