"""Client-area pages of Change Label, Change Ownership, Logs, Manual Service Renew, New Direct Link,
Related Services and Reset Password: each works for the owner, is a 404 for another client, a 403
when the product does not enable it, and the panel password goes to the emulator over real HTTP."""

from __future__ import annotations

import datetime as dt
import logging

import pytest
from django.test import Client as DjangoClient
from django.urls import reverse

from moorage.billing.models import Invoice
from moorage.catalog.models import Product
from moorage.core.models import AuditEntry
from moorage.orders.actions import CartItem, order_checkout
from moorage.provisioning.models import PanelAccount, ProvisioningJob
from moorage.provisioning.runner import run_due_jobs
from moorage.services.models import Service, ServiceTransfer
from tests import factories

pytestmark = pytest.mark.django_db

PAGES = [
    ("service_change_label", "change_label"),
    ("service_change_ownership", "change_ownership"),
    ("service_change_ownership_withdraw", "change_ownership"),
    ("service_logs", "logs"),
    ("service_manual_renew", "manual_renew"),
    ("service_direct_link", "direct_link"),
    ("service_related_services", "related_services"),
    ("service_reset_password", "reset_password"),
]


def paid_service(client_obj, product, now, hostname="example.com", cycle="monthly"):  # noqa: ANN001, ANN201
    return factories.paid_service(client_obj, product, now=now, hostname=hostname, cycle=cycle)


@pytest.fixture
def plain(shared_page):  # noqa: ANN001, ANN201
    return factories.product(shared_page, name="Plain", prices={"monthly": "10.00"})


@pytest.fixture
def mine(client_account, plain, now):  # noqa: ANN001, ANN201
    return paid_service(client_account, plain, now)


@pytest.fixture
def theirs(other_client, plain, now):  # noqa: ANN001, ANN201
    return paid_service(other_client, plain, now, hostname="other.example")


def url(name: str, service: Service) -> str:
    return reverse(f"clientarea:{name}", args=[service.pk])


# --- isolation and enablement ----------------------------------------------------------------------


@pytest.mark.parametrize(("name", "code"), PAGES)
def test_another_clients_service_is_404_on_every_page(signed_in, theirs, name, code, unchanged):
    with unchanged():
        assert signed_in.get(url(name, theirs)).status_code == 404
        data = {"label": "x", "email": "client1@example.com", "confirm": "on", "mode": "generate"}
        assert signed_in.post(url(name, theirs), data).status_code == 404


@pytest.mark.parametrize(("name", "code"), PAGES)
def test_disabled_function_is_403_with_the_reason(signed_in, mine, name, code, unchanged):
    Product.objects.filter(pk=mine.product_id).update(client_functions=[])
    with unchanged():
        assert signed_in.get(url(name, mine)).status_code == 403
        assert signed_in.post(url(name, mine), {"label": "x", "mode": "generate"}).status_code == 403


@pytest.mark.parametrize(("name", "code"), PAGES)
def test_signed_out_goes_to_login(client, mine, name, code):
    response = client.get(url(name, mine))
    assert response.status_code == 302 and reverse("clientarea:login") in response["Location"]


# --- Change Label ----------------------------------------------------------------------------------


def test_change_label(signed_in, mine, client_account):
    response = signed_in.post(url("service_change_label", mine), {"label": "Company site"}, follow=True)
    assert response.status_code == 200
    mine.refresh_from_db()
    assert mine.label == "Company site"
    assert "Company site" in signed_in.get(reverse("clientarea:services")).content.decode()
    assert AuditEntry.objects.get(action="service_label").actor == client_account.user


def test_change_label_refuses_long_and_control_text(signed_in, mine):
    for bad in ("x" * 101, "bell\x07"):
        response = signed_in.post(url("service_change_label", mine), {"label": bad})
        assert response.status_code == 200 and 'class="error"' in response.content.decode()
    mine.refresh_from_db()
    assert mine.label == ""


# --- Change Ownership ------------------------------------------------------------------------------


