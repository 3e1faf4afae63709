"""The panel generation on the connection: Test Configuration detects and stores it; jobs pass it and
the client's language to the module."""

from __future__ import annotations

import pytest
from django.test import Client as Browser
from django.urls import reverse

from moorage.core.errors import DomainError
from moorage.core.models import AuditEntry
from moorage.provisioning.accounts import connection_info
from moorage.provisioning.actions import connection_check, connection_set_generation, connection_test
from moorage.provisioning.models import AppConnection
from moorage.provisioning.registry import get_module
from tests.provisioning.conftest import ADMIN

pytestmark = pytest.mark.django_db


def form(panel, **overrides):  # noqa: ANN001, ANN003, ANN201
    data = {
        "module": "ispmanager",
        "name": "panel-1",
        "hostname": "panel.example.net",
        "ip_address": "127.0.0.1",
        "username": ADMIN[0],
        "password": ADMIN[1],
        "api_port": str(panel.port),
        "path": panel.url,
        "verify_tls": "on",
        "timeout": "5",
        "monthly_cost": "0",
        "active": "on",
        "panel_generation": "",
        "ns-TOTAL_FORMS": "0",
        "ns-INITIAL_FORMS": "0",
        "ns-MIN_NUM_FORMS": "0",
        "ns-MAX_NUM_FORMS": "1000",
    }
    data.update(overrides)
    return data


def test_connection_check_reports_the_generation(panel):
    check = connection_check(
        module_name="ispmanager", ip_address="127.0.0.1", username=ADMIN[0], password=ADMIN[1], path=panel.url
    )
    assert check.generation == "6" and not check.warning
    ok, text = connection_test(
        module_name="ispmanager", ip_address="127.0.0.1", username=ADMIN[0], password=ADMIN[1], path=panel.url
    )
    assert ok and text == "Success: connected to ispmanager 6 as root."


def test_test_configuration_stores_the_generation_on_a_saved_connection(connection, panel, staff):
    browser = Browser()
    browser.force_login(staff)
    assert connection.panel_generation == ""
    url = reverse("admin:provisioning_appconnection_change", args=[connection.pk])
    response = browser.post(url, form(panel, password="", _test="1"))
    assert response.context["test_result"][0] is True
    connection.refresh_from_db()
    assert connection.panel_generation == "6"
    assert AuditEntry.objects.filter(action="connection_generation").count() == 1
    # The re-shown form carries it, so Save keeps it.
    assert response.context["form"]["panel_generation"].value() == "6"
    # Testing again changes nothing and writes no second audit entry.
    browser.post(url, form(panel, password="", _test="1"))
    assert AuditEntry.objects.filter(action="connection_generation").count() == 1


def test_test_configuration_on_a_new_connection_fills_the_form_and_saves_nothing(panel, staff):
    browser = Browser()
    browser.force_login(staff)
    response = browser.post(reverse("admin:provisioning_appconnection_add"), form(panel, _test="1"))
    assert response.context["form"]["panel_generation"].value() == "6"
    assert not AppConnection.objects.exists()


def test_only_known_generations_are_stored(connection, now):
    with pytest.raises(DomainError):
        connection_set_generation(connection_id=connection.pk, generation="7", now=now, actor=None)
    connection_set_generation(connection_id=connection.pk, generation="5", now=now, actor=None)
    connection.refresh_from_db()
    assert connection.panel_generation == "5"


def test_the_module_gets_the_stored_generation_and_the_language(connection):
    connection.panel_generation = "5"
    conn = connection_info(connection, get_module("ispmanager"), lang="ru")
    assert conn.generation == "5" and conn.lang == "ru"


def test_an_ispmanager_5_panel_is_detected_and_a_paid_order_gets_its_website(starter, client_account, now):  # noqa: ANN001
    from ispmanager_emulator import EmulatorServer
    from moorage.catalog.models import Product
    from moorage.provisioning.models import ModuleState, PanelAccount, ProductApp
    from moorage.provisioning.runner import run_due_jobs
    from tests.provisioning.conftest import make_connection
    from tests.provisioning.test_provisioning import order_and_pay

    with EmulatorServer(port=0, admin=ADMIN, version=5) as panel5:
        panel5.call("preset.edit", sok="ok", name="basic", level=16, limit_db=2, limit_quota=1024)
        check = connection_check(
            module_name="ispmanager", ip_address="127.0.0.1", username=ADMIN[0], password=ADMIN[1], path=panel5.url
        )
        assert check.generation == "5" and not check.warning
        conn = make_connection(panel5, panel_generation=check.generation)
        ModuleState.objects.create(name="ispmanager", active=True)
        Product.objects.filter(pk=starter.pk).update(module="ispmanager", auto_create=Product.AutoCreate.ON_PAYMENT)
        ProductApp.objects.create(product=starter, connection=conn, options={"preset": "basic"})
        client_account.language = "ru"
        client_account.save(update_fields=["language"])
        service = order_and_pay(client_account, Product.objects.get(pk=starter.pk), now)
        assert run_due_jobs(now=now) == 1
        account = PanelAccount.objects.get(service=service)
        assert account.exists_on_panel
        assert panel5.state.webdomains["shop.example.com"]["owner"] == account.username
        assert panel5.state.users[account.username]["lang"] == "ru"  # the client's language
