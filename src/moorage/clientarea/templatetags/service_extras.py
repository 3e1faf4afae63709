"""Status Updates in the client area: `{% dashboard_status_updates %}` (every open service of the client)
and `{% service_status_updates service %}` (one service page)."""

from __future__ import annotations

from django import template

from moorage.core import clock
from moorage.servicefunctions.queries import client_updates, service_updates

register = template.Library()


@register.inclusion_tag("clientarea/_fn_dashboard_updates.html", takes_context=True)
def dashboard_status_updates(context: template.Context) -> dict:
    client = context.get("client")
    if client is None:
        return {"updates": []}
    return {"updates": client_updates(client.pk, now=clock.now())}


@register.inclusion_tag("clientarea/_fn_service_updates.html")
def service_status_updates(service) -> dict:  # noqa: ANN001
    """`{% service_status_updates service %}`: the current Status Updates of one service, for its page
    (nothing when the product does not enable the function)."""
    if service.product.client_function_refusal("status_updates") is not None:
        return {"updates": [], "service": service}
    return {"updates": list(service_updates(service, now=clock.now())), "service": service}