def test_change_ownership_request_withdraw_and_same_answer(signed_in, mine, other_client):
    page = url("service_change_ownership", mine)
    answers = []
    for email in ("other@example.com", "nobody@example.com"):
        response = signed_in.post(page, {"email": email, "confirm": "on"}, follow=True)
        answers.append(response.content.decode().count("If this address belongs to a client"))
        assert 'data-testid="transfer-pending"' in response.content.decode()
        signed_in.post(url("service_change_ownership_withdraw", mine))
    assert answers == [1, 1]
    assert set(ServiceTransfer.objects.values_list("status", flat=True)) == {"withdrawn"}
    mine.refresh_from_db()
    assert mine.client != other_client


def test_change_ownership_direct_moves_the_service(signed_in, mine, other_client, settings):
    settings.MOORAGE_SERVICE_TRANSFER_DIRECT = True
    response = signed_in.post(url("service_change_ownership", mine), {"email": "other@example.com", "confirm": "on"})
    assert response.status_code == 302 and response["Location"] == reverse("clientarea:services")
    mine.refresh_from_db()
    assert mine.client == other_client
    # The old owner lost it: every page of it is now a 404 for them.
    assert signed_in.get(url("service_logs", mine)).status_code == 404


def test_change_ownership_needs_the_confirmation(signed_in, mine):
    response = signed_in.post(url("service_change_ownership", mine), {"email": "other@example.com"})
    assert response.status_code == 200
    assert not ServiceTransfer.objects.exists()


def test_staff_approve_in_the_staff_area(signed_in, mine, other_client, staff, client):
    signed_in.post(url("service_change_ownership", mine), {"email": "other@example.com", "confirm": "on"})
    transfer = ServiceTransfer.objects.get()
    admin = DjangoClient()
    admin.force_login(staff)
    changelist = reverse("admin:services_servicetransfer_changelist")
    assert admin.get(changelist).status_code == 200
    response = admin.post(changelist, {"action": "approve_selected", "_selected_action": [transfer.pk]}, follow=True)
    assert response.status_code == 200
    mine.refresh_from_db()
    assert mine.client == other_client
    page = admin.get(reverse("admin:services_service_change", args=[mine.pk])).content.decode()
    assert 'id="service-log"' in page and "service_transfer" in page


# --- Logs ------------------------------------------------------------------------------------------


def test_logs_page_lists_events_newest_first_without_panel_errors(signed_in, mine, client_account):
    signed_in.post(url("service_change_label", mine), {"label": "One"})
    ProvisioningJob.objects.create(
        service=mine,
        operation="create",
        idempotency_key="k",
        status="failed",
        next_attempt_at=mine.created_at,
        created_at=mine.created_at,
        last_error="panel secret: Connection refused at 10.0.0.5",
    )
    response = signed_in.get(url("service_logs", mine))
    page = response.content.decode()
    assert response.status_code == 200
    assert "Label changed" in page and "You" in page
    assert "Control panel: Create" in page
    assert "10.0.0.5" not in page and "panel secret" not in page
    assert page.index("Label changed") < page.index("Status: Pending")


def test_logs_are_paginated(signed_in, mine, client_account, now):
    for i in range(30):
        AuditEntry.objects.create(
            created_at=now + dt.timedelta(minutes=i),
            actor=client_account.user,
            action="service_label",
            object_type="services.service",
            object_id=str(mine.pk),
            message=f"entry {i}",
        )
    first = signed_in.get(url("service_logs", mine)).content.decode()
    assert "entry 29" in first and "entry 0<" not in first and 'data-testid="log-pager"' in first
    second = signed_in.get(url("service_logs", mine) + "?page=2").content.decode()
    assert "entry 0<" in second


# --- Manual Service Renew --------------------------------------------------------------------------


def test_manual_renew_double_submit_makes_one_invoice(signed_in, mine, client_account):
    page = url("service_manual_renew", mine)
    assert 'data-testid="renew-submit"' in signed_in.get(page).content.decode()
    first = signed_in.post(page)
    second = signed_in.post(page)
    invoice = Invoice.objects.get(client=client_account, kind=Invoice.Kind.RENEWAL)
    target = reverse("clientarea:invoice", args=[invoice.number])
    assert first["Location"] == target and second["Location"] == target


