"""Building blocks every app's staff pages share: read-only admins, form pages, DomainError mapping.

The staff area holds no business rules: its views collect input, call an action and show the
action's DomainError where the staff member can fix it (on the field it names, or as a message).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db import models
from django.http import HttpRequest
from django.template.response import TemplateResponse

from moorage.core.errors import DomainError


def add_domain_error(form: forms.BaseForm, exc: DomainError, field_map: dict[str, str] | None = None) -> None:
    """Put the action's error on the form field it names, or at the top of the form."""
    name = exc.field
    if name and field_map:
        name = field_map.get(name, name)
    form.add_error(name if name in form.fields else None, exc.message)


def message_domain_error(request: HttpRequest, exc: DomainError) -> None:
    messages.error(request, exc.message)


class ReadOnlyAdminMixin:
    """History rows (ledger, audit, payments, invoices): viewed; never added, changed, deleted."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ReadOnlyAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    pass


class ReadOnlyTabularInline(ReadOnlyAdminMixin, admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = False


def form_page(
    request: HttpRequest,
    model_admin: admin.ModelAdmin,
    *,
    title: str,
    form: forms.BaseForm | None = None,
    obj: models.Model | None = None,
    submit_label: str = "Save",
    intro: str = "",
    template: str = "admin/moorage/form_page.html",
    **extra: Any,
) -> TemplateResponse:
    """Render a staff page with one form in the admin's look (breadcrumbs, messages, test clock)."""
    opts = model_admin.model._meta
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": opts,
        "app_label": opts.app_label,
        "title": title,
        "form": form,
        "original": obj,
        "submit_label": submit_label,
        "intro": intro,
        "has_file_field": bool(form and form.is_multipart()),
        "has_view_permission": model_admin.has_view_permission(request, obj),
        **extra,
    }
    return TemplateResponse(request, template, context)


def readonly_fields_of(model: type[models.Model], exclude: Iterable[str] = ()) -> list[str]:
    """Every concrete field of a model, for admins that only show rows."""
    skip = set(exclude)
    return [f.name for f in model._meta.concrete_fields if f.name not in skip]


Hook = Callable[[HttpRequest, Any], Any]


class PageHooks:
    """Blocks (or links) that apps higher up add to a page of an app below them, so the lower app
    never imports them: each hook takes (request, object) and returns something to show or None."""

    def __init__(self) -> None:
        self._hooks: list[tuple[int, Hook]] = []

    def register(
        self, order: int = 0
    ) -> Callable[[Callable[[HttpRequest, Any], Any]], Callable[[HttpRequest, Any], Any]]:
        """A decorator adding a hook; hooks are shown by `order`, lowest first."""

        def add(func: Hook) -> Hook:
            self._hooks.append((order, func))
            self._hooks.sort(key=lambda item: item[0])
            return func

        return add

    def render(self, request: HttpRequest, obj: Any) -> list[Any]:
        """What every hook shows for `obj`, in order, leaving out the empty ones."""
        return [shown for _order, func in self._hooks if (shown := func(request, obj))]
