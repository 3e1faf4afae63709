"""Staff area for order forms: the form's fields on the product page (Add new form field), a field's
options, Import (a JSON or YAML file), Copy from product, and the answers on the service page."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.options import BaseModelAdmin
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.loader import render_to_string
from django.urls import path, reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from moorage.catalog.admin import product_inlines, product_page_link
from moorage.catalog.models import Product
from moorage.core import clock
from moorage.core.admin_views import add_domain_error, form_page
from moorage.core.errors import DomainError
from moorage.orderforms.actions import form_copy, form_import
from moorage.orderforms.answers import display
from moorage.orderforms.models import FormField, FormFieldOption, PendingFormEdit, ServiceFormAnswer
from moorage.orderforms.transfer import CODE, MAX_FILE_BYTES, clean_limits, read_file
from moorage.services.admin import service_page_section
from moorage.services.models import Service, ServiceComponent


class LimitsFormMixin:
    """Limits are checked like an imported file's: {"limit_quota": 1024}, whole numbers."""

    def clean_limits(self) -> dict:
        try:
            return clean_limits(self.cleaned_data.get("limits") or {}, "limits")  # type: ignore[attr-defined]
        except DomainError as exc:
            raise forms.ValidationError(exc.message) from None


class FormFieldForm(LimitsFormMixin, forms.ModelForm):
    class Meta:
        model = FormField
        fields = "__all__"

    def clean_code(self) -> str:
        code = self.cleaned_data["code"]
        if not CODE.match(code):
            raise forms.ValidationError(gettext("Letters, digits, - and _ only."))
        return code

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        kind, low, high = data.get("type"), data.get("min_value"), data.get("max_value")
        if low is not None and high is not None and high < low:
            self.add_error("max_value", gettext("Must not be less than the minimum."))
        if kind in (FormField.Type.SELECT, FormField.Type.RADIO) and (
            data.get("one_time_price") or data.get("recurring_price") or data.get("limits")
        ):
            self.add_error("recurring_price", gettext("A select or radio field is priced by its options."))
        if kind == FormField.Type.CHECKBOX and data.get("default") not in ("", "0", "1"):
            self.add_error("default", gettext('A checkbox\'s default is "1" (ticked) or "0".'))
        if kind == FormField.Type.NUMBER and data.get("default") and not str(data["default"]).isdigit():
            self.add_error("default", gettext("A number field's default is a whole number."))
        for name in ("one_time_price", "recurring_price"):
            if data.get(name) is not None and data[name] < 0:
                self.add_error(name, gettext("Prices are not negative."))
        return data


class FormFieldOptionForm(LimitsFormMixin, forms.ModelForm):
    class Meta:
        model = FormFieldOption
        fields = "__all__"

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        for name in ("one_time_price", "recurring_price"):
            if data.get(name) is not None and data[name] < 0:
                self.add_error(name, gettext("Prices are not negative."))
        return data


class FormFieldInline(admin.TabularInline):
    """The product's order form; "Add another Form field" is the product description's *Add new form field*."""

    model = FormField
    form = FormFieldForm
    fields = [
        "sort",
        "code",
        "label",
        "type",
        "required",
        "client_editable",
        "default",
        "min_value",
        "max_value",
        "one_time_price",
        "recurring_price",
        "limits",
        "help",
    ]
    extra = 0
    show_change_link = True  # the options of a select or radio field are on the field's page
    verbose_name = _("order form field")
    verbose_name_plural = _("Order form (select and radio fields: open a field to add its options)")

    # Not on the Add product page: the form is built once the product exists (Import and Copy need it).
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return obj is not None and super().has_add_permission(request, obj)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return obj is not None and super().has_change_permission(request, obj)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return obj is not None and super().has_view_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return obj is not None and super().has_delete_permission(request, obj)

    def get_queryset(self, request: HttpRequest) -> QuerySet[FormField]:
        # Django asks the permissions here without the product; the answer is the model's.
        queryset = BaseModelAdmin.get_queryset(self, request)
        if not (super().has_view_permission(request) or super().has_change_permission(request)):
            queryset = queryset.none()
        return queryset


product_inlines.append(FormFieldInline)


class FormFieldOptionInline(admin.TabularInline):
    model = FormFieldOption
    form = FormFieldOptionForm
    fields = ["sort", "label", "value", "one_time_price", "recurring_price", "limits"]
    extra = 1


class FormImportForm(forms.Form):
    file = forms.FileField(
        label=_("Form file"), help_text=_("JSON, or YAML (.yml, .yaml); at most 256 KB."), max_length=200
    )
    replace = forms.BooleanField(label=_("Replace the product's current form"), required=False)


