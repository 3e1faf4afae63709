"""Provisioning in the staff area, against the ispmanager emulator over HTTP: Hosting Modules,
Apps Connections with Test Configuration, the product's App settings, the service page's panel
account and jobs, Login to control panel, and the order page's login details and Delete."""

from __future__ import annotations

import json

import httpx
import pytest
from django.db import connection as db
from django.urls import reverse

from moorage.catalog.models import Product
from moorage.core import clock
from moorage.core.models import AuditEntry, User
from moorage.orders.models import Order
from moorage.provisioning.models import (
    AppConnection,
    JobAttempt,
    ModuleState,
    PanelAccount,
    ProductApp,
    ProvisioningJob,
    ServerGroup,
)
from moorage.provisioning.runner import run_due_jobs
from moorage.services.models import Service
from tests import factories
from tests.provisioning.conftest import ADMIN, make_connection

pytestmark = pytest.mark.django_db

MODULES = "admin:provisioning_modulestate_changelist"
ADD_CONNECTION = "admin:provisioning_appconnection_add"


def _html(response) -> str:  # noqa: ANN001
    return response.content.decode()


def _messages(response) -> list[str]:  # noqa: ANN001
    return [str(m) for m in response.context["messages"]] if response.context else []


def _connection_form(panel, **overrides):  # noqa: ANN001, ANN003, ANN202
    data = {
        "module": "ispmanager",
        "name": "panel-eu-1",
        "hostname": "panel.example.net",
        "ip_address": "127.0.0.1",
        "max_accounts": "100",
        "username": ADMIN[0],
        "password": ADMIN[1],
        "api_port": str(panel.port),
        "path": panel.url,
        "verify_tls": "on",
        "tls_fingerprint": "",
        "timeout": "5",
        "monthly_cost": "25.00",
        "group": "",
        "active": "on",
        "ns-TOTAL_FORMS": "2",
        "ns-INITIAL_FORMS": "0",
        "ns-MIN_NUM_FORMS": "0",
        "ns-MAX_NUM_FORMS": "1000",
        "ns-0-name": "ns1.example.net",
        "ns-0-ip": "192.0.2.53",
        "ns-1-name": "ns2.example.net",
        "ns-1-ip": "",
    }
    data.update(overrides)
    return data


def order_and_pay(client_account, product, now, hostname="shop.example.com"):  # noqa: ANN001, ANN201
    return factories.paid_service(client_account, product, now=now, hostname=hostname)


def run_jobs() -> int:
    return run_due_jobs(now=clock.now())


@pytest.fixture
def active_service(panel, hosting, client_account, now):  # noqa: ANN001, ANN201
    service = order_and_pay(client_account, hosting, now)
    assert run_jobs() == 1
    service.refresh_from_db()
    assert service.status == Service.Status.ACTIVE
    return service


def _service_page(browser, service, **params):  # noqa: ANN001, ANN003, ANN202
    return browser.get(reverse("admin:services_service_change", args=[service.pk]), params)


def _run(browser, service, operation, **data):  # noqa: ANN001, ANN003, ANN202
    url = reverse("admin:provisioning_service_provision", args=[service.pk, operation])
    return browser.post(url, {"reason": "", **data})


# ---------------------------------------------------------------- Hosting Modules


def test_hosting_modules_tabs_and_activation(browser, staff):
    active_tab = _html(browser.get(reverse(MODULES)))
    assert "Hosting Modules" in active_tab and "Active (0)" in active_tab
    assert "No active modules" in active_tab
    inactive_tab = _html(browser.get(reverse(MODULES), {"tab": "inactive"}))
    assert "ispmanager provisioning module" in inactive_tab and 'value="Activate"' in inactive_tab

    set_active = reverse("admin:provisioning_modulestate_set_active")
    response = browser.post(set_active, {"name": "ispmanager", "active": "1"})
    assert response.status_code == 302 and response["Location"].endswith("?tab=active")
    assert ModuleState.objects.get(name="ispmanager").active
    assert AuditEntry.objects.get(action="module_activate").actor == staff
    active_tab = _html(browser.get(reverse(MODULES)))
    assert "Active (1)" in active_tab and 'value="Deactivate"' in active_tab
    assert "ispmanager provisioning module" in active_tab

    browser.post(set_active, {"name": "ispmanager", "active": "0"})
    assert not ModuleState.objects.get(name="ispmanager").active
    assert "Inactive (1)" in _html(browser.get(reverse(MODULES)))
    # An unknown module is refused; a GET changes nothing.
    response = browser.post(set_active, {"name": "cpanel", "active": "1"}, follow=True)
    assert any("no provisioning module named 'cpanel'" in m for m in _messages(response))
    assert browser.get(set_active).status_code == 405
    assert not ModuleState.objects.filter(name="cpanel").exists()


