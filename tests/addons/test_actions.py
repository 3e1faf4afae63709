"""Add-ons bought for a running service: the pro-rated invoice, refusals, payment, cancellation."""

from __future__ import annotations

import datetime as dt
import threading
from decimal import Decimal

import pytest
from django.db import connection

from moorage.addons.actions import (
    addon_quote,
    end_due_addons,
    service_addon_cancel,
    service_addon_order,
    service_addon_staff_task_done,
)
from moorage.addons.models import ServiceAddon
from moorage.billing.actions import invoice_cancel
from moorage.billing.models import Invoice
from moorage.billing.renewal import issue_renewal
from moorage.core.errors import DomainError
from moorage.services.models import Service, ServiceComponent
from tests import factories
from tests.addons.conftest import JAN1, JAN17, at, make_addon, order, pay
from tests.factories import invoice_lines

pytestmark = pytest.mark.django_db


@pytest.fixture
def service(starter, client_account):  # noqa: ANN001, ANN201
    """Starter Hosting monthly, ordered and paid on 1 Jan 2026 (no module: active at once)."""
    o = order(client_account, starter)
    pay(o.invoice, JAN1)
    s = o.items.get().service
    s.refresh_from_db()
    assert s.status == "active" and s.next_due_date == dt.date(2026, 2, 1)
    return s


def test_quote_is_price_times_unused_share_plus_setup(service, disk):
    quote = addon_quote(service=service, addon=disk, now=at(JAN17))
    assert quote.total == Decimal("2.40")  # 3.10 × 14/31 = 1.40 + 1.00 setup
    # On the first day the whole period is unused: the full price.
    assert addon_quote(service=service, addon=disk, now=at(JAN1, 0, 0)).total == Decimal("4.10")
    # Hours as the product's Upgrade pro-rata unit: (31 days − 16 days 0 h 5 min) in whole hours = 359 of 744.
    type(service.product).objects.filter(pk=service.product_id).update(upgrade_proration="hours")
    service.refresh_from_db()
    assert addon_quote(service=service, addon=disk, now=at(JAN17)).total == (
        (Decimal("3.10") * 359 / 744).quantize(Decimal("0.01")) + 1
    )


def test_a_renewal_already_issued_is_billed_in_full_on_the_add_on_invoice(service, disk):
    renewal = issue_renewal(service, today=dt.date(2026, 1, 25), now=at(dt.date(2026, 1, 25)), force=True)
    assert renewal is not None
    row = service_addon_order(service_id=service.pk, addon_id=disk.pk, now=at(dt.date(2026, 1, 26)), actor=None)
    lines = invoice_lines(row.invoice)
    # 26 Jan 00:05: 5 whole days of 31 left (0.50), then the whole renewed period (3.10), then setup.
    assert [(k, a, s, e) for k, _d, a, _c, s, e in lines] == [
        ("addon", "0.50", dt.date(2026, 1, 26), dt.date(2026, 1, 31)),
        ("addon", "3.10", dt.date(2026, 2, 1), dt.date(2026, 2, 28)),
        ("setup", "1.00", None, None),
    ]
    assert lines[1][1] == "Add-on: Extra disk 10 GB"


def test_paid_add_on_is_active_and_renews_with_the_parent(service, disk):
    row = service_addon_order(service_id=service.pk, addon_id=disk.pk, now=at(JAN17), actor=None)
    assert row.status == "pending" and row.invoice.status == "unpaid"
    renewal_before = issue_renewal(service, today=dt.date(2026, 1, 20), now=at(dt.date(2026, 1, 20)), force=True)
    assert [line[0] for line in invoice_lines(renewal_before)] == ["service"]  # pending: not billed yet
    pay(row.invoice, JAN17)
    row.refresh_from_db()
    assert row.status == "active" and row.component.status == ServiceComponent.Status.ACTIVE


def test_free_add_on_starts_at_once_without_an_invoice(service, starter):
    free = make_addon("Free SSL", "ssl", {"monthly": ("0.00", "0.00")}, [starter])
    row = service_addon_order(service_id=service.pk, addon_id=free.pk, now=at(JAN17), actor=None)
    assert row.invoice is None and row.status == "active"
    assert not Invoice.objects.filter(kind=Invoice.Kind.UPGRADE).exists()


@pytest.mark.parametrize("case", ["other_product", "hidden", "no_price", "unknown"])
def test_refusals_change_nothing(case, service, starter, shared_page, unchanged):
    other = shared_page.products.exclude(pk=starter.pk).first()
    addon = {
        "other_product": lambda: make_addon("X", "x", {"monthly": ("1.00", "0")}, [other]),
        "hidden": lambda: make_addon("H", "h", {"monthly": ("1.00", "0")}, [starter], visible=False),
        "no_price": lambda: make_addon("Y", "y", {"annually": ("9.00", "0")}, [starter]),
        "unknown": lambda: None,
    }[case]()
    with unchanged(), pytest.raises(DomainError) as refused:
        service_addon_order(service_id=service.pk, addon_id=addon.pk if addon else 10**9, now=at(JAN17), actor=None)
    assert refused.value.code == ("addon_no_price" if case == "no_price" else "not_found")


def test_staff_may_add_a_hidden_add_on(service, starter):
    hidden = make_addon("H", "h", {"monthly": ("3.10", "0")}, [starter], visible=False)
    row = service_addon_order(service_id=service.pk, addon_id=hidden.pk, now=at(JAN17), actor=None, staff=True)
    assert row.invoice.total == Decimal("1.40")


