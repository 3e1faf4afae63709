"""Staff area for services: list, the service page with its status history and event log, status
changes through the lifecycle table (service_set_status), and Change Ownership requests to approve."""

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
from moorage.core.admin_views import (
    PageHooks,
    ReadOnlyAdmin,
    ReadOnlyTabularInline,
    add_domain_error,
    form_page,
)
from moorage.core.errors import DomainError
from moorage.customers.admin import client_page_section
from moorage.customers.models import Client
from moorage.provisioning.transfers import panel_password_after_transfer
from moorage.services.actions import service_set_status, service_transfer_approve, service_transfer_close
from moorage.services.lifecycle import TRANSITIONS
from moorage.services.models import Service, ServiceStatusChange, ServiceTransfer
from moorage.services.queries import service_log

# A section renders a block of the service page below its fields (or returns None). Apps above
# services (provisioning: the panel account and its jobs) add theirs here instead of services
# importing them.
service_sections = PageHooks()
service_page_section = service_sections.register


class StatusChangeInline(ReadOnlyTabularInline):
    model = ServiceStatusChange
    fields = ["created_at", "from_status", "to_status", "reason", "actor"]
    readonly_fields = fields
    verbose_name_plural = "status history"


class ServiceStatusForm(forms.Form):
    status = forms.ChoiceField(label=_("New status"))
    reason = forms.CharField(
        label=_("Reason"),
        max_length=200,
        required=False,
        help_text=_("Recorded in the status history (and shown as the suspension reason)."),
    )

    def __init__(self, *args: Any, service: Service, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        allowed = [s for s in Service.Status.values if s in TRANSITIONS[service.status]]
        self.fields["status"].choices = [(s, Service.Status(s).label) for s in allowed]


@admin.register(Service)
class ServiceAdmin(ReadOnlyAdmin):
    """Services are created by checkout and changed by actions; here they are found and their
    status is changed along the lifecycle's allowed transitions."""

    list_display = [
        "id",
        "client",
        "product",
        "hostname",
        "cycle",
        "recurring_amount",
        "status",
        "next_due_date",
        "created_at",
    ]
    list_filter = ["status", "product", "cycle"]
    search_fields = [
        "=id",
        "hostname",
        "label",
        "client__user__email",
        "client__first_name",
        "client__last_name",
        "client__organization",
    ]
    list_select_related = ["client", "client__user", "product"]
    date_hierarchy = "created_at"
    inlines = [StatusChangeInline]
    change_form_template = "admin/services/service/change_form.html"
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "client",
                    "product",
                    "cycle",
                    "recurring_amount",
                    "hostname",
                    "label",
                    "status",
                    "status_reason",
                ]
            },
        ),
        (
            "Dates",
            {
                "fields": [
                    "created_at",
                    "start_date",
                    "anchor_date",
                    "anchor_day",
                    "next_due_date",
                    "expiry",
                    "auto_renew",
                ]
            },
        ),
        ("Notes", {"fields": ["notes", "admin_notes"]}),
    ]
    readonly_fields = [
        "client",
        "product",
        "cycle",
        "recurring_amount",
        "hostname",
        "label",
        "status",
        "status_reason",
        "created_at",
        "start_date",
        "anchor_date",
        "anchor_day",
        "next_due_date",
        "expiry",
        "auto_renew",
        "notes",
        "admin_notes",
    ]

    @admin.display(description=_("Expiry date"))
    def expiry(self, obj: Service) -> Any:
        return obj.expiry_date or "-"

    def has_status_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("services.change_service")

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        service = self.get_object(request, object_id)
        sections = []
        if service is not None:
            sections = service_sections.render(request, service)
        extra = {
            **(extra_context or {}),
            "can_change_status": self.has_status_permission(request),
            "service_sections": sections,
        }
        return super().change_view(request, object_id, form_url, extra)

    def get_urls(self):  # noqa: ANN201
        return [
            path(
                "<path:object_id>/status/",
                self.admin_site.admin_view(self.status_view),
                name="services_service_status",
            ),
            *super().get_urls(),
        ]

    def status_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        if not self.has_status_permission(request):
            raise PermissionDenied
        service = get_object_or_404(Service.objects.select_related("product", "client"), pk=object_id)
        page = reverse("admin:services_service_change", args=[service.pk])
        if not TRANSITIONS[service.status]:
            messages.error(
                request,
                _("A %(lower)s service cannot change status.") % {"lower": service.get_status_display().lower()},
            )
            return HttpResponseRedirect(page)
        form = ServiceStatusForm(request.POST or None, service=service)
        if request.method == "POST" and form.is_valid():
            try:
                service_set_status(
                    service_id=service.pk,
                    status=form.cleaned_data["status"],
                    now=clock.now(),
                    actor=request.user,
                    reason=form.cleaned_data["reason"],
                )
            except DomainError as exc:
                add_domain_error(form, exc)
            else:
                messages.success(
                    request,
                    _("Service is now %(label)s.") % {"label": Service.Status(form.cleaned_data["status"]).label},
                )
                return HttpResponseRedirect(page)
        return form_page(
            request,
            self,
            title=_("Change status"),
            form=form,
            obj=service,
            submit_label=_("Change status"),
            intro=_("Current status: %(get_status_display)s.") % {"get_status_display": service.get_status_display()},
        )


