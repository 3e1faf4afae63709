"""Import a form from a JSON or YAML file (good and hostile files: a bad file creates nothing and the
error names the place), Copy from product, and the product export's "form" section."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
import yaml

from moorage.catalog.transfer import SECTIONS
from moorage.core.errors import DomainError
from moorage.orderforms.actions import form_copy, form_import
from moorage.orderforms.models import FormField, FormFieldOption
from moorage.orderforms.transfer import MAX_FILE_BYTES, export_form, parse_form, read_file
from tests import factories
from tests.orderforms.helpers import FORM, formed_product

pytestmark = pytest.mark.django_db

GOOD_YAML = b"""
fields:
  - code: disk
    label: Extra disk (GB)
    type: number
    min: 1
    max: 10
    default: 1
    recurring_price: 0.25
    limits: {limit_quota: 1024}
  - code: os
    label: PHP version
    type: select
    required: true
    options:
      - {label: PHP 8.2, value: php82}
      - {label: PHP 8.3, value: php83, recurring_price: "2.00", one_time_price: 1}
  - code: agree
    label: I agree to the terms
    type: checkbox
    required: true
"""


@pytest.fixture
def product(shared_page):  # noqa: ANN001, ANN201
    return factories.product(shared_page, name="Target")


def rows(product) -> list[dict]:  # noqa: ANN001
    return export_form(product)


def test_a_json_file_imports_every_field_and_option(product, now):
    data = read_file(json.dumps(FORM).encode(), "form.json")
    created = form_import(product_id=product.pk, data=data, now=now, actor=None)
    assert [f.code for f in created] == [f["code"] for f in FORM]
    os_field = FormField.objects.get(product=product, code="os")
    assert list(os_field.options.values_list("value", "recurring_price", "limits")) == [
        ("php82", Decimal("0.00"), {}),
        ("php83", Decimal("2.00"), {"limit_db": 1}),
    ]
    disk = FormField.objects.get(product=product, code="disk")
    assert (disk.type, disk.min_value, disk.max_value, disk.limits, disk.client_editable) == (
        "number",
        0,
        50,
        {"limit_quota": 1024},
        True,
    )


def test_a_yaml_file_imports_with_prices_read_exactly(product, now):
    form_import(product_id=product.pk, data=read_file(GOOD_YAML, "form.yml"), now=now, actor=None)
    exported = rows(product)
    assert [r["code"] for r in exported] == ["disk", "os", "agree"]
    assert exported[0]["recurring_price"] == "0.25" and exported[0]["default"] == "1"
    assert exported[1]["options"][1]["one_time_price"] == "1.00"
    assert exported[2]["required"] is True


def test_export_then_import_is_the_same_form(shared_page, product, now):
    source = formed_product(shared_page, now=now)
    text = json.dumps({"fields": export_form(source)}).encode()
    form_import(product_id=product.pk, data=read_file(text, "f.json"), now=now, actor=None)
    assert rows(product) == rows(source)
    also_yaml = yaml.safe_dump(export_form(source), allow_unicode=True).encode()
    other = factories.product(shared_page, name="Other")
    form_import(product_id=other.pk, data=read_file(also_yaml, "f.yaml"), now=now, actor=None)
    assert rows(other) == rows(source)


def field(**extra) -> dict:  # noqa: ANN003
    return {"code": "f", "label": "F", "type": "text", **extra}


HOSTILE_DATA = [
    ("not a list", "x", "fields", "wrong_type"),
    ("unknown top key", {"fields": [], "evil": 1}, "form.evil", "unknown_key"),
    ("unknown field key", [field(colour="red")], "fields[0].colour", "unknown_key"),
    (
        "unknown option key",
        [field(type="select", options=[{"label": "a", "value": "a", "x": 1}])],
        "fields[0].options[0].x",
        "unknown_key",
    ),
    ("wrong type of label", [field(label=["a"])], "fields[0].label", "wrong_type"),
    ("bool as text", [field(label=True)], "fields[0].label", "wrong_type"),
    ("bad type", [field(type="file")], "fields[0].type", "invalid_choice"),
    ("bad code", [field(code="a b")], "fields[0].code", "invalid"),
    ("missing code", [{"label": "x", "type": "text"}], "fields[0].code", "required"),
    ("required not bool", [field(required="yes")], "fields[0].required", "wrong_type"),
    ("negative price", [field(recurring_price="-1")], "fields[0].recurring_price", "out_of_range"),
    ("huge price", [field(recurring_price="1e20")], "fields[0].recurring_price", "out_of_range"),
    ("nan price", [field(recurring_price="NaN")], "fields[0].recurring_price", "out_of_range"),
    ("three decimals", [field(one_time_price="1.005")], "fields[0].one_time_price", "invalid"),
    ("price as list", [field(one_time_price=[1])], "fields[0].one_time_price", "wrong_type"),
    ("bad limit name", [field(limits={"LIMIT; drop": 1})], "fields[0].limits.LIMIT; drop", "invalid"),
    ("float limit", [field(limits={"limit_quota": 1.5})], "fields[0].limits.limit_quota", "wrong_type"),
    ("select without options", [field(type="select")], "fields[0].options", "required"),
    ("options on text", [field(options=[{"label": "a", "value": "a"}])], "fields[0].options", "invalid"),
    (
        "duplicate option",
        [field(type="radio", options=[{"label": "a", "value": "a"}, {"label": "b", "value": "a"}])],
        "fields[0].options[1].value",
        "duplicate",
    ),
    (
        "default not an option",
        [field(type="select", default="z", options=[{"label": "a", "value": "a"}])],
        "fields[0].default",
        "invalid_choice",
    ),
    (
        "priced select",
        [field(type="select", recurring_price="1", options=[{"label": "a", "value": "a"}])],
        "fields[0].recurring_price",
        "invalid",
    ),
    ("min over max", [field(type="number", min=5, max=2)], "fields[0].max", "out_of_range"),
    ("min on text", [field(min=1)], "fields[0].min", "invalid"),
    ("checkbox default", [field(type="checkbox", default="yes")], "fields[0].default", "invalid"),
    ("duplicate code", [field(), field()], "fields[1].code", "duplicate"),
    ("too many fields", [field(code=f"f{i}") for i in range(101)], "fields", "too_long"),
    ("long label", [field(label="x" * 201)], "fields[0].label", "too_long"),
]


@pytest.mark.parametrize(("name", "data", "where", "code"), HOSTILE_DATA, ids=[h[0] for h in HOSTILE_DATA])
def test_a_bad_form_creates_nothing_and_names_the_place(product, now, name, data, where, code):
    good_first = isinstance(data, list) and len(data) > 1
    with pytest.raises(DomainError) as caught:
        form_import(product_id=product.pk, data=read_file(json.dumps(data).encode(), "f.json"), now=now, actor=None)
    assert (caught.value.field, caught.value.code) == (where, code)
    assert not FormField.objects.filter(product=product).exists(), good_first
    assert not FormFieldOption.objects.exists()


HOSTILE_FILES = [
    ("not json", b"{fields: [", "f.json", "not valid JSON"),
    ("not yaml", b"fields: [\n  - {", "f.yml", "not valid YAML"),
    ("not utf-8", b"\xff\xfe\x00garbage", "f.json", "not UTF-8"),
    ("too large", b" " * (MAX_FILE_BYTES + 1), "f.json", "larger than"),
    ("json nan", b'[{"code": "f", "label": "F", "type": "text", "recurring_price": NaN}]', "f.json", "not valid JSON"),
    ("deep json", b"[" * 100_000 + b"]" * 100_000, "f.json", ""),
    ("python tag", b"!!python/object/apply:os.system ['touch /tmp/pwned']", "f.yaml", "not valid YAML"),
    (
        "billion laughs",
        b'a: &a ["x","x","x","x","x","x","x","x","x"]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\n'
        b"c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: [*c,*c,*c,*c,*c,*c,*c,*c,*c]\n",
        "f.yaml",
        "aliases are not allowed",
    ),
    ("yaml merge alias", b"base: &b {label: x}\nfields: [{<<: *b, code: f, type: text}]", "f.yml", "aliases"),
    ("binary tag", b"- code: f\n  label: !!binary aGVsbG8=\n  type: text\n", "f.yml", "must be text"),
    ("timestamp", b"- code: f\n  label: 2001-12-14\n  type: text\n", "f.yml", "must be text"),
    ("too many nodes", ("- " + "[" + ",".join(["1"] * 60_000) + "]").encode(), "f.yml", "too many values"),
    (
        "yaml bool value",
        b"- {code: f, label: F, type: select, options: [{label: Yes, value: yes}]}",
        "f.yml",
        "must be text",
    ),
]


@pytest.mark.parametrize(("name", "content", "filename", "message"), HOSTILE_FILES, ids=[h[0] for h in HOSTILE_FILES])
def test_hostile_files_are_refused(name, content, filename, message):
    with pytest.raises(DomainError) as caught:
        parse_form(read_file(content, filename))
    assert message in caught.value.message


def test_import_refuses_a_code_the_form_has_unless_replacing(shared_page, now):
    product = formed_product(shared_page, now=now)
    with pytest.raises(DomainError) as caught:
        form_import(product_id=product.pk, data=[field(code="disk")], now=now, actor=None)
    assert (caught.value.field, caught.value.code) == ("fields[0].code", "duplicate")
    assert FormField.objects.filter(product=product).count() == len(FORM)
    form_import(product_id=product.pk, data=[field(code="disk")], now=now, actor=None, replace=True)
    assert list(FormField.objects.filter(product=product).values_list("code", flat=True)) == ["disk"]


def test_copy_from_product(shared_page, product, now):
    source = formed_product(shared_page, now=now)
    created = form_copy(source_product_id=source.pk, product_id=product.pk, now=now, actor=None)
    assert len(created) == len(FORM)
    assert rows(product) == rows(source)
    assert not set(FormField.objects.filter(product=product).values_list("pk", flat=True)) & set(
        FormField.objects.filter(product=source).values_list("pk", flat=True)
    )
    with pytest.raises(DomainError) as caught:  # copied twice: the codes are taken
        form_copy(source_product_id=source.pk, product_id=product.pk, now=now, actor=None)
    assert caught.value.code == "duplicate"


@pytest.mark.parametrize("case", ["same", "empty", "missing"])
def test_copy_refusals_change_nothing(shared_page, product, now, case):
    empty = factories.product(shared_page, name="Empty")
    source_id = {"same": product.pk, "empty": empty.pk, "missing": 999_999}[case]
    with pytest.raises(DomainError):
        form_copy(source_product_id=source_id, product_id=product.pk, now=now, actor=None)
    assert not FormField.objects.filter(product=product).exists()


def test_the_product_export_section(shared_page, product, now):
    source = formed_product(shared_page, now=now)
    section = SECTIONS["form"]
    clean = section.parse(json.loads(json.dumps(section.export(source))), "products[0].form")
    section.apply(product, clean)
    assert rows(product) == rows(source)
    with pytest.raises(DomainError) as caught:
        section.parse([field(colour=1)], "products[0].form")
    assert caught.value.field == "products[0].form[0].colour"
