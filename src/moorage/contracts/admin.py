"""Staff area for contracts: templates with their versions, the clients' acceptances (read-only) and
the product page's "Contract template" choice."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db.models import Count, QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from moorage.catalog.admin import product_inlines
from moorage.contracts.actions import clean_text, contract_version_add, contract_version_update
from moorage.contracts.models import Acceptance, ContractTemplate, ContractVersion, ProductContract
from moorage.core import clock
from moorage.core.errors import DomainError


class VersionInline(admin.TabularInline):
    """The template's versions, newest first; each opens on its own page (writes go through actions)."""

    model = ContractVersion
    fields = ["number", "published_at", "accepted_by"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    @admin.display(description=_("acceptances"))
    def accepted_by(self, obj: ContractVersion) -> int:
        return obj.acceptances.count()

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(ContractTemplate)
class ContractTemplateAdmin(admin.ModelAdmin):
    """Contract templates (Settings → Contract templates): name, code, whether they are the terms of
    service; their texts are versions (add one with "Add contract version")."""

    list_display = ["name", "code", "terms", "current", "product_count"]
    list_filter = ["terms"]
    search_fields = ["name", "code"]
    prepopulated_fields = {"code": ["name"]}
    fields = ["name", "code", "terms", "add_version"]
    readonly_fields = ["add_version"]
    inlines = [VersionInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet[ContractTemplate]:
        return super().get_queryset(request).annotate(product_count=Count("products"))

    @admin.display(description=_("current version"))
    def current(self, obj: ContractTemplate) -> str:
        version = obj.current_version()
        return f"v{version.number}" if version else "—"

    @admin.display(description=_("products"), ordering="product_count")
    def product_count(self, obj: ContractTemplate) -> int:
        return obj.product_count  # type: ignore[attr-defined]

    @admin.display(description=_("new version"))
    def add_version(self, obj: ContractTemplate | None) -> str:
        if obj is None or not obj.pk:
            return "—"
        url = reverse("admin:contracts_contractversion_add") + f"?template={obj.pk}"
        return format_html('<a class="button" href="{}">{}</a>', url, _("Add contract version"))

    def save_model(self, request: HttpRequest, obj: ContractTemplate, form: Any, change: bool) -> None:
        if not change:
            obj.created_at = clock.now()
        super().save_model(request, obj, form, change)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Accepted versions are kept for ever (PROTECT); a template in use by products stays.
        if obj is not None and (Acceptance.objects.filter(version__template=obj).exists() or obj.products.exists()):
            return False
        return super().has_delete_permission(request, obj)


class VersionForm(forms.ModelForm):
    publish = forms.BooleanField(
        label=_("Published"),
        required=False,
        initial=True,
        help_text=_("Clients accept the newest published version; a draft is not shown to them."),
    )

    class Meta:
        model = ContractVersion
        fields = ["template", "text"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            if "publish" in self.fields:
                self.fields["publish"].initial = self.instance.published_at is not None
            if "template" in self.fields:  # an accepted version's page shows every field read-only
                self.fields["template"].disabled = True

    def _post_clean(self) -> None:
        # The number is given by the action, which also checks the text; nothing to check on the model.
        pass

    def clean_text(self) -> str:
        try:
            return clean_text(self.cleaned_data.get("text") or "")
        except DomainError as exc:
            raise ValidationError(exc.message) from exc

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if self.instance.pk and self.instance.acceptances.exists():
            raise ValidationError(_("This version was accepted by clients and cannot change; add a new version."))
        return data

    def save_with_action(self, *, request: HttpRequest) -> ContractVersion:
        data = self.cleaned_data
        if self.instance.pk:
            return contract_version_update(
                version_id=self.instance.pk,
                text=data["text"],
                publish=data["publish"],
                now=clock.now(),
                actor=request.user,  # type: ignore[arg-type]
            )
        return contract_version_add(
            template_id=data["template"].pk,
            text=data["text"],
            publish=data["publish"],
            now=clock.now(),
            actor=request.user,  # type: ignore[arg-type]
        )


@admin.register(ContractVersion)
class ContractVersionAdmin(admin.ModelAdmin):
    """One version's text. Editable until a client accepts it; after that, read-only for ever."""

    form = VersionForm
    list_display = ["template", "number", "published_at", "acceptance_count"]
    list_filter = ["template"]
    list_select_related = ["template"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[ContractVersion]:
        return super().get_queryset(request).annotate(acceptance_count=Count("acceptances"))

    @admin.display(description=_("acceptances"), ordering="acceptance_count")
    def acceptance_count(self, obj: ContractVersion) -> int:
        return obj.acceptance_count  # type: ignore[attr-defined]

    def get_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        if obj is not None and obj.acceptances.exists():
            return ["template", "number", "text", "published_at"]
        return ["template", "text", "publish"]

    def get_changeform_initial_data(self, request: HttpRequest) -> dict[str, Any]:
        given = request.GET.get("template") or ""
        return {"template": int(given)} if given.isdigit() and len(given) < 19 else {}

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is not None and obj.acceptances.exists():
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is not None and obj.acceptances.exists():
            return False
        return super().has_delete_permission(request, obj)

    def save_form(self, request: HttpRequest, form: Any, change: bool) -> ContractVersion:
        return form.instance

    def save_model(self, request: HttpRequest, obj: ContractVersion, form: Any, change: bool) -> None:
        saved = form.save_with_action(request=request)
        obj.pk, obj.template_id, obj.number = saved.pk, saved.template_id, saved.number
        obj.text, obj.published_at = saved.text, saved.published_at

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        pass  # no relations besides the template


@admin.register(Acceptance)
class AcceptanceAdmin(admin.ModelAdmin):
    """Who accepted which version of which contract, when, from which address, with which order."""

    list_display = ["accepted_at", "client_link", "template_name", "version_number", "kind", "ip_address", "order"]
    list_filter = ["kind", "version__template"]
    search_fields = ["client__user__email", "client__first_name", "client__last_name", "=order_id", "ip_address"]
    list_select_related = ["client", "version__template"]
    date_hierarchy = "accepted_at"
    fields = ["client", "version", "kind", "accepted_at", "ip_address", "order_id"]
    readonly_fields = fields

    @admin.display(description=_("client"), ordering="client")
    def client_link(self, obj: Acceptance) -> str:
        url = reverse("admin:customers_client_change", args=[obj.client_id])
        return format_html('<a href="{}">{}</a>', url, obj.client)

    @admin.display(description=_("contract"), ordering="version__template__name")
    def template_name(self, obj: Acceptance) -> str:
        return obj.version.template.name

    @admin.display(description=_("version"), ordering="version__number")
    def version_number(self, obj: Acceptance) -> str:
        return f"v{obj.version.number}"

    @admin.display(description=_("order"), ordering="order_id")
    def order(self, obj: Acceptance) -> str:
        if not obj.order_id:
            return "—"
        url = reverse("admin:orders_order_change", args=[obj.order_id])
        return format_html('<a href="{}">#{}</a>', url, obj.order_id)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ProductContractInline(admin.StackedInline):
    """The product's "Contract template": checkout then requires accepting its current version."""

    model = ProductContract
    fields = ["template"]
    extra = 1  # the choice is shown at once; left empty, nothing is saved
    max_num = 1
    verbose_name = _("contract template")
    verbose_name_plural = _("contract template (checkout requires accepting it)")


product_inlines.append(ProductContractInline)
