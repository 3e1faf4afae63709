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

from moorage.billing.actions import LineSpec, add_line, cancel_invoice, issue_invoice, lock_invoice
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
from moorage.orderforms.models import FormField, FormFieldOption, PendingFormEdit, ServiceFormAnswer
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
    price_change: Decimal = ZERO  # per cycle, from now on (or from when `pending` is applied)
    # Set when the change waits for `invoice` to be paid: nothing of the service changed yet.
    pending: PendingFormEdit | None = None


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


def _live_component(service: Service, f: FormField) -> ServiceComponent | None:
    return (
        ServiceComponent.objects.filter(service=service, source=source_of(f))
        .exclude(status=ServiceComponent.Status.ENDED)
        .first()
    )


def _new_recurring(service: Service, f: FormField, value: str) -> tuple[Decimal, dict]:
    _, recurring, limits = priced(f, value)
    return (ZERO if service.cycle == Cycle.ONE_TIME else recurring), limits


def _set_component(
    service: Service, f: FormField, value: str, *, now: dt.datetime
) -> tuple[Decimal, Decimal, dict, dict]:
    """Make the field's ServiceComponent match the answer; (old recurring, new recurring, old limits, new limits)."""
    recurring, limits = _new_recurring(service, f, value)
    live = _live_component(service, f)
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


def _close_stale(service: Service, *, now: dt.datetime) -> None:
    """Inner step (service locked): a pending change whose invoice was cancelled (by staff, a
    cancellation, the automation) is cancelled too; nothing of it was applied."""
    stale = PendingFormEdit.objects.filter(service=service, status=PendingFormEdit.Status.PENDING).exclude(
        invoice__status=Invoice.Status.UNPAID
    )
    for pending in stale.select_related("invoice"):
        if pending.invoice is not None and pending.invoice.status == Invoice.Status.PAID:
            continue  # paid: the payment flow applies it
        _close(pending, now=now, note="the invoice was cancelled")


def _close(pending: PendingFormEdit, *, now: dt.datetime, note: str) -> None:
    pending.status, pending.cancelled_at, pending.note = PendingFormEdit.Status.CANCELLED, now, note[:300]
    pending.save(update_fields=["status", "cancelled_at", "note"])


def pending_form_edit(service: Service) -> PendingFormEdit | None:
    """The service's change waiting for payment, if any (its invoice still unpaid)."""
    return (
        PendingFormEdit.objects.filter(
            service=service, status=PendingFormEdit.Status.PENDING, invoice__status=Invoice.Status.UNPAID
        )
        .select_related("invoice")
        .first()
    )


def _checked(
    service: Service, answers: Mapping[str, str], fields: dict[str, FormField], *, by_staff: bool
) -> dict[str, str]:
    """The submitted answers that differ from the stored ones, each checked against its field."""
    stored = {a.code: a.value for a in ServiceFormAnswer.objects.filter(service=service)}
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
        if stored.get(code) != value:
            new_values[code] = value
    return new_values


def _billed_after(service: Service, day: dt.date) -> list[tuple[dt.date, dt.date]]:
    """The service's periods starting after `day` already invoiced (not cancelled): (first, last day)."""
    rows = (
        InvoiceLine.objects.filter(
            service=service, kind=InvoiceLine.Kind.SERVICE, period_start__gt=day, period_end__isnull=False
        )
        .exclude(invoice__status=Invoice.Status.CANCELLED)
        .values_list("period_start", "period_end")
        .distinct()
        .order_by("period_start")
    )
    return list(rows)


def _difference_line(
    service: Service, f: FormField, value: str, amount: Decimal, start: dt.date, end: dt.date
) -> LineSpec:
    """The new price per cycle minus the old one, for a period already invoiced at the old price."""
    return LineSpec(
        kind=InvoiceLine.Kind.OPTION,
        description=(describe(f, value) + " " + gettext("(price change)"))[:300],
        amount=amount,
        service=service,
        cycle=service.cycle,
        period_start=start,
        period_end=end,
    )


