"""A product travels whole (issue 13, item 7): every field of a fully configured product survives
export → import → export byte for byte; the field list follows the model; sections of other apps are
wired into export, parse (all before any write) and import; unknown keys are refused by name."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest
from django.urls import reverse

from moorage.catalog import client_functions, transfer
from moorage.catalog.actions import product_import
from moorage.catalog.models import OrderPage, Product
from moorage.catalog.transfer import EXCLUDED, FIELDS, Section, export_json, export_product, kind_of, parse_product
from moorage.core.errors import DomainError
from moorage.metering.models import MeteredPrice, MeteredTier
from moorage.notifications.models import NotificationTemplate, ProductNotificationTemplate
from moorage.provisioning.models import AppConnection, ProductApp, ServerGroup
from tests import factories

NOW = dt.datetime(2026, 1, 15, 10, 0, tzinfo=dt.UTC)


def test_every_product_field_is_exported_or_excluded_with_a_reason():
    names = {f.name for f in Product._meta.get_fields() if f.concrete or (f.many_to_many and not f.auto_created)}
    assert names == set(FIELDS) | set(EXCLUDED), "add the new Product field to the file or to EXCLUDED"
    assert not set(FIELDS) & set(EXCLUDED)
    assert all(reason for reason in EXCLUDED.values())
    for field in FIELDS.values():
        kind_of(field)  # raises for a field class the file cannot write yet


def test_the_automation_overrides_are_in_the_format():
    """The 18 Automation settings a version 1 file lacked, and the other tab's settings."""
    for name in (
        "renew_on",
        "auto_upgrade",
        "suspend_enabled",
        "suspend_days",
        "unsuspend_enabled",
        "terminate_enabled",
        "terminate_days",
        "terminate_cancel_invoices",
        "cancel_unpaid_orders_enabled",
        "cancel_unpaid_orders_days",
        "process_cancellation_requests",
        "reminders_enabled",
        "reminder_before_days",
        "overdue_reminder_1_days",
        "overdue_reminder_2_days",
        "overdue_reminder_3_days",
        "custom_reminders",
        "late_fee_enabled",
        "late_fee_percent",
        "late_fee_days",
        "expiration_notices",
        "upgrade_proration",
        "queue_prorata",
        "credit_on_downgrade",
        "credit_note_on_downgrade",
        "out_of_stock_upgrade",
        "allow_cancellations",
        "cancellation_after_days",
        "cancellation_immediate",
        "cancellation_end_of_period",
        "prorate_cancellations",
        "sort_order",
        "available_upgrades",
        "other_products",
        "client_functions",
        "client_area_layout",
    ):
        assert name in FIELDS


def _not_default(field, default):  # noqa: ANN001, ANN202
    """A value for `field` that differs from a new product's `default`, as the model stores it."""
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
    if kind == "functions":
        return list(client_functions.DEFAULT_ENABLED)[:2]
    if kind == "reminders":
        return [{"days": 10, "when": "after"}, {"days": 2, "when": "before"}]
    if kind == "notices":
        return [{"days": 7, "when": "before", "template": "service_expiration", "variant": "Short"}, {"days": 0}]
    raise AssertionError(kind)


@pytest.fixture
def page(db):  # noqa: ANN001, ANN201
    return factories.shared_page(now=NOW)


