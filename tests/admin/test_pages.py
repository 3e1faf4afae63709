"""Every list, change and add page of the staff area loads, with the test-clock banner."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group
from django.db import transaction
from django.urls import reverse

from moorage.catalog.models import BillingDefaults
from moorage.customers.models import ClientGroup
from moorage.payments.actions import payment_record

pytestmark = pytest.mark.django_db


@pytest.fixture
def full_world(world, other_client, staff, provisioning_rows, metering_rows, settings, tmp_path):  # noqa: ANN001, ANN201
    """At least one row of every model the staff area shows."""
    ClientGroup.objects.create(name="Resellers")
    Group.objects.create(name="Billing staff")
    BillingDefaults.load()
    from moorage.automation.run import automation_run
    from moorage.core.clock import local_date
    from moorage.notifications.actions import notify
    from moorage.services.models import CancellationRequest, ServiceTransfer

    automation_run(today=local_date(world.order.created_at), now=world.order.created_at)
    from moorage.automation.models import AutomationRun, AutomationRunItem

    AutomationRunItem.objects.create(
        run=AutomationRun.objects.get(),
        step="generate_invoices",
        object_type="service",
        object_id=world.service.pk,
        outcome="done",
        message="invoice 000002",
        created_at=world.order.created_at,
    )
    with transaction.atomic():
        notify(
            template="order_cancelled",
            client=world.client,
            dedupe_key="page-test",
            now=world.order.created_at,
            context={"order": world.order},
        )
    from moorage.push.models import PushSubscription

    PushSubscription.objects.create(  # a device that allowed mobile notifications
        client=world.client,
        endpoint="https://fcm.googleapis.com/fcm/send/page-test",
        p256dh="B" + "A" * 86,
        auth="A" * 22,
        user_agent="Mozilla/5.0 (Linux; Android 14) Chrome/131.0",
        created_at=world.order.created_at,
    )
    from moorage.notifications.models import StaffNotificationRecipient

    StaffNotificationRecipient.objects.create(event="staff_upgrade_failed", user=staff)
    CancellationRequest.objects.create(
        service=world.service, type="end_of_period", reason="moving", created_at=world.order.created_at
    )
    ServiceTransfer.objects.create(
        service=world.service, from_client=world.client, to_email="heir@example.com", created_at=world.order.created_at
    )
    payment_record(
        invoice_id=world.invoice.pk,
        amount="4.99",
        gateway="bank_transfer",
        transaction_id="BANK-1",
        now=world.order.created_at,
        actor=staff,
    )
    from moorage.api.actions import api_token_create

    api_token_create(user=staff, now=world.order.created_at, actor=staff, name="page-test")
    from moorage.billing.actions import issue_credit_note

    with transaction.atomic():
        issue_credit_note(
            client=world.client,
            amount="1.00",
            reason="goodwill",
            now=world.order.created_at,
            issue_date=local_date(world.order.created_at),
        )
    from moorage.upgrades.models import UpgradeRequest

    UpgradeRequest.objects.create(  # a row for the upgrades pages (an upgrade that was withdrawn)
        service=world.service,
        kind="cycle_change",
        status="cancelled",
        settlement="invoice",
        from_product=world.starter,
        from_cycle="monthly",
        from_price="4.99",
        to_product=world.starter,
        to_cycle="annually",
        to_price="49.90",
        change_at=world.order.created_at,
        period_start=local_date(world.order.created_at),
        period_end=local_date(world.order.created_at),
        period_cycle="monthly",
        proration_unit="days",
        remaining="0.5",
        charge="1.00",
        created_at=world.order.created_at,
    )
    from django.core.files.uploadedfile import SimpleUploadedFile

    from moorage.servicefunctions.actions import product_download_add, service_note_add
    from moorage.servicefunctions.models import StatusUpdate

    settings.DATA_DIR = tmp_path  # the download's file

    service_note_add(
        service_id=world.service.pk, body="A note", visible_to_client=True, now=world.order.created_at, actor=staff
    )
    update = StatusUpdate.objects.create(
        title="Maintenance", starts_at=world.order.created_at, created_at=world.order.created_at
    )
    update.products.set([world.starter])
    _payments_rows(world)
    _addons_rows(world)
    _component_rows(world)
    product_download_add(
        product_id=world.starter.pk,
        title="Guide",
        upload=SimpleUploadedFile("g.pdf", b"x"),
        now=world.order.created_at,
        actor=staff,
    )
    return world


def _component_rows(world) -> None:  # noqa: ANN001
    """A row of every admin model of the product components and of reconciliation."""
    from moorage.contracts.models import Acceptance, ContractTemplate, ContractVersion
    from moorage.domains.models import Domain, DomainJob, Tld
    from moorage.orderforms.models import FormField
    from moorage.promotions.models import PromoCode
    from moorage.provisioning.models import AppConnection
    from moorage.reconciliation.models import Finding, ReconcileRun

    at = world.order.created_at
    FormField.objects.create(product=world.starter, code="size", label="Size", help="", default="")
    tld = Tld.objects.create(
        name="test", registrar="epp", register_price="10.00", transfer_price="8.00", renew_price="10.00"
    )
    domain = Domain.objects.create(client=world.client, name="world.test", tld=tld, created_at=at)
    DomainJob.objects.create(
        domain=domain,
        operation="register",
        idempotency_key="register:world.test",
        next_attempt_at=at,
        last_error="",
        error_code="",
        created_at=at,
    )
    template = ContractTemplate.objects.create(name="Hosting terms", code="hosting", created_at=at)
    version = ContractVersion.objects.create(template=template, number=1, text="Be nice.")
    Acceptance.objects.create(client=world.client, version=version, kind="contract", accepted_at=at)
    PromoCode.objects.create(code="WORLD10", description="", value="10", created_at=at)
    connection = AppConnection.objects.first()
    Finding.objects.create(
        connection=connection,
        kind="unknown_panel_user",
        username="stray",
        first_seen=at,
        last_seen=at,
        fix="adopt",
        adopt_marker="",
        fix_error="",
    )
    ReconcileRun.objects.create(connection=connection, started_at=at, error="")


def _addons_rows(world) -> None:  # noqa: ANN001
    """An add-on of the catalog, assigned to Starter, and the service's add-on row."""
    from moorage.addons.models import Addon, AddonPrice, ServiceAddon
    from moorage.services.models import ServiceComponent

    addon = Addon.objects.create(name="Extra disk", code="disk", limits={"limit_quota": 1024})
    AddonPrice.objects.create(addon=addon, cycle="monthly", amount="1.00")
    addon.products.set([world.starter])
    component = ServiceComponent.objects.create(
        service=world.service,
        kind="addon",
        source=addon.source,
        description="Add-on: Extra disk",
        recurring_amount="1.00",
        created_at=world.order.created_at,
    )
    ServiceAddon.objects.create(
        service=world.service, addon=addon, component=component, origin="order", created_at=world.order.created_at
    )


