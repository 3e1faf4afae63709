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
