"""The faces: Request cancellation and Withdraw on the client's service page, the client's credit
notes with PDF, and the staff area (requests, Process now, Withdraw, Request cancellation, Remove
credit, Refund to credit, credit notes). Another client's rows are 404."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import Client as Browser
from django.urls import reverse

from moorage.billing.actions import credit_add
from moorage.billing.models import CreditNote, Invoice, LedgerEntry
from moorage.billing.queries import client_credit_balance
from moorage.cancellations.actions import cancellation_request
from moorage.services.models import CancellationRequest, Service
from tests import factories
from tests.automation.conftest import at
from tests.cancellations.conftest import MARCH_1, D, ordered, plan

pytestmark = pytest.mark.django_db
CLOCK = "2026-03-11T10:05:00+00:00"


@pytest.fixture(autouse=True)
def test_clock(settings):  # noqa: ANN001, ANN201
    settings.MOORAGE_CLOCK_DATE = CLOCK


@pytest.fixture
def signed_in(client_account) -> Browser:  # noqa: ANN001
    browser = Browser()
    browser.force_login(client_account.user)
    return browser


@pytest.fixture
def staff_browser(staff) -> Browser:  # noqa: ANN001
    browser = Browser()
    browser.force_login(staff)
    return browser


@pytest.fixture
def other_service(shared_page):  # noqa: ANN001, ANN201
    other = factories.client(email="other@example.com", first_name="Otto")
    return ordered(other, plan(shared_page, name="Other plan"))


# --- client area -----------------------------------------------------------------------------------


def test_request_immediate_cancellation_from_the_service_page(shared_page, client_account, signed_in):
    service = ordered(client_account, plan(shared_page, prorate_cancellations="prepaid"))
    page = signed_in.get(reverse("clientarea:service", args=[service.pk])).content.decode()
    assert 'data-testid="request-cancellation"' in page
    form = signed_in.get(reverse("clientarea:service_cancel", args=[service.pk])).content.decode()
    assert 'value="immediate"' in form and 'value="end_of_period"' in form
    response = signed_in.post(
        reverse("clientarea:service_cancel", args=[service.pk]),
        {"type": "immediate", "reason": "too slow"},
        follow=True,
    )
    assert "Your service was cancelled." in response.content.decode()
    service.refresh_from_db()
    assert service.status == "cancelled"
    request = CancellationRequest.objects.get()
    assert (request.reason, request.requested_by) == ("too slow", client_account.user)
    # The credit note of the unused 20 of 31 days is in Credit notes, with its PDF.
    note = CreditNote.objects.get()
    assert note.amount == Decimal("20.00")
    listing = signed_in.get(reverse("clientarea:credit_notes")).content.decode()
    assert "CN-000001" in listing and "20.00" in listing
    detail = signed_in.get(reverse("clientarea:credit_note", args=[note.number])).content.decode()
    assert "Credit note CN-000001" in detail
    pdf = signed_in.get(reverse("clientarea:credit_note_pdf", args=[note.number]))
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    assert 'filename="credit-note-CN-000001.pdf"' in pdf["Content-Disposition"]


def test_end_of_period_request_shows_pending_with_withdraw(shared_page, client_account, signed_in):
    service = ordered(client_account, plan(shared_page, cancellation_immediate=False))
    form = signed_in.get(reverse("clientarea:service_cancel", args=[service.pk])).content.decode()
    assert 'value="immediate"' not in form and 'value="end_of_period"' in form
    response = signed_in.post(
        reverse("clientarea:service_cancel", args=[service.pk]),
        {"type": "end_of_period", "reason": "moving"},
        follow=True,
    )
    page = response.content.decode()
    assert "at the end of its billing period, on 2026-03-31." in page
    assert 'data-testid="cancellation-pending"' in page and "the service ends on <strong>2026-03-31</strong>" in page
    response = signed_in.post(reverse("clientarea:service_cancel_withdraw", args=[service.pk]), follow=True)
    assert "withdrawn" in response.content.decode()
    assert CancellationRequest.objects.get().status == "withdrawn"
    assert Service.objects.get(pk=service.pk).status == "active"


def test_form_errors_and_refusals_are_shown(shared_page, client_account, signed_in):
    service = ordered(client_account, plan(shared_page))
    url = reverse("clientarea:service_cancel", args=[service.pk])
    response = signed_in.post(url, {"type": "immediate", "reason": ""})
    assert response.status_code == 200 and "This field is required." in response.content.decode()
    assert not CancellationRequest.objects.exists()
    response = signed_in.post(url, {"type": "bogus", "reason": "x"})
    assert "Select a valid choice" in response.content.decode()
    closed = ordered(client_account, plan(shared_page, name="Locked", allow_cancellations="no"))
    page = signed_in.get(reverse("clientarea:service", args=[closed.pk])).content.decode()
    assert 'data-testid="request-cancellation"' not in page
    assert "Locked cannot be cancelled by the client; please contact us." in page
    response = signed_in.post(
        reverse("clientarea:service_cancel", args=[closed.pk]), {"type": "immediate", "reason": "x"}
    )
    assert response.status_code == 200 and not CancellationRequest.objects.exists()


def test_too_early_shows_the_first_allowed_day(shared_page, client_account, signed_in):
    service = ordered(client_account, plan(shared_page, allow_cancellations="after_days", cancellation_after_days=30))
    page = signed_in.get(reverse("clientarea:service_cancel", args=[service.pk])).content.decode()
    assert "can be cancelled from 2026-03-31 (30 days after the account was created)" in page


def test_another_clients_service_and_credit_note_are_404(shared_page, signed_in, other_service):
    assert signed_in.get(reverse("clientarea:service_cancel", args=[other_service.pk])).status_code == 404
    response = signed_in.post(
        reverse("clientarea:service_cancel", args=[other_service.pk]), {"type": "immediate", "reason": "x"}
    )
    assert response.status_code == 404
    cancellation_request(
        service_id=other_service.pk, type="end_of_period", reason="mine", now=at(MARCH_1, 12), actor=None
    )
    assert signed_in.post(reverse("clientarea:service_cancel_withdraw", args=[other_service.pk])).status_code == 404
    assert CancellationRequest.objects.get().status == "pending"
    from django.db import transaction

    from moorage.billing.actions import issue_credit_note

    with transaction.atomic():
        note = issue_credit_note(
            client=other_service.client, amount="5.00", reason="theirs", now=at(MARCH_1), issue_date=MARCH_1
        )
    assert signed_in.get(reverse("clientarea:credit_note", args=[note.number])).status_code == 404
    assert signed_in.get(reverse("clientarea:credit_note_pdf", args=[note.number])).status_code == 404
    assert "CN-000001" not in signed_in.get(reverse("clientarea:credit_notes")).content.decode()


def test_anonymous_is_sent_to_sign_in(shared_page, client_account):
    service = ordered(client_account, plan(shared_page))
    for url in (reverse("clientarea:service_cancel", args=[service.pk]), reverse("clientarea:credit_notes")):
        assert Browser().get(url).status_code == 302


# --- staff area ------------------------------------------------------------------------------------


def test_staff_lists_processes_and_withdraws_requests(shared_page, client_account, staff_browser):
    service = ordered(client_account, plan(shared_page, prorate_cancellations="prepaid"))
    request = cancellation_request(
        service_id=service.pk, type="end_of_period", reason="moving", now=at(D(2026, 3, 10)), actor=None
    )
    listing = staff_browser.get(reverse("admin:services_cancellationrequest_changelist"), {"status__exact": "pending"})
    assert listing.status_code == 200 and "moving" in listing.content.decode()
    page = staff_browser.get(reverse("admin:services_cancellationrequest_change", args=[request.pk])).content.decode()
    assert "Process now" in page and "Withdraw" in page and "2026-04-01" in page
    # Process now (an end-of-period request, processed early by staff: no credit for that type).
    url = reverse("admin:cancellations_request_process", args=[request.pk])
    assert staff_browser.get(url).status_code == 200
    response = staff_browser.post(url, follow=True)
    assert "Cancellation processed: cancelled." in response.content.decode()
    request.refresh_from_db()
    assert request.status == "processed"
    page = staff_browser.get(reverse("admin:services_cancellationrequest_change", args=[request.pk])).content.decode()
    assert "Process now" not in page


def test_staff_requests_immediate_cancellation_with_credit(shared_page, client_account, staff, staff_browser):
    service = ordered(client_account, plan(shared_page, allow_cancellations="no", prorate_cancellations="prepaid"))
    service_page = staff_browser.get(reverse("admin:services_service_change", args=[service.pk])).content.decode()
    assert 'id="request-cancellation"' in service_page
    url = reverse("admin:cancellations_request_for_service", args=[service.pk])
    assert staff_browser.get(url).status_code == 200
    response = staff_browser.post(url, {"type": "immediate", "reason": "abuse"}, follow=True)
    assert "Cancellation requested (processed)." in response.content.decode()
    request = CancellationRequest.objects.get()
    assert request.requested_by == staff
    page = staff_browser.get(reverse("admin:services_cancellationrequest_change", args=[request.pk])).content.decode()
    assert "CN-000001" in page and "20.00" in page
    note = CreditNote.objects.get()
    note_page = staff_browser.get(reverse("admin:billing_creditnote_change", args=[note.pk])).content.decode()
    assert "Download PDF" in note_page
    pdf = staff_browser.get(reverse("admin:billing_creditnote_pdf", args=[note.pk]))
    assert pdf.content.startswith(b"%PDF")
    client_page = staff_browser.get(reverse("admin:customers_client_change", args=[client_account.pk])).content.decode()
    assert 'id="client-credit-notes"' in client_page and "CN-000001" in client_page
    assert 'id="client-cancellations"' in client_page
    assert staff_browser.get(reverse("admin:billing_creditnote_changelist"), {"q": "CN-000001"}).status_code == 200


def test_staff_withdraws_a_request(shared_page, client_account, staff_browser):
    service = ordered(client_account, plan(shared_page))
    request = cancellation_request(
        service_id=service.pk, type="end_of_period", reason="moving", now=at(D(2026, 3, 10)), actor=None
    )
    response = staff_browser.post(reverse("admin:cancellations_request_withdraw", args=[request.pk]), follow=True)
    assert "withdrawn" in response.content.decode()
    request.refresh_from_db()
    assert request.status == "withdrawn"


def test_staff_list_actions(shared_page, client_account, staff_browser):
    first = ordered(client_account, plan(shared_page))
    second = ordered(client_account, plan(shared_page, name="Second"))
    a, b = (
        cancellation_request(service_id=s.pk, type="end_of_period", reason="x", now=at(D(2026, 3, 10)), actor=None)
        for s in (first, second)
    )
    url = reverse("admin:services_cancellationrequest_changelist")
    staff_browser.post(url, {"action": "withdraw_selected", "_selected_action": [a.pk]})
    staff_browser.post(url, {"action": "process_selected", "_selected_action": [a.pk, b.pk]})
    assert dict(CancellationRequest.objects.values_list("pk", "status")) == {a.pk: "withdrawn", b.pk: "processed"}


def test_staff_remove_credit_and_refund_to_credit(shared_page, client_account, staff, staff_browser):
    ordered(client_account, plan(shared_page))
    invoice = Invoice.objects.get()
    credit_add(client=client_account, amount=Decimal("5.00"), reason="goodwill", now=at(MARCH_1), actor=staff)
    client_page = staff_browser.get(reverse("admin:customers_client_change", args=[client_account.pk])).content.decode()
    assert 'id="remove-credit"' in client_page
    url = reverse("admin:billing_remove_credit", args=[client_account.pk])
    response = staff_browser.post(url, {"amount": "7.00", "reason": "mistake"})
    assert response.status_code == 200 and "has 5.00 of credit" in response.content.decode()
    response = staff_browser.post(url, {"amount": "2.00", "reason": "mistake"}, follow=True)
    assert "2.00 USD credit removed" in response.content.decode()
    assert client_credit_balance(client_account) == Decimal("3.00")

    invoice_page = staff_browser.get(reverse("admin:billing_invoice_change", args=[invoice.pk])).content.decode()
    assert "Refund to credit" in invoice_page
    url = reverse("admin:billing_invoice_refund", args=[invoice.pk])
    form = staff_browser.get(url).content.decode()
    assert "up to 31.00" in form
    response = staff_browser.post(url, {"payment": "", "amount": "40.00", "reason": "outage"})
    assert "at most 31.00 can be refunded" in response.content.decode()
    payment = invoice.payments.get()
    response = staff_browser.post(url, {"payment": str(payment.pk), "amount": "", "reason": "outage"}, follow=True)
    assert "31.00 USD refunded" in response.content.decode()
    assert client_credit_balance(client_account) == Decimal("34.00")
    refund = LedgerEntry.objects.get(kind="refund")
    assert (refund.payment, refund.actor) == (payment, staff)
    response = staff_browser.post(url, {"payment": "", "amount": "", "reason": "again"})
    assert "was refunded already" in response.content.decode()


def test_staff_without_permission_cannot_act(shared_page, client_account):
    from django.contrib.auth.models import Permission

    from moorage.core.models import User

    viewer = User.objects.create_user(email="viewer@example.com", password="x", is_staff=True)
    viewer.user_permissions.add(*Permission.objects.filter(codename__startswith="view_"))
    browser = Browser()
    browser.force_login(viewer)
    service = ordered(client_account, plan(shared_page))
    request = cancellation_request(
        service_id=service.pk, type="end_of_period", reason="moving", now=at(D(2026, 3, 10)), actor=None
    )
    assert browser.get(reverse("admin:services_cancellationrequest_change", args=[request.pk])).status_code == 200
    assert browser.post(reverse("admin:cancellations_request_process", args=[request.pk])).status_code == 403
    assert browser.post(reverse("admin:cancellations_request_for_service", args=[service.pk])).status_code == 403
    assert browser.post(reverse("admin:billing_remove_credit", args=[client_account.pk])).status_code == 403
    invoice = Invoice.objects.get()
    assert browser.post(reverse("admin:billing_invoice_refund", args=[invoice.pk])).status_code == 403
    request.refresh_from_db()
    assert request.status == "pending"
