"""The service lifecycle: one transition table; illegal moves are refused and change nothing."""

import datetime as dt
import itertools

import pytest

from moorage.core.errors import DomainError, NotFound
from moorage.core.models import AuditEntry
from moorage.services.actions import service_set_status
from moorage.services.lifecycle import TRANSITIONS, IllegalTransition, can_transition
from moorage.services.models import Service, ServiceStatusChange
from tests.factories import checkout

S = Service.Status
LATER = dt.datetime(2026, 2, 1, 9, 0, tzinfo=dt.UTC)
ALLOWED = [(a, b) for a in S.values for b in S.values if can_transition(a, b)]
ILLEGAL = [(a, b) for a, b in itertools.product(S.values, S.values) if not can_transition(a, b)]


def test_the_transition_table():
    assert {k: sorted(v) for k, v in TRANSITIONS.items()} == {
        "pending": ["active", "cancelled", "fraud"],
        "active": ["cancelled", "fraud", "suspended", "terminated"],
        "suspended": ["active", "cancelled", "fraud", "terminated"],
        "fraud": ["cancelled", "pending", "terminated"],
        "terminated": [],
        "cancelled": [],
    }
    assert set(TRANSITIONS) == set(S.values)


@pytest.fixture
def service(starter, client_account, now):  # noqa: ANN001, ANN201
    return checkout(client_account, starter, now=now).items.get().service


def put_in(service: Service, status: str) -> Service:
    Service.objects.filter(pk=service.pk).update(status=status)
    ServiceStatusChange.objects.all().delete()
    service.refresh_from_db()
    return service


@pytest.mark.parametrize(("current", "target"), ALLOWED)
def test_every_allowed_transition_writes_history(service, staff, current, target):
    put_in(service, current)
    result = service_set_status(service_id=service.pk, status=target, now=LATER, actor=staff, reason="by hand")
    service.refresh_from_db()
    assert (result.status, service.status) == (target, target)
    assert service.status_reason == ("by hand" if target == "suspended" else "")
    assert list(
        ServiceStatusChange.objects.values_list("service", "from_status", "to_status", "reason", "actor", "created_at")
    ) == [(service.pk, current, target, "by hand", staff.pk, LATER)]
    entry = AuditEntry.objects.get(action=f"service_{target}")
    assert (entry.actor, entry.object_id, entry.message) == (staff, str(service.pk), "by hand")


@pytest.mark.parametrize(("current", "target"), ILLEGAL)
def test_every_illegal_transition_is_refused_and_changes_nothing(service, staff, unchanged, current, target):
    put_in(service, current)
    with unchanged(), pytest.raises(IllegalTransition) as err:
        service_set_status(service_id=service.pk, status=target, now=LATER, actor=staff)
    assert (err.value.field, err.value.code, err.value.status) == (
        "status",
        "illegal_transition",
        409,
    )
    assert err.value.message == f"a {S(current).label.lower()} service cannot become {S(target).label.lower()}"


def test_suspension_reason_is_cleared_when_unsuspended(service, staff):
    put_in(service, "active")
    service_set_status(service_id=service.pk, status="suspended", now=LATER, actor=staff, reason="overdue")
    service.refresh_from_db()
    assert service.status_reason == "overdue"
    service_set_status(service_id=service.pk, status="active", now=LATER, actor=staff)
    service.refresh_from_db()
    assert (service.status, service.status_reason) == ("active", "")
    assert list(service.status_changes.values_list("from_status", "to_status", "reason")) == [
        ("active", "suspended", "overdue"),
        ("suspended", "active", ""),
    ]


def test_activating_a_pending_service_by_hand_sets_its_dates(service, staff):
    service_set_status(service_id=service.pk, status="active", now=LATER, actor=staff)
    service.refresh_from_db()
    # Ordered 15 Jan; without Adjust Initial Period the service starts on the order date.
    assert (service.status, service.start_date, service.next_due_date) == (
        "active",
        dt.date(2026, 1, 15),
        dt.date(2026, 2, 15),
    )


def test_reactivating_keeps_the_dates(service, staff):
    service_set_status(service_id=service.pk, status="active", now=LATER, actor=staff)
    service_set_status(service_id=service.pk, status="suspended", now=LATER, actor=staff)
    service_set_status(service_id=service.pk, status="active", now=LATER + dt.timedelta(days=40), actor=staff)
    service.refresh_from_db()
    assert (service.start_date, service.next_due_date) == (
        dt.date(2026, 1, 15),
        dt.date(2026, 2, 15),
    )


def test_an_unknown_status(service, staff, unchanged):
    with unchanged(), pytest.raises(DomainError) as err:
        service_set_status(service_id=service.pk, status="sleeping", now=LATER, actor=staff)
    assert err.value.field == "status"


def test_an_unknown_service(db, staff, unchanged):
    with unchanged(), pytest.raises(NotFound) as err:
        service_set_status(service_id=424242, status="active", now=LATER, actor=staff)
    assert err.value.field == "service"