@client_page_section(20)
def _services_section(request: HttpRequest, client: Client) -> str:
    services = client.services.select_related("product").order_by("-id")
    return render_to_string("admin/services/service/client_section.html", {"services": services}, request=request)


STAFF_LOG_LIMIT = 100


@service_page_section(90)
def _log_section(request: HttpRequest, service: Service) -> str:
    """Logs: the same event log the client reads, with staff names, actions and panel errors."""
    entries = service_log(service, for_client=False, viewer=request.user)  # type: ignore[arg-type]
    return render_to_string(
        "admin/services/service/log_section.html",
        {"entries": entries[:STAFF_LOG_LIMIT], "more": max(0, len(entries) - STAFF_LOG_LIMIT)},
        request=request,
    )


@service_page_section(91)
def _transfer_section(request: HttpRequest, service: Service) -> str | None:
    transfers = service.transfers.select_related("from_client", "to_client").order_by("-created_at", "-id")[:10]
    if not transfers:
        return None
    return render_to_string("admin/services/service/transfer_section.html", {"transfers": transfers}, request=request)


@admin.register(ServiceTransfer)
class ServiceTransferAdmin(ReadOnlyAdmin):
    """Change Ownership requests: staff approve (the service moves to the new owner) or reject them."""

    list_display = ["id", "service", "from_client", "to_email", "to_client", "status", "created_at", "decided_at"]
    list_filter = ["status"]
    search_fields = ["=id", "=service__id", "to_email", "from_client__user__email"]
    list_select_related = ["service", "service__product", "from_client", "from_client__user", "to_client"]
    readonly_fields = [
        "service",
        "from_client",
        "to_email",
        "to_client",
        "status",
        "requested_by",
        "created_at",
        "decided_at",
        "decided_by",
        "note",
    ]
    fields = readonly_fields
    actions = ["approve_selected", "reject_selected"]

    def has_decide_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("services.change_service")

    @admin.action(description=_("Approve the selected requests (move the services)"), permissions=["decide"])
    def approve_selected(self, request: HttpRequest, queryset: Any) -> None:
        for transfer in queryset.filter(status=ServiceTransfer.Status.PENDING).order_by("pk"):
            try:
                service_transfer_approve(transfer_id=transfer.pk, now=clock.now(), actor=request.user)
            except DomainError as exc:
                messages.error(request, _("Request #%(pk)s: %(message)s") % {"pk": transfer.pk, "message": exc.message})
            else:
                panel_password_after_transfer(service_id=transfer.service_id, now=clock.now(), actor=request.user)
                messages.success(
                    request,
                    _("Request #%(pk)s: service #%(service_id)s moved.")
                    % {"pk": transfer.pk, "service_id": transfer.service_id},
                )

    @admin.action(description=_("Reject the selected requests"), permissions=["decide"])
    def reject_selected(self, request: HttpRequest, queryset: Any) -> None:
        for transfer in queryset.filter(status=ServiceTransfer.Status.PENDING).order_by("pk"):
            try:
                service_transfer_close(
                    transfer_id=transfer.pk,
                    status=ServiceTransfer.Status.REJECTED,
                    now=clock.now(),
                    actor=request.user,
                )
            except DomainError as exc:
                messages.error(request, _("Request #%(pk)s: %(message)s") % {"pk": transfer.pk, "message": exc.message})
            else:
                messages.success(request, _("Request #%(pk)s rejected.") % {"pk": transfer.pk})
