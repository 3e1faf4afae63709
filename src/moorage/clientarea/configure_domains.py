"""The product configure page's section for this component (see clientarea.configure)."""

from __future__ import annotations

from django.http import QueryDict

from moorage.catalog.models import Product
from moorage.clientarea.configure import ConfigureSection
from moorage.customers.models import Client


def section(product: Product, data: QueryDict | None, client: Client | None) -> ConfigureSection:
    return ConfigureSection()
