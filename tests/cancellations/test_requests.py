"""Asking to cancel: Allow Cancellations (no / yes / after X days), Allowed Cancellation Types, the
reason, one pending request per service, the service's status; withdrawing; automatic processing
on and off."""

from __future__ import annotations

import pytest

from moorage.automation.models import AutomationRunItem
from moorage.billing.models import CreditNote, Invoice
from moorage.cancellations.actions import cancellation_process, cancellation_request, cancellation_withdraw
from moorage.core.errors import DomainError
from moorage.core.models import AuditEntry
from moorage.services.models import CancellationRequest, Service
from tests.automation.conftest import at, run_day, walk
from tests.cancellations.conftest import MARCH_1, D, ordered, plan

pytestmark = pytest.mark.django_db


def ask(service, day, type="immediate", reason="moving to another host", **kw):  # noqa: A002, ANN001, ANN003, ANN201
    return cancellation_request(service_id=service.pk, type=type, reason=reason, now=at(day, 10), actor=None, **kw)


def refused(unchanged, service, day, **kw) -> DomainError:  # noqa: ANN001, ANN003
    with unchanged(), pytest.raises(DomainError) as err:
        ask(service, day, **kw)
    return err.value


# --- Allow Cancellations -------------------------------------------------------------------------


def test_allow_yes_immediate_with_automatic_processing_cancels_at_once(shared_page, client_account):
    service = ordered(client_account, plan(shared_page, allow_cancellations="yes"))
    request = ask(service, D(2026, 3, 11))
    service.refresh_from_db()
    assert (request.status, service.status, service.auto_renew) == ("processed", "cancelled", False)
    assert request.processed_at == at(D(2026, 3, 11), 10)
    assert service.status_changes.last().reason == "cancellation requested"
    # Pro-rate cancellations is "no" by default: nothing credited.
    assert not CreditNote.objects.exists()
    assert list(AuditEntry.objects.filter(object_type="services.cancellationrequest").values_list("action", flat=True))
    assert {"cancellation_request", "cancellation_process"} <= set(AuditEntry.objects.values_list("action", flat=True))


def test_allow_no_refuses_the_client_but_not_staff(shared_page, client_account, unchanged):
    service = ordered(client_account, plan(shared_page, allow_cancellations="no"))
    err = refused(unchanged, service, D(2026, 3, 11))
    assert (err.code, err.field) == ("cancellation_not_allowed", "service")
    assert "cannot be cancelled by the client" in err.message
    request = ask(service, D(2026, 3, 11), type="end_of_period", by_staff=True)
    assert request.status == "pending"


def test_allow_after_30_days_counts_from_the_account_start(shared_page, client_account, unchanged):
    """Created (started) 1 March, X = 30: refused on 30 March, allowed from 31 March on."""
    service = ordered(client_account, plan(shared_page, allow_cancellations="after_days", cancellation_after_days=30))
    err = refused(unchanged, service, D(2026, 3, 30))
    assert err.code == "cancellation_too_early"
    assert "from 2026-03-31" in err.message
    assert ask(service, D(2026, 3, 31), type="end_of_period").status == "pending"


def test_allow_after_0_days_is_allowed_on_the_first_day(shared_page, client_account):
    service = ordered(client_account, plan(shared_page, allow_cancellations="after_days", cancellation_after_days=0))
    assert ask(service, MARCH_1).status == "processed"


def test_the_system_default_applies_when_the_product_has_none(shared_page, client_account, defaults, unchanged):
    defaults.allow_cancellations = "no"
    defaults.save()
    service = ordered(client_account, plan(shared_page))
    assert refused(unchanged, service, D(2026, 3, 11)).code == "cancellation_not_allowed"


# --- Allowed Cancellation Types, reason, one pending, status -------------------------------------


