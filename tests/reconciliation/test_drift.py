"""Each kind of drift, made on the emulator behind billing's back over HTTP (as a third party would),
is found by a reconciliation, fixed through the normal provisioning jobs, and then gone."""

from __future__ import annotations

import datetime as dt

import pytest

from moorage.core.errors import DomainError
from moorage.provisioning.models import PanelAccount, ProvisioningJob
from moorage.provisioning.runner import run_due_jobs
from moorage.reconciliation.actions import finding_adopt, finding_fix, reconcile
from moorage.reconciliation.models import Finding, ReconcileRun
from moorage.services.models import Service
from tests.provisioning.test_provisioning import order_and_pay

pytestmark = pytest.mark.django_db(transaction=True)
LATER = dt.timedelta(hours=1)


def live_service(client_account, hosting, now, hostname="shop.example.com", txn="T-1"):  # noqa: ANN001, ANN201
    service = order_and_pay(client_account, hosting, now, hostname=hostname, txn=txn)
    run_due_jobs(now=now)
    service.refresh_from_db()
    assert service.status == Service.Status.ACTIVE
    return service


def open_findings():  # noqa: ANN201
    return sorted((f.kind, f.username, f.details.get("fix")) for f in Finding.objects.filter(resolved_at=None))


def test_in_sync_panel_has_no_findings(panel, hosting, client_account, now):
    live_service(client_account, hosting, now)
    [run] = reconcile(now=now + LATER)
    assert run.error == "" and run.findings == 0 and run.accounts == 1 and run.panel_users == 1
    assert run.packages_checked
    assert open_findings() == []


def test_unknown_panel_user_is_adopted_after_staff_confirm(panel, hosting, client_account, staff, now):
    service = order_and_pay(client_account, hosting, now)
    PanelAccount.objects.filter(service=service).delete()
    ProvisioningJob.objects.filter(service=service).delete()
    Service.objects.filter(pk=service.pk).update(status=Service.Status.ACTIVE)  # a migrated service
    panel.call("user.edit", sok="ok", name="legacy", passwd="Legacy-pw-123", preset="basic", comment="moved by hand")

    [run] = reconcile(now=now + LATER)
    assert open_findings() == [("unknown_panel_user", "legacy", "adopt")]
    finding = Finding.objects.get()
    assert finding.first_run == run and finding.service is None

    with pytest.raises(DomainError) as refused:
        finding_adopt(finding_id=finding.pk, service_id=service.pk, confirm_username="Legacy", now=now, actor=staff)
    assert refused.value.code == "not_confirmed"
    assert "moorage:" not in panel.state.users["legacy"]["comment"]
    assert not PanelAccount.objects.filter(service=service).exists()

    account = finding_adopt(
        finding_id=finding.pk, service_id=service.pk, confirm_username="legacy", now=now + LATER, actor=staff
    )
    assert account.username == "legacy" and account.exists_on_panel
    assert panel.state.users["legacy"]["comment"] == f"moved by hand moorage:{account.panel_marker}"
    finding.refresh_from_db()
    assert finding.resolved_at is not None

    # The adopted account is billing's now: only its package (the preset without the product's
    # overrides) differs, and jobs work on it.
    reconcile(now=now + 2 * LATER)
    assert open_findings() == [("package_mismatch", "legacy", "reapply")]
    from moorage.provisioning.actions import service_provision

    service_provision(service_id=service.pk, operation="suspend", now=now + 2 * LATER, actor=staff)
    run_due_jobs(now=now + 2 * LATER)
    assert panel.state.users["legacy"]["active"] == "off"


def test_missing_account_is_recreated(panel, hosting, client_account, staff, now):
    service = live_service(client_account, hosting, now)
    panel.call("user.delete", elid="shop")  # gone behind billing's back

    reconcile(now=now + LATER)
    assert open_findings() == [("missing_account", "shop", "recreate")]
    finding = Finding.objects.get()
    assert finding.service_id == service.pk

    job = finding_fix(finding_id=finding.pk, fix="recreate", now=now + LATER, actor=staff)
    again = finding_fix(finding_id=finding.pk, fix="recreate", now=now + LATER, actor=staff)
    assert again.pk == job.pk and job.operation == "create"
    assert ProvisioningJob.objects.filter(service=service, operation="create").count() == 2  # initial + the fix
    run_due_jobs(now=now + LATER)
    job.refresh_from_db()
    assert job.status == "done", job.last_error
    account = PanelAccount.objects.get(service=service)
    assert account.exists_on_panel and "shop" in panel.state.users
    assert panel.state.users["shop"]["comment"] == f"moorage:{account.panel_marker}"

    reconcile(now=now + 2 * LATER)
    assert open_findings() == []
    finding.refresh_from_db()
    assert finding.resolved_at == now + 2 * LATER


