"""An other service that needs a hostname gets the domain chosen on the configure page when the client
typed no hostname (found by issue 13's browser walk: the domain is the hostname, so nobody types one)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from moorage.clientarea import cart
from moorage.domains.models import ProductDomainOptions, Tld
from moorage.orders.actions import CartItem
from moorage.services.components import as_pairs
from tests import factories


@pytest.fixture
def signed_in(client, client_account, settings):  # noqa: ANN001, ANN201
    settings.MOORAGE_CLOCK_DATE = "2026-01-15"
    client.force_login(client_account.user)
    return client


@pytest.fixture
def offer(starter):  # noqa: ANN001, ANN201
    """Starter Hosting with domain options (.test, own domains, subdomains of sites.test) and SSL offered."""
    Tld.objects.create(
        name="test",
        registrar="epp",
        register_price=Decimal("12.00"),
        transfer_price=Decimal("9.00"),
        renew_price=Decimal("14.00"),
    )
    ProductDomainOptions.objects.create(
        product=starter, enabled=True, allow_own_domain=True, offer_subdomain=True, subdomain_parents="sites.test"
    )
    ssl = factories.product(starter.order_page, name="SSL Certificate", prices={"annually": "49.00"})
    starter.other_products.add(ssl)
    return starter, ssl


def post(signed_in, starter, ssl, **data):  # noqa: ANN001, ANN003, ANN201
    return signed_in.post(
        reverse("clientarea:product", args=[starter.pk]),
        {"cycle": "monthly", "hostname": "", f"other_{ssl.pk}": "1", f"other_{ssl.pk}_cycle": "annually", **data},
    )


@pytest.mark.parametrize(
    ("choice", "hostname"),
    [
        ({"action": "register", "name": "Harbour-Walk.test"}, "harbour-walk.test"),
        ({"action": "own", "name": "my-own.example"}, "my-own.example"),
        ({"action": "subdomain", "name": "shop", "parent": "sites.test"}, "shop.sites.test"),
    ],
)
def test_the_chosen_domain_is_the_other_services_hostname(signed_in, offer, choice, hostname):  # noqa: ANN001
    starter, ssl = offer
    response = post(signed_in, starter, ssl, **{f"domain_{k}": v for k, v in choice.items()})
    assert response.status_code == 302, response.content.decode()
    items = cart.items(signed_in.session)
    assert items[0].domain == as_pairs(choice)
    assert items[1] == CartItem(ssl.pk, "annually", hostname, separate_order=True)


def test_a_typed_hostname_still_wins(signed_in, offer):  # noqa: ANN001
    starter, ssl = offer
    post(signed_in, starter, ssl, hostname="typed.example", domain_action="register", domain_name="harbour-walk.test")
    assert cart.items(signed_in.session)[1].hostname == "typed.example"


def test_a_wrong_domain_adds_nothing(signed_in, offer):  # noqa: ANN001
    starter, ssl = offer
    response = post(signed_in, starter, ssl, domain_action="register", domain_name="no-such-tld.nowhere")
    assert response.status_code == 200
    assert cart.items(signed_in.session) == []