def test_manual_renew_refusal_is_shown(signed_in, client_account, shared_page, now):
    once = factories.product(shared_page, name="Once", prices={"one_time": "5.00"})
    service = paid_service(client_account, once, now, cycle="one_time")
    response = signed_in.get(url("service_manual_renew", service))
    assert 'data-testid="renew-refusal"' in response.content.decode()
    signed_in.post(url("service_manual_renew", service))
    assert not Invoice.objects.filter(kind=Invoice.Kind.RENEWAL).exists()


# --- New Direct Link -------------------------------------------------------------------------------


def test_direct_link_opens_for_the_owner_only_and_rotates(signed_in, mine, other_client, client):
    page = url("service_direct_link", mine)
    assert signed_in.get(page).status_code == 200
    assert not Service.objects.get(pk=mine.pk).direct_link_token  # a GET makes nothing
    signed_in.post(page)
    token = Service.objects.get(pk=mine.pk).direct_link_token
    link = reverse("clientarea:direct_link_open", args=[token])
    assert link in signed_in.get(page).content.decode()
    response = signed_in.get(link)
    assert response.status_code == 302 and response["Location"] == reverse("clientarea:service", args=[mine.pk])

    stranger = DjangoClient()
    stranger.force_login(other_client.user)
    assert stranger.get(link).status_code == 404
    signed_out = DjangoClient().get(link)
    assert signed_out.status_code == 302 and "login" in signed_out["Location"] and "next=" in signed_out["Location"]

    signed_in.post(page)
    assert signed_in.get(link).status_code == 404  # the old link stopped at once
    assert signed_in.get(reverse("clientarea:direct_link_open", args=["x" * 500])).status_code == 404


def test_direct_link_of_a_disabled_function_is_403(signed_in, mine):
    signed_in.post(url("service_direct_link", mine))
    token = Service.objects.get(pk=mine.pk).direct_link_token
    Product.objects.filter(pk=mine.product_id).update(client_functions=[])
    assert signed_in.get(reverse("clientarea:direct_link_open", args=[token])).status_code == 403


# --- Related Services ------------------------------------------------------------------------------


def test_related_services_are_the_same_orders_and_the_clients_own(signed_in, client_account, other_client, plain, now):
    order = order_checkout(
        client=client_account,
        items=[CartItem(plain.pk, "monthly", "one.example"), CartItem(plain.pk, "monthly", "two.example")],
        now=now,
    )
    one, two = (item.service for item in order.items.order_by("pk"))
    alone = paid_service(client_account, plain, now, hostname="alone.example")
    page = signed_in.get(url("service_related_services", one)).content.decode()
    assert "two.example" in page and "alone.example" not in page and "one.example</a>" not in page
    # After `two` moves to another client it is theirs: no longer listed to the first owner.
    Service.objects.filter(pk=two.pk).update(client=other_client)
    page = signed_in.get(url("service_related_services", one)).content.decode()
    assert "two.example" not in page and 'data-testid="related-empty"' in page
    assert 'data-testid="related-empty"' in signed_in.get(url("service_related_services", alone)).content.decode()


# --- Reset Password --------------------------------------------------------------------------------


def test_reset_password_without_panel_account(signed_in, mine):
    page = signed_in.get(url("service_reset_password", mine)).content.decode()
    assert reverse("clientarea:password") in page and 'data-testid="no-panel-account"' in page
    signed_in.post(url("service_reset_password", mine), {"mode": "generate"})
    assert not ProvisioningJob.objects.filter(operation="change_password").exists()


@pytest.fixture
def on_panel(panel, hosting, client_account, now):  # noqa: ANN001, ANN201
    service = paid_service(client_account, hosting, now, hostname="shop.example.com")
    assert run_due_jobs(now=now) == 1
    return service