def test_namesake_in_place_of_a_deleted_account_is_never_touched(panel, hosting, client_account, staff, now):
    service = live_service(client_account, hosting, now)
    panel.call("user.delete", elid="shop")
    panel.call("user.edit", sok="ok", name="shop", passwd="Strangers-pw-1", preset="pro", comment="someone else")
    before = dict(panel.state.users["shop"])
    before.pop("usage", None)

    reconcile(now=now + LATER)
    finding = Finding.objects.get(resolved_at=None)
    assert (finding.kind, finding.details["reason"]) == ("missing_account", "not_ours")
    finding_fix(finding_id=finding.pk, fix="recreate", now=now + LATER, actor=staff)
    run_due_jobs(now=now + LATER)
    account = PanelAccount.objects.get(service=service)
    assert account.username == "shop2" and account.exists_on_panel
    after = dict(panel.state.users["shop"])
    after.pop("usage", None)
    assert after == before


def test_suspended_on_the_panel_is_resumed(panel, hosting, client_account, staff, now):
    service = live_service(client_account, hosting, now)
    panel.call("user.suspend", elid="shop")

    reconcile(now=now + LATER)
    assert open_findings() == [("state_mismatch", "shop", "resume")]
    finding = Finding.objects.get()
    assert finding.details == {"billing": "active", "panel": "suspended", "fix": "resume"}
    with pytest.raises(DomainError) as wrong:
        finding_fix(finding_id=finding.pk, fix="suspend", now=now, actor=staff)
    assert wrong.value.code == "wrong_fix"

    job = finding_fix(finding_id=finding.pk, fix="resume", now=now + LATER, actor=staff)
    assert job.operation == "unsuspend"
    run_due_jobs(now=now + LATER)
    assert panel.state.users["shop"]["active"] == "on"
    service.refresh_from_db()
    assert service.status == Service.Status.ACTIVE
    reconcile(now=now + 2 * LATER)
    assert open_findings() == []


def test_active_on_the_panel_while_suspended_in_billing_is_suspended(panel, hosting, client_account, staff, now):
    from moorage.provisioning.actions import service_provision

    service = live_service(client_account, hosting, now)
    service_provision(service_id=service.pk, operation="suspend", now=now, actor=staff)
    run_due_jobs(now=now)
    panel.call("user.resume", elid="shop")  # someone resumed it on the panel

    reconcile(now=now + LATER)
    assert open_findings() == [("state_mismatch", "shop", "suspend")]
    job = finding_fix(finding_id=Finding.objects.get().pk, fix="suspend", now=now + LATER, actor=staff)
    run_due_jobs(now=now + LATER)
    job.refresh_from_db()
    assert job.status == "done" and panel.state.users["shop"]["active"] == "off"
    reconcile(now=now + 2 * LATER)
    assert open_findings() == []


@pytest.mark.parametrize(
    "change",
    [{"preset": "pro"}, {"limit_quota": "99999"}, {"limit_db": "1"}],
    ids=["preset", "preset-limit", "override"],
)
def test_changed_package_is_reapplied(panel, hosting, client_account, staff, now, change):
    live_service(client_account, hosting, now)
    panel.call("user.edit", sok="ok", elid="shop", **change)

    reconcile(now=now + LATER)
    assert open_findings() == [("package_mismatch", "shop", "reapply")]
    differences = Finding.objects.get().details["differences"]
    for name in change:
        assert differences[name][1] == change[name]
    job = finding_fix(finding_id=Finding.objects.get().pk, fix="reapply", now=now + LATER, actor=staff)
    assert job.operation == "change_package"
    run_due_jobs(now=now + LATER)
    job.refresh_from_db()
    assert job.status == "done", job.last_error
    user = panel.state.users["shop"]
    assert (user["preset"], user["limit_quota"], user["limit_db"]) == ("basic", "1024", "5")
    reconcile(now=now + 2 * LATER)
    assert open_findings() == []


def test_a_panel_that_cannot_be_reached_is_the_runs_error(panel, hosting, client_account, now):
    live_service(client_account, hosting, now)
    panel.call("user.suspend", elid="shop")
    reconcile(now=now + LATER)
    assert Finding.objects.filter(resolved_at=None).count() == 1
    panel.faults.set("*", fail_rate=1.0, fail_kind="drop")
    [run] = reconcile(now=now + 2 * LATER)
    assert run.error.startswith("panel-1: ") and run.finished_at == now + 2 * LATER
    assert Finding.objects.filter(resolved_at=None).count() == 1  # kept as they were
    assert ReconcileRun.objects.count() == 2
