"""A product travels whole (issue 13, item 7), with every component: a product configured on every tab
through the apps' own actions — its fields, prices, Automation overrides, custom reminders and
expiration notices, Client Functions, the App tab, Emails choices, metered prices, an order form with
every field type, add-on assignments, domain options, a contract template, other services and
available upgrades — is exported, removed from this installation, imported again and exported: the
two files are the same bytes. A misspelled key anywhere is refused naming its place; version 1 files
still import."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest

from moorage.addons.models import Addon, AddonPrice
from moorage.catalog import client_functions, transfer
from moorage.catalog.actions import product_client_functions_save, product_import
from moorage.catalog.models import OrderPage, Product
from moorage.catalog.transfer import FIELDS, SECTIONS, export_json, kind_of
from moorage.contracts.actions import contract_version_add
from moorage.contracts.models import ContractTemplate, ProductContract
from moorage.core.errors import DomainError
from moorage.domains.models import ProductDomainOptions, Tld
from moorage.metering.models import MeteredPrice, MeteredTier
from moorage.notifications.actions import product_templates_save
from moorage.notifications.models import NotificationTemplate
from moorage.orderforms.actions import form_import
from moorage.orderforms.models import FormField
from moorage.provisioning.actions import product_app_save
from moorage.provisioning.models import AppConnection, ProductApp
from tests import factories

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 1, 15, 10, 0, tzinfo=dt.UTC)

# An order form with one field of every type; options and fields with prices and panel limits.
FORM = [
    {"code": "site_name", "label": "Site name", "type": "text", "required": True, "help": "Shown in the panel"},
    {"code": "notes", "label": "Notes for staff", "type": "textarea", "client_editable": True, "sort": 1},
    {
        "code": "website_type",
        "label": "Website type",
        "type": "select",
        "default": "wordpress",
        "sort": 2,
        "options": [
            {"label": "Static", "value": "static"},
            {"label": "WordPress", "value": "wordpress", "sort": 1, "one_time_price": "5.00"},
            {
                "label": "Shop",
                "value": "shop",
                "sort": 2,
                "one_time_price": "10.00",
                "recurring_price": "3.50",
                "limits": {"limit_db": 2},
            },
        ],
    },
    {
        "code": "php",
        "label": "PHP version",
        "type": "radio",
        "required": True,
        "sort": 3,
        "options": [{"label": "PHP 8.2", "value": "8.2"}, {"label": "PHP 8.3", "value": "8.3", "sort": 1}],
    },
    {
        "code": "backups",
        "label": "Daily backups",
        "type": "checkbox",
        "default": "1",
        "client_editable": True,
        "sort": 4,
        "recurring_price": "1.25",
        "limits": {"limit_backup": 1},
    },
    {
        "code": "extra_disk",
        "label": "Extra disk (GB)",
        "type": "number",
        "sort": 5,
        "min": 0,
        "max": 100,
        "default": "2",
        "one_time_price": "0.10",
        "recurring_price": "0.50",
        "limits": {"limit_quota": 1024},
        "client_editable": True,
    },
    {"code": "partner", "label": "Partner", "type": "hidden", "default": "acme", "sort": 6},
]


def _not_default(field, default):  # noqa: ANN001, ANN202
    """A value for `field` other than a new product's `default`, as the staff form would store it."""
    kind = kind_of(field)
    if kind == "str":
        return f"{field.name[:20]}-x"
    if kind == "choice":
        return next(str(c[0]) for c in reversed(field.choices) if str(c[0]) != default)
    if kind == "bool":
        return not default if default is not None else False  # False, not null: "off" must survive too
    if kind == "int":
        return 7 if default != 7 else 8
    if kind == "decimal":
        return Decimal("12.50")
    if kind == "reminders":
        return [{"days": 10, "when": "after"}, {"days": 2, "when": "before"}]
    if kind == "notices":
        return [
            {"days": 7, "when": "before", "template": "service_expiration", "variant": "Short"},
            {"days": 0},
            {"days": 3, "when": "after", "template": "service_expiration"},
        ]
    raise AssertionError(kind)


@pytest.fixture
def page(db):  # noqa: ANN001, ANN201
    return factories.shared_page(now=NOW)


