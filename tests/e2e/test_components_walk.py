"""Issue 13's "Checked by" walk in Debian's Chromium: a client orders Starter Hosting with an order form
(a priced select option and a number field), an add-on, an SSL certificate offered as an other service
(a separate order), a new domain registered through the EPP stand-in, and a promotional code; accepts
the product's contract; then reads every line of both invoices, pays from credit, and finds the domain
registered and the panel account created with the add-on's and the form's limits. Negative checks: a
wrong promotional code is refused with its reason; checkout without the contract places no order."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.utils import timezone

from moorage.addons.models import Addon, AddonPrice
from moorage.billing.actions import credit_add
from moorage.catalog.models import Product
from moorage.contracts.actions import contract_version_add
from moorage.contracts.models import ContractTemplate, ProductContract
from moorage.domains.jobs import run_due_jobs as run_domain_jobs
from moorage.domains.models import Domain, ProductDomainOptions, Tld
from moorage.orderforms.actions import form_import
from moorage.orders.models import Order
from moorage.promotions.models import PromoCode
from moorage.provisioning.models import PanelAccount
from moorage.provisioning.runner import run_due_jobs as run_provisioning_jobs
from moorage.services.models import Service
from tests import factories
from tests.registrars.conftest import make_standin, registry_now, settings_for  # noqa: F401  (EPP stand-in)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

EMAIL = "walker@example.com"
NOW = dt.datetime(2026, 1, 15, 12, 0, tzinfo=dt.UTC)
DOMAIN = "harbour-walk.test"

FORM = [
    {
        "code": "php",
        "label": "PHP version",
        "type": "select",
        "default": "php82",
        "options": [
            {"label": "PHP 8.2", "value": "php82"},
            {"label": "PHP 8.3", "value": "php83", "recurring_price": "2.00", "limits": {"limit_db": 1}},
        ],
    },
    {
        "code": "disk",
        "label": "Extra disk (GB)",
        "type": "number",
        "min": 0,
        "max": 20,
        "recurring_price": "0.50",
        "limits": {"limit_quota": 1024},
    },
]


@pytest.fixture
def catalog(hosting, make_standin):  # noqa: ANN001, ANN201, F811
    """Starter Hosting (on the ispmanager emulator) with every component of issue 13, set up through
    the apps' own actions and models as staff would: returns (starter, ssl product, EPP stand-in)."""
    starter = hosting
    form_import(product_id=starter.pk, data=FORM, now=NOW, actor=None)

    backups = Addon.objects.create(name="Daily backups", code="backups", limits={"limit_quota": 2048})
    AddonPrice.objects.create(addon=backups, cycle="monthly", amount=Decimal("3.00"), setup_fee=Decimal("1.00"))
    backups.products.set([starter])

    ssl = factories.product(starter.order_page, name="SSL Certificate", prices={"annually": "49.00"}, code="ssl")
    starter.other_products.add(ssl)

    server = make_standin()
    tld = Tld(name="test", registrar="epp", register_price=Decimal("12.00"), transfer_price=Decimal("9.00"))
    tld.renew_price = Decimal("14.00")
    tld.set_settings(settings_for(server, nameservers=["ns1.moorage-dns.test", "ns2.moorage-dns.test"]))
    tld.save()
    ProductDomainOptions.objects.create(product=starter, enabled=True)

    terms = ContractTemplate.objects.create(name="Hosting terms", code="hosting-terms", created_at=NOW)
    contract_version_add(template_id=terms.pk, text="No spam, please.", publish=True, now=NOW, actor=None)
    ProductContract.objects.create(product=starter, template=terms)

    PromoCode.objects.create(code="WELCOME", value=Decimal("20"), created_at=NOW)
    return starter, ssl, server


@pytest.fixture
def walker(db):  # noqa: ANN001, ANN201
    """The client, with the postal address and phone a domain registration needs."""
    return factories.client(
        now=NOW,
        email=EMAIL,
        first_name="Wanda",
        last_name="Walker",
        address1="1 Harbour Street",
        city="Riga",
        zip_code="LV-1010",
        country="LV",
        phone="+371.20000000",
    )


def sign_in(page, base: str) -> None:  # noqa: ANN001
    page.goto(f"{base}/login/")
    page.fill("#id_email", EMAIL)
    page.fill("#id_password", factories.PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base}/")


