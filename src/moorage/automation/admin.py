"""Staff area: each automation run's summary and its per-item log (read-only)."""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from moorage.automation.models import AutomationRun, AutomationRunItem
from moorage.core.admin_views import ReadOnlyAdmin, ReadOnlyTabularInline


class RunItemInline(ReadOnlyTabularInline):
    model = AutomationRunItem
    fields = ["step", "object_type", "object_id", "outcome", "message", "created_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False


@admin.register(AutomationRun)
class AutomationRunAdmin(ReadOnlyAdmin):
    list_display = [
        "run_date",
        "status",
        "started_at",
        "finished_at",
        "invoices",
        "suspensions",
        "terminations",
        "failures",
        "host",
    ]
    list_filter = ["status", "run_date"]
    date_hierarchy = "run_date"
    readonly_fields = ["run_date", "status", "started_at", "finished_at", "heartbeat_at", "host", "pid", "summary"]
    inlines = [RunItemInline]

    @admin.display(description=_("invoices"))
    def invoices(self, obj: AutomationRun) -> int:
        return obj.summary.get("invoices_created", 0)

    @admin.display(description=_("suspensions"))
    def suspensions(self, obj: AutomationRun) -> int:
        return obj.summary.get("suspensions", 0)

    @admin.display(description=_("terminations"))
    def terminations(self, obj: AutomationRun) -> int:
        return obj.summary.get("terminations", 0)

    @admin.display(description=_("failures"))
    def failures(self, obj: AutomationRun) -> int:
        return obj.summary.get("failures", 0)


@admin.register(AutomationRunItem)
class AutomationRunItemAdmin(ReadOnlyAdmin):
    list_display = ["run", "step", "object_type", "object_id", "outcome", "message", "created_at"]
    list_filter = ["outcome", "step", "object_type"]
    search_fields = ["message", "=object_id"]
    readonly_fields = ["run", "step", "object_type", "object_id", "outcome", "message", "created_at"]