# ---------------------------------------------------------------- Apps Connections


def test_add_connection_form_fields_and_add_nameserver(browser, panel):
    page = _html(browser.get(reverse(ADD_CONNECTION)))
    for text in (
        "Add new Connection",
        "Application",
        "IP address",
        "Max no. of accounts",
        "API port",
        "https://IP:1500/ispmgr",
        "NS 1",
        "NS 2 IP",
        "Add New Nameserver",
        "Test Configuration",
        "Monthly cost",
    ):
        assert text in page, text
    assert 'name="api_port" value="1500"' in page
    assert 'type="password"' in page

    # Without JavaScript, Add New Nameserver shows one more row and keeps what was typed.
    response = browser.post(reverse(ADD_CONNECTION), _connection_form(panel, _add_ns="1"))
    page = _html(response)
    assert response.status_code == 200
    assert "NS 3" in page and 'name="ns-2-name"' in page
    assert "ns1.example.net" in page and f'value="{ADMIN[1]}"' in page
    assert not AppConnection.objects.exists()

    data = _connection_form(panel, **{"ns-TOTAL_FORMS": "3", "ns-2-name": "ns3.example.net"})
    response = browser.post(reverse(ADD_CONNECTION), data)
    assert response.status_code == 302
    conn = AppConnection.objects.get()
    assert conn.name == "panel-eu-1" and conn.api_port == panel.port and conn.max_accounts == 100
    assert conn.password == ADMIN[1]
    assert conn.nameservers == [
        {"name": "ns1.example.net", "ip": "192.0.2.53"},
        {"name": "ns2.example.net", "ip": ""},
        {"name": "ns3.example.net", "ip": ""},
    ]
    with db.cursor() as cursor:  # encrypted at rest
        cursor.execute("SELECT password FROM provisioning_appconnection WHERE id = %s", [conn.pk])
        assert ADMIN[1] not in cursor.fetchone()[0]

    listing = _html(browser.get(reverse("admin:provisioning_appconnection_changelist")))
    assert "panel-eu-1" in listing and "0 / 100" in listing


def test_connection_form_errors(browser, panel):
    data = _connection_form(panel, name="", ip_address="", password="", **{"ns-1-name": ""})
    data["ns-1-ip"] = "192.0.2.54"
    response = browser.post(reverse(ADD_CONNECTION), data)
    errors = response.context["form"].errors
    assert {"name", "ip_address", "password"} <= set(errors)
    assert "Enter the name server" in _html(response)
    assert not AppConnection.objects.exists()


def test_test_configuration_success_without_saving(browser, panel):
    response = browser.post(reverse(ADD_CONNECTION), _connection_form(panel, _test="1"))
    assert response.status_code == 200
    assert response.context["test_result"][0] is True
    page = _html(response)
    assert "Success: connected to ispmanager" in page and 'id="test-result" role="status"' in page
    assert not AppConnection.objects.exists()
    # The page's script asks for JSON.
    response = browser.post(
        reverse(ADD_CONNECTION),
        _connection_form(panel, _test="1"),
        headers={"Accept": "application/json"},
    )
    result = json.loads(response.content)
    assert result["ok"] is True and result["message"].startswith("Success")
    assert not AppConnection.objects.exists()