class FormCopyForm(forms.Form):
    source = forms.ModelChoiceField(label=_("Copy from product"), queryset=Product.objects.none())
    replace = forms.BooleanField(label=_("Replace the product's current form"), required=False)

    def __init__(self, *args: Any, product: Product, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["source"]
        field.queryset = (  # type: ignore[attr-defined]
            Product.objects.exclude(pk=product.pk).filter(form_fields__isnull=False).distinct().order_by("name")
        )


@admin.register(FormField)
class FormFieldAdmin(admin.ModelAdmin):
    """A form field with its options; reached from the product page (not listed on the admin index)."""

    form = FormFieldForm
    inlines = [FormFieldOptionInline]
    list_display = ["label", "code", "type", "product", "required", "client_editable", "sort"]
    list_filter = ["type"]
    search_fields = ["code", "label", "product__name"]
    list_select_related = ["product"]

    def get_model_perms(self, request: HttpRequest) -> dict[str, bool]:
        return {}  # edited from the product page

    def get_urls(self) -> list:
        wrap = self.admin_site.admin_view
        return [
            path("import/<int:product_id>/", wrap(self.import_view), name="orderforms_form_import"),
            path("copy/<int:product_id>/", wrap(self.copy_view), name="orderforms_form_copy"),
            *super().get_urls(),
        ]

    def _product(self, request: HttpRequest, product_id: int) -> Product:
        if not (request.user.has_perm("catalog.change_product") and self.has_add_permission(request)):
            raise PermissionDenied
        return get_object_or_404(Product, pk=product_id)

    def _back(self, product: Product) -> HttpResponseRedirect:
        return HttpResponseRedirect(reverse("admin:catalog_product_change", args=[product.pk]))

    def import_view(self, request: HttpRequest, product_id: int) -> HttpResponse:
        """Import: read and check the whole file first; a bad file creates nothing and names the place."""
        product = self._product(request, product_id)
        form = FormImportForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                if upload.size > MAX_FILE_BYTES:
                    raise DomainError(
                        gettext("the file is larger than %(kb)s KB") % {"kb": MAX_FILE_BYTES // 1024}, field="file"
                    )
                data = read_file(upload.read(MAX_FILE_BYTES + 1), upload.name or "")
                created = form_import(
                    product_id=product.pk,
                    data=data,
                    replace=form.cleaned_data["replace"],
                    now=clock.now(),
                    actor=request.user,  # type: ignore[arg-type]
                )
            except DomainError as exc:
                form.add_error("file" if exc.field in (None, "file") else None, exc.message)
            else:
                messages.success(request, gettext("Imported %(n)s form fields.") % {"n": len(created)})
                return self._back(product)
        return form_page(
            request,
            self,
            title=gettext("Import order form: %(product)s") % {"product": product.name},
            form=form,
            obj=product,
            submit_label=gettext("Import"),
            intro=gettext(
                'A list of fields (or {"fields": [...]}) with the keys code, label, type (text, textarea, select, '
                "radio, checkbox, number, hidden), required, client_editable, help, sort, default, min, max, "
                "one_time_price, recurring_price, limits and, for select and radio fields, options (label, value, "
                "sort, one_time_price, recurring_price, limits). See docs/order-forms.md."
            ),
        )

    def copy_view(self, request: HttpRequest, product_id: int) -> HttpResponse:
        """Copy from product: another product's fields and options."""
        product = self._product(request, product_id)
        form = FormCopyForm(request.POST or None, product=product)
        if request.method == "POST" and form.is_valid():
            try:
                created = form_copy(
                    source_product_id=form.cleaned_data["source"].pk,
                    product_id=product.pk,
                    replace=form.cleaned_data["replace"],
                    now=clock.now(),
                    actor=request.user,  # type: ignore[arg-type]
                )
            except DomainError as exc:
                add_domain_error(form, exc)
            else:
                messages.success(request, gettext("Copied %(n)s form fields.") % {"n": len(created)})
                return self._back(product)
        return form_page(
            request,
            self,
            title=gettext("Copy order form: %(product)s") % {"product": product.name},
            form=form,
            obj=product,
            submit_label=gettext("Copy"),
        )


@product_page_link
def _import_link(request: HttpRequest, product: Product) -> tuple[str, str] | None:
    if not request.user.has_perm("catalog.change_product"):
        return None
    return gettext("Import order form"), reverse("admin:orderforms_form_import", args=[product.pk])


@product_page_link
def _copy_link(request: HttpRequest, product: Product) -> tuple[str, str] | None:
    if not request.user.has_perm("catalog.change_product"):
        return None
    return gettext("Copy order form from product"), reverse("admin:orderforms_form_copy", args=[product.pk])


@service_page_section(20)
def _answers_section(request: HttpRequest, service: Service) -> str | None:
    """The order form's answers on the staff service page, with what each costs per cycle now."""
    answers = list(ServiceFormAnswer.objects.filter(service=service).select_related("field").order_by("id"))
    pending = (
        PendingFormEdit.objects.filter(service=service, status=PendingFormEdit.Status.PENDING)
        .select_related("invoice")
        .first()
    )
    if not answers and pending is None:
        return None
    live = {
        c.source: c
        for c in ServiceComponent.objects.filter(service=service, source__startswith="form:").exclude(
            status=ServiceComponent.Status.ENDED
        )
    }
    rows = []
    for a in answers:
        component = live.get(f"form:{a.field_id}") if a.field_id else None
        rows.append(
            {
                "label": a.label,
                "code": a.code,
                "value": display(a.field, a.value) if a.field else a.value,
                "hidden": bool(a.field and a.field.type == FormField.Type.HIDDEN),
                "recurring": component.recurring_amount if component else None,
                "limits": component.limits if component else None,
                "updated_at": a.updated_at,
            }
        )
    pending_info = None
    if pending is not None:
        labels = {a.code: a.label for a in answers}
        pending_info = {
            "answers": [(labels.get(c, c), v) for c, v in pending.answers.items()],
            "invoice": pending.invoice,
            "invoice_url": reverse("admin:billing_invoice_change", args=[pending.invoice_id])
            if pending.invoice_id
            else "",
            "created_at": pending.created_at,
        }
    return render_to_string(
        "admin/orderforms/service_answers.html", {"rows": rows, "pending": pending_info}, request=request
    )
