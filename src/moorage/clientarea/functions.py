"""Client Functions in the client area: the one way a function's page finds the client's own service
and refuses a function the product does not enable (403 with the reason, not just a hidden link)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied as HttpForbidden
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext

from moorage.catalog import client_functions
from moorage.core.errors import PermissionDenied
from moorage.services.models import Service


def function_service(request: HttpRequest, pk: int, code: str) -> Service:
    """The signed-in client's service `pk` (404 for anyone else's) whose product enables `code` (403)."""
    service = get_object_or_404(Service.objects.select_related("product"), pk=pk, client=request.client)  # type: ignore[attr-defined]
    try:
        service.product.require_client_function(code)
    except PermissionDenied as exc:
        raise HttpForbidden(exc.message) from exc
    return service


def menu(service: Service) -> list[dict]:
    """The enabled functions of the service's product, in the registry's order, for the action menu."""
    enabled = set(service.product.client_functions or ())
    return [
        {"code": f.code, "label": gettext(f.label)}
        for f in client_functions.FUNCTIONS
        if f.code in enabled and f.applicable and not f.unavailable
    ]
