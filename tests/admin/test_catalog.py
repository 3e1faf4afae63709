"""Catalog in the staff area: order pages (premade products, sub-categories), products with prices,
Import products and Export."""

from __future__ import annotations

import io
import json

import pytest
from django.urls import reverse

from moorage.catalog.models import BillingDefaults, OrderPage, Price, Product
from moorage.catalog.transfer import export_product
from moorage.core.models import AuditEntry
from tests.product_form import inline_management_data

pytestmark = pytest.mark.django_db

ADD_PAGE = "admin:catalog_orderpage_add"
IMPORT = "admin:catalog_product_import"


def _page_form(**overrides):  # noqa: ANN003, ANN202
    data = {
        "name": "Ispmanager Hosting",
        "slug": "",
        "parent": "",
        "contains": "products",
        "order_type": "shared",
        "premade": "none",
        "description": "Fast shared hosting",
        "visible": "on",
    }
    data.update(overrides)
    return data


def test_add_order_page_with_premade_products(browser, staff):
    page_html = browser.get(reverse(ADD_PAGE)).content.decode()
    for text in (
        "Order page URL",
        "This category will contain",
        "Shared Accounts",
        "4 Shared Hosting Packages",
    ):
        assert text in page_html
    response = browser.post(reverse(ADD_PAGE), _page_form(premade="shared4"))
    page = OrderPage.objects.get()
    assert response.status_code == 302
    assert page.slug == "ispmanager-hosting" and page.visible and page.description == "Fast shared hosting"
    assert sorted(page.products.values_list("name", flat=True)) == [
        "Business Hosting",
        "Premium Hosting",
        "Starter Hosting",
        "Ultimate Hosting",
    ]
    assert AuditEntry.objects.get(action="order_page_create").actor == staff


def test_add_order_page_without_premade_and_hidden(browser):
    browser.post(reverse(ADD_PAGE), _page_form(slug="My Page", visible=""))
    page = OrderPage.objects.get()
    assert page.slug == "my-page" and not page.visible and not page.products.exists()


def test_order_page_errors_change_nothing(browser):
    browser.post(reverse(ADD_PAGE), _page_form(slug="taken"))
    response = browser.post(reverse(ADD_PAGE), _page_form(name="Other", slug="taken"))
    assert "slug" in response.context["form"].errors
    response = browser.post(reverse(ADD_PAGE), _page_form(name="Cats", contains="subcategories", premade="shared4"))
    assert "premade" in response.context["form"].errors
    assert OrderPage.objects.count() == 1 and Product.objects.count() == 0


def test_sub_categories(browser):
    browser.post(reverse(ADD_PAGE), _page_form(name="Hosting", contains="subcategories"))
    parent = OrderPage.objects.get()
    change = browser.get(reverse("admin:catalog_orderpage_change", args=[parent.pk])).content.decode()
    assert "Add new sub-category" in change
    assert browser.get(reverse(ADD_PAGE), {"parent": parent.pk}).status_code == 200
    response = browser.post(reverse(ADD_PAGE), _page_form(name="Linux", parent=parent.pk, premade="shared4"))
    assert response.status_code == 302
    child = OrderPage.objects.get(parent=parent)
    assert child.products.count() == 4
    # a page of products cannot take sub-categories
    response = browser.post(reverse(ADD_PAGE), _page_form(name="Deeper", parent=child.pk))
    assert "parent" in response.context["form"].errors


def _product_form(page, **overrides):  # noqa: ANN001, ANN003, ANN202
    data = {
        "order_page": page.pk,
        "name": "Custom",
        "code": "cus",
        "description": "",
        "tags": "",
        "visible": "on",
        "sort_order": 0,
        "price_type": "recurring",
        "billing_type": "prepaid",
        "module": "",
        "auto_create": "on_payment",
        "adjust_initial_period": "unknown",
        "first_invoice_due_days": "",
        "invoice_generate_days": "",
        "invoice_due_before_days": "",
        "invoice_due_move_days": "",
        "stock": 0,
        "limit_per_customer": "",
        "hostname_required": "on",
        "hostname_validation": "domain",
        "prices-TOTAL_FORMS": 0,
        "prices-INITIAL_FORMS": 0,
        "prices-MIN_NUM_FORMS": 0,
        "prices-MAX_NUM_FORMS": 1000,
        # The Components tab's inlines (catalog.admin.product_inlines: add-ons, order form, …).
        **inline_management_data(),
    }
    data.update(overrides)
    return data


