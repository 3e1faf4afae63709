"""Edit Forms (a Client Function): the client reads the answers given when ordering and changes the
ones staff made client-editable. The money and the panel follow in `orderforms.actions.service_form_edit`;
a change that needs an invoice waits for its payment, shown here with a link to pay it or withdraw it."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from moorage.clientarea.configure_forms import field_rows, posted
from moorage.clientarea.functions import function_service
from moorage.clientarea.views import acting_user, client_required
from moorage.core import clock
from moorage.core.errors import DomainError
from moorage.orderforms.actions import (
    EDITABLE_STATUSES,
    pending_form_edit,
    service_form_edit,
    service_form_edit_cancel,
)
from moorage.orderforms.answers import display, form_fields
from moorage.orderforms.models import FormField, ServiceFormAnswer


@client_required
@require_http_methods(["GET", "POST"])
def service_edit_forms(request: HttpRequest, pk: int) -> HttpResponse:
    service = function_service(request, pk, "edit_forms")
    fields = form_fields(service.product_id)
    stored = {a.code: a.value for a in ServiceFormAnswer.objects.filter(service=service)}
    can_edit = service.status in EDITABLE_STATUSES
    editable = [f for f in fields if f.client_editable and f.type != FormField.Type.HIDDEN] if can_edit else []
    values = dict(stored)
    errors: dict[str, str] = {}
    if request.method == "POST" and request.POST.get("action") == "cancel_pending":
        try:
            service_form_edit_cancel(
                service_id=service.pk, now=clock.now(), actor=acting_user(request), client_id=service.client_id
            )
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("The change waiting for payment was withdrawn and its invoice cancelled."))
        return redirect("clientarea:service_edit_forms", pk=service.pk)
    if request.method == "POST" and editable:
        answers = {f.code: posted(f, request.POST) or "" for f in editable}
        try:
            result = service_form_edit(
                service_id=service.pk, answers=answers, now=clock.now(), actor=acting_user(request)
            )
        except DomainError as exc:
            values.update(answers)
            code = (exc.field or "").removeprefix("form.")
            errors[code] = exc.message
            messages.error(request, exc.message)
        else:
            if result.pending is not None and result.invoice is not None:
                messages.success(
                    request,
                    _("Invoice #%(number)s covers the change; your answers change when it is paid.")
                    % {"number": result.invoice.display_number},
                )
            elif not result.changed:
                messages.info(request, _("Nothing was changed."))
            else:
                messages.success(request, _("Your answers were saved."))
            return redirect("clientarea:service_edit_forms", pk=service.pk)
    pending = pending_form_edit(service)
    pending_rows = []
    if pending is not None:  # the current answers are shown read-only until it is paid or withdrawn
        editable = []
        by_code = {f.code: f for f in fields}
        pending_rows = [
            {"label": by_code[c].label if c in by_code else c, "value": display(by_code[c], v) if c in by_code else v}
            for c, v in pending.answers.items()
        ]
    readonly = [
        {"label": f.label, "value": display(f, stored.get(f.code, ""))}
        for f in fields
        if f not in editable and f.type != FormField.Type.HIDDEN
    ]
    return render(
        request,
        "clientarea/fn_edit_forms.html",
        {
            "service": service,
            "title": _("Edit Forms"),
            "rows": field_rows(editable, values, errors),
            "readonly": readonly,
            "has_form": bool(fields),
            "pending": pending,
            "pending_rows": pending_rows,
        },
    )
