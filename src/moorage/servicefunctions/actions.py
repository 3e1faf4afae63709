"""The billing-side Client Functions' use cases: the client's switches (Service Auto Renewal, Service
Auto Payment), staff notes on a service, product downloads, and paying a renewal from credit at issue."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from decimal import Decimal

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from moorage.billing.actions import apply_credit
from moorage.billing.models import Invoice
from moorage.catalog.models import Product
from moorage.core.actions import audit
from moorage.core.errors import Conflict, DomainError, NotFound
from moorage.core.models import User
from moorage.payments.actions import after_invoice_paid, lock_for_payment
from moorage.payments.autopay import auto_charge_queue
from moorage.servicefunctions.models import ProductDownload, ServiceNote, ServiceOptions
from moorage.servicefunctions.queries import renewal_state
from moorage.services.actions import lock_service
from moorage.services.locks import lock_row
from moorage.services.models import CancellationRequest, Service

RENEWAL_OFF_REASON = "Service Auto Renewal turned off by the client: the service ends at the end of the paid period."
MAX_NOTE = 5000


def _client_service(service_id: int, client_id: int | None, code: str) -> Service:
    """Lock the service; with `client_id` (the client's own face) another client's is not found.
    The product must enable the function `code` for every face."""
    if client_id is not None and not Service.objects.filter(pk=service_id, client_id=client_id).exists():
        raise NotFound(_("no service with id %(service_id)s") % {"service_id": service_id}, field="service")
    service = lock_service(service_id)
    if client_id is not None and service.client_id != client_id:  # moved meanwhile (Change Ownership)
        raise NotFound(_("no service with id %(service_id)s") % {"service_id": service_id}, field="service")
    service.product.require_client_function(code)
    return service


def _options(service: Service, now: dt.datetime) -> ServiceOptions:
    """The service's options row (created on first use); the caller holds the service lock."""
    options, _created = ServiceOptions.objects.get_or_create(service=service, defaults={"updated_at": now})
    return options


@transaction.atomic(durable=True)
def auto_renewal_set(
    *, service_id: int, on: bool, now: dt.datetime, actor: User | None, client_id: int | None = None
) -> bool:
    """Service Auto Renewal. Off: no more renewal invoices, and an end-of-period cancellation request
    ends the service when its paid period ends (automation step 9). On again before then: that
    request is withdrawn and renewal resumes. Returns whether anything changed."""
    service = _client_service(service_id, client_id, "auto_renewal")
    state = renewal_state(service)
    if on == state.on:
        return False
    if not state.can_change:
        raise DomainError(state.refusal, field="auto_renewal", code="auto_renewal_not_allowed")
    options = _options(service, now)
    if on:
        request = lock_row(CancellationRequest, options.renewal_off_request_id)
        if request is not None and request.status == CancellationRequest.Status.PENDING:
            request.status = CancellationRequest.Status.WITHDRAWN
            request.save(update_fields=["status"])
            audit(actor=actor, action="cancellation_withdraw", obj=request, now=now, message="auto renewal on")
        options.renewal_off_request = None
        service.auto_renew = True
        message = "Auto renewal turned on: the service renews as usual."
    else:
        try:
            with transaction.atomic():
                request = CancellationRequest.objects.create(
                    service=service,
                    type=CancellationRequest.Type.END_OF_PERIOD,
                    reason=RENEWAL_OFF_REASON,
                    requested_by=actor if actor is not None and actor.pk else None,
                    created_at=now,
                )
        except IntegrityError as exc:  # a cancellation request is already pending (one-pending key)
            message = "a cancellation request is pending; withdraw it first"
            raise Conflict(message, field="auto_renewal", code="cancellation_pending") from exc
        options.renewal_off_request = request
        service.auto_renew = False
        ends = service.expiry_date.isoformat() if service.expiry_date else "the end of the paid period"
        message = f"Auto renewal turned off: no renewal invoice; the service ends after {ends}."
    options.updated_at = now
    options.save(update_fields=["renewal_off_request", "updated_at"])
    service.save(update_fields=["auto_renew"])
    audit(actor=actor, action="auto_renewal_on" if on else "auto_renewal_off", obj=service, now=now, message=message)
    return True


@transaction.atomic(durable=True)
def auto_payment_set(
    *, service_id: int, on: bool, now: dt.datetime, actor: User | None, client_id: int | None = None
) -> bool:
    """Service Auto Payment: renewal invoices of the service are paid from the client's credit balance
    when they are issued. Returns whether anything changed."""
    service = _client_service(service_id, client_id, "auto_payment")
    if on and (service.cycle == "one_time" or service.next_due_date is None):
        raise DomainError(_("this service has no renewal invoices to pay"), field="auto_payment", code="not_recurring")
    options = _options(service, now)
    if options.auto_payment == on:
        return False
    options.auto_payment = on
    options.updated_at = now
    options.save(update_fields=["auto_payment", "updated_at"])
    message = (
        "Auto payment turned on: renewal invoices are paid from the credit balance when issued."
        if on
        else "Auto payment turned off."
    )
    audit(actor=actor, action="auto_payment_on" if on else "auto_payment_off", obj=service, now=now, message=message)
    return True


def autopay_renewals(*, service: Service, invoices: list[Invoice], now: dt.datetime, today: dt.date) -> Decimal:
    """Inner step of the renewal run (the service row locked by the caller, no client or invoice row
    yet): with Service Auto Payment on, the client's credit pays the renewal invoices just issued,
    oldest first. Runs once per invoice because an invoice is issued once per period (unique key);
    a paid invoice is skipped. What credit leaves unpaid is charged on the client's saved card, once
    per invoice, by a task after the commit (`payments.online.auto_charge_queue`). Returns the credit used."""
    if not invoices or not ServiceOptions.objects.filter(service=service, auto_payment=True).exists():
        return Decimal("0.00")
    used = Decimal("0.00")
    locked = lock_for_payment([i.pk for i in invoices])  # the money lock order: services → changes → invoices
    ordered = sorted(locked, key=lambda i: (i.due_date, i.number))
    for invoice in ordered:
        if invoice.status != Invoice.Status.UNPAID:
            continue
        amount = apply_credit(invoice=invoice, now=now, paid_on=today)  # then the client row
        if amount <= 0:
            break
        used += amount
        audit(
            actor=None,
            action="auto_payment",
            obj=service,
            now=now,
            message=f"{amount} of credit applied to renewal invoice {invoice.display_number} (Service Auto Payment).",
        )
        if invoice.status == Invoice.Status.PAID:
            after_invoice_paid(invoice, now=now, actor=None)
    for invoice in ordered:
        auto_charge_queue(invoice=invoice, now=now)
    return used


@transaction.atomic(durable=True)
def service_note_add(
    *, service_id: int, body: str, visible_to_client: bool, now: dt.datetime, actor: User
) -> ServiceNote:
    """Staff write a note on a service, visible to the client or internal."""
    service = lock_service(service_id)
    body = (body or "").strip()
    if not body:
        raise DomainError(_("write the note"), field="body", code="required")
    if len(body) > MAX_NOTE:
        raise DomainError(_("a note is at most %(MAX_NOTE)s characters") % {"MAX_NOTE": MAX_NOTE}, field="body")
    note = ServiceNote.objects.create(
        service=service, body=body, visible_to_client=visible_to_client, author=actor, created_at=now
    )
    audit(
        actor=actor,
        action="service_note_add",
        obj=service,
        now=now,
        message="Staff note added" + (" (visible to the client)." if visible_to_client else " (internal)."),
    )
    return note


@transaction.atomic(durable=True)
def service_note_delete(*, note_id: int, now: dt.datetime, actor: User, service_id: int | None = None) -> None:
    note = ServiceNote.objects.filter(pk=note_id).first()
    if note is None or (service_id is not None and note.service_id != service_id):
        raise NotFound(_("no note with id %(note_id)s") % {"note_id": note_id}, field="note")
    service = lock_service(note.service_id)
    note.delete()
    audit(actor=actor, action="service_note_delete", obj=service, now=now, message="Staff note deleted.")


def max_download_bytes() -> int:
    return int(getattr(settings, "MOORAGE_DOWNLOAD_MAX_MB", 100)) * 1024 * 1024


_UNSAFE = re.compile(r"[^A-Za-z0-9._ ()+-]+")


def safe_filename(name: str) -> str:
    """A file name fit for Content-Disposition and every file system: the last path part only, ASCII
    letters, digits and a few marks, no leading dots, at most 150 characters; "download" if nothing
    is left."""
    name = unicodedata.normalize("NFKD", name or "").encode("ascii", "ignore").decode()
    name = re.split(r"[\\/]", name)[-1]
    name = _UNSAFE.sub("_", name).strip(" ._")
    if len(name) > 150:
        stem, dot, ext = name.rpartition(".")
        name = (stem[: 150 - len(ext) - 1] + "." + ext) if dot and len(ext) <= 10 else name[:150]
    return name or "download"


@transaction.atomic(durable=True)
def product_download_add(
    *, product_id: int, title: str, upload: UploadedFile, now: dt.datetime, actor: User, description: str = ""
) -> ProductDownload:
    """Staff attach a file to a product (Downloads). The stored name is random; the client's browser
    gets the sanitised original name."""
    product = Product.objects.filter(pk=product_id).first()
    if product is None:
        raise NotFound(_("no product with id %(product_id)s") % {"product_id": product_id}, field="product")
    if upload.size is None or upload.size > max_download_bytes():
        raise DomainError(
            _("the file is larger than the limit of %(max_download_bytes)s MB")
            % {"max_download_bytes": max_download_bytes() // (1024 * 1024)},
            field="file",
        )
    title = (title or "").strip() or safe_filename(upload.name or "")
    download = ProductDownload(
        product=product,
        title=title[:200],
        description=description,
        filename=safe_filename(upload.name or ""),
        size=upload.size,
        uploaded_by=actor,
        uploaded_at=now,
    )
    download.file.save("upload", upload, save=False)
    download.save()
    audit(actor=actor, action="product_download_add", obj=product, now=now, message=download.filename)
    return download
