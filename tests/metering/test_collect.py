"""Usage collection against the ispmanager emulator over real HTTP."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.management import call_command

from moorage.core.errors import DomainError
from moorage.metering.actions import usage_collect
from moorage.metering.models import UsageSample, UsageSync
from moorage.modules.ispmanager.client import IspManagerClient
from moorage.provisioning.models import PanelAccount
from tests.metering.conftest import D, at, order_metered

pytestmark = pytest.mark.django_db


def samples(service, taken_at=None) -> dict[str, tuple[Decimal, Decimal | None]]:  # noqa: ANN001
    rows = UsageSample.objects.filter(service=service)
    if taken_at is not None:
        rows = rows.filter(taken_at=taken_at)
    return {s.resource: (s.value, s.counter) for s in rows}


@pytest.fixture
def service(metered, client_account):  # noqa: ANN001, ANN201
    return order_metered(client_account, metered, D(2026, 1, 15))


def test_one_collection_stores_every_resource_and_the_accounts_disk(panel, connection, service):
    assert service.status == "active"
    panel.set_usage("shop", quota_used=300, traff_used=1200)
    panel.call(
        "db.edit",
        sok="ok",
        name="shop_db",
        owner="shop",
        username="shop_u",
        password="Db-pass-1",
        confirm="Db-pass-1",
        server="MySQL",
    )
    panel.set_db_size("shop_db", 42.5)
    panel.call(
        "ftp.user.edit", sok="ok", name="shop_ftp", owner="shop", home="/", passwd="Ftp-pass-1", confirm="Ftp-pass-1"
    )

    now = at(D(2026, 1, 16), 10, 37)
    result = usage_collect(connection_id=connection.pk, now=now)

    assert (result.accounts, result.samples, result.missing) == (1, 8, [])
    hour = dt.datetime(2026, 1, 16, 10, 0, tzinfo=dt.UTC)  # the business time zone is UTC in tests
    assert samples(service, hour) == {
        "disk_mib": (Decimal(300), None),
        "bandwidth_mib": (Decimal(1200), Decimal(1200)),  # the first reading: all traffic so far
        "database_mib": (Decimal("42.5"), None),
        "websites": (Decimal(1), None),  # shop.example.com, made at create
        "domains": (Decimal(1), None),  # its DNS zone
        "databases": (Decimal(1), None),
        "mailboxes": (Decimal(0), None),
        "ftp_users": (Decimal(1), None),
    }
    account = PanelAccount.objects.get(service=service)
    assert (account.disk_used_mib, account.disk_limit_mib, account.synced_at) == (Decimal(300), Decimal(1024), now)
    sync = UsageSync.objects.get(connection=connection)
    assert (sync.finished_at, sync.accounts, sync.samples, sync.last_error) == (now, 1, 8, "")


def test_bandwidth_is_stored_as_traffic_between_readings_and_restarts_with_the_month(panel, connection, service):
    readings = [
        (at(D(2026, 1, 20), 8), 1000, Decimal(1000)),
        (at(D(2026, 1, 20), 8, 40), 1100, None),  # same hour: already sampled, nothing written
        (at(D(2026, 1, 20), 9), 1250, Decimal(250)),
        (at(D(2026, 1, 31), 23), 4000, Decimal(2750)),
        (at(D(2026, 2, 1), 0), 30, Decimal(30)),  # the panel's counter restarted with February
        (at(D(2026, 2, 1), 1), 90, Decimal(60)),
    ]
    for moment, traffic, expected in readings:
        panel.set_usage("shop", traff_used=traffic)
        result = usage_collect(connection_id=connection.pk, now=moment)
        if expected is None:
            assert result.samples == 0
        else:
            assert samples(service, moment.replace(minute=0))["bandwidth_mib"] == (expected, Decimal(traffic))
    assert UsageSample.objects.filter(service=service, resource="bandwidth_mib").count() == 5


def test_the_panel_is_read_with_two_calls_plus_one_per_account(panel, connection, metered, client_account, monkeypatch):
    order_metered(client_account, metered, D(2026, 1, 15), hostname="shop.example.com")
    order_metered(client_account, metered, D(2026, 1, 15), hostname="blog.example.com")
    panel.call("user.edit", sok="ok", name="stranger", passwd="Some-pass-1", confirm="Some-pass-1", preset="basic")
    calls: list[str] = []
    original = IspManagerClient.call

    def counting(self, func, params=None, **kw):  # noqa: ANN001, ANN003, ANN202
        calls.append(func)
        return original(self, func, params, **kw)

    monkeypatch.setattr(IspManagerClient, "call", counting)
    result = usage_collect(connection_id=connection.pk, now=at(D(2026, 1, 16), 10))
    assert result.accounts == 2
    # Only Moorage's accounts get an ownership read (`user.edit` form) and a `userstat`; the panel's
    # other user does not cost a call.
    assert sorted(calls) == ["db", "user", "user.edit", "user.edit", "userstat", "userstat"]


def test_an_account_missing_on_the_panel_is_reported_and_the_others_are_stored(panel, connection, service):
    panel.call("user.delete", elid="shop")
    result = usage_collect(connection_id=connection.pk, now=at(D(2026, 1, 16), 10))
    assert (result.accounts, result.samples, result.missing) == (0, 0, ["shop"])
    assert not UsageSample.objects.exists()


def test_a_namesake_that_billing_did_not_create_is_never_billed(panel, connection, service):
    """Our account was deleted on the panel and someone else took its name: their usage is not ours."""
    panel.call("user.delete", elid="shop")
    panel.call("user.edit", sok="ok", name="shop", passwd="Str-pass-1", confirm="Str-pass-1", preset="basic")
    panel.set_usage("shop", quota_used=900, traff_used=5000)
    calls: list[str] = []
    original = IspManagerClient.call

    def counting(self, func, params=None, **kw):  # noqa: ANN001, ANN202
        calls.append(func)
        return original(self, func, params, **kw)

    import unittest.mock

    with unittest.mock.patch.object(IspManagerClient, "call", counting):
        result = usage_collect(connection_id=connection.pk, now=at(D(2026, 1, 16), 10))
    assert (result.accounts, result.samples, result.foreign) == (0, 0, ["shop"])
    assert "userstat" not in calls  # nothing more is read of a stranger's account
    assert not UsageSample.objects.exists()
    assert PanelAccount.objects.get(service=service).disk_used_mib is None


def test_a_panel_that_cannot_be_reached_changes_no_figures(panel, connection, service):
    panel.set_usage("shop", quota_used=300)
    usage_collect(connection_id=connection.pk, now=at(D(2026, 1, 16), 10))
    before = list(UsageSample.objects.values_list("resource", "value", "taken_at"))
    panel.stop()
    with pytest.raises(DomainError) as err:
        usage_collect(connection_id=connection.pk, now=at(D(2026, 1, 16), 11))
    assert err.value.code == "panel_error" and "cannot read usage from panel-1" in err.value.message
    assert list(UsageSample.objects.values_list("resource", "value", "taken_at")) == before
    account = PanelAccount.objects.get(service=service)
    assert account.synced_at == at(D(2026, 1, 16), 10) and account.disk_used_mib == Decimal(300)
    assert UsageSync.objects.get(connection=connection).last_error.startswith("cannot connect")


def test_the_usage_sync_command(panel, connection, service, settings, capsys):
    settings.MOORAGE_CLOCK_DATE = "2026-01-16T10:20:00+00:00"
    panel.set_usage("shop", quota_used=512, traff_used=64)
    call_command("usage-sync")
    assert "panel-1: 1 account(s), 8 sample(s)" in capsys.readouterr().out
    assert samples(service)["disk_mib"] == (Decimal(512), None)
