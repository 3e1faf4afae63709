"""Staff page Reconciliation: the findings by connection and kind, each with its fix (a confirm page,
then a POST), Run now, and the runs."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from moorage.core import clock
from moorage.core.admin_views import ReadOnlyAdmin, add_domain_error, form_page, readonly_fields_of
from moorage.core.errors import DomainError
from moorage.provisioning.models import AppConnection
from moorage.reconciliation.actions import FIX_OPERATION, finding_adopt, finding_fix, reconcile
from moorage.reconciliation.models import Finding, ReconcileRun

PERM_FIX = "reconciliation.fix_finding"
PERM_RUN = "reconciliation.run_reconciliation"


class OpenFilter(admin.SimpleListFilter):
    title = _("state")
    parameter_name = "state"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("open", _("Open")), ("resolved", _("Resolved")), ("all", _("All"))]

    def choices(self, changelist: Any):  # noqa: ANN201
        # "Open" is the default: the page shows what needs attention.
        value = self.value() or "open"
        for lookup, title in self.lookup_choices:
            yield {
                "selected": value == lookup,
                "query_string": changelist.get_query_string({self.parameter_name: lookup}),
                "display": title,
            }

    def queryset(self, request: HttpRequest, queryset: QuerySet[Finding]) -> QuerySet[Finding]:
        value = self.value() or "open"
        if value == "open":
            return queryset.filter(resolved_at__isnull=True)
        if value == "resolved":
            return queryset.filter(resolved_at__isnull=False)
        return queryset


class AdoptForm(forms.Form):
    service = forms.IntegerField(
        label=_("Service number"), min_value=1, help_text=_("The active or suspended service this panel user becomes.")
    )
    confirm_username = forms.CharField(
        label=_("Type the panel username to confirm"), max_length=64, strip=False, required=True
    )


class RunForm(forms.Form):
    connection = forms.ModelChoiceField(
        label=_("App connection"),
        queryset=AppConnection.objects.order_by("name"),
        required=False,
        empty_label=_("All app connections"),
    )


@admin.register(Finding)
class FindingAdmin(ReadOnlyAdmin):
    """Reconciliation: where the panels and billing differ, and the fix each row offers."""

    list_display = ["connection", "kind", "username", "service_link", "seen", "summary", "fix_column"]
    list_filter = [OpenFilter, "connection", "kind"]
    search_fields = ["username"]
    list_select_related = ["connection", "fix_job"]
    ordering = ["connection__name", "kind", "username"]
    readonly_fields = readonly_fields_of(Finding)

    @admin.display(description=_("Service"))
    def service_link(self, obj: Finding) -> str:
        if not obj.service_id:
            return "-"
        return format_html(
            '<a href="{}">#{}</a>', reverse("admin:services_service_change", args=[obj.service_id]), obj.service_id
        )

    @admin.display(description=_("Seen"), ordering="first_seen")
    def seen(self, obj: Finding) -> str:
        return f"{obj.first_seen:%Y-%m-%d %H:%M} … {obj.last_seen:%Y-%m-%d %H:%M}"

    @admin.display(description=_("What differs"))
    def summary(self, obj: Finding) -> str:
        d = obj.details
        if obj.kind == Finding.Kind.PACKAGE_MISMATCH:
            return format_html_join(
                ", ",
                "{}: {} ({})",
                (
                    (k, f"{v[1] or '∞'}", _("product: %(v)s") % {"v": v[0] or "∞"})
                    for k, v in d.get("differences", {}).items()
                ),
            )
        shown = {k: v for k, v in d.items() if k != "fix"}
        return ", ".join(f"{k}: {v}" for k, v in sorted(shown.items()))

    @admin.display(description=_("Fix"))
    def fix_column(self, obj: Finding) -> str:
        if obj.fix_job_id:
            return format_html(
                '{} — <a href="{}">{} #{}</a> ({})',
                obj.get_fix_display(),
                reverse("admin:provisioning_provisioningjob_change", args=[obj.fix_job_id]),
                _("job"),
                obj.fix_job_id,
                obj.fix_job.get_status_display(),
            )
        if obj.resolved_at:
            return str(_("resolved"))
        fix = obj.details.get("fix")
        if not fix:
            return str(_("by hand"))
        label = Finding.Fix(fix).label
        error = format_html(' <span class="errornote">{}</span>', obj.fix_error) if obj.fix_error else ""
        return format_html(
            '<a class="button" href="{}">{}</a>{}',
            reverse("admin:reconciliation_finding_fix", args=[obj.pk, fix]),
            label,
            error,
        )

    def get_urls(self):  # noqa: ANN201
        wrap = self.admin_site.admin_view
        return [
            path("run/", wrap(self.run_view), name="reconciliation_run"),
            path("<int:finding_id>/fix/<str:fix>/", wrap(self.fix_view), name="reconciliation_finding_fix"),
            *super().get_urls(),
        ]

    def changelist_view(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        extra = {
            **(extra_context or {}),
            "can_run": request.user.has_perm(PERM_RUN),
            "last_runs": ReconcileRun.objects.select_related("connection").order_by("-started_at", "-id")[:10],
        }
        return super().changelist_view(request, extra)

    def run_view(self, request: HttpRequest) -> HttpResponse:
        """Run now: compare the panels (or one) with billing at once."""
        if not request.user.has_perm(PERM_RUN):
            raise PermissionDenied
        form = RunForm(
            request.POST if request.method == "POST" else None, initial={"connection": request.GET.get("connection")}
        )
        if request.method == "POST" and form.is_valid():
            chosen = form.cleaned_data["connection"]
            runs = reconcile(now=clock.now(), connection_name=chosen.name if chosen else None, actor=request.user)
            for run in runs:
                if run.error:
                    messages.error(
                        request,
                        _("%(name)s could not be read: %(error)s") % {"name": run.connection.name, "error": run.error},
                    )
                else:
                    messages.success(
                        request,
                        _("%(name)s: %(findings)s findings, %(new)s new, %(resolved)s resolved.")
                        % {
                            "name": run.connection.name,
                            "findings": run.findings,
                            "new": run.new_findings,
                            "resolved": run.resolved,
                        },
                    )
            return HttpResponseRedirect(reverse("admin:reconciliation_finding_changelist"))
        return form_page(
            request,
            self,
            title=_("Run the reconciliation now"),
            form=form,
            submit_label=_("Run now"),
            intro=_("Each panel is read now and compared with billing; a large panel takes a while."),
        )

    def fix_view(self, request: HttpRequest, finding_id: int, fix: str) -> HttpResponse:
        """A finding's fix: a page saying what will be done, then a POST (Adopt asks for the service and
        the username typed again)."""
        if not request.user.has_perm(PERM_FIX):
            raise PermissionDenied
        if fix not in Finding.Fix.values:
            raise Http404
        finding = get_object_or_404(Finding.objects.select_related("connection"), pk=finding_id)
        back = reverse("admin:reconciliation_finding_changelist")
        label = Finding.Fix(fix).label
        if fix == Finding.Fix.ADOPT:
            form: forms.Form | None = AdoptForm(request.POST if request.method == "POST" else None)
            intro = _(
                "Adopt the panel user %(username)s on %(connection)s into a service: billing writes its "
                "ownership marker on the account and from then on manages it (suspend, terminate, package). "
                "Check that the account really is this service's."
            ) % {"username": finding.username, "connection": finding.connection.name}
        else:
            form = None
            intro = _("%(fix)s %(username)s on %(connection)s through a provisioning job (%(operation)s).") % {
                "fix": label,
                "username": finding.username,
                "connection": finding.connection.name,
                "operation": FIX_OPERATION[fix].label,
            }
        if request.method == "POST":
            try:
                if fix == Finding.Fix.ADOPT:
                    if not form.is_valid():
                        raise _Invalid
                    finding_adopt(
                        finding_id=finding.pk,
                        service_id=form.cleaned_data["service"],
                        confirm_username=form.cleaned_data["confirm_username"],
                        now=clock.now(),
                        actor=request.user,
                    )
                    messages.success(request, _("%(username)s adopted.") % {"username": finding.username})
                else:
                    job = finding_fix(finding_id=finding.pk, fix=fix, now=clock.now(), actor=request.user)
                    messages.success(
                        request,
                        _("%(fix)s queued as job #%(pk)s; run the reconciliation again once it is done.")
                        % {"fix": label, "pk": job.pk},
                    )
                return HttpResponseRedirect(back)
            except _Invalid:
                pass
            except DomainError as exc:
                if form is not None:
                    add_domain_error(form, exc, {"service": "service"})
                else:
                    messages.error(request, exc.message)
                    return HttpResponseRedirect(back)
        return form_page(
            request,
            self,
            title=f"{label}: {finding.username}",
            form=form or forms.Form(),
            obj=finding,
            submit_label=str(label),
            intro=intro,
        )


class _Invalid(Exception):
    """The adopt form did not validate: show it again with its errors."""


@admin.register(ReconcileRun)
class ReconcileRunAdmin(ReadOnlyAdmin):
    list_display = [
        "connection",
        "started_at",
        "finished_at",
        "panel_users",
        "accounts",
        "findings",
        "new_findings",
        "resolved",
        "packages_checked",
        "error",
    ]
    list_filter = ["connection"]
    readonly_fields = readonly_fields_of(ReconcileRun)