def _edit_lines(
    service: Service, fields: dict[str, FormField], new_values: dict[str, str], *, now: dt.datetime
) -> tuple[list[LineSpec], Decimal, dt.date | None]:
    """The invoice lines the change needs (one-time prices; when the price per cycle rises, the
    pro-rated rest of the running period and the whole difference for later periods already invoiced),
    the change of the price per cycle, and the last day those lines cover. Nothing is written."""
    lines: list[LineSpec] = []
    change = ZERO
    period = _current_period(service) if service.status in EDITABLE_STATUSES else None
    later = _billed_after(service, period[1] - dt.timedelta(days=1)) if period else []
    today = local_date(now)
    unit = product_setting(service.product, "upgrade_proration")
    for code, value in new_values.items():
        f = fields[code]
        live = _live_component(service, f)
        old_recurring = live.recurring_amount if live else ZERO
        recurring, _ = _new_recurring(service, f, value)
        change += recurring - old_recurring
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
            for first, last in later:
                lines.append(_difference_line(service, f, value, recurring - old_recurring, first, last))
    # A lower price is never credited back: it applies from the next renewal, and so do the pro-rata
    # lines of a change that costs less in total.
    prorata_total = sum((line.amount for line in lines if line.period_start is not None), ZERO)
    if prorata_total < 0:
        lines = [line for line in lines if line.period_start is None]
    covered = None
    if period and unit:
        covered = max([period[1] - dt.timedelta(days=1), *(last for _, last in later)])
    return lines, change, covered


def _apply(
    service: Service,
    fields: dict[str, FormField],
    new_values: dict[str, str],
    *,
    now: dt.datetime,
    actor: User | None,
    key: str,
) -> tuple[Decimal, ProvisioningJob | None]:
    """Inner step (service locked): write the answers, their components, and queue the panel's
    change-package job when limits moved. Returns the change of the price per cycle and the job."""
    stored = {a.code: a for a in ServiceFormAnswer.objects.filter(service=service)}
    limits_changed = False
    change = ZERO
    for code, value in new_values.items():
        f = fields[code]
        row = stored.get(code) or ServiceFormAnswer(service=service, field=f, code=code)
        row.label, row.value, row.updated_at, row.field = f.label, value, now, f
        row.save()
        old_recurring, recurring, old_limits, limits = _set_component(service, f, value, now=now)
        limits_changed = limits_changed or old_limits != limits
        change += recurring - old_recurring
    job = None
    if (
        limits_changed
        and service.product.module
        and service.status in EDITABLE_STATUSES
        and PanelAccount.objects.filter(service=service, exists_on_panel=True).exists()
    ):
        job = request_job(
            service=service,
            operation=ProvisioningJob.Operation.CHANGE_PACKAGE,
            now=now,
            actor=actor,
            key=key,
            reason="order form answers changed",
        )
    return change, job


def _labels(fields: dict[str, FormField], codes: list[str]) -> str:
    return ", ".join(fields[c].label for c in codes)


