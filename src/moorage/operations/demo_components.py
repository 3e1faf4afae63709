"""The demo catalog's components (`moorage demo`): an order form on the Business plan, an SSL certificate
offered as another service of the hosting plans, domain options with the TLDs .test and .example
(registered through the EPP stand-in the demo starts), the "Hosting terms" contract the hosting plans
require, and the promotional code WELCOME10.

Every step creates only what is missing, through the apps' own actions where staff use one, so running
the demo again creates nothing twice (and keeps what staff changed in the demo since)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db import transaction

from moorage.catalog.actions import order_page_create
from moorage.catalog.models import OrderPage, Price, Product
from moorage.contracts.actions import contract_version_add
from moorage.contracts.models import ContractTemplate, ProductContract
from moorage.core.models import User
from moorage.domains.models import ProductDomainOptions, Tld
from moorage.orderforms.actions import form_import
from moorage.orderforms.models import FormField
from moorage.promotions.models import PromoCode

HOSTING_PAGE = "shared-hosting"
SSL_PAGE = "ssl-certificates"
SSL_CODE = "ssl"
TERMS_CODE = "hosting-terms"
PROMO_CODE = "WELCOME10"
DEMO_TLDS = ("test", "example")  # both served by the EPP stand-in
NAMESERVERS = ["ns1.demo.localhost", "ns2.demo.localhost"]

# The Business plan's order form: a quantity priced per GB that raises the panel's disk quota (MiB),
# and a select whose options carry their own prices and limits.
BUSINESS_FORM: list[dict[str, Any]] = [
    {
        "code": "extra_disk",
        "label": "Extra disk (GB)",
        "type": "number",
        "help": "Added to the plan's 20 GB of disk space",
        "min": 0,
        "max": 100,
        "default": "0",
        "recurring_price": "0.50",
        "limits": {"limit_quota": 1024},
        "client_editable": True,
        "sort": 0,
    },
    {
        "code": "website_type",
        "label": "Website type",
        "type": "select",
        "required": True,
        "help": "What the site runs; an online shop gets two more databases",
        "default": "static",
        "sort": 1,
        "options": [
            {"label": "Static site", "value": "static", "sort": 0},
            {"label": "WordPress (installed for you)", "value": "wordpress", "sort": 1, "one_time_price": "5.00"},
            {
                "label": "Online shop",
                "value": "shop",
                "sort": 2,
                "one_time_price": "10.00",
                "recurring_price": "2.00",
                "limits": {"limit_db": 2},
            },
        ],
    },
]

HOSTING_TERMS = """Hosting terms (demo)

1. The service is provided as described on its order page, for the billing period paid.
2. You keep your content lawful and do not send unsolicited email from the service.
3. Renewal invoices are issued before the due date; an unpaid service is suspended, then terminated.
4. You may cancel at the end of a billing period from the client area.
"""


def hosting_plans() -> list[Product]:
    return list(Product.objects.filter(order_page__slug=HOSTING_PAGE).order_by("sort_order", "pk"))


def ssl_product(*, now: dt.datetime, staff: User | None) -> Product:
    """ "SSL Certificate", a yearly product on its own order page, offered with every hosting plan."""
    page = OrderPage.objects.filter(slug=SSL_PAGE).first()
    if page is None:
        page = order_page_create(
            name="SSL Certificates",
            slug=SSL_PAGE,
            now=now,
            actor=staff,
            description="Certificates for your websites, issued for the hosting plan's domain.",
        )
    with transaction.atomic():
        product = Product.objects.filter(code=SSL_CODE).first()
        if product is None:
            product = Product.objects.create(
                order_page=page,
                name="SSL Certificate",
                code=SSL_CODE,
                description="A domain-validated certificate for one domain, renewed every year.",
                price_type=Product.PriceType.RECURRING,
            )
            Price.objects.create(product=product, cycle="annually", amount=Decimal("19.00"))
        for plan in hosting_plans():
            plan.other_products.add(product)
    return product


def business_form(*, now: dt.datetime, staff: User | None) -> None:
    """The order form of the Business plan (the fields it lacks are added)."""
    business = Product.objects.filter(order_page__slug=HOSTING_PAGE, code="business").first()
    if business is None:
        return
    have = set(FormField.objects.filter(product=business).values_list("code", flat=True))
    missing = [field for field in BUSINESS_FORM if field["code"] not in have]
    if missing:
        form_import(product_id=business.pk, data=missing, now=now, actor=staff)


def domain_options() -> None:
    """TLDs .test and .example (registrar module `epp`) and the hosting plans' domain options: register or
    transfer one with the plan, or use one's own."""
    with transaction.atomic():
        tlds = []
        for name in DEMO_TLDS:
            tld, _created = Tld.objects.get_or_create(
                name=name,
                defaults={
                    "registrar": "epp",
                    "register_price": Decimal("8.00"),
                    "transfer_price": Decimal("6.00"),
                    "renew_price": Decimal("9.00"),
                },
            )
            tlds.append(tld)
        for plan in hosting_plans():
            options, created = ProductDomainOptions.objects.get_or_create(
                product=plan, defaults={"enabled": True, "allow_own_domain": True}
            )
            if created:
                options.tlds.set(tlds)


def epp_settings(standin: Any) -> dict[str, Any]:
    """The `epp` registrar settings for the stand-in (trusting its throw-away CA)."""
    return {
        "host": "127.0.0.1",
        "port": standin.port,
        "login": standin.login,
        "password": standin.password,
        "ca_file": standin.ca_file,
        "timeout": 10,
        "contact_prefix": "demo",
        "nameservers": NAMESERVERS,
    }


def configure_epp(standin: Any) -> None:
    """Point the demo TLDs at the EPP stand-in of this run (its port and CA change each run)."""
    with transaction.atomic():
        for tld in Tld.objects.select_for_update().filter(name__in=DEMO_TLDS, registrar="epp"):
            tld.set_settings(epp_settings(standin))
            tld.save(update_fields=["registrar_settings_encrypted"])


def hosting_terms(*, now: dt.datetime, staff: User | None) -> ContractTemplate:
    """The "Hosting terms" contract, version 1 published, required by every hosting plan."""
    with transaction.atomic():
        template, _created = ContractTemplate.objects.get_or_create(
            code=TERMS_CODE, defaults={"name": "Hosting terms", "created_at": now}
        )
        if not template.versions.exists():
            contract_version_add(template_id=template.pk, text=HOSTING_TERMS, publish=True, now=now, actor=staff)
        for plan in hosting_plans():
            ProductContract.objects.get_or_create(product=plan, defaults={"template": template})
    return template


def welcome_promo(*, now: dt.datetime) -> PromoCode:
    """WELCOME10: 10% off the first invoice, any product, any cycle."""
    with transaction.atomic():
        promo = PromoCode.objects.filter(code__iexact=PROMO_CODE).first()
        if promo is None:
            promo = PromoCode.objects.create(
                code=PROMO_CODE,
                description="Demo: 10% off the first invoice",
                kind=PromoCode.Kind.PERCENT,
                value=Decimal("10.00"),
                applies=PromoCode.Applies.FIRST_INVOICE,
                created_at=now,
            )
    return promo


def load_components(*, now: dt.datetime, staff: User | None) -> None:
    """Every component of the demo catalog (after the hosting plans and the add-ons exist)."""
    ssl_product(now=now, staff=staff)
    business_form(now=now, staff=staff)
    domain_options()
    hosting_terms(now=now, staff=staff)
    welcome_promo(now=now)