def test_reset_panel_password_typed_reaches_the_emulator(signed_in, on_panel, panel, now, caplog):
    account = PanelAccount.objects.get(service=on_panel)
    old = account.password
    caplog.set_level(logging.DEBUG)
    new = "Typed-Passw0rd-42"
    response = signed_in.post(
        url("service_reset_password", on_panel), {"mode": "type", "password": new, "password2": new}
    )
    assert response.status_code == 200 and new not in response.content.decode()
    assert response["Cache-Control"].startswith("max-age=0") or "no-cache" in response["Cache-Control"]
    run_due_jobs(now=now + dt.timedelta(days=1))
    user = account.username
    assert panel.call("whoami", authinfo=f"{user}:{new}")["doc"].get("error") is None
    assert panel.call("whoami", authinfo=f"{user}:{old}")["doc"].get("error") is not None
    job = ProvisioningJob.objects.get(service=on_panel, operation="change_password")
    assert new not in str(job.params) and new not in caplog.text
    assert all(new not in (a.message + str(a.data)) for a in AuditEntry.objects.all())


def test_reset_panel_password_generated_is_shown_once(signed_in, on_panel, panel, now):
    response = signed_in.post(url("service_reset_password", on_panel), {"mode": "generate"})
    page = response.content.decode()
    assert 'data-testid="new-panel-password"' in page
    shown = PanelAccount.objects.get(service=on_panel).password
    assert shown in page
    assert shown not in signed_in.get(url("service_reset_password", on_panel)).content.decode()


@pytest.mark.parametrize(
    ("password", "password2"),
    [
        ("short1A", "short1A"),
        ("alllowercase123", "alllowercase123"),
        ("Has space 1234", "Has space 1234"),
        ("Quote'd-Passw0rd", "Quote'd-Passw0rd"),
        ("Good-Passw0rd-1", "Other-Passw0rd-1"),
    ],
)
def test_reset_panel_password_refuses_weak_or_odd(signed_in, on_panel, password, password2):
    response = signed_in.post(
        url("service_reset_password", on_panel), {"mode": "type", "password": password, "password2": password2}
    )
    assert response.status_code == 200 and 'class="error"' in response.content.decode()
    assert not ProvisioningJob.objects.filter(operation="change_password").exists()


def test_reset_panel_password_twice_is_refused_while_the_job_waits(signed_in, on_panel):
    signed_in.post(url("service_reset_password", on_panel), {"mode": "generate"})
    response = signed_in.post(url("service_reset_password", on_panel), {"mode": "generate"})
    assert "already queued" in response.content.decode()
    assert ProvisioningJob.objects.filter(operation="change_password").count() == 1


def test_change_ownership_gives_the_panel_account_a_new_password(
    signed_in, on_panel, panel, other_client, now, settings
):
    """The previous owner knows the panel password: after the move it no longer works."""
    settings.MOORAGE_SERVICE_TRANSFER_DIRECT = True
    account = PanelAccount.objects.get(service=on_panel)
    old = account.password
    signed_in.post(url("service_change_ownership", on_panel), {"email": "other@example.com", "confirm": "on"})
    assert ProvisioningJob.objects.filter(service=on_panel, operation="change_password").count() == 1
    run_due_jobs(now=now + dt.timedelta(days=1))
    account.refresh_from_db()
    assert account.password != old
    assert panel.call("whoami", authinfo=f"{account.username}:{old}")["doc"].get("error") is not None
    assert panel.call("whoami", authinfo=f"{account.username}:{account.password}")["doc"].get("error") is None


def test_the_new_owner_does_not_see_the_previous_owners_status_history(client, mine, other_client, staff, now):
    from moorage.services.actions import service_set_status, service_transfer_request

    service_set_status(service_id=mine.pk, status="suspended", now=now, actor=staff, reason="old owner's abuse case")
    later = now + dt.timedelta(days=1)
    service_set_status(service_id=mine.pk, status="active", now=later, actor=staff)
    service_transfer_request(
        service_id=mine.pk, email="other@example.com", now=later + dt.timedelta(hours=1), actor=staff
    )
    client.force_login(other_client.user)
    page = client.get(reverse("clientarea:service", args=[mine.pk])).content.decode()
    assert "abuse case" not in page and "Suspended" not in page
    logs = client.get(url("service_logs", mine)).content.decode()
    assert "Suspended" not in logs
