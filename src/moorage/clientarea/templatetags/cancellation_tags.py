"""The cancellation block of the client's service page: the pending request, or what may be asked."""

from __future__ import annotations

from django import template

from moorage.cancellations.queries import CANCELLABLE, cancellation_policy, pending_request
from moorage.core import clock
from moorage.services.models import Service

register = template.Library()


@register.inclusion_tag("clientarea/_cancellation.html", takes_context=True)
def cancellation_block(context: template.Context, service: Service) -> dict:
    from moorage.clientarea.cancellations import cancellation_ends_on

    pending = pending_request(service)
    return {
        "service": service,
        "pending": pending,
        "ends_on": cancellation_ends_on(pending, service) if pending else None,
        "live": service.status in CANCELLABLE,
        "policy": cancellation_policy(service, today=clock.today()) if pending is None else None,
        "csrf_token": context.get("csrf_token"),
    }
