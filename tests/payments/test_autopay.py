"""Service Auto Payment by card: a renewal invoice is charged on the saved card once, when issued."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from moorage.billing.actions import credit_add
from moorage.billing.models import Invoice, Payment
from moorage.catalog.models import BillingDefaults
from moorage.notifications.models import Notification
from moorage.payments.autopay import auto_charge_requeue, auto_charge_run
from moorage.payments.models import AutoCharge, SavedPaymentMethod
from moorage.servicefunctions.actions import auto_payment_set
from moorage.services.models import Service
from tests.automation.conftest import at, pay, run_day
from tests.factories import checkout
from tests.payments.fake_gateway import provider
from tests.payments.renewals import renewal_day

D = dt.date


@pytest.fixture
def service(fake, starter, client_account):  # noqa: ANN001, ANN201
    defaults = BillingDefaults.load()
    defaults.apply_credit_automatically = False
    defaults.save()
    order = checkout(client_account, starter, now=at(D(2026, 1, 15), 9))
    pay(order.invoice, D(2026, 1, 15))
    service = Service.objects.get()
    auto_payment_set(service_id=service.pk, on=True, now=at(D(2026, 1, 16)), actor=None, client_id=client_account.pk)
    return service


def save_card(client, token: str) -> SavedPaymentMethod:  # noqa: ANN001
    method = SavedPaymentMethod(
        client=client,
        gateway="fake",
        label="Visa •••• 4242",
        consent_at=at(D(2026, 1, 15)),
        created_at=at(D(2026, 1, 15)),
    )
    method.token = token
    method.save()
    return method


def test_the_renewal_is_charged_on_the_saved_card(service, client_account):
    save_card(client_account, "pm_ok")
    invoice, charge = renewal_day()
    assert charge.status == "pending"
    assert auto_charge_run(charge_id=charge.pk, now=at(D(2026, 2, 1), 1)).startswith("payment ")
    invoice.refresh_from_db()
    assert invoice.status == "paid"
    payment = Payment.objects.get(gateway="fake")
    assert payment.amount == invoice.total
    charge.refresh_from_db()
    assert (charge.status, charge.payment_id) == ("paid", payment.pk)
    # Run again, and the cron safety net: nothing is charged twice.
    assert auto_charge_run(charge_id=charge.pk, now=at(D(2026, 2, 1), 2)) == "nothing to do"
    AutoCharge.objects.filter(pk=charge.pk).update(status="pending")  # a lost state: the key still guards
    auto_charge_run(charge_id=charge.pk, now=at(D(2026, 2, 1), 3))
    assert Payment.objects.filter(gateway="fake").count() == 1
    assert len(provider.charges) == 1


def test_credit_first_then_the_card_for_the_rest(service, client_account, staff):
    credit_add(client=client_account, amount=Decimal("1.00"), reason="goodwill", now=at(D(2026, 1, 16)), actor=staff)
    save_card(client_account, "pm_ok")
    invoice, charge = renewal_day()
    auto_charge_run(charge_id=charge.pk, now=at(D(2026, 2, 1), 1))
    invoice.refresh_from_db()
    assert invoice.status == "paid"
    assert Payment.objects.get(gateway="fake").amount == invoice.total - Decimal("1.00")


def test_a_decline_leaves_the_invoice_unpaid_and_tells_the_client(service, client_account):
    save_card(client_account, "pm_decline")
    invoice, charge = renewal_day()
    assert auto_charge_run(charge_id=charge.pk, now=at(D(2026, 2, 1), 1)) == "declined"
    invoice.refresh_from_db()
    assert invoice.status == "unpaid"
    charge.refresh_from_db()
    assert (charge.status, charge.message) == ("declined", "insufficient funds")
    note = Notification.objects.get(template="payment_declined")
    assert note.client_id == client_account.pk and "insufficient funds" in note.body
    assert auto_charge_run(charge_id=charge.pk, now=at(D(2026, 2, 1), 2)) == "nothing to do"
    assert provider.charge_calls == 1


def test_a_charge_the_provider_holds_is_not_a_decline(service, client_account):
    # The provider took the charge but holds it for review: no "declined" email, the charge waits
    # for the provider's word, and the safety net does not charge it again.
    save_card(client_account, "pm_held")
    invoice, charge = renewal_day()
    assert auto_charge_run(charge_id=charge.pk, now=at(D(2026, 2, 1), 1)) == "awaiting the provider"
    charge.refresh_from_db()
    assert charge.status == "awaiting" and charge.transaction_id
    invoice.refresh_from_db()
    assert invoice.status == "unpaid"
    assert not Notification.objects.filter(template="payment_declined").exists()
    assert auto_charge_requeue(real_now=at(D(2026, 3, 1))) == 0
    assert auto_charge_run(charge_id=charge.pk, now=at(D(2026, 2, 1), 2)) == "nothing to do"
    assert provider.charge_calls == 1


def test_no_saved_card_or_removed_card_no_charge(service, client_account):
    method = save_card(client_account, "pm_ok")
    method.active = False
    method.save()
    day = D(2026, 1, 17)
    while not Invoice.objects.filter(kind=Invoice.Kind.RENEWAL).exists():
        run_day(day)
        day += dt.timedelta(days=1)
    assert not AutoCharge.objects.exists()


def test_auto_payment_off_no_charge(service, client_account):
    save_card(client_account, "pm_ok")
    auto_payment_set(service_id=service.pk, on=False, now=at(D(2026, 1, 16), 2), actor=None)
    day = D(2026, 1, 17)
    while not Invoice.objects.filter(kind=Invoice.Kind.RENEWAL).exists():
        run_day(day)
        day += dt.timedelta(days=1)
    assert not AutoCharge.objects.exists()


def test_the_safety_net_wakes_lost_charges(service, client_account, django_capture_on_commit_callbacks):
    save_card(client_account, "pm_ok")
    _invoice, charge = renewal_day()
    real_now = charge.created_at + dt.timedelta(minutes=10)
    assert auto_charge_requeue(real_now=real_now) == 1
    AutoCharge.objects.filter(pk=charge.pk).update(status="charging", attempted_at=real_now)
    assert auto_charge_requeue(real_now=real_now + dt.timedelta(minutes=1)) == 0
    assert auto_charge_requeue(real_now=real_now + dt.timedelta(minutes=30)) == 1
    charge.refresh_from_db()
    assert charge.status == "pending"
