"""Promotional codes at checkout: the discount lines, the renewals' discount, every refusal, the limits."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from moorage.billing.renewal import component_lines
from moorage.core.errors import DomainError
from moorage.orders.actions import CartItem, order_checkout, price_item
from moorage.orders.models import Order
from moorage.promotions import checkout as promotions
from moorage.promotions.models import PromoCode, Redemption
from moorage.services.components import Charge, PricedItem
from moorage.services.models import ServiceComponent
from tests import factories
from tests.threads import race

pytestmark = pytest.mark.django_db


def place(client, *items, now, code="SAVE10"):  # noqa: ANN001, ANN002, ANN201
    return order_checkout(client=client, items=list(items), now=now, promo_code=code)


def test_percentage_on_the_first_invoice_is_a_discount_line_rounded_half_up(client_account, starter, now, make_code):
    make_code("SAVE10", value="10")
    order = place(client_account, CartItem(starter.pk, "monthly", "example.com"), now=now, code="save10")

    lines = factories.invoice_lines(order.invoice)
    assert [(kind, amount) for kind, _d, amount, *_rest in lines] == [("service", "4.99"), ("discount", "-0.50")]
    assert order.invoice.total == Decimal("4.49")
    discount = order.invoice.lines.get(kind="discount")
    assert "SAVE10" in discount.description and "10% off" in discount.description
    assert (discount.period_start, discount.period_end) == (dt.date(2026, 1, 15), dt.date(2026, 2, 14))
    assert not ServiceComponent.objects.exists()  # first invoice only: renewals pay the full price
    assert PromoCode.objects.get().uses == 1
    assert list(Redemption.objects.values_list("client_id", "order_id")) == [(client_account.pk, order.pk)]


def test_recurring_code_lowers_every_renewal(client_account, starter, now, make_code):
    make_code("LOYAL", value="20", applies=PromoCode.Applies.RECURRING)
    order = place(client_account, CartItem(starter.pk, "monthly", "example.com"), now=now, code="LOYAL")

    assert order.invoice.total == Decimal("3.99")  # 4.99 − 1.00 (0.998 rounds half-up to 1.00)
    service = order.items.get().service
    component = ServiceComponent.objects.get(service=service)
    assert (component.kind, component.source, component.recurring_amount) == (
        "discount",
        f"promo:{PromoCode.objects.get().pk}",
        Decimal("-1.00"),
    )
    renewal = component_lines(service, dt.date(2026, 2, 15), dt.date(2026, 3, 14))
    assert [(line.kind, line.amount) for line in renewal] == [("discount", Decimal("-1.00"))]


def test_fixed_amount_never_exceeds_the_item_and_setup_fees_are_not_discounted(
    client_account, shared_page, now, make_code
):
    plan = factories.product(shared_page, name="Setup Plan", prices={"monthly": "7.00"}, setup_fee="15.00")
    make_code("BIG", value="50.00", kind=PromoCode.Kind.FIXED)
    order = place(client_account, CartItem(plan.pk, "monthly", "example.com"), now=now, code="BIG")

    amounts = {kind: amount for kind, _d, amount, *_rest in factories.invoice_lines(order.invoice)}
    assert amounts == {"service": "7.00", "setup": "15.00", "discount": "-7.00"}
    assert order.invoice.total == Decimal("15.00")


def test_periodic_extras_are_discounted_one_time_extras_are_not(shared_page, make_code, now):
    plan = factories.product(shared_page, name="Plan", prices={"monthly": "10.00"})
    make_code("HALF", value="50", applies=PromoCode.Applies.RECURRING)
    priced = PricedItem(
        product=plan,
        cycle="monthly",
        hostname="",
        amount=Decimal("10.00"),
        setup_fee=Decimal("0"),
        charges=(
            Charge("addon", "Backup", Decimal("3.00"), Decimal("3.00"), "addon", "addon:1"),
            Charge("option", "Install fee", Decimal("5.00"), periodic=False),
        ),
    )
    [(index, charge)] = promotions.discounts("half", client_id=None, priced=[priced], today=now.date())
    assert index == 0
    assert (charge.amount, charge.recurring_amount, charge.component_kind) == (
        Decimal("-6.50"),
        Decimal("-6.50"),
        "discount",
    )


def test_only_the_products_and_cycles_the_code_names_are_discounted(
    client_account, shared_page, starter, now, make_code
):
    other = factories.product(shared_page, name="Other", prices={"monthly": "10.00", "annually": "100.00"})
    make_code("ANNUAL", value="10", products=[other], cycles=["annually"])
    order = place(
        client_account,
        CartItem(starter.pk, "monthly", "a.example"),
        CartItem(other.pk, "monthly", "b.example"),
        CartItem(other.pk, "annually", "c.example"),
        now=now,
        code="ANNUAL",
    )
    discount = order.invoice.lines.get(kind="discount")
    assert discount.amount == Decimal("-10.00")
    assert discount.service.hostname == "c.example"
    assert order.invoice.total == Decimal("4.99") + Decimal("10.00") + Decimal("100.00") - Decimal("10.00")


def test_postpaid_products_get_no_discount(client_account, shared_page, now, make_code):
    plan = factories.product(shared_page, name="Later", billing_type="postpaid")
    make_code("SAVE10")
    with pytest.raises(DomainError) as caught:
        place(client_account, CartItem(plan.pk, "monthly", "example.com"), now=now)
    assert caught.value.code == "promo_nothing_to_discount"


@pytest.mark.parametrize(
    ("fields", "code", "words"),
    [
        ({}, "promo_unknown", "does not exist"),
        ({"active": False}, "promo_inactive", "no longer available"),
        ({"valid_from": dt.date(2026, 1, 16)}, "promo_not_yet_valid", "valid from"),
        ({"valid_until": dt.date(2026, 1, 14)}, "promo_expired", "expired on"),
        ({"max_uses": 3, "uses": 3}, "promo_used_up", "used up"),
        ({"cycles": ["annually"]}, "promo_not_for_cycles", "billing cycles"),
    ],
)
def test_every_refusal_names_its_reason_and_changes_nothing(
    client_account, starter, now, make_code, unchanged, fields, code, words
):
    if code != "promo_unknown":
        make_code("SAVE10", **fields)
    with unchanged(), pytest.raises(DomainError) as caught:
        place(client_account, CartItem(starter.pk, "monthly", "example.com"), now=now)
    assert (caught.value.field, caught.value.code) == ("promo_code", code)
    assert words in caught.value.message
    assert not Redemption.objects.exists()


def test_a_code_for_other_products_is_refused(client_account, shared_page, starter, now, make_code):
    other = factories.product(shared_page, name="Other")
    make_code("OTHER", products=[other])
    with pytest.raises(DomainError) as caught:
        place(client_account, CartItem(starter.pk, "monthly", "example.com"), now=now, code="OTHER")
    assert caught.value.code == "promo_not_for_products" and "not for the products" in caught.value.message


def test_the_validity_dates_are_inclusive(client_account, starter, now, make_code):
    make_code("TODAY", valid_from=dt.date(2026, 1, 15), valid_until=dt.date(2026, 1, 15))
    order = place(client_account, CartItem(starter.pk, "monthly", "example.com"), now=now, code="TODAY")
    assert order.invoice.lines.filter(kind="discount").exists()


def test_hostile_codes_are_unknown(starter, now):
    priced = [price_item(CartItem(starter.pk, "monthly", "example.com"))]
    for hostile in ["x" * 10_000, "' OR 1=1 --", "SAVE\x0010", "💸", "%"]:
        with pytest.raises(DomainError) as caught:
            promotions.discounts(hostile, client_id=None, priced=priced, today=now.date())
        assert caught.value.code == "promo_unknown"


def test_the_use_limit_holds(client_account, starter, now, make_code):
    make_code("ONCE", max_uses=1)
    place(client_account, CartItem(starter.pk, "monthly", "a.example"), now=now, code="ONCE")
    other = factories.client(now=now)
    with pytest.raises(DomainError) as caught:
        place(other, CartItem(starter.pk, "monthly", "b.example"), now=now, code="ONCE")
    assert caught.value.code == "promo_used_up"
    assert PromoCode.objects.get().uses == 1


def test_the_per_client_limit_holds(client_account, starter, now, make_code):
    make_code("MINE", max_uses_per_client=1)
    place(client_account, CartItem(starter.pk, "monthly", "a.example"), now=now, code="MINE")
    with pytest.raises(DomainError) as caught:
        place(client_account, CartItem(starter.pk, "monthly", "b.example"), now=now, code="MINE")
    assert caught.value.code == "promo_client_limit"
    place(factories.client(now=now), CartItem(starter.pk, "monthly", "c.example"), now=now, code="MINE")
    assert PromoCode.objects.get().uses == 2


def test_the_same_checkout_sent_twice_counts_one_use(client_account, starter, now, make_code):
    make_code("SAVE10")
    items = [CartItem(starter.pk, "monthly", "example.com")]
    first = order_checkout(client=client_account, items=items, now=now, promo_code="SAVE10", checkout_key="k1")
    again = order_checkout(client=client_account, items=items, now=now, promo_code="SAVE10", checkout_key="k1")
    assert first.pk == again.pk
    assert PromoCode.objects.get().uses == 1 and Redemption.objects.count() == 1


def test_codes_are_unique_whatever_their_case(make_code):
    make_code("Spring")
    with pytest.raises(IntegrityError), transaction.atomic():
        make_code("SPRING")


def test_the_database_refuses_impossible_values(make_code):
    for fields in ({"value": "0"}, {"value": "101", "kind": "percent"}, {"max_uses": 1, "uses": 2}):
        with pytest.raises(IntegrityError), transaction.atomic():
            make_code("BAD", **fields)


@pytest.mark.django_db(transaction=True)
def test_two_checkouts_at_once_never_pass_the_use_limit(shared_page, now, make_code):
    starter = shared_page.products.get(name="Starter Hosting")
    make_code("LAST", max_uses=1)
    clients = [factories.client(now=now) for _ in range(3)]
    results = race(
        *[
            lambda c=c: place(c, CartItem(starter.pk, "monthly", f"{c.pk}.example"), now=now, code="LAST")
            for c in clients
        ]
    )
    placed = [r for r in results if isinstance(r, Order)]
    refused = [r for r in results if isinstance(r, DomainError)]
    assert len(placed) == 1, results
    assert len(refused) == 2 and all(r.code == "promo_used_up" for r in refused)
    assert PromoCode.objects.get().uses == 1 and Redemption.objects.count() == 1
    assert Order.objects.count() == 1