@transaction.atomic(durable=True)
def service_form_edit(
    *, service_id: int, answers: Mapping[str, str], now: dt.datetime, actor: User | None, by_staff: bool = False
) -> FormEdit:
    """Edit Forms: change the answers of a service's order form.

    A client changes only the fields staff marked client-editable; staff any but a hidden one. A
    change that needs an invoice (a higher price per cycle on a product that charges Upgrade
    pro-rata: the rest of the running period; a new answer's one-time price) is stored as a
    `PendingFormEdit` with its upgrade invoice and applies when that invoice is paid
    (`apply_paid_form_edits`); nothing of the service changes before. A change that needs no invoice
    applies at once: a new price per cycle is billed from the next renewal, and a change of panel
    limits queues a change-package job. While a change waits for payment, another one is refused
    (the same one submitted again returns it). Submitting the same answers again changes nothing.
    """
    service = lock_service(service_id)
    if not by_staff and service.status not in EDITABLE_STATUSES:
        raise DomainError(
            gettext("The answers can be changed while the service is active."), field="service", code="not_editable"
        )
    _close_stale(service, now=now)
    fields = {f.code: f for f in form_fields(service.product_id)}
    new_values = _checked(service, answers, fields, by_staff=by_staff)
    result = FormEdit()
    if not new_values:
        return result
    waiting = pending_form_edit(service)
    if waiting is not None:
        if waiting.answers == new_values:  # the same change again (a second click, a retry)
            result.pending, result.invoice = waiting, waiting.invoice
            return result
        number = waiting.invoice.display_number if waiting.invoice else ""
        raise DomainError(
            gettext(
                "A change of these answers waits for payment of invoice #%(number)s. Pay it, or cancel "
                "that change, before making another one."
            )
            % {"number": number},
            field="form",
            code="edit_pending",
        )
    lines, change, covered = _edit_lines(service, fields, new_values, now=now)
    result.changed, result.price_change = list(new_values), change
    if lines:
        today = local_date(now)
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
        try:
            with transaction.atomic():
                result.pending = PendingFormEdit.objects.create(
                    service=service,
                    product_id=service.product_id,
                    answers=new_values,
                    invoice=result.invoice,
                    by_staff=by_staff,
                    covered_until=covered,
                    created_at=now,
                )
        except IntegrityError:  # cannot happen under the service lock; said clearly if it ever does
            raise Conflict(
                gettext("another change of the answers is waiting for payment"), field="form", code="edit_pending"
            ) from None
        audit(
            actor=actor,
            action="service_form_edit_pending",
            obj=service,
            now=now,
            message=gettext("Order form change waits for invoice %(number)s: %(fields)s")
            % {"number": result.invoice.display_number, "fields": _labels(fields, result.changed)},
            data={"changed": new_values, "invoice": result.invoice.number, "pending": result.pending.pk},
        )
        return result
    entry = audit(
        actor=actor,
        action="service_form_edit",
        obj=service,
        now=now,
        message=gettext("Order form answers changed: %(fields)s") % {"fields": _labels(fields, result.changed)},
        data={"changed": new_values, "invoice": None},
    )
    _, result.job = _apply(service, fields, new_values, now=now, actor=actor, key=f"edit_forms:{entry.pk}")
    return result


def apply_paid_form_edits(invoice: Invoice, *, now: dt.datetime, actor: User | None) -> None:
    """Inner step of the payment-received flow (services and the invoice locked by it): the Edit
    Forms change waiting for this invoice applies: answers, components (billed from the next renewal
    on) and the panel's limits (a change-package job). Applied once: a second call finds it applied.

    If the service can no longer take it (ended, moved to another product, a field removed or its
    answer no longer valid) the change is cancelled with a note; the money stays paid (staff decide)."""
    waiting = PendingFormEdit.objects.filter(invoice=invoice, status=PendingFormEdit.Status.PENDING)
    for pending_id, service_id in list(waiting.values_list("pk", "service_id")):
        service = lock_service(service_id)  # held already: the payment flow locked it
        pending = PendingFormEdit.objects.get(pk=pending_id)
        if pending.status != PendingFormEdit.Status.PENDING:
            continue
        fields = {f.code: f for f in form_fields(service.product_id)}
        problem = ""
        if service.status not in EDITABLE_STATUSES:
            problem = f"the service is {service.get_status_display().lower()}"
        elif service.product_id != pending.product_id:
            problem = "the service moved to another product"
        else:
            for code, value in pending.answers.items():
                f = fields.get(code)
                if f is None or f.type == FormField.Type.HIDDEN:
                    problem = f"the field {code} is no longer on the order form"
                    break
                try:
                    clean_value(f, value, where=f"form.{code}")
                except DomainError as exc:
                    problem = f"{code}: {exc.message}"
                    break
        if problem:
            _close(pending, now=now, note=f"paid, not applied: {problem}")
            audit(
                actor=actor,
                action="service_form_edit_void",
                obj=service,
                now=now,
                message=f"Order form change paid by invoice {invoice.display_number} not applied: {problem}"[:500],
                data={"pending": pending.pk},
            )
            continue
        values = {c: clean_value(fields[c], v, where=f"form.{c}") for c, v in pending.answers.items()}
        _bill_periods_issued_meanwhile(service, pending, fields, values, now=now, actor=actor)
        pending.status, pending.applied_at = PendingFormEdit.Status.APPLIED, now
        pending.save(update_fields=["status", "applied_at"])
        entry = audit(
            actor=actor,
            action="service_form_edit",
            obj=service,
            now=now,
            message=gettext("Order form answers changed: %(fields)s") % {"fields": _labels(fields, list(values))},
            data={"changed": values, "invoice": invoice.number, "pending": pending.pk},
        )
        _apply(service, fields, values, now=now, actor=actor, key=f"edit_forms:{entry.pk}")