@pytest.fixture
def configured(page):  # noqa: ANN001, ANN201
    """A product with every exported field away from its default, two upgrades, one other service, an
    App tab with a connection and options."""
    NotificationTemplate.objects.create(event="service_expiration", name="Short", created_at=NOW, updated_at=NOW)
    fresh = Product(order_page=page, name="fresh")
    product = Product.objects.create(order_page=page, name="Full", price_type="recurring")
    for name, field in FIELDS.items():
        if field.many_to_many or name in ("price_type", "module"):
            continue
        setattr(product, name, _not_default(field, getattr(fresh, name)))
    product.module = "ispmanager"
    product.code = "full-plan"
    product.full_clean(exclude=["order_page"])
    product.save()
    factories.product(page, name="SSL", code="ssl", prices={"annually": "20.00"})
    product.available_upgrades.set(page.products.filter(code__in=["business", "premium"]))
    product.other_products.set(Product.objects.filter(code="ssl"))
    product.prices.create(cycle="annually", amount=Decimal("99.00"), setup_fee=Decimal("5.00"))
    product.prices.create(cycle="monthly", amount=Decimal("9.90"), upgrade_fee=Decimal("1.25"))
    connection = AppConnection.objects.create(
        module="ispmanager", name="panel-eu", ip_address="192.0.2.10", username="root", password="secret"
    )
    ProductApp.objects.create(
        product=product, connection=connection, options={"preset": "basic", "limit_db": 5, "limit_shell": True}
    )
    welcome = NotificationTemplate.objects.create(
        event="account_created", name="Welcome", created_at=NOW, updated_at=NOW
    )
    ProductNotificationTemplate.objects.create(product_id=product.pk, event="account_created", template=welcome)
    disk = MeteredPrice.objects.create(
        product=product, resource="disk_mib", unit_price=Decimal("0.05"), included=Decimal("10"), unit_size=1024
    )
    MeteredTier.objects.create(price=disk, up_to=Decimal("100"), unit_price=Decimal("0.04"))
    MeteredTier.objects.create(price=disk, up_to=None, unit_price=Decimal("0.0025"))
    MeteredPrice.objects.create(product=product, resource="websites", unit_price=Decimal("1.5"), unit_label="site")
    return product


def test_a_fully_configured_product_survives_export_import_export_byte_for_byte(configured, page):
    first = export_json(configured)
    doc = json.loads(first)["product"]
    new = Product(order_page=page, name="fresh", price_type="recurring")
    fresh = {n: [] if f.many_to_many else transfer._export_value(new, f) for n, f in FIELDS.items()}
    for name in FIELDS:
        if name not in ("name", "price_type"):
            assert doc[name] != fresh[name], f"{name} is still its default: the test proves nothing for it"
    assert doc["available_upgrades"] == [
        {"code": "business", "name": "Business Hosting"},
        {"code": "premium", "name": "Premium Hosting"},
    ]
    assert doc["other_products"] == [{"code": "ssl", "name": "SSL"}]
    assert doc["app"] == {
        "connection": "panel-eu",
        "group": None,
        "options": {"limit_db": 5, "limit_shell": True, "preset": "basic"},
    }
    assert doc["emails"] == {"account_created": "Welcome"}
    assert doc["metered_prices"] == [
        {
            "resource": "disk_mib",
            "unit_price": "0.05",
            "included": "10",
            "unit_size": "1024",
            "unit_label": "",
            "tiers": [{"up_to": "100", "unit_price": "0.04"}, {"up_to": None, "unit_price": "0.0025"}],
        },
        {
            "resource": "websites",
            "unit_price": "1.5",
            "included": "0",
            "unit_size": "1",
            "unit_label": "site",
            "tiers": [],
        },
    ]
    assert [p["cycle"] for p in doc["prices"]] == ["monthly", "annually"]  # the cycles' order, not the rows'

    target = OrderPage.objects.create(name="Elsewhere", slug="elsewhere")
    copy = product_import(raw=first, order_page=target, now=NOW, actor=None)
    assert copy.pk != configured.pk and copy.order_page == target
    assert export_json(copy) == first
    assert (
        first.endswith("}\n")
        and first == json.dumps(json.loads(first), indent=2, ensure_ascii=False, sort_keys=True) + "\n"
    )


def test_null_means_use_the_default_and_survives(page):
    product = factories.product(page, name="Defaults", code="d", suspend_enabled=None, late_fee_percent=None)
    raw = export_json(product)
    assert json.loads(raw)["product"]["suspend_enabled"] is None
    copy = product_import(raw=raw, order_page=page, now=NOW, actor=None)
    assert copy.suspend_enabled is None and copy.late_fee_percent is None
    assert export_json(copy) == raw


def test_a_file_with_an_unknown_key_is_refused_naming_it(configured, page, unchanged):
    doc = json.loads(export_json(configured))
    doc["product"]["suspend_dayz"] = 3
    with unchanged(), pytest.raises(DomainError) as err:
        product_import(raw=json.dumps(doc), order_page=page, now=NOW, actor=None)
    assert err.value.field == "product.suspend_dayz"
    assert err.value.message == "product.suspend_dayz: unknown key"