def test_test_configuration_shows_the_panels_errors(browser, panel):
    response = browser.post(reverse(ADD_CONNECTION), _connection_form(panel, password="wrong", _test="1"))
    assert response.context["test_result"][0] is False
    assert "Invalid username or password (auth/badpassword)" in _html(response)
    unreachable = _connection_form(panel, path="http://127.0.0.1:9/ispmgr", timeout="2", _test="1")
    result = json.loads(
        browser.post(reverse(ADD_CONNECTION), unreachable, headers={"Accept": "application/json"}).content
    )
    assert result["ok"] is False and "cannot connect" in result["message"]
    # Fields the test needs must be filled; other fields do not matter to it.
    response = browser.post(reverse(ADD_CONNECTION), _connection_form(panel, name="", ip_address="", _test="1"))
    assert response.context["test_result"][0] is False
    assert "IP address" in response.context["test_result"][1]
    assert not AppConnection.objects.exists()


def test_edit_connection_keeps_the_password_when_left_empty(browser, connection, panel):
    url = reverse("admin:provisioning_appconnection_change", args=[connection.pk])
    page = _html(browser.get(url))
    assert ADMIN[1] not in page and "Leave empty to keep the stored password" in page
    assert "ns1.example.net" in page and "192.0.2.54" in page
    # Test Configuration with the stored password.
    response = browser.post(url, _connection_form(panel, name="panel-1", password="", _test="1"))
    assert response.context["test_result"][0] is True, response.context["test_result"]
    response = browser.post(url, _connection_form(panel, name="panel-1", password="", max_accounts="", timeout="9"))
    assert response.status_code == 302
    connection.refresh_from_db()
    assert connection.password == ADMIN[1] and connection.max_accounts is None
    assert connection.timeout == 9
    listing = _html(browser.get(reverse("admin:provisioning_appconnection_changelist")))
    assert "0 / ∞" in listing


def test_server_groups(browser, connection):
    response = browser.post(
        reverse("admin:provisioning_servergroup_add"), {"name": "Shared EU", "module": "ispmanager"}
    )
    assert response.status_code == 302
    group = ServerGroup.objects.get()
    AppConnection.objects.filter(pk=connection.pk).update(group=group)
    listing = _html(browser.get(reverse("admin:provisioning_servergroup_changelist")))
    assert "Shared EU" in listing


# ---------------------------------------------------------------- Product → App settings


def _app_url(product: Product) -> str:
    return reverse("admin:provisioning_product_app", args=[product.pk])


def _app_form(conn, **overrides):  # noqa: ANN001, ANN003, ANN202
    data = {
        "module": "ispmanager",
        "connection": conn.pk,
        "group": "",
        "known_presets": "basic,pro",
        "preset": "pro",
        "auto_create": "on_order",
    }
    data.update(overrides)
    return data


def test_product_page_links_to_app_settings(browser, starter):
    page = _html(browser.get(reverse("admin:catalog_product_change", args=[starter.pk])))
    assert _app_url(starter) in page and "App settings" in page


def test_get_values_from_server_lists_the_panels_presets(browser, connection, starter):
    page = _html(browser.get(_app_url(starter)))
    assert "Get values from server" in page and 'value="pro"' not in page
    response = browser.post(
        _app_url(starter),
        {
            "module": "ispmanager",
            "connection": connection.pk,
            "auto_create": "on_payment",
            "_fetch": "1",
        },
    )
    assert response.status_code == 200
    assert "Got 2 presets from panel-1: basic, pro." in _messages(response)
    page = _html(response)
    assert '<option value="basic">basic</option>' in page
    assert '<option value="pro">pro</option>' in page
    assert 'name="known_presets" value="basic,pro"' in page
    assert not ProductApp.objects.exists()


def test_get_values_from_a_group_and_the_panels_error(browser, panel, starter):
    group = ServerGroup.objects.create(module="ispmanager", name="Shared EU")
    conn = make_connection(panel, name="wrong-password", group=group)
    AppConnection.objects.filter(pk=conn.pk).update(password="bad")
    response = browser.post(
        _app_url(starter),
        {"module": "ispmanager", "group": group.pk, "auto_create": "on_payment", "_fetch": "1"},
    )
    assert "cannot read presets from wrong-password" in _html(response)
    assert "Invalid username or password" in _html(response)
    response = browser.post(_app_url(starter), {"module": "ispmanager", "auto_create": "on_payment", "_fetch": "1"})
    assert "choose an app connection or a server group first" in _html(response)