def _bill_periods_issued_meanwhile(
    service: Service,
    pending: PendingFormEdit,
    fields: dict[str, FormField],
    values: dict[str, str],
    *,
    now: dt.datetime,
    actor: User | None,
) -> None:
    """Inner step (service and its unpaid invoices locked by the payment flow): periods invoiced
    after the change was made, at the old price, get the difference: on their invoice while it is
    unpaid, else on a new upgrade invoice. Nothing when the price per cycle does not rise."""
    if pending.covered_until is None:
        return
    rises = []
    for code, value in values.items():
        f = fields[code]
        live = _live_component(service, f)
        diff = _new_recurring(service, f, value)[0] - (live.recurring_amount if live else ZERO)
        rises.append((f, value, diff))
    if sum((d for _, _, d in rises), ZERO) <= 0:
        return
    extra: list[LineSpec] = []
    for first, last in _billed_after(service, pending.covered_until):
        specs = [_difference_line(service, f, value, diff, first, last) for f, value, diff in rises if diff]
        unpaid = (
            InvoiceLine.objects.filter(service=service, kind=InvoiceLine.Kind.SERVICE, period_start=first)
            .filter(invoice__status=Invoice.Status.UNPAID)
            .values_list("invoice_id", flat=True)
            .first()
        )
        # An unpaid invoice of the service is held already (the payment flow locked them all).
        invoice = lock_invoice(unpaid) if unpaid is not None else None
        if invoice is not None and invoice.status == Invoice.Status.UNPAID:
            for spec in specs:
                add_line(invoice=invoice, spec=spec, now=now, actor=actor)
        else:
            extra.extend(specs)
    if extra:
        today = local_date(now)
        days = int(product_setting(service.product, "first_invoice_due_days", BillingDefaults.load()))
        issue_invoice(
            client=service.client,
            kind=Invoice.Kind.UPGRADE,
            lines=extra,
            issue_date=today,
            due_date=first_invoice_due(today, days),
            now=now,
            actor=actor,
        )


@transaction.atomic(durable=True)
def service_form_edit_cancel(
    *, service_id: int, now: dt.datetime, actor: User | None, client_id: int | None = None
) -> PendingFormEdit:
    """Withdraw the Edit Forms change waiting for payment (client: `client_id` set, only their own
    service; or staff): it is cancelled with its unpaid invoice; the answers stay as they are."""
    found = Service.objects.filter(pk=service_id)
    if client_id is not None:
        found = found.filter(client_id=client_id)
    if not found.exists():
        raise NotFound(gettext("no such service"), field="service")
    service = lock_service(service_id)
    _close_stale(service, now=now)
    pending = pending_form_edit(service)
    if pending is None:
        raise DomainError(gettext("No change of the answers is waiting for payment."), field="form", code="not_pending")
    if pending.invoice_id:
        invoice = lock_invoice(pending.invoice_id)
        if invoice.status == Invoice.Status.UNPAID:
            cancel_invoice(
                invoice=invoice, now=now, cancelled_on=local_date(now), actor=actor, reason="form change withdrawn"
            )
    _close(pending, now=now, note="withdrawn")
    audit(
        actor=actor,
        action="service_form_edit_cancel",
        obj=service,
        now=now,
        message=gettext("Order form change waiting for payment withdrawn"),
        data={"pending": pending.pk},
    )
    return pending


def close_cancelled_form_edits(*, now: dt.datetime) -> int:
    """Housekeeping (daily, any number of times): pending changes whose invoice was cancelled (or
    deleted) are cancelled, each service in its own transaction. Returns how many were closed."""
    stale = (
        PendingFormEdit.objects.filter(status=PendingFormEdit.Status.PENDING)
        .exclude(invoice__status__in=[Invoice.Status.UNPAID, Invoice.Status.PAID])
        .values_list("service_id", flat=True)
        .distinct()
    )
    closed = 0
    for service_id in sorted(set(stale)):
        with transaction.atomic(durable=True):
            service = lock_service(service_id)
            before = PendingFormEdit.objects.filter(service=service, status=PendingFormEdit.Status.PENDING).count()
            _close_stale(service, now=now)
            closed += (
                before - PendingFormEdit.objects.filter(service=service, status=PendingFormEdit.Status.PENDING).count()
            )
    return closed
