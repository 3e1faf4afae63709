"""Billing-side client functions, as actions: Change Label, Change Ownership, New Direct Link, the
service's event log and Manual Service Renew (once, and never again from cron)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection

from moorage.automation.run import automation_run
from moorage.billing.manual_renew import service_manual_renew
from moorage.billing.models import Invoice, InvoiceLine
from moorage.catalog.models import BillingDefaults
from moorage.core.errors import DomainError, NotFound
from moorage.core.models import AuditEntry
from moorage.services import actions as services
from moorage.services.models import Service, ServiceTransfer
from moorage.services.queries import service_log
from tests import factories
from tests.threads import race

pytestmark = pytest.mark.django_db


@pytest.fixture
def product(shared_page):  # noqa: ANN001, ANN201
    return factories.product(shared_page, name="Plain", prices={"monthly": "10.00"})


@pytest.fixture
def active(client_account, product, now):  # noqa: ANN001, ANN201
    """An active monthly service of `client_account`, paid from 2026-01-15 to 2026-02-14."""
    order = factories.checkout(client_account, product, now=now)
    factories.pay(order.invoice, "10.00", transaction_id="t-first", now=now)
    service = Service.objects.get(order_item__order=order)
    assert service.status == Service.Status.ACTIVE
    assert service.next_due_date == dt.date(2026, 2, 15)
    return service


@pytest.fixture
def other(db, now):  # noqa: ANN001, ANN201
    return factories.client(now=now, email="other@example.com", first_name="Otto")


# --- Change Label ----------------------------------------------------------------------------------


def test_label_is_set_and_audited(active, client_account, now):
    services.service_set_label(
        service_id=active.pk, label="  My shop  ", now=now, actor=client_account.user, client_id=client_account.pk
    )
    active.refresh_from_db()
    assert active.label == "My shop"
    entry = AuditEntry.objects.get(action="service_label", object_id=str(active.pk))
    assert entry.actor == client_account.user


@pytest.mark.parametrize(
    ("label", "code"),
    [("x" * 101, "too_long"), ("evil\x00", "invalid_text"), ("rtl\u202eexe", "invalid_text"), ("a\nb", "invalid_text")],
)
def test_label_refuses_hostile_text(active, client_account, now, unchanged, label, code):
    with unchanged(), pytest.raises(DomainError) as err:
        services.service_set_label(
            service_id=active.pk, label=label, now=now, actor=client_account.user, client_id=client_account.pk
        )
    assert err.value.code == code


def test_label_of_another_clients_service_is_not_found(active, other, now, unchanged):
    with unchanged(), pytest.raises(NotFound):
        services.service_set_label(service_id=active.pk, label="mine", now=now, actor=other.user, client_id=other.pk)


# --- Change Ownership ------------------------------------------------------------------------------


def test_transfer_waits_for_staff_and_moves_on_approval(active, client_account, other, staff, now):
    first_invoice = Invoice.objects.get(client=client_account)
    transfer = services.service_transfer_request(
        service_id=active.pk, email="OTHER@example.com", now=now, actor=client_account.user, client_id=client_account.pk
    )
    assert transfer.status == ServiceTransfer.Status.PENDING
    active.refresh_from_db()
    assert active.client == client_account
    services.service_transfer_approve(transfer_id=transfer.pk, now=now, actor=staff)
    active.refresh_from_db()
    transfer.refresh_from_db()
    assert active.client == other
    assert transfer.status == ServiceTransfer.Status.DONE and transfer.decided_by == staff
    first_invoice.refresh_from_db()
    assert first_invoice.client == client_account  # issued invoices stay with the old owner
    assert AuditEntry.objects.filter(action="service_transfer", object_id=str(active.pk)).count() == 1


def test_transfer_direct_when_the_setting_allows(active, client_account, other, now, settings):
    settings.MOORAGE_SERVICE_TRANSFER_DIRECT = True
    transfer = services.service_transfer_request(
        service_id=active.pk, email="other@example.com", now=now, actor=client_account.user, client_id=client_account.pk
    )
    assert transfer.status == ServiceTransfer.Status.DONE
    active.refresh_from_db()
    assert active.client == other


def test_future_renewal_goes_to_the_new_owner(active, client_account, other, now, settings):
    settings.MOORAGE_SERVICE_TRANSFER_DIRECT = True
    services.service_transfer_request(
        service_id=active.pk, email="other@example.com", now=now, actor=client_account.user, client_id=client_account.pk
    )
    result = service_manual_renew(service_id=active.pk, today=now.date(), now=now, actor=other.user, client_id=other.pk)
    assert result.invoice.client == other


def test_unknown_email_gives_the_same_answer_as_a_client(active, client_account, now, settings):
    """No address probing: an unknown email makes a pending request for staff, like a known one
    (with the direct setting off), and never moves the service."""
    transfer = services.service_transfer_request(
        service_id=active.pk,
        email="nobody@example.com",
        now=now,
        actor=client_account.user,
        client_id=client_account.pk,
    )
    assert transfer.status == ServiceTransfer.Status.PENDING and transfer.to_client is None
    settings.MOORAGE_SERVICE_TRANSFER_DIRECT = True
    services.service_transfer_close(
        transfer_id=transfer.pk, status="withdrawn", now=now, actor=client_account.user, client_id=client_account.pk
    )
    transfer = services.service_transfer_request(
        service_id=active.pk,
        email="nobody@example.com",
        now=now,
        actor=client_account.user,
        client_id=client_account.pk,
    )
    assert transfer.status == ServiceTransfer.Status.PENDING
    active.refresh_from_db()
    assert active.client == client_account


def test_approval_of_unknown_email_is_refused(active, client_account, staff, now):
    transfer = services.service_transfer_request(
        service_id=active.pk,
        email="nobody@example.com",
        now=now,
        actor=client_account.user,
        client_id=client_account.pk,
    )
    with pytest.raises(DomainError) as err:
        services.service_transfer_approve(transfer_id=transfer.pk, now=now, actor=staff)
    assert err.value.code == "unknown_client"


def test_transfer_refused_to_self_closed_clients_and_with_unpaid_invoices(
    active, client_account, other, staff, now, unchanged
):
    with unchanged(), pytest.raises(DomainError) as err:
        services.service_transfer_request(
            service_id=active.pk,
            email=client_account.user.email,
            now=now,
            actor=client_account.user,
            client_id=client_account.pk,
        )
    assert err.value.code == "same_client"
    # A closed client is not an owner: the request waits, and staff cannot approve it.
    other.status = "closed"
    other.save()
    transfer = services.service_transfer_request(
        service_id=active.pk, email="other@example.com", now=now, actor=client_account.user, client_id=client_account.pk
    )
    with pytest.raises(DomainError):
        services.service_transfer_approve(transfer_id=transfer.pk, now=now, actor=staff)
    services.service_transfer_close(transfer_id=transfer.pk, status="rejected", now=now, actor=staff)
    # With an unpaid invoice (the renewal) the service cannot move.
    other.status = "active"
    other.save()
    service_manual_renew(service_id=active.pk, today=now.date(), now=now, actor=None)
    with pytest.raises(DomainError) as err:
        services.service_transfer_request(
            service_id=active.pk,
            email="other@example.com",
            now=now,
            actor=client_account.user,
            client_id=client_account.pk,
        )
    assert err.value.code == "not_transferable"


def test_approval_rechecks_unpaid_invoices(active, client_account, other, staff, now):
    transfer = services.service_transfer_request(
        service_id=active.pk, email="other@example.com", now=now, actor=client_account.user, client_id=client_account.pk
    )
    service_manual_renew(service_id=active.pk, today=now.date(), now=now, actor=None)
    with pytest.raises(DomainError) as err:
        services.service_transfer_approve(transfer_id=transfer.pk, now=now, actor=staff)
    assert err.value.code == "not_transferable"
    active.refresh_from_db()
    assert active.client == client_account


def test_one_pending_transfer_per_service(active, client_account, now):
    services.service_transfer_request(
        service_id=active.pk, email="a@example.com", now=now, actor=client_account.user, client_id=client_account.pk
    )
    with pytest.raises(DomainError) as err:
        services.service_transfer_request(
            service_id=active.pk, email="b@example.com", now=now, actor=client_account.user, client_id=client_account.pk
        )
    assert err.value.code == "transfer_pending"


def test_another_client_cannot_request_withdraw_or_see_transfers(active, client_account, other, now, unchanged):
    with unchanged(), pytest.raises(NotFound):
        services.service_transfer_request(
            service_id=active.pk, email=other.user.email, now=now, actor=other.user, client_id=other.pk
        )
    transfer = services.service_transfer_request(
        service_id=active.pk, email="x@example.com", now=now, actor=client_account.user, client_id=client_account.pk
    )
    with pytest.raises(NotFound):
        services.service_transfer_close(
            transfer_id=transfer.pk, status="withdrawn", now=now, actor=other.user, client_id=other.pk
        )


@pytest.mark.parametrize("email", ["", "no-at-sign", "a b@example.com", "x@example.com\x00", "a" * 250 + "@x.io"])
def test_transfer_refuses_bad_emails(active, client_account, now, unchanged, email):
    with unchanged(), pytest.raises(DomainError) as err:
        services.service_transfer_request(
            service_id=active.pk, email=email, now=now, actor=client_account.user, client_id=client_account.pk
        )
    assert err.value.code == "invalid_email"


def test_staff_transfer_moves_at_once_and_names_unknown_addresses(active, other, staff, now):
    with pytest.raises(NotFound):
        services.service_transfer_request(service_id=active.pk, email="nobody@example.com", now=now, actor=staff)
    transfer = services.service_transfer_request(service_id=active.pk, email="other@example.com", now=now, actor=staff)
    assert transfer.status == ServiceTransfer.Status.DONE


# --- New Direct Link -------------------------------------------------------------------------------


def test_direct_link_is_stable_until_rotated(active, client_account, now):
    kw = {"service_id": active.pk, "now": now, "actor": client_account.user, "client_id": client_account.pk}
    first = services.service_direct_link(**kw)
    assert len(first) >= 40
    assert services.service_direct_link(**kw) == first
    second = services.service_direct_link(**kw, rotate=True)
    assert second != first
    active.refresh_from_db()
    assert active.direct_link_token == second
    assert AuditEntry.objects.filter(action="service_direct_link").count() == 2


# --- Logs ------------------------------------------------------------------------------------------


def test_client_log_hides_staff_words_and_the_previous_owners_history(active, client_account, other, staff, now):
    services.service_set_status(
        service_id=active.pk, status="suspended", now=now, actor=staff, reason="internal: abuse?"
    )
    services.service_set_label(
        service_id=active.pk, label="Shop", now=now, actor=client_account.user, client_id=client_account.pk
    )
    mine = service_log(active, for_client=True, viewer=client_account.user)
    texts = [(e.what, e.detail, e.who) for e in mine]
    assert ("Label changed", "Label changed to “Shop”", "You") in texts
    assert all("internal" not in e.detail for e in mine)
    assert any(e.who == "Staff" for e in mine)
    staff_view = service_log(active, for_client=False, viewer=staff)
    assert any("internal" in e.detail for e in staff_view)

    later = now + dt.timedelta(hours=1)
    services.service_set_status(service_id=active.pk, status="active", now=later, actor=staff)
    services.service_transfer_request(service_id=active.pk, email="other@example.com", now=later, actor=staff)
    active.refresh_from_db()
    theirs = service_log(active, for_client=True, viewer=other.user)
    assert all(e.at >= later for e in theirs)
    assert not any(e.what == "Label changed" for e in theirs)


# --- Manual Service Renew --------------------------------------------------------------------------


def test_manual_renew_issues_once_and_cron_does_not_bill_again(active, client_account, now):
    first = service_manual_renew(
        service_id=active.pk, today=now.date(), now=now, actor=client_account.user, client_id=client_account.pk
    )
    assert first.created
    line = first.invoice.lines.get(kind=InvoiceLine.Kind.SERVICE)
    assert (line.period_start, line.period_end) == (dt.date(2026, 2, 15), dt.date(2026, 3, 14))
    again = service_manual_renew(
        service_id=active.pk, today=now.date(), now=now, actor=client_account.user, client_id=client_account.pk
    )
    assert not again.created and again.invoice == first.invoice
    for day in (dt.date(2026, 2, 8), dt.date(2026, 2, 15)):
        automation_run(today=day, now=dt.datetime.combine(day, dt.time(9), tzinfo=dt.UTC))
    assert InvoiceLine.objects.filter(service=active, period_start=dt.date(2026, 2, 15)).count() == 1
    assert Invoice.objects.filter(kind=Invoice.Kind.RENEWAL, client=client_account).count() == 1


def test_manual_renew_with_renew_on_issue_does_not_bill_years_ahead(active, client_account, now):
    defaults = BillingDefaults.load()
    defaults.renew_on = "invoice_issued"
    defaults.save()
    kw = {"service_id": active.pk, "today": now.date(), "now": now, "actor": None, "client_id": client_account.pk}
    first = service_manual_renew(**kw)
    assert first.created
    again = service_manual_renew(**kw)  # the first is unpaid: shown again, not a second period
    assert again.invoice == first.invoice
    factories.pay(first.invoice, "10.00", transaction_id="t-renew", now=now)
    with pytest.raises(DomainError) as err:  # paid to 2026-03-14: the period after next waits
        service_manual_renew(**kw)
    assert err.value.code == "not_renewable"
    assert Invoice.objects.filter(kind=Invoice.Kind.RENEWAL).count() == 1


def test_manual_renew_refuses_one_time_and_pending_services(client_account, shared_page, now):
    one_time = factories.product(shared_page, name="Once", prices={"one_time": "5.00"})
    order = factories.checkout(client_account, one_time, cycle="one_time", now=now)
    service = Service.objects.get(order_item__order=order)
    with pytest.raises(DomainError):
        service_manual_renew(service_id=service.pk, today=now.date(), now=now, actor=None)
    plain = factories.product(shared_page, name="Monthly", prices={"monthly": "3.00"})
    pending = Service.objects.get(order_item__order=factories.checkout(client_account, plain, now=now))
    with pytest.raises(DomainError):
        service_manual_renew(service_id=pending.pk, today=now.date(), now=now, actor=None)


def test_manual_renew_of_another_clients_service_is_not_found(active, other, now, unchanged):
    with unchanged(), pytest.raises(NotFound):
        service_manual_renew(service_id=active.pk, today=now.date(), now=now, actor=other.user, client_id=other.pk)


@pytest.mark.django_db(transaction=True)
def test_manual_renew_twice_at_the_same_moment_makes_one_invoice(active, now):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite serialises writers; the race needs PostgreSQL's row locks")
    results = race(
        lambda: service_manual_renew(service_id=active.pk, today=now.date(), now=now, actor=None),
        lambda: service_manual_renew(service_id=active.pk, today=now.date(), now=now, actor=None),
    )
    invoices = {r.invoice.pk for r in results}
    assert len(invoices) == 1
    assert sorted(r.created for r in results) == [False, True]


def test_transfer_waits_for_an_unsettled_upgrade(active, client_account, other, staff, now):
    """Money queued for the next renewal invoice (or as credit) belongs to the old owner's account."""
    from decimal import Decimal

    from moorage.upgrades.models import UpgradeRequest

    transfer = services.service_transfer_request(
        service_id=active.pk, email="other@example.com", now=now, actor=client_account.user, client_id=client_account.pk
    )
    UpgradeRequest.objects.create(
        service=active,
        kind="upgrade",
        status="queued",
        settlement="next_invoice",
        from_product=active.product,
        from_cycle="monthly",
        from_price=Decimal("10.00"),
        to_product=active.product,
        to_cycle="monthly",
        to_price=Decimal("20.00"),
        change_at=now,
        period_start=now.date(),
        period_end=active.next_due_date,
        period_cycle="monthly",
        proration_unit="days",
        remaining=Decimal("1"),
        charge=Decimal("10.00"),
        created_at=now,
    )
    with pytest.raises(DomainError) as err:
        services.service_transfer_approve(transfer_id=transfer.pk, now=now, actor=staff)
    assert err.value.code == "not_transferable"
    active.refresh_from_db()
    assert active.client == client_account