def test_only_an_active_service_takes_an_add_on(service, disk, unchanged):
    Service.objects.filter(pk=service.pk).update(status=Service.Status.SUSPENDED)
    with unchanged(), pytest.raises(DomainError) as refused:
        service_addon_order(service_id=service.pk, addon_id=disk.pk, now=at(JAN17), actor=None)
    assert refused.value.code == "not_active"


def test_the_same_add_on_twice_is_refused(service, disk):
    service_addon_order(service_id=service.pk, addon_id=disk.pk, now=at(JAN17), actor=None)
    with pytest.raises(DomainError) as refused:
        service_addon_order(service_id=service.pk, addon_id=disk.pk, now=at(JAN17, 1), actor=None)
    assert refused.value.code == "addon_exists"
    assert Invoice.objects.filter(kind=Invoice.Kind.UPGRADE).count() == 1


def test_an_add_on_whose_invoice_staff_cancelled_may_be_ordered_again(service, disk):
    row = service_addon_order(service_id=service.pk, addon_id=disk.pk, now=at(JAN17), actor=None)
    invoice_cancel(invoice_id=row.invoice_id, now=at(JAN17, 1), cancelled_on=JAN17, actor=None)
    again = service_addon_order(service_id=service.pk, addon_id=disk.pk, now=at(JAN17, 2), actor=None)
    row.refresh_from_db()
    assert row.status == "ended" and again.status == "pending"


def test_cancelling_before_payment_cancels_the_invoice(service, disk):
    row = service_addon_order(service_id=service.pk, addon_id=disk.pk, now=at(JAN17), actor=None)
    row = service_addon_cancel(service_addon_id=row.pk, now=at(JAN17, 1), actor=None)
    assert row.status == "ended" and row.invoice.status == "cancelled"
    with pytest.raises(DomainError) as refused:
        service_addon_cancel(service_addon_id=row.pk, now=at(JAN17, 2), actor=None)
    assert refused.value.code == "already_cancelled"


def test_a_client_cannot_cancel_another_clients_add_on(service, disk, unchanged):
    row = service_addon_order(service_id=service.pk, addon_id=disk.pk, now=at(JAN17), actor=None)
    stranger = factories.client(email="stranger@example.com")
    with unchanged(), pytest.raises(DomainError) as refused:
        service_addon_cancel(service_addon_id=row.pk, now=at(JAN17, 1), actor=None, client_id=stranger.pk)
    assert refused.value.code == "not_found"


def test_cancel_after_the_renewal_was_issued_ends_after_that_period(service, starter, disk, client_account):
    o = order(client_account, starter, [disk], hostname="two.example.com")
    pay(o.invoice, JAN1)
    s = o.items.get().service
    s.refresh_from_db()
    issue_renewal(s, today=dt.date(2026, 1, 25), now=at(dt.date(2026, 1, 25)), force=True)
    row = ServiceAddon.objects.get(service=s)
    row = service_addon_cancel(service_addon_id=row.pk, now=at(dt.date(2026, 1, 26)), actor=None)
    assert row.ends_on == dt.date(2026, 3, 1)  # the renewal for February billed it: it runs to its end
    assert end_due_addons(now=at(dt.date(2026, 2, 15))) == 0
    assert end_due_addons(now=at(dt.date(2026, 3, 1))) == 1


def test_terminated_before_the_add_on_invoice_was_paid(service, disk):
    row = service_addon_order(service_id=service.pk, addon_id=disk.pk, now=at(JAN17), actor=None)
    from moorage.services import lifecycle

    Service.objects.filter(pk=service.pk).update(status=Service.Status.SUSPENDED)
    service.refresh_from_db()
    lifecycle.transition(service, Service.Status.TERMINATED, now=at(JAN17, 1), actor=None, reason="test")
    pay(row.invoice, JAN17)
    row.refresh_from_db()
    assert row.status == "ended"


def test_staff_task_done_once(service, dedicated_ip, staff):
    row = service_addon_order(service_id=service.pk, addon_id=dedicated_ip.pk, now=at(JAN17), actor=None)
    assert row.staff_task_pending
    service_addon_staff_task_done(service_addon_id=row.pk, now=at(JAN17, 1), actor=staff)
    service_addon_staff_task_done(service_addon_id=row.pk, now=at(JAN17, 2), actor=staff)
    row.refresh_from_db()
    assert not row.staff_task_pending and row.staff_task_done_at == at(JAN17, 1)


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_orders_of_the_same_add_on_make_one(starter, client_account):
    if connection.vendor != "postgresql":
        pytest.skip("row locks are PostgreSQL's; SQLite serialises writers")
    disk = make_addon("Extra disk", "disk", {"monthly": ("3.10", "0")}, [starter])
    o = order(client_account, starter)
    pay(o.invoice, JAN1)
    service_id = o.items.get().service_id
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def buy() -> None:
        from django.db import connections

        try:
            barrier.wait()
            service_addon_order(service_id=service_id, addon_id=disk.pk, now=at(JAN17), actor=None)
            outcomes.append("ok")
        except DomainError as exc:
            outcomes.append(exc.code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=buy) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["addon_exists", "ok"]
    assert ServiceAddon.objects.filter(service_id=service_id).count() == 1
