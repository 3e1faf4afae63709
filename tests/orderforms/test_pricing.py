"""Each field type's price on the first invoice and on the renewal invoices, from the form's rows only."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from moorage.core.errors import DomainError
from moorage.orderforms.models import FormField, ServiceFormAnswer
from moorage.orders.actions import price_item
from moorage.services.components import CartItem, as_pairs
from moorage.services.models import ServiceComponent
from moorage.services.queries import limit_additions
from tests import factories
from tests.orderforms.helpers import formed_product, option_lines, order, renew

pytestmark = pytest.mark.django_db
D = Decimal
BASE = {"support": "std"}  # the one required field


@pytest.fixture
def product(shared_page, now):  # noqa: ANN001, ANN201
    return formed_product(shared_page, now=now)


def paid(client, product, answers, now):  # noqa: ANN001, ANN201
    placed = order(client, product, {**BASE, **answers}, now=now)
    factories.pay(placed.invoice, str(placed.invoice.total), transaction_id=f"T{placed.pk}", now=now)
    return placed


# (answers, first-invoice option lines, per-cycle total on the renewal)
CASES = {
    "text": (
        {"notes": "call me"},
        [("Notes: call me", D("1.00"), True), ("Notes: call me (one-time)", D("0.50"), False)],
        D("1.10"),
    ),
    "text empty": ({"notes": ""}, [], D("0.10")),
    "textarea": ({"about": "line1\nline2"}, [("About: line1\nline2 (one-time)", D("2.00"), False)], D("0.10")),
    "number": ({"disk": "4"}, [("Extra disk (GB): 4", D("1.00"), True)], D("1.10")),
    "number zero": ({"disk": "0"}, [], D("0.10")),
    "checkbox": (
        {"backup": "on"},
        [("Daily backups", D("3.00"), True), ("Daily backups (one-time)", D("5.00"), False)],
        D("3.10"),
    ),
    "checkbox off": ({"backup": "0"}, [], D("0.10")),
    "select": ({"os": "php83"}, [("PHP version: PHP 8.3", D("2.00"), True)], D("2.10")),
    "select default": ({}, [], D("0.10")),
    "radio": (
        {"support": "prio"},
        [("Support: Priority", D("7.00"), True), ("Support: Priority (one-time)", D("10.00"), False)],
        D("7.10"),
    ),
}
HIDDEN = ("Source: web", D("0.10"), True)


@pytest.mark.parametrize("case", list(CASES))
def test_each_field_type_prices_the_first_and_the_renewal_invoices(client_account, product, now, case):
    answers, lines, per_cycle = CASES[case]
    placed = paid(client_account, product, answers, now)
    expected = lines
    got = option_lines(placed.invoice)
    assert sorted(got) == sorted([*expected, HIDDEN])
    assert placed.invoice.total == D("10.00") + sum((amount for _, amount, _ in got), D("0"))
    periodic = [line for line in placed.invoice.lines.all() if line.kind == "option" and line.period_start]
    assert all(
        (line.period_start, line.period_end) == (dt.date(2026, 1, 15), dt.date(2026, 2, 14)) for line in periodic
    )

    service = placed.items.get().service
    renewal = renew(service, now=now + dt.timedelta(days=30))
    assert renewal is not None
    recurring = [line for line in renewal.lines.order_by("id") if line.kind == "option"]
    assert sum((line.amount for line in recurring), D("0")) == per_cycle  # the one-time parts never again
    assert all(
        (line.period_start, line.period_end) == (dt.date(2026, 2, 15), dt.date(2026, 3, 14)) for line in recurring
    )
    assert renewal.total == D("10.00") + per_cycle


def test_answers_are_stored_with_the_service_hidden_from_its_default(client_account, product, now):
    placed = paid(client_account, product, {"disk": "3", "backup": "1", "notes": " hi "}, now)
    service = placed.items.get().service
    stored = dict(ServiceFormAnswer.objects.filter(service=service).values_list("code", "value"))
    assert stored == {
        "notes": "hi",
        "about": "",
        "disk": "3",
        "backup": "1",
        "os": "php82",
        "support": "std",
        "source": "web",
    }


def test_a_posted_hidden_value_is_ignored(client_account, product, now):
    placed = paid(client_account, product, {"source": "evil", "disk": "0"}, now)
    service = placed.items.get().service
    assert ServiceFormAnswer.objects.get(service=service, code="source").value == "web"
    assert ("Source: web", D("0.10"), True) in option_lines(placed.invoice)


def test_limits_become_the_services_limit_additions(client_account, product, now):
    placed = paid(client_account, product, {"disk": "3", "os": "php83"}, now)
    service = placed.items.get().service
    assert limit_additions(service) == {"limit_quota": 3072, "limit_db": 1}
    sources = set(ServiceComponent.objects.filter(service=service).values_list("source", flat=True))
    fields = {f.code: f.pk for f in FormField.objects.filter(product=product)}
    assert sources == {f"form:{fields['disk']}", f"form:{fields['os']}", f"form:{fields['source']}"}


def test_the_annual_cycle_bills_the_per_cycle_price_per_year(client_account, product, now):
    placed = order(client_account, product, {**BASE, "backup": "1"}, now=now, cycle="annually")
    lines = option_lines(placed.invoice)
    assert ("Daily backups", D("3.00"), True) in lines
    assert placed.invoice.total == D("100.00") + D("3.00") + D("5.00") + D("0.10")


@pytest.mark.parametrize(
    ("answers", "field", "code"),
    [
        ({"support": ""}, "items[0].form.support", "required"),
        ({"support": "gold"}, "items[0].form.support", "invalid_choice"),
        ({"os": "<script>"}, "items[0].form.os", "invalid_choice"),
        ({"disk": "-1"}, "items[0].form.disk", "invalid"),
        ({"disk": "51"}, "items[0].form.disk", "out_of_range"),
        ({"disk": "1e3"}, "items[0].form.disk", "invalid"),
        ({"disk": "99999999999999999999"}, "items[0].form.disk", "invalid"),
        ({"backup": "maybe"}, "items[0].form.backup", "invalid"),
        ({"notes": "x" * 501}, "items[0].form.notes", "too_long"),
        ({"notes": "two\nlines"}, "items[0].form.notes", "invalid"),
        ({"notes": "nul\x00"}, "items[0].form.notes", "invalid"),
        ({"about": "y" * 5001}, "items[0].form.about", "too_long"),
        ({"price": "0"}, "items[0].form.price", "unknown_field"),
    ],
)
def test_hostile_answers_are_refused_naming_the_field_and_order_nothing(
    client_account, product, now, answers, field, code, unchanged
):
    with unchanged(), pytest.raises(DomainError) as caught:
        order(client_account, product, {**BASE, **answers}, now=now)
    assert (caught.value.field, caught.value.code) == (field, code)


def test_a_product_without_a_form_refuses_form_answers(client_account, starter, now):
    with pytest.raises(DomainError) as caught:
        price_item(CartItem(starter.pk, "monthly", "a.example.com", form=as_pairs({"x": "1"})))
    assert caught.value.code == "unknown_field"


def test_unicode_answers_are_kept(client_account, product, now):
    placed = paid(client_account, product, {"notes": "Привет, 世界 🚀"}, now)
    service = placed.items.get().service
    assert ServiceFormAnswer.objects.get(service=service, code="notes").value == "Привет, 世界 🚀"


def test_termination_ends_the_options(client_account, product, now):
    from moorage.services import lifecycle

    placed = paid(client_account, product, {"disk": "2"}, now)
    service = placed.items.get().service
    lifecycle.transition(service, "terminated", now=now, actor=None, reason="test")
    assert not ServiceComponent.objects.filter(service=service).exclude(status="ended").exists()