def test_app_tab_renders_every_field_with_units_and_not_applicable_rows(browser, starter):
    page = _html(browser.get(_app_url(starter)))
    for text in (
        "Preset",
        "Username generation pattern",
        "Create WWW domain",
        "Disk quota (MiB)",
        "Mailbox maximum size (MiB)",
        "Email limit per hour (mails/hour)",
        "Regular backup",
        "Auto-create",
        "When the first payment is received",
        "Not applicable to shared hosting on ispmanager",
        "as preset",
        "default (on)",
    ):
        assert text in page, text
    for name in ("create_mail_domain", "mail_dkim", "php_safe_mode", "antivirus", "ssi"):
        assert f'name="{name}"' in page
        tag = page[page.index(f'name="{name}"') - 200 : page.index(f'name="{name}"') + 200]
        assert "disabled" in tag, name


def test_save_app_tab_stores_typed_options(browser, connection, starter, staff):
    data = _app_form(
        connection,
        limit_db="7",
        limit_quota="",
        limit_memory="0",
        limit_shell="on",
        php_enable="off",
        backup="",
        create_www_domain="off",
        create_mail_domain="on",  # not applicable: disabled, never stored
        mail_dkim="on",
        domain_ip="192.0.2.10",
        username_pattern="u{client_id}{random:3}",
    )
    response = browser.post(_app_url(starter), data)
    assert response.status_code == 302, response.context and response.context["form"].errors
    assert response["Location"] == reverse("admin:catalog_product_change", args=[starter.pk])
    app = ProductApp.objects.get(product=starter)
    assert app.connection == connection and app.group is None
    assert app.options == {
        "preset": "pro",
        "limit_db": 7,
        "limit_memory": 0,
        "limit_shell": True,
        "php_enable": False,
        "create_www_domain": False,
        "domain_ip": "192.0.2.10",
        "username_pattern": "u{client_id}{random:3}",
    }
    starter.refresh_from_db()
    assert starter.module == "ispmanager" and starter.auto_create == "on_order"
    assert AuditEntry.objects.get(action="product_app_save").actor == staff
    # The page shows the stored values back.
    page = _html(browser.get(_app_url(starter)))
    assert '<option value="pro" selected>pro</option>' in page
    assert 'name="limit_db" value="7"' in page
    # Clearing an override goes back to the preset's value.
    browser.post(_app_url(starter), _app_form(connection, limit_db="", limit_shell=""))
    app.refresh_from_db()
    assert app.options == {"preset": "pro"}


def test_app_tab_refusals_store_nothing(browser, connection, starter, unchanged):
    group = ServerGroup.objects.create(module="ispmanager", name="Shared EU")
    cases = [
        (_app_form(connection, group=group.pk), "connection", "either an app connection or"),
        (_app_form(connection, connection=""), "connection", "either an app connection or"),
        (_app_form(connection, limit_db="-1"), "limit_db", "must be 0 or more"),
        (_app_form(connection, limit_db="many"), "limit_db", "whole number"),
        (_app_form(connection, username_pattern="{client_id}"), "username_pattern", "'1234'"),
        (_app_form(connection, username_pattern="{name}x"), "username_pattern", "placeholder"),
        (_app_form(connection, preset=""), "preset", "required"),
        (_app_form(connection, preset="gold"), "preset", "not one of the available choices"),
    ]
    with unchanged():
        for data, field, message in cases:
            response = browser.post(_app_url(starter), data)
            assert response.status_code == 200, field
            errors = response.context["form"].errors
            assert field in errors and message in " ".join(errors[field]), (field, errors)
    assert not ProductApp.objects.exists()


