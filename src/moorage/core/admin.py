"""Staff area for the kernel: staff logins and the audit log (read-only)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import GroupAdmin as DjangoGroupAdmin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.contrib.auth.models import Group
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from moorage.core.admin_views import ReadOnlyAdmin, readonly_fields_of
from moorage.core.models import AuditEntry, User


class StaffUserCreationForm(AdminUserCreationForm):
    class Meta:
        model = User
        fields = ("email",)


RIGHTS_FIELDS = ["is_staff", "is_superuser", "groups", "user_permissions"]


class StaffUserChangeForm(UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        client = getattr(self.instance, "client", None) if self.instance.pk else None
        if client is not None and any(data.get(f) for f in RIGHTS_FIELDS):
            # A client's login with staff rights would hand them to whoever may edit clients
            # (Login as Client, Set password): a staff member gets a login of their own.
            raise forms.ValidationError(
                _(
                    "This login belongs to client #%(pk)s: a client's login cannot have staff rights, groups "
                    "or permissions. Create a separate staff login."
                )
                % {"pk": client.pk}
            )
        return data


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    """Logins. Staff users are managed here; a client's login is edited on the client's page."""

    form = StaffUserChangeForm
    add_form = StaffUserCreationForm
    ordering = ["email"]
    list_display = [
        "email",
        "first_name",
        "last_name",
        "is_staff",
        "is_superuser",
        "is_active",
        "last_login",
    ]
    list_filter = ["is_staff", "is_superuser", "is_active"]
    search_fields = ["email", "first_name", "last_name"]
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Personal info", {"fields": ("first_name", "last_name")}),
        (
            "Permissions",
            {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        ("Important dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("email", "is_staff", "usable_password", "password1", "password2"),
            },
        ),
    )

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        fields = ["last_login", "date_joined"]
        if obj is not None and hasattr(obj, "client"):
            # A client's email and name change through client_update (audited) on the client page;
            # a client's login never carries staff rights.
            fields += ["email", "first_name", "last_name", *RIGHTS_FIELDS]
        elif not request.user.is_superuser:
            # Only a superuser grants rights: a staff member allowed to edit users must not be able
            # to give themselves (or a friend) more than they have.
            fields += RIGHTS_FIELDS
        return fields

    @staticmethod
    def _guarded(request: HttpRequest, obj: Any) -> bool:
        """Another staff login (its email, its password) is changed by superusers only: whoever may
        edit users could otherwise take over a colleague with more rights, or a superuser."""
        return (
            obj is not None and not request.user.is_superuser and obj.pk != request.user.pk and obj.has_staff_rights()
        )

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if self._guarded(request, obj):
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if self._guarded(request, obj):
            return False
        return super().has_delete_permission(request, obj)


admin.site.unregister(Group)


@admin.register(Group)
class GroupAdmin(DjangoGroupAdmin):
    """Staff groups: only a superuser changes what a group may do (else a member could raise its own
    rights)."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return request.user.is_superuser

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.is_superuser

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.is_superuser


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    """Who did what, when: written by actions, never edited or deleted."""

    list_display = ["created_at", "actor", "action", "object_type", "object_id", "message"]
    list_filter = ["action", "object_type"]
    search_fields = ["action", "object_id", "message", "actor__email"]
    date_hierarchy = "created_at"
    list_select_related = ["actor"]
    readonly_fields = readonly_fields_of(AuditEntry)


# django-otp's own device admins show the TOTP secret and the recovery codes to anyone who may view
# devices; here staff only see which devices exist and may delete one (a lost phone: the staff
# member then signs in with a recovery code, or enrols again when every device is gone).
for _device_model in (TOTPDevice, StaticDevice):
    if admin.site.is_registered(_device_model):
        admin.site.unregister(_device_model)


@admin.register(TOTPDevice, StaticDevice)
class TwoFactorDeviceAdmin(admin.ModelAdmin):
    """Two-factor devices of staff: listed and deletable, never added, edited or read out."""

    list_display = ["user", "name", "confirmed", "created_at", "last_used_at", "throttling_failure_count"]
    list_filter = ["confirmed"]
    search_fields = ["user__email", "name"]
    fields = ["user", "name", "confirmed", "created_at", "last_used_at", "throttling_failure_count"]
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
