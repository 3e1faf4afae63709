"""REST API v1 for the billing-side client functions of a service: Change Label, Change Ownership
(with staff's approve / reject), Logs and Manual Service Renew.

These are staff endpoints: the token owner's Django permissions and the token's scopes decide, as on
the staff screens. A product's Client Functions list is a client-area rule (what a client may do
themselves), so it is not checked here; staff may change any service they have the permission for.
New Direct Link is a client-area page only (a link for a signed-in client) and has no endpoint.
"""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest
from ninja import Query, Schema, Status
from pydantic import Field

from moorage.api import schemas as s
from moorage.api.endpoints import ERRORS, LIST_ERRORS, _get
from moorage.api.urls import StaffToken, api
from moorage.billing.manual_renew import service_manual_renew
from moorage.core import clock
from moorage.core.errors import NotFound
from moorage.provisioning.transfers import panel_password_after_transfer
from moorage.services import actions as services
from moorage.services.models import Service, ServiceTransfer
from moorage.services.queries import service_log

LOG_LIMIT_MAX = 200


class LabelIn(s.Input):
    label: s.Text(services.LABEL_MAX_LENGTH) = Field(description="Empty removes the label")


class LabelOut(Schema):
    id: int
    label: str


class OwnershipIn(s.Input):
    email: s.Text(254, min_length=3) = Field(description="The email address of the new owner's account")


class TransferOut(Schema):
    id: int
    service_id: int
    from_client_id: int
    to_client_id: int | None
    to_email: str
    status: str
    created_at: dt.datetime
    decided_at: dt.datetime | None
    note: str


class RejectIn(s.Input):
    note: s.Text(200) = ""


class LogEntryOut(Schema):
    at: dt.datetime
    kind: str
    what: str
    detail: str
    who: str


class LogPageOut(Schema):
    items: list[LogEntryOut]
    next_offset: int | None = Field(description="Pass as `offset` for the next (older) page; null at the end")


class LogQuery(Schema):
    limit: int = Field(50, ge=1, le=LOG_LIMIT_MAX)
    offset: int = Field(0, ge=0, le=10**9)


class RenewOut(Schema):
    invoice_id: int
    invoice_number: str
    created: bool = Field(description="False: an invoice already billed the next period and is returned")


def _service(service_id: int, function: str | None = None) -> Service:
    """The service (404), and when `function` is named, refused with 403 `function_disabled` unless its
    product enables that Client Function: the API follows the same enablement rules as the client area."""
    service = _get(Service.objects.select_related("product"), service_id, "service")
    if function is not None:
        service.product.require_client_function(function)
    return service


def _transfer_out(t: ServiceTransfer) -> dict:
    return {
        "id": t.pk,
        "service_id": t.service_id,
        "from_client_id": t.from_client_id,
        "to_client_id": t.to_client_id,
        "to_email": t.to_email,
        "status": t.status,
        "created_at": t.created_at,
        "decided_at": t.decided_at,
        "note": t.note,
    }


def _own_transfer(service_id: int, transfer_id: int) -> ServiceTransfer:
    transfer = ServiceTransfer.objects.filter(pk=transfer_id, service_id=service_id).first()
    if transfer is None:
        raise NotFound(f"no ownership transfer with id {transfer_id} for this service", field="transfer_id")
    return transfer


@api.post(
    "/services/{service_id}/label",
    response={200: LabelOut, **ERRORS},
    tags=["services"],
    auth=StaffToken("services.change_service", area="services"),
)
def set_service_label(request: HttpRequest, service_id: s.Id, payload: LabelIn):  # noqa: ANN201
    """Change Label: the text shown next to the service (at most 100 characters; empty removes it)."""
    _service(service_id, "change_label")
    service = services.service_set_label(
        service_id=service_id, label=payload.label, now=clock.now(), actor=request.user
    )
    return {"id": service.pk, "label": service.label}


