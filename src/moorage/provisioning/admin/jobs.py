"""Provisioning jobs (attempts, the panel's error, Retry) and the service page's control panel
account: Create, Suspend, Unsuspend, Terminate, Change package or password, Login to the panel."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseNotAllowed,
    HttpResponseRedirect,
)
from django.shortcuts import get_object_or_404
from django.template.loader import render_to_string
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from moorage.core import clock
from moorage.core.admin_views import ReadOnlyAdmin, ReadOnlyTabularInline, form_page
from moorage.core.errors import DomainError
from moorage.provisioning.actions import (
    fetch_presets,
    job_retry,
    login_details,
    panel_account_state,
    service_provision,
    sso_url,
)
from moorage.provisioning.admin.base import (
    PERM_RETRY,
    PERM_RUN,
    PERM_SECRETS,
    RETRYABLE,
    Op,
    safe_next,
)
from moorage.provisioning.models import JobAttempt, PanelAccount, ProvisioningJob
from moorage.services.admin import service_page_section
from moorage.services.models import Service

# ---------------------------------------------------------------- Provisioning jobs


class JobAttemptInline(ReadOnlyTabularInline):
    model = JobAttempt
    fields = ["number", "started_at", "duration_ms", "outcome", "message"]
    readonly_fields = fields
    verbose_name_plural = "attempts"


class ServiceOperationForm(forms.Form):
    """What a remote action needs beyond the button: a reason, a preset, a new password."""

    reason = forms.CharField(label=_("Reason"), max_length=200, required=False, help_text=_("Recorded with the job."))

    def __init__(self, *args: Any, operation: str, presets: list[str] | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.operation = operation
        if operation == Op.CHANGE_PACKAGE:
            if presets:
                field: forms.Field = forms.ChoiceField(
                    choices=[("", "— the product's App settings —")] + [(p, p) for p in presets]
                )
            else:
                field = forms.CharField(max_length=100)
            field.label = "Preset"
            field.required = False
            field.help_text = (
                "Empty: apply the product's App settings (preset and overrides) again. A preset: "
                "switch the account to that preset's limits."
            )
            self.fields["preset"] = field
        if operation == Op.CHANGE_PASSWORD:
            self.fields["password"] = forms.CharField(
                label=_("New password"),
                required=False,
                max_length=100,
                widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
                help_text=_("Empty: a new random password is generated."),
            )

    def params(self) -> dict[str, Any]:
        d = self.cleaned_data
        if self.operation == Op.CHANGE_PACKAGE and d.get("preset"):
            return {"options": {"preset": d["preset"]}}
        if self.operation == Op.CHANGE_PASSWORD and d.get("password"):
            return {"password": d["password"]}
        return {}


@admin.register(ProvisioningJob)
class ProvisioningJobAdmin(ReadOnlyAdmin):
    """Provisioning jobs: each remote action with its attempts and the panel's error; Retry."""

    list_display = [
        "id",
        "created_at",
        "service_link",
        "username",
        "operation",
        "status",
        "attempts",
        "next_attempt_at",
        "short_error",
    ]
    list_filter = ["status", "operation"]
    search_fields = [
        "=id",
        "=service__id",
        "service__panel_account__username",
        "service__hostname",
        "service__client__user__email",
    ]
    search_help_text = "Job or service number, panel username, hostname or the client's email"
    list_select_related = ["service", "service__panel_account"]
    date_hierarchy = "created_at"
    inlines = [JobAttemptInline]
    change_form_template = "admin/provisioning/provisioningjob/change_form.html"
    fields = [
        "service_link",
        "username",
        "operation",
        "status",
        "panel_error",
        "attempts",
        "max_attempts",
        "next_attempt_at",
        "locked_until",
        "reason",
        "params",
        "idempotency_key",
        "requested_by",
        "created_at",
        "finished_at",
    ]
    readonly_fields = fields

    @admin.display(description=_("Service"))
    def service_link(self, obj: ProvisioningJob) -> str:
        return format_html(
            '<a href="{}">#{} {}</a>',
            reverse("admin:services_service_change", args=[obj.service_id]),
            obj.service_id,
            obj.service.hostname,
        )

    @admin.display(description=_("Username"), ordering="service__panel_account__username")
    def username(self, obj: ProvisioningJob) -> str:
        account = getattr(obj.service, "panel_account", None)
        return account.username if account else "-"

    @admin.display(description=_("Last error"))
    def short_error(self, obj: ProvisioningJob) -> str:
        return (obj.last_error[:80] + "…") if len(obj.last_error) > 80 else obj.last_error or "-"

    @admin.display(description=_("Panel's error"))
    def panel_error(self, obj: ProvisioningJob) -> str:
        if not obj.last_error:
            return "-"
        kind = f" [{obj.panel_error_type}]" if obj.panel_error_type else ""
        return format_html('<span class="errornote-inline">{}{}</span>', obj.last_error, kind)

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        extra = {**(extra_context or {}), "can_retry": request.user.has_perm(PERM_RETRY)}
        extra["retryable"] = RETRYABLE
        return super().change_view(request, object_id, form_url, extra)

    def get_urls(self):  # noqa: ANN201
        wrap = self.admin_site.admin_view
        return [
            path("<path:object_id>/retry/", wrap(self.retry_view), name="provisioning_job_retry"),
            path(
                "service/<int:service_id>/run/<str:operation>/",
                wrap(self.provision_view),
                name="provisioning_service_provision",
            ),
            path(
                "service/<int:service_id>/sso/",
                wrap(self.sso_view),
                name="provisioning_service_sso",
            ),
            path(
                "service/<int:service_id>/login-details/",
                wrap(self.login_details_view),
                name="provisioning_service_login_details",
            ),
            *super().get_urls(),
        ]

    def retry_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not request.user.has_perm(PERM_RETRY):
            raise PermissionDenied
        job = get_object_or_404(ProvisioningJob, pk=unquote(object_id))
        try:
            job_retry(job_id=job.pk, now=clock.now(), actor=request.user)
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(
                request,
                _("Job #%(pk)s (%(get_operation_display)s) queued again.")
                % {"pk": job.pk, "get_operation_display": job.get_operation_display()},
            )
        return HttpResponseRedirect(
            safe_next(request, reverse("admin:provisioning_provisioningjob_change", args=[job.pk]))
        )

    def provision_view(self, request: HttpRequest, service_id: int, operation: str) -> HttpResponse:
        """Create, Suspend, Unsuspend, Terminate, Change package or password (service page)."""
        if not request.user.has_perm(PERM_RUN):
            raise PermissionDenied
        if operation not in Op.values:
            raise Http404(f"no operation {operation!r}")
        service = get_object_or_404(Service.objects.select_related("product"), pk=service_id)
        page = reverse("admin:services_service_change", args=[service.pk])
        label = Op(operation).label
        presets: list[str] = []
        account = PanelAccount.objects.select_related("connection").filter(service=service).first()
        if operation == Op.CHANGE_PACKAGE and account is not None and request.method == "GET":
            try:
                presets = fetch_presets(connection=account.connection)
            except DomainError as exc:
                messages.warning(request, _("%(message)s; type the preset's name.") % {"message": exc.message})
        if operation == Op.CHANGE_PACKAGE and request.method == "POST":
            preset = request.POST.get("preset", "")
            presets = [preset] if preset else []
        form = ServiceOperationForm(
            request.POST if request.method == "POST" else None, operation=operation, presets=presets
        )
        if request.method == "POST" and form.is_valid():
            try:
                job = service_provision(
                    service_id=service.pk,
                    operation=operation,
                    now=clock.now(),
                    actor=request.user,
                    reason=form.cleaned_data["reason"],
                    params=form.params(),
                )
            except DomainError as exc:
                messages.error(request, f"{label}: {exc.message}")
                return HttpResponseRedirect(page)
            messages.success(
                request,
                _("%(label)s queued as job #%(pk)s; the status changes when the panel confirms.")
                % {"label": label, "pk": job.pk},
            )
            return HttpResponseRedirect(page)
        return form_page(
            request,
            _service_admin(self),
            title=_("%(label)s: service #%(pk)s %(hostname)s")
            % {"label": label, "pk": service.pk, "hostname": service.hostname},
            form=form,
            obj=service,
            submit_label=label,
            intro=f"The {label.lower()} runs as a provisioning job on the panel"
            + (f" {account.connection.name} for {account.username}." if account else "."),
        )

    def sso_view(self, request: HttpRequest, service_id: int) -> HttpResponse:
        """Login to control panel: a one-time login URL from the panel, never the password."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not request.user.has_perm(PERM_SECRETS):
            raise PermissionDenied
        service = get_object_or_404(Service, pk=service_id)
        try:
            url = sso_url(service=service, actor=request.user, now=clock.now())
        except DomainError as exc:
            messages.error(request, _("Login to control panel: %(message)s") % {"message": exc.message})
            return HttpResponseRedirect(reverse("admin:services_service_change", args=[service.pk]))
        return HttpResponseRedirect(url)

    def login_details_view(self, request: HttpRequest, service_id: int) -> HttpResponse:
        """The panel login with its password (shown on request, not on the service page)."""
        if not request.user.has_perm(PERM_SECRETS):
            raise PermissionDenied
        service = get_object_or_404(Service, pk=service_id)
        try:
            details = login_details(service=service)
        except DomainError as exc:
            messages.error(request, exc.message)
            details = None
        return form_page(
            request,
            _service_admin(self),
            title=_("Login details of service #%(pk)s") % {"pk": service.pk},
            obj=service,
            template="admin/provisioning/login_details.html",
            details=details,
        )


def _service_admin(model_admin: admin.ModelAdmin) -> admin.ModelAdmin:
    """The services admin, so pages about a service show the service's breadcrumbs."""
    return model_admin.admin_site._registry[Service]


