"""Staff area: TLDs (prices, registrar and its settings), domains with their jobs (retry), and the
product's domain options (an inline of the product page's Components)."""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from moorage.catalog.admin import product_inlines
from moorage.core import clock
from moorage.core.errors import DomainError
from moorage.domains import names
from moorage.domains.jobs import domain_job_retry
from moorage.domains.models import Domain, DomainInvoice, DomainJob, ProductDomainOptions, Tld
from moorage.domains.registrar import registrar_classes

KEEP = "(unchanged)"
ENDPOINT_KEYS = ("host", "port", "url", "endpoint", "base_url")  # where the secrets are sent


class TldForm(forms.ModelForm):
    """The TLD with its registrar settings as JSON; secrets (password kinds) are never shown back: a
    value left as "(unchanged)" keeps what is stored."""

    registrar_settings = forms.CharField(
        label=_("Registrar settings (JSON)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 8, "cols": 80}),
        help_text=_(
            'e.g. {"host": "epp.example.net", "port": 700, "login": "…", "password": "…", '
            '"nameservers": ["ns1.example.net", "ns2.example.net"]}'
        ),
    )

    class Meta:
        model = Tld
        fields = [
            "name",
            "registrar",
            "register_price",
            "transfer_price",
            "renew_price",
            "min_years",
            "max_years",
            "visible",
        ]

    def _secret_names(self) -> set[str]:
        code = self.cleaned_data.get("registrar") if hasattr(self, "cleaned_data") else self.instance.registrar
        cls = registrar_classes().get(code or "")
        secret = {"password"}
        if cls is not None:
            secret |= {f.name for f in cls.settings_fields if f.kind == "password"}
        return secret

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            stored = self.instance.get_settings()
            shown = {k: (KEEP if k in self._secret_names() and v else v) for k, v in stored.items()}
            self.fields["registrar_settings"].initial = json.dumps(shown, indent=2, sort_keys=True)

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip().lower().lstrip(".")
        try:
            return names.normalize_domain("x." + name)[2:]
        except names.DomainNameError as exc:
            raise forms.ValidationError(str(exc)) from exc

    def clean_registrar_settings(self) -> dict[str, Any]:
        raw = self.cleaned_data.get("registrar_settings") or "{}"
        try:
            value = json.loads(raw)
        except ValueError as exc:
            raise forms.ValidationError(_("Not valid JSON: %(error)s") % {"error": exc}) from exc
        if not isinstance(value, dict):
            raise forms.ValidationError(_("The settings are one JSON object"))
        stored = self.instance.get_settings() if self.instance.pk else {}
        kept = [k for k, v in value.items() if v == KEEP and stored.get(k)]
        moved = [k for k in ENDPOINT_KEYS if str(value.get(k, "")) != str(stored.get(k, ""))]
        if kept and (moved or self.cleaned_data.get("registrar") != self.instance.registrar):
            # A stored secret is never sent to a server staff just named: type it again.
            raise forms.ValidationError(
                _("The registrar or its server changed: type %(names)s again instead of %(keep)s")
                % {"names": ", ".join(sorted(kept)), "keep": KEEP}
            )
        return {k: (stored.get(k, "") if v == KEEP else v) for k, v in value.items()}

    def save(self, commit: bool = True) -> Tld:  # noqa: FBT001, FBT002 - Django's signature
        self.instance.set_settings(self.cleaned_data["registrar_settings"])
        return super().save(commit=commit)


@admin.register(Tld)
class TldAdmin(admin.ModelAdmin):
    form = TldForm
    list_display = ["__str__", "registrar", "register_price", "transfer_price", "renew_price", "visible"]
    list_filter = ["registrar", "visible"]
    search_fields = ["name"]


class DomainJobInline(admin.TabularInline):
    model = DomainJob
    extra = 0
    can_delete = False
    fields = ["operation", "status", "attempts", "next_attempt_at", "last_error", "error_code", "created_at"]
    readonly_fields = fields
    show_change_link = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class DomainInvoiceInline(admin.TabularInline):
    model = DomainInvoice
    extra = 0
    can_delete = False
    fields = ["kind", "invoice", "years", "period_key", "created_at"]
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Domain)
class DomainAdmin(admin.ModelAdmin):
    """Domains are changed by actions and jobs; staff read them, switch auto-renew and retry jobs."""

    list_display = ["name", "client", "status", "expires_on", "auto_renew", "service"]
    list_filter = ["status", "auto_renew", "tld"]
    search_fields = ["name", "client__user__email", "client__last_name", "client__organization"]
    list_select_related = ["client", "service", "tld"]
    fields = [
        "name",
        "client",
        "tld",
        "origin",
        "status",
        "years",
        "registered_on",
        "expires_on",
        "next_due_date",
        "nameservers",
        "service",
        "auto_renew",
        "created_at",
    ]
    readonly_fields = [f for f in fields if f != "auto_renew"]
    inlines = [DomainJobInline, DomainInvoiceInline]
    actions = ["retry_failed_jobs"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.action(description=_("Retry the failed or waiting registrar jobs"), permissions=["change"])
    def retry_failed_jobs(self, request: HttpRequest, queryset: QuerySet[Domain]) -> None:
        retried = 0
        jobs = DomainJob.objects.filter(
            domain__in=queryset, status__in=[DomainJob.Status.FAILED, DomainJob.Status.ERRORED]
        )
        for job_id in jobs.values_list("pk", flat=True).order_by("pk"):
            try:
                domain_job_retry(job_id=job_id, now=clock.now(), actor=request.user)
                retried += 1
            except DomainError as exc:
                messages.error(request, f"job #{job_id}: {exc.message}")
        messages.info(request, _("%(n)s job(s) queued again.") % {"n": retried})


@admin.register(DomainJob)
class DomainJobAdmin(admin.ModelAdmin):
    list_display = ["domain", "operation", "status", "attempts", "next_attempt_at", "last_error"]
    list_filter = ["status", "operation"]
    search_fields = ["domain__name"]
    readonly_fields = [f.name for f in DomainJob._meta.fields]
    actions = ["retry"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.action(description=_("Retry now"), permissions=["change"])
    def retry(self, request: HttpRequest, queryset: QuerySet[DomainJob]) -> None:
        for job_id in queryset.values_list("pk", flat=True).order_by("pk"):
            try:
                domain_job_retry(job_id=job_id, now=clock.now(), actor=request.user)
            except DomainError as exc:
                messages.error(request, f"job #{job_id}: {exc.message}")


class ProductDomainOptionsForm(forms.ModelForm):
    class Meta:
        model = ProductDomainOptions
        fields = [
            "enabled",
            "tlds",
            "allow_own_domain",
            "only_registered_with_us",
            "offer_subdomain",
            "subdomain_parents",
            "auto_hostname",
            "hostname_pattern",
        ]

    def clean_subdomain_parents(self) -> str:
        parents = []
        for line in self.cleaned_data.get("subdomain_parents", "").splitlines():
            if line.strip():
                try:
                    parents.append(names.normalize_domain(line))
                except names.DomainNameError as exc:
                    raise forms.ValidationError(str(exc)) from exc
        return "\n".join(parents)

    def clean_hostname_pattern(self) -> str:
        pattern = self.cleaned_data.get("hostname_pattern", "").strip()
        if pattern:
            try:
                names.render_pattern(pattern, client_id=1, service_id=1, product_code="p", random="a1b2c3d4")
            except names.DomainNameError as exc:
                raise forms.ValidationError(str(exc)) from exc
        return pattern


class ProductDomainOptionsInline(admin.StackedInline):
    model = ProductDomainOptions
    form = ProductDomainOptionsForm
    extra = 0
    max_num = 1
    filter_horizontal = ["tlds"]
    verbose_name = _("Domain options")


product_inlines.append(ProductDomainOptionsInline)
