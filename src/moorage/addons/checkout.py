"""This component's part of checkout (see moorage.services.components): add-ons ordered with a plan."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from moorage.addons.models import Addon, AddonPrice, ServiceAddon
from moorage.addons.queries import offered_price
from moorage.billing.models import InvoiceLine
from moorage.catalog.models import Product
from moorage.core.errors import DomainError
from moorage.core.models import User
from moorage.core.money import ZERO
from moorage.services.components import CartComponent, CartItem, Charge
from moorage.services.models import Service, ServiceComponent

MAX_ADDONS_PER_ITEM = 50


def describe(addon: Addon) -> str:
    return gettext("Add-on: %(name)s") % {"name": addon.name}


def addon_charges(addon: Addon, price: AddonPrice, *, first_amount: Decimal | None = None) -> list[Charge]:
    """The charges of one add-on on `price`: its price (per cycle of the parent, or one-time) and its
    setup fee as a separate one-time charge. `first_amount` replaces the first period's price."""
    amount = price.amount if first_amount is None else first_amount
    charges = [
        Charge(
            line_kind=InvoiceLine.Kind.ADDON,
            description=describe(addon),
            amount=amount,
            recurring_amount=price.amount if price.recurring else ZERO,
            component_kind=ServiceComponent.Kind.ADDON,
            source=addon.source,
            limits=dict(addon.limits or {}),
            periodic=price.recurring,
        )
    ]
    if price.setup_fee:
        charges.append(
            Charge(
                line_kind=InvoiceLine.Kind.SETUP,
                description=gettext("Setup fee: add-on %(name)s") % {"name": addon.name},
                amount=price.setup_fee,
                periodic=False,
            )
        )
    return charges


class AddonsComponent(CartComponent):
    code = "addons"

    def price(self, item: CartItem, product: Product, cycle: str, *, index: int) -> list[Charge]:
        """Each chosen add-on must be assigned to the product, visible and priced for the cycle."""
        if not item.addons:
            return []
        field = f"items[{index}].addons"
        ids = sorted(set(item.addons))
        if len(ids) > MAX_ADDONS_PER_ITEM:
            raise DomainError(_("too many add-ons"), field=field, code="invalid_addon")
        found = {a.pk: a for a in Addon.objects.filter(pk__in=ids, visible=True, products=product)}
        charges: list[Charge] = []
        for addon_id in ids:
            addon = found.get(addon_id)
            if addon is None:
                raise DomainError(
                    _("add-on %(id)s is not offered with %(name)s") % {"id": addon_id, "name": product.name},
                    field=field,
                    code="invalid_addon",
                )
            price = offered_price(addon, cycle)
            if price is None:
                raise DomainError(
                    _("%(addon)s is not offered with the billing cycle %(cycle)s")
                    % {"addon": addon.name, "cycle": cycle},
                    field=field,
                    code="addon_no_price",
                )
            charges.extend(addon_charges(addon, price))
        return charges

    def place(
        self,
        *,
        item: CartItem,
        service: Service,
        charges: list[Charge],
        order_id: int,
        now: dt.datetime,
        actor: User | None,
    ) -> None:
        """Record each ordered add-on against the component checkout wrote (or one without money or
        limits, so that it still shows as the service's add-on)."""
        for addon in Addon.objects.filter(pk__in=set(item.addons)).order_by("pk"):
            charge = next((c for c in charges if c.source == addon.source), None)
            component = (
                ServiceComponent.objects.filter(service=service, source=addon.source)
                .exclude(status=ServiceComponent.Status.ENDED)
                .first()
            )
            if component is None:
                component = ServiceComponent.objects.create(
                    service=service,
                    kind=ServiceComponent.Kind.ADDON,
                    source=addon.source,
                    description=describe(addon)[:300],
                    recurring_amount=ZERO,
                    limits=dict(addon.limits or {}),
                    status=ServiceComponent.Status.ACTIVE,
                    created_at=now,
                )
            ServiceAddon.objects.create(
                service=service,
                addon=addon,
                component=component,
                origin=ServiceAddon.Origin.ORDER,
                recurring_amount=component.recurring_amount,
                amount_charged=sum((c.amount for c in charges if c.source == addon.source), ZERO) if charge else ZERO,
                created_at=now,
            )


COMPONENT = AddonsComponent()