def _payments_rows(world) -> None:  # noqa: ANN001
    """A row of each online-payments model (gateway settings, checkout, event log, saved card, held
    payment, auto charge, refund)."""
    from moorage.billing.models import Payment
    from moorage.payments.models import (
        AutoCharge,
        Checkout,
        GatewayConfig,
        GatewayRefund,
        HeldPayment,
        SavedPaymentMethod,
        WebhookEvent,
    )

    at = world.order.created_at
    config = GatewayConfig(code="bank_transfer", enabled=True)
    config.set_settings({"instructions": "Wire it"})
    config.save()
    Checkout.objects.create(
        gateway="stripe",
        invoice=world.invoice,
        client=world.client,
        amount="4.99",
        currency="USD",
        created_at=at,
        updated_at=at,
    )
    WebhookEvent.objects.create(gateway="stripe", event_id="evt_1", kind="paid", received_at=at, outcome="ignored")
    method = SavedPaymentMethod(client=world.client, gateway="stripe", label="Visa 4242", consent_at=at, created_at=at)
    method.token = "pm_1"
    method.save()
    HeldPayment.objects.create(
        gateway="stripe", transaction_id="ch_1", amount="1.00", currency="USD", reason="amount", created_at=at
    )
    AutoCharge.objects.create(invoice=world.invoice, client=world.client, gateway="stripe", created_at=at)
    GatewayRefund.objects.create(
        payment=Payment.objects.first(), gateway="bank_transfer", amount="1.00", currency="USD", created_at=at
    )


