"""The demo catalog shows every component (issue 13): the Business plan's order form, the two add-ons,
an SSL certificate offered with the hosting plans, domain options with .test and .example registered
through the EPP stand-in the demo starts, the Hosting terms contract and the WELCOME10 code. Running
the demo twice creates nothing twice."""

from __future__ import annotations

from decimal import Decimal

import pytest

from moorage.addons.models import Addon
from moorage.catalog.models import OrderPage, Price, Product
from moorage.contracts.models import ContractTemplate, ContractVersion, ProductContract
from moorage.customers.models import Client
from moorage.domains.jobs import run_due_jobs
from moorage.domains.models import Domain, ProductDomainOptions, Tld
from moorage.domains.registrar import get_registrar
from moorage.operations import demo
from moorage.operations.demo_components import SSL_CODE
from moorage.orderforms.models import FormField, FormFieldOption
from moorage.orders.actions import order_checkout
from moorage.promotions.models import PromoCode
from moorage.services.components import CartItem, as_pairs
from tests import factories

MODELS = (
    OrderPage,
    Product,
    Price,
    Addon,
    FormField,
    FormFieldOption,
    Tld,
    ProductDomainOptions,
    ContractTemplate,
    ContractVersion,
    ProductContract,
    PromoCode,
)


def _counts() -> dict[str, int]:
    counts = {m.__name__: m.objects.count() for m in MODELS}
    counts["other_products"] = Product.other_products.through.objects.count()
    counts["domain_tlds"] = ProductDomainOptions.tlds.through.objects.count()
    counts["addon_products"] = Addon.products.through.objects.count()
    return counts


def _plans() -> list[Product]:
    return list(Product.objects.filter(order_page__slug="shared-hosting").order_by("sort_order"))


@pytest.fixture
def stop_standins():  # noqa: ANN201
    yield
    for standin in demo._standins:
        standin.stop()
    demo._standins.clear()


@pytest.mark.django_db
def test_the_demo_catalog_has_every_component_once():
    demo.load_demo_data(staff_password="demo-staff-pass")
    first = _counts()
    demo.load_demo_data(staff_password="demo-staff-pass")
    assert _counts() == first

    plans = _plans()
    assert [p.code for p in plans] == ["starter", "business", "premium", "ultimate"]
    business = plans[1]
    fields = {f.code: f for f in FormField.objects.filter(product=business)}
    assert set(fields) == {"extra_disk", "website_type"}
    disk = fields["extra_disk"]
    assert (disk.label, disk.type, disk.recurring_price, disk.limits) == (
        "Extra disk (GB)",
        "number",
        Decimal("0.50"),
        {"limit_quota": 1024},
    )
    site = fields["website_type"]
    assert (site.label, site.type) == ("Website type", "select")
    assert [o.value for o in site.options.all()] == ["static", "wordpress", "shop"]
    assert not FormField.objects.exclude(product=business).exists()

    assert sorted(Addon.objects.values_list("code", flat=True)) == ["dedicated-ip", "extra-disk-10g"]
    ssl = Product.objects.get(code=SSL_CODE)
    assert ssl.order_page.slug == "ssl-certificates" and ssl.order_page.visible and ssl.visible
    assert list(ssl.prices.values_list("cycle", "amount")) == [("annually", Decimal("19.00"))]
    assert not ssl.addons.exists()  # the add-ons belong to the hosting plans only
    terms = ContractTemplate.objects.get(code="hosting-terms")
    assert terms.name == "Hosting terms" and terms.current_version().number == 1
    for plan in plans:
        assert list(plan.other_products.all()) == [ssl]
        options = plan.domain_options
        assert options.enabled and options.allow_own_domain
        assert sorted(options.tlds.values_list("name", flat=True)) == ["example", "test"]
        assert plan.contract.template == terms
    assert sorted(Tld.objects.values_list("name", "registrar")) == [("example", "epp"), ("test", "epp")]
    promo = PromoCode.objects.get(code="WELCOME10")
    assert (promo.kind, promo.value, promo.applies, promo.active) == (
        "percent",
        Decimal("10.00"),
        "first_invoice",
        True,
    )


