"""Staff area: the clients' devices that allowed mobile notifications (read-only; deactivate)."""

from __future__ import annotations

from django.contrib import admin

from moorage.core.admin_views import ReadOnlyAdmin
from moorage.push.models import PushSubscription


@admin.register(PushSubscription)
class PushSubscriptionAdmin(ReadOnlyAdmin):
    list_display = ["client", "device_name", "active", "created_at", "last_success_at", "failures", "last_error"]
    list_filter = ["active"]
    search_fields = ["client__user__email", "user_agent"]
    # The endpoint is a capability (whoever knows it can push to the device): not shown.
    fields = ["client", "user_agent", "active", "created_at", "last_success_at", "failures", "last_error"]
    readonly_fields = fields
