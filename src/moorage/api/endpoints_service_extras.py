"""REST API for the billing-side Client Functions of a service: Service Notes, Status Updates, Service
Auto Renewal and Service Auto Payment. Staff tokens with the services area; each endpoint finds the
service (404), then asks the product whether the function is enabled (403 `function_disabled`)."""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest
from ninja import Field, Schema
from ninja import Status as NinjaStatus

from moorage.api import schemas as s
from moorage.api.urls import StaffToken, api
from moorage.core import clock
from moorage.core.errors import NotFound
from moorage.servicefunctions.actions import MAX_NOTE, auto_payment_set, auto_renewal_set, service_note_add
from moorage.servicefunctions.models import ServiceNote
from moorage.servicefunctions.queries import auto_payment_on, renewal_state, service_updates
from moorage.services.models import Service

ERRORS = dict.fromkeys((400, 401, 403, 404, 409, 413, 422, 429), s.ErrorOut)
VIEW = StaffToken("services.view_service", area="services")
CHANGE = StaffToken("services.change_service", area="services")
ADD_NOTE = StaffToken("servicefunctions.add_servicenote", area="services")


class NoteOut(Schema):
    id: int
    body: str
    visible_to_client: bool
    author: str | None
    created_at: dt.datetime


class NoteIn(s.Input):
    body: s.Text(MAX_NOTE, min_length=1)
    visible_to_client: bool = False


class StatusUpdateOut(Schema):
    id: int
    title: str
    body: str
    severity: str
    starts_at: dt.datetime
    ends_at: dt.datetime | None
    current: bool


class AutoRenewalOut(Schema):
    on: bool
    can_change: bool
    refusal: str = Field("", description="Why it cannot be switched now, if so")
    ends_on: dt.date | None = Field(None, description="With renewal off: the last paid day")


class AutoPaymentOut(Schema):
    on: bool


class SwitchIn(s.Input):
    on: bool


def _service(service_id: int, code: str) -> Service:
    service = Service.objects.select_related("product").filter(pk=service_id).first()
    if service is None:
        raise NotFound(f"no service with id {service_id}", field="id")
    service.product.require_client_function(code)
    return service


def _note_out(note: ServiceNote) -> dict:
    return {
        "id": note.pk,
        "body": note.body,
        "visible_to_client": note.visible_to_client,
        "author": note.author.email if note.author is not None else None,
        "created_at": note.created_at,
    }


@api.get("/services/{service_id}/notes", response={200: list[NoteOut], **ERRORS}, tags=["services"], auth=VIEW)
def list_service_notes(request: HttpRequest, service_id: s.Id, visible_to_client: bool | None = None):  # noqa: ANN201
    """Service Notes: every note of the service (internal ones too), newest first."""
    service = _service(service_id, "service_notes")
    notes = ServiceNote.objects.filter(service=service).select_related("author").order_by("-created_at", "-id")
    if visible_to_client is not None:
        notes = notes.filter(visible_to_client=visible_to_client)
    return [_note_out(n) for n in notes[:500]]


@api.post("/services/{service_id}/notes", response={201: NoteOut, **ERRORS}, tags=["services"], auth=ADD_NOTE)
def create_service_note(request: HttpRequest, service_id: s.Id, payload: NoteIn):  # noqa: ANN201
    """Write a note on the service, visible to the client or internal (written to the service's log)."""
    service = _service(service_id, "service_notes")
    note = service_note_add(
        service_id=service.pk,
        body=payload.body,
        visible_to_client=payload.visible_to_client,
        now=clock.now(),
        actor=request.user,  # type: ignore[arg-type]
    )
    return NinjaStatus(201, _note_out(note))


@api.get(
    "/services/{service_id}/status-updates",
    response={200: list[StatusUpdateOut], **ERRORS},
    tags=["services"],
    auth=VIEW,
)
def list_service_status_updates(request: HttpRequest, service_id: s.Id, current: bool = True):  # noqa: ANN201
    """Status Updates that concern the service (its product or its server's group); current ones by default."""
    service = _service(service_id, "status_updates")
    now = clock.now()
    return [
        {
            "id": u.pk,
            "title": u.title,
            "body": u.body,
            "severity": u.severity,
            "starts_at": u.starts_at,
            "ends_at": u.ends_at,
            "current": u.is_current(now),
        }
        for u in service_updates(service, now=now, current_only=current)[:200]
    ]


def _renewal_out(service_id: int) -> dict:
    state = renewal_state(Service.objects.select_related("product").get(pk=service_id))
    return {"on": state.on, "can_change": state.can_change, "refusal": state.refusal, "ends_on": state.ends_on}


@api.get("/services/{service_id}/auto-renewal", response={200: AutoRenewalOut, **ERRORS}, tags=["services"], auth=VIEW)
def get_auto_renewal(request: HttpRequest, service_id: s.Id):  # noqa: ANN201
    return _renewal_out(_service(service_id, "auto_renewal").pk)


@api.put(
    "/services/{service_id}/auto-renewal", response={200: AutoRenewalOut, **ERRORS}, tags=["services"], auth=CHANGE
)
def set_auto_renewal(request: HttpRequest, service_id: s.Id, payload: SwitchIn):  # noqa: ANN201
    """Turn renewal off (an end-of-period cancellation request ends the service after its paid period)
    or back on (that request is withdrawn)."""
    service = _service(service_id, "auto_renewal")
    auto_renewal_set(service_id=service.pk, on=payload.on, now=clock.now(), actor=request.user)  # type: ignore[arg-type]
    return _renewal_out(service.pk)


@api.get("/services/{service_id}/auto-payment", response={200: AutoPaymentOut, **ERRORS}, tags=["services"], auth=VIEW)
def get_auto_payment(request: HttpRequest, service_id: s.Id):  # noqa: ANN201
    return {"on": auto_payment_on(_service(service_id, "auto_payment"))}


@api.put(
    "/services/{service_id}/auto-payment", response={200: AutoPaymentOut, **ERRORS}, tags=["services"], auth=CHANGE
)
def set_auto_payment(request: HttpRequest, service_id: s.Id, payload: SwitchIn):  # noqa: ANN201
    """Renewal invoices of the service are paid from the client's credit balance when issued."""
    service = _service(service_id, "auto_payment")
    auto_payment_set(service_id=service.pk, on=payload.on, now=clock.now(), actor=request.user)  # type: ignore[arg-type]
    return {"on": auto_payment_on(service)}
