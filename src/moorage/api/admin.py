"""Staff area for REST API tokens: a staff member lists, creates and revokes their own tokens, a
superuser everyone's. The secret is shown once, at creation; rows are never edited or deleted."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils.translation import ngettext

from moorage.api.actions import api_token_create, api_token_revoke
from moorage.api.models import SCOPES, ApiToken
from moorage.core import clock
from moorage.core.admin_views import add_domain_error, form_page
from moorage.core.errors import DomainError
from moorage.core.models import User


class ApiTokenCreateForm(forms.Form):
    name = forms.CharField(max_length=100, required=False, help_text="What the token is for")
    scopes = forms.MultipleChoiceField(
        choices=list(SCOPES.items()),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="None ticked: all areas, read and write. The token never has more rights than its owner.",
    )

    def __init__(self, *args: Any, request: HttpRequest, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if request.user.is_superuser:
            self.fields["user"] = forms.ModelChoiceField(
                queryset=User.objects.filter(is_staff=True, is_active=True),
                initial=request.user.pk,
                help_text="The staff member the token acts as",
            )


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["prefix", "name", "user", "scopes_shown", "created_at", "last_used_at", "revoked", "revoked_at"]
    list_filter = ["revoked"]
    search_fields = ["name", "prefix", "user__email"]
    list_select_related = ["user"]
    readonly_fields = ["user", "name", "prefix", "scopes", "created_at", "last_used_at", "revoked", "revoked_at"]
    actions = ["revoke_selected"]

    @admin.display(description="Scopes")
    def scopes_shown(self, obj: ApiToken) -> str:
        return obj.scopes or "all"

    def get_queryset(self, request: HttpRequest) -> QuerySet[ApiToken]:
        qs = super().get_queryset(request)
        return qs if request.user.is_superuser else qs.filter(user=request.user)

    # Every active staff member sees and revokes their own tokens; creating one needs api.add_apitoken.
    def has_module_permission(self, request: HttpRequest) -> bool:
        return request.user.is_active and request.user.is_staff

    def has_view_permission(self, request: HttpRequest, obj: ApiToken | None = None) -> bool:
        if not self.has_module_permission(request):
            return False
        return obj is None or request.user.is_superuser or obj.user_id == request.user.pk

    def has_revoke_permission(self, request: HttpRequest) -> bool:
        return self.has_module_permission(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("api.add_apitoken")

    def has_change_permission(self, request: HttpRequest, obj: ApiToken | None = None) -> bool:
        return False  # a token is replaced, not edited

    def has_delete_permission(self, request: HttpRequest, obj: ApiToken | None = None) -> bool:
        return False  # revoked tokens stay, for the audit log's sake

    @admin.action(description="Revoke selected API tokens", permissions=["revoke"])
    def revoke_selected(self, request: HttpRequest, queryset: QuerySet[ApiToken]) -> None:
        revoked = 0
        for row in queryset.order_by("pk"):  # the queryset is already limited to what the user sees
            try:
                api_token_revoke(token_id=row.pk, now=clock.now(), actor=request.user)
            except DomainError as exc:
                messages.error(request, exc.message)
            else:
                revoked += 1
        messages.success(
            request, ngettext("%(n)s API token revoked.", "%(n)s API tokens revoked.", revoked) % {"n": revoked}
        )

    def add_view(
        self, request: HttpRequest, form_url: str = "", extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = ApiTokenCreateForm(request.POST or None, request=request)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                row, token = api_token_create(
                    user=data.get("user") or request.user,
                    now=clock.now(),
                    actor=request.user,
                    name=data["name"],
                    scopes=data["scopes"],
                )
            except DomainError as exc:
                add_domain_error(form, exc)
            else:
                response = form_page(
                    request,
                    self,
                    title="API token created",
                    template="admin/api/apitoken/created.html",
                    token=token,
                    row=row,
                )
                response["Cache-Control"] = "no-store"
                return response
        return form_page(request, self, title="Create API token", form=form, submit_label="Create token")
