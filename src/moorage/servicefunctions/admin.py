"""Staff area for the billing-side Client Functions: Service Notes (a section of the service page and
an add page), Status Updates (to products or server groups) and Downloads (files of a product)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from moorage.catalog.models import Product
from moorage.core import clock
from moorage.core.actions import audit
from moorage.core.admin_views import add_domain_error, form_page
from moorage.core.errors import DomainError
from moorage.servicefunctions.actions import (
    MAX_NOTE,
    max_download_bytes,
    product_download_add,
    service_note_add,
)
from moorage.servicefunctions.models import ProductDownload, ServiceNote, ServiceOptions, StatusUpdate
from moorage.services.admin import service_page_section
from moorage.services.models import Service


class NoteForm(forms.Form):
    service = forms.IntegerField(label=_("Service id"), min_value=1, max_value=2**63 - 1)
    body = forms.CharField(label=_("Note"), max_length=MAX_NOTE, widget=forms.Textarea(attrs={"rows": 5}))
    visible_to_client = forms.BooleanField(
        label=_("Visible to the client"), required=False, help_text=_("Unticked: an internal note only staff see")
    )


@admin.register(ServiceNote)
class ServiceNoteAdmin(admin.ModelAdmin):
    """Notes are written through the service page's "Add note" (the action audits them) and never
    edited; staff may delete one."""

    list_display = ["id", "service", "visible_to_client", "author", "created_at", "short"]
    list_filter = ["visible_to_client"]
    search_fields = ["=service__id", "body", "service__hostname"]
    list_select_related = ["service", "service__product", "author"]
    readonly_fields = ["service", "body", "visible_to_client", "author", "created_at"]
    fields = readonly_fields

    @admin.display(description=_("Note"))
    def short(self, obj: ServiceNote) -> str:
        return obj.body[:80]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def add_view(self, request: HttpRequest, form_url: str = "", extra_context: Any = None) -> HttpResponse:
        # Not the admin's changeform (its transaction would wrap the durable action): a form page.
        if not self.has_add_permission(request):
            raise PermissionDenied
        given = request.GET.get("service") or ""
        service = Service.objects.filter(pk=int(given)).first() if given.isdigit() and len(given) < 19 else None
        form = NoteForm(request.POST or None, initial={"service": service.pk if service else None})
        if service is not None:
            form.fields["service"].widget = forms.HiddenInput()
        if request.method == "POST" and form.is_valid():
            service = Service.objects.filter(pk=form.cleaned_data["service"]).first()
            try:
                if service is None:
                    raise DomainError("no service with this id", field="service")
                service_note_add(
                    service_id=service.pk,
                    body=form.cleaned_data["body"],
                    visible_to_client=form.cleaned_data["visible_to_client"],
                    now=clock.now(),
                    actor=request.user,  # type: ignore[arg-type]
                )
            except DomainError as exc:
                add_domain_error(form, exc)
            else:
                messages.success(request, _("Note added."))
                return HttpResponseRedirect(reverse("admin:services_service_change", args=[service.pk]))
        title = f"Add a note to {service}" if service else "Add a note to a service"
        return form_page(request, self, title=title, form=form, obj=None, submit_label=_("Add note"))

    def delete_model(self, request: HttpRequest, obj: ServiceNote) -> None:
        service = obj.service
        super().delete_model(request, obj)
        who = request.user
        audit(actor=who, action="service_note_delete", obj=service, now=clock.now(), message="Staff note deleted.")  # type: ignore[arg-type]

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[ServiceNote]) -> None:
        for note in list(queryset.select_related("service")):
            self.delete_model(request, note)


@service_page_section(45)
def _notes_section(request: HttpRequest, service: Service) -> str:
    options = ServiceOptions.objects.filter(service=service).first()
    return render_to_string(
        "admin/servicefunctions/service_section.html",
        {
            "service": service,
            "notes": ServiceNote.objects.filter(service=service).select_related("author"),
            "options": options,
            "can_add": request.user.has_perm("servicefunctions.add_servicenote"),
        },
        request=request,
    )


@admin.register(StatusUpdate)
class StatusUpdateAdmin(admin.ModelAdmin):
    """Status Updates: maintenance and incident notices for the clients of some products or of the
    servers of some server groups, shown on their service pages and dashboard while current."""

    list_display = ["title", "severity", "starts_at", "ends_at", "created_by"]
    list_filter = ["severity"]
    search_fields = ["title", "body"]
    filter_horizontal = ["products", "server_groups"]
    fields = ["title", "severity", "body", "starts_at", "ends_at", "products", "server_groups"]

    def save_model(self, request: HttpRequest, obj: StatusUpdate, form: Any, change: bool) -> None:
        if not change:
            obj.created_at = clock.now()
            obj.created_by = request.user  # type: ignore[assignment]
        super().save_model(request, obj, form, change)

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any):  # noqa: ANN201
        form = super().get_form(request, obj, change=change, **kwargs)

        class Checked(form):  # type: ignore[misc,valid-type]
            def clean(self) -> dict:
                data = super().clean()
                start, end = data.get("starts_at"), data.get("ends_at")
                if start and end and end <= start:
                    self.add_error("ends_at", _("The end must be after the start."))
                if not data.get("products") and not data.get("server_groups"):
                    self.add_error("products", _("Choose the products or the server groups the update concerns."))
                return data

        return Checked


class DownloadForm(forms.Form):
    product = forms.ModelChoiceField(queryset=Product.objects.order_by("name"))
    title = forms.CharField(max_length=200, required=False, help_text=_("Empty: the file's name"))
    description = forms.CharField(max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 3}))
    file = forms.FileField()


@admin.register(ProductDownload)
class ProductDownloadAdmin(admin.ModelAdmin):
    """Downloads: files attached to a product. Stored outside any public URL; clients with an active
    service of the product download them through the client area."""

    list_display = ["title", "product", "filename", "size", "uploaded_at", "uploaded_by"]
    list_filter = ["product"]
    search_fields = ["title", "filename"]
    readonly_fields = ["product", "filename", "size", "uploaded_by", "uploaded_at"]
    fields = ["title", "description", *readonly_fields]

    def add_view(self, request: HttpRequest, form_url: str = "", extra_context: Any = None) -> HttpResponse:
        if not self.has_add_permission(request):
            raise PermissionDenied
        initial = {"product": request.GET.get("product")}
        form = DownloadForm(request.POST or None, request.FILES or None, initial=initial)
        if request.method == "POST" and form.is_valid():
            try:
                download = product_download_add(
                    product_id=form.cleaned_data["product"].pk,
                    title=form.cleaned_data["title"],
                    description=form.cleaned_data["description"],
                    upload=form.cleaned_data["file"],
                    now=clock.now(),
                    actor=request.user,  # type: ignore[arg-type]
                )
            except DomainError as exc:
                add_domain_error(form, exc)
            else:
                messages.success(
                    request,
                    _("%(filename)s attached to %(product)s.")
                    % {"filename": download.filename, "product": download.product},
                )
                return HttpResponseRedirect(reverse("admin:servicefunctions_productdownload_changelist"))
        limit = max_download_bytes() // (1024 * 1024)
        return form_page(
            request,
            self,
            title=_("Attach a file to a product"),
            form=form,
            submit_label=_("Upload"),
            intro=_("At most %(limit)s MB. Clients with an active service of the product can download it.")
            % {"limit": limit},
        )

    def delete_model(self, request: HttpRequest, obj: ProductDownload) -> None:
        stored = obj.file.name
        storage = obj.file.storage
        super().delete_model(request, obj)
        if stored:
            storage.delete(stored)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[ProductDownload]) -> None:
        for obj in list(queryset):
            self.delete_model(request, obj)
