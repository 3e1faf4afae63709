"""The money lock order (issue #10, item 9): one helper takes rows order → service → change request →
invoice → client, each by pk, and refuses a row out of that order; the money flows go through it."""

from __future__ import annotations

import pathlib
import re

import pytest
from django.db import transaction

from moorage.billing.models import Invoice
from moorage.catalog.models import Product
from moorage.customers.models import Client
from moorage.services.locks import RANKS, LockOrderError, last_locks, lock_row, lock_rows
from moorage.services.models import Service
from moorage.upgrades.actions import upgrade_cancel
from moorage.upgrades.models import UpgradeRequest
from tests.automation.conftest import at, pay
from tests.upgrades.conftest import JAN1, active_service, change
from tests.upgrades.test_no_minted_credit import JAN16, plans

pytestmark = pytest.mark.django_db
SRC = pathlib.Path(__file__).resolve().parents[2] / "src" / "moorage"


def ranks(log: list[tuple[str, int]]) -> list[tuple[int, str, int]]:
    return [(RANKS[label], label, pk) for label, pk in log]


@pytest.fixture
def two_services(shared_page, client_account):  # noqa: ANN001, ANN201
    cheap, _dear = plans(shared_page)
    return active_service(client_account, cheap, day=JAN1), active_service(client_account, cheap, day=JAN1)


def test_an_invoice_then_its_service_is_refused(two_services):
    service, _ = two_services
    invoice = Invoice.objects.filter(lines__service=service).first()
    with pytest.raises(LockOrderError, match="service #"), transaction.atomic():
        lock_row(Invoice, invoice.pk)
        lock_row(Service, service.pk)


def test_the_client_then_an_invoice_is_refused(two_services):
    service, _ = two_services
    invoice = Invoice.objects.filter(lines__service=service).first()
    with pytest.raises(LockOrderError), transaction.atomic():
        lock_row(Client, service.client_id)
        lock_row(Invoice, invoice.pk)


def test_within_a_rank_by_pk(two_services):
    first, second = sorted(two_services, key=lambda s: s.pk)
    with transaction.atomic():
        assert [s.pk for s in lock_rows(Service, [second.pk, first.pk])] == [first.pk, second.pk]
        assert lock_row(Service, first.pk) == first  # held already: taken again without waiting
        lock_row(Invoice, Invoice.objects.filter(lines__service=first).first().pk)
    with pytest.raises(LockOrderError), transaction.atomic():
        lock_row(Service, second.pk)
        lock_row(Service, first.pk)


def test_a_model_outside_the_order_is_refused(two_services):
    with pytest.raises(LockOrderError, match="no place"), transaction.atomic():
        lock_rows(Product, [1])


def test_each_transaction_starts_afresh(two_services):
    service, _ = two_services
    invoice = Invoice.objects.filter(lines__service=service).first()
    with transaction.atomic():
        lock_row(Invoice, invoice.pk)
    with transaction.atomic():
        lock_row(Service, service.pk)  # a new transaction: the invoice is not held any more


def test_paying_an_upgrade_invoice_locks_service_request_invoice_client_in_order(shared_page, client_account):
    """Before: the payment locked the invoice, then the waiting request, then the service — the
    reverse of cancelling the upgrade (service → request → invoice)."""
    cheap, dear = plans(shared_page, auto_upgrade="after_payment")
    service = active_service(client_account, cheap, day=JAN1)
    up = change(service, dear, now=at(JAN16))
    assert up.status == UpgradeRequest.Status.PENDING_PAYMENT

    pay(up.invoice, JAN16, txn="T-up")

    log = ranks(last_locks())
    assert log == sorted(log)
    assert ("services.service", service.pk) in last_locks()
    assert ("upgrades.upgraderequest", up.pk) in last_locks()
    assert log[0][1] == "orders.order" or log[0][1] == "services.service"
    up.refresh_from_db()
    assert up.status == UpgradeRequest.Status.APPLIED


def test_cancelling_an_upgrade_locks_in_the_same_order(shared_page, client_account):
    cheap, dear = plans(shared_page, auto_upgrade="after_payment")
    service = active_service(client_account, cheap, day=JAN1)
    up = change(service, dear, now=at(JAN16))

    upgrade_cancel(request_id=up.pk, now=at(JAN16, 1), actor=None)

    log = ranks(last_locks())
    assert log == sorted(log)
    labels = [label for _rank, label, _pk in log]
    assert labels[:3] == ["services.service", "upgrades.upgraderequest", "billing.invoice"]


def test_no_money_module_locks_rows_but_through_the_helper():
    """Every row lock of the money paths goes through `services/locks.py` (grep, so a new one is seen)."""
    money = [*SRC.glob("billing/*.py"), *SRC.glob("payments/*.py"), *SRC.glob("upgrades/*.py")]
    money += [*SRC.glob("cancellations/*.py"), SRC / "services" / "actions.py", SRC / "orders" / "actions.py"]
    offenders = []
    for path in money:
        for n, line in enumerate(path.read_text().splitlines(), 1):
            if re.search(r"select_for_update\(", line) and "one checkout per client at a time" not in line:
                offenders.append(f"{path.relative_to(SRC)}:{n}")
    assert offenders == []