@api.get(
    "/services/{service_id}/ownership",
    response={200: list[TransferOut], **ERRORS},
    tags=["services"],
    auth=StaffToken("services.view_service", area="services"),
)
def list_service_transfers(request: HttpRequest, service_id: s.Id):  # noqa: ANN201
    """Change Ownership requests of the service, newest first."""
    service = _service(service_id)
    return [_transfer_out(t) for t in service.transfers.order_by("-created_at", "-id")[:100]]


@api.post(
    "/services/{service_id}/ownership",
    response={201: TransferOut, **ERRORS},
    tags=["services"],
    auth=StaffToken("services.change_service", area="services"),
)
def transfer_service(request: HttpRequest, service_id: s.Id, payload: OwnershipIn):  # noqa: ANN201
    """Change Ownership by staff: the service moves at once to the active client with this email (404
    if there is none). Invoices already issued stay with the old owner; the panel account stays."""
    _service(service_id, "change_ownership")
    transfer = services.service_transfer_request(
        service_id=service_id, email=payload.email, now=clock.now(), actor=request.user
    )
    panel_password_after_transfer(service_id=service_id, now=clock.now(), actor=request.user)
    return Status(201, _transfer_out(transfer))


@api.post(
    "/services/{service_id}/ownership/{transfer_id}/approve",
    response={200: TransferOut, **ERRORS},
    tags=["services"],
    auth=StaffToken("services.change_service", area="services"),
)
def approve_service_transfer(request: HttpRequest, service_id: s.Id, transfer_id: s.Id):  # noqa: ANN201
    """Approve a client's pending Change Ownership request: the service moves now."""
    _service(service_id)
    _own_transfer(service_id, transfer_id)
    transfer = services.service_transfer_approve(transfer_id=transfer_id, now=clock.now(), actor=request.user)
    panel_password_after_transfer(service_id=service_id, now=clock.now(), actor=request.user)
    return _transfer_out(transfer)


@api.post(
    "/services/{service_id}/ownership/{transfer_id}/reject",
    response={200: TransferOut, **ERRORS},
    tags=["services"],
    auth=StaffToken("services.change_service", area="services"),
)
def reject_service_transfer(request: HttpRequest, service_id: s.Id, transfer_id: s.Id, payload: RejectIn):  # noqa: ANN201
    """Reject a client's pending Change Ownership request (the note is shown to the client)."""
    _service(service_id)
    _own_transfer(service_id, transfer_id)
    transfer = services.service_transfer_close(
        transfer_id=transfer_id,
        status=ServiceTransfer.Status.REJECTED,
        now=clock.now(),
        actor=request.user,
        note=payload.note,
    )
    return _transfer_out(transfer)


@api.get(
    "/services/{service_id}/logs",
    response={200: LogPageOut, **LIST_ERRORS, 404: s.ErrorOut},
    tags=["services"],
    auth=StaffToken("services.view_service", area="services"),
)
def service_logs(request: HttpRequest, service_id: s.Id, query: Query[LogQuery]):  # noqa: ANN201
    """Logs: the service's event log (audit entries, status changes, provisioning jobs), newest first."""
    service = _service(service_id, "logs")
    entries = service_log(service, for_client=False, viewer=request.user)  # type: ignore[arg-type]
    page = entries[query.offset : query.offset + query.limit]
    following = query.offset + query.limit
    return {
        "items": [e.__dict__ for e in page],
        "next_offset": following if following < len(entries) else None,
    }


@api.post(
    "/services/{service_id}/renew",
    response={200: RenewOut, 201: RenewOut, **ERRORS},
    tags=["services"],
    auth=StaffToken("services.change_service", "billing.add_invoice", area="services"),
)
def renew_service(request: HttpRequest, service_id: s.Id):  # noqa: ANN201
    """Manual Service Renew: the renewal invoice of the next period now (201), or the one already
    issued (200); never a second invoice for a period."""
    _service(service_id, "manual_renew")
    result = service_manual_renew(service_id=service_id, today=clock.today(), now=clock.now(), actor=request.user)
    body = {
        "invoice_id": result.invoice.pk,
        "invoice_number": result.invoice.display_number,
        "created": result.created,
    }
    return Status(201 if result.created else 200, body)
