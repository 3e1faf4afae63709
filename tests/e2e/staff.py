"""Steps staff take in the browser, shared by the end-to-end tests."""

from __future__ import annotations

import re

from django.urls import NoReverseMatch, reverse

from moorage.core import clock
from moorage.payments.actions import payment_record
from tests import factories


def record_payment_as_staff(staff_page, base_url: str, invoice, shot) -> str:  # noqa: ANN001
    """Staff record the bank transfer: in the staff area if it has the page, else via the action."""
    try:
        url = reverse("admin:billing_invoice_record_payment", args=[invoice.pk])
    except NoReverseMatch:
        payment_record(
            invoice_id=invoice.pk,
            amount=invoice.total,
            gateway="bank_transfer",
            transaction_id="BANK-2026-0001",
            now=clock.now(),
            actor=None,
        )
        return "action"
    factories.staff_user(email="staff@example.com")
    staff_page.goto(f"{base_url}/admin/login/?next={url}")
    staff_page.fill("#id_username", "staff@example.com")
    staff_page.fill("#id_password", factories.PASSWORD)
    staff_page.click("input[type=submit]")
    staff_page.wait_for_url(re.compile(r"/record-payment/"))
    staff_page.fill("#id_amount", str(invoice.total))
    staff_page.fill("#id_transaction_id", "BANK-2026-0001")
    shot(staff_page, "07-staff-record-payment")
    staff_page.click("input[type=submit][value='Record payment']")
    staff_page.wait_for_load_state()
    return "staff area"