@pytest.fixture
def full(page, staff):  # noqa: ANN001, ANN201
    """A product with every tab filled in, through each app's own actions where staff use one."""
    short = NotificationTemplate.objects.create(
        event="service_expiration", name="Short", created_at=NOW, updated_at=NOW
    )
    welcome = NotificationTemplate.objects.create(
        event="account_created", name="Welcome", created_at=NOW, updated_at=NOW
    )
    fresh = Product(order_page=page, name="fresh")
    product = Product.objects.create(order_page=page, name="Full Hosting", price_type="recurring")
    for name, field in FIELDS.items():
        if field.many_to_many or name in ("name", "price_type", "module", "client_functions", "client_area_layout"):
            continue
        setattr(product, name, _not_default(field, getattr(fresh, name)))
    product.code = "full-plan"
    product.description = "Line one\nLine two — with ünïcode"
    product.full_clean(exclude=["order_page"])
    product.save()
    # Pricing: three cycles, setup and upgrade fees.
    product.prices.create(cycle="annually", amount=Decimal("99.00"), setup_fee=Decimal("5.00"))
    product.prices.create(cycle="monthly", amount=Decimal("9.90"), upgrade_fee=Decimal("1.25"))
    product.prices.create(cycle="quarterly", amount=Decimal("27.00"), setup_fee=Decimal("2.00"))
    # Other tab: upgrades, other services.
    ssl = factories.product(page, name="SSL Certificate", code="ssl", prices={"annually": "20.00"})
    product.available_upgrades.set(page.products.filter(code__in=["business", "premium"]))
    product.other_products.set([ssl])
    # Client Functions tab.
    product_client_functions_save(
        product_id=product.pk,
        enabled=list(client_functions.DEFAULT_ENABLED)[:3],
        layout=Product.Layout.TOP,
        now=NOW,
        actor=staff,
    )
    # App tab: module, connection, preset, overrides, username pattern (and Auto-create).
    connection = AppConnection.objects.create(
        module="ispmanager", name="panel-eu", ip_address="192.0.2.10", username="root", password="secret"
    )
    product_app_save(
        product=product,
        module="ispmanager",
        connection=connection,
        group=None,
        options={"preset": "business", "limit_db": 5, "limit_quota": "20480", "username_pattern": "u{client_id}"},
        auto_create=Product.AutoCreate.CRON,
        now=NOW,
        actor=staff,
    )
    # Emails.
    product_templates_save(product=product, choices={"account_created": welcome.pk}, now=NOW, actor=staff)
    assert short.pk
    # Metered prices (a recurring product may meter resources on top of its price).
    disk = MeteredPrice.objects.create(
        product=product, resource="disk_mib", unit_price=Decimal("0.05"), included=Decimal("10"), unit_size=1024
    )
    MeteredTier.objects.create(price=disk, up_to=Decimal("100"), unit_price=Decimal("0.04"))
    MeteredTier.objects.create(price=disk, up_to=None, unit_price=Decimal("0.0025"))
    MeteredPrice.objects.create(product=product, resource="websites", unit_price=Decimal("1.5"), unit_label="site")
    # Order form: every field type.
    form_import(product_id=product.pk, data={"fields": FORM}, now=NOW, actor=staff)
    # Add-ons assigned (Assign addon(s)).
    for code, name in (("dedicated-ip", "Dedicated IP"), ("extra-disk-10g", "Extra disk 10 GB")):
        addon = Addon.objects.create(name=name, code=code, limits={"limit_quota": 10240} if "disk" in code else {})
        AddonPrice.objects.create(addon=addon, cycle="monthly", amount=Decimal("2.00"))
        addon.products.add(product)
    Addon.objects.create(name="Not assigned", code="unassigned")
    # Domain options.
    for name in ("test", "example", "com"):
        Tld.objects.create(
            name=name,
            registrar="epp",
            register_price=Decimal("10.00"),
            transfer_price=Decimal("8.00"),
            renew_price=Decimal("12.00"),
        )
    options = ProductDomainOptions.objects.create(
        product=product,
        enabled=True,
        allow_own_domain=False,
        only_registered_with_us=True,
        offer_subdomain=True,
        subdomain_parents="example-hosting.net\nfree-sites.example\n",
        auto_hostname=True,
        hostname_pattern="{product_code}-{service_id}.example-hosting.net",
    )
    options.tlds.set(Tld.objects.filter(name__in=["test", "example"]))
    # Contract template.
    terms = ContractTemplate.objects.create(name="Hosting terms", code="hosting-terms", created_at=NOW)
    contract_version_add(template_id=terms.pk, text="You agree.", publish=True, now=NOW, actor=staff)
    ProductContract.objects.create(product=product, template=terms)
    return Product.objects.get(pk=product.pk)


def _remove(product: Product) -> None:
    """What a second installation lacks: the product and everything only it referenced."""
    product.delete()
    assert not ProductApp.objects.filter(product_id=product.pk).exists()
    assert not FormField.objects.filter(product_id=product.pk).exists()
    assert not ProductDomainOptions.objects.filter(product_id=product.pk).exists()
    assert not ProductContract.objects.filter(product_id=product.pk).exists()


