"""The product's Client Functions tab in the staff area: the audited action that saves it, the staff
page (Enable per function, Enable all, Client area Layout), and export/import of both fields."""

from __future__ import annotations

import json

import pytest
from django.contrib.auth.models import Permission
from django.test import Client as Browser
from django.urls import reverse
from django.utils.html import escape

from moorage.catalog import client_functions as cf
from moorage.catalog.actions import product_client_functions_save, product_import
from moorage.catalog.models import OrderPage, Product
from moorage.catalog.transfer import export_product, parse_product
from moorage.core.errors import DomainError
from moorage.core.models import AuditEntry, User

CAN_ENABLE = [f.code for f in cf.FUNCTIONS if f.can_enable]


@pytest.fixture
def browser(staff: User) -> Browser:
    b = Browser()
    b.force_login(staff)
    return b


def _url(product: Product) -> str:
    return reverse("admin:catalog_product_client_functions", args=[product.pk])


# --- the action ------------------------------------------------------------------------------------


def test_save_keeps_the_registry_order_once_each_and_audits(starter, staff, now):
    product_client_functions_save(
        product_id=starter.pk, enabled=["logs", "databases", "logs"], layout="top", now=now, actor=staff
    )
    starter.refresh_from_db()
    assert starter.client_functions == ["databases", "logs"]
    assert starter.client_area_layout == "top"
    entry = AuditEntry.objects.get(action="product_client_functions", object_id=str(starter.pk))
    assert entry.actor == staff
    assert "disabled" in entry.message and "Access Control Panel" in entry.message
    assert "left → top" in entry.message
    assert entry.data["enabled"] == [] and "usage" in entry.data["disabled"]


def test_saving_the_same_again_writes_nothing(starter, staff, now):
    product_client_functions_save(
        product_id=starter.pk, enabled=list(starter.client_functions), layout="left", now=now, actor=staff
    )
    assert not AuditEntry.objects.filter(action="product_client_functions").exists()


@pytest.mark.parametrize(
    ("enabled", "layout", "field"),
    [
        (["webmail"], "left", "client_functions"),
        (["reverse_dns", "logs"], "left", "client_functions"),
        (["manage_ip"], "left", "client_functions"),
        (["no_such_function"], "left", "client_functions"),
        ("logs", "left", "client_functions"),  # a string is not a list of codes
        ([["logs"]], "left", "client_functions"),
        ([None], "left", "client_functions"),
        (["logs"], "bottom", "client_area_layout"),
        (["logs"], "", "client_area_layout"),
    ],
)
def test_hostile_values_are_refused_and_change_nothing(starter, staff, now, enabled, layout, field, unchanged):
    with unchanged(), pytest.raises(DomainError) as caught:
        product_client_functions_save(product_id=starter.pk, enabled=enabled, layout=layout, now=now, actor=staff)
    assert caught.value.field == field


def test_contracts_and_edit_forms_may_be_enabled_and_then_serve_clients(starter, staff, now):
    product_client_functions_save(
        product_id=starter.pk, enabled=["contracts", "edit_forms"], layout="left", now=now, actor=staff
    )
    starter.refresh_from_db()
    assert starter.client_functions == ["contracts", "edit_forms"]
    assert starter.client_function_refusal("edit_forms") is None
    assert starter.client_function_refusal("contracts") is None


# --- the staff page --------------------------------------------------------------------------------


def test_the_product_page_links_to_the_tab(browser, starter):
    page = browser.get(reverse("admin:catalog_product_change", args=[starter.pk]))
    assert _url(starter) in page.content.decode()


def test_the_tab_lists_every_function_with_its_state(browser, starter):
    starter.client_functions = ["databases"]
    starter.save()
    html = browser.get(_url(starter)).content.decode()
    for f in cf.FUNCTIONS:
        assert f'data-code="{f.code}"' in html
        assert escape(f.description) in html
    assert 'name="functions" value="databases" id="fn-databases" checked' in html
    assert 'name="functions" value="logs" id="fn-logs">' in html
    for code in ("webmail", "manage_ip", "reverse_dns"):
        assert f'<input type="checkbox" id="fn-{code}" disabled' in html  # shown, cannot be enabled
        assert f'name="functions" value="{code}"' not in html
    assert "Not applicable to shared hosting on ispmanager" in html
    assert 'name="enable_all"' in html
    assert 'name="layout" value="right"' in html


def test_saving_from_the_tab(browser, starter):
    response = browser.post(_url(starter), {"functions": ["emails", "ftp_users"], "layout": "right"})
    assert response.status_code == 302
    starter.refresh_from_db()
    assert starter.client_functions == ["emails", "ftp_users"]
    assert starter.client_area_layout == "right"
    assert AuditEntry.objects.filter(action="product_client_functions").count() == 1


def test_nothing_ticked_disables_every_function(browser, starter):
    assert browser.post(_url(starter), {"layout": "left"}).status_code == 302
    starter.refresh_from_db()
    assert starter.client_functions == []


