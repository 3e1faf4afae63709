"""PayPal races on PostgreSQL: the same webhook delivered twice at once, and the return page racing the
webhook, pay the invoice once."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client as WebClient

from moorage.billing.models import Payment
from moorage.payments import registry
from moorage.payments.models import Checkout
from tests.payments.test_paypal_flow import browser, click, come_back, paid, paypal, post_webhook, start  # noqa: F401
from tests.threads import race

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks and real concurrency need PostgreSQL"),
]


@pytest.fixture
def unpaid(now):  # noqa: ANN001, ANN201
    from tests import factories

    starter = factories.shared_page(now=now).products.get(code="starter")
    return factories.checkout(factories.client(now=now), starter, now=now).invoice


def test_the_same_webhook_delivered_twice_at_once_pays_once(paypal, unpaid):  # noqa: F811
    web = browser(unpaid)
    click(start(web, unpaid))
    checkout = Checkout.objects.get()
    # PayPal captures (as if asked by someone else) and sends PAYMENT.CAPTURE.COMPLETED; Moorage has recorded nothing.
    registry.build("paypal").fetch_checkout(checkout.provider_ref)
    assert not Payment.objects.exists()
    [completed] = paypal.events_of("PAYMENT.CAPTURE.COMPLETED")

    results = race(*[lambda: post_webhook(paypal, completed).status_code] * 2)

    assert results == [200, 200], results
    assert Payment.objects.filter(gateway="paypal").count() == 1
    assert paid(unpaid)


def test_the_return_page_and_the_approved_webhook_at_once_pay_once(paypal, unpaid):  # noqa: F811
    web = browser(unpaid)
    back = click(start(web, unpaid))
    [approved] = paypal.events_of("CHECKOUT.ORDER.APPROVED")
    other_tab = browser(unpaid)

    results = race(
        lambda: come_back(web, back).status_code,
        lambda: post_webhook(paypal, approved).status_code,
        lambda: come_back(other_tab, back).status_code,
    )

    assert results == [302, 200, 302], results
    assert Payment.objects.filter(gateway="paypal").count() == 1
    assert len(paypal.paypal.captures) == 1
    assert paid(unpaid)
    assert WebClient().get("/").status_code in (200, 302)