def test_a_version_1_file_keeps_the_defaults_it_does_not_mention(page):
    raw = json.dumps(
        {
            "format": "moorage.product",
            "version": 1,
            "product": {"name": "Old", "price_type": "free", "visible": None, "suspend_days": 3},
        }
    )
    product = product_import(raw=raw, order_page=page, now=NOW, actor=None)
    assert (product.visible, product.suspend_days, product.terminate_days, product.renew_on) == (True, 3, None, None)
    assert list(product.client_functions) == list(client_functions.DEFAULT_ENABLED)


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        (lambda d: d["other_products"].append({"code": "gone", "name": "Gone"}), "product.other_products[1]", "gone"),
        (lambda d: d["available_upgrades"][0].update(code="nope"), "product.available_upgrades[0]", "nope"),
        (lambda d: d["app"].update(connection="panel-us"), "product.app.connection", "panel-us"),
        (lambda d: d["app"].update(connection=None, group="missing"), "product.app.group", "missing"),
        (lambda d: d["app"].update(conection="x"), "product.app.conection", "unknown key"),
        (lambda d: d["app"]["options"].update(limit_dbb=3), "product.app.options.limit_dbb", "unknown key"),
        (lambda d: d["app"]["options"].update(limit_db="many"), "product.app.options.limit_db", "whole number"),
        (lambda d: d["app"]["options"].update(limit_db=[1]), "product.app.options.limit_db", "whole number"),
        (lambda d: d.update(module="cpanel"), "product.module", "cpanel"),
        (lambda d: d.update(late_fee_percent="10.5.1"), "product.late_fee_percent", "decimal"),
        (lambda d: d["emails"].update(account_created="Long"), "product.emails.account_created", "Long"),
        (lambda d: d["emails"].update(acount_created="Welcome"), "product.emails.acount_created", "unknown key"),
        (lambda d: d["emails"].update(password_reset="Default"), "product.emails.password_reset", "per product"),
        (lambda d: d["metered_prices"][0].update(unit_prize="1"), "product.metered_prices[0].unit_prize", "unknown"),
        (lambda d: d["metered_prices"][1].update(resource="disk_mib"), "product.metered_prices[1].resource", "twice"),
        (lambda d: d["metered_prices"][0].update(unit_size="0"), "product.metered_prices[0].unit_size", "more than"),
        (
            lambda d: d["metered_prices"][0]["tiers"][0].update(up_to=None),
            "product.metered_prices[0].tiers[1].up_to",
            "twice",
        ),
        (
            lambda d: d["metered_prices"][0]["tiers"][1].update(unit_price="0.0000001"),
            "product.metered_prices[0].tiers[1].unit_price",
            "decimal places",
        ),
    ],
)
def test_references_on_the_importing_installation_must_exist(configured, page, unchanged, change, field, words):
    doc = json.loads(export_json(configured))
    change(doc["product"])
    with unchanged(), pytest.raises(DomainError) as err:
        product_import(raw=json.dumps(doc), order_page=page, now=NOW, actor=None)
    assert err.value.field == field
    assert words in err.value.message


def test_a_code_two_products_share_is_refused(configured, page):
    factories.product(page, name="SSL two", code="ssl")
    with pytest.raises(DomainError, match="more than one product has code 'ssl'") as err:
        parse_product(export_json(configured))
    assert err.value.field == "product.other_products[0]"


def test_a_server_group_travels_by_name(page):
    group = ServerGroup.objects.create(module="ispmanager", name="EU group")
    product = factories.product(page, name="Grouped", code="g", module="ispmanager")
    ProductApp.objects.create(product=product, group=group, options={"preset": "pro"})
    raw = export_json(product)
    assert json.loads(raw)["product"]["app"] == {"connection": None, "group": "EU group", "options": {"preset": "pro"}}
    copy = product_import(raw=raw, order_page=page, now=NOW, actor=None)
    assert (copy.app.group, copy.app.connection, copy.app.options) == (group, None, {"preset": "pro"})


# --- Sections of other apps (fake ones here: the real ones are registered by their apps). ---