def configure(page, base: str, starter: Product, ssl: Product) -> None:  # noqa: ANN001
    """The configure page, filled in: monthly, PHP 8.3, 3 GB extra disk, backups, SSL, a new domain."""
    page.goto(f"{base}/order/product/{starter.pk}/")
    page.select_option("#id_cycle", "monthly")
    # No hostname typed: the domain chosen below is the hostname, of the plan and of the certificate.
    page.select_option("#id_form_php", "php83")
    page.fill("#id_form_disk", "3")
    page.get_by_test_id("addon-backups").check()
    page.check(f"input[name=other_{ssl.pk}]")
    page.select_option("#domain_action", "register")
    page.fill("#domain_name", DOMAIN)


def line_texts(page) -> list[tuple[str, str]]:  # noqa: ANN001
    """(description, amount) of every row of the invoice page's lines table."""
    rows = page.locator("table.lines tbody tr")
    result = []
    for i in range(rows.count()):
        cells = rows.nth(i).locator("td")
        result.append((cells.nth(0).inner_text().split("\n")[0].strip(), cells.nth(2).inner_text().strip()))
    return result


def test_full_order_with_every_component_in_the_browser(live_server, page, settings, shot, catalog, walker, panel):  # noqa: ANN001
    settings.MOORAGE_CLOCK_DATE = "2026-01-15"
    starter, ssl, server = catalog
    base = live_server.url
    sign_in(page, base)

    # The order page lists the plan; configure it with every component.
    page.goto(f"{base}/order/{starter.order_page.slug}/")
    page.locator("article.plan", has_text="Starter Hosting").get_by_role("link", name="Order now").click()
    page.wait_for_url(f"{base}/order/product/{starter.pk}/")
    assert page.get_by_test_id("order-form").is_visible()
    assert "Daily backups" in page.get_by_test_id("configure-addons").inner_text()
    assert "SSL Certificate" in page.get_by_test_id("other-services").inner_text()
    assert ".test" in page.get_by_test_id("configure-domains").inner_text()
    configure(page, base, starter, ssl)
    shot(page, "walk-01-configure")
    page.get_by_role("button", name="Add to cart").click()
    page.wait_for_url(f"{base}/cart/")
    cart_text = page.locator(".cart-table").inner_text()
    for expected in ("Starter Hosting", "SSL Certificate", DOMAIN, "PHP version", "Extra disk", "Daily backups"):
        assert expected in cart_text, expected
    shot(page, "walk-02-cart")

    # A wrong promotional code is refused with its reason; the right one shows the discount line.
    page.get_by_text("Use promotional code").click()
    page.fill("#id_promo_code", "NOPE")
    page.get_by_role("button", name="Apply").click()
    assert page.get_by_text("The promotional code NOPE does not exist").is_visible()
    shot(page, "walk-03-wrong-promo")
    page.get_by_text("Use promotional code").click()
    page.fill("#id_promo_code", "welcome")
    page.get_by_role("button", name="Apply").click()
    discounts = page.get_by_test_id("cart-discount").all_inner_texts()
    assert [" ".join(d.split()) for d in discounts] == [
        "Promotional code WELCOME: 20% off — Starter Hosting -2.30 USD",  # 20% of 4.99 + 2.00 + 1.50 + 3.00
        "Promotional code WELCOME: 20% off — SSL Certificate -9.80 USD",
    ]
    # 4.99 + 2.00 + 1.50 + 3.00 + 1.00 setup + 12.00 domain - 2.30, and 49.00 - 9.80 for the certificate.
    assert page.get_by_test_id("cart-total").inner_text() == "61.39 USD"
    assert " ".join(page.locator(".cart-table tfoot tr", has_text="Setup fees").inner_text().split()) == (
        "Setup fees 1.00 USD"  # the add-on's
    )
    shot(page, "walk-04-promo")
    total = page.get_by_test_id("cart-total").inner_text()

    # Checkout without the contract: refused with the reason, no order placed.
    page.get_by_role("link", name="Checkout").click()
    page.wait_for_url(f"{base}/checkout/")
    page.get_by_role("button", name="Confirm order").click()
    assert "Please read and accept Hosting terms" in page.locator(".alert-error, .has-error").first.inner_text()
    assert not Order.objects.exists()
    shot(page, "walk-05-contract-refused")

    # Accept it and confirm.
    page.get_by_text("Hosting terms").first.click()
    assert page.get_by_text("No spam, please.").is_visible()
    page.check("#id_accept_contracts")
    shot(page, "walk-06-checkout")
    page.get_by_role("button", name="Confirm order").click()
    page.wait_for_url(re.compile(r"/orders/\d+/complete/"))
    shot(page, "walk-07-complete")

    main = Order.objects.get(client=walker, parent=None)
    separate = Order.objects.get(client=walker, parent=main)
    assert page.get_by_test_id("order-number").inner_text() == main.display_number
    assert f"#{separate.display_number}" in page.get_by_test_id("separate-orders").inner_text()
    assert total == f"{main.invoice.total + separate.invoice.total} USD"

    # The main invoice, line by line: plan, form options, add-on and its setup fee, domain, discount.
    page.get_by_role("link", name=f"View invoice #{main.invoice.display_number}").click()
    assert page.get_by_test_id("invoice-status").inner_text() == "Unpaid"
    assert sorted(line_texts(page)) == sorted(
        [
            ("Starter Hosting - harbour-walk.test", "4.99 USD"),
            ("PHP version: PHP 8.3", "2.00 USD"),
            ("Extra disk (GB): 3", "1.50 USD"),
            ("Add-on: Daily backups", "3.00 USD"),
            ("Setup fee: add-on Daily backups", "1.00 USD"),
            ("Domain registration: harbour-walk.test (1 yr)", "12.00 USD"),
            ("Promotional code WELCOME: 20% off", "-2.30 USD"),
        ]
    )
    assert page.get_by_test_id("invoice-total").inner_text() == "22.19 USD"
    shot(page, "walk-08-invoice")

    # The SSL certificate's own order and invoice, linked from the order-complete page.
    page.go_back()
    page.get_by_test_id("separate-orders").get_by_role("link", name=f"#{separate.invoice.display_number}").click()
    assert sorted(line_texts(page)) == [
        ("Promotional code WELCOME: 20% off", "-9.80 USD"),
        ("SSL Certificate - harbour-walk.test", "49.00 USD"),
    ]
    assert page.get_by_test_id("invoice-total").inner_text() == "39.20 USD"
    shot(page, "walk-09-ssl-invoice")
    assert separate.items.get().product == ssl

    # Pay both from credit in the browser; the workers register the domain and create the account.
    credit_add(client=walker, amount=Decimal("61.39"), reason="Walk", now=NOW, actor=None)
    for invoice in (main.invoice, separate.invoice):
        page.goto(f"{base}/invoices/{invoice.number}/")
        page.get_by_role("button", name="Pay from credit balance").click()
        assert page.get_by_test_id("invoice-status").inner_text() == "Paid"
    shot(page, "walk-10-paid")
    assert run_domain_jobs(now=NOW) == 1
    assert run_provisioning_jobs(now=timezone.now() + dt.timedelta(minutes=1), business_now=NOW) == 1

    domain = Domain.objects.get(client=walker)
    assert (domain.name, domain.status, domain.expires_on) == (DOMAIN, "active", dt.date(2027, 1, 15))
    assert server.registry.domains[DOMAIN].sponsor == server.login
    hosting_service = main.items.get().service
    hosting_service.refresh_from_db()
    assert hosting_service.status == Service.Status.ACTIVE
    assert hosting_service.hostname == DOMAIN
    account = panel.state.users[PanelAccount.objects.get(service=hosting_service).username]
    # Preset basic 1024 MiB + 3 × 1024 (form) + 2048 (add-on); the product's 5 databases + 1 (PHP 8.3).
    assert (int(account["limit_quota"]), int(account["limit_db"])) == (6144, 6)
    assert separate.items.get().service.status == Service.Status.ACTIVE

    page.goto(f"{base}/services/")  # the Domains page is linked from the Services page
    shot(page, "walk-11-services")
    page.get_by_role("link", name="Your domains").click()
    page.wait_for_url(f"{base}/domains/")
    assert DOMAIN in page.locator("main").inner_text()
    shot(page, "walk-12-domains")
    page.goto(f"{base}/services/{hosting_service.pk}/")
    assert page.get_by_test_id("service-status").inner_text() == "Active"
    shot(page, "walk-13-service")
