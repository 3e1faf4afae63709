"""The service's event log (the "Logs" client function and the staff service page): audit entries
whose object is the service, its status changes and its provisioning jobs, newest first."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils.translation import gettext, gettext_noop

from moorage.core.models import AuditEntry, User
from moorage.services.models import Service, ServiceComponent, ServiceTransfer

# What the client reads for an action; the audit message is shown to the client only for these
# (written by Moorage for the client's eyes), never for staff notes or system details.
CLIENT_TEXT: dict[str, str] = {
    "service_activate": gettext_noop("Service activated"),
    "service_label": gettext_noop("Label changed"),
    "service_transfer": gettext_noop("Owner changed"),
    "service_transfer_request": gettext_noop("Change of owner requested"),
    "service_transfer_rejected": gettext_noop("Change of owner rejected"),
    "service_transfer_withdrawn": gettext_noop("Change of owner withdrawn"),
    "service_direct_link": gettext_noop("Direct link changed"),
    "service_manual_renew": gettext_noop("Renewal invoice requested"),
    "provision_create": gettext_noop("Control panel account requested"),
    "provision_suspend": gettext_noop("Suspension requested"),
    "provision_unsuspend": gettext_noop("Unsuspension requested"),
    "provision_terminate": gettext_noop("Termination requested"),
    "provision_change_package": gettext_noop("Package change requested"),
    "provision_change_password": gettext_noop("New control panel password requested"),
}
CLIENT_MESSAGES = {"service_label", "service_direct_link", "service_manual_renew"}


@dataclass(frozen=True)
class LogEntry:
    at: dt.datetime
    kind: str  # "event", "status" or "job"
    what: str
    detail: str
    who: str


def _who(actor: User | None, *, viewer: User | None, for_client: bool) -> str:
    if actor is None:
        return gettext("System")
    if for_client:
        if viewer is not None and actor.pk == viewer.pk:
            return gettext("You")
        return gettext("Staff") if actor.is_staff else gettext("Client")
    return f"{actor.email}{' (staff)' if actor.is_staff else ''}"


def client_log_start(service: Service) -> dt.datetime | None:
    """Since when the current owner may read the log: the last transfer to them (None: from the start),
    so a new owner never reads the previous owner's history."""
    last = (
        ServiceTransfer.objects.filter(
            service=service, status=ServiceTransfer.Status.DONE, to_client_id=service.client_id
        )
        .order_by("-decided_at", "-id")
        .values_list("decided_at", flat=True)
        .first()
    )
    return last


def service_log(service: Service, *, for_client: bool, viewer: User | None = None) -> list[LogEntry]:
    """The service's events, newest first. For the client: plain words, actors as You / Staff / System,
    no staff messages, no panel errors, nothing from before the service became theirs."""
    since = client_log_start(service) if for_client else None
    audits = AuditEntry.objects.filter(object_type=Service._meta.label_lower, object_id=str(service.pk)).select_related(
        "actor"
    )
    changes = service.status_changes.select_related("actor")
    jobs = service.provisioning_jobs.select_related("requested_by")  # reverse side: services imports no provisioning
    if since is not None:
        audits = audits.filter(created_at__gte=since)
        changes = changes.filter(created_at__gte=since)
        jobs = jobs.filter(created_at__gte=since)
    entries: list[LogEntry] = []
    for a in audits:
        if for_client:
            known = CLIENT_TEXT.get(a.action)
            what = gettext(known) if known else a.action.replace("_", " ").capitalize()
            detail = a.message if a.action in CLIENT_MESSAGES else ""
        else:
            what, detail = a.action, a.message
        who = _who(a.actor, viewer=viewer, for_client=for_client)
        entries.append(LogEntry(a.created_at, "event", what, detail, who))
    labels = dict(Service.Status.choices)
    for c in changes:
        what = gettext("Status: %(before)s → %(after)s") % {
            "before": labels.get(c.from_status, c.from_status),
            "after": labels.get(c.to_status, c.to_status),
        }
        # A staff member's reason may be an internal remark: the client reads the system's reasons only.
        reason = c.reason if not for_client or c.actor is None else ""
        entries.append(
            LogEntry(c.created_at, "status", what, reason, _who(c.actor, viewer=viewer, for_client=for_client))
        )
    for j in jobs:
        what = gettext("Control panel: %(operation)s") % {"operation": j.get_operation_display()}
        # Never the panel's error text or the job's parameters: only what was asked and how it ended.
        detail = j.get_status_display() if for_client else f"{j.get_status_display()} {j.last_error}".strip()
        entries.append(
            LogEntry(j.created_at, "job", what, detail, _who(j.requested_by, viewer=viewer, for_client=for_client))
        )
    entries.sort(key=lambda e: e.at, reverse=True)
    return entries


def limit_additions(service: Service) -> dict[str, int]:
    """What the service's active components (add-ons, form answers mapped to a limit) add to its
    package's panel limits: {"limit_quota": 2048, ...}, summed per limit."""
    total: dict[str, int] = {}
    for limits in ServiceComponent.objects.filter(service=service, status=ServiceComponent.Status.ACTIVE).values_list(
        "limits", flat=True
    ):
        for name, value in (limits or {}).items():
            try:
                total[str(name)] = total.get(str(name), 0) + int(value)
            except (TypeError, ValueError):
                continue
    return total
