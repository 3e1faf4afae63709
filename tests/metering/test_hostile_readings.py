"""What a panel reports is parsed strictly: NaN, Infinity, 1e30, negative or wrong-typed figures
become failed samples with their reason, never numbers on an invoice, and never a crash."""

from __future__ import annotations

from decimal import Decimal

import pytest

from moorage.core.errors import DomainError
from moorage.metering.actions import usage_collect
from moorage.metering.models import FailedSample, UsageSample, UsageSync
from moorage.metering.readings import BadReading, parse_reading
from moorage.modules.ispmanager.client import IspManagerClient
from moorage.provisioning.interface import AccountState
from moorage.provisioning.models import PanelAccount
from tests.metering.conftest import D, at, order_metered


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("300", Decimal("300.000")),
        (" 42.5 ", Decimal("42.500")),
        ("1e3", Decimal("1000.000")),
        (7, Decimal("7.000")),
        (Decimal("0.0005"), Decimal("0.001")),
        (1.25, Decimal("1.250")),
        ("1000000000000", Decimal("1000000000000.000")),
    ],
)
def test_good_readings(raw, expected):
    assert parse_reading(raw) == expected


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("1e30", "largest plausible"),
        ("1000000000000.001", "largest plausible"),
        ("NaN", "not a finite"),
        ("sNaN", "not a finite"),
        ("Infinity", "not a finite"),
        ("-inf", "not a finite"),
        (float("nan"), "not a finite"),
        (float("inf"), "not a finite"),
        ("-1", "negative"),
        (None, "not a number"),
        (True, "not a number"),
        ("", "not a number"),
        ("12 MiB", "not a number"),
        ("1" * 500, "not a number"),
        ([1], "list is not a number"),
        ({"$": "1"}, "dict is not a number"),
    ],
)
def test_bad_readings_say_why(raw, reason):
    with pytest.raises(BadReading, match=reason):
        parse_reading(raw)


@pytest.fixture
def service(metered, client_account):  # noqa: ANN001, ANN201
    return order_metered(client_account, metered, D(2026, 1, 15))


@pytest.mark.django_db
def test_nan_and_1e30_from_the_panel_become_failed_samples(panel, connection, service):
    panel.set_usage("shop", quota_used=float("nan"), traff_used=1e30)
    now = at(D(2026, 1, 16), 10, 37)
    result = usage_collect(connection_id=connection.pk, now=now)
    stored = {s.resource: s.value for s in UsageSample.objects.filter(service=service)}
    assert "disk_mib" not in stored and "bandwidth_mib" not in stored
    assert stored["websites"] == Decimal(1)  # the good figures of the same reply are kept
    failed = {f.resource: f for f in FailedSample.objects.filter(service=service)}
    assert set(failed) == {"disk_mib", "bandwidth_mib"}
    assert "finite" in failed["disk_mib"].reason and "largest plausible" in failed["bandwidth_mib"].reason
    assert len(result.refused) == 2
    assert "2 reading(s) refused" in UsageSync.objects.get(connection=connection).last_error
    assert PanelAccount.objects.get(service=service).disk_used_mib is None
    # The next good reading is stored as usual.
    panel.set_usage("shop", quota_used=300, traff_used=1200)
    usage_collect(connection_id=connection.pk, now=at(D(2026, 1, 16), 11, 37))
    assert UsageSample.objects.filter(service=service, resource="bandwidth_mib").get().value == Decimal(1200)
    assert UsageSync.objects.get(connection=connection).last_error == ""


@pytest.mark.django_db
def test_a_negative_or_infinite_figure_from_a_module_is_refused(connection, service, monkeypatch):
    from moorage.modules.ispmanager.module import IspManagerModule

    def usage(self, conn, usernames=None, markers=None):  # noqa: ANN001, ANN202
        return {
            "shop": AccountState(
                username="shop",
                exists=True,
                disk_used_mib=Decimal("Infinity"),
                disk_limit_mib=Decimal("-1"),
                usage={"websites": Decimal("-3"), "databases": "NaN", "mailboxes": Decimal(2), "bogus": "x"},
            )
        }

    monkeypatch.setattr(IspManagerModule, "usage", usage)
    usage_collect(connection_id=connection.pk, now=at(D(2026, 1, 16), 10))
    assert {s.resource: s.value for s in UsageSample.objects.filter(service=service)} == {"mailboxes": Decimal(2)}
    assert set(FailedSample.objects.values_list("resource", flat=True)) == {"disk_mib", "websites", "databases"}
    account = PanelAccount.objects.get(service=service)
    assert account.disk_used_mib is None and account.disk_limit_mib is None


@pytest.mark.django_db
@pytest.mark.parametrize("doc", [None, [], "text", 5, {"elem": "x"}, {"elem": [None]}, {"elem": [{"name": {"$": []}}]}])
def test_a_null_or_wrong_typed_reply_is_recorded_not_raised(connection, service, monkeypatch, doc):
    monkeypatch.setattr(IspManagerClient, "call", lambda self, func, params=None, **kw: doc)
    try:
        usage_collect(connection_id=connection.pk, now=at(D(2026, 1, 16), 10))
    except DomainError as exc:
        assert "cannot read usage" in str(exc)
        assert UsageSync.objects.get(connection=connection).last_error
    assert not UsageSample.objects.filter(service=service).exists()
