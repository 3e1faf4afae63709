"""The order form on the client's configure page (rendered, answers into the cart, errors shown, hidden
fields never from the POST) and the staff pages: the product's form inline, Import (upload), Copy from
product, the answers on the service page."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client as Browser
from django.urls import reverse

from moorage.billing.models import InvoiceLine
from moorage.clientarea import cart
from moorage.orderforms.models import FormField, ServiceFormAnswer
from moorage.orderforms.transfer import MAX_FILE_BYTES, export_form
from moorage.orders.models import Order
from tests import factories
from tests.orderforms.helpers import FORM, formed_product

pytestmark = pytest.mark.django_db


@pytest.fixture
def product(shared_page, now):  # noqa: ANN001, ANN201
    return formed_product(shared_page, now=now)


def configure(product) -> str:  # noqa: ANN001
    return reverse("clientarea:product", args=[product.pk])


def test_the_configure_page_shows_every_visible_field_with_its_prices(signed_in, product):
    page = signed_in.get(configure(product)).content.decode()
    for code in ("notes", "about", "disk", "backup", "os", "support"):
        assert f'name="form_{code}"' in page
    assert "form_source" not in page  # hidden
    assert "PHP 8.3" in page and "2.00" in page and "Priority" in page
    assert 'value="php82" selected' in page  # the default


def test_answers_go_into_the_cart_and_through_checkout(signed_in, product, client_account):
    response = signed_in.post(
        configure(product),
        {
            "cycle": "monthly",
            "hostname": "shop.example.com",
            "form_disk": "2",
            "form_backup": "on",
            "form_support": "prio",
            "form_os": "php83",
            "form_source": "forged",
        },
    )
    assert response.status_code == 302
    (row,) = signed_in.session[cart.SESSION_KEY]
    form = dict(row["form"])
    assert form["disk"] == "2" and form["backup"] == "1" and form["support"] == "prio"
    assert "source" not in form  # never taken from the POST
    assert "Daily backups" in signed_in.get(reverse("clientarea:cart")).content.decode()
    response = signed_in.post(reverse("clientarea:checkout"), {"notes": ""})
    assert response.status_code == 302
    order = Order.objects.get(client=client_account)
    service = order.items.get().service
    assert ServiceFormAnswer.objects.get(service=service, code="source").value == "web"
    options = InvoiceLine.objects.filter(invoice=order.invoice, kind="option")
    assert sum((line.amount for line in options), Decimal("0")) == Decimal(
        "0.50"  # disk 2 × 0.25
    ) + Decimal("3.00") + Decimal("5.00") + Decimal("7.00") + Decimal("10.00") + Decimal("2.00") + Decimal("0.10")


def test_a_bad_answer_is_shown_and_nothing_goes_into_the_cart(signed_in, product):
    response = signed_in.post(
        configure(product),
        {"cycle": "monthly", "hostname": "shop.example.com", "form_disk": "999", "form_support": ""},
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "Extra disk (GB): enter a number from 0 to 50" in page
    assert "Support: choose an option" in page
    assert not signed_in.session.get(cart.SESSION_KEY)


def test_a_product_without_a_form_shows_no_form_section(signed_in, starter):
    assert 'data-testid="order-form"' not in signed_in.get(configure(starter)).content.decode()


# --- staff ------------------------------------------------------------------------------------------


@pytest.fixture
def browser(staff):  # noqa: ANN001, ANN201
    b = Browser()
    b.force_login(staff)
    return b


def test_the_product_page_has_the_form_and_the_import_and_copy_links(browser, product):
    page = browser.get(reverse("admin:catalog_product_change", args=[product.pk])).content.decode()
    assert "form_fields-TOTAL_FORMS" in page and 'value="disk"' in page
    assert reverse("admin:orderforms_form_import", args=[product.pk]) in page
    assert reverse("admin:orderforms_form_copy", args=[product.pk]) in page


def test_a_field_page_edits_its_options(browser, product):
    field = FormField.objects.get(product=product, code="os")
    page = browser.get(reverse("admin:orderforms_formfield_change", args=[field.pk])).content.decode()
    assert "php83" in page


def test_staff_import_a_yaml_file(browser, shared_page):
    target = factories.product(shared_page, name="Target")
    upload = SimpleUploadedFile("form.yaml", b"- {code: ssh, label: SSH access, type: checkbox, recurring_price: 1}\n")
    response = browser.post(reverse("admin:orderforms_form_import", args=[target.pk]), {"file": upload})
    assert response.status_code == 302
    assert list(FormField.objects.filter(product=target).values_list("code", "recurring_price")) == [
        ("ssh", Decimal("1.00"))
    ]


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        (
            "form.json",
            json.dumps([{"code": "a", "label": "A", "type": "text", "colour": 1}]).encode(),
            "fields[0].colour",
        ),
        ("form.yml", b"a: &a [1]\nb: *a\n", "aliases are not allowed"),
        ("form.json", b"x" * (MAX_FILE_BYTES + 10), "larger than"),
    ],
)
def test_staff_import_of_a_bad_file_creates_nothing_and_says_why(browser, shared_page, name, content, message):
    target = factories.product(shared_page, name="Target")
    upload = SimpleUploadedFile(name, content)
    response = browser.post(reverse("admin:orderforms_form_import", args=[target.pk]), {"file": upload})
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not FormField.objects.filter(product=target).exists()


def test_staff_copy_from_product(browser, shared_page, product):
    target = factories.product(shared_page, name="Target")
    url = reverse("admin:orderforms_form_copy", args=[target.pk])
    assert product.name in browser.get(url).content.decode()
    response = browser.post(url, {"source": product.pk})
    assert response.status_code == 302
    assert export_form(target) == export_form(product)


def test_clients_cannot_reach_the_staff_pages(signed_in, product):
    for name in ("admin:orderforms_form_import", "admin:orderforms_form_copy"):
        response = signed_in.post(reverse(name, args=[product.pk]), {"source": product.pk})
        assert response.status_code == 302 and "login" in response["Location"]
    assert len(FORM) == FormField.objects.filter(product=product).count()


def test_the_service_page_shows_the_answers(browser, client_account, product, now):
    from tests.orderforms.helpers import order

    placed = order(client_account, product, {"support": "prio", "disk": "3", "notes": "<b>hi</b>"}, now=now)
    service = placed.items.get().service
    page = browser.get(reverse("admin:services_service_change", args=[service.pk])).content.decode()
    assert 'data-testid="form-answers"' in page
    assert "Priority" in page and "&lt;b&gt;hi&lt;/b&gt;" in page and "limit_quota: +3072" in page


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"code": "a b"}, "code"),
        ({"limits": '{"LIMIT": 1}'}, "limits"),
        ({"limits": '{"limit_quota": "big"}'}, "limits"),
        ({"limits": "[1]"}, "limits"),
        ({"type": "select", "recurring_price": "1.00"}, "recurring_price"),
        ({"type": "number", "min_value": "5", "max_value": "2"}, "max_value"),
        ({"type": "checkbox", "default": "yes"}, "default"),
        ({"one_time_price": "-1.00"}, "one_time_price"),
    ],
)
def test_add_new_form_field_checks_what_staff_type(product, data, field):
    from moorage.orderforms.admin import FormFieldForm

    base = {
        "product": product.pk,
        "code": "extra",
        "label": "Extra",
        "type": "text",
        "sort": "0",
        "one_time_price": "0",
        "recurring_price": "0",
        "limits": "{}",
    }
    form = FormFieldForm({**base, **data})
    assert not form.is_valid()
    assert field in form.errors
    assert FormFieldForm({**base, "limits": '{"limit_quota": 512}'}).is_valid()
