"""The money lock order (issue #10, item 9): one helper takes rows order → service → change request →
invoice → client, each by pk, and refuses a row out of that order; the money flows go through it."""

from __future__ import annotations

import pathlib
import re

import pytest
from django.db import connection, transaction

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


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")
def test_a_service_changed_by_the_transaction_waited_for_is_still_locked_and_read(shared_page, client_account):
    """On PostgreSQL a row another transaction updated while we waited is re-checked against the
    query; with joins, the service's new product used to drop it (NotFound after an upgrade was
    paid at the same moment). The helper locks by pk alone, then reads."""
    import threading
    import time

    from django.db import connections

    from moorage.services.actions import lock_service

    cheap, dear = plans(shared_page)
    service = active_service(client_account, cheap, day=JAN1)
    changed, release, result = threading.Event(), threading.Event(), {}

    def holder() -> None:
        try:
            with transaction.atomic():
                lock_service(service.pk)
                Service.objects.filter(pk=service.pk).update(product=dear)
                changed.set()
                release.wait(30)
        finally:
            connections.close_all()

    def waiter() -> None:
        try:
            with transaction.atomic():
                result["product"] = lock_service(service.pk).product_id
        except Exception as exc:  # noqa: BLE001  (the test inspects it)
            result["error"] = exc
        finally:
            connections.close_all()

    first = threading.Thread(target=holder)
    first.start()
    assert changed.wait(30)
    second = threading.Thread(target=waiter)
    second.start()
    deadline = time.monotonic() + 30
    with connection.cursor() as cursor:  # until the waiter is blocked on the row lock
        while time.monotonic() < deadline:
            cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'")
            if cursor.fetchone()[0]:
                break
    release.set()
    first.join(30)
    second.join(30)
    assert result == {"product": dear.pk}