def test_every_part_of_a_fully_configured_product_is_in_the_file(full, page):
    doc = json.loads(export_json(full))["product"]
    new = Product(order_page=page, name="fresh", price_type="recurring")
    fresh = {n: [] if f.many_to_many else transfer._export_value(new, f) for n, f in FIELDS.items()}
    for name in FIELDS:
        if name not in ("name", "price_type"):
            assert doc[name] != fresh[name], f"{name} is still its default: the test proves nothing for it"
    assert set(SECTIONS) <= set(doc), "a registered section has nothing to say for the full product"
    assert [p["cycle"] for p in doc["prices"]] == ["monthly", "quarterly", "annually"]
    assert doc["auto_create"] == "cron" and doc["client_area_layout"] == "top" and doc["module"] == "ispmanager"
    assert doc["app"] == {
        "connection": "panel-eu",
        "group": None,
        "options": {"limit_db": 5, "limit_quota": 20480, "preset": "business", "username_pattern": "u{client_id}"},
    }
    assert doc["emails"] == {"account_created": "Welcome"}
    assert [m["resource"] for m in doc["metered_prices"]] == ["disk_mib", "websites"]
    assert [f["type"] for f in doc["form"]] == ["text", "textarea", "select", "radio", "checkbox", "number", "hidden"]
    number = doc["form"][5]
    assert (number["min"], number["max"], number["recurring_price"], number["limits"]) == (
        0,
        100,
        "0.50",
        {"limit_quota": 1024},
    )
    assert doc["form"][2]["options"][2] == {
        "label": "Shop",
        "value": "shop",
        "sort": 2,
        "one_time_price": "10.00",
        "recurring_price": "3.50",
        "limits": {"limit_db": 2},
    }
    assert doc["addons"] == ["dedicated-ip", "extra-disk-10g"]
    assert doc["domain_options"] == {
        "enabled": True,
        "allow_own_domain": False,
        "only_registered_with_us": True,
        "offer_subdomain": True,
        "auto_hostname": True,
        "tlds": ["example", "test"],
        "subdomain_parents": ["example-hosting.net", "free-sites.example"],
        "hostname_pattern": "{product_code}-{service_id}.example-hosting.net",
    }
    assert doc["contract"] == "hosting-terms"
    assert doc["available_upgrades"] == [
        {"code": "business", "name": "Business Hosting"},
        {"code": "premium", "name": "Premium Hosting"},
    ]
    assert doc["other_products"] == [{"code": "ssl", "name": "SSL Certificate"}]


def test_export_remove_import_export_is_byte_for_byte(full, staff):
    first = export_json(full)
    _remove(full)
    elsewhere = OrderPage.objects.create(name="Elsewhere", slug="elsewhere")
    copy = product_import(raw=first, order_page=elsewhere, now=NOW, actor=staff)
    assert copy.order_page == elsewhere
    assert export_json(copy) == first
    # The rows are really there, not only the file.
    assert copy.form_fields.count() == len(FORM) and copy.addons.count() == 2
    assert copy.domain_options.tlds.count() == 2 and copy.contract.template.code == "hosting-terms"
    assert copy.app.connection.name == "panel-eu" and copy.prices.count() == 3
    assert first == json.dumps(json.loads(first), indent=2, ensure_ascii=False, sort_keys=True) + "\n"


def test_a_second_copy_beside_the_first_is_the_same_file(full, staff):
    """Importing beside the original (two products with that code) changes neither's file."""
    first = export_json(full)
    other = OrderPage.objects.create(name="Other", slug="other")
    copy = product_import(raw=first, order_page=other, now=NOW, actor=staff)
    assert copy.pk != full.pk
    assert export_json(copy) == first == export_json(full)


def test_a_metered_product_round_trips(page, staff):
    metered = factories.product(
        page, name="Pay as you go", code="payg", prices={}, price_type="metered", billing_type="postpaid"
    )
    price = MeteredPrice.objects.create(
        product=metered, resource="bandwidth_mib", unit_price=Decimal("0.0001"), included=Decimal("1024")
    )
    MeteredTier.objects.create(price=price, up_to=Decimal("10240"), unit_price=Decimal("0.0002"))
    MeteredTier.objects.create(price=price, up_to=None, unit_price=Decimal("0.0001"))
    first = export_json(metered)
    assert json.loads(first)["product"]["metered_prices"][0]["tiers"][0] == {"up_to": "10240", "unit_price": "0.0002"}
    _remove(metered)
    copy = product_import(raw=first, order_page=page, now=NOW, actor=staff)
    assert export_json(copy) == first


