"""The automation run's daily reconciliation: once per business date, compare every panel with
billing and tell staff about the findings first seen since the last report (and panels that could
not be read)."""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.db import IntegrityError, transaction

from moorage.notifications.actions import notify_staff
from moorage.provisioning.models import AppConnection
from moorage.reconciliation.actions import reconcile
from moorage.reconciliation.models import DailyReport, Finding

log = logging.getLogger(__name__)
TEMPLATE = "staff_reconcile_findings"
# A report row left unfinished this long ago belongs to a run that stopped; the next run takes it over.
TAKEOVER_AFTER = dt.timedelta(hours=1)
LISTED = 200  # findings listed in one message; the staff page has them all


def _claim(today: dt.date, now: dt.datetime) -> DailyReport | None:
    """This date's report row for this run, or None when it is done or another run is doing it."""
    try:
        with transaction.atomic():
            return DailyReport.objects.create(date=today, created_at=now)
    except IntegrityError:
        pass
    taken = DailyReport.objects.filter(
        date=today, finished_at__isnull=True, created_at__lt=now - TAKEOVER_AFTER
    ).update(created_at=now)
    return DailyReport.objects.get(date=today) if taken else None


@transaction.atomic(durable=True)
def _report(report_id: int, *, today: dt.date, now: dt.datetime, runs: list) -> DailyReport:  # noqa: ANN001
    report = DailyReport.objects.select_for_update().get(pk=report_id)
    new = list(
        Finding.objects.select_for_update()
        .filter(resolved_at=None, reported_at=None)
        .select_related("connection")
        .order_by("connection__name", "kind", "username")
    )
    errors = [run.error for run in runs if run.error]
    if new or errors:
        notify_staff(
            template=TEMPLATE,
            dedupe_key=f"reconcile:{today.isoformat()}",
            now=now,
            context={
                "date": today,
                "count": len(new),
                "findings": [
                    {
                        "connection": f.connection.name,
                        "kind": str(f.get_kind_display()),
                        "username": f.username,
                        "service": f.service_id or "",
                        "fix": str(Finding.Fix(f.details["fix"]).label) if f.details.get("fix") else "",
                    }
                    for f in new[:LISTED]
                ],
                "more": max(len(new) - LISTED, 0),
                "errors": errors,
            },
        )
    Finding.objects.filter(pk__in=[f.pk for f in new]).update(reported_at=now)
    report.finished_at, report.runs, report.errors, report.new_findings = now, len(runs), len(errors), len(new)
    report.save()
    return report


def reconcile_daily(*, today: dt.date, now: dt.datetime) -> dict[str, int]:
    """Step of the automation run (after the others, outside any transaction): reconcile once per date.

    A panel that cannot be read is counted and reported, never raised.
    """
    if not getattr(settings, "MOORAGE_RECONCILE_DAILY", True) or not AppConnection.objects.exists():
        return {}
    if transaction.get_connection().in_atomic_block:
        log.warning("daily reconciliation skipped: the automation run is inside a transaction")
        return {}
    report = _claim(today, now)
    if report is None:
        return {"reconcile_runs": 0}
    runs = reconcile(now=now)
    report = _report(report.pk, today=today, now=now, runs=runs)
    return {
        "reconcile_runs": report.runs,
        "reconcile_errors": report.errors,
        "reconcile_new_findings": report.new_findings,
    }
