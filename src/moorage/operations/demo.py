"""Demo data for `make demo`: staff user, client, catalog (with every component: demo_components.py),
the bundled ispmanager emulator, and the Stripe, PayPal and EPP stand-ins wired in."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from moorage.catalog.actions import PREMADE_SHARED4, order_page_create
from moorage.catalog.models import OrderPage, Product
from moorage.core import clock
from moorage.core.models import User
from moorage.customers.actions import client_register
from moorage.customers.registration import ensure_builtin_fields
from moorage.modules.ispmanager.client import IspManagerClient
from moorage.operations.demo_components import configure_epp, load_components
from moorage.payments.configure import gateway_config_save
from moorage.payments.models import GatewayConfig
from moorage.provisioning.models import AppConnection, ModuleState, ProductApp

STAFF_EMAIL = "admin@moorage.localhost"
CLIENT_EMAIL = "demo.client@moorage.localhost"
CLIENT_PASSWORD = "demo-client-pass"  # noqa: S105 (a demo account, printed at start)
PANEL_NAME = "Demo ispmanager (emulator)"

# Presets created on the demo panel, one per premade package: (preset, product, limits).
DEMO_PRESETS = [
    (
        "starter",
        "Starter Hosting",
        {
            "limit_quota": 5120,
            "limit_webdomains": 1,
            "limit_db": 1,
            "limit_emails": 5,
            "limit_ftp_users": 1,
            "limit_domains": 1,
            "limit_emaildomains": 1,
        },
    ),
    (
        "business",
        "Business Hosting",
        {
            "limit_quota": 20480,
            "limit_webdomains": 5,
            "limit_db": 10,
            "limit_emails": 25,
            "limit_ftp_users": 5,
            "limit_domains": 5,
            "limit_emaildomains": 5,
        },
    ),
    (
        "premium",
        "Premium Hosting",
        {
            "limit_quota": 51200,
            "limit_webdomains": 20,
            "limit_db": 50,
            "limit_emails": 100,
            "limit_ftp_users": 20,
            "limit_domains": 20,
            "limit_emaildomains": 20,
        },
    ),
    (
        "ultimate",
        "Ultimate Hosting",
        {
            "limit_quota": 102400,
            "limit_webdomains": 1000,
            "limit_db": 1000,
            "limit_emails": 10000,
            "limit_ftp_users": 100,
            "limit_domains": 1000,
            "limit_emaildomains": 1000,
        },
    ),
]


def seed_panel(url: str, username: str, password: str) -> None:
    """Create the demo presets on the panel (an emulator) if missing."""
    with IspManagerClient(url, username, password, verify_tls=False, timeout=10) as panel:
        existing = {row.get("name") for row in _elems(panel.call("preset"))}
        for preset, _product, limits in DEMO_PRESETS:
            if preset not in existing:
                panel.call(
                    "preset.edit",
                    {"sok": "ok", "name": preset, "php_enable": True, "limit_ssl": True, "backup": True, **limits},
                    mutating=True,
                )


_standins: list[Any] = []  # kept for the life of the demo process


def start_paypal_standin(*, webhook_url: str) -> Any:
    """The PayPal stand-in on a free port, in a thread of this process, posting webhooks to `webhook_url`."""
    from paypal_standin import PayPalStandin

    standin = PayPalStandin(port=0, webhook_url=webhook_url).start()
    _standins.append(standin)
    return standin


def start_epp_standin() -> Any:
    """The EPP stand-in (a registry serving .test and .example among others) on a free port, in a thread
    of this process; the demo TLDs are pointed at it."""
    from epp_standin import EppStandin

    standin = EppStandin(host="127.0.0.1", port=0).start()
    _standins.append(standin)
    return standin


def _elems(doc: dict[str, Any]) -> list[dict[str, str]]:
    from moorage.modules.ispmanager.client import elems

    return elems(doc)


def _demo_addons() -> None:
    """Two add-ons assigned to the shared hosting plans (created once)."""
    from decimal import Decimal

    from moorage.addons.models import Addon, AddonPrice

    plans = list(Product.objects.filter(order_page__slug="shared-hosting"))
    demo = [
        ("Extra disk 10 GB", "extra-disk-10g", {"limit_quota": 10240}, "", ("2.00", "20.00")),
        ("Dedicated IP", "dedicated-ip", {}, "Assign a dedicated IPv4 address in the panel", ("3.00", "30.00")),
    ]
    with transaction.atomic():
        for name, code, limits, task, (monthly, yearly) in demo:
            if Addon.objects.filter(code=code).exists():
                continue
            addon = Addon.objects.create(name=name, code=code, limits=limits, staff_task=task)
            AddonPrice.objects.create(addon=addon, cycle="monthly", amount=Decimal(monthly))
            AddonPrice.objects.create(addon=addon, cycle="annually", amount=Decimal(yearly))
            addon.products.set(plans)


def load_demo_data(
    *, staff_password: str, panel: dict[str, Any] | None = None, site_url: str | None = None
) -> dict[str, Any]:
    """Create what is missing; running it again changes nothing but the passwords. With `site_url`
    (the running demo's address) the payment providers' stand-ins are started and wired in."""
    now = clock.now()
    info: dict[str, Any] = {}
    ensure_builtin_fields()
    with transaction.atomic():
        staff = User.objects.filter(email=STAFF_EMAIL).first()
        if staff is None:
            staff = User.objects.create_superuser(email=STAFF_EMAIL, password=staff_password, first_name="Admin")
        else:
            staff.set_password(staff_password)
            staff.save(update_fields=["password"])
    if not OrderPage.objects.filter(slug="shared-hosting").exists():
        order_page_create(
            name="Shared Hosting",
            slug="shared-hosting",
            now=now,
            actor=staff,
            premade=PREMADE_SHARED4,
            description="Fast, reliable web hosting on ispmanager, ready in minutes.",
        )
    _demo_addons()
    load_components(now=now, staff=staff)
    if not User.objects.filter(email=CLIENT_EMAIL).exists():
        client_register(
            email=CLIENT_EMAIL,
            password=CLIENT_PASSWORD,
            now=now,
            actor=staff,
            profile={"first_name": "Demo", "last_name": "Client", "country": "DE", "city": "Berlin"},
        )
    if panel:
        with transaction.atomic():
            ModuleState.objects.update_or_create(name="ispmanager", defaults={"active": True, "changed_at": now})
            conn, _ = AppConnection.objects.update_or_create(
                name=PANEL_NAME,
                defaults={
                    "module": "ispmanager",
                    "ip_address": panel["host"],
                    "hostname": "panel.demo.localhost",
                    "username": panel["username"],
                    "password": panel["password"],
                    "api_port": panel["port"],
                    "path": panel["url"],
                    "verify_tls": False,
                    "max_accounts": 500,
                    "nameservers": [
                        {"name": "ns1.demo.localhost", "ip": "192.0.2.53"},
                        {"name": "ns2.demo.localhost", "ip": "192.0.2.54"},
                    ],
                },
            )
            for preset, product_name, _limits in DEMO_PRESETS:
                product = Product.objects.filter(order_page__slug="shared-hosting", name=product_name).first()
                if product is None:
                    continue
                if not product.module:
                    product.module = "ispmanager"
                    product.save(update_fields=["module"])
                ProductApp.objects.get_or_create(
                    product=product,
                    defaults={
                        "connection": conn,
                        "options": {"preset": preset, "create_www_domain": True, "username_pattern": "{hostname}"},
                    },
                )
    if site_url:
        # EPP: the registry stand-in runs in this process; the demo TLDs register domains there.
        epp = start_epp_standin()
        configure_epp(epp)
        info["epp_address"] = f"127.0.0.1:{epp.port}"
        # PayPal: the stand-in runs in this process; its webhooks go to the demo's webhook URL.
        paypal = start_paypal_standin(webhook_url=f"{site_url.rstrip('/')}/payments/webhooks/paypal/")
        gateway_config_save(
            code="paypal",
            enabled=True,
            display_name="",
            sort_order=20,
            values={
                "client_id": paypal.client_id,
                "client_secret": paypal.client_secret,
                "webhook_id": paypal.webhook_id,
                "mode": "sandbox",
                "api_base_url": paypal.base_url,
            },
            now=now,
            actor=staff,
        )
        info["paypal_url"] = paypal.base_url
    return {
        **info,
        "staff_email": STAFF_EMAIL,
        "staff_password": staff_password,
        "client_email": CLIENT_EMAIL,
        "client_password": CLIENT_PASSWORD,
    }


def configure_stripe(*, api_base: str, secret_key: str, publishable_key: str, webhook_secret: str) -> None:
    """Enable the Credit Card gateway (Stripe) against the demo's Stripe stand-in."""
    with transaction.atomic():
        config, _ = GatewayConfig.objects.get_or_create(code="stripe")
        config.enabled = True
        config.set_settings(
            {
                "secret_key": secret_key,
                "publishable_key": publishable_key,
                "webhook_secret": webhook_secret,
                "api_base": api_base,
            }
        )
        config.updated_at = clock.now()
        config.save()
