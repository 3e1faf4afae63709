"""Service Auto Renewal and Service Auto Payment against the automation run, walked through the
calendar with the clock as a parameter."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from moorage.billing.actions import credit_add
from moorage.billing.models import Invoice, LedgerEntry
from moorage.billing.queries import client_credit_balance
from moorage.catalog.models import BillingDefaults
from moorage.core.errors import DomainError, PermissionDenied
from moorage.core.models import AuditEntry
from moorage.servicefunctions.actions import auto_payment_set, auto_renewal_set
from moorage.servicefunctions.queries import renewal_state
from moorage.services.models import CancellationRequest, Service
from tests.automation.conftest import at, pay, run_day, walk
from tests.factories import checkout

pytestmark = pytest.mark.django_db
D = dt.date


@pytest.fixture
def service(starter, client_account):  # noqa: ANN001, ANN201
    """Starter Hosting monthly, ordered and paid on 2026-01-15: paid until 2026-02-14."""
    defaults = BillingDefaults.load()
    defaults.apply_credit_automatically = False  # only Service Auto Payment may spend credit here
    defaults.save()
    order = checkout(client_account, starter, now=at(D(2026, 1, 15), 9))
    pay(order.invoice, D(2026, 1, 15))
    service = Service.objects.get()
    assert service.status == "active" and service.next_due_date == D(2026, 2, 15)
    return service


def renewals() -> list[Invoice]:
    return list(Invoice.objects.filter(kind=Invoice.Kind.RENEWAL).order_by("number"))


def test_auto_renewal_off_issues_no_renewal_invoice_and_ends_the_service_at_the_period_end(service, client_account):
    assert auto_renewal_set(
        service_id=service.pk, on=False, now=at(D(2026, 1, 20)), actor=client_account.user, client_id=client_account.pk
    )
    request = CancellationRequest.objects.get(service=service)
    assert (request.type, request.status) == ("end_of_period", "pending")
    service.refresh_from_db()
    assert renewal_state(service).on is False and renewal_state(service).ends_on == D(2026, 2, 14)

    walk(D(2026, 1, 21), D(2026, 2, 14))
    assert renewals() == []
    service.refresh_from_db()
    assert service.status == "active"  # paid until 14 February

    walk(D(2026, 2, 15), D(2026, 2, 16))
    service.refresh_from_db()
    request.refresh_from_db()
    assert request.status == "processed"
    assert service.status in ("cancelled", "terminated")
    assert renewals() == []
    log = AuditEntry.objects.filter(
        object_type="services.service", object_id=str(service.pk), action="auto_renewal_off"
    )
    assert log.get().actor == client_account.user


def test_auto_renewal_back_on_before_the_end_restores_renewal(service, client_account):
    auto_renewal_set(service_id=service.pk, on=False, now=at(D(2026, 1, 20)), actor=None, client_id=client_account.pk)
    walk(D(2026, 1, 21), D(2026, 2, 5))
    assert renewals() == []
    assert auto_renewal_set(service_id=service.pk, on=True, now=at(D(2026, 2, 5), 8), actor=None)
    assert CancellationRequest.objects.get(service=service).status == "withdrawn"
    run_day(D(2026, 2, 5))
    (invoice,) = renewals()
    assert invoice.lines.get(kind="service").period_start == D(2026, 2, 15)
    service.refresh_from_db()
    assert service.auto_renew and renewal_state(service).on


def test_switching_to_the_same_state_changes_nothing(service):
    assert auto_renewal_set(service_id=service.pk, on=True, now=at(D(2026, 1, 20)), actor=None) is False
    assert auto_renewal_set(service_id=service.pk, on=False, now=at(D(2026, 1, 20)), actor=None) is True
    assert auto_renewal_set(service_id=service.pk, on=False, now=at(D(2026, 1, 20)), actor=None) is False
    assert CancellationRequest.objects.filter(service=service).count() == 1


def test_auto_renewal_is_refused_for_post_paid_one_time_and_disabled_products(service, starter):
    starter.billing_type = "postpaid"
    starter.save()
    with pytest.raises(DomainError, match="post-paid"):
        auto_renewal_set(service_id=service.pk, on=False, now=at(D(2026, 1, 20)), actor=None)
    starter.billing_type = "prepaid"
    enabled = list(starter.client_functions)
    starter.client_functions = [c for c in enabled if c != "auto_renewal"]
    starter.save()
    with pytest.raises(PermissionDenied) as exc:
        auto_renewal_set(service_id=service.pk, on=False, now=at(D(2026, 1, 20)), actor=None)
    assert exc.value.code == "function_disabled"
    starter.client_functions = enabled
    starter.save()
    Service.objects.filter(pk=service.pk).update(cycle="one_time")
    with pytest.raises(DomainError, match="no billing period"):
        auto_renewal_set(service_id=service.pk, on=False, now=at(D(2026, 1, 20)), actor=None)
    assert not CancellationRequest.objects.exists()
    service.refresh_from_db()
    assert service.auto_renew


def test_auto_renewal_off_is_refused_while_another_cancellation_request_is_pending(service):
    CancellationRequest.objects.create(
        service=service, type="end_of_period", reason="moving", created_at=at(D(2026, 1, 20))
    )
    state = renewal_state(service)
    assert not state.can_change and "pending" in state.refusal
    with pytest.raises(DomainError):
        auto_renewal_set(service_id=service.pk, on=True, now=at(D(2026, 1, 20)), actor=None)
    # The client's own request is not theirs to withdraw through this switch.
    assert CancellationRequest.objects.get(service=service).status == "pending"


def test_another_clients_id_is_not_found(service, client_account):
    from tests import factories

    other = factories.client(email="mallory@example.com")
    from moorage.core.errors import NotFound

    with pytest.raises(NotFound):
        auto_renewal_set(service_id=service.pk, on=False, now=at(D(2026, 1, 20)), actor=None, client_id=other.pk)
    with pytest.raises(NotFound):
        auto_payment_set(service_id=service.pk, on=True, now=at(D(2026, 1, 20)), actor=None, client_id=other.pk)
    assert not CancellationRequest.objects.exists()


def credit_applied(client) -> list[LedgerEntry]:  # noqa: ANN001
    return list(LedgerEntry.objects.filter(client=client, account="credit", kind="credit_applied"))


def test_auto_payment_pays_the_renewal_from_credit_at_issue_exactly_once(service, client_account):
    credit_add(client=client_account, amount=Decimal("25.00"), reason="prepaid", now=at(D(2026, 1, 16)), actor=None)
    auto_payment_set(service_id=service.pk, on=True, now=at(D(2026, 1, 16)), actor=None, client_id=client_account.pk)
    walk(D(2026, 1, 17), D(2026, 2, 1))  # the renewal is issued 14 days before 15 February
    (invoice,) = renewals()
    assert invoice.status == "paid"
    assert client_credit_balance(client_account) == Decimal("25.00") - invoice.total
    run_day(D(2026, 2, 1))  # cron runs again the same day
    run_day(D(2026, 2, 2))
    assert len(credit_applied(client_account)) == 1
    assert len(renewals()) == 1
    service.refresh_from_db()
    assert service.next_due_date == D(2026, 3, 15)  # renewed on payment
    assert AuditEntry.objects.filter(object_id=str(service.pk), action="auto_payment").count() == 1


def test_auto_payment_with_no_credit_leaves_the_invoice_unpaid(service, client_account):
    auto_payment_set(service_id=service.pk, on=True, now=at(D(2026, 1, 16)), actor=None)
    walk(D(2026, 1, 17), D(2026, 2, 1))
    (invoice,) = renewals()
    assert invoice.status == "unpaid"
    assert credit_applied(client_account) == []


def test_without_auto_payment_the_credit_is_left_alone(service, client_account):
    credit_add(client=client_account, amount=Decimal("25.00"), reason="prepaid", now=at(D(2026, 1, 16)), actor=None)
    walk(D(2026, 1, 17), D(2026, 2, 1))
    (invoice,) = renewals()
    assert invoice.status == "unpaid"
    assert client_credit_balance(client_account) == Decimal("25.00")


def test_auto_payment_with_part_of_the_credit_pays_part(service, client_account):
    credit_add(client=client_account, amount=Decimal("1.00"), reason="prepaid", now=at(D(2026, 1, 16)), actor=None)
    auto_payment_set(service_id=service.pk, on=True, now=at(D(2026, 1, 16)), actor=None)
    walk(D(2026, 1, 17), D(2026, 2, 1))
    (invoice,) = renewals()
    assert invoice.status == "unpaid"
    assert client_credit_balance(client_account) == Decimal("0.00")


def test_turning_renewal_off_after_the_renewal_invoice_was_issued_cancels_it_at_the_end(service, client_account):
    walk(D(2026, 1, 16), D(2026, 2, 1))
    (invoice,) = renewals()
    assert invoice.status == "unpaid"
    auto_renewal_set(service_id=service.pk, on=False, now=at(D(2026, 2, 3)), actor=None, client_id=client_account.pk)
    walk(D(2026, 2, 3), D(2026, 2, 16))
    invoice.refresh_from_db()
    service.refresh_from_db()
    assert service.status in ("cancelled", "terminated")
    assert invoice.status == "cancelled"  # no money owed for a period the client does not get
    assert len(renewals()) == 1
