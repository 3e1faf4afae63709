"""Renewal lines of a service's components: add-ons and options billed with the parent; a discount
never takes a period below zero."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from moorage.billing.renewal import component_lines
from moorage.services.models import ServiceComponent
from tests.factories import paid_service

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)
START, END = dt.date(2026, 3, 1), dt.date(2026, 3, 31)


@pytest.fixture
def active_service(client_account, starter):  # noqa: ANN001, ANN201
    return paid_service(client_account, starter)


def _component(service, kind, source, amount, status=ServiceComponent.Status.ACTIVE):  # noqa: ANN001, ANN202
    return ServiceComponent.objects.create(
        service=service,
        kind=kind,
        source=source,
        description=source,
        recurring_amount=amount,
        status=status,
        created_at=NOW,
    )


def test_active_components_are_billed_with_the_period(active_service):  # noqa: ANN001
    _component(active_service, "addon", "addon:1", Decimal("2.50"))
    _component(active_service, "option", "form:1", Decimal("1.00"))
    _component(active_service, "addon", "addon:2", Decimal("9.00"), status=ServiceComponent.Status.PENDING)
    _component(active_service, "addon", "addon:3", Decimal("9.00"), status=ServiceComponent.Status.ENDED)
    lines = component_lines(active_service, START, END)
    assert [(line.kind, line.amount, line.period_start, line.period_end) for line in lines] == [
        ("addon", Decimal("2.50"), START, END),
        ("option", Decimal("1.00"), START, END),
    ]


def test_a_discount_is_capped_at_what_the_period_costs(active_service):  # noqa: ANN001
    active_service.recurring_amount = Decimal("5.00")
    _component(active_service, "addon", "addon:1", Decimal("1.00"))
    _component(active_service, "discount", "promo:1", Decimal("-20.00"))
    lines = component_lines(active_service, START, END)
    assert [line.amount for line in lines] == [Decimal("1.00"), Decimal("-6.00")]
    assert active_service.recurring_amount + sum(line.amount for line in lines) == 0