class Recorder:
    def __init__(self) -> None:
        self.calls: list[tuple] = []

    def section(self, key: str, *, fail_parse: bool = False) -> Section:
        def export(product):  # noqa: ANN001, ANN202
            return {"z": [3, 1], "a": f"{key} of {product.code}"}

        def parse(value, path):  # noqa: ANN001, ANN202
            self.calls.append(("parse", key, path))
            if not isinstance(value, dict):
                raise DomainError(f"{path}: must be an object", field=path)
            for k in value:
                if k not in ("a", "z"):
                    raise DomainError(f"{path}.{k}: unknown key", field=f"{path}.{k}")
            if fail_parse:
                raise DomainError(f"{path}.a: refused", field=f"{path}.a")
            return value

        def apply(product, clean):  # noqa: ANN001, ANN202
            self.calls.append(("apply", key, product.pk, Product.objects.filter(pk=product.pk).exists()))

        return Section(key, export, parse, apply)


@pytest.fixture
def recorder(monkeypatch):  # noqa: ANN001, ANN201
    rec = Recorder()
    monkeypatch.setitem(transfer.SECTIONS, "forms", rec.section("forms"))
    monkeypatch.setitem(transfer.SECTIONS, "addons", rec.section("addons"))
    return rec


def test_sections_are_exported_parsed_then_applied(recorder, page):
    product = factories.product(page, name="With parts", code="parts")
    raw = export_json(product)
    doc = json.loads(raw)["product"]
    assert doc["addons"] == {"a": "addons of parts", "z": [3, 1]} and doc["forms"]["a"] == "forms of parts"
    assert raw.index('"addons"') < raw.index('"forms"')
    copy = product_import(raw=raw, order_page=page, now=NOW, actor=None)
    assert recorder.calls == [
        ("parse", "addons", "product.addons"),
        ("parse", "forms", "product.forms"),
        ("apply", "addons", copy.pk, True),
        ("apply", "forms", copy.pk, True),
    ]


def test_a_section_absent_from_the_file_is_not_applied(recorder, page):
    raw = json.dumps({"format": "moorage.product", "version": 2, "product": {"name": "Bare", "price_type": "free"}})
    product_import(raw=raw, order_page=page, now=NOW, actor=None)
    assert recorder.calls == []


def test_every_section_is_parsed_before_anything_is_written(recorder, monkeypatch, page, unchanged):
    monkeypatch.setitem(transfer.SECTIONS, "zcontract", recorder.section("zcontract", fail_parse=True))
    product = factories.product(page, name="With parts", code="parts")
    with unchanged(), pytest.raises(DomainError) as err:
        product_import(raw=export_json(product), order_page=page, now=NOW, actor=None)
    assert err.value.field == "product.zcontract.a"
    assert [c[0] for c in recorder.calls] == ["parse", "parse", "parse"]


def test_an_unknown_key_inside_a_section_is_named(recorder, page, unchanged):
    product = factories.product(page, name="With parts", code="parts")
    doc = json.loads(export_json(product))
    doc["product"]["forms"]["fields"] = []
    with unchanged(), pytest.raises(DomainError) as err:
        product_import(raw=json.dumps(doc), order_page=page, now=NOW, actor=None)
    assert err.value.field == "product.forms.fields"


def test_a_section_cannot_take_a_field_name():
    with pytest.raises(ValueError, match="product field"):
        transfer.register_section(Section("stock", export_product, parse_product, lambda p, c: None))


# --- The staff screens. ---


def test_staff_export_gives_the_canonical_file_and_import_names_a_bad_key(client, staff, configured, page):
    client.force_login(staff)
    response = client.get(reverse("admin:catalog_product_export", args=[configured.pk]))
    assert response.content.decode() == export_json(configured)
    doc = json.loads(response.content)
    doc["product"]["terminate_dayz"] = 30
    import io

    upload = io.BytesIO(json.dumps(doc).encode())
    upload.name = "full.json"
    response = client.post(reverse("admin:catalog_product_import"), {"file": upload, "order_page": page.pk})
    assert response.status_code == 200
    assert "product.terminate_dayz: unknown key" in response.content.decode()
