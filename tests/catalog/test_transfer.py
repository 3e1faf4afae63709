"""Product export and import: a JSON file, validated with errors that name the field."""

import copy
import json
from decimal import Decimal

import pytest

from moorage.catalog.actions import product_import
from moorage.catalog.models import OrderPage, Price, Product
from moorage.catalog.transfer import check_prices, export_product, parse_product
from moorage.core.errors import DomainError
from tests import factories


@pytest.fixture
def business(shared_page):  # noqa: ANN001, ANN201
    product = shared_page.products.get(code="business")
    product.tags = "ssd, eu"
    product.stock_enabled, product.stock, product.limit_per_customer = True, 7, 2
    product.hostname_validation = "fqdn"
    product.adjust_initial_period, product.first_invoice_due_days = True, 3
    product.save()
    Price.objects.filter(product=product, cycle="monthly").update(
        setup_fee=Decimal("5.00"), upgrade_fee=Decimal("1.50")
    )
    return product


def _doc(product: Product) -> dict:
    return json.loads(json.dumps(export_product(product)))


def test_export_is_plain_json_with_decimal_strings(business):
    doc = _doc(business)
    assert doc["format"] == "moorage.product" and doc["version"] == 2
    assert doc["product"]["prices"] == [
        {"cycle": "monthly", "amount": "9.99", "setup_fee": "5.00", "upgrade_fee": "1.50"},
        {"cycle": "annually", "amount": "99.90", "setup_fee": "0.00", "upgrade_fee": "0.00"},
    ]
    assert doc["product"]["name"] == "Business Hosting"
    assert doc["product"]["adjust_initial_period"] is True
    assert doc["product"]["invoice_generate_days"] is None


def test_round_trip_gives_the_same_product(business, now, staff):
    target = OrderPage.objects.create(name="Imported", slug="imported")
    imported = product_import(raw=json.dumps(export_product(business)), order_page=target, now=now, actor=staff)
    assert imported.pk != business.pk
    assert imported.order_page == target
    assert _doc(imported) == _doc(business)
    assert imported.prices.count() == 2


@pytest.mark.parametrize("version", [1, 2])
def test_a_minimal_file(shared_page, now, version):
    raw = json.dumps(
        {
            "format": "moorage.product",
            "version": version,
            "product": {"name": "Tiny", "price_type": "free"},
        }
    )
    product = product_import(raw=raw, order_page=shared_page, now=now, actor=None)
    assert (product.name, product.price_type, product.prices.count()) == ("Tiny", "free", 0)


def _mutated(business, change) -> str:  # noqa: ANN001
    doc = _doc(business)
    change(doc)
    return json.dumps(doc)


def _set(path, value):  # noqa: ANN001, ANN202
    def change(doc):  # noqa: ANN001, ANN202
        *parents, last = path
        target = doc
        for key in parents:
            target = target[key]
        target[last] = value

    return change


def _delete(path):  # noqa: ANN001, ANN202
    def change(doc):  # noqa: ANN001, ANN202
        *parents, last = path
        target = doc
        for key in parents:
            target = target[key]
        del target[last]

    return change


