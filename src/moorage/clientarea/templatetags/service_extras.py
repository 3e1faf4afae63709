"""`{% dashboard_status_updates %}`: the current Status Updates for the signed-in client's services."""

from __future__ import annotations

from django import template

from moorage.core import clock
from moorage.servicefunctions.queries import client_updates

register = template.Library()


@register.inclusion_tag("clientarea/_fn_dashboard_updates.html", takes_context=True)
def dashboard_status_updates(context: template.Context) -> dict:
    client = context.get("client")
    if client is None:
        return {"updates": []}
    return {"updates": client_updates(client.pk, now=clock.now())}
