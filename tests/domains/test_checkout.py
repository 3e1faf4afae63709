"""A hosting order with a domain: register, transfer, own domain, subdomain, auto-generated hostname."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest

from moorage.billing.models import InvoiceLine
from moorage.core.errors import DomainError
from moorage.domains.jobs import run_due_jobs
from moorage.domains.models import Domain, DomainJob, ProductDomainOptions
from moorage.orders.actions import order_checkout
from moorage.services.components import CartItem, as_pairs
from moorage.services.models import Service, ServiceComponent
from tests import factories

pytestmark = pytest.mark.django_db


def item(product, domain: dict | None = None, hostname: str = "") -> CartItem:  # noqa: ANN001
    return CartItem(product.pk, "annually", hostname, domain=as_pairs(domain or {}))


def order(client, product, domain=None, now=None, hostname=""):  # noqa: ANN001, ANN201
    return order_checkout(client=client, items=[item(product, domain, hostname)], now=now or factories.DEFAULT_NOW)


def test_registering_a_domain_with_hosting_bills_it_once_and_registers_it_when_paid(
    client_account, hosting, com, registry, now
):
    placed = order(client_account, hosting, {"action": "register", "name": "Petrova-Studio.COM", "years": "2"})

    service = placed.items.get().service
    lines = [(ln.kind, ln.description, ln.amount, ln.period_start) for ln in placed.invoice.lines.order_by("pk")]
    assert lines == [
        ("service", "Web Hosting - petrova-studio.com", Decimal("100.00"), dt.date(2026, 1, 15)),
        ("domain", "Domain registration: petrova-studio.com (2 yr)", Decimal("24.00"), None),
    ]
    assert service.hostname == "petrova-studio.com"
    assert placed.items.get().hostname == "petrova-studio.com"
    assert not ServiceComponent.objects.filter(service=service).exists()  # renewals are the domain's own
    domain = Domain.objects.get()
    assert (domain.name, domain.status, domain.years, domain.service, domain.client) == (
        "petrova-studio.com",
        "pending",
        2,
        service,
        client_account,
    )
    assert not DomainJob.objects.exists()  # nothing before payment

    factories.pay(placed.invoice, "124.00", transaction_id="T1", now=now)
    job = DomainJob.objects.get()
    assert (job.operation, job.status, job.params["years"]) == ("register", "queued", 2)
    assert registry.calls == []  # never inside the payment's transaction

    assert run_due_jobs(now=now) == 1
    domain.refresh_from_db()
    assert registry.calls == [
        ("register", "petrova-studio.com", 2, f"MOO-{client_account.pk}", ("ns1.reg.test", "ns2.reg.test"))
    ]
    assert (domain.status, domain.registered_on, domain.expires_on, domain.next_due_date) == (
        "active",
        dt.date(2026, 1, 15),
        dt.date(2028, 1, 15),
        dt.date(2028, 1, 15),
    )
    assert domain.nameservers == ["ns1.reg.test", "ns2.reg.test"]


def test_a_transfer_needs_the_auth_code_and_keeps_it_encrypted(client_account, hosting, com, registry, now):
    with pytest.raises(DomainError) as err:
        order(client_account, hosting, {"action": "transfer", "name": "old.com", "years": "1"})
    assert (err.value.code, err.value.field) == ("required", "items[0].domain.auth_code")

    placed = order(client_account, hosting, {"action": "transfer", "name": "old.com", "auth_code": "s3cret-AUTH"})
    assert [ln.amount for ln in placed.invoice.lines.filter(kind=InvoiceLine.Kind.DOMAIN)] == [Decimal("10.00")]
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT auth_code FROM domains_domain")
        (stored,) = cursor.fetchone()
    assert "s3cret" not in stored and stored
    factories.pay(placed.invoice, str(placed.invoice.total), transaction_id="T1", now=now)
    run_due_jobs(now=now)
    domain = Domain.objects.get()
    assert domain.status == "transferring"
    assert registry.calls == [("transfer", "old.com", "s3cret-AUTH", 1)]


def test_own_domain_when_allowed(client_account, hosting, com, registry):
    placed = order(client_account, hosting, {"action": "own", "name": "mine.org"})
    assert placed.items.get().service.hostname == "mine.org"
    assert not Domain.objects.exists()
    assert not placed.invoice.lines.filter(kind="domain").exists()

    ProductDomainOptions.objects.filter(product=hosting).update(allow_own_domain=False)
    with pytest.raises(DomainError) as err:
        order(client_account, hosting, {"action": "own", "name": "mine2.org"})
    assert err.value.code == "own_not_allowed"


def test_own_domain_only_if_registered_with_us(client_account, hosting, com, registry, now):
    ProductDomainOptions.objects.filter(product=hosting).update(only_registered_with_us=True)
    before = Service.objects.count()
    with pytest.raises(DomainError) as err:
        order(client_account, hosting, {"action": "own", "name": "mine.com"})
    assert err.value.code == "not_registered_with_us"
    assert Service.objects.count() == before  # the whole order was undone

    # Someone else's domain with us does not count.
    other = factories.client(now=now)
    Domain.objects.create(client=other, name="theirs.com", tld=com, status="active", created_at=now)
    with pytest.raises(DomainError):
        order(client_account, hosting, {"action": "own", "name": "theirs.com"})

    # One of the client's own does; so does one an earlier item of the same cart registers.
    Domain.objects.create(client=client_account, name="mine.com", tld=com, status="active", created_at=now)
    assert (
        order(client_account, hosting, {"action": "own", "name": "mine.com"}).items.get().service.hostname == "mine.com"
    )
    both = order_checkout(
        client=client_account,
        items=[
            item(hosting, {"action": "register", "name": "fresh.com"}),
            item(hosting, {"action": "own", "name": "fresh.com"}),
        ],
        now=now,
    )
    assert sorted(i.hostname for i in both.items.all()) == ["fresh.com", "fresh.com"]


def test_subdomain_of_a_provider_domain(client_account, hosting, registry, now):
    placed = order(client_account, hosting, {"action": "subdomain", "name": "Anna", "parent": "sites.test"})
    assert placed.items.get().service.hostname == "anna.sites.test"
    default_parent = order(client_account, hosting, {"action": "subdomain", "name": "bob"})
    assert default_parent.items.get().service.hostname == "bob.example-hosting.net"

    for name, code in [("anna", "subdomain_taken"), ("a.b", "invalid_subdomain"), ("-x", "invalid_subdomain")]:
        with pytest.raises(DomainError) as err:
            order(client_account, hosting, {"action": "subdomain", "name": name, "parent": "sites.test"})
        assert err.value.code == code
    with pytest.raises(DomainError) as err:
        order(client_account, hosting, {"action": "subdomain", "name": "x", "parent": "evil.com"})
    assert err.value.code == "invalid_parent"
    ProductDomainOptions.objects.filter(product=hosting).update(offer_subdomain=False)
    with pytest.raises(DomainError) as err:
        order(client_account, hosting, {"action": "subdomain", "name": "carl"})
    assert err.value.code == "subdomain_not_offered"


def test_auto_generated_hostname_from_the_pattern(client_account, shared_page, now):
    product = factories.product(shared_page, name="Auto", code="Auto Plan", hostname_required=True)
    ProductDomainOptions.objects.create(
        product=product, auto_hostname=True, hostname_pattern="{client_id}-{random}.{product_code}.example-hosting.net"
    )
    placed = order_checkout(client=client_account, items=[CartItem(product.pk, "monthly", "")], now=now)
    service = placed.items.get().service
    assert re.fullmatch(rf"{client_account.pk}-[a-z0-9]{{8}}\.auto-plan\.example-hosting\.net", service.hostname)
    assert placed.items.get().hostname == service.hostname
    assert placed.invoice.lines.get().description == f"Auto - {service.hostname}"
    again = order_checkout(client=client_account, items=[CartItem(product.pk, "monthly", "")], now=now)
    assert again.items.get().service.hostname != service.hostname

    # A hostname the client gives is kept; without auto-hostname an empty one is still refused.
    given = order_checkout(client=client_account, items=[CartItem(product.pk, "monthly", "given.example.com")], now=now)
    assert given.items.get().service.hostname == "given.example.com"
    ProductDomainOptions.objects.filter(product=product).update(auto_hostname=False)
    with pytest.raises(DomainError) as err:
        order_checkout(client=client_account, items=[CartItem(product.pk, "monthly", "")], now=now)
    assert err.value.code == "required"


@pytest.mark.parametrize(
    ("choice", "code"),
    [
        ({"action": "register", "name": "x.org"}, "invalid_domain"),  # TLD not offered
        ({"action": "register", "name": "a.b.com"}, "invalid_domain"),  # not second level
        ({"action": "register", "name": "ok.com", "years": "9"}, "invalid_years"),
        ({"action": "register", "name": "ok.com", "years": "-1"}, "invalid_years"),
        ({"action": "register", "name": "ok.com", "years": "1e3"}, "invalid_years"),
        ({"action": "delete", "name": "ok.com"}, "invalid_action"),
        ({"action": "register", "name": "x" * 300 + ".com"}, "invalid_domain"),
        ({"action": "register", "name": "bad\x00.com"}, "invalid_domain"),
        ({"action": "transfer", "name": "ok.com", "auth_code": "x" * 65}, "invalid_auth_code"),
    ],
)
def test_hostile_domain_choices_are_refused(client_account, hosting, com, choice, code, unchanged):
    with unchanged(), pytest.raises(DomainError) as err:
        order(client_account, hosting, choice)
    assert err.value.code == code


def test_a_name_live_with_us_cannot_be_ordered_again(client_account, hosting, com, now):
    order(client_account, hosting, {"action": "register", "name": "dup.com"})
    other = factories.client(now=now)
    with pytest.raises(DomainError) as err:
        order(other, hosting, {"action": "register", "name": "dup.com"})
    assert err.value.code == "domain_taken"


def test_the_domain_tlds_of_a_product_limit_the_choice(client_account, hosting, com, net):
    hosting.domain_options.tlds.set([net])
    with pytest.raises(DomainError):
        order(client_account, hosting, {"action": "register", "name": "a.com"})
    placed = order(client_account, hosting, {"action": "register", "name": "a.net"})
    assert placed.invoice.lines.get(kind="domain").amount == Decimal("15.00")


def test_a_cancelled_order_frees_its_domain_name(client_account, hosting, com, now, staff):
    from moorage.orders.actions import order_cancel

    first = order(client_account, hosting, {"action": "register", "name": "again.com"})
    order_cancel(order_id=first.pk, now=now, actor=staff)
    second = order(client_account, hosting, {"action": "register", "name": "again.com"})
    assert sorted(Domain.objects.values_list("status", flat=True)) == ["cancelled", "pending"]
    assert Domain.objects.get(status="pending").service == second.items.get().service