BAD_FILES = [
    (_set(["format"], "other"), "format"),
    (_set(["version"], 3), "version"),
    (_set(["version"], "2"), "version"),
    (_set(["version"], True), "version"),
    (_set(["extra"], 1), "file.extra"),
    (_set(["product", "suspend_dayz"], 3), "product.suspend_dayz"),
    (_set(["product", "prices", 0, "amout"], "1.00"), "product.prices[0].amout"),
    (_set(["product", "suspend_days"], -3), "product.suspend_days"),
    (_set(["product", "suspend_enabled"], "no"), "product.suspend_enabled"),
    (_set(["product", "renew_on"], "sometimes"), "product.renew_on"),
    (_set(["product", "late_fee_percent"], 10.5), "product.late_fee_percent"),
    (_set(["product", "late_fee_percent"], "10000.00"), "product.late_fee_percent"),
    (_set(["product", "late_fee_percent"], "1.234"), "product.late_fee_percent"),
    (_set(["product", "custom_reminders"], [{"days": 0}]), "product.custom_reminders"),
    (_set(["product", "custom_reminders"], [{"days": 3, "whenn": "after"}]), "product.custom_reminders"),
    (_set(["product", "custom_reminders"], "3 days"), "product.custom_reminders"),
    (_set(["product", "custom_reminders"], [{"days": 1}] * 101), "product.custom_reminders"),
    (_set(["product", "expiration_notices"], [{"days": 7, "template": "no_such_event"}]), "product.expiration_notices"),
    (
        _set(["product", "expiration_notices"], [{"days": 7, "variant": "No such template"}]),
        "product.expiration_notices",
    ),
    (_set(["product", "visible"], None), "product.visible"),
    (_set(["product", "client_functions"], ["no_such_function"]), "product.client_functions"),
    (_set(["product", "available_upgrades"], [{"code": "nosuch", "name": "X"}]), "product.available_upgrades[0]"),
    (_set(["product", "other_products"], [{"code": "starter", "nam": "X"}]), "product.other_products[0].nam"),
    (_set(["product", "other_products"], [{"code": "", "name": ""}]), "product.other_products[0]"),
    (_set(["product", "other_products"], {"code": "starter"}), "product.other_products"),
    (_set(["product", "other_products"], None), "product.other_products"),
    (_set(["product"], []), "product"),
    (_delete(["product", "name"]), "product.name"),
    (_set(["product", "name"], "  "), "product.name"),
    (_set(["product", "name"], 12), "product.name"),
    (_set(["product", "name"], "x" * 201), "product.name"),
    (_set(["product", "code"], "x" * 65), "product.code"),
    (_delete(["product", "price_type"]), "product.price_type"),
    (_set(["product", "price_type"], "sometimes"), "product.price_type"),
    (_set(["product", "hostname_validation"], "strict"), "product.hostname_validation"),
    (_set(["product", "auto_create"], "never"), "product.auto_create"),
    (_set(["product", "visible"], "yes"), "product.visible"),
    (_set(["product", "adjust_initial_period"], 1), "product.adjust_initial_period"),
    (_set(["product", "stock"], -1), "product.stock"),
    (_set(["product", "stock"], 2**31), "product.stock"),
    (_set(["product", "stock"], "5"), "product.stock"),
    (_set(["product", "stock"], True), "product.stock"),
    (_set(["product", "first_invoice_due_days"], 1.5), "product.first_invoice_due_days"),
    (_set(["product", "prices"], {}), "product.prices"),
    (_set(["product", "prices"], []), "product.prices"),
    (_set(["product", "prices", 0], "monthly"), "product.prices[0]"),
    (_set(["product", "prices", 1, "cycle"], "fortnightly"), "product.prices[1].cycle"),
    (_set(["product", "prices", 1, "cycle"], "monthly"), "product.prices[1].cycle"),
    (_set(["product", "prices", 1, "cycle"], "one_time"), "product.prices"),
    (_delete(["product", "prices", 0, "amount"]), "product.prices[0].amount"),
    (_set(["product", "prices", 0, "amount"], 9.99), "product.prices[0].amount"),
    (_set(["product", "prices", 0, "amount"], "nine"), "product.prices[0].amount"),
    (_set(["product", "prices", 0, "amount"], "-1.00"), "product.prices[0].amount"),
    (_set(["product", "prices", 0, "amount"], "NaN"), "product.prices[0].amount"),
    (_set(["product", "prices", 0, "amount"], "9.999"), "product.prices[0].amount"),
    (_set(["product", "prices", 0, "amount"], "1e12"), "product.prices[0].amount"),
    (_set(["product", "prices", 0, "amount"], "1e30"), "product.prices[0].amount"),
    (_set(["product", "prices", 0, "setup_fee"], None), "product.prices[0].setup_fee"),
    (_set(["product", "prices", 0, "upgrade_fee"], True), "product.prices[0].upgrade_fee"),
]


@pytest.mark.parametrize(("change", "field"), BAD_FILES)
def test_a_bad_file_names_the_field_and_creates_nothing(business, now, unchanged, change, field):
    raw = _mutated(business, change)
    with unchanged(), pytest.raises(DomainError) as err:
        product_import(raw=raw, order_page=business.order_page, now=now, actor=None)
    assert err.value.field == field
    assert err.value.code in ("invalid_import", "invalid_prices")
    assert err.value.message


