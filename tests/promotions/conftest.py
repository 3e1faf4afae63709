"""Promotional code fixtures: a code factory with staff's defaults."""

from __future__ import annotations

from decimal import Decimal

import pytest

from moorage.promotions.models import PromoCode


@pytest.fixture
def make_code(db, now):  # noqa: ANN001, ANN201
    def make(code: str = "SAVE10", *, value: str = "10", products=(), **fields) -> PromoCode:  # noqa: ANN001, ANN003
        promo = PromoCode.objects.create(code=code, value=Decimal(value), created_at=now, **fields)
        promo.products.set(products)
        return promo

    return make


@pytest.fixture
def test_clock(settings):  # noqa: ANN001, ANN201
    settings.MOORAGE_CLOCK_DATE = "2026-01-15"


@pytest.fixture
def signed_in(client, client_account, test_clock):  # noqa: ANN001, ANN201
    client.force_login(client_account.user)
    return client