def _models():
    return sorted(admin.site._registry.items(), key=lambda item: item[0]._meta.label)


def test_index_and_app_pages_load(browser, full_world):
    assert browser.get(reverse("admin:index")).status_code == 200
    request = _request(browser)
    # An app whose every model is edited from another page (order form fields: the product page) has
    # no index page of its own.
    for label in {m._meta.app_label for m, a in _models() if any(a.get_model_perms(request).values())}:
        assert browser.get(reverse("admin:app_list", args=[label])).status_code == 200, label


def test_every_list_and_change_page_loads(browser, full_world):
    checked = []
    for model, model_admin in _models():
        info = (model._meta.app_label, model._meta.model_name)
        response = browser.get(reverse("admin:{}_{}_changelist".format(*info)), follow=True)
        assert response.status_code == 200, model
        obj = model_admin.get_queryset(_request(browser)).first()
        if obj is None and not model.__module__.startswith("moorage."):
            continue  # third-party rows (task results) the world does not make
        assert obj is not None, f"the world has no {model._meta.label}"
        response = browser.get(reverse("admin:{}_{}_change".format(*info), args=[obj.pk]))
        assert response.status_code == 200, model
        checked.append(model._meta.label)
        if model_admin.has_add_permission(_request(browser)):
            assert browser.get(reverse("admin:{}_{}_add".format(*info))).status_code == 200, model
    assert {
        "customers.Client",
        "billing.Invoice",
        "billing.LedgerEntry",
        "billing.Payment",
        "orders.Order",
        "services.Service",
        "catalog.Product",
        "catalog.OrderPage",
        "core.AuditEntry",
        "catalog.BillingDefaults",
        "customers.RegistrationField",
    } <= set(checked)


def test_list_search_and_filters(browser, full_world):
    client = full_world.client
    url = reverse("admin:customers_client_changelist")
    assert client.user.email in browser.get(url, {"q": client.user.email}).content.decode()
    assert client.user.email not in browser.get(url, {"q": "nobody-like-this"}).content.decode()
    assert browser.get(url, {"status__exact": "active"}).status_code == 200
    invoices = reverse("admin:billing_invoice_changelist")
    page = browser.get(invoices, {"q": str(full_world.invoice.number)}).content.decode()
    assert full_world.invoice.display_number in page
    assert browser.get(invoices, {"q": client.user.email, "status__exact": "paid"}).status_code == 200
    services = reverse("admin:services_service_changelist")
    assert (
        browser.get(services, {"status__exact": "active", "product__id__exact": full_world.starter.pk}).status_code
        == 200
    )


def test_client_page_shows_services_orders_invoices_credit_and_ledger(browser, full_world):
    page = browser.get(reverse("admin:customers_client_change", args=[full_world.client.pk])).content.decode()
    for block in (
        "client-services",
        "client-orders",
        "client-invoices",
        "client-ledger",
        "credit-balance",
        "Login as Client",
    ):
        assert block in page
    assert full_world.invoice.display_number in page
    assert full_world.order.display_number in page
    assert "Overpayment" not in page  # paid exactly


def test_test_clock_banner(browser, full_world, settings):
    assert "test-clock-banner" in browser.get(reverse("admin:index")).content.decode()
    settings.MOORAGE_CLOCK_DATE = ""
    assert "test-clock-banner" not in browser.get(reverse("admin:index")).content.decode()


def test_staff_area_needs_staff(full_world):
    from django.test import Client as Browser

    anonymous = Browser()
    response = anonymous.get(reverse("admin:customers_client_changelist"))
    assert response.status_code == 302 and "/login/" in response["Location"]
    client_user = Browser()
    client_user.force_login(full_world.client.user)
    assert client_user.get(reverse("admin:customers_client_changelist")).status_code == 302


def _request(browser):  # noqa: ANN001, ANN202
    from django.test import RequestFactory

    from moorage.core.models import User

    request = RequestFactory().get("/")
    request.user = User.objects.get(email="staff@example.com")
    return request