@pytest.mark.parametrize("raw", ["{not json", b"\xff\xfe", "[1, 2]", "null", '"text"'])
def test_a_file_that_is_not_a_json_object(business, now, unchanged, raw):
    with unchanged(), pytest.raises(DomainError) as err:
        product_import(raw=raw, order_page=business.order_page, now=now, actor=None)
    assert err.value.field == "file"


def test_products_go_on_a_page_that_holds_products(business, now, unchanged):
    hub = OrderPage.objects.create(name="Hub", slug="hub", contains=OrderPage.Contains.SUBCATEGORIES)
    with unchanged(), pytest.raises(DomainError) as err:
        product_import(raw=json.dumps(export_product(business)), order_page=hub, now=now, actor=None)
    assert err.value.field == "order_page"


def test_parse_does_not_touch_its_input_and_cleans_amounts(business):
    doc = _doc(business)
    before = copy.deepcopy(doc)
    clean = parse_product(json.dumps(doc))
    assert doc == before
    assert clean["prices"][0] == {
        "cycle": "monthly",
        "amount": Decimal("9.99"),
        "setup_fee": Decimal("5.00"),
        "upgrade_fee": Decimal("1.50"),
    }


@pytest.mark.parametrize(
    ("price_type", "cycles_given"),
    [
        ("free", []),
        ("one_time", ["one_time"]),
        ("recurring", ["monthly"]),
        (
            "recurring",
            [
                "daily",
                "weekly",
                "monthly",
                "quarterly",
                "semiannually",
                "annually",
                "biennially",
                "triennially",
            ],
        ),
    ],
)
def test_check_prices_accepts(price_type, cycles_given):
    check_prices(price_type, cycles_given)


@pytest.mark.parametrize(
    ("price_type", "cycles_given"),
    [
        ("free", ["monthly"]),
        ("one_time", []),
        ("one_time", ["monthly"]),
        ("one_time", ["one_time", "monthly"]),
        ("recurring", []),
        ("recurring", ["monthly", "one_time"]),
    ],
)
def test_check_prices_refuses(price_type, cycles_given):
    with pytest.raises(DomainError) as err:
        check_prices(price_type, cycles_given, field="prices")
    assert (err.value.field, err.value.code) == ("prices", "invalid_prices")


def test_factory_product_has_its_prices(shared_page):
    product = factories.product(shared_page, prices={"monthly": "10.00", "annually": "100.00"}, setup_fee="2.00")
    assert sorted(product.prices.values_list("cycle", "amount", "setup_fee")) == [
        ("annually", Decimal("100.00"), Decimal("2.00")),
        ("monthly", Decimal("10.00"), Decimal("2.00")),
    ]


def _minimal(**product) -> str:
    return json.dumps({"format": "moorage.product", "version": 2, "product": {"price_type": "free", **product}})


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
        ('{"a":' * 50_000 + "1" + "}" * 50_000, "nested too deeply"),
        (_minimal(name="Bad\u0000name"), "product.name: contains a NUL character"),
        (_minimal(name="ok", description="x\u0000y"), "product.description: contains a NUL"),
        (_minimal(name="ok", tags="a\ud800b"), "product.tags: contains an invalid character"),
        (_minimal(name="ok\u001b[31m"), "product.name: contains a control character"),
        (_minimal(name="ok", code="a\nb"), "product.code: contains a control character"),
        (b"\xff\xfe\x00garbage", "not valid JSON"),
    ],
)
def test_hostile_files_are_refused_with_a_clear_message(shared_page, now, raw, message):
    with pytest.raises(DomainError, match=message.replace("[", r"\[")):
        product_import(raw=raw, order_page=shared_page, now=now, actor=None)
    assert not Product.objects.filter(order_page=shared_page, name__startswith="ok").exists()


def test_a_multiline_description_is_kept(shared_page, now):
    product = product_import(
        raw=_minimal(name="Fine", description="line one\nline two\ttab"), order_page=shared_page, now=now, actor=None
    )
    assert product.description == "line one\nline two\ttab"
