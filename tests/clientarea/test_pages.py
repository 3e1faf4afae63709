"""Dashboard, services, invoices (with PDF and paying from credit), account, log in as client."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.contrib.auth import SESSION_KEY
from django.urls import reverse

from moorage.billing.actions import credit_add
from moorage.billing.models import Invoice, LedgerEntry
from moorage.billing.pdf import render_invoice_pdf
from moorage.billing.queries import client_credit_balance
from moorage.core.models import AuditEntry
from moorage.customers.actions import client_login_as
from moorage.customers.models import Client
from moorage.payments.actions import payment_record
from moorage.services.models import Service
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def service_of(order) -> Service:  # noqa: ANN001
    return order.items.get().service


# --- permissions ---------------------------------------------------------------------------------

PRIVATE_PAGES = ["dashboard", "services", "invoices", "account", "password"]


@pytest.mark.parametrize("name", PRIVATE_PAGES)
def test_anonymous_is_sent_to_sign_in(client, db, name):
    url = reverse(f"clientarea:{name}")
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('clientarea:login')}?next={url}"


def test_anonymous_cannot_see_an_invoice_or_service(client, order):
    for url in (
        reverse("clientarea:invoice", args=[order.invoice.number]),
        reverse("clientarea:invoice_pdf", args=[order.invoice.number]),
        reverse("clientarea:service", args=[service_of(order).pk]),
        reverse("clientarea:order_complete", args=[order.number]),
    ):
        assert client.get(url)["Location"].startswith(reverse("clientarea:login"))
    response = client.post(reverse("clientarea:invoice_pay_credit", args=[order.invoice.number]))
    assert response["Location"].startswith(reverse("clientarea:login"))


@pytest.mark.parametrize("name", ["invoice", "invoice_pdf"])
def test_another_clients_invoice_is_404(signed_in, other_order, name):
    assert signed_in.get(reverse(f"clientarea:{name}", args=[other_order.invoice.number])).status_code == 404


def test_another_clients_service_is_404(signed_in, other_order):
    assert signed_in.get(reverse("clientarea:service", args=[service_of(other_order).pk])).status_code == 404


def test_paying_another_clients_invoice_from_credit_is_404(signed_in, client_account, other_order, now):
    credit_add(client=client_account, amount=Decimal("50.00"), reason="goodwill", now=now, actor=None)
    url = reverse("clientarea:invoice_pay_credit", args=[other_order.invoice.number])
    assert signed_in.post(url).status_code == 404
    assert client_credit_balance(client_account) == Decimal("50.00")


def test_lists_show_only_own_rows(signed_in, order, other_order):
    invoices = signed_in.get(reverse("clientarea:invoices")).context["invoices"]
    assert list(invoices) == [order.invoice]
    services = signed_in.get(reverse("clientarea:services")).context["services"]
    assert list(services) == [service_of(order)]


# --- dashboard and services ----------------------------------------------------------------------


def test_dashboard(signed_in, client_account, order, now):
    credit_add(client=client_account, amount=Decimal("2.00"), reason="goodwill", now=now, actor=None)
    response = signed_in.get(reverse("clientarea:dashboard"))
    page = response.content.decode()
    assert "Welcome back, Jane" in page
    assert "Starter Hosting" in page and "example.com" in page
    assert f"#{order.invoice.display_number}" in page
    assert response.context["amount_due"] == Decimal("4.99")
    assert response.context["credit"] == Decimal("2.00")
    assert "2.00 USD" in page


def test_service_detail_pending_then_active(signed_in, order, now):
    service = service_of(order)
    url = reverse("clientarea:service", args=[service.pk])
    page = signed_in.get(url).content.decode()
    assert "Pending" in page and "starts once its first invoice is paid" in page
    assert f"#{order.invoice.display_number}" in page

    payment_record(
        invoice_id=order.invoice.pk,
        amount="4.99",
        gateway="bank_transfer",
        transaction_id="BT-1",
        now=now + dt.timedelta(days=2),
        actor=None,
    )

    response = signed_in.get(url)
    page = response.content.decode()
    assert '<dd data-testid="service-status">Active</dd>' in page
    assert '<dd data-testid="start-date">2026-01-15</dd>' in page
    assert '<dd data-testid="next-due-date">2026-02-15</dd>' in page
    assert '<dd data-testid="expiry-date">2026-02-14</dd>' in page
    assert "Monthly" in page and order.display_number in page


def test_services_list(signed_in, order):
    page = signed_in.get(reverse("clientarea:services")).content.decode()
    assert "Starter Hosting" in page and "4.99 USD" in page and "Pending" in page


# --- invoices ------------------------------------------------------------------------------------


def test_invoice_page(signed_in, order):
    invoice = order.invoice
    response = signed_in.get(reverse("clientarea:invoice", args=[invoice.number]))
    page = response.content.decode()
    assert f"Invoice #{invoice.display_number}" in page
    assert "Starter Hosting - example.com" in page
    assert "2026-01-15 – 2026-02-14" in page  # the period the line bills
    assert '<td class="num" data-testid="invoice-total">4.99 USD</td>' in page
    assert '<td class="num" data-testid="invoice-outstanding">4.99 USD</td>' in page
    assert '<dd data-testid="due-date">2026-01-15</dd>' in page
    assert "Unpaid" in page
    assert f"Invoice {invoice.display_number}</strong> as the payment reference" in page
    assert "Pay from credit balance" not in page  # no credit
    assert response.context["paid"] == Decimal("0.00")


def test_invoice_list_filter(signed_in, order, now):
    url = reverse("clientarea:invoices")
    assert list(signed_in.get(url + "?status=paid").context["invoices"]) == []
    assert list(signed_in.get(url + "?status=unpaid").context["invoices"]) == [order.invoice]
    assert list(signed_in.get(url + "?status=bogus").context["invoices"]) == [order.invoice]


def test_paid_invoice_shows_the_transaction(signed_in, order, now):
    payment_record(
        invoice_id=order.invoice.pk,
        amount="4.99",
        gateway="bank_transfer",
        transaction_id="BT-77",
        now=now,
        actor=None,
    )
    response = signed_in.get(reverse("clientarea:invoice", args=[order.invoice.number]))
    page = response.content.decode()
    assert "BT-77" in page and "Bank / Wire Transfer" in page
    assert response.context["paid"] == Decimal("4.99") and response.context["outstanding"] == Decimal("0.00")
    assert "this invoice was paid on" in page


def test_bank_transfer_is_offered_only_while_enabled(signed_in, order, now):
    from moorage.payments.models import GatewayConfig

    url = reverse("clientarea:invoice", args=[order.invoice.number])
    assert "Transfer the amount to our bank account" in signed_in.get(url).content.decode()
    GatewayConfig.objects.update_or_create(code="bank_transfer", defaults={"enabled": False, "updated_at": now})
    assert "Transfer the amount to our bank account" not in signed_in.get(url).content.decode()


def test_pay_from_credit(signed_in, client_account, order, now):
    credit_add(client=client_account, amount=Decimal("10.00"), reason="goodwill", now=now, actor=None)
    url = reverse("clientarea:invoice", args=[order.invoice.number])
    assert "Pay from credit balance" in signed_in.get(url).content.decode()

    response = signed_in.post(reverse("clientarea:invoice_pay_credit", args=[order.invoice.number]), follow=True)

    assert "was paid from your credit balance (4.99 USD)" in response.content.decode()
    order.invoice.refresh_from_db()
    assert order.invoice.status == Invoice.Status.PAID
    assert client_credit_balance(client_account) == Decimal("5.01")
    assert service_of(order).status == Service.Status.ACTIVE
    assert AuditEntry.objects.get(action="invoice_pay_from_credit").actor == client_account.user


def test_pay_from_credit_partly(signed_in, client_account, order, now):
    credit_add(client=client_account, amount=Decimal("1.00"), reason="goodwill", now=now, actor=None)
    response = signed_in.post(reverse("clientarea:invoice_pay_credit", args=[order.invoice.number]), follow=True)
    assert "1.00 USD of your credit balance was applied" in response.content.decode()
    order.invoice.refresh_from_db()
    assert order.invoice.status == Invoice.Status.UNPAID


def test_pay_from_credit_without_credit_is_refused(signed_in, order):
    response = signed_in.post(reverse("clientarea:invoice_pay_credit", args=[order.invoice.number]), follow=True)
    assert "there is no credit balance to apply" in response.content.decode()
    assert not LedgerEntry.objects.filter(kind=LedgerEntry.Kind.CREDIT_APPLIED).exists()
    assert signed_in.get(reverse("clientarea:invoice_pay_credit", args=[order.invoice.number])).status_code == 405


def test_invoice_pdf_download(signed_in, order):
    response = signed_in.get(reverse("clientarea:invoice_pdf", args=[order.invoice.number]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert f'filename="invoice-{order.invoice.display_number}.pdf"' in response["Content-Disposition"]
    assert response.content.startswith(b"%PDF")


def test_render_invoice_pdf_contains_the_invoice(order):
    from moorage.billing.pdf import render_invoice_html

    html = render_invoice_html(order.invoice)
    assert f"No. {order.invoice.display_number}" in html and "Starter Hosting - example.com" in html
    assert "2026-01-15 – 2026-02-14" in html and "4.99 USD" in html
    assert render_invoice_pdf(order.invoice).startswith(b"%PDF")


# --- account -------------------------------------------------------------------------------------


def account_data(client: Client, **overrides) -> dict:  # noqa: ANN003
    data = {
        "email": client.email,
        "first_name": client.first_name,
        "last_name": client.last_name,
        "organization": "",
        "address1": "",
        "address2": "",
        "city": "",
        "state": "",
        "zip_code": "",
        "country": "",
        "phone": "",
        "account_type": "",
    }
    data.update(overrides)
    return data


def test_account_edit(signed_in, client_account):
    page = signed_in.get(reverse("clientarea:account")).content.decode()
    assert f'value="{client_account.email}"' in page and 'value="Jane"' in page

    response = signed_in.post(
        reverse("clientarea:account"),
        account_data(client_account, city="Berlin", country="de", email="jane@new.example"),
    )

    assert response["Location"] == reverse("clientarea:account")
    client_account.refresh_from_db()
    assert (client_account.city, client_account.country, client_account.email) == (
        "Berlin",
        "DE",
        "jane@new.example",
    )


def test_account_edit_with_a_taken_email(signed_in, client_account, other_client):
    response = signed_in.post(
        reverse("clientarea:account"),
        account_data(client_account, city="Berlin", email=other_client.email),
    )
    assert response.context["form"].errors["email"] == ["A client with this email address already exists"]
    client_account.refresh_from_db()
    assert client_account.city == ""


def test_account_edit_required_field(signed_in, client_account):
    response = signed_in.post(reverse("clientarea:account"), account_data(client_account, first_name=""))
    assert response.context["form"].errors["first_name"]


def test_password_change(signed_in, client_account):
    url = reverse("clientarea:password")
    response = signed_in.post(
        url,
        {
            "current_password": "wrong-one-123",
            "password": "N3w-Secret-Pass",
            "password2": "N3w-Secret-Pass",
        },
    )
    assert response.context["form"].errors["current_password"]
    response = signed_in.post(url, {"current_password": PASSWORD, "password": "short", "password2": "short"})
    assert response.context["form"].errors["password"]

    response = signed_in.post(
        url,
        {
            "current_password": PASSWORD,
            "password": "N3w-Secret-Pass",
            "password2": "N3w-Secret-Pass",
        },
    )

    assert response["Location"] == reverse("clientarea:account")
    assert signed_in.get(reverse("clientarea:dashboard")).status_code == 200  # still signed in
    client_account.user.refresh_from_db()
    assert client_account.user.check_password("N3w-Secret-Pass")


# --- log in as client, test clock ----------------------------------------------------------------


def impersonate(django_client, staff, client_account, now):  # noqa: ANN001, ANN201
    """What the staff area does: the audited action, then login as the client, then the marker."""
    django_client.force_login(staff)
    user = client_login_as(client=client_account, staff=staff, now=now)
    django_client.force_login(user)
    session = django_client.session
    session["impersonator_id"] = staff.pk
    session.save()


def test_log_in_as_client_banner_and_return(client, staff, client_account, now):
    impersonate(client, staff, client_account, now)

    page = client.get(reverse("clientarea:dashboard")).content.decode()
    assert "Logged in as client by staff" in page
    assert reverse("clientarea:stop_impersonation") in page

    response = client.post(reverse("clientarea:stop_impersonation"))

    assert response.status_code == 302 and response["Location"].startswith("/admin/")
    assert client.session[SESSION_KEY] == str(staff.pk)
    assert "impersonator_id" not in client.session


def test_actions_while_logged_in_as_client_are_attributed_to_staff(client, staff, client_account, order, now):
    credit_add(client=client_account, amount=Decimal("10.00"), reason="goodwill", now=now, actor=None)
    impersonate(client, staff, client_account, now)
    client.post(reverse("clientarea:invoice_pay_credit", args=[order.invoice.number]))
    assert AuditEntry.objects.get(action="invoice_pay_from_credit").actor == staff


def test_stop_impersonation_without_a_staff_marker_just_signs_out(signed_in):
    response = signed_in.post(reverse("clientarea:stop_impersonation"))
    assert response["Location"] == reverse("clientarea:login")
    assert SESSION_KEY not in signed_in.session


def test_no_banner_for_a_client(signed_in):
    assert "Logged in as client by staff" not in signed_in.get(reverse("clientarea:dashboard")).content.decode()


def test_test_clock_banner(client, settings, db):
    page = client.get(reverse("clientarea:login")).content.decode()
    assert "Test clock" in page and "2026-01-15" in page
    settings.MOORAGE_CLOCK_DATE = ""
    assert "Test clock" not in client.get(reverse("clientarea:login")).content.decode()
