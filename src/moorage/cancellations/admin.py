"""Staff area for cancellations: the requests (list, filter, Process now, Withdraw), Request
cancellation on the service page, and the requests on the client page."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.loader import render_to_string
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from moorage.cancellations.actions import (
    MAX_REASON,
    cancellation_process,
    cancellation_request,
    cancellation_withdraw,
)
from moorage.cancellations.models import CancellationSettlement
from moorage.cancellations.queries import CANCELLABLE, cancellation_policy, pending_request, processing_date
from moorage.core import clock
from moorage.core.admin_views import ReadOnlyAdmin, add_domain_error, form_page
from moorage.core.errors import DomainError
from moorage.customers.admin import client_page_section
from moorage.customers.models import Client
from moorage.services.admin import service_page_section
from moorage.services.models import CancellationRequest, Service

R = CancellationRequest.Status


class StaffCancellationForm(forms.Form):
    type = forms.ChoiceField(label=_("Cancellation type"), widget=forms.RadioSelect)
    reason = forms.CharField(label=_("Reason"), max_length=MAX_REASON, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args: Any, types: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["type"].choices = types


class ConfirmForm(forms.Form):
    pass


@admin.register(CancellationRequest)
class CancellationRequestAdmin(ReadOnlyAdmin):
    """Cancellation requests: made by clients (or staff), processed by the automation run when
    Automatic Cancellation Requests Processing is on, or here with Process now."""

    list_display = ["id", "service", "client", "type", "status", "created_at", "processed_at", "requested_by", "short"]
    list_filter = ["status", "type"]
    search_fields = ["=id", "service__hostname", "service__client__user__email", "service__client__last_name", "reason"]
    list_select_related = ["service", "service__product", "service__client", "service__client__user", "requested_by"]
    date_hierarchy = "created_at"
    actions = ["process_selected", "withdraw_selected"]
    change_form_template = "admin/cancellations/cancellationrequest/change_form.html"
    fields = [
        "service_link",
        "client",
        "type",
        "status",
        "reason",
        "requested_by",
        "created_at",
        "processed_at",
        "due",
        "settlement_text",
    ]
    readonly_fields = fields

    @admin.display(description=_("Client"))
    def client(self, obj: CancellationRequest) -> Client:
        return obj.service.client

    @admin.display(description=_("Reason"))
    def short(self, obj: CancellationRequest) -> str:
        return obj.reason if len(obj.reason) <= 60 else obj.reason[:59] + "…"

    @admin.display(description=_("Service"))
    def service_link(self, obj: CancellationRequest) -> str:
        url = reverse("admin:services_service_change", args=[obj.service_id])
        return format_html('<a href="{}">{}</a>', url, obj.service)

    @admin.display(description=_("Processed by the automation on"))
    def due(self, obj: CancellationRequest) -> str:
        if obj.status != R.PENDING:
            return "-"
        day = processing_date(obj, obj.service)
        return day.isoformat() if day else "the next run (immediate)"

    @admin.display(description=_("Pro-rated"))
    def settlement_text(self, obj: CancellationRequest) -> str:
        settlement = CancellationSettlement.objects.filter(request=obj).select_related("credit_note", "invoice").first()
        if settlement is None:
            return "-"
        if settlement.credit_note_id:
            url = reverse("admin:billing_creditnote_change", args=[settlement.credit_note_id])
            document = format_html('credit note <a href="{}">{}</a>', url, settlement.credit_note.display_number)
        elif settlement.invoice_id:
            url = reverse("admin:billing_invoice_change", args=[settlement.invoice_id])
            document = format_html('invoice <a href="{}">{}</a>', url, settlement.invoice.display_number)
        else:
            document = "no document"
        return format_html(
            "{}: {} ({}); {}", settlement.get_kind_display(), settlement.amount, settlement.explanation, document
        )

    def has_act_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("services.change_cancellationrequest")

    has_process_permission = has_act_permission
    has_withdraw_permission = has_act_permission

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        obj = CancellationRequest.objects.filter(pk=object_id).first() if str(object_id).isdigit() else None
        tools = []
        if obj is not None and obj.status == R.PENDING and self.has_act_permission(request):
            tools = [
                (reverse("admin:cancellations_request_process", args=[obj.pk]), "Process now"),
                (reverse("admin:cancellations_request_withdraw", args=[obj.pk]), "Withdraw"),
            ]
        return super().change_view(request, object_id, form_url, {**(extra_context or {}), "request_tools": tools})

    def get_urls(self):  # noqa: ANN201
        wrap = self.admin_site.admin_view
        return [
            path("<path:object_id>/process/", wrap(self.process_view), name="cancellations_request_process"),
            path("<path:object_id>/withdraw/", wrap(self.withdraw_view), name="cancellations_request_withdraw"),
            path("request/<int:service_id>/", wrap(self.request_view), name="cancellations_request_for_service"),
            *super().get_urls(),
        ]

    def _request(self, request: HttpRequest, object_id: str) -> CancellationRequest:
        if not self.has_act_permission(request):
            raise PermissionDenied
        return get_object_or_404(CancellationRequest.objects.select_related("service__product"), pk=object_id)

    @staticmethod
    def _page(obj: CancellationRequest) -> str:
        return reverse("admin:services_cancellationrequest_change", args=[obj.pk])

    def process_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        obj = self._request(request, object_id)
        if request.method == "POST":
            try:
                done = cancellation_process(request_id=obj.pk, now=clock.now(), actor=request.user)
            except DomainError as exc:
                messages.error(request, exc.message)
            else:
                messages.success(request, _("Cancellation processed: %(done)s.") % {"done": done})
            return HttpResponseRedirect(self._page(obj))
        return form_page(
            request,
            self,
            title=_("Process cancellation of %(service)s") % {"service": obj.service},
            form=ConfirmForm(),
            obj=obj,
            submit_label=_("Process now"),
            intro=_(
                "The service is cancelled now (its panel account terminated), its unpaid invoices are cancelled "
                "and the money is pro-rated per the product's Pro-rate cancellations."
            ),
        )

    def withdraw_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        obj = self._request(request, object_id)
        if request.method == "POST":
            try:
                cancellation_withdraw(request_id=obj.pk, now=clock.now(), actor=request.user)
            except DomainError as exc:
                messages.error(request, exc.message)
            else:
                messages.success(request, _("Cancellation request withdrawn; the service continues."))
            return HttpResponseRedirect(self._page(obj))
        return form_page(
            request,
            self,
            title=_("Withdraw cancellation of %(service)s") % {"service": obj.service},
            form=ConfirmForm(),
            obj=obj,
            submit_label=_("Withdraw"),
            intro=_("The request is closed and the service continues to renew."),
        )

    def request_view(self, request: HttpRequest, service_id: int) -> HttpResponse:
        """Request cancellation on behalf of the client (staff may use either type)."""
        if not request.user.has_perm("services.add_cancellationrequest"):
            raise PermissionDenied
        service = get_object_or_404(Service.objects.select_related("product", "client"), pk=service_id)
        page = reverse("admin:services_service_change", args=[service.pk])
        policy = cancellation_policy(service, today=clock.today(), by_staff=True)
        if not policy.allowed:
            messages.error(request, policy.refusal[:1].upper() + policy.refusal[1:] + ".")
            return HttpResponseRedirect(page)
        form = StaffCancellationForm(request.POST or None, types=policy.type_choices)
        if request.method == "POST" and form.is_valid():
            try:
                obj = cancellation_request(
                    service_id=service.pk,
                    type=form.cleaned_data["type"],
                    reason=form.cleaned_data["reason"],
                    now=clock.now(),
                    actor=request.user,
                    by_staff=True,
                )
            except DomainError as exc:
                add_domain_error(form, exc)
            else:
                messages.success(
                    request, _("Cancellation requested (%(lower)s).") % {"lower": obj.get_status_display().lower()}
                )
                return HttpResponseRedirect(page)
        return form_page(
            request,
            self,
            title=_("Request cancellation: %(service)s") % {"service": service},
            form=form,
            submit_label=_("Request cancellation"),
            intro=_(
                "With Automatic Cancellation Requests Processing on, an immediate request is processed at once; "
                "an end-of-period one on the day after the paid period."
            ),
        )

    @admin.action(description=_("Process selected pending requests now"))
    def process_selected(self, request: HttpRequest, queryset: QuerySet[CancellationRequest]) -> None:
        done = 0
        for obj in queryset.filter(status=R.PENDING).order_by("pk"):
            try:
                cancellation_process(request_id=obj.pk, now=clock.now(), actor=request.user)
            except DomainError as exc:
                messages.error(request, f"{obj}: {exc.message}")
            else:
                done += 1
        messages.success(
            request,
            ngettext("%(done)s cancellation request processed.", "%(done)s cancellation requests processed.", done)
            % {"done": done},
        )

    process_selected.allowed_permissions = ("process",)  # type: ignore[attr-defined]

    @admin.action(description=_("Withdraw selected pending requests"))
    def withdraw_selected(self, request: HttpRequest, queryset: QuerySet[CancellationRequest]) -> None:
        done = 0
        for obj in queryset.filter(status=R.PENDING).order_by("pk"):
            try:
                cancellation_withdraw(request_id=obj.pk, now=clock.now(), actor=request.user)
            except DomainError as exc:
                messages.error(request, f"{obj}: {exc.message}")
            else:
                done += 1
        messages.success(
            request,
            ngettext("%(done)s cancellation request withdrawn.", "%(done)s cancellation requests withdrawn.", done)
            % {"done": done},
        )

    withdraw_selected.allowed_permissions = ("withdraw",)  # type: ignore[attr-defined]


@service_page_section(40)
def _cancellation_section(request: HttpRequest, service: Service) -> str:
    return render_to_string(
        "admin/cancellations/service_section.html",
        {
            "service": service,
            "requests": service.cancellation_requests.select_related("requested_by").order_by("-created_at", "-id"),
            "pending": pending_request(service),
            "can_request": service.status in CANCELLABLE and request.user.has_perm("services.add_cancellationrequest"),
        },
        request=request,
    )


@client_page_section(25)
def _client_cancellations_section(request: HttpRequest, client: Client) -> str | None:
    rows = (
        CancellationRequest.objects.filter(service__client=client)
        .select_related("service__product", "requested_by")
        .order_by("-created_at", "-id")[:50]
    )
    if not rows:
        return None
    return render_to_string("admin/cancellations/client_section.html", {"requests": rows}, request=request)
