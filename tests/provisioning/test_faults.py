"""Reliability: with 30% of panel calls failing in every way, 200 concurrently paid orders all end
with exactly one account each, on the panel and in billing."""

from __future__ import annotations

import datetime as dt
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection as db_connection
from django.db import connections

from moorage.catalog.models import Product
from moorage.orders.actions import CartItem, order_checkout
from moorage.payments.actions import payment_record
from moorage.provisioning.models import ModuleState, PanelAccount, ProductApp, ProvisioningJob
from moorage.provisioning.runner import run_due_jobs
from moorage.services.models import Service
from tests import factories
from tests.provisioning.conftest import make_connection

ORDERS = 200


def _in_thread(fn, *args):  # noqa: ANN001, ANN002, ANN202
    try:
        return fn(*args)
    finally:
        connections.close_all()


@pytest.mark.django_db(transaction=True)
def test_200_orders_paid_concurrently_against_a_flaky_panel(panel, now):
    page = factories.shared_page(now=now)
    product = page.products.get(name="Starter Hosting")
    Product.objects.filter(pk=product.pk).update(module="ispmanager", auto_create=Product.AutoCreate.ON_PAYMENT)
    ModuleState.objects.create(name="ispmanager", active=True)
    ProductApp.objects.create(
        product=product,
        connection=make_connection(panel),
        options={"preset": "basic", "create_www_domain": False, "username_pattern": "c{random:6}"},
    )
    client = factories.client(now=now)
    invoices = []
    for i in range(ORDERS):
        order = order_checkout(client=client, items=[CartItem(product.pk, "monthly", f"site{i}.example.com")], now=now)
        invoices.append((order.invoice.pk, order.invoice.total))

    panel.faults.set("*", fail_rate=0.15, fail_kind="500")
    panel.faults.set("user.edit", fail_rate=0.1, commit_then_fail=0.2, fail_kind="drop")

    def pay(item):  # noqa: ANN001, ANN202
        invoice_id, total = item
        return payment_record(
            invoice_id=invoice_id,
            amount=total,
            gateway="bank_transfer",
            transaction_id=f"TX-{invoice_id}",
            now=now,
            actor=None,
        )

    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(lambda it: _in_thread(pay, it), invoices))
    assert ProvisioningJob.objects.count() == ORDERS

    moment = now
    for _round in range(60):
        if not ProvisioningJob.objects.filter(status__in=ProvisioningJob.OPEN).exists():
            break
        moment += dt.timedelta(hours=2)  # every backoff is over: the clock is a parameter
        barrier = threading.Barrier(4)

        def work(at=moment, barrier=barrier):  # noqa: ANN001, ANN202
            barrier.wait()
            return run_due_jobs(now=at)

        with ThreadPoolExecutor(max_workers=4) as pool:
            list(pool.map(lambda _: _in_thread(work), range(4)))

    panel.faults.clear()
    jobs = ProvisioningJob.objects.all()
    assert {j.status for j in jobs} == {"done"}, [(j.pk, j.status, j.last_error) for j in jobs if j.status != "done"]
    assert Service.objects.filter(status="active").count() == ORDERS
    usernames = list(PanelAccount.objects.values_list("username", flat=True))
    assert len(usernames) == len(set(usernames)) == ORDERS
    assert sorted(panel.state.users) == sorted(usernames)  # nothing on the panel billing does not know
    assert all(PanelAccount.objects.values_list("exists_on_panel", flat=True))
    retried = jobs.filter(attempts__gt=1).count()
    assert retried > 20  # the faults really happened
    if db_connection.vendor == "postgresql":
        assert ProvisioningJob.objects.filter(params__adopted=True).exists()
