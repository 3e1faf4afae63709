"""The service's Add-ons page: the client's add-ons of one service (cancel one), and the add-ons the
product offers to add now, each with what it costs now (pro-rata for the rest of the paid period).

The page finds the signed-in client's own service (404 for anyone else's); the actions decide every
rule (active service, assigned and visible add-on, its price for the service's cycle, one of each)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from moorage.addons.actions import addon_quote, service_addon_cancel, service_addon_order
from moorage.addons.queries import product_addons, service_addons
from moorage.clientarea.forms import add_domain_error
from moorage.clientarea.views import acting_user, client_required
from moorage.core import clock
from moorage.core.errors import DomainError
from moorage.services.models import Service


class AddAddonForm(forms.Form):
    addon = forms.TypedChoiceField(label=_("Add-on"), coerce=int, choices=())

    def __init__(self, *args: object, offered: list[dict], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["addon"].choices = [(str(o["addon"].pk), o["addon"].name) for o in offered if o["quote"]]


def _service(request: HttpRequest, pk: int) -> Service:
    return get_object_or_404(
        Service.objects.select_related("product", "client"),
        pk=pk,
        client=request.client,  # type: ignore[attr-defined]
    )


def _offered(service: Service) -> list[dict]:
    """Each visible add-on of the product not live on the service, with its quote or why not."""
    live = {row.addon_id for row in service_addons(service, include_ended=False)}
    now = clock.now()
    out = []
    for addon in product_addons(service.product):
        if addon.pk in live:
            continue
        try:
            quote = addon_quote(service=service, addon=addon, now=now)
        except DomainError as exc:
            out.append({"addon": addon, "quote": None, "refusal": exc.message})
        else:
            out.append({"addon": addon, "quote": quote, "refusal": ""})
    return out


@client_required
def service_addons_page(request: HttpRequest, pk: int) -> HttpResponse:
    service = _service(request, pk)
    rows = service_addons(service)
    if not rows and not service.product.addons.exists():
        raise Http404  # nothing to show or to order
    offered = _offered(service)
    form = AddAddonForm(request.POST if request.method == "POST" else None, offered=offered)
    if request.method == "POST" and form.is_valid():
        try:
            row = service_addon_order(
                service_id=service.pk,
                addon_id=form.cleaned_data["addon"],
                now=clock.now(),
                actor=acting_user(request),
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            if row.invoice is not None:
                messages.success(
                    request,
                    _("%(name)s was ordered. It starts when invoice %(number)s is paid.")
                    % {"name": row.addon.name, "number": row.invoice.display_number},
                )
                return redirect("clientarea:invoice", number=row.invoice.number)
            messages.success(request, _("%(name)s was added.") % {"name": row.addon.name})
            return redirect("clientarea:service_addons", pk=service.pk)
    return render(
        request,
        "clientarea/fn_addons.html",
        {"service": service, "title": _("Add-ons"), "rows": rows, "offered": offered, "form": form},
    )


@client_required
@require_POST
def service_addon_cancel_view(request: HttpRequest, pk: int, addon_pk: int) -> HttpResponse:
    service = _service(request, pk)
    if not service.addon_rows.filter(pk=addon_pk).exists():  # type: ignore[attr-defined]
        raise Http404
    try:
        row = service_addon_cancel(
            service_addon_id=addon_pk,
            now=clock.now(),
            actor=acting_user(request),
            client_id=request.client.pk,  # type: ignore[attr-defined]
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        if row.ends_on:
            messages.success(
                request,
                _("%(name)s is cancelled: it is not renewed and ends on %(date)s.")
                % {"name": row.addon.name, "date": row.ends_on},
            )
        else:
            messages.success(request, _("%(name)s is cancelled.") % {"name": row.addon.name})
    return redirect("clientarea:service_addons", pk=service.pk)
