"""Service use cases that change only billing's side (dates, status); remote work is provisioning's."""

from __future__ import annotations

import datetime as dt
import secrets

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from moorage.catalog.models import product_setting
from moorage.core.actions import audit
from moorage.core.clock import local_date
from moorage.core.errors import DomainError, NotFound
from moorage.core.models import User
from moorage.core.validators import text_problem
from moorage.customers.models import Client
from moorage.services import lifecycle
from moorage.services.dates import initial_dates
from moorage.services.locks import lock_row
from moorage.services.models import CancellationRequest, Service, ServiceTransfer

# Statuses that must follow the panel for a service with a panel account.
PANEL_STATUSES = (Service.Status.ACTIVE, Service.Status.SUSPENDED, Service.Status.TERMINATED)


def lock_service(service_id: int) -> Service:
    """Lock one service row (only it: not its product or client) for the rest of the transaction,
    through the money lock order (`services/locks.py`: services come first)."""
    service = lock_row(Service.objects.select_related("product", "client"), service_id)
    if service is None:
        raise NotFound(f"no service with id {service_id}", field="service")
    return service


def set_initial_dates(service: Service, *, paid_on: dt.date) -> None:
    """Inner step: fix start date, anchor and next due date when the first invoice is paid."""
    dates = initial_dates(
        cycle=service.cycle,
        order_date=local_date(service.created_at),
        paid_on=paid_on,
        adjust_initial_period=bool(product_setting(service.product, "adjust_initial_period")),
        full_month_billing=service.product.full_month_billing,
    )
    next_due = dates.next_due_date
    if service.product.is_postpaid and dates.anchor_date is not None:
        # The first period is unbilled: it is invoiced when it ends. It starts at the start date, also
        # with Full Month Billing, whose anchor is the 1st of the next month (a full price for it).
        next_due = dates.start_date
    service.start_date = dates.start_date
    service.anchor_date = dates.anchor_date
    service.anchor_day = dates.anchor_day
    service.next_due_date = next_due
    service.save(update_fields=["start_date", "anchor_date", "anchor_day", "next_due_date"])


def activate(service: Service, *, now: dt.datetime, actor: User | None = None, reason: str = "") -> None:
    """Inner step: pending → active (the dates must already be set)."""
    lifecycle.transition(service, Service.Status.ACTIVE, now=now, actor=actor, reason=reason)
    audit(actor=actor, action="service_activate", obj=service, now=now, message=reason)


@transaction.atomic(durable=True)
def service_set_status(
    *, service_id: int, status: str, now: dt.datetime, actor: User | None, reason: str = ""
) -> Service:
    """Change a service's status by hand (staff), through the lifecycle table.

    For services with a provisioning module, suspend/unsuspend/terminate go through provisioning
    jobs instead, so the panel and billing agree.
    """
    service = lock_service(service_id)
    if status not in Service.Status.values:
        raise DomainError(f"unknown status {status!r}", field="status")
    account = getattr(service, "panel_account", None)  # the reverse side; services does not import provisioning
    if account is not None and account.exists_on_panel and status in PANEL_STATUSES:
        raise DomainError(
            "this service has an account on a control panel: use Suspend, Unsuspend or Terminate, which change the "
            "panel first",
            field="status",
            code="use_panel_actions",
        )
    if status == Service.Status.ACTIVE and service.start_date is None:
        set_initial_dates(service, paid_on=local_date(now))
    lifecycle.transition(service, status, now=now, actor=actor, reason=reason)
    audit(actor=actor, action=f"service_{status}", obj=service, now=now, message=reason)
    return service


def advance_due_date(service: Service, *, period_start: dt.date) -> bool:
    """Inner step: the period starting at `period_start` is settled (paid, or invoiced with renew on
    issue): the next due date moves one anchored cycle on. Only when it still is that period, so a
    period advances the date exactly once. True if it moved."""
    if service.next_due_date != period_start or service.anchor_date is None:
        return False
    from moorage.core.cycles import next_due_after

    service.next_due_date = next_due_after(service.anchor_date, service.cycle, period_start, service.anchor_day)
    service.save(update_fields=["next_due_date"])
    return True


# --- Client Functions: Change Label, Change Ownership, New Direct Link ----------------------------

LABEL_MAX_LENGTH = Service._meta.get_field("label").max_length
# Statuses a service may be handed to another client in: not ended, not under a fraud hold.
TRANSFERABLE = (Service.Status.PENDING, Service.Status.ACTIVE, Service.Status.SUSPENDED)
TRANSFER_REQUESTED = _(
    "If this address belongs to a client, a request to move the service to them was made; staff will review it."
)


