"""Usage collection: read the panel once per app connection, then store samples and account figures.

The remote read happens before any transaction (a slow panel must not hold row locks); the
writes follow in one short transaction. Running the job twice in the same hour writes nothing the
second time: a sample's `taken_at` is the hour, and (service, resource, taken_at) is unique.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction

from moorage.core.clock import business_tz
from moorage.core.errors import DomainError, NotFound
from moorage.metering.models import FailedSample, UsageSample, UsageSync
from moorage.metering.readings import BadReading, describe, parse_reading
from moorage.metering.resources import RESOURCES
from moorage.provisioning.accounts import connection_info
from moorage.provisioning.interface import AccountState, ModuleError
from moorage.provisioning.models import AppConnection, PanelAccount
from moorage.provisioning.registry import get_module

# The automation queues a connection's usage job at most this often.
SYNC_EVERY = dt.timedelta(hours=1)
BANDWIDTH = "bandwidth_mib"


@dataclass
class CollectResult:
    """What one usage job did on one connection."""

    connection: str
    accounts: int = 0  # panel accounts of Moorage's services found on the panel
    samples: int = 0  # samples written (0 when this hour was already sampled)
    missing: list[str] = field(default_factory=list)  # usernames Moorage expects but the panel lacks
    refused: list[str] = field(default_factory=list)  # readings that were no quantity, with the reason
    foreign: list[str] = field(default_factory=list)  # usernames held on the panel by an account not ours


def sample_moment(now: dt.datetime) -> dt.datetime:
    """The hour a sample taken at `now` is filed under."""
    return now.astimezone(dt.UTC).replace(minute=0, second=0, microsecond=0)


def traffic_since(previous: UsageSample | None, counter: Decimal, taken_at: dt.datetime) -> Decimal:
    """Traffic between the previous reading and this one. The panel's counter restarts each calendar
    month: a reading in a new month (or lower than the last) counts from zero. Traffic between the
    last reading of a month and the month's end is not seen (sample at least hourly to keep it small)."""
    if previous is None or previous.counter is None:
        return counter
    tz = business_tz()
    before, this = previous.taken_at.astimezone(tz), taken_at.astimezone(tz)
    if (before.year, before.month) != (this.year, this.month) or counter < previous.counter:
        return counter
    return counter - previous.counter


def usage_collect(*, connection_id: int, now: dt.datetime) -> CollectResult:
    """Usage job: one `usage` read of the connection's panel, then samples for every service with an
    account there, and the accounts' disk figures and sync time. Not inside a transaction (remote read)."""
    connection = AppConnection.objects.filter(pk=connection_id).first()
    if connection is None:
        raise NotFound(f"no app connection with id {connection_id}", field="connection")
    accounts = list(PanelAccount.objects.filter(connection=connection, exists_on_panel=True).select_related("service"))
    result = CollectResult(connection=connection.name)
    states: dict[str, AccountState] = {}
    if accounts:
        module = get_module(connection.module)
        try:
            states = module.usage(
                connection_info(connection, module),
                usernames=[a.username for a in accounts],
                markers={a.username: a.panel_marker for a in accounts},
            )
        except ModuleError as exc:
            _record(connection, now=now, result=result, error=exc.message)
            raise DomainError(
                f"cannot read usage from {connection.name}: {exc.message}", field="connection", code="panel_error"
            ) from exc
        except (TypeError, ValueError, KeyError, AttributeError, ArithmeticError) as exc:
            # A reply of the wrong shape (null, a list for an object, text for a number …).
            message = f"the panel's usage reply cannot be read: {type(exc).__name__}: {exc}"[:1000]
            _record(connection, now=now, result=result, error=message)
            raise DomainError(
                f"cannot read usage from {connection.name}: {message}", field="connection", code="panel_error"
            ) from exc
        if not isinstance(states, dict):
            message = f"the module returned a {type(states).__name__} instead of the accounts' usage"
            _record(connection, now=now, result=result, error=message)
            raise DomainError(f"cannot read usage from {connection.name}: {message}", field="connection")
    _store(connection, accounts, states, now=now, result=result)
    return result