# ---------------------------------------------------------------- The service page


@service_page_section(10)
def _panel_section(request: HttpRequest, service: Service) -> str | None:
    account = PanelAccount.objects.select_related("connection").filter(service=service).first()
    if account is None and not service.product.module:
        return None
    details: dict[str, str] | None = None
    live: dict[str, Any] | None = None
    try:
        details = login_details(service=service) if account else None
        if account and request.GET.get("panel_state"):
            live = panel_account_state(service=service)
    except DomainError as exc:  # e.g. the connection's module is no longer installed
        live = {"known": False, "message": exc.message}
    jobs = list(service.provisioning_jobs.all()[:20])
    user = request.user
    operations = [
        (Op.CREATE, Op.CREATE.label, False),
        (Op.SUSPEND, Op.SUSPEND.label, False),
        (Op.UNSUSPEND, Op.UNSUSPEND.label, False),
        (Op.TERMINATE, Op.TERMINATE.label, True),
        (Op.CHANGE_PACKAGE, Op.CHANGE_PACKAGE.label, True),
        (Op.CHANGE_PASSWORD, Op.CHANGE_PASSWORD.label, True),
    ]
    return render_to_string(
        "admin/provisioning/service_section.html",
        {
            "service": service,
            "account": account,
            "details": {k: v for k, v in (details or {}).items() if k != "password"},
            "live": live,
            "jobs": jobs,
            "retryable": RETRYABLE,
            "operations": operations,
            "can_run": user.has_perm(PERM_RUN),
            "can_retry": user.has_perm(PERM_RETRY),
            "can_see_secrets": user.has_perm(PERM_SECRETS),
            "page": reverse("admin:services_service_change", args=[service.pk]),
        },
        request=request,
    )