def _own_service(service_id: int, client_id: int | None) -> Service:
    """Lock the service; with `client_id` (a client acting) another client's service is "not found"."""
    service = lock_service(service_id)
    if client_id is not None and service.client_id != client_id:
        raise NotFound(f"no service with id {service_id}", field="service")
    return service


@transaction.atomic(durable=True)
def service_set_label(
    *, service_id: int, label: str, now: dt.datetime, actor: User | None, client_id: int | None = None
) -> Service:
    """Change Label: the text shown next to the service in lists and on its page."""
    label = (label or "").strip()
    if len(label) > LABEL_MAX_LENGTH:
        raise DomainError(f"a label has at most {LABEL_MAX_LENGTH} characters", field="label", code="too_long")
    if problem := text_problem(label):
        raise DomainError(f"the label {problem}", field="label", code="invalid_text")
    service = _own_service(service_id, client_id)
    if service.label == label:
        return service
    old = service.label
    service.label = label
    service.save(update_fields=["label"])
    audit(
        actor=actor,
        action="service_label",
        obj=service,
        now=now,
        message=f"Label changed to “{label}”" if label else "Label removed",
        data={"old": old, "new": label},
    )
    return service


def transfer_direct_allowed() -> bool:
    """Whether a client's Change Ownership moves the service at once (else staff approve it)."""
    return bool(getattr(settings, "MOORAGE_SERVICE_TRANSFER_DIRECT", False))


def _transfer_refusal(service: Service, to_client: Client | None) -> str | None:
    """Why the service cannot move now (to `to_client`, when known), or None. Reverse relations only:
    services does not import billing."""
    if service.status not in TRANSFERABLE:
        return f"a {service.get_status_display().lower()} service cannot change its owner"
    if service.invoice_lines.filter(invoice__status="unpaid").exists():
        return "the service has an unpaid invoice: pay or cancel it first, then change the owner"
    if service.cancellation_requests.filter(status=CancellationRequest.Status.PENDING).exists():
        return "the service has a pending cancellation request: withdraw it first"
    # An upgrade waiting for payment, or whose money is queued for the next renewal invoice or as credit,
    # belongs to the old owner's account: it settles first. (The reverse side; services imports no upgrades.)
    upgrades = getattr(service, "upgrade_requests", None)
    if upgrades is not None and upgrades.filter(status__in=("pending_payment", "queued")).exists():
        return "an upgrade or downgrade of the service is not settled yet: wait until it is"
    if to_client is not None:
        if to_client.pk == service.client_id:
            return "the service already belongs to this client"
        if to_client.status != Client.Status.ACTIVE:
            return "the new owner's account is not active"
    return None


def _active_client_by_email(email: str) -> Client | None:
    return (
        Client.objects.select_related("user")
        .filter(user__email__iexact=email, user__is_active=True, status=Client.Status.ACTIVE)
        .first()
    )


def _move(service: Service, transfer: ServiceTransfer, *, now: dt.datetime, actor: User | None) -> None:
    """Inner step: the service (locked) changes owner; the transfer is done."""
    old_client_id = service.client_id
    service.client = transfer.to_client
    service.save(update_fields=["client"])
    transfer.status = ServiceTransfer.Status.DONE
    transfer.decided_at = now
    transfer.decided_by = actor
    transfer.save(update_fields=["status", "decided_at", "decided_by"])
    audit(
        actor=actor,
        action="service_transfer",
        obj=service,
        now=now,
        message="Ownership changed to another client",
        data={"transfer": transfer.pk, "from_client": old_client_id, "to_client": transfer.to_client_id},
    )


@transaction.atomic(durable=True)
def service_transfer_request(
    *, service_id: int, email: str, now: dt.datetime, actor: User | None, client_id: int | None = None
) -> ServiceTransfer:
    """Change Ownership, asked by the client (`client_id`) or staff: move the service to the client
    with this email. With MOORAGE_SERVICE_TRANSFER_DIRECT (or staff asking) it moves at once when the
    email names an active client; otherwise (or for an unknown address) a pending request waits for
    staff, and the client is told the same thing either way, so the form does not tell which
    addresses are clients."""
    email = (email or "").strip()
    if not email or len(email) > 254 or "@" not in email or text_problem(email) or any(c.isspace() for c in email):
        raise DomainError("enter the new owner's email address", field="email", code="invalid_email")
    service = _own_service(service_id, client_id)
    target = _active_client_by_email(email)
    if target is not None and target.pk == service.client_id:
        raise DomainError("the service already belongs to this client", field="email", code="same_client")
    if problem := _transfer_refusal(service, None):
        raise DomainError(problem, field="email", code="not_transferable")
    staff_asks = client_id is None
    if staff_asks and target is None:
        raise NotFound("no active client has this email address", field="email", code="unknown_client")
    if service.transfers.filter(status=ServiceTransfer.Status.PENDING).exists():
        raise DomainError(
            "a change of owner is already waiting for staff: withdraw it first", field="email", code="transfer_pending"
        )
    transfer = ServiceTransfer.objects.create(
        service=service,
        from_client_id=service.client_id,
        to_client=target,
        to_email=email.lower(),
        requested_by=actor,
        created_at=now,
    )
    audit(
        actor=actor,
        action="service_transfer_request",
        obj=service,
        now=now,
        message="Change of owner requested",
        data={"transfer": transfer.pk, "to_email": transfer.to_email},
    )
    if target is not None and (staff_asks or transfer_direct_allowed()):
        _move(service, transfer, now=now, actor=actor)
    return transfer