def test_product_app_save_checks_what_the_form_cannot_send(connection, starter, staff, unchanged):
    from moorage.core.errors import DomainError
    from moorage.provisioning.actions import product_app_save

    def save(**kw):  # noqa: ANN003, ANN202
        args = {
            "product": starter,
            "module": "ispmanager",
            "connection": connection,
            "group": None,
            "options": {"preset": "basic"},
            "auto_create": "on_payment",
            "now": clock.now(),
            "actor": staff,
        }
        return product_app_save(**{**args, **kw})

    other_group = ServerGroup.objects.create(module="cpanel", name="cPanel servers")
    refused = [
        ({"module": "cpanel"}, "module", "no provisioning module named"),
        ({"options": {"preset": "basic", "limit_bogus": 1}}, "limit_bogus", "no product field"),
        ({"options": {"preset": "basic", "mail_dkim": True}}, "mail_dkim", "not applicable"),
        ({"options": {"preset": "basic", "limit_db": True}}, "limit_db", "whole number"),
        ({"options": {"preset": "basic", "limit_shell": "maybe"}}, "limit_shell", "on or off"),
        ({"connection": None, "group": other_group}, "group", "server group of cpanel"),
        ({"auto_create": "sometimes"}, "auto_create", "auto-create"),
    ]
    with unchanged():
        for kwargs, field, message in refused:
            with pytest.raises(DomainError, match=message) as caught:
                save(**kwargs)
            assert caught.value.field == field
    app = save(options={"preset": "basic", "limit_db": "12", "limit_shell": "on", "backup": "off"})
    assert app.options == {"preset": "basic", "limit_db": 12, "limit_shell": True, "backup": False}


def test_app_settings_overview_list(browser, hosting):
    listing = _html(browser.get(reverse("admin:provisioning_productapp_changelist")))
    assert "Starter Hosting" in listing and "basic" in listing and "panel-1" in listing
    app = ProductApp.objects.get()
    page = browser.get(reverse("admin:provisioning_productapp_change", args=[app.pk]))
    assert page.status_code == 200 and "App settings of Starter Hosting" in _html(page)


# ---------------------------------------------------------------- Service page


def test_service_page_shows_the_panel_account_and_its_state(browser, active_service, panel):
    page = _html(_service_page(browser, active_service))
    assert 'id="panel-username">shop<' in page
    assert panel.url in page and "panel-1" in page
    assert "Login to control panel" in page and "Show password" in page
    assert "Check on the panel" in page
    account = PanelAccount.objects.get(service=active_service)
    assert account.password not in page  # only on request
    labels = ("Create", "Suspend", "Unsuspend", "Terminate", "Change package", "Change password")
    for label in labels:
        assert f">{label}<" in page or f'value="{label}"' in page, label
    assert "provisioning-jobs" in page and "Done" in page
    listing = _html(browser.get(reverse("admin:provisioning_appconnection_changelist")))
    assert "1 / ∞" in listing
    accounts = _html(browser.get(reverse("admin:provisioning_panelaccount_changelist")))
    assert "shop" in accounts and account.password not in accounts

    page = _html(_service_page(browser, active_service, panel_state="1"))
    assert "<strong>active</strong>" in page

    details = _html(browser.get(reverse("admin:provisioning_service_login_details", args=[active_service.pk])))
    assert account.password in details and "shop" in details


def test_service_buttons_queue_jobs_and_the_worker_runs_them(browser, active_service, panel, staff):
    service = active_service
    response = _run(browser, service, "suspend", reason="abuse")
    assert response.status_code == 302
    job = ProvisioningJob.objects.get(service=service, operation="suspend")
    assert job.status == "queued" and job.requested_by == staff and job.reason == "abuse"
    service.refresh_from_db()
    assert service.status == "active"  # not before the panel confirms
    # Asking twice while the first is queued is refused with a message.
    response = _run(browser, service, "suspend")
    follow = browser.get(response["Location"])
    assert any("already queued" in m for m in _messages(follow))

    assert run_jobs() == 1
    service.refresh_from_db()
    assert service.status == "suspended" and panel.state.users["shop"]["active"] == "off"
    assert "<strong>suspended</strong>" in _html(_service_page(browser, service, panel_state="1"))

    _run(browser, service, "unsuspend")
    run_jobs()
    service.refresh_from_db()
    assert service.status == "active" and panel.state.users["shop"]["active"] == "on"

    # Change password: a form with an optional new password.
    url = reverse("admin:provisioning_service_provision", args=[service.pk, "change_password"])
    assert "New password" in _html(browser.get(url))
    browser.post(url, {"reason": "", "password": "N3w-Secret-pw"})
    job = ProvisioningJob.objects.get(service=service, operation="change_password")
    assert "N3w-Secret-pw" not in json.dumps(job.params)
    run_jobs()
    assert panel.state.users["shop"]["passwd"] == "N3w-Secret-pw"
    assert PanelAccount.objects.get(service=service).password == "N3w-Secret-pw"

    # Change package: the page lists the panel's presets.
    url = reverse("admin:provisioning_service_provision", args=[service.pk, "change_package"])
    page = _html(browser.get(url))
    assert '<option value="pro">pro</option>' in page
    browser.post(url, {"reason": "upgrade", "preset": "pro"})
    run_jobs()
    assert panel.state.users["shop"]["preset"] == "pro"
    assert panel.state.users["shop"]["limit_db"] == "20"

    # Terminate asks first, then removes the account.
    url = reverse("admin:provisioning_service_provision", args=[service.pk, "terminate"])
    assert "Terminate" in _html(browser.get(url))
    browser.post(url, {"reason": "asked by client"})
    run_jobs()
    service.refresh_from_db()
    assert service.status == "terminated" and "shop" not in panel.state.users
    ops = set(ProvisioningJob.objects.filter(service=service).values_list("operation", "status"))
    assert ops == {
        ("create", "done"),
        ("suspend", "done"),
        ("unsuspend", "done"),
        ("change_password", "done"),
        ("change_package", "done"),
        ("terminate", "done"),
    }


