"""The product export's "addons" section: the codes of the assigned add-ons."""

from __future__ import annotations

import pytest

from moorage.catalog.transfer import SECTIONS
from moorage.core.errors import DomainError
from tests.addons.conftest import make_addon

pytestmark = pytest.mark.django_db


def test_export_parse_apply_round_trip(starter, shared_page, disk, dedicated_ip):
    section = SECTIONS["addons"]
    exported = section.export(starter)
    assert exported == ["disk10", "ip"]
    other = shared_page.products.exclude(pk=starter.pk).first()
    section.apply(other, section.parse(exported, "product.addons"))
    assert sorted(other.addons.values_list("code", flat=True)) == ["disk10", "ip"]


@pytest.mark.parametrize(
    ("value", "path"),
    [
        ("disk10", "product.addons"),
        ([1], "product.addons[0]"),
        (["nope"], "product.addons[0]"),
        (["x" * 51], "product.addons[0]"),
        (["disk10"] * 201, "product.addons"),
    ],
)
def test_parse_refuses_naming_the_path(value, path, disk):
    with pytest.raises(DomainError) as refused:
        SECTIONS["addons"].parse(value, "product.addons")
    assert refused.value.field == path


def test_apply_replaces_the_assignment(starter, disk):
    make_addon("Other", "other", {"monthly": ("1.00", "0")}, [])
    SECTIONS["addons"].apply(starter, ["other"])
    assert list(starter.addons.values_list("code", flat=True)) == ["other"]
