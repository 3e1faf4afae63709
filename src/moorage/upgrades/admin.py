"""Staff area for upgrades: the requests (read-only) and the service page's Change package action
(upgrade, downgrade or Change Billing Cycle), which calls the same action as the client area."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.loader import render_to_string
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _

from moorage.core import clock
from moorage.core.admin_views import ReadOnlyAdmin, add_domain_error, form_page, readonly_fields_of
from moorage.core.errors import DomainError
from moorage.services.admin import service_page_section
from moorage.services.models import Service
from moorage.upgrades.actions import cycle_targets, service_change_package, upgrade_quote, upgrade_targets
from moorage.upgrades.models import UpgradeRequest

PERM_CHANGE = "services.change_service"


def target_choices(service: Service) -> list[tuple[str, str]]:
    """Every price row the service may change to, labelled with what it costs now."""
    now = clock.now()
    choices = []
    for price in upgrade_targets(service) + cycle_targets(service):
        label = f"{price.product.name} {price.get_cycle_display()} {price.amount}"
        try:
            quote = upgrade_quote(service=service, product=price.product, cycle=price.cycle, now=now)
        except DomainError as exc:
            label += f" (not possible: {exc.message})"
        else:
            if quote.charge > 0:
                label += f": charge {quote.charge} ({quote.settlement_label})"
            elif quote.charge < 0:
                label += f": credit {quote.credit} ({quote.settlement_label})"
            else:
                label += ": nothing to pay"
        choices.append((f"{price.product_id}:{price.cycle}", label))
    return choices


class ChangePackageForm(forms.Form):
    target = forms.ChoiceField(label=_("New product and billing cycle"), widget=forms.RadioSelect)

    def __init__(self, *args: Any, service: Service, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["target"].choices = target_choices(service)


@admin.register(UpgradeRequest)
class UpgradeRequestAdmin(ReadOnlyAdmin):
    """Upgrades, downgrades and billing cycle changes as they were priced and settled."""

    list_display = [
        "id",
        "service",
        "kind",
        "status",
        "from_product",
        "from_cycle",
        "to_product",
        "to_cycle",
        "charge",
        "settlement",
        "created_at",
        "applied_at",
    ]
    list_filter = ["status", "kind", "settlement"]
    search_fields = ["=id", "=service__id", "service__hostname", "service__client__user__email"]
    list_select_related = ["service", "service__product", "from_product", "to_product"]
    readonly_fields = readonly_fields_of(UpgradeRequest)

    def get_urls(self):  # noqa: ANN201
        return [
            path(
                "service/<int:service_id>/change/",
                self.admin_site.admin_view(self.change_package_view),
                name="upgrades_service_change_package",
            ),
            *super().get_urls(),
        ]

    def change_package_view(self, request: HttpRequest, service_id: int) -> HttpResponse:
        if not request.user.has_perm(PERM_CHANGE):
            raise PermissionDenied
        service = get_object_or_404(Service.objects.select_related("product", "client"), pk=service_id)
        page = reverse("admin:services_service_change", args=[service.pk])
        form = ChangePackageForm(request.POST or None, service=service)
        if request.method == "POST" and form.is_valid():
            product_id, cycle = form.cleaned_data["target"].split(":", 1)
            try:
                req = service_change_package(
                    service_id=service.pk, product_id=int(product_id), cycle=cycle, now=clock.now(), actor=request.user
                )
            except DomainError as exc:
                add_domain_error(form, exc, field_map={"product": "target", "cycle": "target"})
            else:
                messages.success(
                    request,
                    _("%(get_kind_display)s requested: %(lower)s.")
                    % {"get_kind_display": req.get_kind_display(), "lower": req.get_status_display().lower()},
                )
                return HttpResponseRedirect(page)
        return form_page(
            request,
            self.admin_site._registry[Service],
            title=_("Change package"),
            form=form,
            obj=service,
            submit_label=_("Change package"),
            intro=(
                _(
                    "Now: %(name)s, %(get_cycle_display)s, %(recurring_amount)s, next due %(next_due_date)s. "
                    "The amounts are pro-rata for the rest of the paid period."
                )
                % {
                    "name": service.product.name,
                    "get_cycle_display": service.get_cycle_display(),
                    "recurring_amount": service.recurring_amount,
                    "next_due_date": service.next_due_date or "-",
                }
            ),
        )


@service_page_section(30)
def _upgrades_section(request: HttpRequest, service: Service) -> str | None:
    requests = list(service.upgrade_requests.select_related("from_product", "to_product", "invoice")[:20])
    has_targets = service.product.available_upgrades.exists() or service.product.prices.count() > 1
    if not requests and not has_targets:
        return None
    return render_to_string(
        "admin/upgrades/service_section.html",
        {
            "service": service,
            "requests": requests,
            "can_change": request.user.has_perm(PERM_CHANGE) and service.status == Service.Status.ACTIVE,
        },
        request=request,
    )
