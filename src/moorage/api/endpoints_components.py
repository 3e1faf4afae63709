"""Product components for API clients building an order (order form, add-ons, other services, domain
options, contracts to accept) and a service's answers and add-ons."""

from __future__ import annotations

from django.db.models import Prefetch
from django.http import HttpRequest

from moorage.addons.models import Addon, AddonPrice, ServiceAddon
from moorage.api import schemas as s
from moorage.api.endpoints import ERRORS, _get
from moorage.api.ordering import offered_other_products
from moorage.api.urls import StaffToken, api
from moorage.catalog.models import Product
from moorage.contracts.checkout import required as contracts_required
from moorage.domains.checkout import offered_tlds, options_of
from moorage.orderforms.models import FormField, FormFieldOption, ServiceFormAnswer
from moorage.services.models import Service


def _prices(rows) -> list[dict]:  # noqa: ANN001
    return [{"cycle": r.cycle, "amount": str(r.amount), "setup_fee": str(r.setup_fee)} for r in rows]


@api.get(
    "/products/{product_id}/components",
    response={200: s.ProductComponentsOut, **ERRORS},
    tags=["catalog"],
    auth=StaffToken("catalog.view_product", area="catalog"),
)
def get_product_components(request: HttpRequest, product_id: s.Id):  # noqa: ANN201
    """What an order item of this product may carry: `form` answers by field code, `addons` ids,
    `other_products` (each its own order), a `domain` (when `domain.enabled`), and the `contracts`
    the order must accept with `accept_contracts: true`."""
    product = _get(Product, product_id, "product")
    fields = (
        FormField.objects.filter(product=product)
        .prefetch_related(Prefetch("options", FormFieldOption.objects.order_by("sort", "pk")))
        .order_by("sort", "pk")
    )
    addons = (
        Addon.objects.filter(products=product, visible=True)
        .prefetch_related(Prefetch("prices", AddonPrice.objects.order_by("pk")))
        .order_by("sort_order", "name", "pk")
    )
    options = options_of(product)
    domain = None
    if options is not None:
        domain = {
            "enabled": options.enabled,
            "allow_own_domain": options.allow_own_domain,
            "only_registered_with_us": options.only_registered_with_us,
            "offer_subdomain": options.offer_subdomain,
            "subdomain_parents": options.parents,
            "tlds": [
                {
                    "name": t.name,
                    "register_price": str(t.register_price),
                    "transfer_price": str(t.transfer_price),
                    "renew_price": str(t.renew_price),
                }
                for t in offered_tlds(options)
            ]
            if options.enabled
            else [],
        }
    return {
        "product_id": product.pk,
        "form": [
            {
                "code": f.code,
                "label": f.label,
                "type": f.type,
                "required": f.required,
                "help": f.help,
                "default": f.default,
                "min_value": f.min_value,
                "max_value": f.max_value,
                "one_time_price": str(f.one_time_price),
                "recurring_price": str(f.recurring_price),
                "options": [
                    {
                        "value": o.value,
                        "label": o.label,
                        "one_time_price": str(o.one_time_price),
                        "recurring_price": str(o.recurring_price),
                    }
                    for o in f.options.all()
                ],
            }
            for f in fields
        ],
        "addons": [
            {
                "id": a.pk,
                "name": a.name,
                "code": a.code,
                "description": a.description,
                "prices": _prices(a.prices.all()),
            }
            for a in addons
        ],
        "other_products": [
            {
                "id": p.pk,
                "name": p.name,
                "price_type": p.price_type,
                "hostname_required": p.hostname_required,
                "prices": [
                    {
                        "cycle": r.cycle,
                        "amount": str(r.amount),
                        "setup_fee": str(r.setup_fee),
                        "upgrade_fee": str(r.upgrade_fee),
                    }
                    for r in p.prices.all()
                ],
            }
            for p in offered_other_products(product)
        ],
        "domain": domain,
        "contracts": [
            {"template": v.template.name, "code": v.template.code, "version": v.number}
            for v in contracts_required([product])
        ],
    }


@api.get(
    "/services/{service_id}/components",
    response={200: s.ServiceComponentsOut, **ERRORS},
    tags=["services"],
    auth=StaffToken("services.view_service", area="services"),
)
def get_service_components(request: HttpRequest, service_id: s.Id):  # noqa: ANN201
    """A service's order-form answers and add-ons (with their component's status)."""
    service = _get(Service, service_id, "service")
    answers = ServiceFormAnswer.objects.filter(service=service).order_by("pk")
    rows = ServiceAddon.objects.filter(service=service).select_related("addon", "component").order_by("pk")
    return {
        "service_id": service.pk,
        "form": [{"code": a.code, "label": a.label, "value": a.value} for a in answers],
        "addons": [
            {
                "id": r.pk,
                "addon_id": r.addon_id,
                "name": r.addon.name,
                "status": r.component.status,
                "recurring_amount": str(r.recurring_amount),
            }
            for r in rows
        ],
    }
