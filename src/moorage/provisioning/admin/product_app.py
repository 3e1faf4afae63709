"""Product → App settings: the module, its connection or server group, Get values from server
(presets), the preset and the module's resource and permission overrides, and Auto-create."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _

from moorage.catalog.admin import product_page_link
from moorage.catalog.models import Product
from moorage.core import clock
from moorage.core.admin_views import add_domain_error, form_page
from moorage.core.errors import DomainError
from moorage.provisioning.actions import fetch_presets, product_app_save
from moorage.provisioning.admin.base import module_choices
from moorage.provisioning.interface import Field
from moorage.provisioning.models import AppConnection, ProductApp, ServerGroup
from moorage.provisioning.registry import available_modules

# ---------------------------------------------------------------- Product → App settings


GROUP_TITLES = {"app": "App", "resources": "Resources", "permissions": "Permissions"}
BASE_FIELDS = ("module", "connection", "group", "known_presets", "auto_create")


def _option_field(f: Field, presets: list[str]) -> forms.Field:
    """The form field of one module product field (not applicable ones are shown disabled)."""
    help_text = f.help
    label = f"{f.label} ({f.unit})" if f.unit else f.label
    if f.kind == "int":
        field: forms.Field = forms.IntegerField(
            label=label,
            required=False,
            widget=forms.NumberInput(attrs={"placeholder": "as preset", "class": "vIntegerField"}),
        )
    elif f.kind == "bool":
        empty = "as preset" if f.default is None else f"default ({'on' if f.default else 'off'})"
        field = forms.TypedChoiceField(
            label=label,
            required=False,
            choices=[("", empty), ("on", _("on")), ("off", _("off"))],
            coerce=lambda v: v == "on",
            empty_value=None,
        )
    elif f.kind == "preset":
        field = forms.ChoiceField(
            label=label,
            required=f.required,
            choices=[("", "— choose (Get values from server) —")] + [(p, p) for p in presets],
        )
    elif f.kind == "select":
        field = forms.ChoiceField(label=label, required=False, choices=[("", "—"), *f.choices])
    else:
        placeholder = str(f.default) if f.default not in (None, "") else ""
        field = forms.CharField(
            label=label,
            required=False,
            widget=forms.TextInput(attrs={"placeholder": placeholder, "class": "vTextField"}),
        )
    if f.not_applicable:
        field.disabled = True
        field.required = False
        help_text = help_text or "Not applicable"
    field.help_text = help_text
    return field


def _shown(f: Field, value: Any) -> Any:
    """A stored option as the form shows it."""
    if value is None:
        return None
    if f.kind == "bool":
        return "on" if value else "off"
    return value


class ProductAppForm(forms.Form):
    """Product → App: the module, where accounts go, the preset and the module's product fields."""

    module = forms.ChoiceField(label=_("App"))
    connection = forms.ModelChoiceField(
        label=_("App connection"),
        required=False,
        queryset=AppConnection.objects.all(),
        help_text=_("The server new accounts are created on …"),
    )
    group = forms.ModelChoiceField(
        label=_("or Server group"),
        required=False,
        queryset=ServerGroup.objects.all(),
        help_text=_("… or a group: new accounts go to its least-loaded active connection."),
    )
    known_presets = forms.CharField(required=False, widget=forms.HiddenInput)
    auto_create = forms.ChoiceField(
        label=_("Auto-create"),
        choices=Product.AutoCreate.choices,
        help_text=_("When the panel account is created."),
    )

    def __init__(self, *args: Any, product: Product, app: ProductApp | None, **kwargs: Any) -> None:
        data = args[0] if args else kwargs.get("data")
        stored = dict(app.options) if app else {}
        modules = available_modules()
        module_name = (data.get("module") if data is not None else None) or product.module or next(iter(modules), "")
        known = (data.get("known_presets", "") if data is not None else "") or ""
        presets = sorted({p for p in known.split(",") if p} | ({stored["preset"]} if stored.get("preset") else set()))
        initial = kwargs.setdefault("initial", {})
        initial.update(
            {
                "module": module_name,
                "connection": app.connection_id if app else None,
                "group": app.group_id if app else None,
                "auto_create": product.auto_create,
                "known_presets": ",".join(presets),
            }
        )
        super().__init__(*args, **kwargs)
        self.fields["module"].choices = module_choices()
        module = modules.get(module_name)
        self.option_fields: list[Field] = list(module.product_fields) if module else []
        self.option_names: dict[str, str] = {}
        for f in self.option_fields:
            name = f.name if f.name not in BASE_FIELDS else f"option_{f.name}"
            self.option_names[f.name] = name
            self.fields[name] = _option_field(f, presets)
            self.initial[name] = _shown(f, stored.get(f.name))

    def options(self) -> dict[str, Any]:
        """The options to store: applicable fields with a value (empty means "as the preset")."""
        out: dict[str, Any] = {}
        for f in self.option_fields:
            value = self.cleaned_data.get(self.option_names[f.name])
            if f.not_applicable or value is None or value == "":
                continue
            out[f.name] = value
        return out

    def sections(self) -> list[tuple[str, list[forms.BoundField]]]:
        groups: dict[str, list[forms.BoundField]] = {}
        for f in self.option_fields:
            groups.setdefault(f.group or "app", []).append(self[self.option_names[f.name]])
        return [(GROUP_TITLES.get(g, g.capitalize()), rows) for g, rows in groups.items()]


