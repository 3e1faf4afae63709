"""What reconciliation refuses or leaves alone: a create in flight is no stranger, Adopt only into a
fitting service and never a name billing keeps, fixes that no longer fit, and the same fix raced."""

from __future__ import annotations

import pytest

from moorage.core.errors import DomainError
from moorage.provisioning.models import PanelAccount, ProvisioningJob
from moorage.provisioning.runner import run_due_jobs
from moorage.reconciliation.actions import finding_adopt, finding_fix, reconcile
from moorage.reconciliation.models import Finding
from moorage.services.models import Service
from tests.provisioning.test_provisioning import order_and_pay
from tests.threads import race

pytestmark = pytest.mark.django_db(transaction=True)


def test_account_whose_create_is_still_running_is_not_a_stranger(panel, hosting, client_account, now):
    service = order_and_pay(client_account, hosting, now)
    # The create reached the panel but its reply is not recorded yet (job still open).
    account = PanelAccount.objects.get(service=service)
    panel.call("user.edit", sok="ok", name=account.username, passwd="Pw-123456", comment="moorage:x")
    [run] = reconcile(now=now)
    assert run.findings == 0 and not Finding.objects.exists()


def test_adopt_refuses_services_that_cannot_take_the_account(panel, hosting, client_account, staff, now):
    live = order_and_pay(client_account, hosting, now, hostname="live.example.com")
    run_due_jobs(now=now)
    pending = order_and_pay(client_account, hosting, now, hostname="other.example.com", txn="T-2")
    panel.call("user.edit", sok="ok", name="legacy", passwd="Legacy-pw-123", preset="basic")
    ProvisioningJob.objects.filter(service=pending).update(status="failed")
    reconcile(now=now)
    finding = Finding.objects.get(kind="unknown_panel_user", username="legacy")

    def adopt(service_id):  # noqa: ANN001, ANN202
        with pytest.raises(DomainError) as refused:
            finding_adopt(finding_id=finding.pk, service_id=service_id, confirm_username="legacy", now=now, actor=staff)
        return refused.value.code

    assert adopt(live.pk) == "has_account"
    assert adopt(pending.pk) == "wrong_status"
    assert adopt(987654) == "not_found"
    # Billing keeps the name for another service (an ended one): not adoptable elsewhere.
    Service.objects.filter(pk=pending.pk).update(status=Service.Status.ACTIVE)
    PanelAccount.objects.filter(service=live).update(username="legacy", exists_on_panel=False)
    assert adopt(pending.pk) == "username_kept"
    assert "moorage:" not in panel.state.users["legacy"]["comment"]


def test_a_fix_that_no_longer_fits_is_refused(panel, hosting, client_account, staff, now):
    from moorage.provisioning.actions import service_provision

    service = order_and_pay(client_account, hosting, now)
    run_due_jobs(now=now)
    panel.call("user.suspend", elid="shop")
    reconcile(now=now)
    finding = Finding.objects.get()
    service_provision(service_id=service.pk, operation="suspend", now=now, actor=staff)
    run_due_jobs(now=now)  # billing suspended it meanwhile: Resume no longer fits
    with pytest.raises(DomainError) as stale:
        finding_fix(finding_id=finding.pk, fix="resume", now=now, actor=staff)
    assert stale.value.code == "stale"
    with pytest.raises(DomainError) as missing:
        finding_fix(finding_id=987654, fix="resume", now=now, actor=staff)
    assert missing.value.code == "not_found"
    reconcile(now=now)
    assert Finding.objects.get(pk=finding.pk).resolved_at is not None  # both sides suspended now
    with pytest.raises(DomainError) as resolved:
        finding_fix(finding_id=finding.pk, fix="resume", now=now, actor=staff)
    assert resolved.value.code == "resolved"


def test_the_same_fix_raced_queues_one_job(panel, hosting, client_account, staff, now):
    service = order_and_pay(client_account, hosting, now)
    run_due_jobs(now=now)
    panel.call("user.edit", sok="ok", elid="shop", preset="pro")
    reconcile(now=now)
    finding = Finding.objects.get()
    results = race(*[lambda: finding_fix(finding_id=finding.pk, fix="reapply", now=now, actor=staff)] * 3)
    assert all(isinstance(r, ProvisioningJob) for r in results), results
    assert len({r.pk for r in results}) == 1
    assert ProvisioningJob.objects.filter(service=service, operation="change_package").count() == 1


def test_two_runs_at_once_open_each_finding_once(panel, hosting, client_account, now):
    order_and_pay(client_account, hosting, now)
    run_due_jobs(now=now)
    panel.call("user.suspend", elid="shop")
    results = race(lambda: reconcile(now=now), lambda: reconcile(now=now))
    assert not any(isinstance(r, Exception) for r in results), results
    assert Finding.objects.count() == 1
