"""Order forms' use cases: import a form, copy it from another product, and Edit Forms (the client
changes an answer after ordering; its price and limits follow)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext

from moorage.billing.actions import LineSpec, issue_invoice
from moorage.billing.dates import first_invoice_due
from moorage.billing.models import Invoice, InvoiceLine
from moorage.billing.proration import remaining_units
from moorage.catalog.models import BillingDefaults, Product, product_setting
from moorage.core.actions import audit
from moorage.core.clock import business_tz, local_date
from moorage.core.cycles import Cycle, nth_due_date, period_index
from moorage.core.errors import Conflict, DomainError, NotFound
from moorage.core.models import User
from moorage.core.money import ZERO, round_money
from moorage.orderforms.answers import clean_value, describe, form_fields, priced, source_of
from moorage.orderforms.models import FormField, FormFieldOption, ServiceFormAnswer
from moorage.orderforms.transfer import export_form, parse_form
from moorage.provisioning.actions import request_job
from moorage.provisioning.models import PanelAccount, ProvisioningJob
from moorage.services.actions import lock_service
from moorage.services.models import Service, ServiceComponent

EDITABLE_STATUSES = (Service.Status.ACTIVE, Service.Status.SUSPENDED)


# --- staff: import and copy -----------------------------------------------------------------------


def create_fields(product: Product, fields: list[dict[str, Any]], *, replace: bool = False) -> list[FormField]:
    """Inner step: write a checked field list (`transfer.parse_form`) on `product`. Without `replace`
    a code the form already has is refused; with it the old form is removed first (answers keep
    their copied label and value)."""
    if replace:
        FormField.objects.filter(product=product).delete()
    else:
        taken = set(FormField.objects.filter(product=product).values_list("code", flat=True))
        for i, row in enumerate(fields):
            if row["code"] in taken:
                raise Conflict(
                    gettext("the form already has a field %(code)s") % {"code": row["code"]},
                    field=f"fields[{i}].code",
                    code="duplicate",
                )
    created = []
    try:
        with transaction.atomic():
            for row in fields:
                values = {k: v for k, v in row.items() if k != "options"}
                obj = FormField.objects.create(product=product, **values)
                FormFieldOption.objects.bulk_create([FormFieldOption(field=obj, **o) for o in row["options"]])
                created.append(obj)
    except IntegrityError:  # another import of the same codes committed meanwhile
        raise Conflict(gettext("the form changed meanwhile; try again"), field="fields", code="conflict") from None
    return created


@transaction.atomic(durable=True)
def form_import(
    *, product_id: int, data: Any, now: dt.datetime, actor: User | None, replace: bool = False
) -> list[FormField]:
    """Import: a form's fields from a file's data (JSON or YAML read by `transfer.read_file`), all or nothing."""
    product = Product.objects.filter(pk=product_id).first()
    if product is None:
        raise NotFound(gettext("no such product"), field="product")
    fields = parse_form(data)
    created = create_fields(product, fields, replace=replace)
    audit(actor=actor, action="form_import", obj=product, now=now, data={"fields": [f.code for f in created]})
    return created


@transaction.atomic(durable=True)
def form_copy(
    *, source_product_id: int, product_id: int, now: dt.datetime, actor: User | None, replace: bool = False
) -> list[FormField]:
    """Copy from product: another product's form fields and options onto this product."""
    if source_product_id == product_id:
        raise DomainError(gettext("choose another product to copy from"), field="source", code="same_product")
    source = Product.objects.filter(pk=source_product_id).first()
    product = Product.objects.filter(pk=product_id).first()
    if source is None or product is None:
        raise NotFound(gettext("no such product"), field="source" if source is None else "product")
    fields = parse_form(export_form(source))
    if not fields:
        raise DomainError(
            gettext("%(name)s has no order form") % {"name": source.name}, field="source", code="empty_form"
        )
    created = create_fields(product, fields, replace=replace)
    audit(
        actor=actor,
        action="form_copy",
        obj=product,
        now=now,
        data={"source": source.pk, "fields": [f.code for f in created]},
    )
    return created


# --- Edit Forms -----------------------------------------------------------------------------------


@dataclass
class FormEdit:
    """What an Edit Forms submission changed."""

    changed: list[str] = field(default_factory=list)
    invoice: Invoice | None = None
    job: ProvisioningJob | None = None
    price_change: Decimal = ZERO  # per cycle, from now on


def _midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(0), tzinfo=business_tz())


def _current_period(service: Service) -> tuple[dt.date, dt.date] | None:
    """The service's running period [start, next due date), or None when it has none."""
    due = service.next_due_date
    if due is None or service.cycle == Cycle.ONE_TIME:
        return None
    anchor = service.anchor_date or due
    n = period_index(anchor, service.cycle, due, service.anchor_day)
    return nth_due_date(anchor, service.cycle, n - 1, service.anchor_day), due


