"""Client area: the domain order page, the configure page's domain section, the Domains page."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from moorage.clientarea import cart
from moorage.domains.models import Domain, DomainJob
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def test_clock(settings):  # noqa: ANN001, ANN201
    settings.MOORAGE_CLOCK_DATE = "2026-01-15"


@pytest.fixture
def signed_in(client, client_account):  # noqa: ANN001, ANN201
    client.force_login(client_account.user)
    return client


def test_search_shows_availability_from_the_registrar(client, com, net, registry, now):
    registry.taken.add("shop.net")
    page = client.get("/order/domains/", {"q": "Shop"})
    assert page.status_code == 200
    rows = {r["name"]: r["available"] for r in page.context["rows"]}
    assert rows == {"shop.com": True, "shop.net": False}
    assert ("check", ("shop.com",)) in registry.calls

    bad = client.get("/order/domains/", {"q": "x.org"})
    assert bad.context["rows"] == [] and "TLD" in bad.context["error"]


def test_search_is_throttled(client, com, registry, settings):
    for _ in range(30):
        client.get("/order/domains/", {"q": "a"})
    calls = len(registry.calls)
    page = client.get("/order/domains/", {"q": "a"})
    assert page.context["error"] and len(registry.calls) == calls


def test_ordering_a_domain_alone_needs_a_client_and_makes_an_invoice(client, signed_in, com, registry, client_account):
    signed_in.logout()
    anonymous = client.post("/order/domains/", {"action": "register", "name": "mine.com", "years": "2"})
    assert anonymous.status_code == 302 and "/login/" in anonymous["Location"]
    assert not Domain.objects.exists()

    signed_in.force_login(client_account.user)
    # The price posted is ignored: there is none to post; years out of the TLD's range are refused.
    refused = signed_in.post("/order/domains/", {"action": "register", "name": "mine.com", "years": "7"})
    assert refused.status_code == 200 and not Domain.objects.exists()
    placed = signed_in.post("/order/domains/", {"action": "register", "name": "mine.com", "years": "2", "price": "0"})
    domain = Domain.objects.get()
    invoice = domain.invoices.get().invoice
    assert placed.status_code == 302 and placed["Location"] == f"/invoices/{invoice.number}/"
    assert (invoice.total, invoice.client, domain.status) == (Decimal("24.00"), client_account, "pending")
    again = signed_in.post("/order/domains/", {"action": "register", "name": "mine.com", "years": "1"})
    assert again.status_code == 200 and Domain.objects.count() == 1


def test_configure_page_puts_the_domain_choice_in_the_cart(signed_in, hosting, com, registry):
    page = signed_in.get(f"/order/product/{hosting.pk}/")
    assert b'data-testid="configure-domains"' in page.content
    added = signed_in.post(
        f"/order/product/{hosting.pk}/",
        {
            "cycle": "annually",
            "hostname": "",
            "domain_action": "register",
            "domain_name": "new.com",
            "domain_years": "1",
        },
    )
    assert added.status_code == 302
    (item,) = cart.items(signed_in.session)
    assert item.domain_choice == {"action": "register", "name": "new.com", "years": "1"}

    refused = signed_in.post(
        f"/order/product/{hosting.pk}/",
        {"cycle": "annually", "domain_action": "subdomain", "domain_name": "bad label", "domain_parent": "sites.test"},
    )
    assert refused.status_code == 200
    assert len(cart.items(signed_in.session)) == 1


def test_domains_page_lists_only_the_clients_own_and_guards_the_switches(signed_in, com, client_account, now):
    other = factories.client(now=now)
    mine = Domain.objects.create(
        client=client_account,
        name="mine.com",
        tld=com,
        status="active",
        expires_on=dt.date(2027, 1, 15),
        created_at=now,
    )
    theirs = Domain.objects.create(client=other, name="theirs.com", tld=com, status="active", created_at=now)
    page = signed_in.get("/domains/")
    assert b"mine.com" in page.content and b"theirs.com" not in page.content

    assert signed_in.post(f"/domains/{theirs.pk}/auto-renew/", {}).status_code == 404
    assert (
        signed_in.post(f"/domains/{theirs.pk}/nameservers/", {"nameservers": "ns1.a.com ns2.a.com"}).status_code == 404
    )
    theirs.refresh_from_db()
    assert theirs.auto_renew is True
    assert signed_in.get(f"/domains/{mine.pk}/auto-renew/").status_code == 405

    signed_in.post(f"/domains/{mine.pk}/auto-renew/", {})
    mine.refresh_from_db()
    assert mine.auto_renew is False

    signed_in.post(f"/domains/{mine.pk}/nameservers/", {"nameservers": "NS1.new.com\nns2.new.com"})
    job = DomainJob.objects.get()
    assert (job.operation, job.params["nameservers"]) == ("set_ns", ["ns1.new.com", "ns2.new.com"])
    signed_in.post(f"/domains/{mine.pk}/nameservers/", {"nameservers": "ns1.x.com ns2.x.com"})
    assert DomainJob.objects.count() == 1  # one change at a time
    signed_in.post(f"/domains/{mine.pk}/nameservers/", {"nameservers": "only-one.com"})
    assert DomainJob.objects.count() == 1