def test_enable_all_enables_every_function_that_applies(browser, starter):
    starter.client_functions = []
    starter.save()
    response = browser.post(_url(starter), {"layout": "top", "enable_all": "Enable all"})
    assert response.status_code == 302
    starter.refresh_from_db()
    assert starter.client_functions == CAN_ENABLE
    assert not {"webmail", "manage_ip", "reverse_dns"} & set(starter.client_functions)
    assert starter.client_area_layout == "top"


@pytest.mark.parametrize("code", ["webmail", "manage_ip", "reverse_dns", "nonsense"])
def test_a_forged_post_enabling_a_not_applicable_function_is_refused(browser, starter, code, unchanged):
    with unchanged():
        response = browser.post(_url(starter), {"functions": ["logs", code], "layout": "left"})
    assert response.status_code == 200
    assert "not one of the available choices" in response.content.decode()


def test_a_bad_layout_is_refused(browser, starter, unchanged):
    with unchanged():
        response = browser.post(_url(starter), {"functions": ["logs"], "layout": "diagonal"})
    assert response.status_code == 200
    assert "errornote" in response.content.decode()


def test_an_unknown_product_is_a_404(browser, db):
    assert browser.get("/admin/catalog/product/999999/client-functions/").status_code == 404
    assert browser.get("/admin/catalog/product/abc/client-functions/").status_code == 404


def _staff_with(*codenames: str) -> Browser:
    user = User.objects.create_user(email="viewer@example.com", password="x-Very-long-pass-123", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(content_type__app_label="catalog", codename__in=codenames))
    b = Browser()
    b.force_login(user)
    return b


def test_staff_who_may_only_view_products_see_the_tab_but_cannot_save(starter, unchanged):
    b = _staff_with("view_product")
    page = b.get(_url(starter))
    assert page.status_code == 200
    assert 'name="enable_all"' not in page.content.decode()
    with unchanged():
        assert b.post(_url(starter), {"functions": ["logs"], "layout": "top"}).status_code == 403


def test_staff_without_product_rights_cannot_see_the_tab(starter):
    b = _staff_with("view_orderpage")
    assert b.get(_url(starter)).status_code == 403


def test_clients_cannot_reach_the_tab(client, client_account, starter):
    client.force_login(client_account.user)
    response = client.get(_url(starter))
    assert response.status_code in (302, 403)
    assert response.status_code != 200


# --- export and import -----------------------------------------------------------------------------


def _doc(product: Product) -> dict:
    return json.loads(json.dumps(export_product(product)))


def test_export_and_import_carry_both_fields(starter, staff, now):
    starter.client_functions = ["contracts", "databases", "emails"]
    starter.client_area_layout = "right"
    starter.save()
    doc = _doc(starter)
    assert doc["product"]["client_functions"] == ["contracts", "databases", "emails"]
    assert doc["product"]["client_area_layout"] == "right"
    target = OrderPage.objects.create(name="Imported", slug="imported")
    imported = product_import(raw=json.dumps(doc), order_page=target, now=now, actor=staff)
    assert imported.client_functions == ["contracts", "databases", "emails"]
    assert imported.client_area_layout == "right"


def test_an_older_file_without_the_fields_gets_the_defaults(starter, staff, now):
    doc = _doc(starter)
    del doc["product"]["client_functions"], doc["product"]["client_area_layout"]
    target = OrderPage.objects.create(name="Imported", slug="imported")
    imported = product_import(raw=json.dumps(doc), order_page=target, now=now, actor=staff)
    assert imported.client_functions == list(cf.DEFAULT_ENABLED)
    assert imported.client_area_layout == "left"


@pytest.mark.parametrize(
    ("field", "value", "says"),
    [
        ("client_functions", ["webmail"], "not applicable"),
        ("client_functions", ["logs", "nope"], "unknown client function"),
        ("client_functions", "logs", "must be a list"),
        ("client_functions", [1, 2], "must be a list"),
        ("client_functions", {"logs": True}, "must be a list"),
        ("client_functions", ["logs"] * 500, "more than"),
        ("client_area_layout", "bottom", "must be one of"),
        ("client_area_layout", ["left"], "must be one of"),
        ("client_area_layout", 1, "must be one of"),
    ],
)
def test_import_refuses_bad_values_naming_the_field(starter, field, value, says):
    doc = _doc(starter)
    doc["product"][field] = value
    with pytest.raises(DomainError) as caught:
        parse_product(json.dumps(doc))
    assert caught.value.field == f"product.{field}"
    assert caught.value.message.startswith(f"product.{field}: ")
    assert says in caught.value.message


def test_import_stores_the_codes_in_the_registry_order_once_each(starter):
    doc = _doc(starter)
    doc["product"]["client_functions"] = ["logs", "databases", "logs"]
    assert parse_product(json.dumps(doc))["client_functions"] == ["databases", "logs"]
