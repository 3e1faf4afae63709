"""The demo catalog gets two add-ons, once."""

from __future__ import annotations

import pytest

from moorage.addons.models import Addon
from moorage.operations.demo import _demo_addons

pytestmark = pytest.mark.django_db


def test_demo_addons_are_created_once_and_assigned(shared_page):
    _demo_addons()
    _demo_addons()
    assert sorted(Addon.objects.values_list("code", flat=True)) == ["dedicated-ip", "extra-disk-10g"]
    disk = Addon.objects.get(code="extra-disk-10g")
    assert disk.products.count() == shared_page.products.count() > 0
    assert disk.prices.count() == 2
