"""Add-ons ordered with a plan: checked against the catalog at checkout, billed on the first invoice."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from moorage.addons.checkout import COMPONENT
from moorage.addons.models import ServiceAddon
from moorage.core.errors import DomainError
from moorage.orders.actions import order_checkout, price_item
from moorage.services.components import CartItem
from moorage.services.models import ServiceComponent
from tests.addons.conftest import JAN1, at, make_addon, order, pay
from tests.factories import invoice_lines

pytestmark = pytest.mark.django_db


def test_the_first_invoice_bills_each_add_on_and_its_setup_fee(starter, disk, dedicated_ip, client_account):
    o = order(client_account, starter, [disk, dedicated_ip])
    assert invoice_lines(o.invoice) == [
        ("service", "Starter Hosting - shop.example.com", "4.99", "monthly", JAN1, dt.date(2026, 1, 31)),
        ("addon", "Add-on: Extra disk 10 GB", "3.10", "monthly", JAN1, dt.date(2026, 1, 31)),
        ("setup", "Setup fee: add-on Extra disk 10 GB", "1.00", "", None, None),
        ("addon", "Add-on: Dedicated IP", "2.00", "monthly", JAN1, dt.date(2026, 1, 31)),
    ]
    service = o.items.get().service
    components = {c.source: c for c in ServiceComponent.objects.filter(service=service)}
    assert components[disk.source].limits == {"limit_quota": 10240}
    assert components[disk.source].recurring_amount == Decimal("3.10")
    assert components[dedicated_ip.source].limits == {}
    rows = list(ServiceAddon.objects.filter(service=service).order_by("addon_id"))
    assert [(r.addon, r.origin, r.component.source) for r in rows] == [
        (disk, "order", disk.source),
        (dedicated_ip, "order", dedicated_ip.source),
    ]
    assert rows[1].staff_task_pending and not rows[0].staff_task_pending


def test_annual_parent_takes_the_annual_price(starter, disk, client_account):
    o = order(client_account, starter, [disk], cycle="annually")
    lines = {line[0]: line for line in invoice_lines(o.invoice)}
    assert lines["addon"][2] == "31.00" and lines["addon"][5] == dt.date(2026, 12, 31)
    assert "setup" not in lines  # no setup fee on the annual row


def test_one_time_add_on_is_a_line_without_period_and_never_renews(starter, client_account):
    migration = make_addon("Site migration", "migration", {"one_time": ("25.00", "0.00")}, [starter])
    o = order(client_account, starter, [migration])
    assert ("addon", "Add-on: Site migration", "25.00", "", None, None) in invoice_lines(o.invoice)
    component = ServiceComponent.objects.get(service=o.items.get().service)
    assert component.recurring_amount == 0 and component.source == migration.source  # recorded, not billed again


@pytest.mark.parametrize(
    "case",
    ["unknown", "not_assigned", "hidden", "no_price"],
)
def test_refused_add_ons_name_the_field_and_change_nothing(case, starter, shared_page, disk, client_account, unchanged):
    other = shared_page.products.exclude(pk=starter.pk).first()
    if case == "unknown":
        ids = (999_999,)
    elif case == "not_assigned":
        ids = (make_addon("Other", "other", {"monthly": ("1.00", "0")}, [other]).pk,)
    elif case == "hidden":
        ids = (make_addon("Hidden", "hidden", {"monthly": ("1.00", "0")}, [starter], visible=False).pk,)
    else:
        ids = (make_addon("Yearly only", "yearly", {"annually": ("9.00", "0")}, [starter]).pk,)
    with unchanged(), pytest.raises(DomainError) as refused:
        order_checkout(
            client=client_account,
            items=[CartItem(starter.pk, "monthly", "shop.example.com", addons=(disk.pk, *ids))],
            now=at(JAN1),
        )
    assert refused.value.field == "items[0].addons"
    assert refused.value.code == ("addon_no_price" if case == "no_price" else "invalid_addon")


def test_prices_come_from_the_catalog_and_ids_are_deduplicated(starter, disk):
    priced = price_item(CartItem(starter.pk, "monthly", "a.example.com", addons=(disk.pk, disk.pk)))
    assert [(c.line_kind, c.amount) for c in priced.charges] == [("addon", Decimal("3.10")), ("setup", Decimal("1.00"))]
    assert priced.charges_due == Decimal("4.10")


def test_too_many_ids_are_refused(starter):
    with pytest.raises(DomainError) as refused:
        COMPONENT.price(CartItem(starter.pk, "monthly", addons=tuple(range(1, 60))), starter, "monthly", index=2)
    assert refused.value.field == "items[2].addons"


def test_paid_order_activates_the_service_with_its_add_ons(starter, disk, client_account):
    o = order(client_account, starter, [disk])
    pay(o.invoice, JAN1)
    service = o.items.get().service
    service.refresh_from_db()
    assert service.status == "active"
    assert ServiceAddon.objects.get(service=service).status == "active"
