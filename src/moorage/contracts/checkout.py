"""Contracts at checkout: what the cart's products require the client to accept, and the record of it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.utils.translation import gettext_lazy as _

from moorage.catalog.models import Product
from moorage.contracts.actions import clean_ip
from moorage.contracts.models import Acceptance, ContractVersion, ProductContract
from moorage.core.errors import DomainError
from moorage.customers.models import Client


def required(products: Iterable[Product]) -> list[ContractVersion]:
    """The contract versions the products require, each once (shown at checkout with a checkbox).

    A product requires the current (newest published) version of its contract template; a template
    without a published version requires nothing yet.
    """
    product_ids = {p.pk for p in products}
    if not product_ids:
        return []
    templates = {
        link.template_id: link.template
        for link in ProductContract.objects.filter(product_id__in=product_ids).select_related("template")
    }
    versions = []
    for template in sorted(templates.values(), key=lambda t: (t.name, t.pk)):
        version = template.current_version()
        if version is not None:
            versions.append(version)
    return versions


def names(versions: Iterable[ContractVersion]) -> str:
    return ", ".join(v.template.name for v in versions)


def record(
    *,
    client: Client,
    products: Iterable[Product],
    accepted: bool,
    order_id: int,
    ip_address: str | None,
    now: dt.datetime,
) -> list[Acceptance]:
    """Inside checkout's transaction: refuse (DomainError, field "accept_contracts") when a required
    contract was not accepted; else store each acceptance with its exact version, time and IP."""
    versions = required(products)
    if not versions:
        return []
    if not accepted:
        raise DomainError(
            _("Please read and accept %(names)s to place this order") % {"names": names(versions)},
            field="accept_contracts",
            code="contract_not_accepted",
        )
    return [
        Acceptance.objects.create(
            client=client,
            version=version,
            kind=Acceptance.Kind.CONTRACT,
            accepted_at=now,
            ip_address=clean_ip(ip_address),
            order_id=order_id,
        )
        for version in versions
    ]