def test_create_button_on_a_pending_service(browser, panel, hosting, client_account, now):
    Product.objects.filter(pk=hosting.pk).update(auto_create=Product.AutoCreate.MANUAL)
    service = order_and_pay(client_account, hosting, now)
    assert not ProvisioningJob.objects.filter(service=service).exists()
    page = _html(_service_page(browser, service))
    assert "No panel account yet" in page
    assert _run(browser, service, "create").status_code == 302
    assert run_jobs() == 1
    service.refresh_from_db()
    assert service.status == "active" and "shop" in panel.state.users
    # A second create is refused by the action.
    follow = browser.get(_run(browser, service, "create")["Location"])
    assert any("already exists on the panel" in m for m in _messages(follow))


def test_failed_job_shows_the_panels_error_and_retry(browser, active_service, connection, panel):
    service = active_service
    AppConnection.objects.filter(pk=connection.pk).update(password="wrong")
    _run(browser, service, "suspend")
    run_jobs()
    job = ProvisioningJob.objects.get(service=service, operation="suspend")
    assert job.status == "failed" and "Invalid username or password" in job.last_error
    page = _html(_service_page(browser, service))
    assert "Invalid username or password" in page and f'id="retry-{job.pk}"' in page

    detail = _html(browser.get(reverse("admin:provisioning_provisioningjob_change", args=[job.pk])))
    assert "Invalid username or password" in detail and 'id="retry-job"' in detail
    assert "attempts" in detail.lower() and JobAttempt.objects.filter(job=job).count() == 1

    conn = AppConnection.objects.get(pk=connection.pk)
    conn.password = ADMIN[1]
    conn.save()
    retry = reverse("admin:provisioning_job_retry", args=[job.pk])
    page_url = reverse("admin:services_service_change", args=[service.pk])
    response = browser.post(retry, {"next": page_url})
    assert response.status_code == 302 and response["Location"] == page_url
    job.refresh_from_db()
    assert job.status in ("queued", "unknown")
    run_jobs()
    job.refresh_from_db()
    service.refresh_from_db()
    assert job.status == "done" and service.status == "suspended"
    assert JobAttempt.objects.filter(job=job).count() == 2
    # A done job cannot be retried; the detail page has no Retry any more.
    follow = browser.post(retry, follow=True)
    assert any("cannot be retried" in m for m in _messages(follow))
    assert 'id="retry-job"' not in _html(follow)
    assert browser.get(retry).status_code == 405


def test_jobs_list_filters_and_search(browser, active_service):
    url = reverse("admin:provisioning_provisioningjob_changelist")
    listing = _html(browser.get(url))
    assert "shop" in listing and "Create" in listing
    filtered = browser.get(url, {"status__exact": "done", "operation__exact": "create"})
    assert filtered.status_code == 200 and "shop.example.com" in _html(filtered)
    assert "shop.example.com" in _html(browser.get(url, {"q": "shop"}))
    assert "shop.example.com" not in _html(browser.get(url, {"q": "nobody"}))
    assert "shop.example.com" in _html(browser.get(url, {"q": str(active_service.pk)}))
    job = ProvisioningJob.objects.get()
    # Read-only: no add, no change, no delete.
    assert browser.get(reverse("admin:provisioning_provisioningjob_add")).status_code == 403
    change = reverse("admin:provisioning_provisioningjob_change", args=[job.pk])
    assert browser.post(change, {"status": "queued"}).status_code == 403