@pytest.mark.django_db
def test_the_demo_business_order_prices_its_form_and_takes_the_code(now):
    demo.load_demo_data(staff_password="demo-staff-pass")
    business = Product.objects.get(order_page__slug="shared-hosting", code="business")
    client = Client.objects.get(user__email=demo.CLIENT_EMAIL)
    order = order_checkout(
        client=client,
        items=[
            CartItem(
                business.pk,
                "monthly",
                "shop.example.com",
                form=as_pairs({"extra_disk": "4", "website_type": "shop"}),
            )
        ],
        now=now,
        promo_code="welcome10",
        accept_contracts=True,
    )
    lines = sorted((line.kind, line.amount) for line in order.invoice.lines.all())
    # Plan 9.99; 4 GB × 0.50 = 2.00; the shop option 2.00 a month and 10.00 once; WELCOME10 takes 10% off
    # what is billed per period (9.99 + 2.00 + 2.00, half-up to cents), not the one-time extra.
    assert lines == [
        ("discount", Decimal("-1.40")),
        ("option", Decimal("2.00")),
        ("option", Decimal("2.00")),
        ("option", Decimal("10.00")),
        ("service", Decimal("9.99")),
    ]
    assert order.invoice.total == Decimal("22.59")
    assert client.contract_acceptances.get().version.template.code == "hosting-terms"


@pytest.mark.django_db
def test_the_demo_contract_is_required(now):
    demo.load_demo_data(staff_password="demo-staff-pass")
    starter = Product.objects.get(order_page__slug="shared-hosting", code="starter")
    client = Client.objects.get(user__email=demo.CLIENT_EMAIL)
    from moorage.core.errors import DomainError

    with pytest.raises(DomainError) as refused:
        order_checkout(client=client, items=[CartItem(starter.pk, "monthly", "a.example.com")], now=now)
    assert refused.value.field == "accept_contracts"


@pytest.mark.django_db(transaction=True)  # the EPP stand-in answers from its own thread
def test_the_demo_registers_domains_through_its_epp_standin(now, stop_standins):
    info = demo.load_demo_data(staff_password="demo-staff-pass", site_url="http://127.0.0.1:8000")
    epp = next(s for s in demo._standins if type(s).__name__ == "EppStandin")
    assert info["epp_address"] == f"127.0.0.1:{epp.port}"
    tld = Tld.objects.get(name="test")
    assert tld.get_settings()["port"] == epp.port
    assert "logged in" in get_registrar("epp", tld.get_settings()).test_connection()

    # A second run (a restarted demo) points the TLDs at the new stand-in and creates nothing.
    counts = _counts()
    demo.load_demo_data(staff_password="demo-staff-pass", site_url="http://127.0.0.1:8000")
    assert _counts() == counts
    epp = [s for s in demo._standins if type(s).__name__ == "EppStandin"][-1]
    assert Tld.objects.get(name="example").get_settings()["port"] == epp.port

    starter = Product.objects.get(order_page__slug="shared-hosting", code="starter")
    client = Client.objects.get(user__email=demo.CLIENT_EMAIL)
    order = order_checkout(
        client=client,
        items=[CartItem(starter.pk, "annually", "", domain=as_pairs({"action": "register", "name": "demo-site.test"}))],
        now=now,
        accept_contracts=True,
    )
    factories.pay(order.invoice, str(order.invoice.total), transaction_id="DEMO-1", now=now)
    assert run_due_jobs(now=now) == 1
    domain = Domain.objects.get(name="demo-site.test")
    assert domain.status == "active"
    assert epp.registry.domains["demo-site.test"].sponsor == epp.login
    assert sorted(domain.nameservers) == ["ns1.demo.localhost", "ns2.demo.localhost"]