@transaction.atomic(durable=True)
def _store(
    connection: AppConnection,
    accounts: list[PanelAccount],
    states: dict[str, AccountState],
    *,
    now: dt.datetime,
    result: CollectResult,
) -> None:
    taken_at = sample_moment(now)
    samples: list[UsageSample] = []
    failed: list[FailedSample] = []
    updated: list[PanelAccount] = []

    def reading(account: PanelAccount, resource: str, raw: object) -> Decimal | None:
        try:
            return parse_reading(raw)
        except BadReading as exc:
            failed.append(
                FailedSample(
                    service_id=account.service_id,
                    resource=resource[:20],
                    taken_at=taken_at,
                    raw=describe(raw),
                    reason=str(exc)[:300],
                )
            )
            result.refused.append(f"{account.username} {resource}: {exc}")
            return None

    for account in accounts:
        state = states.get(account.username)
        if not isinstance(state, AccountState) or not state.exists:
            result.missing.append(account.username)
            continue
        if state.ours is False:
            # The name on the panel belongs to an account billing did not create (ours was deleted
            # and the name taken again): its usage is someone else's and is never billed to ours.
            result.foreign.append(account.username)
            continue
        result.accounts += 1
        usage = dict(state.usage) if isinstance(state.usage, dict) else {}
        if "disk_mib" not in usage and state.disk_used_mib is not None:
            usage["disk_mib"] = state.disk_used_mib
        for resource, raw in usage.items():
            if resource not in RESOURCES or raw is None:
                continue
            figure = reading(account, resource, raw)
            if figure is None:
                continue
            if resource == BANDWIDTH:
                previous = (
                    UsageSample.objects.filter(service_id=account.service_id, resource=BANDWIDTH, taken_at__lt=taken_at)
                    .order_by("-taken_at")
                    .first()
                )
                samples.append(
                    UsageSample(
                        service_id=account.service_id,
                        resource=resource,
                        value=traffic_since(previous, figure, taken_at),
                        counter=figure,
                        taken_at=taken_at,
                    )
                )
            else:
                samples.append(
                    UsageSample(service_id=account.service_id, resource=resource, value=figure, taken_at=taken_at)
                )
        # The account's disk figures: a bad one is left empty (it was recorded above as a failed sample).
        account.disk_used_mib = _figure_or_none(state.disk_used_mib)
        account.disk_limit_mib = _figure_or_none(state.disk_limit_mib)
        account.synced_at = now
        updated.append(account)
    if failed:
        FailedSample.objects.bulk_create(failed, ignore_conflicts=True)
    if samples:
        before = UsageSample.objects.filter(taken_at=taken_at, service_id__in={s.service_id for s in samples}).count()
        UsageSample.objects.bulk_create(samples, ignore_conflicts=True)
        after = UsageSample.objects.filter(taken_at=taken_at, service_id__in={s.service_id for s in samples}).count()
        result.samples = after - before
    if updated:
        PanelAccount.objects.bulk_update(updated, ["disk_used_mib", "disk_limit_mib", "synced_at"])
    error = ""
    if result.refused:
        error = f"{len(result.refused)} reading(s) refused, first: {result.refused[0]}"[:1000]
    _record(connection, now=now, result=result, error=error)


def _figure_or_none(raw: object) -> Decimal | None:
    """A disk figure for the account row (two places, at most 12 digits before the point), or None."""
    if raw is None:
        return None
    try:
        figure = parse_reading(raw)
    except BadReading:
        return None
    return figure.quantize(Decimal("0.01")) if figure < Decimal("1e12") else None


def _record(connection: AppConnection, *, now: dt.datetime, result: CollectResult, error: str) -> None:
    sync, _ = UsageSync.objects.get_or_create(connection=connection)
    sync.finished_at = now
    sync.accounts, sync.samples, sync.last_error = result.accounts, result.samples, error
    sync.save(update_fields=["finished_at", "accounts", "samples", "last_error"])


def usage_sync_queue(connection: AppConnection, *, now: dt.datetime) -> bool:
    """Inner step (in the automation's transaction): mark the connection's usage job queued and wake
    a worker after commit, unless it was queued less than SYNC_EVERY ago. True if queued now."""
    sync, _ = UsageSync.objects.get_or_create(connection=connection)
    sync = UsageSync.objects.select_for_update().get(pk=sync.pk)
    if sync.queued_at is not None and sync.queued_at > now - SYNC_EVERY:
        return False
    sync.queued_at = now
    sync.save(update_fields=["queued_at"])
    from moorage.metering.tasks import enqueue_usage_collect

    transaction.on_commit(lambda: enqueue_usage_collect(connection.pk))
    return True
