"""A registration and a transfer through the EPP module against the local EPP stand-in (real TLS), from
the order to the active domain; then the renewal a year later."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from moorage.domains.actions import domain_order
from moorage.domains.jobs import run_due_jobs
from moorage.domains.models import Domain, Tld
from moorage.domains.renewal import DomainRenewals
from moorage.orders.actions import order_checkout
from moorage.services.components import CartItem, as_pairs
from tests import factories
from tests.registrars.conftest import settings_for

pytestmark = pytest.mark.django_db(transaction=True)  # the stand-in runs in its own thread


@pytest.fixture
def client_with_address(db, now):  # noqa: ANN001, ANN201
    return factories.client(now=now, city="Riga", country="LV", address1="1 Harbour Street")


def epp_tld(server, name: str) -> Tld:  # noqa: ANN001
    tld = Tld(
        name=name,
        registrar="epp",
        register_price=Decimal("12.00"),
        transfer_price=Decimal("9.00"),
        renew_price=Decimal("14.00"),
    )
    tld.set_settings(settings_for(server, nameservers=["ns1.moorage-dns.test", "ns2.moorage-dns.test"]))
    tld.save()
    return tld


def pay_and_run(invoice, now):  # noqa: ANN001, ANN201
    factories.pay(invoice, str(invoice.total), transaction_id=f"T-{invoice.pk}", now=now)
    return run_due_jobs(now=now)


def test_registration_with_hosting_through_epp_then_renewal_a_year_later(
    make_standin, client_with_address, now, shared_page
):
    from moorage.domains.models import ProductDomainOptions

    server = make_standin()
    epp_tld(server, "com")
    product = factories.product(shared_page, name="Web", prices={"annually": "100.00"})
    ProductDomainOptions.objects.create(product=product, enabled=True)
    placed = order_checkout(
        client=client_with_address,
        items=[CartItem(product.pk, "annually", "", domain=as_pairs({"action": "register", "name": "petrova.com"}))],
        now=now,
    )
    assert pay_and_run(placed.invoice, now) == 1

    domain = Domain.objects.get()
    record = server.registry.domains["petrova.com"]
    assert record.sponsor == server.login
    assert (domain.status, domain.expires_on) == ("active", dt.date(2027, 1, 15))
    assert sorted(domain.nameservers) == ["ns1.moorage-dns.test", "ns2.moorage-dns.test"]
    assert domain.auth_code and domain.auth_code == record.auth  # kept (encrypted) for the owner

    # A year later: the renewal invoice, paid, renews at the registry from the current expiry.
    later = dt.datetime(2026, 12, 20, 3, 0, tzinfo=dt.UTC)
    from types import SimpleNamespace

    step = DomainRenewals()
    ctx = SimpleNamespace(today=later.date(), now=later)
    assert list(step.plan(ctx)) == [domain.pk]
    from django.db import transaction

    with transaction.atomic():
        step.apply(ctx, domain.pk)
    invoice = domain.invoices.get(kind="renew").invoice
    assert invoice.total == Decimal("14.00")
    assert pay_and_run(invoice, later) == 1
    domain.refresh_from_db()
    assert domain.expires_on == dt.date(2028, 1, 15)
    assert server.registry.domains["petrova.com"].expires.date() == dt.date(2028, 1, 15)


def test_transfer_alone_through_epp_with_the_auth_code(make_standin, client_with_address, now):
    server = make_standin()
    epp_tld(server, "test")
    domain = domain_order(
        client=client_with_address, action="transfer", name="moving.test", years="1", auth_code="Xfer-Moving-2", now=now
    )
    assert pay_and_run(domain.invoices.get().invoice, now) == 1
    domain.refresh_from_db()
    assert (domain.status, domain.expires_on) == ("active", dt.date(2028, 1, 15))
    assert domain.auth_code != "Xfer-Moving-2"  # the spent code is not kept
    assert server.registry.domains["moving.test"].sponsor == server.login


def test_a_pending_transfer_through_epp_completes_when_the_losing_registrar_approves(
    make_standin,
    client_with_address,
    now,
):
    server = make_standin(transfer_mode="pending")
    epp_tld(server, "test")
    domain = domain_order(
        client=client_with_address, action="transfer", name="moving.test", years="1", auth_code="Xfer-Moving-2", now=now
    )
    pay_and_run(domain.invoices.get().invoice, now)
    domain.refresh_from_db()
    assert domain.status == "transferring"

    server.registry.approve_transfer("moving.test")
    assert run_due_jobs(now=now + dt.timedelta(hours=7)) == 1
    domain.refresh_from_db()
    assert (domain.status, domain.expires_on) == ("active", dt.date(2028, 1, 15))


def test_a_wrong_auth_code_through_epp_fails_the_transfer(make_standin, client_with_address, now):
    server = make_standin()
    epp_tld(server, "test")
    domain = domain_order(
        client=client_with_address, action="transfer", name="moving.test", years="1", auth_code="Wrong-Code-99", now=now
    )
    pay_and_run(domain.invoices.get().invoice, now)
    domain.refresh_from_db()
    assert domain.status == "failed"
    assert domain.jobs.get().error_code == "2202"
