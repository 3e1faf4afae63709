"""Staff area for clients: Register New Client, the client page, Login as Client, groups and
Registration Fields.

The client page shows what other apps hold about the client (services, orders, invoices, credit,
ledger). Those apps sit above customers, so they add their sections here through
`client_page_section` instead of customers importing them.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import admin, messages
from django.contrib.auth import login
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.loader import render_to_string
from django.urls import path, reverse
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _

from moorage.core import clock
from moorage.core.admin_views import PageHooks, add_domain_error, form_page, message_domain_error
from moorage.core.errors import DomainError
from moorage.customers.actions import (
    client_login_as,
    client_register,
    client_set_password,
    client_set_status,
    client_update,
)
from moorage.customers.admin_forms import (
    ClientProfileForm,
    ClientRegisterForm,
    ClientStatusForm,
    RegistrationFieldForm,
    SetPasswordForm,
)
from moorage.customers.models import Client, ClientGroup, RegistrationField
from moorage.customers.registration import ensure_builtin_fields

# A section renders a block of the client page (or returns None to show nothing).
client_sections = PageHooks()
client_page_section = client_sections.register


@client_page_section(0)
def _profile_section(request: HttpRequest, client: Client) -> str:
    def shown(value: Any) -> str:
        if isinstance(value, bool):
            return "Yes" if value else "No"
        return str(value) if value not in (None, "") else "-"

    custom = [
        (rf.label, shown(client.custom_fields.get(rf.key)))
        for rf in RegistrationField.objects.filter(builtin=False)
        if rf.key in client.custom_fields
    ]
    return render_to_string(
        "admin/customers/client/section_overview.html",
        {"client": client, "custom": custom},
        request=request,
    )


@admin.register(ClientGroup)
class ClientGroupAdmin(admin.ModelAdmin):
    list_display = ["name", "description", "client_count"]
    search_fields = ["name"]

    def get_queryset(self, request: HttpRequest):  # noqa: ANN201
        return super().get_queryset(request).annotate(n_clients=Count("client"))

    @admin.display(description=_("Clients"), ordering="n_clients")
    def client_count(self, obj: ClientGroup) -> int:
        return obj.n_clients  # type: ignore[attr-defined]


@admin.register(RegistrationField)
class RegistrationFieldAdmin(admin.ModelAdmin):
    """Clients → Registration Fields: built-ins shown/hidden and required; custom ones added."""

    form = RegistrationFieldForm
    list_display = ["label", "key", "kind", "builtin", "shown", "required", "sort_order"]
    list_editable = ["shown", "required", "sort_order"]
    list_filter = ["builtin", "kind", "shown", "required"]
    search_fields = ["key", "label"]
    ordering = ["sort_order", "id"]

    def changelist_view(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        ensure_builtin_fields()
        return super().changelist_view(request, extra_context)

    def get_readonly_fields(self, request: HttpRequest, obj: RegistrationField | None = None) -> list[str]:
        if obj is not None and obj.builtin:
            return ["key", "kind", "options", "builtin"]
        if obj is not None:
            return ["key", "builtin"]  # the key names stored answers of existing clients
        return ["builtin"]

    def has_delete_permission(self, request: HttpRequest, obj: RegistrationField | None = None) -> bool:
        if obj is not None and obj.builtin:
            return False
        return super().has_delete_permission(request, obj)

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)  # it would take built-ins along
        return actions


@admin.register(Client)
class ClientAdmin(admin.ModelAdmin):
    """Clients: list, Register New Client, the client page (edit, services, money), Login as."""

    list_display = [
        "id",
        "name",
        "email",
        "organization",
        "status",
        "group",
        "account_type",
        "created_at",
    ]
    list_display_links = ["id", "name"]
    list_filter = ["status", "group", "account_type"]
    search_fields = ["user__email", "first_name", "last_name", "organization"]
    list_select_related = ["user", "group"]
    date_hierarchy = "created_at"

    @admin.display(description=_("Name"), ordering="last_name")
    def name(self, obj: Client) -> str:
        return obj.display_name

    @admin.display(description=_("Email"), ordering="user__email")
    def email(self, obj: Client) -> str:
        return obj.user.email

    def has_delete_permission(self, request: HttpRequest, obj: Client | None = None) -> bool:
        return False  # clients are closed (status), never deleted: their invoices and ledger stay

    def get_urls(self):  # noqa: ANN201
        wrap = self.admin_site.admin_view
        return [
            path(
                "<path:object_id>/login-as/",
                wrap(self.login_as_view),
                name="customers_client_login_as",
            ),
            path(
                "<path:object_id>/set-password/",
                wrap(self.set_password_view),
                name="customers_client_set_password",
            ),
            path(
                "<path:object_id>/status/",
                wrap(self.set_status_view),
                name="customers_client_set_status",
            ),
            *super().get_urls(),
        ]

    def _client(self, request: HttpRequest, object_id: str, *, change: bool = True) -> Client:
        client = get_object_or_404(Client.objects.select_related("user", "group"), pk=object_id)
        allowed = self.has_change_permission(request, client) if change else self.has_view_permission(request, client)
        if not allowed:
            raise PermissionDenied
        return client

    def _page_url(self, client: Client) -> str:
        return reverse("admin:customers_client_change", args=[client.pk])

    def add_view(
        self, request: HttpRequest, form_url: str = "", extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = ClientRegisterForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                client = client_register(
                    email=data["email"],
                    password=data["password"] or None,
                    profile=form.profile(),
                    now=clock.now(),
                    actor=request.user,
                    status=data["status"],
                    group=data["group"],
                    by_staff=True,
                    language=data.get("language") or settings.LANGUAGE_CODE,
                )
            except DomainError as exc:
                add_domain_error(form, exc)
            else:
                messages.success(
                    request, _("Client %(display_name)s registered.") % {"display_name": client.display_name}
                )
                return HttpResponseRedirect(self._page_url(client))
        return form_page(request, self, title=_("Register New Client"), form=form, submit_label=_("Register"))

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        client = self._client(request, object_id, change=False)
        can_change = self.has_change_permission(request, client)
        form = ClientProfileForm(request.POST if request.method == "POST" else None, client=client)
        if request.method == "POST":
            if not can_change:
                raise PermissionDenied
            if form.is_valid():
                try:
                    client_update(
                        client=client,
                        profile=form.profile(),
                        email=form.cleaned_data["email"],
                        now=clock.now(),
                        actor=request.user,
                        by_staff=True,
                        language=form.cleaned_data.get("language") or None,
                    )
                except DomainError as exc:
                    add_domain_error(form, exc)
                else:
                    messages.success(request, _("Client profile saved."))
                    return HttpResponseRedirect(self._page_url(client))
            client.refresh_from_db()
        sections = client_sections.render(request, client)
        return form_page(
            request,
            self,
            title=client.display_name,
            form=form if can_change else None,
            obj=client,
            submit_label=_("Save changes"),
            template="admin/customers/client/client_page.html",
            client=client,
            sections=[SafeString(s) for s in sections],
            can_change=can_change,
            staff_login=client.user.has_staff_rights(),
        )

    def login_as_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """Login as Client: audited by the action; the session then belongs to the client."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        client = self._client(request, object_id)
        staff = request.user
        try:
            user = client_login_as(client=client, staff=staff, now=clock.now())
        except DomainError as exc:
            message_domain_error(request, exc)
            return HttpResponseRedirect(self._page_url(client))
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        # After login: login() flushes the staff session, so the marker must be set on the new one.
        request.session["impersonator_id"] = staff.pk
        return HttpResponseRedirect("/")

    def set_status_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        client = self._client(request, object_id)
        form = ClientStatusForm(request.POST or None, initial={"status": client.status, "group": client.group_id})
        if request.method == "POST" and form.is_valid():
            group = form.cleaned_data["group"]
            try:
                client_set_status(
                    client_id=client.pk,
                    status=form.cleaned_data["status"],
                    group_id=group.pk if group else None,
                    reason=form.cleaned_data["reason"],
                    now=clock.now(),
                    actor=request.user,
                )
            except DomainError as exc:
                add_domain_error(form, exc)
            else:
                messages.success(request, _("Status and group saved."))
                return HttpResponseRedirect(self._page_url(client))
        return form_page(
            request,
            self,
            title=_("Status and group"),
            form=form,
            obj=client,
            submit_label=_("Save"),
            intro=_("A closed client cannot log in or order; its invoices, services and ledger stay."),
        )

    def set_password_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        client = self._client(request, object_id)
        form = SetPasswordForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                client_set_password(
                    client=client,
                    password=form.cleaned_data["password"],
                    now=clock.now(),
                    actor=request.user,
                )
            except DomainError as exc:
                add_domain_error(form, exc)
            else:
                messages.success(request, _("Password set."))
                return HttpResponseRedirect(self._page_url(client))
        return form_page(request, self, title=_("Set password"), form=form, obj=client, submit_label=_("Set password"))