def _path(doc: dict, path: list) -> object:
    target = doc
    for key in path:
        target = target[key]
    return target


# (where in the product object, the misspelled key, the field named by the refusal)
UNKNOWN_KEYS = [
    ([], "suspend_dayz", "product.suspend_dayz"),
    (["prices", 0], "amout", "product.prices[0].amout"),
    (["available_upgrades", 0], "nam", "product.available_upgrades[0].nam"),
    (["other_products", 0], "cod", "product.other_products[0].cod"),
    (["app"], "conection", "product.app.conection"),
    (["app", "options"], "limit_dbb", "product.app.options.limit_dbb"),
    (["emails"], "acount_created", "product.emails.acount_created"),
    (["metered_prices", 0], "unit_prize", "product.metered_prices[0].unit_prize"),
    (["metered_prices", 0, "tiers", 0], "upto", "product.metered_prices[0].tiers[0].upto"),
    (["form", 0], "lable", "product.form[0].lable"),
    (["form", 2, "options", 1], "pirce", "product.form[2].options[1].pirce"),
    (["domain_options"], "tld", "product.domain_options.tld"),
]


@pytest.mark.parametrize(("where", "key", "field"), UNKNOWN_KEYS)
def test_an_unknown_key_in_every_section_is_refused_naming_it(full, unchanged, where, key, field):
    doc = json.loads(export_json(full))
    _path(doc["product"], where)[key] = 1
    with unchanged(), pytest.raises(DomainError) as err:
        product_import(raw=json.dumps(doc), order_page=full.order_page, now=NOW, actor=None)
    assert err.value.field == field
    assert err.value.message.startswith(f"{field}: ") and "unknown key" in err.value.message


def test_an_unknown_key_beside_the_form_fields_is_named(full, unchanged):
    doc = json.loads(export_json(full))
    doc["product"]["form"] = {"fields": doc["product"]["form"], "feilds": []}
    with unchanged(), pytest.raises(DomainError) as err:
        product_import(raw=json.dumps(doc), order_page=full.order_page, now=NOW, actor=None)
    assert err.value.field == "product.form.feilds"


@pytest.mark.parametrize(
    ("section", "value", "field", "words"),
    [
        ("addons", ["dedicated-ip", "no-such-addon"], "product.addons[1]", "no-such-addon"),
        ("contract", "no-such-terms", "product.contract", "no-such-terms"),
        ("domain_options", {"tlds": ["test", "nope"]}, "product.domain_options.tlds", "nope"),
    ],
)
def test_a_reference_missing_on_this_installation_is_named(full, unchanged, section, value, field, words):
    doc = json.loads(export_json(full))
    doc["product"][section] = value
    with unchanged(), pytest.raises(DomainError) as err:
        product_import(raw=json.dumps(doc), order_page=full.order_page, now=NOW, actor=None)
    assert err.value.field == field and words in err.value.message


def test_a_version_1_file_still_imports(page, staff):
    raw = json.dumps(
        {
            "format": "moorage.product",
            "version": 1,
            "product": {
                "name": "Old Plan",
                "code": "old",
                "description": "From version 1",
                "price_type": "recurring",
                "billing_type": "prepaid",
                "visible": None,
                "suspend_days": 3,
                "hostname_required": False,
                "prices": [
                    {"cycle": "monthly", "amount": "4.00", "setup_fee": "1.00", "upgrade_fee": "0.00"},
                    {"cycle": "annually", "amount": "40.00", "setup_fee": "0.00", "upgrade_fee": "0.00"},
                ],
            },
        }
    )
    product = product_import(raw=raw, order_page=page, now=NOW, actor=staff)
    assert (product.visible, product.suspend_days, product.hostname_required) == (True, 3, False)
    assert product.prices.count() == 2
    # What it is now is written as version 2 and travels on byte for byte.
    second = export_json(product)
    assert json.loads(second)["version"] == 2
    assert "form" not in json.loads(second)["product"] and "addons" not in json.loads(second)["product"]
    again = product_import(raw=second, order_page=page, now=NOW, actor=staff)
    assert export_json(again) == second


def test_domain_options_a_file_leaves_out_keep_their_defaults(page, staff):
    raw = json.dumps(
        {
            "format": "moorage.product",
            "version": 2,
            "product": {"name": "Domains", "price_type": "free", "domain_options": {"enabled": True}},
        }
    )
    product = product_import(raw=raw, order_page=page, now=NOW, actor=staff)
    fresh = ProductDomainOptions()
    options = product.domain_options
    assert options.enabled is True
    assert (options.allow_own_domain, options.hostname_pattern) == (fresh.allow_own_domain, fresh.hostname_pattern)
