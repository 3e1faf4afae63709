"""Order pages: Add New Order Page, sub-categories, and the premade shared hosting packages."""

from decimal import Decimal

import pytest

from moorage.catalog.actions import PREMADE_SHARED4, order_page_create
from moorage.catalog.models import OrderPage, Product
from moorage.core.errors import DomainError
from moorage.core.models import AuditEntry


def test_premade_four_shared_hosting_packages(db, now, staff):
    page = order_page_create(name="Shared Hosting", now=now, actor=staff, premade=PREMADE_SHARED4)
    assert page.slug == "shared-hosting"
    assert page.order_type == OrderPage.OrderType.SHARED
    rows = [
        (
            p.name,
            p.code,
            p.price_type,
            p.sort_order,
            sorted((pr.cycle, pr.amount, pr.setup_fee) for pr in p.prices.all()),
        )
        for p in page.products.order_by("sort_order")
    ]
    assert rows == [
        (
            "Starter Hosting",
            "starter",
            "recurring",
            0,
            [
                ("annually", Decimal("49.90"), Decimal("0.00")),
                ("monthly", Decimal("4.99"), Decimal("0.00")),
            ],
        ),
        (
            "Business Hosting",
            "business",
            "recurring",
            1,
            [
                ("annually", Decimal("99.90"), Decimal("0.00")),
                ("monthly", Decimal("9.99"), Decimal("0.00")),
            ],
        ),
        (
            "Premium Hosting",
            "premium",
            "recurring",
            2,
            [
                ("annually", Decimal("199.90"), Decimal("0.00")),
                ("monthly", Decimal("19.99"), Decimal("0.00")),
            ],
        ),
        (
            "Ultimate Hosting",
            "ultimate",
            "recurring",
            3,
            [
                ("annually", Decimal("399.90"), Decimal("0.00")),
                ("monthly", Decimal("39.99"), Decimal("0.00")),
            ],
        ),
    ]
    entry = AuditEntry.objects.get(action="order_page_create")
    assert (entry.actor, entry.object_id, entry.data) == (
        staff,
        str(page.pk),
        {"premade": "shared4"},
    )


def test_without_premade_the_page_is_empty(db, now):
    page = order_page_create(name="VPS", now=now, actor=None)
    assert not page.products.exists()


def test_slugs_are_unique(db, now):
    assert order_page_create(name="Shared", now=now, actor=None).slug == "shared"
    assert order_page_create(name="Shared", now=now, actor=None).slug == "shared-2"
    assert order_page_create(name="Other", slug="My Page", now=now, actor=None).slug == "my-page"


def test_sub_category(db, now):
    parent = order_page_create(name="Hosting", contains=OrderPage.Contains.SUBCATEGORIES, now=now, actor=None)
    child = order_page_create(name="Linux", parent=parent, now=now, actor=None)
    assert list(parent.subcategories.all()) == [child]
    assert str(child) == "Hosting / Linux"


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"name": "  "}, "name"),
        ({"name": "X", "premade": "eight"}, "premade"),
        ({"name": "X", "slug": "taken"}, "slug"),
        ({"name": "X", "contains": "subcategories", "premade": "shared4"}, "premade"),
    ],
)
def test_refused_order_pages_name_the_field(db, now, unchanged, kwargs, field):
    order_page_create(name="Taken", slug="taken", now=now, actor=None)
    with unchanged(), pytest.raises(DomainError) as err:
        order_page_create(now=now, actor=None, **kwargs)
    assert err.value.field == field
    assert OrderPage.objects.count() == 1


def test_a_sub_category_needs_a_parent_that_holds_sub_categories(db, now, unchanged):
    parent = order_page_create(name="Hosting", now=now, actor=None)
    with unchanged(), pytest.raises(DomainError) as err:
        order_page_create(name="Linux", parent=parent, now=now, actor=None)
    assert err.value.field == "parent"


def test_product_helpers(db, shared_page):
    product = Product(order_page=shared_page, name="P", tags=" ssd, , eu ")
    assert product.tag_list == ["ssd", "eu"]
    assert product.in_stock
    product.stock_enabled = True
    assert not product.in_stock