def _app_connection_for_presets(form: ProductAppForm) -> AppConnection:
    """The connection Get values from server reads: the chosen one, or the group's first active."""
    raw_conn = str(form.data.get("connection") or "")
    raw_group = str(form.data.get("group") or "")
    if raw_conn.isdigit():
        conn = AppConnection.objects.filter(pk=raw_conn).first()
        if conn is not None:
            return conn
    elif raw_group.isdigit():
        conn = AppConnection.objects.filter(group_id=raw_group, active=True).order_by("pk").first()
        if conn is not None:
            return conn
        raise DomainError("the server group has no active connection", field="group")
    raise DomainError("choose an app connection or a server group first", field="connection")


@admin.register(ProductApp)
class ProductAppAdmin(admin.ModelAdmin):
    """Every product's App settings at a glance; each is edited from its product (App settings)."""

    list_display = ["product", "module", "server", "preset", "auto_create"]
    list_select_related = ["product", "connection", "group"]
    search_fields = ["product__name"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # a product's App settings are added from the product page

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # a product with a module needs them; they are changed, not removed

    @admin.display(description=_("Module"), ordering="product__module")
    def module(self, obj: ProductApp) -> str:
        return obj.product.module or "-"

    @admin.display(description=_("Connection or group"))
    def server(self, obj: ProductApp) -> str:
        return str(obj.connection or obj.group or "-")

    @admin.display(description=_("Preset"))
    def preset(self, obj: ProductApp) -> str:
        return str(obj.options.get("preset") or "-")

    @admin.display(description=_("Auto-create"))
    def auto_create(self, obj: ProductApp) -> str:
        return obj.product.get_auto_create_display()

    def get_urls(self):  # noqa: ANN201
        return [
            path(
                "product/<int:product_id>/",
                self.admin_site.admin_view(self.app_view),
                name="provisioning_product_app",
            ),
            *super().get_urls(),
        ]

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        app = self.get_object(request, unquote(object_id))
        if app is None:
            return self._get_obj_does_not_exist_redirect(request, self.model._meta, object_id)
        return self.app_view(request, app.product_id)

    def app_view(self, request: HttpRequest, product_id: int) -> HttpResponse:
        """The product's App tab: Get values from server, choose the preset, override, save."""
        if not request.user.has_perm("catalog.view_product"):
            raise PermissionDenied
        can_save = request.user.has_perm("catalog.change_product")
        product = get_object_or_404(Product, pk=product_id)
        app = ProductApp.objects.filter(product=product).first()
        product_page = reverse("admin:catalog_product_change", args=[product.pk])
        hide_errors = False
        if request.method == "POST":
            if not can_save:
                raise PermissionDenied
            form = ProductAppForm(request.POST, product=product, app=app)
            if "_fetch" in request.POST:
                hide_errors = True
                try:
                    conn = _app_connection_for_presets(form)
                    presets = fetch_presets(connection=conn)
                except DomainError as exc:
                    hide_errors = False
                    form.is_valid()
                    form.errors.clear()
                    add_domain_error(form, exc)
                else:
                    data = request.POST.copy()
                    data["known_presets"] = ",".join(presets)
                    form = ProductAppForm(data, product=product, app=app)
                    names = ", ".join(presets) or "none"
                    messages.success(
                        request,
                        _("Got %(len)s presets from %(name)s: %(names)s.")
                        % {"len": len(presets), "name": conn.name, "names": names},
                    )
            elif form.is_valid():
                d = form.cleaned_data
                try:
                    product_app_save(
                        product=product,
                        module=d["module"],
                        connection=d["connection"],
                        group=d["group"],
                        options=form.options(),
                        auto_create=d["auto_create"],
                        now=clock.now(),
                        actor=request.user,
                    )
                except DomainError as exc:
                    add_domain_error(form, exc, {"app": "module", **form.option_names})
                else:
                    messages.success(request, _("App settings of %(name)s saved.") % {"name": product.name})
                    if "_continue" in request.POST:
                        return HttpResponseRedirect(request.path)
                    return HttpResponseRedirect(product_page)
        else:
            form = ProductAppForm(product=product, app=app)
        return form_page(
            request,
            self,
            title=_("App settings of %(name)s") % {"name": product.name},
            form=form,
            obj=None,
            submit_label=_("Save Changes"),
            template="admin/provisioning/product_app.html",
            product=product,
            product_page=product_page,
            hide_errors=hide_errors,
            can_save=can_save,
        )


@product_page_link
def _app_settings_link(request: HttpRequest, product: Product) -> tuple[str, str] | None:
    if not request.user.has_perm("catalog.view_product"):
        return None
    return "App settings", reverse("admin:provisioning_product_app", args=[product.pk])