def test_login_to_control_panel_redirects_to_a_one_time_url(browser, active_service, panel):
    url = reverse("admin:provisioning_service_sso", args=[active_service.pk])
    assert browser.get(url).status_code == 405
    response = browser.post(url)
    assert response.status_code == 302
    target = response["Location"]
    assert target.startswith(panel.url) and "key=" in target
    password = PanelAccount.objects.get(service=active_service).password
    assert password not in target and "passw" not in target.lower()
    with httpx.Client(follow_redirects=True) as b:
        page = b.get(target)
        assert page.status_code == 200 and "shop" in page.text


def test_login_to_control_panel_refused_without_an_account(browser, world):
    Product.objects.filter(pk=world.starter.pk).update(module="ispmanager")
    response = browser.post(reverse("admin:provisioning_service_sso", args=[world.service.pk]))
    assert response.status_code == 302
    follow = browser.get(response["Location"])
    assert any("no account on a panel" in m for m in _messages(follow))


def test_provisioning_buttons_need_permission(active_service, panel):
    from django.test import Client as Browser

    clerk = User.objects.create_user(email="clerk@example.com", password="x", is_staff=True)
    b = Browser()
    b.force_login(clerk)
    assert _run(b, active_service, "suspend").status_code == 403
    sso = reverse("admin:provisioning_service_sso", args=[active_service.pk])
    assert b.post(sso).status_code == 403
    assert not ProvisioningJob.objects.filter(operation="suspend").exists()


# ---------------------------------------------------------------- Order page


def test_order_items_show_the_panel_login(browser, active_service, panel):
    order = Order.objects.get()
    page = _html(browser.get(reverse("admin:orders_order_change", args=[order.pk])))
    assert "Control panel login" in page
    assert f'class="panel-url">{panel.url}</a>' in page and 'class="panel-username">shop<' in page


def test_delete_order_terminates_accounts_then_removes_it(browser, active_service, panel, staff):
    order = Order.objects.get()
    url = reverse("admin:orders_order_delete_order", args=[order.pk])
    page = _html(browser.get(reverse("admin:orders_order_change", args=[order.pk])))
    assert 'id="delete-order"' in page
    page = _html(browser.get(url))
    assert "Delete all order related data from Moorage and terminate accounts if any" in page

    # Without the option the accounts would be left behind: refused.
    response = browser.post(url, {})
    assert response.status_code == 200
    assert "still exist on the panel" in _html(response)
    assert Order.objects.filter(pk=order.pk).exists()

    response = browser.post(url, {"terminate_accounts": "on"})
    assert response.status_code == 302
    page_response = browser.get(response["Location"])
    assert any("accounts are being terminated" in m for m in _messages(page_response))
    page = _html(page_response)
    assert "Deletion pending: accounts are being terminated" in page
    assert 'id="complete-deletion"' in page
    order.refresh_from_db()
    assert order.delete_requested_at is not None
    assert ProvisioningJob.objects.get(operation="terminate").status == "queued"

    # Complete deletion before the panel confirmed: still pending.
    response = browser.post(url, {"terminate_accounts": "on"})
    assert response.status_code == 302 and Order.objects.filter(pk=order.pk).exists()

    assert run_jobs() == 1
    assert "shop" not in panel.state.users
    response = browser.post(url, {"terminate_accounts": "on"})
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:orders_order_changelist")
    assert not Order.objects.filter(pk=order.pk).exists()
    assert not Service.objects.filter(pk=active_service.pk).exists()
    assert AuditEntry.objects.get(action="order_delete").actor == staff


def test_delete_order_without_accounts_is_immediate(browser, world):
    url = reverse("admin:orders_order_delete_order", args=[world.order.pk])
    response = browser.post(url, {})
    assert response.status_code == 302
    assert not Order.objects.filter(pk=world.order.pk).exists()
