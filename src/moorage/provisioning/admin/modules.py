"""Settings → Modules → Hosting Modules (Active / Inactive tabs, Activate) and server groups."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _

from moorage.core import clock
from moorage.core.admin_views import ReadOnlyAdmin, readonly_fields_of
from moorage.core.errors import DomainError
from moorage.provisioning.actions import module_set_active
from moorage.provisioning.admin.base import module_choices
from moorage.provisioning.models import AppConnection, ModuleState, ServerGroup
from moorage.provisioning.registry import available_modules

# ------------------------------------------------ Settings → Modules → Hosting Modules


@admin.register(ModuleState)
class HostingModuleAdmin(ReadOnlyAdmin):
    """Hosting Modules: every installed module, in an Active and an Inactive tab."""

    list_display = ["name", "active", "changed_at"]
    readonly_fields = readonly_fields_of(ModuleState)

    def can_activate(self, request: HttpRequest) -> bool:
        return request.user.has_perm("provisioning.change_modulestate")

    def get_urls(self):  # noqa: ANN201
        return [
            path(
                "set-active/",
                self.admin_site.admin_view(self.set_active_view),
                name="provisioning_modulestate_set_active",
            ),
            *super().get_urls(),
        ]

    def changelist_view(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        states = dict(ModuleState.objects.values_list("name", "active"))
        connections = dict(AppConnection.objects.values("module").annotate(n=Count("pk")).values_list("module", "n"))
        rows = [
            {
                "name": name,
                "display_name": module.display_name or name,
                "description": module.description,
                "active": states.get(name, False),
                "connections": connections.get(name, 0),
            }
            for name, module in available_modules().items()
        ]
        tab = "inactive" if request.GET.get("tab") == "inactive" else "active"
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": "Hosting Modules",
            "tab": tab,
            "modules": [r for r in rows if r["active"] == (tab == "active")],
            "active_count": sum(1 for r in rows if r["active"]),
            "inactive_count": sum(1 for r in rows if not r["active"]),
            "can_activate": self.can_activate(request),
            **(extra_context or {}),
        }
        return TemplateResponse(request, "admin/provisioning/modules.html", context)

    def set_active_view(self, request: HttpRequest) -> HttpResponse:
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not self.can_activate(request):
            raise PermissionDenied
        name = request.POST.get("name", "")
        active = request.POST.get("active") == "1"
        try:
            module_set_active(name=name, active=active, now=clock.now(), actor=request.user)
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(
                request,
                (_("Module %(name)s activated.") if active else _("Module %(name)s deactivated.")) % {"name": name},
            )
        # Show the tab the module moved to.
        tab = "active" if active else "inactive"
        return HttpResponseRedirect(reverse("admin:provisioning_modulestate_changelist") + f"?tab={tab}")


# ---------------------------------------------------------------- Server groups


class ServerGroupForm(forms.ModelForm):
    module = forms.ChoiceField(label=_("Application"))

    class Meta:
        model = ServerGroup
        fields = ["name", "module"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["module"].choices = module_choices()


@admin.register(ServerGroup)
class ServerGroupAdmin(admin.ModelAdmin):
    """Server groups: new accounts of a product go to the group's least-loaded active connection."""

    form = ServerGroupForm
    list_display = ["name", "module", "connection_count"]
    search_fields = ["name"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[ServerGroup]:
        return super().get_queryset(request).annotate(n_connections=Count("connections"))

    @admin.display(description=_("Connections"), ordering="n_connections")
    def connection_count(self, obj: ServerGroup) -> int:
        return obj.n_connections  # type: ignore[attr-defined]