def test_only_the_allowed_types(shared_page, client_account, unchanged):
    service = ordered(client_account, plan(shared_page, cancellation_immediate=False))
    err = refused(unchanged, service, D(2026, 3, 11), type="immediate")
    assert (err.code, err.field) == ("cancellation_type_not_allowed", "type")
    assert ask(service, D(2026, 3, 11), type="end_of_period").status == "pending"


def test_no_type_allowed_means_no_cancellation(shared_page, client_account, unchanged):
    service = ordered(client_account, plan(shared_page, cancellation_immediate=False, cancellation_end_of_period=False))
    assert refused(unchanged, service, D(2026, 3, 11), type="end_of_period").code == "cancellation_type_not_allowed"


def test_unknown_type_and_missing_reason_are_refused(shared_page, client_account, unchanged):
    service = ordered(client_account, plan(shared_page))
    assert refused(unchanged, service, D(2026, 3, 11), type="sometime").field == "type"
    err = refused(unchanged, service, D(2026, 3, 11), reason="   ")
    assert (err.code, err.field) == ("required", "reason")


def test_one_pending_request_per_service(shared_page, client_account, unchanged):
    service = ordered(client_account, plan(shared_page))
    ask(service, D(2026, 3, 11), type="end_of_period")
    err = refused(unchanged, service, D(2026, 3, 12), type="immediate")
    assert (err.code, err.status) == ("cancellation_pending", 409)
    assert "already has a pending cancellation request" in err.message


def test_an_unpaid_pending_service_cannot_be_cancelled_this_way(shared_page, client_account, unchanged):
    service = ordered(client_account, plan(shared_page), paid=False)
    assert service.status == "pending"
    err = refused(unchanged, service, D(2026, 3, 1))
    assert err.code == "cancellation_service_not_cancellable"


# --- end of period, withdraw, automatic processing -----------------------------------------------


def test_end_of_period_is_processed_on_the_day_after_the_paid_period(shared_page, client_account):
    """Paid 1–31 March; asked 11 March: no renewal is issued (it would be on 18 March), the service
    runs to 31 March and is cancelled by the run of 1 April."""
    service = ordered(client_account, plan(shared_page))
    request = ask(service, D(2026, 3, 11), type="end_of_period")
    walk(D(2026, 3, 11), D(2026, 3, 31))
    service.refresh_from_db()
    request.refresh_from_db()
    assert (service.status, request.status) == ("active", "pending")
    assert not Invoice.objects.filter(kind="renewal").exists()
    result = run_day(D(2026, 4, 1))
    service.refresh_from_db()
    request.refresh_from_db()
    assert (service.status, request.status) == ("cancelled", "processed")
    assert result.counts["cancellations"] == 1
    assert AutomationRunItem.objects.get(step="cancellation_requests").message == "cancelled"


def test_end_of_period_after_the_renewal_was_issued_cancels_it(shared_page, client_account):
    service = ordered(client_account, plan(shared_page))
    walk(D(2026, 3, 2), D(2026, 3, 20))
    renewal = Invoice.objects.get(kind="renewal")
    assert (renewal.issue_date, renewal.status) == (D(2026, 3, 18), "unpaid")
    ask(service, D(2026, 3, 20), type="end_of_period")
    walk(D(2026, 3, 21), D(2026, 4, 1))
    renewal.refresh_from_db()
    assert renewal.status == "cancelled" and renewal.cancelled_date == D(2026, 4, 1)
    assert Service.objects.get().status == "cancelled"


def test_withdraw_lets_the_service_renew_again(shared_page, client_account):
    service = ordered(client_account, plan(shared_page))
    request = ask(service, D(2026, 3, 11), type="end_of_period")
    walk(D(2026, 3, 11), D(2026, 3, 18))
    assert not Invoice.objects.filter(kind="renewal").exists()
    cancellation_withdraw(request_id=request.pk, now=at(D(2026, 3, 19), 8), actor=None)
    request.refresh_from_db()
    assert request.status == "withdrawn"
    run_day(D(2026, 3, 19))
    assert Invoice.objects.get(kind="renewal").lines.get().period_start == D(2026, 4, 1)
    run_day(D(2026, 4, 1))
    assert Service.objects.get().status == "active"
    # And a new request may be made.
    assert ask(service, D(2026, 3, 20), type="end_of_period").status == "pending"