def _prices(rows):  # noqa: ANN001, ANN202
    data = {"prices-TOTAL_FORMS": len(rows)}
    for i, (cycle, amount, setup, upgrade) in enumerate(rows):
        data.update(
            {
                f"prices-{i}-cycle": cycle,
                f"prices-{i}-amount": amount,
                f"prices-{i}-setup_fee": setup,
                f"prices-{i}-upgrade_fee": upgrade,
            }
        )
    return data


def test_add_product_with_prices(browser, shared_page):
    page = browser.get(reverse("admin:catalog_product_add"), {"order_page": shared_page.pk}).content.decode()
    for tab in ("General", "Pricing", "Automation", "Other", "Hostname"):
        assert f">{tab}</h2>" in page
    data = _product_form(
        shared_page,
        **_prices([("monthly", "5.00", "1.00", "2.00"), ("annually", "50.00", "0", "0")]),
    )
    response = browser.post(reverse("admin:catalog_product_add"), data)
    assert response.status_code == 302
    product = Product.objects.get(name="Custom")
    assert sorted(product.prices.values_list("cycle", flat=True)) == ["annually", "monthly"]


@pytest.mark.parametrize(
    ("price_type", "rows", "message"),
    [
        ("recurring", [], "at least one price"),
        ("free", [("monthly", "5.00", "0", "0")], "free product has no prices"),
        ("one_time", [("monthly", "5.00", "0", "0")], "one-time product"),
        (
            "recurring",
            [("monthly", "5.00", "0", "0"), ("monthly", "6.00", "0", "0")],
            "duplicate data for cycle",
        ),
        ("recurring", [("monthly", "-5.00", "0", "0")], ""),
    ],
)
def test_product_prices_are_checked(browser, shared_page, price_type, rows, message):
    data = _product_form(shared_page, price_type=price_type, **_prices(rows))
    response = browser.post(reverse("admin:catalog_product_add"), data)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Product.objects.filter(name="Custom").exists()


