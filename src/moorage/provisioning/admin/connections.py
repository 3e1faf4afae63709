"""Settings → Apps Connections: Add new Connection, Test Configuration (nothing saved), name
servers; and the panel accounts billing knows."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db.models import Count, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from moorage.core.admin_views import ReadOnlyAdmin, form_page, readonly_fields_of
from moorage.core.crypto import UNREADABLE, is_unreadable
from moorage.core.errors import DomainError
from moorage.provisioning.accounts import LIVE
from moorage.provisioning.actions import connection_check, connection_set_generation
from moorage.provisioning.admin.base import module_choices
from moorage.provisioning.interface import ModuleError
from moorage.provisioning.models import AppConnection, PanelAccount

# ---------------------------------------------------------------- Apps Connections

# The fields Test Configuration needs; the others (name, costs …) do not matter for a test.
TEST_FIELDS = (
    "module",
    "ip_address",
    "username",
    "password",
    "api_port",
    "path",
    "hostname",
    "verify_tls",
    "tls_fingerprint",
    "timeout",
)


class AppConnectionForm(forms.ModelForm):
    """Add new Connection / edit one. The password is never shown; left empty on edit, it stays."""

    module = forms.ChoiceField(label=_("Application"))
    password = forms.CharField(
        label=_("Password"),
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text=_("Password of the panel's root (admin) user; stored encrypted."),
    )

    class Meta:
        model = AppConnection
        fields = [
            "module",
            "name",
            "hostname",
            "ip_address",
            "max_accounts",
            "username",
            "password",
            "api_port",
            "path",
            "verify_tls",
            "tls_fingerprint",
            "timeout",
            "panel_generation",
            "monthly_cost",
            "group",
            "active",
        ]
        labels = {"username": "Username", "monthly_cost": "Monthly cost", "group": "Server group"}
        help_texts = {
            "username": "The panel's root (admin) user name.",
            "hostname": "Server Name in the panel's System Settings.",
            "monthly_cost": "What the server costs a month (for your reports).",
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["module"].choices = module_choices()
        self.fields["ip_address"].help_text = "The address on the server's network interface used to reach the panel."
        port = self.initial.get("api_port") or 1500
        self.fields["path"].widget.attrs["placeholder"] = f"https://IP:{port}/ispmgr"
        self.fields[
            "path"
        ].help_text = "The panel's URL. Empty: https://IP:PORT/ispmgr with the IP address and API port above."
        if self.instance.pk:
            self.fields["password"].required = False
            self.fields["password"].help_text = "Leave empty to keep the stored password."
            if is_unreadable(self.instance.password):
                self.fields["password"].help_text = f"The {UNREADABLE}: enter the password again."
        if self.is_bound:
            # Re-shown after Test Configuration or Add New Nameserver: keep what was typed (only
            # the posted value is rendered, never the stored password).
            self.fields["password"].widget.render_value = True

    def clean_password(self) -> str:
        value = self.cleaned_data.get("password") or ""
        if not value and self.instance.pk:
            return self.instance.password
        return value

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        group, module = data.get("group"), data.get("module")
        if group is not None and module and group.module != module:
            self.add_error(
                "group", _("%(name)s is a server group of %(module)s.") % {"name": group.name, "module": group.module}
            )
        return data


class NameserverForm(forms.Form):
    name = forms.CharField(label=_("NS"), max_length=253, required=False)
    ip = forms.GenericIPAddressField(label=_("IP"), required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("ip") and not data.get("name"):
            self.add_error("name", _("Enter the name server's name for this IP."))
        return data


NameserverFormSet = forms.formset_factory(NameserverForm, extra=0)


def _nameserver_formset(request: HttpRequest, obj: AppConnection | None, add_row: bool = False) -> forms.BaseFormSet:
    if request.method == "POST":
        data = request.POST
        if add_row:
            data = data.copy()
            data["ns-TOTAL_FORMS"] = str(int(data.get("ns-TOTAL_FORMS") or 0) + 1)
        return NameserverFormSet(data, prefix="ns")
    rows = [{"name": ns.get("name", ""), "ip": ns.get("ip", "")} for ns in (obj.nameservers if obj else [])]
    while len(rows) < 2:
        rows.append({"name": "", "ip": ""})
    return NameserverFormSet(initial=rows, prefix="ns")


def _nameservers(formset: forms.BaseFormSet) -> list[dict[str, str]]:
    return [
        {"name": f.cleaned_data["name"].strip(), "ip": f.cleaned_data.get("ip") or ""}
        for f in formset.forms
        if f.cleaned_data.get("name")
    ]


def _test_configuration(form: AppConnectionForm, request: HttpRequest, obj: AppConnection | None) -> tuple[bool, str]:
    """Run Test Configuration on the form's values. Nothing typed is saved; the panel generation it
    detects is put in the form (saved with it) and, on a saved connection, stored at once."""
    form.is_valid()
    missing = [form.fields[name].label or name for name in TEST_FIELDS if name in form.errors]
    if missing:
        return False, "Correct these fields to test the connection: " + ", ".join(str(label) for label in missing)
    d = form.cleaned_data
    try:
        check = connection_check(
            module_name=d["module"],
            ip_address=d["ip_address"],
            username=d["username"],
            password=d["password"],
            api_port=d["api_port"],
            path=d["path"],
            hostname=d["hostname"],
            verify_tls=d["verify_tls"],
            tls_fingerprint=d["tls_fingerprint"],
            timeout=d["timeout"],
        )
    except ModuleError as exc:
        return False, exc.message
    except DomainError as exc:
        return False, exc.message
    if check.generation:
        form.data = form.data.copy()
        form.data["panel_generation"] = check.generation
        if obj is not None:
            connection_set_generation(
                connection_id=obj.pk, generation=check.generation, now=timezone.now(), actor=request.user
            )
    return True, f"{check.message} {check.warning}".strip()


@admin.register(AppConnection)
class AppConnectionAdmin(admin.ModelAdmin):
    """Settings → Apps Connections: the panel servers, with Test Configuration."""

    list_display = [
        "name",
        "module",
        "address",
        "accounts",
        "group",
        "active",
        "monthly_cost",
        "reconciliation",
    ]
    list_filter = ["module", "active", "group"]
    search_fields = ["name", "hostname", "ip_address"]
    list_select_related = ["group"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[AppConnection]:
        return super().get_queryset(request).annotate(n_live=Count("accounts", filter=LIVE))

    @admin.display(description=_("Address"))
    def address(self, obj: AppConnection) -> str:
        return f"{obj.hostname} ({obj.ip_address})" if obj.hostname else obj.ip_address

    @admin.display(description=_("Accounts / max"), ordering="n_live")
    def accounts(self, obj: AppConnection) -> str:
        live = getattr(obj, "n_live", None)
        if live is None:
            live = obj.accounts.filter(LIVE).count()
        return format_html(
            '<a href="{}?connection__id__exact={}">{} / {}</a>',
            reverse("admin:provisioning_panelaccount_changelist"),
            obj.pk,
            live,
            obj.max_accounts if obj.max_accounts is not None else "∞",
        )

    @admin.display(description=_("Reconciliation"))
    def reconciliation(self, obj: AppConnection) -> str:
        """The panel compared with billing (the reconciliation app's staff page, found by URL name)."""
        return format_html(
            '<a href="{}?connection__id__exact={}">{}</a>',
            reverse("admin:reconciliation_finding_changelist"),
            obj.pk,
            _("Findings"),
        )

    def add_view(
        self, request: HttpRequest, form_url: str = "", extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        if not self.has_add_permission(request):
            raise PermissionDenied
        return self._connection_view(request, None)

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        obj = self.get_object(request, unquote(object_id))
        if obj is None:
            return self._get_obj_does_not_exist_redirect(request, self.model._meta, object_id)
        if not self.has_change_permission(request, obj):
            # Read-only staff get Django's own view page (without the password).
            return super().change_view(request, object_id, form_url, extra_context)
        return self._connection_view(request, obj)

    def get_exclude(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return ["password"]

    def _connection_view(self, request: HttpRequest, obj: AppConnection | None) -> HttpResponse:
        test_result: tuple[bool, str] | None = None
        hide_errors = False
        wants_json = "application/json" in request.headers.get("Accept", "")
        if request.method == "POST":
            form = AppConnectionForm(request.POST, instance=obj)
            nameservers = _nameserver_formset(request, obj, add_row="_add_ns" in request.POST)
            if "_test" in request.POST:
                test_result = _test_configuration(form, request, obj)
                if wants_json:
                    return JsonResponse({"ok": test_result[0], "message": test_result[1]})
            elif "_add_ns" in request.POST:
                hide_errors = True
            elif form.is_valid() and nameservers.is_valid():
                saved = form.save(commit=False)
                saved.nameservers = _nameservers(nameservers)
                saved.save()
                if obj is None:
                    self.log_addition(request, saved, [{"added": {}}])
                    messages.success(request, _("Connection %(name)s added.") % {"name": saved.name})
                else:
                    self.log_change(request, saved, self.construct_change_message(request, form, None))
                    messages.success(request, _("Connection %(name)s saved.") % {"name": saved.name})
                if "_continue" in request.POST:
                    return HttpResponseRedirect(reverse("admin:provisioning_appconnection_change", args=[saved.pk]))
                return HttpResponseRedirect(reverse("admin:provisioning_appconnection_changelist"))
        else:
            form = AppConnectionForm(instance=obj, initial={"api_port": 1500} if obj is None else None)
            nameservers = _nameserver_formset(request, obj)
        title = f"Edit connection {obj.name}" if obj else "Add new Connection"
        return form_page(
            request,
            self,
            title=title,
            form=form,
            obj=obj,
            submit_label=_("Save changes") if obj else _("Add New Connection"),
            template="admin/provisioning/appconnection/form.html",
            nameservers=nameservers,
            test_result=test_result,
            hide_errors=hide_errors,
            sections=_connection_sections(form),
        )


def _connection_sections(form: forms.BaseForm) -> list[tuple[str, list[forms.BoundField]]]:
    groups = [
        ("Application", ["module", "name"]),
        ("Server", ["hostname", "ip_address", "max_accounts", "group", "active"]),
        (
            "Access",
            [
                "username",
                "password",
                "api_port",
                "path",
                "verify_tls",
                "tls_fingerprint",
                "timeout",
                "panel_generation",
            ],
        ),
    ]
    return [(title, [form[name] for name in names]) for title, names in groups]


# ---------------------------------------------------------------- Panel accounts


@admin.register(PanelAccount)
class PanelAccountAdmin(ReadOnlyAdmin):
    """Accounts on the panels, as billing knows them (created by create jobs)."""

    list_display = [
        "username",
        "connection",
        "service_link",
        "exists_on_panel",
        "panel_state",
        "created_at",
    ]
    list_filter = ["connection", "exists_on_panel", "panel_state"]
    search_fields = ["username", "service__hostname", "=service__id"]
    list_select_related = ["connection", "service"]
    readonly_fields = [
        "service_link",
        *readonly_fields_of(PanelAccount, exclude=["password", "panel_marker", "service"]),
    ]
    fields = readonly_fields

    @admin.display(description=_("Service"))
    def service_link(self, obj: PanelAccount) -> str:
        return format_html(
            '<a href="{}">#{} {}</a>',
            reverse("admin:services_service_change", args=[obj.service_id]),
            obj.service_id,
            obj.service.hostname,
        )