@transaction.atomic(durable=True)
def service_transfer_approve(*, transfer_id: int, now: dt.datetime, actor: User | None) -> ServiceTransfer:
    """Staff approve a pending Change Ownership: checked again now, then the service moves."""
    row = ServiceTransfer.objects.filter(pk=transfer_id).values_list("service_id", flat=True).first()
    if row is None:
        raise NotFound(f"no ownership transfer with id {transfer_id}", field="transfer")
    service = lock_service(row)  # the service first (the lock order), then its transfer request
    transfer = lock_row(ServiceTransfer.objects.select_related("to_client"), transfer_id)
    if transfer is None:  # deleted only with its service, which is locked above: never, but say so
        raise NotFound(f"no ownership transfer with id {transfer_id}", field="transfer")
    if transfer.status != ServiceTransfer.Status.PENDING:
        raise DomainError(f"this request is already {transfer.get_status_display().lower()}", code="not_pending")
    if transfer.from_client_id != service.client_id:
        raise DomainError("the service changed owner since this request was made", code="owner_changed")
    # The account may have been opened since the request: look the address up again.
    transfer.to_client = transfer.to_client or _active_client_by_email(transfer.to_email)
    if transfer.to_client is None:
        raise DomainError("no active client has this email address: reject the request", code="unknown_client")
    if problem := _transfer_refusal(service, transfer.to_client):
        raise DomainError(problem, code="not_transferable")
    transfer.save(update_fields=["to_client"])
    _move(service, transfer, now=now, actor=actor)
    return transfer


@transaction.atomic(durable=True)
def service_transfer_close(
    *,
    transfer_id: int,
    status: str,
    now: dt.datetime,
    actor: User | None,
    note: str = "",
    client_id: int | None = None,
) -> ServiceTransfer:
    """A pending Change Ownership ends without a move: staff reject it, or the client withdraws it."""
    if status not in (ServiceTransfer.Status.REJECTED, ServiceTransfer.Status.WITHDRAWN):
        raise DomainError("a request is rejected or withdrawn", field="status")
    row = ServiceTransfer.objects.filter(pk=transfer_id).values_list("service_id", flat=True).first()
    if row is None:
        raise NotFound(f"no ownership transfer with id {transfer_id}", field="transfer")
    service = _own_service(row, client_id)
    transfer = lock_row(ServiceTransfer, transfer_id)
    if transfer is None:  # deleted only with its service, which is locked above: never, but say so
        raise NotFound(f"no ownership transfer with id {transfer_id}", field="transfer")
    if client_id is not None and transfer.from_client_id != client_id:
        raise NotFound(f"no ownership transfer with id {transfer_id}", field="transfer")
    if transfer.status != ServiceTransfer.Status.PENDING:
        raise DomainError(f"this request is already {transfer.get_status_display().lower()}", code="not_pending")
    note = (note or "").strip()[:200]
    if problem := text_problem(note):
        raise DomainError(f"the note {problem}", field="note", code="invalid_text")
    transfer.status = status
    transfer.decided_at = now
    transfer.decided_by = actor
    transfer.note = note
    transfer.save(update_fields=["status", "decided_at", "decided_by", "note"])
    audit(
        actor=actor,
        action=f"service_transfer_{status}",
        obj=service,
        now=now,
        message=f"Change of owner {transfer.get_status_display().lower()}",
        data={"transfer": transfer.pk},
    )
    return transfer


@transaction.atomic(durable=True)
def service_direct_link(
    *, service_id: int, now: dt.datetime, actor: User | None, rotate: bool = False, client_id: int | None = None
) -> str:
    """New Direct Link: the service's link token, made on first use; `rotate` replaces it (the old
    link stops working at once)."""
    service = _own_service(service_id, client_id)
    if service.direct_link_token and not rotate:
        return service.direct_link_token
    created = not service.direct_link_token
    service.direct_link_token = secrets.token_urlsafe(32)
    service.save(update_fields=["direct_link_token"])
    audit(
        actor=actor,
        action="service_direct_link",
        obj=service,
        now=now,
        message="Direct link created" if created else "Direct link renewed; the old link no longer works",
    )
    return service.direct_link_token