def test_export_round_trip(browser, starter, shared_page):
    response = browser.get(reverse("admin:catalog_product_export", args=[starter.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    assert "attachment" in response["Content-Disposition"]
    exported = json.loads(response.content)
    assert exported == export_product(starter)
    upload = io.BytesIO(response.content)
    upload.name = "starter.json"
    response = browser.post(reverse(IMPORT), {"file": upload, "order_page": shared_page.pk})
    assert response.status_code == 302
    copy = Product.objects.exclude(pk=starter.pk).get(name="Starter Hosting")
    assert export_product(copy) == exported


def test_export_action_for_several_products(browser, shared_page):
    ids = list(shared_page.products.values_list("pk", flat=True))
    response = browser.post(
        reverse("admin:catalog_product_changelist"),
        {"action": "export_selected", "_selected_action": ids},
    )
    assert response["Content-Type"] == "application/zip"
    response = browser.post(
        reverse("admin:catalog_product_changelist"),
        {"action": "export_selected", "_selected_action": ids[:1]},
    )
    assert json.loads(response.content)["product"]["name"] == "Starter Hosting"


def _good_doc():  # noqa: ANN202
    return {
        "format": "moorage.product",
        "version": 1,
        "product": {
            "name": "Imported Plan",
            "code": "imp",
            "price_type": "recurring",
            "billing_type": "prepaid",
            "prices": [{"cycle": "monthly", "amount": "7.50", "setup_fee": "1.00", "upgrade_fee": "0.00"}],
        },
    }


def _upload(content, name="product.json"):  # noqa: ANN001, ANN202
    upload = io.BytesIO(content if isinstance(content, bytes) else json.dumps(content).encode())
    upload.name = name
    return upload


def test_import_good_file(browser, shared_page, staff):
    assert browser.get(reverse(IMPORT)).status_code == 200
    response = browser.post(reverse(IMPORT), {"file": _upload(_good_doc()), "order_page": shared_page.pk})
    assert response.status_code == 302
    product = Product.objects.get(name="Imported Plan")
    assert product.order_page == shared_page
    price = product.prices.get()
    assert (price.cycle, str(price.amount), str(price.setup_fee)) == ("monthly", "7.50", "1.00")
    assert AuditEntry.objects.get(action="product_import").actor == staff


def _bad(path, value):  # noqa: ANN001, ANN202
    doc = _good_doc()
    target = doc
    keys = path.split(".")
    for key in keys[:-1]:
        target = target[int(key)] if key.isdigit() else target[key]
    if value is KeyError:
        del target[keys[-1]]
    else:
        target[keys[-1]] = value
    return doc


@pytest.mark.parametrize(
    ("content", "named"),
    [
        (b"{not json", "not valid JSON"),
        (_bad("format", "other"), "format"),
        (_bad("product.name", KeyError), "product.name"),
        (_bad("product.name", 12), "product.name"),
        (_bad("product.price_type", "sometimes"), "product.price_type"),
        (_bad("product.visible", "yes"), "product.visible"),
        (_bad("product.stock", -1), "product.stock"),
        (_bad("product.prices.0.cycle", "fortnightly"), "product.prices[0].cycle"),
        (_bad("product.prices.0.amount", "-1.00"), "product.prices[0].amount"),
        (_bad("product.prices.0.amount", "1.005"), "product.prices[0].amount"),
        (_bad("product.prices.0.setup_fee", 1.5), "product.prices[0].setup_fee"),
        (_bad("product.prices", []), "product.prices"),
    ],
)
def test_import_bad_files_name_the_field_and_create_nothing(browser, shared_page, content, named):
    before = (Product.objects.count(), Price.objects.count(), AuditEntry.objects.count())
    response = browser.post(reverse(IMPORT), {"file": _upload(content), "order_page": shared_page.pk})
    assert response.status_code == 200
    errors = " ".join(response.context["form"].errors["file"])
    assert named in errors
    assert named in response.content.decode().replace("&quot;", '"')
    assert (Product.objects.count(), Price.objects.count(), AuditEntry.objects.count()) == before


def test_import_into_a_page_of_subcategories_is_refused(browser, shared_page):
    browser.post(reverse(ADD_PAGE), _page_form(name="Categories", contains="subcategories"))
    page = OrderPage.objects.get(name="Categories")
    response = browser.post(reverse(IMPORT), {"file": _upload(_good_doc()), "order_page": page.pk})
    assert "order_page" in response.context["form"].errors
    assert not Product.objects.filter(name="Imported Plan").exists()


def test_billing_defaults_singleton(browser):
    response = browser.get(reverse("admin:catalog_billingdefaults_changelist"))
    defaults = BillingDefaults.load()
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:catalog_billingdefaults_change", args=[defaults.pk])
    import json

    from django.forms.models import model_to_dict

    form = {k: v for k, v in model_to_dict(defaults).items() if v is not False and k != "id"}
    form.update(custom_reminders=json.dumps([{"days": 10, "when": "after"}]), expiration_notices="[]")
    form.update(first_invoice_due_days=3, invoice_generate_days=10, adjust_initial_period="on")
    response = browser.post(response["Location"], form)
    assert response.status_code == 302
    defaults.refresh_from_db()
    assert defaults.first_invoice_due_days == 3 and defaults.adjust_initial_period
    assert defaults.custom_reminders == [{"days": 10, "when": "after"}]
    bad = {**form, "custom_reminders": json.dumps([{"days": 0, "when": "later"}])}
    response = browser.post(reverse("admin:catalog_billingdefaults_change", args=[defaults.pk]), bad)
    assert response.status_code == 200 and "days must be a whole number" in response.content.decode()
    assert browser.get(reverse("admin:catalog_billingdefaults_add")).status_code == 403
    assert (
        browser.post(reverse("admin:catalog_billingdefaults_delete", args=[defaults.pk]), {"post": "yes"}).status_code
        == 403
    )


def test_product_cannot_be_its_own_upgrade(browser, starter):
    response = browser.get(reverse("admin:catalog_product_change", args=[starter.pk]))
    choices = response.context["adminform"].form.fields["available_upgrades"].queryset
    assert starter not in choices and choices.count() == 3