def _set_component(
    service: Service, f: FormField, value: str, *, now: dt.datetime
) -> tuple[Decimal, Decimal, dict, dict]:
    """Make the field's ServiceComponent match the answer; (old recurring, new recurring, old limits, new limits)."""
    _, recurring, limits = priced(f, value)
    if service.cycle == Cycle.ONE_TIME:
        recurring = ZERO
    live = (
        ServiceComponent.objects.filter(service=service, source=source_of(f))
        .exclude(status=ServiceComponent.Status.ENDED)
        .first()
    )
    old_recurring = live.recurring_amount if live else ZERO
    old_limits = dict(live.limits or {}) if live else {}
    if live is not None and not recurring and not limits:
        live.status, live.ended_at = ServiceComponent.Status.ENDED, now
        live.save(update_fields=["status", "ended_at"])
    elif live is not None:
        live.recurring_amount, live.limits, live.description = recurring, limits, describe(f, value)[:300]
        live.save(update_fields=["recurring_amount", "limits", "description"])
    elif recurring or limits:
        ServiceComponent.objects.create(
            service=service,
            kind=ServiceComponent.Kind.OPTION,
            source=source_of(f),
            description=describe(f, value)[:300],
            recurring_amount=recurring,
            limits=limits,
            status=ServiceComponent.Status.ACTIVE,
            created_at=now,
        )
    return old_recurring, recurring, old_limits, limits


@transaction.atomic(durable=True)
def service_form_edit(
    *, service_id: int, answers: Mapping[str, str], now: dt.datetime, actor: User | None, by_staff: bool = False
) -> FormEdit:
    """Edit Forms: change the answers of a service's order form.

    A client changes only the fields staff marked client-editable; staff any but a hidden one. A new
    per-cycle price is billed from the next renewal on; when it costs more and the product charges
    pro-rata (Upgrade pro-rata), the rest of the running period is invoiced now (an upgrade invoice),
    and a one-time price of the new answer is invoiced with it. A change of panel limits queues a
    change-package job. Submitting the same answers again changes nothing.
    """
    service = lock_service(service_id)
    if not by_staff and service.status not in EDITABLE_STATUSES:
        raise DomainError(
            gettext("The answers can be changed while the service is active."), field="service", code="not_editable"
        )
    fields = {f.code: f for f in form_fields(service.product_id)}
    stored = {a.code: a for a in ServiceFormAnswer.objects.filter(service=service)}
    result = FormEdit()
    new_values: dict[str, str] = {}
    for code, raw in answers.items():
        f = fields.get(code)
        where = f"form.{str(code)[:50]}"
        if f is None:
            raise DomainError(
                gettext("The order form has no field %(code)s") % {"code": str(code)[:50]},
                field=where,
                code="unknown_field",
            )
        if f.type == FormField.Type.HIDDEN or not (by_staff or f.client_editable):
            raise DomainError(
                gettext("%(label)s cannot be changed") % {"label": f.label}, field=where, code="not_editable"
            )
        value = clean_value(f, raw if raw is not None else "", where=where)
        old = stored.get(code)
        if old is None or old.value != value:
            new_values[code] = value
    if not new_values:
        return result
    lines: list[LineSpec] = []
    limits_changed = False
    period = _current_period(service) if service.status in EDITABLE_STATUSES else None
    today = local_date(now)
    unit = product_setting(service.product, "upgrade_proration")
    for code, value in new_values.items():
        f = fields[code]
        row = stored.get(code)
        if row is None:
            row = ServiceFormAnswer(service=service, field=f, code=code)
        row.label, row.value, row.updated_at, row.field = f.label, value, now, f
        row.save()
        old_recurring, recurring, old_limits, limits = _set_component(service, f, value, now=now)
        limits_changed = limits_changed or old_limits != limits
        result.price_change += recurring - old_recurring
        one_time, _, _ = priced(f, value)
        if one_time and service.status in EDITABLE_STATUSES:
            lines.append(
                LineSpec(
                    kind=InvoiceLine.Kind.OPTION,
                    description=describe(f, value) + " " + gettext("(one-time)"),
                    amount=one_time,
                    service=service,
                )
            )
        if unit and period and recurring != old_recurring:
            start, due = period
            left, total = remaining_units(
                period_start=_midnight(start), period_end=_midnight(due), moment=now, unit=str(unit)
            )
            amount = round_money((recurring - old_recurring) * Decimal(left) / Decimal(total))
            if amount:
                lines.append(
                    LineSpec(
                        kind=InvoiceLine.Kind.OPTION,
                        description=describe(f, value) + " " + gettext("(pro-rata)"),
                        amount=amount,
                        service=service,
                        cycle=service.cycle,
                        period_start=max(today, start),
                        period_end=due - dt.timedelta(days=1),
                    )
                )
        result.changed.append(code)
    # A lower price is never credited back: it applies from the next renewal, and so do the pro-rata
    # lines of a change that costs less in total.
    prorata_total = sum((line.amount for line in lines if line.period_start is not None), ZERO)
    if prorata_total < 0:
        lines = [line for line in lines if line.period_start is None]
    if lines:
        days = int(product_setting(service.product, "first_invoice_due_days", BillingDefaults.load()))
        result.invoice = issue_invoice(
            client=service.client,
            kind=Invoice.Kind.UPGRADE,
            lines=lines,
            issue_date=today,
            due_date=first_invoice_due(today, days),
            now=now,
            actor=actor,
        )
    entry = audit(
        actor=actor,
        action="service_form_edit",
        obj=service,
        now=now,
        message=gettext("Order form answers changed: %(fields)s")
        % {"fields": ", ".join(fields[c].label for c in result.changed)},
        data={
            "changed": {c: new_values[c] for c in result.changed},
            "invoice": result.invoice.number if result.invoice else None,
        },
    )
    if (
        limits_changed
        and service.product.module
        and service.status in EDITABLE_STATUSES
        and PanelAccount.objects.filter(service=service, exists_on_panel=True).exists()
    ):
        result.job = request_job(
            service=service,
            operation=ProvisioningJob.Operation.CHANGE_PACKAGE,
            now=now,
            actor=actor,
            key=f"edit_forms:{entry.pk}",
            reason="order form answers changed",
        )
    return result