def test_withdraw_twice_and_withdraw_of_a_processed_request_are_refused(shared_page, client_account):
    service = ordered(client_account, plan(shared_page))
    request = ask(service, D(2026, 3, 11), type="end_of_period")
    cancellation_withdraw(request_id=request.pk, now=at(D(2026, 3, 12)), actor=None)
    with pytest.raises(DomainError) as err:
        cancellation_withdraw(request_id=request.pk, now=at(D(2026, 3, 12)), actor=None)
    assert err.value.code == "cancellation_not_pending"
    processed = ask(service, D(2026, 3, 13))
    with pytest.raises(DomainError):
        cancellation_withdraw(request_id=processed.pk, now=at(D(2026, 3, 13)), actor=None)


def test_withdraw_of_another_clients_request_is_not_found(shared_page, client_account, unchanged):
    from tests import factories

    other = factories.client(email="other@example.com")
    service = ordered(client_account, plan(shared_page))
    request = ask(service, D(2026, 3, 11), type="end_of_period")
    with pytest.raises(DomainError) as err:
        cancellation_withdraw(request_id=request.pk, now=at(D(2026, 3, 12)), actor=None, client_id=other.pk)
    assert err.value.code == "not_found"
    request.refresh_from_db()
    assert request.status == "pending"


def test_without_automatic_processing_requests_wait_for_staff(shared_page, client_account, staff):
    service = ordered(client_account, plan(shared_page, process_cancellation_requests=False))
    immediate = ask(service, D(2026, 3, 11))
    assert immediate.status == "pending"
    walk(D(2026, 3, 11), D(2026, 4, 5))
    service.refresh_from_db()
    immediate.refresh_from_db()
    assert (service.status, immediate.status) == ("active", "pending")
    # No renewal was issued while the request waits.
    assert not Invoice.objects.filter(kind="renewal").exists()
    done = cancellation_process(request_id=immediate.pk, now=at(D(2026, 4, 6), 9), actor=staff)
    assert done == "cancelled"
    service.refresh_from_db()
    assert service.status == "cancelled"
    assert CancellationRequest.objects.get().requested_by is None


def test_a_service_with_a_panel_account_is_terminated_through_a_job_ending_cancelled(world_with_account):
    """Processing asks the panel (a terminate job with final_status cancelled) and the status
    follows when the job is done."""
    from moorage.provisioning.models import ProvisioningJob

    service = world_with_account
    request = ask(service, D(2026, 3, 11))
    job = ProvisioningJob.objects.get(service=service, operation="terminate")
    assert job.params == {"final_status": "cancelled"}
    assert job.idempotency_key == f"cancel-request:{request.pk}"
    service.refresh_from_db()
    assert (service.status, request.status) == ("active", "processed")


@pytest.fixture
def world_with_account(shared_page, client_account, now):  # noqa: ANN001, ANN201
    from moorage.provisioning.models import AppConnection, PanelAccount, ServerGroup

    product = plan(shared_page, module="ispmanager", auto_create="manual")
    service = ordered(client_account, product)
    group = ServerGroup.objects.create(module="ispmanager", name="EU")
    conn = AppConnection.objects.create(
        module="ispmanager",
        name="offline",
        ip_address="127.0.0.1",
        username="root",
        password="x",
        path="http://127.0.0.1:9/ispmgr",
        timeout=1,
        group=group,
    )
    PanelAccount.objects.create(
        service=service, connection=conn, username="example", password="pw", exists_on_panel=True, created_at=now
    )
    Service.objects.filter(pk=service.pk).update(status="active")
    service.refresh_from_db()
    return service
